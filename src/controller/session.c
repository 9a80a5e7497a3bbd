/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sessions: starting their transient units, following their state in systemd, and telling
 * the clients that wait on them. */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <systemd/sd-journal.h>

#include "egress-name.h"
#include "json-util.h"
#include "fs-util.h"
#include "log.h"
#include "manager.h"
#include "openmono-errors.h"
#include "secret-store.h"
#include "session-egress.h"
#include "session-history.h"
#include "session.h"
#include "strv.h"
#include "unit-props.h"
#include "user-slice.h"
#include "workspace-mount.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT "org.freedesktop.systemd1.Unit"
#define SYSTEMD_SERVICE "org.freedesktop.systemd1.Service"

static const char *const session_state_table[_SESSION_STATE_MAX] = {
        [SESSION_STARTING] = "starting",
        [SESSION_RUNNING] = "running",
        [SESSION_STOPPING] = "stopping",
        [SESSION_EXITED] = "exited",
        [SESSION_FAILED] = "failed",
};

const char *session_state_to_string(SessionState s) {
        return s >= 0 && s < _SESSION_STATE_MAX ? session_state_table[s] : NULL;
}

SessionState session_state_from_string(const char *s) {
        for (int i = 0; s && i < _SESSION_STATE_MAX; i++)
                if (streq(session_state_table[i], s))
                        return i;
        return _SESSION_STATE_INVALID;
}

int session_new(Manager *m, const char *id, Session **ret) {
        _cleanup_(session_freep) Session *s = NULL;
        int r;

        if (!session_id_is_valid(id))
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->state = SESSION_STARTING;
        s->uid = (uid_t) -1;
        s->id = strdup(id);
        if (!s->id)
                return -ENOMEM;
        r = session_unit_name(id, &s->unit);
        if (r < 0)
                return r;
        r = sd_bus_path_encode(SYSTEMD_PATH "/unit", s->unit, &s->unit_path);
        if (r < 0)
                return r;
        r = manager_add_session(m, s);
        if (r < 0)
                return r;
        s->manager = m;
        *ret = steal_ptr(s);
        return 0;
}

static void session_state_file(Session *s, char *buf, size_t n) {
        snprintf(buf, n, "%s/sessions/%s.json", s->manager ? s->manager->runtime_dir : RUNDIR, s->id);
}

Session *session_free(Session *s) {
        if (!s)
                return NULL;
        s->start_slot = sd_bus_slot_unref(s->start_slot);
        s->start_call = sd_bus_message_unref(s->start_call);
        if (s->start_link && varlink_has_pending_call(s->start_link))
                (void) varlink_errorf(s->start_link, VARLINK_ERROR_DISCONNECTED,
                                      "The controller stopped before systemd answered for session %s.", s->id);
        s->start_link = varlink_unref(s->start_link);
        s->spawn_wait = spawn_failure_wait_free(s->spawn_wait);
        for (size_t i = 0; i < s->n_watchers; i++) {
                if (varlink_has_pending_call(s->watchers[i]))
                        (void) varlink_errorf(s->watchers[i], VARLINK_ERROR_DISCONNECTED,
                                              "The controller stopped following session %s.", s->id);
                varlink_unref(s->watchers[i]);
        }
        free(s->watchers);
        if (s->manager)
                manager_remove_session(s->manager, s);
        sd_bus_slot_unref(s->properties_slot);
        sd_bus_slot_unref(s->job_slot);
        sd_bus_slot_unref(s->ref_slot);
        free(s->id);
        free(s->unit);
        free(s->unit_path);
        free(s->user);
        free(s->project);
        free(s->workspace);
        strv_free(s->egress_requested);
        strv_free(s->egress_domains);
        free(s->result);
        free(s->active_state);
        free(s->unit_result);
        free(s->spawn_executable);
        free(s);
        return NULL;
}

static int get_trivial_property(Session *s, sd_bus *bus, const char *iface, const char *name, char type,
                                void *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

        return sd_bus_get_property_trivial(bus, SYSTEMD_DEST, s->unit_path, iface, name, &error, type, ret);
}

