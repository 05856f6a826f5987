/*
 * Tests of src/auth/oidc_cfg.c: reading SEAU_OIDC_<ID>_* and
 * SEAU_PASSWORD_LOGIN (every problem named), the claim mappings (highest
 * role, default role, union of grants), the e-mail domain allow-list and
 * the returnTo rule.
 */
#include "../testutil.h"

#include "auth/oidc_cfg.h"
#include "core/err.h"

static bool has_problem(const struct cfg_problems *p, const char *needle)
{
    for (size_t i = 0; i < p->len; i++)
        if (strstr(p->items[i], needle))
            return true;
    return false;
}

static void test_full_provider(void **state)
{
    (void)state;
    char secret_path[] = "/tmp/seau-oidc-secret-XXXXXX";
    int fd = mkstemp(secret_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "from-a-file\n", 12), 12);
    close(fd);
    char secret_var[128];
    snprintf(secret_var, sizeof(secret_var), "SEAU_OIDC_CORP_CLIENT_SECRET_FILE=%s", secret_path);
    char *env[] = {
        "PATH=/usr/bin",
        "SEAU_OIDC_CORP_ISSUER=https://login.corp.example/realms/x",
        "SEAU_OIDC_CORP_CLIENT_ID=seau",
        secret_var,
        "SEAU_OIDC_CORP_NAME=Corp SSO",
        "SEAU_OIDC_CORP_SCOPES=email groups",
        "SEAU_OIDC_CORP_ROLE_MAP=roles: seau-admins=admin, storage-team=manager ,x=user",
        "SEAU_OIDC_CORP_GRANTS_MAP=storage-team=media/team/;archive, interns=media/public/",
        "SEAU_OIDC_CORP_ALLOWED_DOMAINS=Corp.Example, @sub.corp.example",
        "SEAU_OIDC_LOCAL_ISSUER=http://127.0.0.1:9999",
        "SEAU_OIDC_LOCAL_CLIENT_ID=c",
        "SEAU_OIDC_LOCAL_CLIENT_SECRET=s",
        "SEAU_OIDC_LOCAL_DEFAULT_ROLE=none",
        NULL,
    };
    struct auth_oidc_cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(auth_oidc_cfg_load(env, &c, &p), 0);
    assert_int_equal(p.len, 0);
    assert_true(c.password_login);
    assert_int_equal(c.nproviders, 2);
    const struct auth_oidc_provider_cfg *corp = &c.providers[0];
    assert_string_equal(corp->id, "corp");
    assert_string_equal(corp->name, "Corp SSO");
    assert_string_equal(corp->client_secret, "from-a-file");
    assert_string_equal(corp->scopes, "openid email groups");
    assert_string_equal(corp->role_claim, "roles");
    assert_int_equal(corp->nroles, 3);
    assert_string_equal(corp->roles[1].group, "storage-team");
    assert_int_equal(corp->roles[1].role, AUTH_ROLE_MANAGER);
    assert_true(corp->has_grants_map);
    assert_int_equal(corp->ngrants, 3);
    assert_string_equal(corp->grants[0].grant.bucket, "media");
    assert_string_equal(corp->grants[0].grant.prefix, "team/");
    assert_string_equal(corp->grants[1].grant.bucket, "archive");
    assert_string_equal(corp->grants[1].grant.prefix, "");
    assert_int_equal(corp->ndomains, 2);
    assert_string_equal(corp->domains[0], "corp.example");
    assert_string_equal(corp->domains[1], "sub.corp.example");
    assert_int_equal(corp->default_role, AUTH_ROLE_USER);
    const struct auth_oidc_provider_cfg *local = &c.providers[1];
    assert_string_equal(local->name, "LOCAL");
    assert_string_equal(local->scopes, "openid email profile");
    assert_string_equal(local->role_claim, "groups");
    assert_int_equal(local->default_role, AUTH_ROLE_NONE);
    assert_false(local->has_grants_map);
    /* The printout redacts the secret. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    auth_oidc_cfg_print(&c, f);
    fclose(f);
    assert_null(strstr(text, "from-a-file"));
    assert_non_null(strstr(text, "(redacted)"));
    free(text);
    auth_oidc_cfg_done(&c);
    unlink(secret_path);
}

static void test_problems_named(void **state)
{
    (void)state;
    char *env[] = {
        "SEAU_PASSWORD_LOGIN=maybe",
        "SEAU_OIDC_A_ISSUER=http://idp.example.com",
        "SEAU_OIDC_A_ROLE_MAP=g=root,nogroup",
        "SEAU_OIDC_A_GRANTS_MAP=g=Bad_Bucket/x",
        "SEAU_OIDC_A_DEFAULT_ROLE=owner",
        "SEAU_OIDC_B_ISSUER=https://idp.example.com",
        "SEAU_OIDC_B_CLIENT_ID=x",
        "SEAU_OIDC_B_CLIENT_SECRET=s",
        "SEAU_OIDC_B_CLIENT_SECRET_FILE=/nonexistent",
        "SEAU_OIDC_b-c_ISSUER=https://x.example",
        NULL,
    };
    struct auth_oidc_cfg c;
    struct cfg_problems p = {.len = 0};
    assert_int_equal(auth_oidc_cfg_load(env, &c, &p), SEAU_E_VALIDATION);
    assert_true(has_problem(&p, "SEAU_PASSWORD_LOGIN must be true or false"));
    assert_true(has_problem(&p, "SEAU_OIDC_A_ISSUER must be an https:// URL"));
    assert_true(has_problem(&p, "SEAU_OIDC_A_CLIENT_ID is required"));
    assert_true(has_problem(&p, "SEAU_OIDC_A_CLIENT_SECRET or _CLIENT_SECRET_FILE is required"));
    assert_true(has_problem(&p, "SEAU_OIDC_A_ROLE_MAP: the role of \"g=root\""));
    assert_true(has_problem(&p, "SEAU_OIDC_A_ROLE_MAP: \"nogroup\" is not GROUP=ROLE"));
    assert_true(has_problem(&p, "SEAU_OIDC_A_GRANTS_MAP: \"Bad_Bucket/x\""));
    assert_true(has_problem(&p, "SEAU_OIDC_A_DEFAULT_ROLE must be"));
    assert_true(has_problem(&p, "SEAU_OIDC_B_CLIENT_SECRET and _CLIENT_SECRET_FILE are both set"));
    assert_true(has_problem(&p, "\"b-c\" is not an id"));
    cfg_problems_done(&p);
    auth_oidc_cfg_done(&c);

    /* Passwords off with no provider would lock everyone out. */
    char *off[] = {"SEAU_PASSWORD_LOGIN=false", NULL};
    assert_int_equal(auth_oidc_cfg_load(off, &c, &p), SEAU_E_VALIDATION);
    assert_true(has_problem(&p, "needs at least one identity provider"));
    cfg_problems_done(&p);
    auth_oidc_cfg_done(&c);

    char *none[] = {"HOME=/root", NULL};
    assert_int_equal(auth_oidc_cfg_load(none, &c, &p), 0);
    assert_int_equal(c.nproviders, 0);
    assert_true(c.password_login);
    auth_oidc_cfg_done(&c);
}

