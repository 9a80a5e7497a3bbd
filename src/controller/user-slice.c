/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-user totals: without them, the caps of one session are no cap on a user, who may run
 * MaxSessionsPerUser= sessions at once. */

#include "manager.h"
#include "session-policy.h"
#include "user-slice.h"

int user_slice_properties(const UserSliceLimits *limits, UnitProperties **ret) {
        _cleanup_(unit_properties_freep) UnitProperties *u = unit_properties_new();
        uint64_t quota = limits->cpu_quota_percent > 0 ? (uint64_t) limits->cpu_quota_percent * 10000 : UINT64_MAX;
        int r;

        if (!u)
                return -ENOMEM;
        r = unit_properties_add_uint64(u, "MemoryMax", limits->memory_max);
        if (r >= 0)
                r = unit_properties_add_uint64(u, "TasksMax", limits->tasks_max);
        /* CPUQuota=100% is 1 s of CPU time per second. */
        if (r >= 0)
                r = unit_properties_add_uint64(u, "CPUQuotaPerSecUSec", quota);
        if (r < 0)
                return r;
        *ret = steal_ptr(u);
        return 0;
}

int user_slice_new_call(Manager *m, uid_t uid, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(unit_properties_freep) UnitProperties *props = NULL;
        _cleanup_free_ char *slice = NULL;
        sd_bus *bus;
        int r;

        r = session_slice_name(uid, &slice);
        if (r >= 0)
                r = user_slice_properties(&m->config.user_slice, &props);
        if (r >= 0)
                r = manager_get_bus(m, &bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &call, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                                   "org.freedesktop.systemd1.Manager", "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(call, "sb", slice, 1);
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "(sv)");
        if (r >= 0)
                r = unit_properties_append(call, props);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r < 0)
                return r;
        *ret = steal_ptr(call);
        return 0;
}