/* Reads the value of one property we follow from a PropertiesChanged dict entry's variant. */
static int read_followed_property(Session *s, sd_bus_message *m, const char *name) {
        const char *str, *path;
        int r;

        if (streq(name, "ActiveState") || streq(name, "Result")) {
                r = sd_bus_message_read(m, "v", "s", &str);
                if (r < 0)
                        return r;
                return free_and_strdup(streq(name, "Result") ? &s->unit_result : &s->active_state, str);
        }
        if (streq(name, "Job"))
                return sd_bus_message_read(m, "v", "(uo)", &s->unit_job, &path);
        if (streq(name, "ExecMainCode"))
                return sd_bus_message_read(m, "v", "i", &s->unit_exec_code);
        if (streq(name, "ExecMainStatus"))
                return sd_bus_message_read(m, "v", "i", &s->unit_exec_status);
        return sd_bus_message_skip(m, "v");
}

/* Takes what systemd says in a PropertiesChanged signal of the unit ("sa{sv}as"). systemd sends
 * the values along, and a service's own interface before the Unit one, so the exit status is
 * known by the time ActiveState says the unit ended: nothing has to be asked back. */
static int session_apply_properties(Session *s, sd_bus_message *m) {
        const char *iface, *name;
        int r;

        r = sd_bus_message_read(m, "s", &iface);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &name);
                if (r >= 0)
                        r = read_followed_property(s, m, name);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r;
}

/* Maps systemd's view of the unit to our states. */
static SessionState state_from_unit(const char *active, uint32_t job, int exec_code, SessionState old) {
        if (streq(active, "active") || streq(active, "reloading"))
                return SESSION_RUNNING;
        if (streq(active, "activating"))
                return SESSION_STARTING;
        if (streq(active, "deactivating"))
                return SESSION_STOPPING;
        if (job != 0)
                return old;             /* inactive only because its start job has not run yet */
        if (streq(active, "failed") && exec_code == 0)
                return SESSION_FAILED;  /* it never ran: systemd could not set it up */
        return SESSION_EXITED;
}

static void session_update(Session *s);

static void on_spawn_failure_read(Session *s) {
        s->spawn_wait = spawn_failure_wait_free(s->spawn_wait);
        session_update(s);
}

/* systemd's own exit statuses (EXIT_CHDIR 200 ... EXIT_BPF 245) say a step before the command
 * failed; the journal says why. A command that exits with such a status itself has no entry.
 * The end is told to nobody before the journal was read, so that everyone hears why. Returns 1
 * while that is still under way. */
static int session_read_spawn_failure(Session *s, SessionState state) {
        int r;

        if (s->spawn_wait)
                return 1;
        if (s->spawn_looked_up || state != SESSION_EXITED || s->unit_exec_code != CLD_EXITED ||
            s->unit_exec_status < 200 || s->unit_exec_status > 245 || !streq_ptr(s->unit_result, "exit-code"))
                return 0;
        s->spawn_looked_up = true;
        s->spawn_executable = mfree(s->spawn_executable);
        r = session_spawn_failure_wait(s, on_spawn_failure_read, &s->spawn_wait);
        if (r < 0)
                log_debug_errno(r, "Failed to read the spawn failure of %s from the journal: %m", s->unit);
        return r == 0;
}

/* Works out the session's state from what systemd said last. Returns 1 if it changed. */
static int session_evaluate(Session *s) {
        SessionState state;

        if (!s->active_state)
                return 0;               /* nothing heard from the unit yet */
        state = state_from_unit(s->active_state, s->unit_job, s->unit_exec_code, s->state);
        if (state == s->state || session_read_spawn_failure(s, state) > 0)
                return 0;
        s->state = state;
        s->exit_code = s->unit_exec_code;
        s->exit_status = s->unit_exec_status;
        free(s->result);
        s->result = s->unit_result ? strdup(s->unit_result) : NULL;
        return 1;
}

