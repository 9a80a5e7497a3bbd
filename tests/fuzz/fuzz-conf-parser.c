/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the configuration parser as one file, through every ready-made value
 * parser and an enum, as a local user writing a project or cron file could. Checks the absence
 * of crashes and leaks, that every diagnostic names the file, and that each time span that
 * parses is formatted back to a string that parses to the same value. */

#include <stdint.h>

#include "conf-parser.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct FuzzSettings {
        char *string;
        bool boolean;
        unsigned number;
        uint64_t big;
        uint64_t size;
        uint64_t usec;
        unsigned percent;
        char **list;
        int level;
} FuzzSettings;

static DEFINE_CONFIG_PARSE_ENUM(config_parse_level, log_level_from_string, int, "log level");

static int config_parse_timespan_roundtrip(const char *filename, unsigned line, const char *section,
                                           const char *key, const char *value, void *data,
                                           char **ret_error) {
        char buf[FORMAT_TIMESPAN_MAX];
        uint64_t *usec = data, again;
        int r;

        r = config_parse_timespan(filename, line, section, key, value, data, ret_error);
        if (r < 0)
                return r;
        if (parse_timespan(format_timespan(buf, sizeof buf, *usec), &again) < 0 || again != *usec)
                abort();
        return 0;
}

static const ConfigItem items[] = {
        { "A", "String", config_parse_string, offsetof(FuzzSettings, string) },
        { "A", "Bool", config_parse_bool, offsetof(FuzzSettings, boolean) },
        { "A", "Unsigned", config_parse_unsigned, offsetof(FuzzSettings, number) },
        { "A", "Uint64", config_parse_uint64, offsetof(FuzzSettings, big) },
        { "A", "Size", config_parse_size, offsetof(FuzzSettings, size) },
        { "A", "Sec", config_parse_timespan_roundtrip, offsetof(FuzzSettings, usec) },
        { "A", "Percent", config_parse_percent, offsetof(FuzzSettings, percent) },
        { "A", "List", config_parse_strv, offsetof(FuzzSettings, list) },
        { "A", "Level", config_parse_level, offsetof(FuzzSettings, level) },
        { "A", "Ignored", NULL, 0 },
        { "B", "List", config_parse_strv, offsetof(FuzzSettings, list) },
        { "B", "String", config_parse_string, offsetof(FuzzSettings, string) },
        {}
};

static void check_message(const char *m) {
        if (!startswith(m, "fuzz.conf:"))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ConfigDiagnostics d = {};
        FuzzSettings s = {};
        int r;

        /* Past a few lines' worth, longer inputs only slow the search down. */
        if (size > 4 * CONFIG_LINE_MAX)
                return 0;

        r = config_parse_buffer("fuzz.conf", data, size, items, &s, &d);
        if (r < 0 && d.error)
                check_message(d.error);
        if (r >= 0 && d.error)
                abort();
        STRV_FOREACH(w, d.warnings)
                check_message(*w);

        config_diagnostics_done(&d);
        free(s.string);
        strv_free(s.list);
        return 0;
}
