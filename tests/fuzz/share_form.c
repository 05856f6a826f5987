/*
 * Fuzzes what a share link's page reads from a visitor (api/share_page.c):
 * the urlencoded password form, and the escaping and encoding of names put
 * into the page. Input: the form body; the same bytes as a name.
 */
#include "api/share_page.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Not NUL-terminated on purpose: the parser must respect the length. */
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    char out[64];
    static const char *const names[] = {"password", "download", "p", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int rc = share_form_field(body, size, names[i], out, sizeof(out));
        if (rc == 0 && strlen(out) >= sizeof(out))
            __builtin_trap();
        if (rc != 0 && rc != SEAU_E_NOT_FOUND && rc != SEAU_E_VALIDATION)
            __builtin_trap();
    }
    char *name = malloc(size + 1);
    if (name) {
        memcpy(name, data, size);
        name[size] = '\0';
        struct buf b;
        buf_init(&b, 16 * size + 64);
        /* Escaped text never holds a character that opens markup or an attribute. */
        if (share_html_escape(&b, name) == 0 && strpbrk(buf_cstr(&b), "<>\"'"))
            __builtin_trap();
        buf_reset(&b);
        if (share_url_encode(&b, name) == 0)
            for (const char *q = buf_cstr(&b); *q; q++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%",
                            *q))
                    __builtin_trap();
        buf_done(&b);
        free(name);
    }
    free(body);
    return 0;
}
