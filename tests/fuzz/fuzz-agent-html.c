/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Feeds arbitrary bytes, as a web page fetched by web_fetch could hold, to the HTML-to-text
 * conversion. Checks for crashes and leaks. */

#include <stdint.h>

#include "html-text.h"
#include "macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;

        if (size > 256 * 1024)
                return 0;
        (void) html_to_text((const char *) data, size, &text);
        return 0;
}