static void session_notify_watchers(Session *s) {
        bool final = session_state_is_final(s->state);
        _cleanup_(json_object_putp) json_object *j = NULL;
        size_t kept = 0;

        if (session_build_reply(s, /* with_accounting= */ false, &j) < 0)
                return;
        for (size_t i = 0; i < s->n_watchers; i++) {
                Varlink *l = s->watchers[i];

                if (final || !varlink_call_wants_more(l)) {
                        (void) varlink_reply(l, j);
                        varlink_unref(l);
                } else {
                        (void) varlink_notify(l, j);
                        s->watchers[kept++] = l;
                }
        }
        s->n_watchers = kept;
}

/* Lets systemd collect the unit once we have read how it ended. */
static void session_release_unit(Session *s) {
        sd_bus *bus;
        int r;

        if (!s->referenced || manager_get_bus(s->manager, &bus) < 0)
                return;
        s->referenced = false;
        /* Nobody waits for the answer; systemd drops our reference anyway when we go. */
        r = sd_bus_call_method_async(bus, /* slot= */ NULL, SYSTEMD_DEST, s->unit_path, SYSTEMD_UNIT, "Unref",
                                     /* callback= */ NULL, /* userdata= */ NULL, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to drop reference on %s, ignoring: %m", s->unit);
}

static void session_record_end(Session *s);

/* Follows the unit; a session that has ended is reported, logged, kept in the history and
 * forgotten. */
static void session_update(Session *s) {
        if (session_evaluate(s) <= 0)
                return;

        /* systemd has copied the credentials once the unit is past starting (Type=exec: the
         * command runs), or will never need them: the staged copies go. So do the pinned
         * mounts: the session's mount namespace holds binds of its own by then. */
        if (s->state != SESSION_STARTING) {
                (void) secret_unstage(s->manager->runtime_dir, s->id);
                (void) workspace_mount_unpin(s->manager->runtime_dir, s->id);
        }
        manager_audit_session(s->manager, s);
        /* Into the history before the watchers hear, so a client that asks next finds it. */
        if (session_state_is_final(s->state))
                session_record_end(s);
        session_notify_watchers(s);
        if (session_state_is_final(s->state)) {
                /* After the history has the proxy's last counts. */
                (void) session_egress_remove(s->manager->runtime_dir, SESSION_EGRESS_COUNTS_DIR, s->id);
                session_release_unit(s);
                char path[PATH_MAX];
                session_state_file(s, path, sizeof path);
                (void) unlink(path);
                session_free(s);
        }
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Session *s = userdata;
        int r;

        r = session_apply_properties(s, m);
        if (r < 0)
                log_debug_errno(r, "Failed to parse PropertiesChanged of %s, ignoring: %m", s->unit);
        /* Until systemd has answered the start, the answer decides; it catches up then. */
        if (!s->start_slot)
                session_update(s);
        return 0;
}

int session_watch_unit(Session *s) {
        sd_bus *bus;
        int r;

        r = manager_get_bus(s->manager, &bus);
        if (r < 0)
                return r;
        if (!s->properties_slot) {
                r = sd_bus_match_signal(bus, &s->properties_slot, SYSTEMD_DEST, s->unit_path,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_properties_changed, s);
                if (r < 0)
                        return r;
        }
        return 0;
}

int session_add_watcher(Session *s, Varlink *link) {
        Varlink **a = reallocarray(s->watchers, s->n_watchers + 1, sizeof(Varlink *));

        if (!a)
                return -ENOMEM;
        s->watchers = a;
        a[s->n_watchers++] = varlink_ref(link);
        return 0;
}

static int append_start_call(Session *s, sd_bus *bus, const UnitProperties *props, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", s->unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;
        r = unit_properties_append(m, props);
        if (r < 0)
                return r;
        /* Keep the unit after it ends until we have read its exit status (as systemd-run --wait
         * does); systemd drops the reference by itself if the controller goes away. */
        r = sd_bus_message_append(m, "(sv)", "AddRef", "b", 1);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        *ret = steal_ptr(m);
        return 0;
}

/* The start is over, one way or the other (r < 0 with systemd's message): the caller hears
 * first, then the session catches up with what the unit did meanwhile, or is forgotten if it
 * never started. */
static void session_start_finish(Session *s, int r, const char *message) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;

        s->start_slot = sd_bus_slot_unref(s->start_slot);
        s->start_call = sd_bus_message_unref(s->start_call);
        link = steal_ptr(s->start_link);
        if (r < 0) {
                s->state = SESSION_FAILED;
                (void) secret_unstage(s->manager->runtime_dir, s->id);
                (void) session_egress_remove(s->manager->runtime_dir, SESSION_EGRESS_COUNTS_DIR, s->id);
        } else {
                s->referenced = true;
                s->state = SESSION_STARTING;
                (void) session_save(s);
        }
        manager_audit_session(s->manager, s);
        if (s->start_done && link)
                s->start_done(s, link, r, message);
        if (r < 0)
                session_free(s);
        else
                session_update(s);
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        Session *s = userdata;

        if (e)
                log_debug("StartTransientUnit(%s) failed: %s", s->unit, e->message);
        session_start_finish(s, e ? -sd_bus_message_get_errno(reply) ?: -EIO : 0, e ? e->message : NULL);
        return 0;
}

