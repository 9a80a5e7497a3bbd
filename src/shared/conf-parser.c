/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The INI parser behind every OpenMono configuration file. It owns the syntax (lines, sections,
 * continuations), the dispatch through ConfigItem tables, the wording of diagnostics, and
 * systemd's search-path and drop-in rules. It never logs: the caller decides how loudly to
 * report what ConfigDiagnostics collected, because a bad file must not take a daemon down. */

#include <assert.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "conf-parser.h"
#include "file-util.h"
#include "parse-util.h"
#include "strv.h"

#define WHITESPACE " \t\r"
/* How much of a value or name a message quotes; enough to recognize it, not to flood a log. */
#define MESSAGE_QUOTE_MAX 80U

typedef struct Parser {
        const char *name;               /* the file name messages show */
        const ConfigItem *table;
        void *userdata;
        ConfigDiagnostics *diag;
        char *section;                  /* the current section, NULL before the first header */
        bool skip_section;              /* unknown or "X-" section: its assignments are ignored */
        unsigned n_warnings;
        char *buf;                      /* the logical line being collected across continuations */
        size_t len;
        unsigned first_line;            /* where that logical line began */
} Parser;

static void parser_done(Parser *p) {
        p->section = mfree(p->section);
        p->buf = mfree(p->buf);
}

void config_diagnostics_done(ConfigDiagnostics *d) {
        if (!d)
                return;
        d->warnings = strv_free(d->warnings);
        d->error = mfree(d->error);
}

/* Returns a copy of s fit for a log line: control characters as \xNN, cut at MESSAGE_QUOTE_MAX
 * bytes (on a UTF-8 character boundary) with "..." appended. Invalid UTF-8 passes through. */
static char *escape_for_message(const char *s) {
        size_t n = strlen(s), cut = MIN(n, (size_t) MESSAGE_QUOTE_MAX);
        char *e, *q;

        while (cut > 0 && cut < n && ((unsigned char) s[cut] & 0xc0) == 0x80)
                cut--;
        e = q = malloc(cut * 4 + sizeof("..."));
        if (!e)
                return NULL;
        for (size_t i = 0; i < cut; i++) {
                unsigned char c = (unsigned char) s[i];

                if (c < 0x20 || c == 0x7f)
                        q += sprintf(q, "\\x%02x", c);
                else
                        *q++ = (char) c;
        }
        strcpy(q, cut < n ? "..." : "");
        return e;
}

_printf_(3, 4)
static int diag_fail(ConfigDiagnostics *d, int error, const char *format, ...) {
        char *m;
        va_list ap;
        int r;

        assert(error < 0);
        if (!d)
                return error;
        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        free(d->error);
        d->error = r < 0 ? NULL : m;
        return error;
}

/* Records the fatal error "name:line: message" and returns error. */
_printf_(4, 5)
static int parser_fail(Parser *p, unsigned line, int error, const char *format, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0)
                m = NULL;
        return diag_fail(p->diag, error, "%s:%u: %s", p->name, line, m ?: strerror(-error));
}

