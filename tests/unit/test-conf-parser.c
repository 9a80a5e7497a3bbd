/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "conf-parser.h"
#include "parse-util.h"
#include "strv.h"
#include "test-files.h"

typedef enum Mode {
        MODE_FAST,
        MODE_SLOW,
        _MODE_MAX,
        _MODE_INVALID = -EINVAL,
} Mode;

static Mode mode_from_string(const char *s) {
        if (streq(s, "fast"))
                return MODE_FAST;
        if (streq(s, "slow"))
                return MODE_SLOW;
        return _MODE_INVALID;
}

static DEFINE_CONFIG_PARSE_ENUM(config_parse_mode, mode_from_string, Mode, "mode");

/* A parse function of the caller's own that fails without a message of its own. */
static int config_parse_even(const char *filename, unsigned line, const char *section, const char *key,
                             const char *value, void *data, char **ret_error) {
        unsigned u;
        int r;

        r = parse_unsigned(value, &u);
        if (r < 0)
                return config_error_invalid(ret_error, r, "number", value);
        if (u % 2 != 0)
                return -EDOM;
        *(unsigned *) data = u;
        return 0;
}

typedef struct Settings {
        char *name;
        bool enabled;
        unsigned workers;
        uint64_t count;
        uint64_t memory;
        uint64_t timeout;
        unsigned quota;
        char **list;
        Mode mode;
} Settings;

static const ConfigItem items[] = {
        { "Main", "Name", config_parse_string, offsetof(Settings, name) },
        { "Main", "Enabled", config_parse_bool, offsetof(Settings, enabled) },
        { "Main", "Workers", config_parse_unsigned, offsetof(Settings, workers) },
        { "Main", "Count", config_parse_uint64, offsetof(Settings, count) },
        { "Main", "List", config_parse_strv, offsetof(Settings, list) },
        { "Main", "Mode", config_parse_mode, offsetof(Settings, mode) },
        { "Main", "Obsolete", NULL, 0 },
        { "Main", "Even", config_parse_even, offsetof(Settings, workers) },
        { "Limits", "MemoryMax", config_parse_size, offsetof(Settings, memory) },
        { "Limits", "TimeoutSec", config_parse_timespan, offsetof(Settings, timeout) },
        { "Limits", "CPUQuota", config_parse_percent, offsetof(Settings, quota) },
        {}
};

static void settings_done(Settings *s) {
        free(s->name);
        strv_free(s->list);
        *s = (Settings) {};
}

/* Parses text as "test.conf" into a fresh *s. */
static int parse(const char *text, Settings *s, ConfigDiagnostics *d) {
        settings_done(s);
        return config_parse_buffer("test.conf", text, strlen(text), items, s, d);
}

static void assert_strv_equal(char **l, ...) {
        va_list ap;
        size_t i = 0;

        va_start(ap, l);
        for (const char *e; (e = va_arg(ap, const char *)); i++) {
                assert_non_null(l);
                assert_non_null(l[i]);
                assert_string_equal(l[i], e);
        }
        va_end(ap);
        assert_true(i == 0 ? !l || !l[0] : !l[i]);
}