static struct auth_oidc_cfg load(char **env)
{
    struct auth_oidc_cfg c;
    struct cfg_problems p = {.len = 0};
    int rc = auth_oidc_cfg_load(env, &c, &p);
    for (size_t i = 0; i < p.len; i++)
        fprintf(stderr, "problem: %s\n", p.items[i]);
    assert_int_equal(rc, 0);
    return c;
}

static void test_claim_mapping(void **state)
{
    (void)state;
    char *env[] = {
        "SEAU_OIDC_C_ISSUER=https://idp.example",
        "SEAU_OIDC_C_CLIENT_ID=x",
        "SEAU_OIDC_C_CLIENT_SECRET=s",
        "SEAU_OIDC_C_ROLE_MAP=groups: staff=user, storage=manager, admins=admin",
        "SEAU_OIDC_C_GRANTS_MAP=storage=media/team/;archive, interns=media/public/, "
        "storage=archive",
        NULL,
    };
    struct auth_oidc_cfg c = load(env);
    const struct auth_oidc_provider_cfg *p = &c.providers[0];
    struct auth_oidc_mapping m;

    /* The highest role any group gives; the union of grants, each once. */
    json_t *claims = json_pack("{s:[s,s,s]}", "groups", "staff", "storage", "interns");
    assert_int_equal(auth_oidc_map_claims(p, claims, &m), 0);
    assert_int_equal(m.role, AUTH_ROLE_MANAGER);
    assert_true(m.set_grants);
    assert_int_equal(m.ngrants, 3);
    assert_string_equal(m.grants[0].bucket, "media");
    assert_string_equal(m.grants[0].prefix, "team/");
    assert_string_equal(m.grants[1].bucket, "archive");
    assert_string_equal(m.grants[2].prefix, "public/");
    auth_oidc_mapping_done(&m);
    json_decref(claims);

    /* One string instead of an array. */
    claims = json_pack("{s:s}", "groups", "admins");
    assert_int_equal(auth_oidc_map_claims(p, claims, &m), 0);
    assert_int_equal(m.role, AUTH_ROLE_ADMIN);
    assert_int_equal(m.ngrants, 0);
    assert_true(m.set_grants); /* no group grants anything: grants are emptied */
    auth_oidc_mapping_done(&m);
    json_decref(claims);

    /* No matching group, or no claim at all: the default role. */
    claims = json_pack("{s:[s, i]}", "groups", "other", 7);
    assert_int_equal(auth_oidc_map_claims(p, claims, &m), 0);
    assert_int_equal(m.role, AUTH_ROLE_USER);
    auth_oidc_mapping_done(&m);
    json_decref(claims);
    claims = json_object();
    assert_int_equal(auth_oidc_map_claims(p, claims, &m), 0);
    assert_int_equal(m.role, AUTH_ROLE_USER);
    auth_oidc_mapping_done(&m);
    auth_oidc_cfg_done(&c);

    /* _DEFAULT_ROLE=none: no match, no entry. Without a role map: roles are left alone. */
    char *strict[] = {
        "SEAU_OIDC_S_ISSUER=https://idp.example",
        "SEAU_OIDC_S_CLIENT_ID=x",
        "SEAU_OIDC_S_CLIENT_SECRET=s",
        "SEAU_OIDC_S_ROLE_MAP=admins=admin",
        "SEAU_OIDC_S_DEFAULT_ROLE=none",
        "SEAU_OIDC_F_ISSUER=https://idp.example",
        "SEAU_OIDC_F_CLIENT_ID=x",
        "SEAU_OIDC_F_CLIENT_SECRET=s",
        NULL,
    };
    c = load(strict);
    assert_int_equal(auth_oidc_map_claims(&c.providers[0], claims, &m), SEAU_E_FORBIDDEN);
    assert_int_equal(auth_oidc_map_claims(&c.providers[1], claims, &m), 0);
    assert_int_equal(m.role, AUTH_ROLE_NONE);
    assert_false(m.set_grants);
    auth_oidc_mapping_done(&m);
    json_decref(claims);
    auth_oidc_cfg_done(&c);
}

