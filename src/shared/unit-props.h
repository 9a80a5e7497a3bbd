/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An ordered list of typed unit properties, as StartTransientUnit takes them: each has the D-Bus
 * name systemd uses, a type with a fixed D-Bus signature, and an owned value. The list can be
 * appended to a bus message or rendered as `systemd-run -p` arguments with the same meaning. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "macro.h"

typedef enum UnitPropertyType {
        UNIT_PROPERTY_STRING,           /* s */
        UNIT_PROPERTY_BOOLEAN,          /* b */
        UNIT_PROPERTY_INT32,            /* i */
        UNIT_PROPERTY_UINT32,           /* u */
        UNIT_PROPERTY_UINT64,           /* t */
        UNIT_PROPERTY_STRV,             /* as */
        UNIT_PROPERTY_NAME_LIST,        /* (bas): true = allow list, false = deny list */
        UNIT_PROPERTY_BIND_PATHS,       /* a(ssbt): source, destination, ignore ENOENT, MS_REC */
        UNIT_PROPERTY_IP_ADDRESSES,     /* a(iayu): family, address bytes, prefix length */
        UNIT_PROPERTY_CREDENTIALS,      /* a(ss): name, path */
        UNIT_PROPERTY_EXEC,             /* a(sasb): path, argv, ignore failure */
        UNIT_PROPERTY_FD,               /* h */
        UNIT_PROPERTY_TMPFS,            /* a(ss): mount point, mount options */
        _UNIT_PROPERTY_TYPE_MAX,
        _UNIT_PROPERTY_TYPE_INVALID = -EINVAL,
} UnitPropertyType;

typedef struct UnitBindPath {
        char *source;
        char *destination;
        bool ignore_enoent;             /* the '-' prefix: a missing source does not fail the unit */
        bool recursive;                 /* MS_REC ("rbind", the default) */
} UnitBindPath;

typedef struct UnitIPAddress {
        int family;                     /* AF_INET or AF_INET6 */
        uint8_t address[16];            /* 4 or 16 bytes used, network order */
        unsigned prefixlen;
} UnitIPAddress;

typedef struct UnitCredential {
        char *name;
        char *path;
} UnitCredential;

typedef struct UnitTmpfs {
        char *path;
        char *options;                  /* tmpfs options as mount(8) takes them, e.g. "mode=0755,nodev" */
} UnitTmpfs;

typedef struct UnitProperty {
        char *name;
        UnitPropertyType type;
        union {
                char *string;
                bool boolean;
                int32_t int32;
                uint32_t uint32;
                uint64_t uint64;
                char **strv;
                struct {
                        bool allow;
                        char **names;
                } name_list;
                struct {
                        UnitBindPath *items;
                        size_t n_items;
                } bind_paths;
                struct {
                        UnitIPAddress *items;
                        size_t n_items;
                } ip_addresses;
                struct {
                        UnitCredential *items;
                        size_t n_items;
                } credentials;
                struct {
                        char *path;
                        char **argv;
                        bool ignore_failure;
                } exec;
                int fd;                 /* owned */
                struct {
                        UnitTmpfs *items;
                        size_t n_items;
                } tmpfs;
        };
} UnitProperty;

typedef struct UnitProperties {
        UnitProperty *items;
        size_t n_items;
} UnitProperties;

const char *unit_property_type_to_string(UnitPropertyType t);
UnitPropertyType unit_property_type_from_string(const char *s);
/* Returns the D-Bus signature of the variant that carries a property of type t, or NULL. */
const char *unit_property_type_signature(UnitPropertyType t);

/* Returns an empty list, or NULL when out of memory. */
UnitProperties *unit_properties_new(void);
/* Frees the list and every value, closing fds; accepts NULL and returns NULL. */
UnitProperties *unit_properties_free(UnitProperties *props);
DEFINE_PTR_CLEANUP(UnitProperties *, unit_properties_free);

/* Returns the first property called name, or NULL. */
const UnitProperty *unit_properties_find(const UnitProperties *props, const char *name);
/* Returns how many properties are called name. */
size_t unit_properties_count(const UnitProperties *props, const char *name);

/* The add functions copy their arguments and return 0 or -ENOMEM (-EBADF for a bad fd). Each call
 * adds a new property, except the list types (bind paths, IP addresses, credentials, tmpfs), which
 * extend the last property of the same name and type if there is one. */
int unit_properties_add_string(UnitProperties *props, const char *name, const char *value);
int unit_properties_add_boolean(UnitProperties *props, const char *name, bool value);
int unit_properties_add_int32(UnitProperties *props, const char *name, int32_t value);
int unit_properties_add_uint32(UnitProperties *props, const char *name, uint32_t value);
int unit_properties_add_uint64(UnitProperties *props, const char *name, uint64_t value);
int unit_properties_add_strv(UnitProperties *props, const char *name, char *const *values);
int unit_properties_add_name_list(UnitProperties *props, const char *name, bool allow, char *const *names);
int unit_properties_add_bind_path(UnitProperties *props, const char *name,
                                  const char *source, const char *destination, bool ignore_enoent);
int unit_properties_add_ip_address(UnitProperties *props, const char *name,
                                   int family, const uint8_t *address, unsigned prefixlen);
int unit_properties_add_credential(UnitProperties *props, const char *name,
                                   const char *credential, const char *path);
int unit_properties_add_tmpfs(UnitProperties *props, const char *name, const char *path, const char *options);
int unit_properties_add_exec(UnitProperties *props, const char *name, char *const *argv);
/* Adds a duplicate of fd (the caller keeps its own). */
int unit_properties_add_fd(UnitProperties *props, const char *name, int fd);

/* Appends one "(sv)" entry per property to m, which must be inside an open "a(sv)" container
 * (the caller opens and closes it, as for StartTransientUnit). Returns 0 or a negative errno from
 * sd-bus. */
int unit_properties_append(sd_bus_message *m, const UnitProperties *props);

/* Renders the properties as arguments for systemd-run (252) with the same meaning: "-p", "Name=value"
 * pairs, "--pipe" for stdio fds (systemd-run then passes its own stdin, stdout and stderr), and
 * the command last after "--", so callers put their own options (--wait, --unit=) before these.
 * Returns 0 and a new strv in *ret, -EINVAL for anything systemd-run cannot express with the same
 * meaning (control characters, a name list entry that needs quoting, a capability or namespace set
 * other than the empty one, an exec property other than one ExecStart=, an fd that is not stdio),
 * or -ENOMEM. */
int unit_properties_to_run_args(const UnitProperties *props, char ***ret);
