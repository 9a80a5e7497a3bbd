/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gateway.conf: defaults, the ConfigItem table, and the [Upstream] sections.
 *
 * The shared INI parser matches section names exactly and does not tell parse functions where
 * one section ends and the next begins, so repeated [Upstream] sections are told apart by their
 * Name= assignment: Name= selects the upstream that the assignments after it apply to, creating
 * it the first time the name appears. A drop-in that names an existing upstream therefore
 * changes only the settings it assigns. Assignments in [Upstream] before any Name= in the same
 * file are an error, so a drop-in cannot silently change whichever upstream the file before it
 * happened to end with. */

#include <ctype.h>
#include <fcntl.h>

#include "gateway-config.h"
#include "parse-util.h"
#include "strv.h"

static UpstreamConfig *upstream_config_free(UpstreamConfig *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->url);
        strv_free(u->models);
        free(u->health_path);
        if (u->key) {
                explicit_bzero(u->key, strlen(u->key));
                free(u->key);
        }
        free(u->source);
        return mfree(u);
}
DEFINE_PTR_CLEANUP(UpstreamConfig *, upstream_config_free);

static int upstream_config_new(const char *name, const char *source, UpstreamConfig **ret) {
        _cleanup_(upstream_config_freep) UpstreamConfig *u = NULL;

        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->name = strdup(name);
        u->health_path = strdup(UPSTREAM_HEALTH_PATH_DEFAULT);
        u->source = strdup(source);
        if (!u->name || !u->health_path || !u->source)
                return -ENOMEM;
        u->connect_timeout_usec = UPSTREAM_CONNECT_TIMEOUT_DEFAULT_USEC;
        u->first_byte_timeout_usec = UPSTREAM_FIRST_BYTE_TIMEOUT_DEFAULT_USEC;
        u->idle_timeout_usec = UPSTREAM_IDLE_TIMEOUT_DEFAULT_USEC;
        *ret = steal_ptr(u);
        return 0;
}

int gateway_config_new(GatewayConfig **ret) {
        GatewayConfig *c;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->n_ref = 1;
        c->max_concurrent = GATEWAY_MAX_CONCURRENT_DEFAULT;
        c->per_user_concurrent = GATEWAY_PER_USER_CONCURRENT_DEFAULT;
        c->max_queued_per_user = GATEWAY_MAX_QUEUED_PER_USER_DEFAULT;
        c->max_queued_per_session = GATEWAY_MAX_QUEUED_PER_SESSION_DEFAULT;
        c->max_connections = GATEWAY_MAX_CONNECTIONS_DEFAULT;
        c->max_connections_per_user = GATEWAY_MAX_CONNECTIONS_PER_USER_DEFAULT;
        c->max_connections_per_session = GATEWAY_MAX_CONNECTIONS_PER_SESSION_DEFAULT;
        c->request_read_timeout_usec = GATEWAY_REQUEST_READ_TIMEOUT_DEFAULT_USEC;
        c->max_request_size = GATEWAY_MAX_REQUEST_SIZE_DEFAULT;
        c->health_check_usec = GATEWAY_HEALTH_CHECK_DEFAULT_USEC;
        *ret = c;
        return 0;
}

GatewayConfig *gateway_config_ref(GatewayConfig *c) {
        if (c)
                c->n_ref++;
        return c;
}

GatewayConfig *gateway_config_unref(GatewayConfig *c) {
        if (!c || --c->n_ref > 0)
                return NULL;
        for (size_t i = 0; i < c->n_upstreams; i++)
                upstream_config_free(c->upstreams[i]);
        free(c->upstreams);
        free(c->default_model);
        free(c->current_file);
        return mfree(c);
}

bool upstream_name_is_valid(const char *s) {
        size_t n;

        if (isempty(s) || !isalnum((unsigned char) s[0]))
                return false;
        n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
        return s[n] == 0 && n <= UPSTREAM_NAME_MAX;
}

UpstreamConfig *gateway_config_find_upstream(const GatewayConfig *c, const char *name) {
        for (size_t i = 0; i < c->n_upstreams; i++)
                if (streq(c->upstreams[i]->name, name))
                        return c->upstreams[i];
        return NULL;
}