static void test_syntax(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};

        assert_int_equal(parse("\xef\xbb\xbf# a comment\n"
                               "; another comment\n"
                               "   # an indented one\n"
                               "\n"
                               "[Main]\n"
                               "  Name  =  hello world  \n"
                               "Enabled=yes\r\n"
                               "Workers=4\n"
                               "Workers=8\n"
                               "Count= 18446744073709551615\n"
                               "Mode=slow\n"
                               "Obsolete=whatever\n"
                               "\t\n"
                               "[Limits]\n"
                               "MemoryMax=1.5G\n"
                               "TimeoutSec=2h 30min\n"
                               "CPUQuota=200%", &s, &d), 0);
        assert_null(d.error);
        assert_null(d.warnings);
        assert_string_equal(s.name, "hello world");
        assert_true(s.enabled);
        assert_int_equal(s.workers, 8);
        assert_true(s.count == UINT64_MAX);
        assert_int_equal(s.mode, MODE_SLOW);
        assert_int_equal(s.memory, 3ULL << 29);
        assert_int_equal(s.timeout, 2 * USEC_PER_HOUR + 30 * USEC_PER_MINUTE);
        assert_int_equal(s.quota, 200);

        /* A value keeps its inner '=', and an empty one clears a string. */
        assert_int_equal(parse("[Main]\nName=a=b\n", &s, &d), 0);
        assert_string_equal(s.name, "a=b");
        assert_int_equal(parse("[Main]\nName=a\nName=\n", &s, &d), 0);
        assert_null(s.name);

        /* Invalid UTF-8 passes through as a value. */
        assert_int_equal(parse("[Main]\nName=\xff\xfe\xc3\n", &s, &d), 0);
        assert_string_equal(s.name, "\xff\xfe\xc3");

        /* An empty buffer and a buffer of only comments are fine. */
        assert_int_equal(config_parse_buffer("empty.conf", NULL, 0, items, &s, NULL), 0);
        assert_int_equal(parse("#\n;\n\n", &s, NULL), 0);
}

static void test_continuation(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};

        assert_int_equal(parse("[Main]\n"
                               "List=a \\\n"
                               "  b \\\n"
                               "# a commented-out entry \\\n"
                               "; and another\n"
                               "  c\n"
                               "Name=x\n", &s, &d), 0);
        assert_strv_equal(s.list, "a", "b", "c", NULL);
        assert_string_equal(s.name, "x");

        /* An escaped backslash does not continue; a backslash with trailing blanks does. */
        assert_int_equal(parse("[Main]\nName=a\\\\\nWorkers=3\n", &s, &d), 0);
        assert_string_equal(s.name, "a\\\\");
        assert_int_equal(s.workers, 3);
        assert_int_equal(parse("[Main]\nName=a\\  \nb\n", &s, &d), 0);
        assert_string_equal(s.name, "a b");

        /* A continuation into the end of the file ends there. */
        assert_int_equal(parse("[Main]\nName=end\\", &s, &d), 0);
        assert_string_equal(s.name, "end");

        /* Errors in a continued line name the line where it began. */
        assert_int_equal(parse("[Main]\n\nWorkers=1\\\n2\\\nx\n", &s, &d), -EINVAL);
        assert_string_equal(d.error, "test.conf:3: [Main] Workers=: invalid unsigned integer '1 2 x'");
}

static void test_strv_reset(void **state) {
        _cleanup_(settings_done) Settings s = {};

        assert_int_equal(parse("[Main]\nList=a b\nList=\tc  d\n", &s, NULL), 0);
        assert_strv_equal(s.list, "a", "b", "c", "d", NULL);
        assert_int_equal(parse("[Main]\nList=a b\nList=\nList=z\n", &s, NULL), 0);
        assert_strv_equal(s.list, "z", NULL);
        assert_int_equal(parse("[Main]\nList=a\nList=\n", &s, NULL), 0);
        assert_null(s.list);
}

static void test_unknown(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};

        assert_int_equal(parse("[Main]\n"
                               "Foo=1\n"
                               "X-Vendor-Key=2\n"
                               "[Other]\n"
                               "Bar=3\n"
                               "[X-Vendor]\n"
                               "Baz=4\n"
                               "[Limits]\n"
                               "Name=5\n"
                               "[Main]\n"
                               "workers=7\n"
                               "Workers=6\n", &s, &d), 0);
        assert_null(d.error);
        assert_strv_equal(d.warnings,
                          "test.conf:2: [Main] unknown key 'Foo', ignoring",
                          "test.conf:4: unknown section [Other], ignoring",
                          "test.conf:9: [Limits] unknown key 'Name', ignoring",
                          "test.conf:11: [Main] unknown key 'workers', ignoring",
                          NULL);
        assert_null(s.name);
        assert_int_equal(s.workers, 6);

        /* Warnings accumulate over several parses. */
        assert_int_equal(parse("[Nope]\n", &s, &d), 0);
        assert_int_equal(strv_length(d.warnings), 5);
        assert_string_equal(d.warnings[4], "test.conf:1: unknown section [Nope], ignoring");

        /* Without diagnostics, warnings are simply dropped. */
        assert_int_equal(parse("[Nope]\nFoo=1\n[Main]\nBar=2\n", &s, NULL), 0);
}