/* Records the warning "name:line: message". Returns 0, or -ENOMEM. */
_printf_(3, 4)
static int parser_warn(Parser *p, unsigned line, const char *format, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        if (!p->diag || p->n_warnings > CONFIG_WARNINGS_MAX)
                return 0;
        /* A file full of typos, or a hostile one, must not flood the log. */
        if (++p->n_warnings > CONFIG_WARNINGS_MAX)
                return strv_extendf(&p->diag->warnings, "%s:%u: more than %u warnings, ignoring the rest",
                                    p->name, line, CONFIG_WARNINGS_MAX);
        va_start(ap, format);
        r = vasprintf(&m, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_extendf(&p->diag->warnings, "%s:%u: %s", p->name, line, m);
}

int config_error_invalid(char **ret_error, int error, const char *what, const char *value) {
        _cleanup_free_ char *e = NULL;
        char *m = NULL;
        int r;

        assert(error < 0);
        if (!ret_error)
                return error;
        e = escape_for_message(value);
        if (!e)
                return error;
        if (error == -EINVAL)
                r = asprintf(&m, "invalid %s '%s'", what, e);
        else
                r = asprintf(&m, "invalid %s '%s': %s", what, e, strerror(-error));
        if (r >= 0) {
                free(*ret_error);
                *ret_error = m;
        }
        return error;
}

static bool is_whitespace(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static char *strip(char *s) {
        size_t n;

        s += strspn(s, WHITESPACE);
        n = strlen(s);
        while (n > 0 && is_whitespace(s[n - 1]))
                s[--n] = '\0';
        return s;
}

static bool is_comment(const char *s, size_t n) {
        size_t i = 0;

        while (i < n && is_whitespace(s[i]))
                i++;
        return i < n && (s[i] == '#' || s[i] == ';');
}

static bool table_has_section(const ConfigItem *table, const char *section) {
        for (const ConfigItem *i = table; i && i->section; i++)
                if (streq(i->section, section))
                        return true;
        return false;
}

static const ConfigItem *table_find(const ConfigItem *table, const char *section, const char *key) {
        for (const ConfigItem *i = table; i && i->section; i++)
                if (streq(i->section, section) && i->key && streq(i->key, key))
                        return i;
        return NULL;
}

static int parser_section(Parser *p, unsigned line, const char *l) {
        _cleanup_free_ char *name = NULL, *e = NULL;
        size_t n = strlen(l);

        if (n < 2 || l[n - 1] != ']')
                return parser_fail(p, line, -EINVAL, "unterminated section header, expected ']'");
        name = strndup(l + 1, n - 2);
        if (!name)
                return -ENOMEM;
        if (isempty(name))
                return parser_fail(p, line, -EINVAL, "empty section name");
        if (strpbrk(name, "[]"))
                return parser_fail(p, line, -EINVAL, "invalid section header, '[' or ']' in the name");

        p->skip_section = !table_has_section(p->table, name);
        if (p->skip_section && !startswith(name, "X-")) {
                int r;

                e = escape_for_message(name);
                if (!e)
                        return -ENOMEM;
                r = parser_warn(p, line, "unknown section [%s], ignoring", e);
                if (r < 0)
                        return r;
        }
        return free_and_replace(p->section, name);
}

/* Records a warning or error about "[Section] Key=", both escaped for the message. */
static int parser_report_key(Parser *p, unsigned line, int error, const char *key, const char *detail) {
        _cleanup_free_ char *es = escape_for_message(p->section), *ek = escape_for_message(key);

        if (!es || !ek)
                return error < 0 ? error : -ENOMEM;
        if (error < 0)
                return parser_fail(p, line, error, "[%s] %s=: %s", es, ek, detail);
        return parser_warn(p, line, "[%s] unknown key '%s', ignoring", es, ek);
}

static int parser_dispatch(Parser *p, unsigned line, const char *key, const char *value) {
        _cleanup_free_ char *msg = NULL;
        const ConfigItem *item;
        void *data;
        int r;

        item = table_find(p->table, p->section, key);
        if (!item)
                return startswith(key, "X-") ? 0 : parser_report_key(p, line, 0, key, NULL);
        if (!item->parse)
                return 0;

        data = p->userdata ? (uint8_t *) p->userdata + item->offset : NULL;
        r = item->parse(p->name, line, p->section, key, value, data, &msg);
        if (r >= 0)
                return 0;
        if (!msg)
                (void) config_error_invalid(&msg, r, "value", value);
        return parser_report_key(p, line, r, key, msg ?: strerror(-r));
}

static int parser_assignment(Parser *p, unsigned line, char *l) {
        _cleanup_free_ char *e = NULL;
        char *eq, *key, *value;

        eq = strchr(l, '=');
        if (!eq) {
                e = escape_for_message(l);
                return parser_fail(p, line, -EINVAL, "expected '[Section]' or 'Key=Value', got '%s'",
                                   strna(e));
        }
        *eq = '\0';
        key = strip(l);
        value = strip(eq + 1);
        if (isempty(key))
                return parser_fail(p, line, -EINVAL, "empty key before '='");
        if (!p->section) {
                e = escape_for_message(key);
                return parser_fail(p, line, -EINVAL, "assignment to '%s' outside of any section",
                                   strna(e));
        }
        if (p->skip_section)
                return 0;
        return parser_dispatch(p, line, key, value);
}

/* Handles one logical line, continuations already joined. */
static int parser_line(Parser *p, unsigned line, char *l) {
        l = strip(l);
        if (*l == '\0')
                return 0;
        if (*l == '[')
                return parser_section(p, line, l);
        return parser_assignment(p, line, l);
}

/* Appends n bytes of s to the logical line, plus a space for a joined continuation. */
static int parser_append(Parser *p, const char *s, size_t n, bool continued) {
        char *b;

        if (p->len + n + continued > CONFIG_LINE_MAX)
                return parser_fail(p, p->first_line, -ENOBUFS,
                                   "line too long, more than %u bytes", CONFIG_LINE_MAX);
        b = realloc(p->buf, p->len + n + 2);
        if (!b)
                return -ENOMEM;
        memcpy(b + p->len, s, n);
        p->len += n;
        if (continued)
                b[p->len++] = ' ';
        b[p->len] = '\0';
        p->buf = b;
        return 0;
}

/* Takes the logical line collected so far, if any, and parses it. */
static int parser_flush(Parser *p) {
        _cleanup_free_ char *l = steal_ptr(p->buf);

        if (!l)
                return 0;
        p->len = 0;
        return parser_line(p, p->first_line, l);
}

/* Feeds one physical line of n bytes (without its '\n'). */
static int parser_feed(Parser *p, unsigned line, const char *s, size_t n) {
        size_t end = n, backslashes = 0;
        int r;

        if (n > CONFIG_LINE_MAX)
                return parser_fail(p, line, -ENOBUFS, "line too long, more than %u bytes",
                                   CONFIG_LINE_MAX);
        if (memchr(s, '\0', n))
                return parser_fail(p, line, -EINVAL, "NUL byte in line");
        if (line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
                s += 3;         /* a UTF-8 byte order mark, as some editors write */
                n -= 3;
                end = n;
        }

        /* As in systemd, comment lines are skipped even inside a continuation, so a long
         * continued list can have commented-out entries. */
        if (is_comment(s, n))
                return 0;
        while (end > 0 && is_whitespace(s[end - 1]))
                end--;
        while (backslashes < end && s[end - 1 - backslashes] == '\\')
                backslashes++;

        if (!p->buf)
                p->first_line = line;
        /* An odd number of trailing backslashes continues the line; "\\" is an escaped one. */
        if (backslashes % 2 == 1)
                return parser_append(p, s, end - 1, /* continued= */ true);
        r = parser_append(p, s, n, /* continued= */ false);
        if (r < 0)
                return r;
        return parser_flush(p);
}

int config_parse_buffer(const char *name, const void *buf, size_t size,
                        const ConfigItem *table, void *userdata, ConfigDiagnostics *diag) {
        _cleanup_(parser_done) Parser p = {
                .name = name,
                .table = table,
                .userdata = userdata,
                .diag = diag,
        };
        const char *s = buf;
        unsigned line = 0;
        int r;

        assert(name);
        assert(buf || size == 0);
        for (size_t pos = 0; pos < size;) {
                const char *eol = memchr(s + pos, '\n', size - pos);
                size_t n = eol ? (size_t) (eol - (s + pos)) : size - pos;

                r = parser_feed(&p, ++line, s + pos, n);
                if (r < 0)
                        return r;
                pos += n + (eol ? 1 : 0);
        }
        /* A backslash on the last line continues into nothing; parse what there is. */
        return parser_flush(&p);
}

static bool is_missing(int error) {
        return error == ENOENT || error == ENOTDIR;
}

/* Parses the file at path. Returns 1 if it was parsed, 0 if it does not exist and missing_ok is
 * set, or a negative errno with the error recorded in diag. */
static int parse_path(const char *path, bool missing_ok, const ConfigItem *table, void *userdata,
                      ConfigDiagnostics *diag) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        size_t size = 0;
        int r;

        /* O_NONBLOCK so that a FIFO in a config directory cannot hang us before the check. */
        fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK);
        if (fd < 0 && missing_ok && is_missing(errno))
                return 0;
        if (fd < 0)
                return diag_fail(diag, -errno, "%s: cannot open: %m", path);
        if (fstat(fd, &st) < 0)
                return diag_fail(diag, -errno, "%s: cannot stat: %m", path);
        /* Character devices are allowed for the /dev/null symlinks that mask a file. */
        if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
                return diag_fail(diag, S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD,
                                 "%s: not a regular file", path);
        r = read_fd_full(fd, CONFIG_FILE_MAX, &buf, &size);
        if (r == -EFBIG)
                return diag_fail(diag, r, "%s: file too large, more than %u bytes", path,
                                 CONFIG_FILE_MAX);
        if (r < 0)
                return diag_fail(diag, r, "%s: cannot read: %s", path, strerror(-r));
        r = config_parse_buffer(path, buf, size, table, userdata, diag);
        return r < 0 ? r : 1;
}

