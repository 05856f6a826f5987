/*
 * Tests of src/auth/oidc_token.c: ID tokens signed here with fixed RSA and
 * EC keys (cjose signs; the verifier under test imports only the public
 * halves, as a provider's JWKS publishes them): RS256 and ES256 accepted;
 * a tampered payload or signature, a key the set lacks, a refused
 * algorithm, and each claim check (iss, aud, azp, exp, iat, nonce, sub)
 * refused with its own reason.
 */
#include "../testutil.h"

#include "auth/oidc_token.h"
#include "core/err.h"

#include <cjose/cjose.h>
#include <jansson.h>

/* Private JWKs fixed once (generated with node:crypto), so failures reproduce. */
static const char RSA_JWK[] =
    "{\"kty\":\"RSA\",\"n\":\"wfGo2njDLJO-uWcZodABD9rxeAUed3RzpNYF0-kjJxQyhYBEEnNPxJgQ-kictD8HE"
    "fakS7cLpZiVHyQDULjZhDsMYV2bXp_kDAzQJ9Mp5loMsqtKIG2yJf55D4eq7wN5VdnqdiJRWQwUA0dfSDuYkrXUCmC"
    "bQi_P2bT0XBO41F-V40o8k4z8pLFdGN8vOWFLuV5A2dOn5vYYWRPZBIFUy_Gx1SEHgDbkNbkRMdDxIw2uyD0IJLbDj"
    "44KJQeKw7Jt7a3SxtFBlApRx9A0VKiUcK8T4S0QKkgtUAJBky8bFkZuOibdVxxSaNYbp2Yi4i8akPz1qqfNBFxmB_l"
    "ukibuCQ\",\"e\":\"AQAB\",\"d\":\"AYjOa7AR5zviAeiBaOjS4VO7nlX4CDzpH1A8KpGJICmGPs0lfLnh0y3a0"
    "IgbiUeIYEmBwkGX-37qCx2HUy-rNOMctXZ-oLCGJtxBF1eR2Ms0l4NIalpD0w4g2hEaNprh7l5zfuzFlP1F-UKqy9E"
    "A44RBwbVC9TKYo-HNHx9e0ntNkLe8l_keZtCpDKiXSt4kJ6ADytmq5bwJakUXTCZOnSDjtN8oRud4ndu8zDHO4REa8"
    "qKTfz0APT_mbwI97pV5-tcvywkGmoP3K1b22fX9TjPy96ZVDkGq_ldRQqztqgVz8StYMST3nihPeTbVPalxH8ZfG6L"
    "n_S62nnhe2znGAw\",\"p\":\"-x4FCHWcSq3IJye82QH854EeNLl7EqptU0eBBY0g1lRuCbc4gliJT5bkxx2YuKpZ"
    "gQuMpR8qSCwtx87LnY8Cj9JyL891NNrpDLr2m1ALnsBFsV9UJvChRefpH5YToYXu_kgCscFNzJ27G0xXEYCkfR-iq8"
    "DHy8gBd9fTuqUQKhc\",\"q\":\"xbcMw7B5Rh3inLpCs04i9fxsxVep7StJQFmnxsHg-yp9kQeCvOqUY9M8ovv5ev"
    "CwOLo1YeEDe4Ln8edN-iD7n71Xd2iDes4UV2oZcRAMKi0zPLAcNDqHbbJ_iDHX6apzmRy1JijcN7jfcSlJmOm4o0Ky"
    "ekugf5ZcgnbBj5beXN8\",\"dp\":\"ImOvDsSEfdmksnAHtbRG_TE6gL_x8dFzHVeKfMch-xge5ae4zmjvjP2-IOK"
    "Vupxhm4GIZkiJUs7yCg3w5ofiMu4AAzom8_ESv1KPWR-yJ7BvGuZSMO79NwSWcWPtFk6wNxSHge5WCDKFoCxpNBVo8"
    "VW2wkypT-f5A3-EGGhoeUs\",\"dq\":\"c6p26TSgfgiVviKpSsR3Z3jZGUoDuyALpn3MzVY3DDj7ZJEERwjk7tFx"
    "M9g9R1LvhQBKooxEwUj_8GDlGWOaUQUv2kdmQ72z4L_NSnuc4j-3LdXJajSjbeVy_nZKXgS9w-EriLt2uZKKBWWmDL"
    "MOtVQbnbgImRuZ2ykma55TT_k\",\"qi\":\"pRyLTR24i48DMShnsQeIW692NAUnSgUwP-xpO3pJFYsydkYcqcK2C"
    "jvX0Q1wjvaQMR40JAMLb_5JBEwh68a0Rpu-txCJLfwGdgQMWTPzQPDv8TMT37O8HsOiEJhmf5HlSam-irpN8MShOSH"
    "EJ4QAJ6vQdyEBcAVAsKJza-2dDfQ\",\"kid\":\"rsa-fixed\"}";