/* systemd set (or refused) the user's totals on the slice. A session never runs without them,
 * so a refusal fails the start as a refused unit would; otherwise the unit starts now. */
static int on_slice_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        Session *s = userdata;
        int r;

        s->start_slot = sd_bus_slot_unref(s->start_slot);
        if (e) {
                log_warning("Failed to set the limits of openmono-u%u.slice: %s", (unsigned) s->uid, e->message);
                session_start_finish(s, -sd_bus_message_get_errno(reply) ?: -EIO, e->message);
                return 0;
        }
        r = sd_bus_call_async(sd_bus_message_get_bus(reply), &s->start_slot, s->start_call, on_start_reply, s, 0);
        if (r < 0)
                session_start_finish(s, r, "the controller could not ask systemd to start the unit");
        return 0;
}

int session_start(Session *s, const SessionPolicy *policy, Varlink *link, SessionStartDone done) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(unit_properties_freep) UnitProperties *props = NULL;
        sd_bus *bus;
        int r;

        if (s->start_slot)
                return -EBUSY;
        s->runtime_max_usec = policy->runtime_max_usec;
        r = session_policy_to_unit_properties(policy, &props);
        if (r < 0)
                return r;
        r = manager_get_bus(s->manager, &bus);
        if (r < 0)
                return r;
        /* Follow the unit before it exists, so no state change is missed. */
        r = session_watch_unit(s);
        if (r < 0)
                return r;
        r = append_start_call(s, bus, props, &s->start_call);
        if (r < 0)
                return r;
        r = user_slice_new_call(s->manager, s->uid, &m);
        if (r < 0)
                return r;
        /* Not sd_bus_call(): systemd may take its time (a daemon-reload, many starts at once),
         * and the controller's one thread serves everybody else meanwhile. The user's totals go
         * on the slice first, and the unit starts only once they are there. */
        r = sd_bus_call_async(bus, &s->start_slot, m, on_slice_reply, s, 0);
        if (r < 0)
                return r;
        s->state = SESSION_STARTING;
        s->start_link = varlink_ref(link);
        s->start_done = done;
        return 0;
}

static int on_stop_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        Varlink *link = userdata;

        if (!link)
                return 0;
        if (e)
                (void) varlink_errorf(link, OM_ERROR_SYSTEMD_UNAVAILABLE, "systemd did not stop the session: %s",
                                      e->message);
        else
                (void) varlink_reply(link, NULL);
        return 0;
}

static void unref_link(void *userdata) {
        varlink_unref(userdata);
}

int session_stop(Session *s, Varlink *link) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        sd_bus *bus;
        int r;

        r = manager_get_bus(s->manager, &bus);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit",
                                     on_stop_reply, link, "ss", s->unit, "replace");
        if (r < 0)
                return r;
        /* The bus owns the pending call; the link it answers lives as long as it does. */
        if (link) {
                r = sd_bus_slot_set_destroy_callback(slot, unref_link);
                if (r < 0)
                        return r;
                varlink_ref(link);
        }
        return sd_bus_slot_set_floating(slot, 1);
}

