/* Tests of src/auth/totp.c: RFC 4226 and RFC 6238 vectors, the window, replays, base32. */
#include "../testutil.h"

#include "auth/totp.h"
#include "core/err.h"

static const unsigned char rfc_key[] = "12345678901234567890"; /* the RFCs' SHA-1 secret */
#define RFC_KEYLEN 20

/* RFC 4226 appendix D: HOTP values for counters 0 to 9. */
static void test_hotp_rfc4226(void **state)
{
    (void)state;
    static const char *const expect[] = {"755224", "287082", "359152", "969429", "338314",
                                         "254676", "287922", "162583", "399871", "520489"};
    for (uint64_t i = 0; i < 10; i++) {
        char out[9];
        assert_int_equal(auth_totp_hotp(rfc_key, RFC_KEYLEN, i, 6, out), 0);
        assert_string_equal(out, expect[i]);
    }
    char out[10];
    assert_int_equal(auth_totp_hotp(rfc_key, RFC_KEYLEN, 0, 5, out), SEAU_E_VALIDATION);
    assert_int_equal(auth_totp_hotp(rfc_key, RFC_KEYLEN, 0, 9, out), SEAU_E_VALIDATION);
}

/* RFC 6238 appendix B, SHA-1 rows (8 digits, 30 s steps from the epoch). */
static void test_totp_rfc6238(void **state)
{
    (void)state;
    static const struct {
        int64_t t;
        const char *code;
    } rows[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[9];
        int64_t step = auth_totp_step(rows[i].t * 1000);
        assert_int_equal(step, rows[i].t / 30);
        assert_int_equal(auth_totp_hotp(rfc_key, RFC_KEYLEN, (uint64_t)step, 8, out), 0);
        assert_string_equal(out, rows[i].code);
    }
}

static void code_at(int64_t step, char out[7])
{
    assert_int_equal(auth_totp_hotp(rfc_key, RFC_KEYLEN, (uint64_t)step, 6, out), 0);
}

/* ±1 step is accepted, ±2 is not; a step at or below the last one used is a replay. */
static void test_window_and_replay(void **state)
{
    (void)state;
    int64_t now = 1700000000123LL, s = auth_totp_step(now), got = 0;
    char c[7];
    for (int64_t d = -1; d <= 1; d++) {
        code_at(s + d, c);
        assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, c, now, 0, &got), 0);
        assert_int_equal(got, s + d);
    }
    code_at(s - 2, c);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, c, now, 0, &got), SEAU_E_INVALID_CODE);
    code_at(s + 2, c);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, c, now, 0, &got), SEAU_E_INVALID_CODE);
    /* Used at step s: the same code again, and the previous step's, are replays. */
    code_at(s, c);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, c, now, s, &got), SEAU_E_CONFLICT);
    code_at(s - 1, c);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, c, now, s, &got), SEAU_E_CONFLICT);
    code_at(s + 1, c);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, c, now, s, &got), 0);
    /* Malformed codes. */
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, "12345", now, 0, &got),
                     SEAU_E_INVALID_CODE);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, "12345a", now, 0, &got),
                     SEAU_E_INVALID_CODE);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, "1234567", now, 0, &got),
                     SEAU_E_INVALID_CODE);
    assert_int_equal(auth_totp_verify(rfc_key, RFC_KEYLEN, NULL, now, 0, &got),
                     SEAU_E_INVALID_CODE);
}

/* RFC 4648 section 10, without padding. */
static void test_base32(void **state)
{
    (void)state;
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"",        "MY",       "MZXQ",      "MZXW6",
                                      "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
    for (size_t i = 0; i < 7; i++) {
        char buf[32];
        size_t n = auth_base32_encode((const unsigned char *)in[i], strlen(in[i]), buf);
        assert_string_equal(buf, out[i]);
        assert_int_equal(n, strlen(out[i]));
        assert_int_equal(auth_base32_len(strlen(in[i])), strlen(out[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotp_rfc4226),
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_window_and_replay),
        cmocka_unit_test(test_base32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