static const char EC_JWK[] =
    "{\"kty\":\"EC\",\"x\":\"hjcvyMmNUAWtul7zs3B9lwaspVsKpUEQP4glvOrBwDM\",\"y\":\"g6-Zw92f52cy"
    "uy4XVCyeAPrtT0Y7c_rJuLbmhcVTX78\",\"crv\":\"P-256\",\"d\":\"ppTvzCfsKRf8bDOPBrNJvU2nVnxfvK"
    "rgDP8_wUmOuDs\",\"kid\":\"ec-fixed\"}";

#define NOW 1800000000LL

static cjose_jwk_t *private_key(const char *json)
{
    cjose_err err;
    cjose_jwk_t *k = cjose_jwk_import(json, strlen(json), &err);
    assert_non_null(k);
    return k;
}

/* A JWKS of the public halves of keys[0..n). */
static struct auth_oidc_keys *public_set(cjose_jwk_t **keys, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        cjose_err err;
        char *pub = cjose_jwk_to_json(keys[i], false, &err);
        assert_non_null(pub);
        json_t *j = json_loads(pub, 0, NULL);
        assert_null(json_object_get(j, "d")); /* really only the public half */
        json_array_append_new(arr, j);
        free(pub);
    }
    json_t *doc = json_pack("{s:o}", "keys", arr);
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    struct auth_oidc_keys *set = NULL;
    assert_int_equal(auth_oidc_keys_parse(text, strlen(text), &set), 0);
    free(text);
    return set;
}

static json_t *good_claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", "https://idp.example", "aud",
                     "seau", "sub", "user-1", "nonce", "n-123", "iat", (json_int_t)(NOW - 10),
                     "exp", (json_int_t)(NOW + 300), "email", "a@example.com");
}

/* Signs claims (taken) with key under alg and kid (NULL: no kid). Free the result. */
static char *sign_jwt(cjose_jwk_t *key, const char *alg, const char *kid, json_t *claims)
{
    cjose_err err;
    cjose_header_t *h = cjose_header_new(&err);
    assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, &err));
    if (kid)
        assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, &err));
    char *payload = json_dumps(claims, JSON_COMPACT);
    json_decref(claims);
    cjose_jws_t *jws = cjose_jws_sign(key, h, (const uint8_t *)payload, strlen(payload), &err);
    assert_non_null(jws);
    const char *compact = NULL;
    assert_true(cjose_jws_export(jws, &compact, &err));
    char *out = strdup(compact);
    cjose_jws_release(jws);
    cjose_header_release(h);
    free(payload);
    return out;
}

static const struct auth_oidc_expect expect = {
    .issuer = "https://idp.example",
    .client_id = "seau",
    .nonce = "n-123",
    .now_s = NOW,
    .skew_s = 120,
};

static enum auth_oidc_token_problem check(const char *jwt, const struct auth_oidc_keys *set)
{
    json_t *claims = NULL;
    enum auth_oidc_token_problem p = AUTH_OIDC_TOKEN_OK;
    int rc = auth_oidc_token_verify(jwt, set, &expect, &claims, &p);
    if (rc == 0) {
        assert_int_equal(p, AUTH_OIDC_TOKEN_OK);
        assert_string_equal(json_string_value(json_object_get(claims, "sub")), "user-1");
        json_decref(claims);
    } else {
        assert_int_equal(rc, SEAU_E_UNAUTHORIZED);
        assert_null(claims);
        assert_int_not_equal(p, AUTH_OIDC_TOKEN_OK);
    }
    return p;
}

