/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UnitProperties owns the typed property list that describes a transient unit. It knows two ways
 * out: the "a(sv)" body of StartTransientUnit, and the `systemd-run -p` text syntax of systemd 252,
 * so that a raw systemd-run can start a unit with exactly the same properties. */

#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include "string-util.h"
#include "strv.h"
#include "unit-props.h"

static const char *const unit_property_type_table[_UNIT_PROPERTY_TYPE_MAX] = {
        [UNIT_PROPERTY_STRING] = "string",
        [UNIT_PROPERTY_BOOLEAN] = "boolean",
        [UNIT_PROPERTY_INT32] = "int32",
        [UNIT_PROPERTY_UINT32] = "uint32",
        [UNIT_PROPERTY_UINT64] = "uint64",
        [UNIT_PROPERTY_STRV] = "strv",
        [UNIT_PROPERTY_NAME_LIST] = "name-list",
        [UNIT_PROPERTY_BIND_PATHS] = "bind-paths",
        [UNIT_PROPERTY_IP_ADDRESSES] = "ip-addresses",
        [UNIT_PROPERTY_CREDENTIALS] = "credentials",
        [UNIT_PROPERTY_EXEC] = "exec",
        [UNIT_PROPERTY_FD] = "fd",
        [UNIT_PROPERTY_TMPFS] = "tmpfs",
};

static const char *const unit_property_signature_table[_UNIT_PROPERTY_TYPE_MAX] = {
        [UNIT_PROPERTY_STRING] = "s",
        [UNIT_PROPERTY_BOOLEAN] = "b",
        [UNIT_PROPERTY_INT32] = "i",
        [UNIT_PROPERTY_UINT32] = "u",
        [UNIT_PROPERTY_UINT64] = "t",
        [UNIT_PROPERTY_STRV] = "as",
        [UNIT_PROPERTY_NAME_LIST] = "(bas)",
        [UNIT_PROPERTY_BIND_PATHS] = "a(ssbt)",
        [UNIT_PROPERTY_IP_ADDRESSES] = "a(iayu)",
        [UNIT_PROPERTY_CREDENTIALS] = "a(ss)",
        [UNIT_PROPERTY_EXEC] = "a(sasb)",
        [UNIT_PROPERTY_FD] = "h",
        [UNIT_PROPERTY_TMPFS] = "a(ss)",
};

const char *unit_property_type_to_string(UnitPropertyType t) {
        return t >= 0 && t < _UNIT_PROPERTY_TYPE_MAX ? unit_property_type_table[t] : NULL;
}

UnitPropertyType unit_property_type_from_string(const char *s) {
        for (int i = 0; s && i < _UNIT_PROPERTY_TYPE_MAX; i++)
                if (streq(unit_property_type_table[i], s))
                        return i;
        return _UNIT_PROPERTY_TYPE_INVALID;
}

const char *unit_property_type_signature(UnitPropertyType t) {
        return t >= 0 && t < _UNIT_PROPERTY_TYPE_MAX ? unit_property_signature_table[t] : NULL;
}

UnitProperties *unit_properties_new(void) {
        return calloc(1, sizeof(UnitProperties));
}

static void unit_property_done(UnitProperty *p) {
        switch (p->type) {
        case UNIT_PROPERTY_STRING:
                free(p->string);
                break;
        case UNIT_PROPERTY_STRV:
                strv_free(p->strv);
                break;
        case UNIT_PROPERTY_NAME_LIST:
                strv_free(p->name_list.names);
                break;
        case UNIT_PROPERTY_BIND_PATHS:
                for (size_t i = 0; i < p->bind_paths.n_items; i++) {
                        free(p->bind_paths.items[i].source);
                        free(p->bind_paths.items[i].destination);
                }
                free(p->bind_paths.items);
                break;
        case UNIT_PROPERTY_IP_ADDRESSES:
                free(p->ip_addresses.items);
                break;
        case UNIT_PROPERTY_CREDENTIALS:
                for (size_t i = 0; i < p->credentials.n_items; i++) {
                        free(p->credentials.items[i].name);
                        free(p->credentials.items[i].path);
                }
                free(p->credentials.items);
                break;
        case UNIT_PROPERTY_EXEC:
                free(p->exec.path);
                strv_free(p->exec.argv);
                break;
        case UNIT_PROPERTY_FD:
                safe_close(p->fd);
                break;
        case UNIT_PROPERTY_TMPFS:
                for (size_t i = 0; i < p->tmpfs.n_items; i++) {
                        free(p->tmpfs.items[i].path);
                        free(p->tmpfs.items[i].options);
                }
                free(p->tmpfs.items);
                break;
        default:
                break;
        }
        free(p->name);
}