int config_parse_file(const char *path, const ConfigItem *table, void *userdata,
                      ConfigDiagnostics *diag) {
        int r;

        assert(path);
        r = parse_path(path, /* missing_ok= */ false, table, userdata, diag);
        return r < 0 ? r : 0;
}

typedef struct DropIn {
        char *filename;
        char *path;
} DropIn;

typedef struct DropIns {
        DropIn *items;
        size_t n;
} DropIns;

static void dropins_done(DropIns *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].filename);
                free(d->items[i].path);
        }
        d->items = mfree(d->items);
        d->n = 0;
}

static int dropin_compare(const void *a, const void *b) {
        return strcmp(((const DropIn *) a)->filename, ((const DropIn *) b)->filename);
}

/* Adds dir/filename, replacing an entry with the same filename from a lower-precedence dir. */
static int dropins_add(DropIns *d, const char *dir, const char *filename) {
        _cleanup_free_ char *path = NULL, *f = NULL;
        DropIn *items;

        if (asprintf(&path, "%s/%s", dir, filename) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < d->n; i++)
                if (streq(d->items[i].filename, filename))
                        return free_and_replace(d->items[i].path, path);

        f = strdup(filename);
        items = reallocarray(d->items, d->n + 1, sizeof(DropIn));
        if (!f || !items)
                return -ENOMEM;
        d->items = items;
        d->items[d->n++] = (DropIn) { .filename = steal_ptr(f), .path = steal_ptr(path) };
        return 0;
}