static int gateway_config_add_upstream(GatewayConfig *c, const char *name, const char *source,
                                       UpstreamConfig **ret) {
        UpstreamConfig **a, *u;
        int r;

        a = reallocarray(c->upstreams, c->n_upstreams + 1, sizeof(UpstreamConfig *));
        if (!a)
                return -ENOMEM;
        c->upstreams = a;
        r = upstream_config_new(name, source, &u);
        if (r < 0)
                return r;
        a[c->n_upstreams++] = u;
        *ret = u;
        return 0;
}

static int config_parse_upstream_name(const char *filename, unsigned line, const char *section,
                                      const char *key, const char *value, void *data, char **ret_error) {
        _cleanup_free_ char *source = NULL;
        GatewayConfig *c = data;
        UpstreamConfig *u;
        int r;

        if (!upstream_name_is_valid(value))
                return config_error_invalid(ret_error, -EINVAL, "upstream name", value);
        u = gateway_config_find_upstream(c, value);
        if (!u) {
                if (asprintf(&source, "%s:%u", filename, line) < 0)
                        return -ENOMEM;
                r = gateway_config_add_upstream(c, value, source, &u);
                if (r < 0)
                        return r;
        }
        if (!streq_ptr(c->current_file, filename)) {
                char *f = strdup(filename);
                if (!f)
                        return -ENOMEM;
                free_and_replace(c->current_file, f);
        }
        c->current = u;
        return 0;
}

static int config_parse_upstream_url(const char *filename, unsigned line, const char *section,
                                     const char *key, const char *value, void *data, char **ret_error) {
        const char *rest = startswith(value, "http://") ?: startswith(value, "https://");
        char *url;
        size_t n;

        if (!rest || isempty(rest) || *rest == '/')
                return config_error_invalid(ret_error, -EINVAL, "http:// or https:// URL", value);
        for (const char *p = value; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f)
                        return config_error_invalid(ret_error, -EINVAL, "URL", value);
        /* The paths we append start with '/': keep exactly one. */
        n = strlen(value);
        while (n > 0 && value[n - 1] == '/')
                n--;
        url = strndup(value, n);
        if (!url)
                return -ENOMEM;
        return free_and_replace(*(char **) data, url);
}

static int config_parse_upstream_models(const char *filename, unsigned line, const char *section,
                                        const char *key, const char *value, void *data, char **ret_error) {
        char ***l = data;
        size_t before = strv_length(*l);
        int r;

        r = config_parse_strv(filename, line, section, key, value, data, ret_error);
        if (r < 0)
                return r;
        for (size_t i = before; *l && (*l)[i]; i++) {
                const char *colon = strchr((*l)[i], ':');

                if (colon && (colon == (*l)[i] || colon[1] == 0))
                        return config_error_invalid(ret_error, -EINVAL, "model mapping ALIAS:MODEL", (*l)[i]);
        }
        return 0;
}

static int config_parse_health_path(const char *filename, unsigned line, const char *section,
                                    const char *key, const char *value, void *data, char **ret_error) {
        if (value[0] != '/' || strpbrk(value, " \t\r\n?#"))
                return config_error_invalid(ret_error, -EINVAL, "path starting with '/'", value);
        return config_parse_string(filename, line, section, key, value, data, ret_error);
}

static int config_parse_positive(const char *filename, unsigned line, const char *section,
                                 const char *key, const char *value, void *data, char **ret_error) {
        unsigned u;
        int r;

        r = config_parse_unsigned(filename, line, section, key, value, &u, ret_error);
        if (r < 0)
                return r;
        if (u == 0)
                return config_error_invalid(ret_error, -EINVAL, "number of at least 1", value);
        *(unsigned *) data = u;
        return 0;
}