UnitProperties *unit_properties_free(UnitProperties *props) {
        if (!props)
                return NULL;
        for (size_t i = 0; i < props->n_items; i++)
                unit_property_done(&props->items[i]);
        free(props->items);
        return mfree(props);
}

const UnitProperty *unit_properties_find(const UnitProperties *props, const char *name) {
        for (size_t i = 0; props && i < props->n_items; i++)
                if (streq(props->items[i].name, name))
                        return &props->items[i];
        return NULL;
}

size_t unit_properties_count(const UnitProperties *props, const char *name) {
        size_t n = 0;

        for (size_t i = 0; props && i < props->n_items; i++)
                if (streq(props->items[i].name, name))
                        n++;
        return n;
}

/* Appends a zeroed property of the given name and type and returns it, or NULL when out of memory.
 * The caller fills in the value; a half-filled value is freed safely since the union is zeroed. */
static UnitProperty *unit_properties_push(UnitProperties *props, const char *name, UnitPropertyType type) {
        UnitProperty *items, *p;
        char *n;

        n = strdup(name);
        if (!n)
                return NULL;
        items = reallocarray(props->items, props->n_items + 1, sizeof(UnitProperty));
        if (!items) {
                free(n);
                return NULL;
        }
        props->items = items;
        p = &props->items[props->n_items++];
        *p = (UnitProperty) { .name = n, .type = type };
        if (type == UNIT_PROPERTY_FD)
                p->fd = -EBADF;
        return p;
}

/* Returns the last property of that name and type, so list types grow in place, or else a new one. */
static UnitProperty *unit_properties_extend(UnitProperties *props, const char *name, UnitPropertyType type) {
        for (size_t i = props->n_items; i > 0; i--)
                if (streq(props->items[i - 1].name, name) && props->items[i - 1].type == type)
                        return &props->items[i - 1];
        return unit_properties_push(props, name, type);
}

int unit_properties_add_string(UnitProperties *props, const char *name, const char *value) {
        UnitProperty *p;

        assert(props && name && value);
        p = unit_properties_push(props, name, UNIT_PROPERTY_STRING);
        if (!p)
                return -ENOMEM;
        p->string = strdup(value);
        return p->string ? 0 : -ENOMEM;
}

int unit_properties_add_boolean(UnitProperties *props, const char *name, bool value) {
        UnitProperty *p = unit_properties_push(props, name, UNIT_PROPERTY_BOOLEAN);

        if (!p)
                return -ENOMEM;
        p->boolean = value;
        return 0;
}

int unit_properties_add_int32(UnitProperties *props, const char *name, int32_t value) {
        UnitProperty *p = unit_properties_push(props, name, UNIT_PROPERTY_INT32);

        if (!p)
                return -ENOMEM;
        p->int32 = value;
        return 0;
}

int unit_properties_add_uint32(UnitProperties *props, const char *name, uint32_t value) {
        UnitProperty *p = unit_properties_push(props, name, UNIT_PROPERTY_UINT32);

        if (!p)
                return -ENOMEM;
        p->uint32 = value;
        return 0;
}

int unit_properties_add_uint64(UnitProperties *props, const char *name, uint64_t value) {
        UnitProperty *p = unit_properties_push(props, name, UNIT_PROPERTY_UINT64);

        if (!p)
                return -ENOMEM;
        p->uint64 = value;
        return 0;
}