static void test_too_many_warnings(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        FILE *f;

        f = open_memstream(&text, &n);
        assert_non_null(f);
        fputs("[Main]\n", f);
        for (unsigned i = 0; i < 500; i++)
                fprintf(f, "Typo%u=1\n", i);
        assert_int_equal(fclose(f), 0);

        assert_int_equal(parse(text, &s, &d), 0);
        assert_int_equal(strv_length(d.warnings), CONFIG_WARNINGS_MAX + 1);
        assert_string_equal(d.warnings[0], "test.conf:2: [Main] unknown key 'Typo0', ignoring");
        assert_string_equal(d.warnings[CONFIG_WARNINGS_MAX],
                            "test.conf:102: more than 100 warnings, ignoring the rest");
}

static void test_errors(void **state) {
        static const struct {
                const char *text;
                int error;
                const char *message;
        } cases[] = {
                { "Name=x\n", -EINVAL, "test.conf:1: assignment to 'Name' outside of any section" },
                { "[Main]\nfoo\n", -EINVAL, "test.conf:2: expected '[Section]' or 'Key=Value', got 'foo'" },
                { "[Main\n", -EINVAL, "test.conf:1: unterminated section header, expected ']'" },
                { "[Main] # no\n", -EINVAL, "test.conf:1: unterminated section header, expected ']'" },
                { "[\n", -EINVAL, "test.conf:1: unterminated section header, expected ']'" },
                { "[]\n", -EINVAL, "test.conf:1: empty section name" },
                { "[a]b]\n", -EINVAL, "test.conf:1: invalid section header, '[' or ']' in the name" },
                { "[Main]\n  = x\n", -EINVAL, "test.conf:2: empty key before '='" },
                { "[Main]\n\nWorkers=many\n", -EINVAL,
                  "test.conf:3: [Main] Workers=: invalid unsigned integer 'many'" },
                { "[Main]\nWorkers=4294967296\n", -ERANGE,
                  "test.conf:2: [Main] Workers=: invalid unsigned integer '4294967296': "
                  "Numerical result out of range" },
                { "[Main]\nWorkers=\n", -EINVAL,
                  "test.conf:2: [Main] Workers=: invalid unsigned integer ''" },
                { "[Main]\nCount=-1\n", -EINVAL,
                  "test.conf:2: [Main] Count=: invalid unsigned integer '-1'" },
                { "[Main]\nEnabled=maybe\n", -EINVAL,
                  "test.conf:2: [Main] Enabled=: invalid boolean 'maybe'" },
                { "[Main]\nMode=warp\n", -EINVAL, "test.conf:2: [Main] Mode=: invalid mode 'warp'" },
                { "[Main]\nEven=3\n", -EDOM,
                  "test.conf:2: [Main] Even=: invalid value '3': Numerical argument out of domain" },
                { "[Main]\nEven=two\n", -EINVAL, "test.conf:2: [Main] Even=: invalid number 'two'" },
                { "[Limits]\nTimeoutSec=soon\n", -EINVAL,
                  "test.conf:2: [Limits] TimeoutSec=: invalid time span 'soon'" },
                { "[Limits]\nMemoryMax=lots\n", -EINVAL,
                  "test.conf:2: [Limits] MemoryMax=: invalid size 'lots'" },
                { "[Limits]\nCPUQuota=50\n", -EINVAL,
                  "test.conf:2: [Limits] CPUQuota=: invalid percentage '50'" },
                { "[Main]\nWorkers=\x1b[31m\x7f\n", -EINVAL,
                  "test.conf:2: [Main] Workers=: invalid unsigned integer '\\x1b[31m\\x7f'" },
                { "[Main]\nWorkers=" "0123456789" "0123456789" "0123456789" "0123456789" "0123456789"
                  "0123456789" "0123456789" "0123456789" "0123456789\n", -ERANGE,
                  "test.conf:2: [Main] Workers=: invalid unsigned integer '"
                  "0123456789" "0123456789" "0123456789" "0123456789" "0123456789"
                  "0123456789" "0123456789" "0123456789" "...': Numerical result out of range" },
        };
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                assert_int_equal(parse(cases[i].text, &s, &d), cases[i].error);
                assert_non_null(d.error);
                assert_string_equal(d.error, cases[i].message);
        }
        assert_null(d.warnings);

        /* Without diagnostics the error code still comes back. */
        assert_int_equal(parse("[Main\n", &s, NULL), -EINVAL);
}