static bool is_dropin_name(const char *filename) {
        size_t n = strlen(filename);

        /* Hidden files are editor and package manager leftovers, never configuration. */
        return filename[0] != '.' && n > strlen(".conf") && streq(filename + n - strlen(".conf"), ".conf");
}

/* Adds the *.conf files of dir, if it exists. Subdirectories and dangling symlinks are skipped. */
static int dropins_add_dir(DropIns *d, const char *dir, ConfigDiagnostics *diag) {
        _cleanup_(closedirp) DIR *dd = NULL;
        struct dirent *de;
        int r;

        dd = opendir(dir);
        if (!dd && is_missing(errno))
                return 0;
        if (!dd)
                return diag_fail(diag, -errno, "%s: cannot open directory: %m", dir);

        for (errno = 0; (de = readdir(dd)); errno = 0) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                /* A drop-in that is never read because of its name looks like a setting that
                 * applies: say so, so that "override.cof" does not go unnoticed. */
                if (!is_dropin_name(de->d_name)) {
                        r = diag ? strv_extendf(&diag->warnings, "%s/%s: not a *.conf file, ignored", dir,
                                                de->d_name) : 0;
                        if (r < 0)
                                return r;
                        continue;
                }
                if (fstatat(dirfd(dd), de->d_name, &st, 0) < 0 || S_ISDIR(st.st_mode))
                        continue;
                r = dropins_add(d, dir, de->d_name);
                if (r < 0)
                        return r;
        }
        if (errno > 0)
                return diag_fail(diag, -errno, "%s: cannot read directory: %m", dir);
        return 0;
}