/* Adds what systemd accounts for the unit; missing values (no IP accounting yet, controller
 * not enabled) are left out rather than reported as zero. */
static int add_accounting(Session *s, json_object *j) {
        static const char *const names[][2] = {
                { "CPUUsageNSec", "cpu_usage_nsec" },
                { "MemoryCurrent", "memory_current_bytes" },
                { "TasksCurrent", "tasks_current" },
                { "IPIngressBytes", "ip_ingress_bytes" },
                { "IPEgressBytes", "ip_egress_bytes" },
        };
        uint32_t pid = 0;
        sd_bus *bus;
        int r;

        r = manager_get_bus(s->manager, &bus);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                uint64_t v;
                if (get_trivial_property(s, bus, SYSTEMD_SERVICE, names[i][0], 't', &v) >= 0 && v != UINT64_MAX) {
                        r = json_add_uint64(j, names[i][1], v);
                        if (r < 0)
                                return r;
                }
        }
        if (get_trivial_property(s, bus, SYSTEMD_SERVICE, "MainPID", 'u', &pid) >= 0 && pid > 0)
                return json_add_int64(j, "main_pid", pid);
        return 0;
}

/* The names the session reaches through the egress proxy and, with counts, what the proxy says
 * it did for it: nothing at all before its first request (the proxy writes no file until then). */
static int add_egress(Session *s, json_object *j, bool with_counts) {
        static char *const none[] = { NULL };
        EgressCounts c;
        int r;

        if (!s->egress)
                return 0;
        r = json_add_strv(j, "allow_domains", s->egress_domains ?: none);
        if (r < 0 || !with_counts || session_egress_counts_read(SESSION_EGRESS_COUNTS_DIR, s->id, &c) < 0)
                return r;
        r = json_add_uint64(j, "egress_allowed", c.allowed);
        if (r >= 0)
                r = json_add_uint64(j, "egress_denied", c.denied);
        if (r >= 0)
                r = json_add_uint64(j, "egress_bytes_sent", c.bytes_sent);
        if (r >= 0)
                r = json_add_uint64(j, "egress_bytes_received", c.bytes_received);
        return r;
}

int session_build_json(Session *s, bool with_accounting, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        int r;

        if (!j)
                return -ENOMEM;
        r = json_add_string(j, "id", s->id);
        if (r >= 0)
                r = json_add_string(j, "unit", s->unit);
        if (r >= 0)
                r = json_add_int64(j, "uid", s->uid);
        if (r >= 0)
                r = json_add_string(j, "user", s->user);
        if (r >= 0)
                r = json_add_string(j, "project", s->project);
        if (r >= 0)
                r = json_add_string(j, "workspace", s->workspace);
        if (r >= 0)
                r = json_add_string(j, "network", network_policy_to_string(s->network));
        if (r >= 0)
                r = json_add_string(j, "state", session_state_to_string(s->state));
        if (r >= 0)
                r = json_add_uint64(j, "started_realtime_usec", s->started_realtime);
        if (r >= 0 && session_state_is_final(s->state)) {
                r = json_add_string(j, "result", s->result);
                if (r >= 0)
                        r = json_add_string(j, "exit", s->exit_code == CLD_EXITED ? "exited" :
                                                       s->exit_code == CLD_KILLED || s->exit_code == CLD_DUMPED ?
                                                       "killed" : "none");
                if (r >= 0)
                        r = json_add_int64(j, "exit_status", s->exit_status);
                if (r >= 0 && s->spawn_errno > 0)
                        r = json_add_int64(j, "spawn_errno", s->spawn_errno);
                if (r >= 0 && s->spawn_executable)
                        r = json_add_string(j, "spawn_executable", s->spawn_executable);
                if (r >= 0 && s->runtime_max_usec != UINT64_MAX && s->runtime_max_usec > 0)
                        r = json_add_uint64(j, "runtime_max_usec", s->runtime_max_usec);
                /* A signal is not an exit status: say which one, as systemctl status does. */
                if (r >= 0 && (s->exit_code == CLD_KILLED || s->exit_code == CLD_DUMPED) &&
                    sigabbrev_np(s->exit_status)) {
                        char sig[32];
                        snprintf(sig, sizeof sig, "SIG%s", sigabbrev_np(s->exit_status));
                        r = json_add_string(j, "signal", sig);
                }
                if (r >= 0 && s->ended_realtime > 0)
                        r = json_add_uint64(j, "ended_realtime_usec", s->ended_realtime);
        }
        if (r >= 0)
                r = add_egress(s, j, with_accounting);
        if (r >= 0 && with_accounting)
                r = add_accounting(s, j);
        if (r < 0)
                return r;
        *ret = steal_ptr(j);
        return 0;
}