static void test_error_stops_parsing(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};

        assert_int_equal(parse("[Main]\nWorkers=1\nEnabled=perhaps\nWorkers=2\n", &s, &d), -EINVAL);
        assert_int_equal(s.workers, 1);
        assert_string_equal(d.error, "test.conf:3: [Main] Enabled=: invalid boolean 'perhaps'");
}

static void test_limits(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        static const char nul[] = "[Main]\nName=a\0b\n";
        _cleanup_free_ char *big = NULL, *cont = NULL;
        char *p;

        assert_int_equal(config_parse_buffer("nul.conf", nul, sizeof nul - 1, items, &s, &d), -EINVAL);
        assert_string_equal(d.error, "nul.conf:2: NUL byte in line");

        /* One physical line over the limit; exactly at it is fine. */
        big = malloc(CONFIG_LINE_MAX + 64);
        assert_non_null(big);
        p = stpcpy(big, "[Main]\nName=");
        memset(p, 'a', CONFIG_LINE_MAX - strlen("Name=") + 1);
        strcpy(p + CONFIG_LINE_MAX - strlen("Name=") + 1, "\n");
        assert_int_equal(parse(big, &s, &d), -ENOBUFS);
        assert_string_equal(d.error, "test.conf:2: line too long, more than 65536 bytes");
        strcpy(p + CONFIG_LINE_MAX - strlen("Name="), "\n");
        assert_int_equal(parse(big, &s, &d), 0);
        assert_int_equal(strlen(s.name), CONFIG_LINE_MAX - strlen("Name="));

        /* Short lines joined into one logical line over the limit; named by its first line. */
        cont = malloc(100 * 1001 + 64);
        assert_non_null(cont);
        p = stpcpy(cont, "[Main]\n\nList=");
        for (unsigned i = 0; i < 100; i++) {
                memset(p, 'b', 998);
                p = stpcpy(p + 998, "\\\n");
        }
        strcpy(p, "end\n");
        assert_int_equal(parse(cont, &s, &d), -ENOBUFS);
        assert_string_equal(d.error, "test.conf:3: line too long, more than 65536 bytes");
}

static void remove_path(const char *root, const char *rel) {
        _cleanup_free_ char *path = root_path(root, rel);

        assert_int_equal(remove(path), 0);
}

static void make_symlink(const char *root, const char *rel, const char *target) {
        _cleanup_free_ char *path = root_path(root, rel);

        assert_int_equal(symlink(target, path), 0);
}

/* Lower to higher precedence, as vendor, admin and runtime directories are. */
static const char *const dirs[] = { "/usr/share/om", "/etc/om", "/run/om", NULL };

static void test_standard_masking(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        const char *root = *state;

        /* Nothing exists at all: defaults stay. */
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), 0);
        assert_null(d.error);
        assert_int_equal(s.workers, 0);

        /* Only the vendor file: it is used. */
        write_file(root, "usr/share/om/test.conf", "[Main]\nName=vendor\nWorkers=1\n");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), 0);
        assert_string_equal(s.name, "vendor");
        assert_int_equal(s.workers, 1);

        /* The admin's copy masks the vendor's entirely: Workers= from the vendor is gone. A
         * dangling symlink in place of the runtime directory counts as missing. */
        settings_done(&s);
        write_file(root, "etc/om/test.conf", "[Main]\nName=etc\n");
        make_symlink(root, "run", "/nonexistent");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), 0);
        assert_string_equal(s.name, "etc");
        assert_int_equal(s.workers, 0);

        /* A runtime symlink to /dev/null masks both. */
        settings_done(&s);
        remove_path(root, "run");
        write_file(root, "run/om/unrelated", "");
        make_symlink(root, "run/om/test.conf", "/dev/null");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), 0);
        assert_null(s.name);
        assert_null(d.warnings);
        assert_null(d.error);
}