/* Copies a possibly NULL strv into *ret; an empty or NULL input gives an empty vector. */
static int strv_copy_to(char *const *l, char ***ret) {
        _cleanup_strv_free_ char **c = NULL;

        c = calloc(1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        STRV_FOREACH(s, l)
                if (strv_extend(&c, *s) < 0)
                        return -ENOMEM;
        *ret = steal_ptr(c);
        return 0;
}

int unit_properties_add_strv(UnitProperties *props, const char *name, char *const *values) {
        UnitProperty *p = unit_properties_push(props, name, UNIT_PROPERTY_STRV);

        if (!p)
                return -ENOMEM;
        return strv_copy_to(values, &p->strv);
}

int unit_properties_add_name_list(UnitProperties *props, const char *name, bool allow, char *const *names) {
        UnitProperty *p = unit_properties_push(props, name, UNIT_PROPERTY_NAME_LIST);

        if (!p)
                return -ENOMEM;
        p->name_list.allow = allow;
        return strv_copy_to(names, &p->name_list.names);
}

int unit_properties_add_bind_path(UnitProperties *props, const char *name,
                                  const char *source, const char *destination, bool ignore_enoent) {
        UnitProperty *p = unit_properties_extend(props, name, UNIT_PROPERTY_BIND_PATHS);
        UnitBindPath *items;
        char *s, *d;

        if (!p)
                return -ENOMEM;
        items = reallocarray(p->bind_paths.items, p->bind_paths.n_items + 1, sizeof(UnitBindPath));
        if (!items)
                return -ENOMEM;
        p->bind_paths.items = items;
        if (strdup_pair(source, destination, &s, &d) < 0)
                return -ENOMEM;
        items[p->bind_paths.n_items++] = (UnitBindPath) {
                .source = s,
                .destination = d,
                .ignore_enoent = ignore_enoent,
                .recursive = true,
        };
        return 0;
}

int unit_properties_add_ip_address(UnitProperties *props, const char *name,
                                   int family, const uint8_t *address, unsigned prefixlen) {
        UnitProperty *p = unit_properties_extend(props, name, UNIT_PROPERTY_IP_ADDRESSES);
        UnitIPAddress *items, *a;

        assert(family == AF_INET || family == AF_INET6);
        if (!p)
                return -ENOMEM;
        items = reallocarray(p->ip_addresses.items, p->ip_addresses.n_items + 1, sizeof(UnitIPAddress));
        if (!items)
                return -ENOMEM;
        p->ip_addresses.items = items;
        a = &items[p->ip_addresses.n_items++];
        *a = (UnitIPAddress) { .family = family, .prefixlen = prefixlen };
        memcpy(a->address, address, family == AF_INET ? 4 : 16);
        return 0;
}

int unit_properties_add_credential(UnitProperties *props, const char *name,
                                   const char *credential, const char *path) {
        UnitProperty *p = unit_properties_extend(props, name, UNIT_PROPERTY_CREDENTIALS);
        UnitCredential *items;
        char *n, *f;

        if (!p)
                return -ENOMEM;
        items = reallocarray(p->credentials.items, p->credentials.n_items + 1, sizeof(UnitCredential));
        if (!items)
                return -ENOMEM;
        p->credentials.items = items;
        if (strdup_pair(credential, path, &n, &f) < 0)
                return -ENOMEM;
        items[p->credentials.n_items++] = (UnitCredential) { .name = n, .path = f };
        return 0;
}

int unit_properties_add_tmpfs(UnitProperties *props, const char *name, const char *path, const char *options) {
        UnitProperty *p = unit_properties_extend(props, name, UNIT_PROPERTY_TMPFS);
        UnitTmpfs *items;
        char *t, *o;

        if (!p)
                return -ENOMEM;
        items = reallocarray(p->tmpfs.items, p->tmpfs.n_items + 1, sizeof(UnitTmpfs));
        if (!items)
                return -ENOMEM;
        p->tmpfs.items = items;
        if (strdup_pair(path, options, &t, &o) < 0)
                return -ENOMEM;
        items[p->tmpfs.n_items++] = (UnitTmpfs) { .path = t, .options = o };
        return 0;
}

int unit_properties_add_exec(UnitProperties *props, const char *name, char *const *argv) {
        UnitProperty *p;

        assert(argv && argv[0]);
        p = unit_properties_push(props, name, UNIT_PROPERTY_EXEC);
        if (!p)
                return -ENOMEM;
        p->exec.path = strdup(argv[0]);
        if (!p->exec.path)
                return -ENOMEM;
        return strv_copy_to(argv, &p->exec.argv);
}

int unit_properties_add_fd(UnitProperties *props, const char *name, int fd) {
        UnitProperty *p;
        int copy;

        copy = NEG_ERRNO(fcntl(fd, F_DUPFD_CLOEXEC, 3));
        if (copy < 0)
                return copy;
        p = unit_properties_push(props, name, UNIT_PROPERTY_FD);
        if (!p) {
                safe_close(copy);
                return -ENOMEM;
        }
        p->fd = copy;
        return 0;
}

/* Opens "(sv)" holding the name and a variant of the given signature; the caller closes both. */
static int open_property(sd_bus_message *m, const char *name, const char *signature) {
        int r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, SD_BUS_TYPE_STRING, name);
        if (r < 0)
                return r;
        return sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, signature);
}

