/* Tests of src/http/websocket.c: the WebSocket handshake's accept key and header tokens. */
#include "../testutil.h"

#include "core/err.h"
#include "http/websocket.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
