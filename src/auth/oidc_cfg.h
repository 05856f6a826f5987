/*
 * Single sign-on settings and the pure rules built on them: which identity
 * providers exist (SEAU_OIDC_<ID>_*), whether passwords are accepted
 * (SEAU_PASSWORD_LOGIN), how an ID token's claims become a role and grants,
 * which e-mail domains may sign in, and which returnTo paths are safe.
 * Nothing here does I/O except reading a _CLIENT_SECRET_FILE.
 */
#ifndef SEAU_AUTH_OIDC_CFG_H
#define SEAU_AUTH_OIDC_CFG_H

#include "auth/policy.h"
#include "core/cfg.h"
#include "db/db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define AUTH_OIDC_MAX_PROVIDERS 16
#define AUTH_OIDC_MAX_RULES     256 /* entries of one _ROLE_MAP or _GRANTS_MAP */
#define AUTH_OIDC_MAX_GRANTS    256 /* grants one sign-in may derive */

/* One entry of _ROLE_MAP: members of group get role. */
struct auth_oidc_role_rule {
    char *group;
    enum auth_role role;
};

/* One grant of _GRANTS_MAP: members of group get bucket/prefix. */
struct auth_oidc_grant_rule {
    char *group;
    struct db_grant grant;
};

struct auth_oidc_provider_cfg {
    char id[DB_PROVIDER_MAX + 1]; /* lower-case; in the URLs and the accounts */
    char *name;                   /* shown on the button; default: the id as given */
    char *issuer;
    char *client_id;
    char *client_secret; /* secret: wiped on free, never printed */
    char *scopes;        /* space-separated, always with openid */
    char *role_claim;    /* default "groups" */
    struct auth_oidc_role_rule *roles;
    size_t nroles;
    enum auth_role default_role; /* when no rule matches; NONE: sign-in refused */
    struct auth_oidc_grant_rule *grants;
    size_t ngrants;
    bool has_grants_map; /* grants re-derived at each sign-in; else left to admins */
    char **domains;      /* _ALLOWED_DOMAINS, lower-case; none: any */
    size_t ndomains;
};

struct auth_oidc_cfg {
    bool password_login; /* SEAU_PASSWORD_LOGIN, default true */
    struct auth_oidc_provider_cfg *providers;
    size_t nproviders;
};

/*
 * Reads the settings from env (a NULL-terminated "NAME=value" array, as
 * environ). Every problem is appended to problems as a sentence naming the
 * variable. Returns 0, or SEAU_E_VALIDATION when there was any problem
 * (*ret is then still safe to pass to auth_oidc_cfg_done).
 */
int auth_oidc_cfg_load(char *const *env, struct auth_oidc_cfg *ret, struct cfg_problems *problems);
void auth_oidc_cfg_done(struct auth_oidc_cfg *c);
/* Prints the settings, secrets redacted. */
void auth_oidc_cfg_print(const struct auth_oidc_cfg *c, FILE *f);

/* What the claims of one ID token give. */
struct auth_oidc_mapping {
    enum auth_role role; /* NONE: leave the account's role as it is (no _ROLE_MAP) */
    bool set_grants;
    struct db_grant *grants; /* set_grants: release with free() */
    size_t ngrants;
};

/*
 * Maps claims through p's _ROLE_MAP (the highest role any group gives,
 * else _DEFAULT_ROLE) and _GRANTS_MAP (the union of the groups' grants).
 * The claim may be an array of strings or one string. Returns 0,
 * SEAU_E_FORBIDDEN when no rule matched and _DEFAULT_ROLE is none, or
 * SEAU_E_NOMEM.
 */
int auth_oidc_map_claims(const struct auth_oidc_provider_cfg *p, json_t *claims,
                         struct auth_oidc_mapping *ret);
void auth_oidc_mapping_done(struct auth_oidc_mapping *m);

/* Whether email's domain is in p's _ALLOWED_DOMAINS (any, when none are set). */
bool auth_oidc_domain_allowed(const struct auth_oidc_provider_cfg *p, const char *email);

/*
 * Whether s may be a sign-in's returnTo: a path on this origin ("/", then
 * not "/" or "\" so that "//evil" and "/\evil" are not other hosts),
 * printable ASCII, at most DB_RETURN_TO_MAX bytes.
 */
bool auth_oidc_return_to_ok(const char *s);

#endif