static int parse_main_file(const char *name, const char *const *dirs, const char *root,
                           const ConfigItem *table, void *userdata, ConfigDiagnostics *diag) {
        size_t n = 0;

        while (dirs[n])
                n++;
        /* The highest-precedence copy wins outright; lower ones are not read at all. */
        for (size_t i = n; i > 0; i--) {
                _cleanup_free_ char *path = NULL;
                int r;

                if (asprintf(&path, "%s%s/%s", root ?: "", dirs[i - 1], name) < 0)
                        return -ENOMEM;
                r = parse_path(path, /* missing_ok= */ true, table, userdata, diag);
                if (r != 0)
                        return r;
        }
        return 0;
}

int config_parse_standard(const char *name, const char *const *dirs, const char *root,
                          const ConfigItem *table, void *userdata, ConfigDiagnostics *diag) {
        _cleanup_(dropins_done) DropIns d = {};
        int r;

        assert(name);
        assert(dirs);
        r = parse_main_file(name, dirs, root, table, userdata, diag);
        if (r < 0)
                return r;

        for (const char *const *dir = dirs; *dir; dir++) {
                _cleanup_free_ char *path = NULL;

                if (asprintf(&path, "%s%s/%s.d", root ?: "", *dir, name) < 0)
                        return -ENOMEM;
                r = dropins_add_dir(&d, path, diag);
                if (r < 0)
                        return r;
        }
        if (d.n > 0)
                qsort(d.items, d.n, sizeof(DropIn), dropin_compare);
        for (size_t i = 0; i < d.n; i++) {
                r = parse_path(d.items[i].path, /* missing_ok= */ true, table, userdata, diag);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_parse_string(const char *filename, unsigned line, const char *section, const char *key,
                        const char *value, void *data, char **ret_error) {
        char **s = data, *c = NULL;

        if (!isempty(value)) {
                c = strdup(value);
                if (!c)
                        return -ENOMEM;
        }
        return free_and_replace(*s, c);
}

int config_parse_bool(const char *filename, unsigned line, const char *section, const char *key,
                      const char *value, void *data, char **ret_error) {
        int r = parse_boolean(value);

        if (r < 0)
                return config_error_invalid(ret_error, r, "boolean", value);
        *(bool *) data = r;
        return 0;
}

int config_parse_unsigned(const char *filename, unsigned line, const char *section, const char *key,
                          const char *value, void *data, char **ret_error) {
        int r = parse_unsigned(value, data);

        return r < 0 ? config_error_invalid(ret_error, r, "unsigned integer", value) : 0;
}

int config_parse_uint64(const char *filename, unsigned line, const char *section, const char *key,
                        const char *value, void *data, char **ret_error) {
        int r = parse_uint64(value, data);

        return r < 0 ? config_error_invalid(ret_error, r, "unsigned integer", value) : 0;
}

int config_parse_size(const char *filename, unsigned line, const char *section, const char *key,
                      const char *value, void *data, char **ret_error) {
        int r = parse_size(value, data);

        return r < 0 ? config_error_invalid(ret_error, r, "size", value) : 0;
}

int config_parse_timespan(const char *filename, unsigned line, const char *section, const char *key,
                          const char *value, void *data, char **ret_error) {
        int r = parse_timespan(value, data);

        return r < 0 ? config_error_invalid(ret_error, r, "time span", value) : 0;
}

int config_parse_percent(const char *filename, unsigned line, const char *section, const char *key,
                         const char *value, void *data, char **ret_error) {
        int r = parse_percent(value, data);

        return r < 0 ? config_error_invalid(ret_error, r, "percentage", value) : 0;
}

int config_parse_strv(const char *filename, unsigned line, const char *section, const char *key,
                      const char *value, void *data, char **ret_error) {
        _cleanup_strv_free_ char **words = NULL;
        char ***l = data, **c;
        size_t n, k;
        int r;

        /* As in systemd, an empty assignment resets the list, so a drop-in can replace what the
         * main file set instead of only adding to it. */
        if (isempty(value)) {
                *l = strv_free(*l);
                return 0;
        }
        r = strv_split(value, WHITESPACE, &words);
        if (r < 0)
                return r;
        n = strv_length(*l);
        k = strv_length(words);
        c = reallocarray(*l, n + k + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        memcpy(c + n, words, (k + 1) * sizeof(char *));
        *l = c;
        words = mfree(words);   /* only the array: its strings belong to *l now */
        return 0;
}