/* The settings of one upstream, dispatched by config_parse_upstream_setting(). */
static const ConfigItem upstream_items[] = {
        { "Upstream", "URL", config_parse_upstream_url, offsetof(UpstreamConfig, url) },
        { "Upstream", "Models", config_parse_upstream_models, offsetof(UpstreamConfig, models) },
        { "Upstream", "HealthCheckPath", config_parse_health_path, offsetof(UpstreamConfig, health_path) },
        { "Upstream", "ConnectTimeoutSec", config_parse_timespan, offsetof(UpstreamConfig, connect_timeout_usec) },
        { "Upstream", "FirstByteTimeoutSec", config_parse_timespan,
          offsetof(UpstreamConfig, first_byte_timeout_usec) },
        { "Upstream", "IdleTimeoutSec", config_parse_timespan, offsetof(UpstreamConfig, idle_timeout_usec) },
        {}
};

static int config_parse_upstream_setting(const char *filename, unsigned line, const char *section,
                                         const char *key, const char *value, void *data, char **ret_error) {
        GatewayConfig *c = data;

        if (!c->current || !streq_ptr(c->current_file, filename)) {
                *ret_error = strdup("no Name= before this assignment; every [Upstream] section starts with Name=");
                return -EINVAL;
        }
        for (const ConfigItem *i = upstream_items; i->key; i++)
                if (streq(i->key, key))
                        return i->parse(filename, line, section, key, value,
                                        (uint8_t *) c->current + i->offset, ret_error);
        return -EINVAL;     /* not reached: gateway_config_items lists the same keys */
}

const ConfigItem gateway_config_items[] = {
        { "Gateway", "MaxConcurrent", config_parse_positive, offsetof(GatewayConfig, max_concurrent) },
        { "Gateway", "PerUserConcurrent", config_parse_positive, offsetof(GatewayConfig, per_user_concurrent) },
        { "Gateway", "MaxQueuedPerUser", config_parse_unsigned, offsetof(GatewayConfig, max_queued_per_user) },
        { "Gateway", "MaxQueuedPerSession", config_parse_unsigned,
          offsetof(GatewayConfig, max_queued_per_session) },
        { "Gateway", "MaxConnections", config_parse_positive, offsetof(GatewayConfig, max_connections) },
        { "Gateway", "MaxConnectionsPerUser", config_parse_positive,
          offsetof(GatewayConfig, max_connections_per_user) },
        { "Gateway", "MaxConnectionsPerSession", config_parse_positive,
          offsetof(GatewayConfig, max_connections_per_session) },
        { "Gateway", "RequestReadTimeoutSec", config_parse_timespan,
          offsetof(GatewayConfig, request_read_timeout_usec) },
        { "Gateway", "AllowLocalUsers", config_parse_bool, offsetof(GatewayConfig, allow_local_users) },
        { "Gateway", "MaxRequestSize", config_parse_size, offsetof(GatewayConfig, max_request_size) },
        { "Gateway", "HealthCheckIntervalSec", config_parse_timespan, offsetof(GatewayConfig, health_check_usec) },
        { "Gateway", "DefaultModel", config_parse_string, offsetof(GatewayConfig, default_model) },
        { "Upstream", "Name", config_parse_upstream_name, 0 },
        { "Upstream", "URL", config_parse_upstream_setting, 0 },
        { "Upstream", "Models", config_parse_upstream_setting, 0 },
        { "Upstream", "HealthCheckPath", config_parse_upstream_setting, 0 },
        { "Upstream", "ConnectTimeoutSec", config_parse_upstream_setting, 0 },
        { "Upstream", "FirstByteTimeoutSec", config_parse_upstream_setting, 0 },
        { "Upstream", "IdleTimeoutSec", config_parse_upstream_setting, 0 },
        {}
};

/* The connection limits must leave room for others: whatever one user opens, the gateway has
 * connections left for everybody else. */
static int check_connection_limits(const GatewayConfig *c, char **ret_error) {
        const char *e = NULL;

        if (c->max_connections > GATEWAY_MAX_CONNECTIONS_LIMIT)
                e = "[Gateway] MaxConnections= is above the most the gateway supports (8192)";
        else if (c->max_connections_per_user >= c->max_connections)
                e = "[Gateway] MaxConnectionsPerUser= must be lower than MaxConnections=, or one user "
                    "could take every connection";
        else if (c->request_read_timeout_usec == 0 || c->request_read_timeout_usec == USEC_INFINITY)
                e = "[Gateway] RequestReadTimeoutSec= must be a finite time above 0";
        if (!e)
                return 0;
        *ret_error = strdup(e);
        return *ret_error ? -EINVAL : -ENOMEM;
}

