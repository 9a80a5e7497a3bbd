/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes to the secret store's record reader as the contents of a secret's file,
 * as a damaged disk or someone with write access to the store could. Checks the absence of
 * crashes and leaks, that nothing but a sealed record opens, and that any input sealed as a
 * value opens again to the same bytes, for its owner and name only. */

#include <assert.h>
#include <stdint.h>

#include "secret-store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint8_t key[SECRET_MASTER_KEY_SIZE] = { 0x42 };
        _cleanup_(secret_value_freep) SecretValue *v = NULL, *w = NULL;
        _cleanup_free_ uint8_t *record = NULL;
        size_t n;
        int r;

        r = secret_record_open(key, 1000, "NAME", data, size, &v);
        assert(r == -EBADMSG || r == -ENOMEM);

        if (secret_record_seal(key, 1000, "NAME", data, size, &record, &n) < 0)
                return 0;
        r = secret_record_open(key, 1000, "NAME", record, n, &w);
        assert(r == 0 && w->size == size && (size == 0 || memcmp(w->data, data, size) == 0));
        w = secret_value_free(w);
        assert(secret_record_open(key, 1001, "NAME", record, n, &w) == -EBADMSG);
        assert(secret_record_open(key, 1000, "NAME2", record, n, &w) == -EBADMSG);
        return 0;
}
