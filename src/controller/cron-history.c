/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The past runs of a scheduled job, read from the system journal for GetCronHistory. After each
 * run the job's service ('openmonoctl cron finished', its ExecStopPost=) logs an entry with the
 * catalogued MESSAGE_ID OPENMONO_MESSAGE_CRON_RUN_FINISHED; the controller reads them as root so
 * that a job's owner needs no access to the system journal. */

#include <assert.h>

#include <systemd/sd-journal.h>

#include "cron.h"
#include "json-util.h"
#include "message-ids.h"
#include "parse-util.h"

/* Longer values are cut: the fields are short words and numbers written by 'cron finished'. */
#define FIELD_MAX 256

/* Returns the value of the current entry's field as a new string in *ret, or NULL there when the
 * entry lacks it or says "-" (systemd passed nothing). */
static int get_field(sd_journal *j, const char *field, char **ret) {
        size_t len, l = strlen(field);
        const void *data;
        char *s;
        int r;

        r = sd_journal_get_data(j, field, &data, &len);
        if (r == -ENOENT || (r >= 0 && len <= l + 1)) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        s = strndup((const char *) data + l + 1, MIN(len - l - 1, (size_t) FIELD_MAX));
        if (!s)
                return -ENOMEM;
        if (streq(s, "-") || isempty(s)) {
                free(s);
                s = NULL;
        }
        *ret = s;
        return 0;
}

/* Adds the current entry's field to o under key if the entry has it. */
static int add_field(sd_journal *j, const char *field, json_object *o, const char *key) {
        _cleanup_free_ char *v = NULL;
        int r;

        r = get_field(j, field, &v);
        if (r < 0 || !v)
                return r;
        return json_add_string(o, key, v);
}

/* One entry as a CronRun object. */
static int run_build_json(sd_journal *j, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ char *duration = NULL;
        uint64_t t, d;
        int r;

        if (!o)
                return -ENOMEM;
        r = sd_journal_get_realtime_usec(j, &t);
        if (r < 0)
                return r;
        r = json_add_uint64(o, "time_usec", t);
        if (r >= 0)
                r = add_field(j, "OPENMONO_RESULT", o, "result");
        if (r >= 0)
                r = add_field(j, "OPENMONO_EXIT_CODE", o, "exit_code");
        if (r >= 0)
                r = add_field(j, "OPENMONO_EXIT_STATUS", o, "exit_status");
        if (r >= 0)
                r = get_field(j, "OPENMONO_DURATION_USEC", &duration);
        if (r >= 0 && duration && parse_uint64(duration, &d) >= 0)
                r = json_add_uint64(o, "duration_usec", d);
        if (r < 0)
                return r;
        *ret = steal_ptr(o);
        return 0;
}

int cron_history_read(const char *name, unsigned limit, json_object **ret) {
        _cleanup_(sd_journal_closep) sd_journal *j = NULL;
        _cleanup_(json_object_putp) json_object *runs = json_object_new_array();
        _cleanup_free_ char *match = NULL;
        unsigned n = 0;
        int r;

        assert(name);
        assert(ret);

        if (!runs || asprintf(&match, "OPENMONO_CRON_JOB=%s", name) < 0)
                return -ENOMEM;
        r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY|SD_JOURNAL_SYSTEM);
        if (r < 0)
                return r;
        /* Only entries logged by root count: anyone can write OPENMONO_* fields, but nobody can fake
         * journald's _UID=, and sessions never run as root. (_SYSTEMD_UNIT= is not required:
         * journald cannot always tell the unit of a process that has exited by the time it reads
         * the entry, and 'cron finished' exits right after logging.) */
        if ((r = sd_journal_add_match(j, "MESSAGE_ID=" OPENMONO_MESSAGE_CRON_RUN_FINISHED, 0)) < 0 ||
            (r = sd_journal_add_match(j, match, 0)) < 0 || (r = sd_journal_add_match(j, "_UID=0", 0)) < 0)
                return r;
        SD_JOURNAL_FOREACH_BACKWARDS(j) {
                json_object *o;

                if (n >= limit)
                        break;
                r = run_build_json(j, &o);
                if (r < 0)
                        return r;
                if (json_object_array_add(runs, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                n++;
        }
        *ret = steal_ptr(runs);
        return 0;
}
