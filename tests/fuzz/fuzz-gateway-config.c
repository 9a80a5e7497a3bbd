/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gateway.conf through the gateway's table: repeated [Upstream] sections, Name= selection,
 * URL and model-mapping checks. Every diagnostic names the file; a configuration that is
 * accepted has a URL for every upstream. */

#include <stdint.h>

#include "gateway-config.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(gateway_config_unrefp) GatewayConfig *c = NULL;
        _cleanup_free_ char *error = NULL;
        ConfigDiagnostics d = {};
        const char *target;
        int r;

        if (size > 4 * CONFIG_LINE_MAX || gateway_config_new(&c) < 0)
                return 0;
        r = config_parse_buffer("fuzz.conf", data, size, gateway_config_items, c, &d);
        if (r < 0 && d.error && !startswith(d.error, "fuzz.conf:"))
                abort();
        STRV_FOREACH(w, d.warnings)
                if (!startswith(*w, "fuzz.conf:"))
                        abort();
        if (r >= 0 && gateway_config_finish(c, &error) >= 0)
                for (size_t i = 0; i < c->n_upstreams; i++) {
                        if (!c->upstreams[i]->url || !upstream_name_is_valid(c->upstreams[i]->name))
                                abort();
                        (void) upstream_config_map_model(c->upstreams[i], "model", &target);
                }
        config_diagnostics_done(&d);
        return 0;
}