static void test_domains(void **state)
{
    (void)state;
    char *env[] = {
        "SEAU_OIDC_D_ISSUER=https://idp.example",
        "SEAU_OIDC_D_CLIENT_ID=x",
        "SEAU_OIDC_D_CLIENT_SECRET=s",
        "SEAU_OIDC_D_ALLOWED_DOMAINS=example.com,corp.example",
        "SEAU_OIDC_E_ISSUER=https://idp.example",
        "SEAU_OIDC_E_CLIENT_ID=x",
        "SEAU_OIDC_E_CLIENT_SECRET=s",
        NULL,
    };
    struct auth_oidc_cfg c = load(env);
    const struct auth_oidc_provider_cfg *d = &c.providers[0];
    assert_true(auth_oidc_domain_allowed(d, "a@example.com"));
    assert_true(auth_oidc_domain_allowed(d, "a@EXAMPLE.com"));
    assert_true(auth_oidc_domain_allowed(d, "a@corp.example"));
    assert_false(auth_oidc_domain_allowed(d, "a@evil.example.com"));
    assert_false(auth_oidc_domain_allowed(d, "a@example.com.evil"));
    assert_false(auth_oidc_domain_allowed(d, "example.com"));
    assert_false(auth_oidc_domain_allowed(d, "a@"));
    assert_false(auth_oidc_domain_allowed(d, NULL));
    assert_true(auth_oidc_domain_allowed(&c.providers[1], "anyone@anywhere.test"));
    auth_oidc_cfg_done(&c);
}

static void test_return_to(void **state)
{
    (void)state;
    static const char *const ok[] = {"/", "/files", "/files?bucket=a&prefix=b%2F", "/a#frag"};
    static const char *const bad[] = {
        NULL,   "",      "files", "//evil.example", "/\\evil.example",     "https://evil.example/",
        "/a b", "/a\tb", "/a\nb", "/a\\b",          "javascript:alert(1)", "/\xc3\xa9",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_true(auth_oidc_return_to_ok(ok[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(auth_oidc_return_to_ok(bad[i]));
    /* At the limit and one past it. */
    char longest[DB_RETURN_TO_MAX + 2];
    memset(longest, 'a', sizeof(longest));
    longest[0] = '/';
    longest[DB_RETURN_TO_MAX] = '\0';
    assert_true(auth_oidc_return_to_ok(longest));
    longest[DB_RETURN_TO_MAX] = 'a';
    longest[DB_RETURN_TO_MAX + 1] = '\0';
    assert_false(auth_oidc_return_to_ok(longest));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_provider), cmocka_unit_test(test_problems_named),
        cmocka_unit_test(test_claim_mapping), cmocka_unit_test(test_domains),
        cmocka_unit_test(test_return_to),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
