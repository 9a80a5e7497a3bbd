/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loads libxml2 with dlopen() the first time HTML needs parsing. */

#include <dlfcn.h>

#include "libxml2-lazy.h"
#include "log.h"

#define LIBXML2_SONAME "libxml2.so.2"

static LibXml2 libxml2;
static int libxml2_state;               /* 0 not tried, 1 loaded, <0 failed */

static int load(void) {
        void *dl = dlopen(LIBXML2_SONAME, RTLD_NOW|RTLD_LOCAL);
        xmlFreeFunc *(*get_free)(void);
        xmlFreeFunc *free_variable;

        if (!dl)
                return log_warning_errno(EOPNOTSUPP, "Cannot load %s, HTML stays unparsed: %s",
                                         LIBXML2_SONAME, dlerror());
        libxml2.htmlReadMemory = (__typeof__(libxml2.htmlReadMemory)) dlsym(dl, "htmlReadMemory");
        libxml2.xmlDocGetRootElement = (__typeof__(libxml2.xmlDocGetRootElement)) dlsym(dl, "xmlDocGetRootElement");
        libxml2.xmlFreeDoc = (__typeof__(libxml2.xmlFreeDoc)) dlsym(dl, "xmlFreeDoc");
        libxml2.xmlGetProp = (__typeof__(libxml2.xmlGetProp)) dlsym(dl, "xmlGetProp");
        /* xmlFree is a variable, or a per-thread one behind __xmlFree() in builds with
         * thread-local allocators. */
        get_free = (xmlFreeFunc *(*)(void)) dlsym(dl, "__xmlFree");
        free_variable = get_free ? get_free() : (xmlFreeFunc *) dlsym(dl, "xmlFree");
        libxml2.free = free_variable ? *free_variable : NULL;
        if (!libxml2.htmlReadMemory || !libxml2.xmlDocGetRootElement || !libxml2.xmlFreeDoc ||
            !libxml2.xmlGetProp || !libxml2.free) {
                dlclose(dl);
                return log_warning_errno(EOPNOTSUPP, "%s lacks functions the agent needs.", LIBXML2_SONAME);
        }
        /* Never closed: the functions are used for the rest of the process's life. */
        return 1;
}

int libxml2_get(const LibXml2 **ret) {
        if (libxml2_state == 0)
                libxml2_state = load();
        if (libxml2_state < 0)
                return libxml2_state;
        *ret = &libxml2;
        return 0;
}
