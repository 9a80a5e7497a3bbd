/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* openmonoctl project: add, list, show, change and remove projects. */

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

static const char *field(json_object *o, const char *key) {
        const char *s = NULL;

        (void) json_get_string(o, key, &s);
        return s ?: "-";
}

static int project_list(void) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        json_object *reply, *list = NULL;
        size_t n;
        int r;

        r = ctl_connect(&link);
        if (r >= 0)
                r = ctl_call(link, "io.openmono.Manager.ListProjects", NULL, &reply);
        if (r < 0)
                return r;
        (void) json_get_array(reply, "projects", &list);
        if (arg_json) {
                ctl_print_json(list);
                return 0;
        }
        n = list ? json_object_array_length(list) : 0;
        if (arg_legend)
                printf("%-20s %-7s %-8s %-10s %-9s %s\n", "NAME", "SCOPE", "IDENTITY", "OWNER", "NETWORK", "WORKSPACE");
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_array_get_idx(list, i);
                printf("%-20s %-7s %-8s %-10s %-9s %s\n", field(p, "name"), field(p, "scope"), field(p, "identity"),
                       field(p, "owner"), field(p, "network"), field(p, "workspace"));
        }
        if (arg_legend)
                printf("\n%zu project%s listed.\n", n, n == 1 ? "" : "s");
        return 0;
}

static void print_project(json_object *p) {
        json_object *a;
        uint64_t v;
        char buf[FORMAT_TIMESPAN_MAX];

        printf("%11s: %s\n%11s: %s\n%11s: %s\n%11s: %s\n%11s: %s\n%11s: %s\n",
               "Project", field(p, "name"), "Scope", field(p, "scope"), "Description", field(p, "description"),
               "Identity", field(p, "identity"), "Owner", field(p, "owner"), "Workspace", field(p, "workspace"));
        printf("%11s: %s\n", "Network", json_get_string(p, "network", &(const char *) { NULL }) >= 0 ?
               field(p, "network") : "site default");
        if (json_get_array(p, "allow", &a) >= 0)
                printf("%11s: %s\n", "Allow", json_object_to_json_string(a));
        if (json_get_array(p, "allow_domains", &a) >= 0)
                printf("%11s: %s\n", "Domains", json_object_to_json_string(a));
        if (json_get_uint64(p, "memory_max", &v) >= 0)
                printf("%11s: %" PRIu64 " bytes\n", "Memory max", v);
        if (json_get_uint64(p, "tasks_max", &v) >= 0)
                printf("%11s: %" PRIu64 "\n", "Tasks max", v);
        if (json_get_uint64(p, "cpu_quota_percent", &v) >= 0)
                printf("%11s: %" PRIu64 "%%\n", "CPU quota", v);
        if (json_get_uint64(p, "runtime_max_usec", &v) >= 0)
                printf("%11s: %s\n", "Runtime max", format_timespan(buf, sizeof buf, v));
        if (json_get_array(p, "users", &a) >= 0)
                printf("%11s: %s\n", "Users", json_object_to_json_string(a));
        if (json_get_array(p, "groups", &a) >= 0)
                printf("%11s: %s\n", "Groups", json_object_to_json_string(a));
        if (json_get_array(p, "grant", &a) >= 0)
                printf("%11s: %s\n", "Secrets", json_object_to_json_string(a));
        printf("%11s: %s\n", "Task", field(p, "task"));
        printf("%11s: %s\n", "Template", field(p, "template"));
}

static int call_named(const char *method, const char *name, json_object *params, int workspace_fd) {
        _cleanup_(varlink_unrefp) Varlink *link = NULL;
        _cleanup_close_ int fd = workspace_fd;
        json_object *reply, *p = NULL;
        int r;

        if (json_add_string(params, "name", name) < 0)
                return log_oom();
        r = ctl_connect(&link);
        if (r < 0)
                return r;
        if (fd >= 0) {
                r = varlink_push_fd(link, steal_fd(fd));
                if (r < 0)
                        return log_error_errno(r, "Failed to pass the workspace: %m");
        }
        r = ctl_call(link, method, params, &reply);
        if (r < 0)
                return r;
        if (json_get_object(reply, "project", &p) < 0)
                return 0;
        if (arg_json)
                ctl_print_json(p);
        else
                print_project(p);
        return 0;
}

static int add_words(json_object *params, const char *key, const char *word) {
        json_object *a = NULL;

        if (json_get_array(params, key, &a) < 0) {
                a = json_object_new_array();
                if (!a || json_add_take(params, key, a) < 0)
                        return -ENOMEM;
        }
        return json_object_array_add(a, json_object_new_string(word)) < 0 ? -ENOMEM : 0;
}