static void test_standard_dropins(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        _cleanup_free_ char *warning = NULL;
        const char *root = *state;

        write_file(root, "usr/share/om/test.conf", "[Main]\nName=main\nList=m\n");
        write_file(root, "usr/share/om/test.conf.d/10-a.conf", "[Main]\nWorkers=10\nList=a\n");
        write_file(root, "usr/share/om/test.conf.d/50-b.conf", "[Main]\nName=b-vendor\nList=b-vendor\n");
        write_file(root, "usr/share/om/test.conf.d/30-masked.conf", "[Main]\nList=masked\n");
        write_file(root, "usr/share/om/test.conf.d/README", "not a drop-in\n");
        write_file(root, "usr/share/om/test.conf.d/.hidden.conf", "not a drop-in\n");
        write_file(root, "usr/share/om/test.conf.d/sub.conf/x", "not a drop-in\n");
        write_file(root, "etc/om/test.conf.d/50-b.conf", "[Main]\nName=b-etc\nList=b-etc\n");
        make_symlink(root, "etc/om/test.conf.d/30-masked.conf", "/dev/null");
        write_file(root, "run/om/test.conf.d/20-c.conf", "[Main]\nList=c\n\nUnknown=1\n");

        /* Main file first, then the drop-ins by filename across all directories. */
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), 0);
        assert_null(d.error);
        assert_string_equal(s.name, "b-etc");
        assert_int_equal(s.workers, 10);
        assert_strv_equal(s.list, "m", "a", "c", "b-etc", NULL);
        assert_true(asprintf(&warning, "%s/run/om/test.conf.d/20-c.conf:4: [Main] unknown key 'Unknown', "
                             "ignoring", root) > 0);
        /* Files that are not read because of their names are named too, never silently skipped. */
        assert_int_equal(strv_length(d.warnings), 3);
        assert_true(strv_contains(d.warnings, warning));
        warning = mfree(warning);
        assert_true(asprintf(&warning, "%s/usr/share/om/test.conf.d/README: not a *.conf file, ignored", root) > 0);
        assert_true(strv_contains(d.warnings, warning));
        warning = mfree(warning);
        assert_true(asprintf(&warning, "%s/usr/share/om/test.conf.d/.hidden.conf: not a *.conf file, ignored",
                             root) > 0);
        assert_true(strv_contains(d.warnings, warning));

        /* A late drop-in resets the list the earlier files built. */
        settings_done(&s);
        write_file(root, "etc/om/test.conf.d/99-z.conf", "[Main]\nList=\nList=z\n");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, NULL), 0);
        assert_strv_equal(s.list, "z", NULL);

        /* Drop-ins apply without a main file too. */
        settings_done(&s);
        remove_path(root, "usr/share/om/test.conf");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, NULL), 0);
        assert_strv_equal(s.list, "z", NULL);
        assert_string_equal(s.name, "b-etc");
}

static void test_standard_errors(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        _cleanup_free_ char *expected = NULL;
        const char *root = *state;

        write_file(root, "usr/share/om/test.conf.d/60-bad.conf", "[Main]\n\nWorkers=ten\n");
        write_file(root, "usr/share/om/test.conf.d/70-late.conf", "[Main]\nName=late\n");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), -EINVAL);
        assert_true(asprintf(&expected, "%s/usr/share/om/test.conf.d/60-bad.conf:3: [Main] Workers=: "
                             "invalid unsigned integer 'ten'", root) > 0);
        assert_string_equal(d.error, expected);
        assert_null(s.name);    /* parsing stopped at the bad file */

        /* A directory where the main file should be is an error, not a missing file. */
        expected = mfree(expected);
        write_file(root, "etc/om/test.conf/x", "");
        assert_int_equal(config_parse_standard("test.conf", dirs, root, items, &s, &d), -EISDIR);
        assert_true(asprintf(&expected, "%s/etc/om/test.conf: not a regular file", root) > 0);
        assert_string_equal(d.error, expected);
}

