/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libxml2, loaded on first use. Only web_fetch parses HTML, and libxml2 brings ICU and libstdc++
 * with it: loading them in every agent would cost about 1.7 MB of memory per agent for a tool
 * most tasks never call. */

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

typedef struct LibXml2 {
        __typeof__(htmlReadMemory) *htmlReadMemory;
        __typeof__(xmlDocGetRootElement) *xmlDocGetRootElement;
        __typeof__(xmlFreeDoc) *xmlFreeDoc;
        __typeof__(xmlGetProp) *xmlGetProp;
        xmlFreeFunc free;               /* what frees strings libxml2 returns */
} LibXml2;

/* Loads libxml2 once and returns its functions. Returns 0, or -EOPNOTSUPP if it is not
 * installed or lacks a function (logged once). */
int libxml2_get(const LibXml2 **ret);