static int close_containers(sd_bus_message *m, unsigned n) {
        for (; n > 0; n--) {
                int r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int append_basic(sd_bus_message *m, const UnitProperty *p) {
        const char *sig = unit_property_type_signature(p->type);

        switch (p->type) {
        case UNIT_PROPERTY_STRING:
                return sd_bus_message_append(m, "(sv)", p->name, sig, p->string);
        case UNIT_PROPERTY_BOOLEAN:
                return sd_bus_message_append(m, "(sv)", p->name, sig, (int) p->boolean);
        case UNIT_PROPERTY_INT32:
                return sd_bus_message_append(m, "(sv)", p->name, sig, p->int32);
        case UNIT_PROPERTY_UINT32:
                return sd_bus_message_append(m, "(sv)", p->name, sig, p->uint32);
        case UNIT_PROPERTY_UINT64:
                return sd_bus_message_append(m, "(sv)", p->name, sig, p->uint64);
        case UNIT_PROPERTY_FD:
                /* sd-bus duplicates the fd into the message. */
                return sd_bus_message_append(m, "(sv)", p->name, sig, p->fd);
        default:
                return -EINVAL;
        }
}

static int append_strv(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "as");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, p->strv);
        if (r < 0)
                return r;
        return close_containers(m, 2);
}

static int append_name_list(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "(bas)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "bas");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "b", (int) p->name_list.allow);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, p->name_list.names);
        if (r < 0)
                return r;
        return close_containers(m, 3);
}

static int append_bind_paths(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "a(ssbt)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(ssbt)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->bind_paths.n_items; i++) {
                const UnitBindPath *b = &p->bind_paths.items[i];

                r = sd_bus_message_append(m, "(ssbt)", b->source, b->destination, (int) b->ignore_enoent,
                                          (uint64_t) (b->recursive ? MS_REC : 0));
                if (r < 0)
                        return r;
        }
        return close_containers(m, 3);
}

static int append_ip_address(sd_bus_message *m, const UnitIPAddress *a) {
        int r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "iayu");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "i", (int32_t) a->family);
        if (r < 0)
                return r;
        r = sd_bus_message_append_array(m, 'y', a->address, a->family == AF_INET ? 4 : 16);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "u", (uint32_t) a->prefixlen);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

static int append_ip_addresses(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "a(iayu)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(iayu)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->ip_addresses.n_items; i++) {
                r = append_ip_address(m, &p->ip_addresses.items[i]);
                if (r < 0)
                        return r;
        }
        return close_containers(m, 3);
}

static int append_credentials(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "a(ss)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(ss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->credentials.n_items; i++) {
                const UnitCredential *c = &p->credentials.items[i];

                r = sd_bus_message_append(m, "(ss)", c->name, c->path);
                if (r < 0)
                        return r;
        }
        return close_containers(m, 3);
}

static int append_tmpfs(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "a(ss)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(ss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->tmpfs.n_items; i++) {
                r = sd_bus_message_append(m, "(ss)", p->tmpfs.items[i].path, p->tmpfs.items[i].options);
                if (r < 0)
                        return r;
        }
        return close_containers(m, 3);
}

static int append_exec(sd_bus_message *m, const UnitProperty *p) {
        int r;

        r = open_property(m, p->name, "a(sasb)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(sasb)");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sasb");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "s", p->exec.path);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(m, p->exec.argv);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "b", (int) p->exec.ignore_failure);
        if (r < 0)
                return r;
        return close_containers(m, 4);
}

