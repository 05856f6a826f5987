/*
 * Tests of src/http/websocket.c: the WebSocket handshake's accept key and
 * header tokens, and the shared frames (encoded once, reference-counted
 * across threads).
 */
#include "../testutil.h"

#include "core/err.h"
#include "http/websocket.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void test_accept_key(void **state)
{
    (void)state;
    char out[WS_ACCEPT_LEN + 1];
    /* RFC 6455, section 1.3. */
    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    static const char *const bad[] = {
        NULL,
        "",
        "dGhlIHNhbXBsZSBub25jZQ",    /* no padding: 22 characters */
        "dGhlIHNhbXBsZSBub25jZQ===", /* 25 */
        "dGhlIHNhbXBsZSBub25jZ!==",  /* not base64 */
        "dGhlIHNhbXBsZSBub25jZXg=",  /* 17 bytes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ws_accept_key(bad[i], out), SEAU_E_BAD_REQUEST);
}

static void test_tokens(void **state)
{
    (void)state;
    assert_true(ws_header_has_token("Upgrade", "upgrade"));
    assert_true(ws_header_has_token("keep-alive, Upgrade", "upgrade"));
    assert_true(ws_header_has_token(" websocket ", "websocket"));
    assert_true(ws_header_has_token("a,,WebSocket", "websocket"));
    assert_false(ws_header_has_token("upgrades", "upgrade"));
    assert_false(ws_header_has_token("keep-alive", "upgrade"));
    assert_false(ws_header_has_token("", "upgrade"));
    assert_false(ws_header_has_token(NULL, "upgrade"));
}

/* A text frame's bytes: RFC 6455 section 5.2, unmasked, each length form at its bounds. */
static void test_frame_encoding(void **state)
{
    (void)state;
    static const struct {
        size_t len, hlen;
        unsigned char b1;
    } cases[] = {
        {0, 2, 0}, {125, 2, 125}, {126, 4, 126}, {65535, 4, 126}, {65536, 10, 127},
    };
    char *text = malloc(70000);
    assert_non_null(text);
    for (size_t i = 0; i < 70000; i++)
        text[i] = (char)('a' + i % 26);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        size_t len = cases[c].len;
        struct http_ws_frame *f = http_ws_frame_text(text, len);
        assert_non_null(f);
        size_t wlen = 0;
        const unsigned char *w = http_ws_frame_wire(f, &wlen);
        assert_int_equal(wlen, cases[c].hlen + len);
        assert_int_equal(w[0], 0x81);        /* FIN, text */
        assert_int_equal(w[1], cases[c].b1); /* no mask bit */
        uint64_t got = cases[c].hlen == 2 ? w[1] : 0;
        for (size_t k = 2; k < cases[c].hlen; k++)
            got = got << 8 | w[k];
        assert_int_equal(got, len);
        if (len)
            assert_memory_equal(w + cases[c].hlen, text, len);
        http_ws_frame_unref(f);
    }
    free(text);
    http_ws_frame_unref(NULL); /* accepted */
}

enum { REF_THREADS = 4, REF_ROUNDS = 100000 };

static void *ref_many(void *arg)
{
    struct http_ws_frame *f = arg;
    for (int i = 0; i < REF_ROUNDS; i++) {
        http_ws_frame_ref(f);
        http_ws_frame_unref(f);
    }
    return NULL;
}

/* The writer threads drop references to one frame at once: the count must stay exact. */
static void test_frame_refs_across_threads(void **state)
{
    (void)state;
    struct http_ws_frame *f = http_ws_frame_text("{}", 2);
    assert_non_null(f);
    assert_int_equal(http_ws_frame_refs(f), 1);
    http_ws_frame_ref(f);
    assert_int_equal(http_ws_frame_refs(f), 2);
    http_ws_frame_unref(f);
    pthread_t th[REF_THREADS];
    for (int i = 0; i < REF_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, ref_many, f), 0);
    for (int i = 0; i < REF_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(http_ws_frame_refs(f), 1);
    http_ws_frame_unref(f); /* the last: freed (ASan reports a leak otherwise) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_frame_encoding),
        cmocka_unit_test(test_frame_refs_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