static void test_standard_no_root(void **state) {
        _cleanup_(settings_done) Settings s = {};
        _cleanup_free_ char *a = NULL, *b = NULL;
        const char *root = *state;

        a = root_path(root, "a");
        b = root_path(root, "b");
        write_file(root, "a/x.conf", "[Main]\nWorkers=1\n");
        write_file(root, "b/x.conf.d/1.conf", "[Main]\nName=b\n");
        assert_int_equal(config_parse_standard("x.conf", (const char *const[]) { a, b, NULL },
                                               /* root= */ NULL, items, &s, NULL), 0);
        assert_int_equal(s.workers, 1);
        assert_string_equal(s.name, "b");
}

static void test_parse_file(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        _cleanup_free_ char *missing = NULL, *dir = NULL, *fifo = NULL, *expected = NULL;
        const char *root = *state;

        missing = root_path(root, "missing.conf");
        assert_int_equal(config_parse_file(missing, items, &s, &d), -ENOENT);
        assert_true(asprintf(&expected, "%s: cannot open: No such file or directory", missing) > 0);
        assert_string_equal(d.error, expected);

        expected = mfree(expected);
        dir = root_path(root, "dir.conf");
        assert_int_equal(mkdir(dir, 0755), 0);
        assert_int_equal(config_parse_file(dir, items, &s, &d), -EISDIR);
        assert_true(asprintf(&expected, "%s: not a regular file", dir) > 0);
        assert_string_equal(d.error, expected);

        fifo = root_path(root, "fifo.conf");
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_int_equal(config_parse_file(fifo, items, &s, &d), -EBADFD);

        write_file(root, "good.conf", "[Main]\nWorkers=5\n");
        expected = mfree(expected);
        expected = root_path(root, "good.conf");
        assert_int_equal(config_parse_file(expected, items, &s, &d), 0);
        assert_int_equal(s.workers, 5);
}

/* A config file is read whole up to CONFIG_FILE_MAX bytes, not one byte more. */
static void test_parse_file_size(void **state) {
        _cleanup_(config_diagnostics_done) ConfigDiagnostics d = {};
        _cleanup_(settings_done) Settings s = {};
        _cleanup_free_ char *text = malloc(CONFIG_FILE_MAX + 2), *path = NULL;
        const char *root = *state;

        assert_non_null(text);
        /* Comment lines, then one setting that ends exactly at the limit. */
        memset(text, '#', CONFIG_FILE_MAX);
        for (size_t i = 79; i < CONFIG_FILE_MAX; i += 80)
                text[i] = '\n';
        memcpy(text + CONFIG_FILE_MAX - 18, "\n[Main]\nWorkers=7\n", 18);
        text[CONFIG_FILE_MAX] = 0;
        write_file(root, "max.conf", text);
        path = root_path(root, "max.conf");
        assert_int_equal(config_parse_file(path, items, &s, &d), 0);
        assert_int_equal(s.workers, 7);

        text[CONFIG_FILE_MAX] = '#';
        text[CONFIG_FILE_MAX + 1] = 0;
        write_file(root, "big.conf", text);
        path = mfree(path);
        path = root_path(root, "big.conf");
        assert_int_equal(config_parse_file(path, items, &s, &d), -EFBIG);
        assert_non_null(strstr(d.error, "file too large"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_syntax),
                cmocka_unit_test(test_continuation),
                cmocka_unit_test(test_strv_reset),
                cmocka_unit_test(test_unknown),
                cmocka_unit_test(test_too_many_warnings),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_error_stops_parsing),
                cmocka_unit_test(test_limits),
                cmocka_unit_test_setup_teardown(test_standard_masking, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_standard_dropins, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_standard_errors, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_standard_no_root, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_parse_file, setup_root, teardown_root),
                cmocka_unit_test_setup_teardown(test_parse_file_size, setup_root, teardown_root),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
