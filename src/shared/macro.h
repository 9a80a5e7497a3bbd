/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cleanup, ownership and errno helpers shared by every OpenMono binary. Whoever holds a
 * _cleanup_ variable owns what it points to; steal_ptr()/steal_fd() hand that ownership on. */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#define _cleanup_(f) __attribute__((__cleanup__(f)))
#define _unused_ __attribute__((__unused__))
#define _printf_(a, b) __attribute__((__format__(printf, a, b)))
#define _sentinel_ __attribute__((__sentinel__))
#define _public_ __attribute__((__visibility__("default")))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define STRINGIFY(x) #x
#define XSTRINGIFY(x) STRINGIFY(x)

/* Turns libc's "-1 and errno" into a negative errno where the call is made. */
#define NEG_ERRNO(expr) ({ long _r = (expr); _r < 0 ? -errno : (int) _r; })

/* Defines fn##p() so that `_cleanup_(fnp)` calls fn() on a non-NULL pointer. fn returns NULL. */
#define DEFINE_PTR_CLEANUP(type, fn)                                    \
        static inline void fn##p(type *p) { if (*p) *p = fn(*p); }
/* The same for foreign destructors whose return value is not the cleared pointer. */
#define DEFINE_FOREIGN_CLEANUP(type, fn)                                \
        static inline void fn##p(type *p) { if (*p) { (void) fn(*p); *p = NULL; } }

#define steal_ptr(v) ({ __typeof__(v) *_pp = &(v), _v = *_pp; *_pp = NULL; _v; })
#define steal_fd(fd) ({ int *_pfd = &(fd), _fd = *_pfd; *_pfd = -EBADF; _fd; })

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Frees *a and moves b into it, leaving b NULL. */
#define free_and_replace(a, b) ({ free(a); (a) = steal_ptr(b); 0; })
/* Replaces the string *p with a copy of s. Returns 0 or -ENOMEM (and leaves *p as it was). */
static inline int free_and_strdup(char **p, const char *s) {
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        free(*p);
        *p = copy;
        return 0;
}

/* The current time of clock in µs. */
static inline uint64_t now(clockid_t clock) {
        struct timespec ts;

        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Closes fd if it is valid, keeps errno intact, and returns -EBADF for `fd = safe_close(fd)`. */
static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline FILE *safe_fclose(FILE *f) {
        if (f)
                (void) fclose(f);
        return NULL;
}
DEFINE_PTR_CLEANUP(FILE *, safe_fclose);
#define _cleanup_fclose_ _cleanup_(safe_fclosep)

DEFINE_FOREIGN_CLEANUP(DIR *, closedir);
DEFINE_FOREIGN_CLEANUP(struct json_object *, json_object_put);

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)
#define isempty(s) (!(s) || !*(s))

/* Returns the part of s after prefix, or NULL if s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix) {
        size_t l = strlen(prefix);
        return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

static inline const char *strna(const char *s) {
        return s ?: "n/a";
}

#if DEVELOPER_MODE
/* Logs, at debug level, the place where an error first appears; evaluates to r. */
#define TRACE_ERR(r) ({ int _e = (r); if (_e < 0) log_trace_error(_e, PROJECT_FILE, __LINE__, __func__); _e; })
#else
#define TRACE_ERR(r) (r)
#endif

#ifndef PROJECT_FILE
#define PROJECT_FILE __FILE__
#endif