struct fixture {
    cjose_jwk_t *rsa, *ec;
    struct auth_oidc_keys *set;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->rsa = private_key(RSA_JWK);
    f->ec = private_key(EC_JWK);
    cjose_jwk_t *both[] = {f->rsa, f->ec};
    f->set = public_set(both, 2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    auth_oidc_keys_unref(f->set);
    cjose_jwk_release(f->rsa);
    cjose_jwk_release(f->ec);
    free(f);
    return 0;
}

static void test_rs256_and_es256_accepted(void **state)
{
    struct fixture *f = *state;
    char *a = sign_jwt(f->rsa, "RS256", "rsa-fixed", good_claims());
    char *b = sign_jwt(f->ec, "ES256", "ec-fixed", good_claims());
    char *c = sign_jwt(f->ec, "ES256", NULL, good_claims()); /* no kid: a key of its type */
    assert_int_equal(check(a, f->set), AUTH_OIDC_TOKEN_OK);
    assert_int_equal(check(b, f->set), AUTH_OIDC_TOKEN_OK);
    assert_int_equal(check(c, f->set), AUTH_OIDC_TOKEN_OK);
    /* Several audiences with our azp; one audience with our azp. */
    json_t *m = good_claims();
    json_object_set_new(m, "aud", json_pack("[s,s]", "seau", "api"));
    json_object_set_new(m, "azp", json_string("seau"));
    char *d = sign_jwt(f->rsa, "RS256", "rsa-fixed", m);
    assert_int_equal(check(d, f->set), AUTH_OIDC_TOKEN_OK);
    /* Within the skew either way. */
    json_t *s = good_claims();
    json_object_set_new(s, "exp", json_integer(NOW - 100));
    json_object_set_new(s, "iat", json_integer(NOW + 100));
    char *e = sign_jwt(f->rsa, "RS256", "rsa-fixed", s);
    assert_int_equal(check(e, f->set), AUTH_OIDC_TOKEN_OK);
    free(a), free(b), free(c), free(d), free(e);
}

static void test_tampering_and_keys_refused(void **state)
{
    struct fixture *f = *state;
    char *a = sign_jwt(f->rsa, "RS256", "rsa-fixed", good_claims());
    /* Another payload under the same signature. */
    char *dot1 = strchr(a, '.'), *dot2 = strchr(dot1 + 1, '.');
    json_t *forged = good_claims();
    json_object_set_new(forged, "sub", json_string("admin"));
    char *fp = json_dumps(forged, JSON_COMPACT);
    json_decref(forged);
    char *b64 = NULL;
    size_t b64len = 0;
    cjose_err err;
    assert_true(cjose_base64url_encode((const uint8_t *)fp, strlen(fp), &b64, &b64len, &err));
    char tampered[8192];
    snprintf(tampered, sizeof(tampered), "%.*s.%s%s", (int)(dot1 - a), a, b64, dot2);
    assert_int_equal(check(tampered, f->set), AUTH_OIDC_TOKEN_SIGNATURE);
    free(fp);
    cjose_get_dealloc()(b64);
    /* One bit of the signature flipped. */
    char *flip = strdup(a);
    size_t n = strlen(flip);
    flip[n - 5] = flip[n - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(check(flip, f->set), AUTH_OIDC_TOKEN_SIGNATURE);
    /* A kid the set lacks; a key type the kid does not have. */
    char *u = sign_jwt(f->rsa, "RS256", "rotated-away", good_claims());
    assert_int_equal(check(u, f->set), AUTH_OIDC_TOKEN_UNKNOWN_KEY);
    cjose_jwk_t *only_ec[] = {f->ec};
    struct auth_oidc_keys *ec_set = public_set(only_ec, 1);
    char *r = sign_jwt(f->rsa, "RS256", NULL, good_claims());
    assert_int_equal(check(r, ec_set), AUTH_OIDC_TOKEN_UNKNOWN_KEY);
    /* Signed by the EC key but claiming the RSA key's kid. */
    char *w = sign_jwt(f->ec, "ES256", "rsa-fixed", good_claims());
    assert_int_equal(check(w, f->set), AUTH_OIDC_TOKEN_UNKNOWN_KEY);
    auth_oidc_keys_unref(ec_set);
    /* alg none, HS256 (the public key as a shared secret), garbage. */
    assert_int_equal(check("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.", f->set),
                     AUTH_OIDC_TOKEN_ALG);
    cjose_jwk_t *oct = cjose_jwk_create_oct_random(256, &err);
    char *h = sign_jwt(oct, "HS256", "rsa-fixed", good_claims());
    assert_int_equal(check(h, f->set), AUTH_OIDC_TOKEN_ALG);
    cjose_jwk_release(oct);
    assert_int_equal(check("not a token", f->set), AUTH_OIDC_TOKEN_MALFORMED);
    assert_int_equal(check("", f->set), AUTH_OIDC_TOKEN_MALFORMED);
    free(a), free(flip), free(u), free(r), free(w), free(h);
}

/* Signs good claims changed by one member (value taken; NULL removes it). */
static enum auth_oidc_token_problem with(struct fixture *f, const char *member, json_t *value)
{
    json_t *c = good_claims();
    if (value)
        json_object_set_new(c, member, value);
    else
        json_object_del(c, member);
    char *jwt = sign_jwt(f->rsa, "RS256", "rsa-fixed", c);
    enum auth_oidc_token_problem p = check(jwt, f->set);
    free(jwt);
    return p;
}

static void test_claims_checked(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(with(f, "iss", json_string("https://other.example")), AUTH_OIDC_TOKEN_ISSUER);
    assert_int_equal(with(f, "iss", NULL), AUTH_OIDC_TOKEN_ISSUER);
    assert_int_equal(with(f, "aud", json_string("another")), AUTH_OIDC_TOKEN_AUDIENCE);
    assert_int_equal(with(f, "aud", json_pack("[s,s]", "seau", "api")), AUTH_OIDC_TOKEN_AUDIENCE);
    assert_int_equal(with(f, "azp", json_string("api")), AUTH_OIDC_TOKEN_AUDIENCE);
    assert_int_equal(with(f, "aud", NULL), AUTH_OIDC_TOKEN_AUDIENCE);
    assert_int_equal(with(f, "exp", json_integer(NOW - 121)), AUTH_OIDC_TOKEN_EXPIRED);
    assert_int_equal(with(f, "exp", NULL), AUTH_OIDC_TOKEN_EXPIRED);
    assert_int_equal(with(f, "exp", json_string("soon")), AUTH_OIDC_TOKEN_EXPIRED);
    assert_int_equal(with(f, "iat", json_integer(NOW + 121)), AUTH_OIDC_TOKEN_IAT);
    assert_int_equal(with(f, "iat", NULL), AUTH_OIDC_TOKEN_IAT);
    assert_int_equal(with(f, "nonce", json_string("n-124")), AUTH_OIDC_TOKEN_NONCE);
    assert_int_equal(with(f, "nonce", json_string("n-12")), AUTH_OIDC_TOKEN_NONCE);
    assert_int_equal(with(f, "nonce", NULL), AUTH_OIDC_TOKEN_NONCE);
    assert_int_equal(with(f, "sub", json_string("")), AUTH_OIDC_TOKEN_SUBJECT);
    assert_int_equal(with(f, "sub", NULL), AUTH_OIDC_TOKEN_SUBJECT);
    assert_string_equal(auth_oidc_token_problem_name(AUTH_OIDC_TOKEN_AUDIENCE), "wrong_audience");
}

static void test_jwks_parsing(void **state)
{
    (void)state;
    struct auth_oidc_keys *k = NULL;
    assert_int_equal(auth_oidc_keys_parse("{}", 2, &k), SEAU_E_VALIDATION);
    assert_int_equal(auth_oidc_keys_parse("nonsense", 8, &k), SEAU_E_VALIDATION);
    /* Only an encryption key and a symmetric key: nothing to verify with. */
    const char *none =
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"},"
        "{\"kty\":\"EC\",\"use\":\"enc\",\"crv\":\"P-256\",\"x\":\"a\",\"y\":\"b\"}]}";
    assert_int_equal(auth_oidc_keys_parse(none, strlen(none), &k), SEAU_E_VALIDATION);
    assert_null(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rs256_and_es256_accepted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampering_and_keys_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claims_checked, setup, teardown),
        cmocka_unit_test(test_jwks_parsing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