static int unit_property_append(sd_bus_message *m, const UnitProperty *p) {
        switch (p->type) {
        case UNIT_PROPERTY_STRV:
                return append_strv(m, p);
        case UNIT_PROPERTY_NAME_LIST:
                return append_name_list(m, p);
        case UNIT_PROPERTY_BIND_PATHS:
                return append_bind_paths(m, p);
        case UNIT_PROPERTY_IP_ADDRESSES:
                return append_ip_addresses(m, p);
        case UNIT_PROPERTY_CREDENTIALS:
                return append_credentials(m, p);
        case UNIT_PROPERTY_EXEC:
                return append_exec(m, p);
        case UNIT_PROPERTY_TMPFS:
                return append_tmpfs(m, p);
        default:
                return append_basic(m, p);
        }
}

int unit_properties_append(sd_bus_message *m, const UnitProperties *props) {
        assert(m);
        assert(props);

        for (size_t i = 0; i < props->n_items; i++) {
                int r = unit_property_append(m, &props->items[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* systemd-run reads each "-p Name=value" with the same parser as unit files. The functions below
 * write values in that syntax; they refuse what it cannot carry rather than change the meaning. */

static bool string_has_cc(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return true;
        return false;
}

static const char *endswith(const char *s, const char *suffix) {
        size_t l = strlen(s), k = strlen(suffix);

        return l >= k && streq(s + l - k, suffix) ? s + l - k : NULL;
}

/* Quotes a word for extract_first_word() with EXTRACT_UNQUOTE if it is empty or holds whitespace,
 * a quote, a backslash or one of the extra separators. Inside double quotes a backslash takes the
 * next character literally, also for the parsers that unescape C sequences. Control characters
 * cannot be carried, so they give -EINVAL. */
static int quote_word(const char *s, const char *separators, char **ret) {
        char *q, *t;

        if (string_has_cc(s))
                return -EINVAL;
        if (!isempty(s) && !strpbrk(s, " \"'\\") && !(separators && strpbrk(s, separators))) {
                t = strdup(s);
                if (!t)
                        return -ENOMEM;
                *ret = t;
                return 0;
        }
        q = t = malloc(strlen(s) * 2 + 3);
        if (!t)
                return -ENOMEM;
        *q++ = '"';
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        *q++ = '\\';
                *q++ = *s;
        }
        *q++ = '"';
        *q = 0;
        *ret = t;
        return 0;
}

static int push_assignment(char ***args, const char *name, const char *value) {
        if (strv_extend(args, "-p") < 0)
                return -ENOMEM;
        return strv_extendf(args, "%s=%s", name, value);
}

/* CPUQuotaPerSecUSec= has no text form; CPUQuota= takes a percentage with up to two decimals and
 * stores percent * 10 ms per second. */
static int render_cpu_quota(uint64_t usec, char ***args) {
        char buf[64];

        if (usec == UINT64_MAX)
                return push_assignment(args, "CPUQuota", "");
        if (usec % 100 != 0)
                return -EINVAL;
        if (usec % 10000 == 0)
                snprintf(buf, sizeof(buf), "%" PRIu64 "%%", usec / 10000);
        else
                snprintf(buf, sizeof(buf), "%" PRIu64 ".%02" PRIu64 "%%", usec / 10000, usec / 100 % 100);
        return push_assignment(args, "CPUQuota", buf);
}

static int render_uint64(const UnitProperty *p, char ***args) {
        _cleanup_free_ char *base = NULL;
        const char *suffix;
        char buf[64];

        if (streq(p->name, "CPUQuotaPerSecUSec"))
                return render_cpu_quota(p->uint64, args);
        /* Only the empty sets are spelled without capability or namespace names. */
        if (streq(p->name, "CapabilityBoundingSet") || streq(p->name, "AmbientCapabilities"))
                return p->uint64 == 0 ? push_assignment(args, p->name, "") : -EINVAL;
        if (streq(p->name, "RestrictNamespaces"))
                return p->uint64 == 0 ? push_assignment(args, p->name, "yes") : -EINVAL;

        suffix = endswith(p->name, "USec");
        if (p->uint64 == UINT64_MAX)
                snprintf(buf, sizeof(buf), "infinity");
        else
                snprintf(buf, sizeof(buf), "%" PRIu64 "%s", p->uint64, suffix ? "us" : "");
        if (!suffix)
                return push_assignment(args, p->name, buf);
        /* The bus names of time spans end in USec, their text names in Sec. */
        if (asprintf(&base, "%.*sSec", (int) (suffix - p->name), p->name) < 0)
                return -ENOMEM;
        return push_assignment(args, base, buf);
}

static int render_scalar(const UnitProperty *p, char ***args) {
        char buf[64];

        switch (p->type) {
        case UNIT_PROPERTY_STRING:
                if (string_has_cc(p->string))
                        return -EINVAL;
                return push_assignment(args, p->name, p->string);
        case UNIT_PROPERTY_BOOLEAN:
                return push_assignment(args, p->name, p->boolean ? "yes" : "no");
        case UNIT_PROPERTY_INT32:
                if (streq(p->name, "SystemCallErrorNumber")) {
                        const char *e = strerrorname_np(p->int32);
                        return e ? push_assignment(args, p->name, e) : -EINVAL;
                }
                snprintf(buf, sizeof(buf), "%" PRIi32, p->int32);
                return push_assignment(args, p->name, buf);
        case UNIT_PROPERTY_UINT32:
                snprintf(buf, sizeof(buf), streq(p->name, "UMask") ? "%04" PRIo32 : "%" PRIu32, p->uint32);
                return push_assignment(args, p->name, buf);
        case UNIT_PROPERTY_UINT64:
                return render_uint64(p, args);
        default:
                return -EINVAL;
        }
}

/* Joins words with spaces, quoted as needed (quote = true) or refused if they would need it. */
static int join_words(char *const *words, bool quote, const char *prefix, char **ret) {
        _cleanup_free_ char *s = strdup(prefix);

        if (!s)
                return -ENOMEM;
        STRV_FOREACH(w, words) {
                _cleanup_free_ char *q = NULL;
                char *n;
                int r;

                r = quote_word(*w, NULL, &q);
                if (r < 0)
                        return r;
                if (!quote && !streq(q, *w))
                        return -EINVAL;
                if (asprintf(&n, "%s%s%s", s, w == words ? "" : " ", q) < 0)
                        return -ENOMEM;
                free(s);
                s = n;
        }
        *ret = steal_ptr(s);
        return 0;
}

static int render_words(const UnitProperty *p, char ***args) {
        _cleanup_free_ char *value = NULL;
        int r;

        if (p->type == UNIT_PROPERTY_STRV)
                r = join_words(p->strv, true, "", &value);
        else
                r = join_words(p->name_list.names, false, p->name_list.allow ? "" : "~", &value);
        if (r < 0)
                return r;
        return push_assignment(args, p->name, value);
}

/* List types become one assignment per entry: systemd-run adds each to the list, so the unit gets
 * the same entries in the same order. */
static int render_bind_paths(const UnitProperty *p, char ***args) {
        for (size_t i = 0; i < p->bind_paths.n_items; i++) {
                const UnitBindPath *b = &p->bind_paths.items[i];
                _cleanup_free_ char *s = NULL, *d = NULL, *v = NULL;
                int r;

                r = quote_word(b->source, ":", &s);
                if (r < 0)
                        return r;
                r = quote_word(b->destination, ":", &d);
                if (r < 0)
                        return r;
                if (asprintf(&v, "%s%s:%s:%s", b->ignore_enoent ? "-" : "", s, d,
                             b->recursive ? "rbind" : "norbind") < 0)
                        return -ENOMEM;
                r = push_assignment(args, p->name, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int render_ip_addresses(const UnitProperty *p, char ***args) {
        for (size_t i = 0; i < p->ip_addresses.n_items; i++) {
                const UnitIPAddress *a = &p->ip_addresses.items[i];
                char buf[INET6_ADDRSTRLEN + 8];
                size_t l;
                int r;

                if (!inet_ntop(a->family, a->address, buf, sizeof(buf)))
                        return -errno;
                l = strlen(buf);
                snprintf(buf + l, sizeof(buf) - l, "/%u", a->prefixlen);
                r = push_assignment(args, p->name, buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int render_credentials(const UnitProperty *p, char ***args) {
        for (size_t i = 0; i < p->credentials.n_items; i++) {
                const UnitCredential *c = &p->credentials.items[i];
                _cleanup_free_ char *v = NULL;
                int r;

                /* The first ':' ends the name; the path is taken verbatim. */
                if (strchr(c->name, ':') || string_has_cc(c->name) || string_has_cc(c->path))
                        return -EINVAL;
                if (asprintf(&v, "%s:%s", c->name, c->path) < 0)
                        return -ENOMEM;
                r = push_assignment(args, p->name, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* "PATH:OPTIONS", one assignment each. The parser splits at the first ':' and takes the rest as
 * options, so only the path must be free of ':'; anything that would need quoting is refused. */
static int render_tmpfs(const UnitProperty *p, char ***args) {
        for (size_t i = 0; i < p->tmpfs.n_items; i++) {
                const UnitTmpfs *t = &p->tmpfs.items[i];
                _cleanup_free_ char *v = NULL;
                int r;

                if (strpbrk(t->path, ": \"'\\") || strpbrk(t->options, " \"'\\") ||
                    string_has_cc(t->path) || string_has_cc(t->options))
                        return -EINVAL;
                if (asprintf(&v, "%s%s%s", t->path, isempty(t->options) ? "" : ":", t->options) < 0)
                        return -ENOMEM;
                r = push_assignment(args, p->name, v);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* systemd-run turns its trailing arguments into ExecStart=, with argv[0] as the path and failures
 * not ignored; anything else has no systemd-run spelling. */
static int render_exec(const UnitProperty *p, char ***command) {
        if (*command || !streq(p->name, "ExecStart") || p->exec.ignore_failure ||
            !p->exec.argv[0] || !streq(p->exec.path, p->exec.argv[0]))
                return -EINVAL;
        *command = calloc(1, sizeof(char *));
        if (!*command)
                return -ENOMEM;
        STRV_FOREACH(a, p->exec.argv)
                if (strv_extend(command, *a) < 0)
                        return -ENOMEM;
        return 0;
}

static bool is_stdio_fd_property(const char *name) {
        return streq(name, "StandardInputFileDescriptor") ||
                streq(name, "StandardOutputFileDescriptor") ||
                streq(name, "StandardErrorFileDescriptor");
}

static int render_property(const UnitProperty *p, char ***args) {
        switch (p->type) {
        case UNIT_PROPERTY_STRV:
        case UNIT_PROPERTY_NAME_LIST:
                return render_words(p, args);
        case UNIT_PROPERTY_BIND_PATHS:
                return render_bind_paths(p, args);
        case UNIT_PROPERTY_IP_ADDRESSES:
                return render_ip_addresses(p, args);
        case UNIT_PROPERTY_CREDENTIALS:
                return render_credentials(p, args);
        case UNIT_PROPERTY_TMPFS:
                return render_tmpfs(p, args);
        default:
                return render_scalar(p, args);
        }
}

int unit_properties_to_run_args(const UnitProperties *props, char ***ret) {
        _cleanup_strv_free_ char **args = NULL, **command = NULL;
        bool pipe = false;
        int r;

        assert(props);
        assert(ret);

        args = calloc(1, sizeof(char *));
        if (!args)
                return -ENOMEM;
        for (size_t i = 0; i < props->n_items; i++) {
                const UnitProperty *p = &props->items[i];

                if (p->type == UNIT_PROPERTY_FD) {
                        /* --pipe hands systemd-run's own stdin, stdout and stderr to the unit. */
                        if (!is_stdio_fd_property(p->name))
                                return -EINVAL;
                        pipe = true;
                        continue;
                }
                r = p->type == UNIT_PROPERTY_EXEC ? render_exec(p, &command) : render_property(p, &args);
                if (r < 0)
                        return r;
        }
        if (pipe && strv_extend(&args, "--pipe") < 0)
                return -ENOMEM;
        if (command) {
                if (strv_extend(&args, "--") < 0)
                        return -ENOMEM;
                STRV_FOREACH(a, command)
                        if (strv_extend(&args, *a) < 0)
                                return -ENOMEM;
        }
        *ret = steal_ptr(args);
        return 0;
}
