/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A chat-completion request body as a session sends it, through the gateway's parsing and
 * rewriting: whatever parses must be rewritten into a JSON object that parses again. The same
 * bytes also go through the readers of upstream answers (error objects, model lists). */

#include <stdint.h>

#include "json-util.h"
#include "openai.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite(ChatRequest *r, const char *model) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *out = NULL;

        if (chat_request_build(r, model, &out) < 0)
                return;
        if (json_parse(out, strlen(out), &o) < 0 || !json_object_is_type(o, json_type_object))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(chat_request_freep) ChatRequest *r = NULL;
        _cleanup_strv_free_ char **models = NULL;
        _cleanup_free_ char *error = NULL;
        int k;

        if (size > 1024 * 1024)
                return 0;
        k = chat_request_parse((const char *) data, size, &r, &error);
        if (k >= 0) {
                if (error)
                        abort();
                rewrite(r, "upstream-model");
                rewrite(r, r->model);
                rewrite(r, NULL);
                if (chat_request_set_user(r, "alice/s1") >= 0)
                        rewrite(r, "upstream-model");
        } else if (k == -EBADMSG && !error)
                abort();
        (void) openai_is_error_json((const char *) data, size);
        (void) openai_parse_model_list((const char *) data, size, &models);
        return 0;
}