/* What a reload needs to redo the session's egress policy: whether it took the site's list, and
 * what it asked for otherwise. */
static int add_egress_metadata(Session *s, json_object *j) {
        static char *const none[] = { NULL };
        int r;

        r = json_add_bool(j, "egress_default", s->egress_default);
        if (r >= 0)
                r = json_add_bool(j, "egress_own", s->egress_own);
        if (r >= 0 && !s->egress_default)
                r = json_add_strv(j, "egress_requested", s->egress_requested ?: none);
        if (r >= 0)
                r = json_add_strv(j, "egress_domains", s->egress_domains ?: none);
        return r;
}

static int load_egress_metadata(Session *s, json_object *j) {
        int r;

        if (json_get_bool(j, "egress_default", &s->egress_default) < 0)
                return 0;
        s->egress = true;
        /* Records from before projects were followed: a list asked for stays what was asked. */
        if (json_get_bool(j, "egress_own", &s->egress_own) < 0)
                s->egress_own = !s->egress_default;
        r = json_get_strv(j, "egress_domains", &s->egress_domains);
        if (r >= 0 && !s->egress_default)
                r = json_get_strv(j, "egress_requested", &s->egress_requested);
        /* A record we cannot read leaves the session with no names: the proxy then refuses it all. */
        return r == -ENOMEM ? r : 0;
}

/* What systemd does not keep for us goes to a small file under the runtime directory, so a
 * restarted controller knows whose session a running unit is. */
static int session_metadata_json(Session *s, json_object **ret) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        int r;

        if (!j)
                return -ENOMEM;
        r = json_add_int64(j, "uid", s->uid);
        if (r >= 0)
                r = json_add_string(j, "user", s->user);
        if (r >= 0)
                r = json_add_string(j, "project", s->project);
        if (r >= 0)
                r = json_add_string(j, "workspace", s->workspace);
        if (r >= 0)
                r = json_add_string(j, "network", network_policy_to_string(s->network));
        if (r >= 0)
                r = json_add_uint64(j, "started_realtime_usec", s->started_realtime);
        if (r >= 0 && s->egress)
                r = add_egress_metadata(s, j);
        if (r < 0)
                return r;
        *ret = steal_ptr(j);
        return 0;
}

int session_save(Session *s) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        char path[PATH_MAX];
        const char *text;
        int r;

        r = session_metadata_json(s, &j);
        if (r < 0)
                return r;
        session_state_file(s, path, sizeof path);
        text = json_to_string(j);
        return write_file_atomic(path, text, strlen(text), 0600);
}

int session_load(Session *s) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        const char *str;
        char path[PATH_MAX];
        int64_t uid;
        size_t n = 0;
        int r;

        session_state_file(s, path, sizeof path);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (getdelim(&text, &n, 0, f) < 0)
                return -EIO;
        r = json_parse(text, strlen(text), &j);
        if (r < 0)
                return r;
        if (json_get_int64(j, "uid", &uid) < 0 || uid < 0 || uid > UINT32_MAX - 1)
                return -EBADMSG;
        s->uid = (uid_t) uid;
        if (json_get_string(j, "user", &str) >= 0 && !(s->user = strdup(str)))
                return -ENOMEM;
        if (json_get_string(j, "project", &str) >= 0 && !(s->project = strdup(str)))
                return -ENOMEM;
        if (json_get_string(j, "workspace", &str) >= 0 && !(s->workspace = strdup(str)))
                return -ENOMEM;
        if (json_get_string(j, "network", &str) >= 0)
                s->network = network_policy_from_string(str);
        (void) json_get_uint64(j, "started_realtime_usec", &s->started_realtime);
        return load_egress_metadata(s, j);
}