/* Turns the options of add and set into method parameters; opens --workspace into *ret_fd. */
static int parse_project_options(int argc, char *argv[], json_object *params, int *ret_fd) {
        enum { ARG_IDENTITY = 0x100, ARG_DESCRIPTION, ARG_TASK, ARG_NETWORK, ARG_ALLOW, ARG_ALLOW_DOMAIN, ARG_MEMORY,
               ARG_TASKS, ARG_CPU, ARG_RUNTIME, ARG_USER, ARG_GROUP, ARG_GRANT,
               ARG_TEMPLATE };
        static const struct option options[] = {
                { "workspace",   required_argument, NULL, 'w'             },
                { "identity",    required_argument, NULL, ARG_IDENTITY    },
                { "description", required_argument, NULL, ARG_DESCRIPTION },
                { "task",        required_argument, NULL, ARG_TASK        },
                { "template",    required_argument, NULL, ARG_TEMPLATE    },
                { "network",     required_argument, NULL, ARG_NETWORK     },
                { "allow",       required_argument, NULL, ARG_ALLOW       },
                { "allow-domain", required_argument, NULL, ARG_ALLOW_DOMAIN },
                { "memory-max",  required_argument, NULL, ARG_MEMORY      },
                { "tasks-max",   required_argument, NULL, ARG_TASKS       },
                { "cpu-quota",   required_argument, NULL, ARG_CPU         },
                { "runtime-max", required_argument, NULL, ARG_RUNTIME     },
                { "user",        required_argument, NULL, ARG_USER        },
                { "group",       required_argument, NULL, ARG_GROUP       },
                { "grant",       required_argument, NULL, ARG_GRANT       },
                {}
        };
        uint64_t u;
        int64_t q;
        int c, r = 0;

        optind = 0;
        while (r >= 0 && (c = getopt_long(argc, argv, "w:", options, NULL)) >= 0)
                switch (c) {
                case 'w':
                        *ret_fd = safe_close(*ret_fd);
                        *ret_fd = open(optarg, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
                        if (*ret_fd < 0)
                                return log_error_errno(errno, "Cannot open workspace '%s': %m", optarg);
                        break;
                case ARG_IDENTITY:
                        r = json_add_string(params, "identity", optarg);
                        break;
                case ARG_DESCRIPTION:
                        r = json_add_string(params, "description", optarg);
                        break;
                case ARG_TASK:
                        r = json_add_string(params, "task", optarg);
                        break;
                case ARG_TEMPLATE:
                        r = json_add_string(params, "template", optarg);
                        break;
                case ARG_NETWORK:
                        if (ctl_check_network(optarg) < 0)
                                return -EINVAL;
                        r = json_add_string(params, "network", optarg);
                        break;
                case ARG_ALLOW:
                        if (ctl_check_allow(optarg) < 0)
                                return -EINVAL;
                        r = add_words(params, "allow", optarg);
                        break;
                case ARG_ALLOW_DOMAIN:
                        if (ctl_check_allow_domain(optarg) < 0)
                                return -EINVAL;
                        r = add_words(params, "allow_domains", optarg);
                        break;
                case ARG_USER:
                        r = add_words(params, "users", optarg);
                        break;
                case ARG_GRANT:
                        r = add_words(params, "grant", optarg);
                        break;
                case ARG_GROUP:
                        r = add_words(params, "groups", optarg);
                        break;
                /* Limits are more than 0, as for run: 0 would not mean "the default". */
                case ARG_MEMORY:
                        if ((r = ctl_parse_limit("memory-max", optarg, parse_size, &u)) < 0)
                                return r;
                        r = json_add_uint64(params, "memory_max", u);
                        break;
                case ARG_TASKS:
                        if ((r = ctl_parse_limit("tasks-max", optarg, parse_uint64, &u)) < 0)
                                return r;
                        r = json_add_uint64(params, "tasks_max", u);
                        break;
                case ARG_CPU:
                        if ((r = ctl_parse_cpu_quota(optarg, &q)) < 0)
                                return ctl_bad_value(r, "cpu-quota", optarg);
                        r = json_add_int64(params, "cpu_quota_percent", q);
                        break;
                case ARG_RUNTIME:
                        if ((r = ctl_parse_limit("runtime-max", optarg, parse_timespan, &u)) < 0)
                                return r;
                        r = json_add_uint64(params, "runtime_max_usec", u);
                        break;
                default:
                        return -EINVAL;
                }
        if (r < 0)
                return log_oom();
        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 0;
}

static const char *network_of(json_object *params) {
        const char *network = NULL;

        (void) json_get_string(params, "network", &network);
        return network;
}

static int project_add_or_set(const char *method, int argc, char *argv[]) {
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();
        _cleanup_close_ int fd = -EBADF;
        const char *name = argv[1];
        int r;

        if (!params)
                return log_oom();
        /* argv[0] is the subcommand, argv[1] the name; options follow. */
        r = parse_project_options(argc - 1, argv + 1, params, &fd);
        if (r < 0)
                return r;
        /* A new project has no allowlist to fall back on; one being changed may have its own. */
        if (streq(method, "io.openmono.Manager.AddProject") &&
            ctl_check_allowlist(network_of(params), json_object_object_get_ex(params, "allow", NULL)) < 0)
                return -EINVAL;
        return call_named(method, name, params, steal_fd(fd));
}

int verb_project(int argc, char *argv[]) {
        const char *sub = argc > 1 ? argv[1] : "list";
        _cleanup_(json_object_putp) json_object *params = json_object_new_object();

        if (!params)
                return log_oom();
        if (streq(sub, "list") && argc <= 2)
                return project_list();
        /* The name, before anything else: "project show -x" must not become a request. */
        if (argc >= 3 && strv_contains((char **) (const char *const[]) { "show", "remove", "add", "set", NULL }, sub) &&
            ctl_check_project_name(argv[2]) < 0)
                return -EINVAL;
        if (streq(sub, "show") && argc == 3)
                return call_named("io.openmono.Manager.GetProject", argv[2], params, -EBADF);
        if (streq(sub, "remove") && argc == 3)
                return call_named("io.openmono.Manager.RemoveProject", argv[2], params, -EBADF);
        if (streq(sub, "add") && argc >= 3)
                return project_add_or_set("io.openmono.Manager.AddProject", argc - 1, argv + 1);
        if (streq(sub, "set") && argc >= 3)
                return project_add_or_set("io.openmono.Manager.SetProject", argc - 1, argv + 1);
        return log_error_errno(EINVAL, "Usage: %s project list|show NAME|add NAME [OPTIONS]|set NAME [OPTIONS]|remove NAME",
                               program_invocation_short_name);
}