int gateway_config_finish(GatewayConfig *c, char **ret_error) {
        UpstreamConfig *u;
        int r;

        r = check_connection_limits(c, ret_error);
        if (r < 0)
                return r;

        c->current = NULL;
        c->current_file = mfree(c->current_file);
        if (c->n_upstreams == 0) {
                r = gateway_config_add_upstream(c, UPSTREAM_DEFAULT_NAME, "built-in default", &u);
                if (r < 0)
                        return r;
                u->url = strdup(UPSTREAM_DEFAULT_URL);
                if (!u->url)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < c->n_upstreams; i++)
                if (!c->upstreams[i]->url) {
                        if (asprintf(ret_error, "%s: [Upstream] Name=%s has no URL=", c->upstreams[i]->source,
                                     c->upstreams[i]->name) < 0)
                                return -ENOMEM;
                        return -EINVAL;
                }
        return 0;
}

/* Reads at most max bytes of dir/name; -EFBIG if there are more. */
static int read_small_file(const char *dir, const char *name, size_t max, char **ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        fd = NEG_ERRNO(open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY));
        if (fd < 0)
                return fd;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        n = read(fd, buf, max + 1);
        if (n < 0)
                return -errno;
        if ((size_t) n > max)
                return -EFBIG;
        buf[n] = 0;
        *ret = steal_ptr(buf);
        return 0;
}

int gateway_config_load_keys(GatewayConfig *c, const char *dir) {
        for (size_t i = 0; dir && i < c->n_upstreams; i++) {
                _cleanup_free_ char *name = NULL, *key = NULL;
                size_t n;
                int r;

                if (asprintf(&name, "%s.key", c->upstreams[i]->name) < 0)
                        return -ENOMEM;
                r = read_small_file(dir, name, UPSTREAM_KEY_MAX, &key);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                n = strlen(key);
                while (n > 0 && isspace((unsigned char) key[n - 1]))
                        key[--n] = 0;
                /* It goes into a header line: no control characters, nothing empty. */
                for (size_t k = 0; k < n; k++)
                        if ((unsigned char) key[k] < ' ' || key[k] == 0x7f)
                                n = 0;
                if (n == 0) {
                        explicit_bzero(key, strlen(key));
                        return -EBADMSG;
                }
                free_and_replace(c->upstreams[i]->key, key);
        }
        return 0;
}

int gateway_config_load(const char *const *dirs, const char *root, const char *credentials_dir,
                        GatewayConfig **ret, ConfigDiagnostics *diag) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        char *e = NULL;
        int r;

        r = gateway_config_new(&c);
        if (r < 0)
                return r;
        r = config_parse_standard(GATEWAY_CONFIG_NAME, dirs, root, gateway_config_items, c, diag);
        if (r < 0)
                return r;
        r = gateway_config_finish(c, &e);
        if (r < 0) {
                if (diag)
                        free_and_replace(diag->error, e);
                free(e);
                return r;
        }
        r = gateway_config_load_keys(c, credentials_dir);
        if (r < 0) {
                if (diag && asprintf(&e, "%s: cannot use the upstream keys there: %s", credentials_dir,
                                     strerror(-r)) >= 0)
                        free_and_replace(diag->error, e);
                return r;
        }
        *ret = steal_ptr(c);
        return 0;
}

bool upstream_config_map_model(const UpstreamConfig *u, const char *model, const char **ret_target) {
        if (!u->models) {
                *ret_target = model;
                return true;
        }
        if (!model)
                return false;
        STRV_FOREACH(m, u->models) {
                const char *colon = strchr(*m, ':');
                size_t n = colon ? (size_t) (colon - *m) : strlen(*m);

                if (strlen(model) == n && strncmp(*m, model, n) == 0) {
                        *ret_target = colon ? colon + 1 : *m;
                        return true;
                }
        }
        return false;
}