int session_build_reply(Session *s, bool with_accounting, json_object **ret) {
        _cleanup_(json_object_putp) json_object *reply = json_object_new_object();
        json_object *j;
        int r;

        if (!reply)
                return -ENOMEM;
        r = session_build_json(s, with_accounting, &j);
        if (r >= 0)
                r = json_add_take(reply, "session", j);
        if (r < 0)
                return r;
        *ret = steal_ptr(reply);
        return 0;
}

/* Keeps how the session ended and what it used. Runs while we still hold the unit, so systemd
 * still answers for its accounting. */
static void session_record_end(Session *s) {
        _cleanup_(json_object_putp) json_object *j = NULL;
        int r;

        if (s->ended_realtime == 0)
                s->ended_realtime = now(CLOCK_REALTIME);
        r = session_build_json(s, /* with_accounting= */ true, &j);
        if (r >= 0) {
                /* What is current makes no sense once it has ended. */
                json_object_object_del(j, "main_pid");
                json_object_object_del(j, "tasks_current");
                json_object_object_del(j, "memory_current_bytes");
                r = session_history_add(s->manager->state_dir, j);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to keep session %s in the history, ignoring: %m", s->id);
}

/* Takes what the journal says into the session, for the audit trail. */
static void session_apply_history(Session *s, json_object *j) {
        const char *state = NULL, *exit = NULL, *result = NULL;
        int64_t status = 0;
        uint64_t ended = 0;

        (void) json_get_string(j, "state", &state);
        (void) json_get_string(j, "exit", &exit);
        (void) json_get_string(j, "result", &result);
        (void) json_get_int64(j, "exit_status", &status);
        (void) json_get_uint64(j, "ended_realtime_usec", &ended);
        s->state = streq_ptr(state, "failed") ? SESSION_FAILED : SESSION_EXITED;
        s->exit_code = streq_ptr(exit, "exited") ? CLD_EXITED : streq_ptr(exit, "killed") ? CLD_KILLED : 0;
        s->exit_status = (int) status;
        s->ended_realtime = ended;
        (void) free_and_strdup(&s->result, result);
}

void session_finish_from_journal(Session *s) {
        _cleanup_(sd_journal_closep) sd_journal *journal = NULL;
        _cleanup_(json_object_putp) json_object *j = NULL;
        char path[PATH_MAX];
        int r;

        /* Provisionally ended, so that the description has the fields the journal fills. */
        s->state = SESSION_EXITED;
        s->exit_code = 0;
        r = session_build_json(s, /* with_accounting= */ false, &j);
        if (r >= 0)
                r = sd_journal_open(&journal, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (r >= 0)
                r = session_history_from_journal(journal, s->unit, j);
        if (r == 0) {
                log_warning("Session %s ended while the controller was not running; the journal does not "
                            "say how.", s->id);
                (void) json_add_string(j, "result", "unknown");
        }
        if (r >= 0) {
                (void) add_egress(s, j, /* with_counts= */ true);
                session_apply_history(s, j);
                if (s->ended_realtime == 0)
                        (void) json_add_uint64(j, "ended_realtime_usec", s->ended_realtime = now(CLOCK_REALTIME));
                r = session_history_add(s->manager->state_dir, j);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to record the end of session %s, ignoring: %m", s->id);
        (void) secret_unstage(s->manager->runtime_dir, s->id);
        (void) workspace_mount_unpin(s->manager->runtime_dir, s->id);
        (void) session_egress_remove(s->manager->runtime_dir, SESSION_EGRESS_COUNTS_DIR, s->id);
        manager_audit_session(s->manager, s);
        session_notify_watchers(s);
        session_state_file(s, path, sizeof path);
        (void) unlink(path);
        session_free(s);
}

/* Catches up with a unit that may have ended before we subscribed to its changes. */
static void session_read_unit_state(Session *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *active = NULL, *result = NULL;
        sd_bus *bus;

        if (manager_get_bus(s->manager, &bus) < 0 ||
            sd_bus_get_property_string(bus, SYSTEMD_DEST, s->unit_path, SYSTEMD_UNIT, "ActiveState", &error,
                                       &active) < 0 ||
            sd_bus_get_property_string(bus, SYSTEMD_DEST, s->unit_path, SYSTEMD_SERVICE, "Result", &error,
                                       &result) < 0 ||
            get_trivial_property(s, bus, SYSTEMD_SERVICE, "ExecMainCode", 'i', &s->unit_exec_code) < 0 ||
            get_trivial_property(s, bus, SYSTEMD_SERVICE, "ExecMainStatus", 'i', &s->unit_exec_status) < 0)
                return;
        free_and_replace(s->active_state, active);
        free_and_replace(s->unit_result, result);
        session_update(s);
}

static int on_ref_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Session *s = userdata;

        s->ref_slot = sd_bus_slot_unref(s->ref_slot);
        if (!sd_bus_message_is_method_error(reply, NULL)) {
                s->referenced = true;
                session_read_unit_state(s);
                return 0;
        }
        /* No such unit: it ended and was collected between our listing and now. */
        log_debug("Session %s ended before we could follow it: %s", s->id, sd_bus_message_get_error(reply)->message);
        session_finish_from_journal(s);
        return 0;
}

int session_ref_unit(Session *s) {
        sd_bus *bus;
        int r;

        r = manager_get_bus(s->manager, &bus);
        if (r < 0)
                return r;
        /* The manager's RefUnit, not the unit object's Ref: asking the object would load a unit
         * that is gone as a "not-found" one, and we would wait for it forever. */
        return sd_bus_call_method_async(bus, &s->ref_slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "RefUnit",
                                        on_ref_reply, s, "s", s->unit);
}

/* "a b" or "no names", for messages. */
static char *describe_domains(char *const *l) {
        return strv_length(l) > 0 ? strv_join(l, " ") : strdup("no names");
}

static void log_egress_change(Session *s, char *const *old, char *const *new) {
        _cleanup_free_ char *was = describe_domains(old), *now_ = describe_domains(new);
        _cleanup_strv_free_ char **fields = NULL;
        int r;

        r = was && now_ ? 0 : -ENOMEM;
        if (r >= 0)
                r = strv_extend(&fields, "OPENMONO_EVENT=egress-policy-changed");
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_SESSION=%s", s->id);
        if (r >= 0)
                r = strv_extendf(&fields, "OPENMONO_USER=%s", strna(s->user));
        if (r >= 0)
                r = strv_extendf(&fields, "MESSAGE=Session %s now reaches %s through the egress proxy "
                                 "(was: %s).", s->id, now_, was);
        if (r < 0)
                return (void) log_oom();
        log_struct(LOG_INFO, 0, fields);
}

static bool strv_equal(char *const *a, char *const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

int session_apply_egress(Session *s, char *const *site, char *const *project, bool rewrite) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        if (!s->egress)
                return 0;
        r = session_egress_effective(s->egress_own ? s->egress_requested ?: (char *[]) { NULL } : NULL,
                                     project, site, &l);
        if (r < 0)
                return r;
        if (strv_equal(l, s->egress_domains))
                return rewrite ? session_egress_write(s->manager->runtime_dir, s->id, l) : 0;
        /* The file first: the record must never claim a list the proxy does not enforce. A list
         * that cannot be narrowed must not stay wide either: without a file the proxy refuses the
         * session everything. */
        r = session_egress_write(s->manager->runtime_dir, s->id, l);
        if (r < 0) {
                (void) session_egress_remove(s->manager->runtime_dir, /* counts_dir= */ NULL, s->id);
                return r;
        }
        log_egress_change(s, s->egress_domains, l);
        strv_free(s->egress_domains);
        s->egress_domains = steal_ptr(l);
        (void) session_save(s);
        return 1;
}
