/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* gateway.conf: the scheduling limits in [Gateway] and the model servers, one [Upstream]
 * section each. A parsed GatewayConfig never changes; a reload parses a new one and swaps it
 * in, and requests in flight keep a reference to the one they were routed with. */

#include <stdbool.h>
#include <stdint.h>

#include "conf-parser.h"
#include "macro.h"

#define GATEWAY_CONFIG_NAME "gateway.conf"

#define GATEWAY_MAX_CONCURRENT_DEFAULT 4U
#define GATEWAY_PER_USER_CONCURRENT_DEFAULT 2U
#define GATEWAY_MAX_QUEUED_PER_USER_DEFAULT 64U
#define GATEWAY_MAX_QUEUED_PER_SESSION_DEFAULT 32U
#define GATEWAY_MAX_CONNECTIONS_DEFAULT 1024U
#define GATEWAY_MAX_CONNECTIONS_PER_USER_DEFAULT 128U
#define GATEWAY_MAX_CONNECTIONS_PER_SESSION_DEFAULT 64U
/* The most MaxConnections= may be: LimitNOFILE= of the unit leaves room for as many upstream
 * transfers besides. */
#define GATEWAY_MAX_CONNECTIONS_LIMIT 8192U
#define GATEWAY_REQUEST_READ_TIMEOUT_DEFAULT_USEC (10ULL * 1000000)
#define GATEWAY_MAX_REQUEST_SIZE_DEFAULT (8ULL * 1024 * 1024)
#define GATEWAY_HEALTH_CHECK_DEFAULT_USEC (30ULL * 1000000)
#define UPSTREAM_CONNECT_TIMEOUT_DEFAULT_USEC (5ULL * 1000000)
#define UPSTREAM_FIRST_BYTE_TIMEOUT_DEFAULT_USEC (300ULL * 1000000)
#define UPSTREAM_IDLE_TIMEOUT_DEFAULT_USEC (120ULL * 1000000)
#define UPSTREAM_HEALTH_PATH_DEFAULT "/models"
/* Used when no [Upstream] is configured: llama.cpp's llama-server on its default port. */
#define UPSTREAM_DEFAULT_NAME "local"
#define UPSTREAM_DEFAULT_URL "http://127.0.0.1:8080/v1"
#define UPSTREAM_NAME_MAX 64U
#define UPSTREAM_KEY_MAX 4096U

typedef struct UpstreamConfig {
        char *name;
        char *url;                      /* OpenAI base URL without a trailing '/' */
        char **models;                  /* "alias:upstream-model" or "model"; NULL: any model */
        char *health_path;              /* appended to url for health checks */
        uint64_t connect_timeout_usec;
        uint64_t first_byte_timeout_usec;
        uint64_t idle_timeout_usec;
        char *key;                      /* sent as "Authorization: Bearer"; NULL: none */
        char *source;                   /* where Name= was first seen, "file:line" */
} UpstreamConfig;

typedef struct GatewayConfig {
        unsigned n_ref;
        unsigned max_concurrent;
        unsigned per_user_concurrent;
        unsigned max_queued_per_user;
        unsigned max_queued_per_session;
        unsigned max_connections;
        unsigned max_connections_per_user;
        unsigned max_connections_per_session;
        uint64_t request_read_timeout_usec;     /* to send a whole request, headers and body */
        bool allow_local_users;
        uint64_t max_request_size;
        uint64_t health_check_usec;
        char *default_model;
        UpstreamConfig **upstreams;     /* in the order their Name= first appeared */
        size_t n_upstreams;

        /* While parsing: the [Upstream] that assignments go to, and the file it was named in. */
        UpstreamConfig *current;
        char *current_file;
} GatewayConfig;

/* A configuration with every default and no upstreams. Returns 0 or -ENOMEM. */
int gateway_config_new(GatewayConfig **ret);
GatewayConfig *gateway_config_ref(GatewayConfig *c);
GatewayConfig *gateway_config_unref(GatewayConfig *c);
DEFINE_PTR_CLEANUP(GatewayConfig *, gateway_config_unref);

/* The ConfigItem table for config_parse_*(), with a GatewayConfig as userdata. */
extern const ConfigItem gateway_config_items[];

/* Checks what single assignments cannot: every upstream has a URL=, limits are sane. Adds the
 * built-in default upstream if none is configured. Returns 0, or -EINVAL and a message naming
 * the file and line in *ret_error. */
int gateway_config_finish(GatewayConfig *c, char **ret_error);

/* Parses gateway.conf and its drop-ins from dirs (see config_parse_standard()), finishes the
 * result and reads each upstream's key from credentials_dir/NAME.key if that exists
 * (credentials_dir may be NULL). Returns 0 and a new config, or a negative errno with the
 * reason in diag->error. */
int gateway_config_load(const char *const *dirs, const char *root, const char *credentials_dir,
                        GatewayConfig **ret, ConfigDiagnostics *diag);

/* Reads NAME.key for each upstream from dir. Missing files are fine. Returns 0 or a negative
 * errno; -EBADMSG for a key that cannot go into an HTTP header. */
int gateway_config_load_keys(GatewayConfig *c, const char *dir);

/* Returns the upstream called name, or NULL. */
UpstreamConfig *gateway_config_find_upstream(const GatewayConfig *c, const char *name);

/* Whether u serves model, and under which name. Without Models= an upstream takes any model
 * and the name passes unchanged. Returns true and sets *ret_target (borrowed from u or model). */
bool upstream_config_map_model(const UpstreamConfig *u, const char *model, const char **ret_target);

/* Whether s is a valid upstream name: [A-Za-z0-9][A-Za-z0-9._-]*, at most UPSTREAM_NAME_MAX. */
bool upstream_name_is_valid(const char *s);
