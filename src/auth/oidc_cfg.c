#include "auth/oidc_cfg.h"

#include "core/err.h"
#include "core/s3name.h"
#include "core/str.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_PREFIX      "SEAU_OIDC_"
#define SECRET_FILE_MAX 4096

static void problem(struct cfg_problems *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct cfg_problems *p, const char *fmt, ...)
{
    if (!p || p->len == CFG_MAX_PROBLEMS)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) >= 0)
        p->items[p->len++] = s;
    va_end(ap);
}

/* The value of NAME in env, or NULL. */
static const char *env_get(char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

/* The value of SEAU_OIDC_<ID>_<key>, or NULL when unset or empty. */
static const char *opt(char *const *env, const char *id, const char *key)
{
    char name[128];
    snprintf(name, sizeof(name), ENV_PREFIX "%s_%s", id, key);
    const char *v = env_get(env, name);
    return v && *v ? v : NULL;
}

/* A copy of [p, p+n) without surrounding blanks; NULL on no memory. */
static char *trimmed(const char *p, size_t n)
{
    while (n && isspace((unsigned char)*p)) {
        p++;
        n--;
    }
    while (n && isspace((unsigned char)p[n - 1]))
        n--;
    return strndup(p, n);
}

/* "claim: rest" -> *claim (new string) and the rest; text unchanged when there is no claim. */
static const char *split_claim(const char *text, char **claim)
{
    const char *colon = strchr(text, ':');
    const char *eq = strchr(text, '=');
    if (!colon || (eq && eq < colon))
        return text;
    *claim = trimmed(text, (size_t)(colon - text));
    return colon + 1;
}

/*
 * Calls fn(ctx, item, len) for each comma-separated item of text (blanks
 * around items ignored, empty items skipped). Stops at fn's first non-zero.
 */
static int each_item(const char *text, int (*fn)(void *ctx, const char *item, size_t len),
                     void *ctx)
{
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *q = p;
        size_t m = n;
        while (m && isspace((unsigned char)*q)) {
            q++;
            m--;
        }
        while (m && isspace((unsigned char)q[m - 1]))
            m--;
        if (m) {
            int rc = fn(ctx, q, m);
            if (rc)
                return rc;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

struct parse_ctx {
    struct auth_oidc_provider_cfg *p;
    struct cfg_problems *problems;
    const char *var;
    const char *given_id;
};

static int add_role_rule(void *vctx, const char *item, size_t len)
{
    struct parse_ctx *x = vctx;
    const char *eq = memchr(item, '=', len);
    if (!eq || eq == item) {
        problem(x->problems, "%s: \"%.*s\" is not GROUP=ROLE", x->var, (int)len, item);
        return 0;
    }
    char *role_text = trimmed(eq + 1, len - (size_t)(eq - item) - 1);
    enum auth_role role = role_text ? auth_role_parse(role_text) : AUTH_ROLE_NONE;
    free(role_text);
    if (role == AUTH_ROLE_NONE) {
        problem(x->problems, "%s: the role of \"%.*s\" must be admin, manager or user", x->var,
                (int)len, item);
        return 0;
    }
    if (x->p->nroles == AUTH_OIDC_MAX_RULES) {
        problem(x->problems, "%s: more than %d entries", x->var, AUTH_OIDC_MAX_RULES);
        return 1;
    }
    char *group = trimmed(item, (size_t)(eq - item));
    if (!group)
        return SEAU_E_NOMEM;
    x->p->roles[x->p->nroles].group = group;
    x->p->roles[x->p->nroles].role = role;
    x->p->nroles++;
    return 0;
}

/* One "BUCKET[/PREFIX]" of a grants rule for group. */
static void add_grant(struct parse_ctx *x, const char *group, const char *target, size_t n)
{
    char *t = trimmed(target, n);
    if (!t || !*t) {
        free(t);
        return;
    }
    struct db_grant g;
    memset(&g, 0, sizeof(g));
    const char *slash = strchr(t, '/');
    size_t blen = slash ? (size_t)(slash - t) : strlen(t);
    const char *prefix = slash ? slash + 1 : "";
    if (blen > DB_BUCKET_MAX || strlen(prefix) > DB_PREFIX_MAX) {
        problem(x->problems, "%s: \"%s\" is too long", x->var, t);
        free(t);
        return;
    }
    memcpy(g.bucket, t, blen);
    snprintf(g.prefix, sizeof(g.prefix), "%s", prefix);
    const char *why = s3name_bucket_problem(g.bucket);
    if (!why && *g.prefix)
        why = s3name_prefix_problem(g.prefix);
    if (why) {
        problem(x->problems, "%s: \"%s\": %s", x->var, t, why);
    } else if (x->p->ngrants == AUTH_OIDC_MAX_RULES) {
        problem(x->problems, "%s: more than %d grants", x->var, AUTH_OIDC_MAX_RULES);
    } else {
        struct auth_oidc_grant_rule *r = &x->p->grants[x->p->ngrants];
        r->group = strdup(group);
        if (r->group) {
            r->grant = g;
            x->p->ngrants++;
        }
    }
    free(t);
}

static int add_grant_rule(void *vctx, const char *item, size_t len)
{
    struct parse_ctx *x = vctx;
    const char *eq = memchr(item, '=', len);
    if (!eq || eq == item) {
        problem(x->problems, "%s: \"%.*s\" is not GROUP=BUCKET[/PREFIX][;BUCKET[/PREFIX]...]",
                x->var, (int)len, item);
        return 0;
    }
    char *group = trimmed(item, (size_t)(eq - item));
    if (!group)
        return SEAU_E_NOMEM;
    const char *p = eq + 1, *end = item + len;
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        size_t n = semi ? (size_t)(semi - p) : (size_t)(end - p);
        add_grant(x, group, p, n);
        p += n + (semi ? 1 : 0);
    }
    free(group);
    return 0;
}

static int add_domain(void *vctx, const char *item, size_t len)
{
    struct parse_ctx *x = vctx;
    char *d = strndup(item[0] == '@' ? item + 1 : item, item[0] == '@' ? len - 1 : len);
    if (!d)
        return SEAU_E_NOMEM;
    for (char *c = d; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!*d || strchr(d, '@') || strchr(d, ' ')) {
        problem(x->problems, "%s: \"%s\" is not a domain", x->var, d);
        free(d);
        return 0;
    }
    x->p->domains[x->p->ndomains++] = d;
    return 0;
}

static int count_items(void *ctx, const char *item, size_t len)
{
    (void)item;
    (void)len;
    (*(size_t *)ctx)++;
    return 0;
}

/* Reads a secret file: its content without a trailing newline. */
static char *read_secret_file(const char *path, struct cfg_problems *problems, const char *var)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        problem(problems, "%s: cannot read %s", var, path);
        return NULL;
    }
    char *buf = calloc(1, SECRET_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, SECRET_FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf)
        return NULL;
    if (n > SECRET_FILE_MAX) {
        problem(problems, "%s: %s is larger than %d bytes", var, path, SECRET_FILE_MAX);
        str_free_secret(buf);
        return NULL;
    }
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n == 0) {
        problem(problems, "%s: %s is empty", var, path);
        str_free_secret(buf);
        return NULL;
    }
    return buf;
}

/* http:// is accepted for loopback issuers only (a provider on the same machine, tests). */
static bool issuer_ok(const char *u)
{
    if (strncmp(u, "https://", 8) == 0)
        return u[8] != '\0' && !strchr(u, '?') && !strchr(u, '#');
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
        size_t n = strlen(loopback[i]);
        if (strncmp(u, loopback[i], n) == 0 && (u[n] == '\0' || u[n] == ':' || u[n] == '/'))
            return !strchr(u, '?') && !strchr(u, '#');
    }
    return false;
}

static void load_provider(char *const *env, const char *given_id, struct auth_oidc_provider_cfg *p,
                          struct cfg_problems *problems)
{
    char var[160];
    for (size_t i = 0; given_id[i] && i < DB_PROVIDER_MAX; i++)
        p->id[i] = (char)tolower((unsigned char)given_id[i]);
    const char *v = opt(env, given_id, "ISSUER");
    p->issuer = v ? strdup(v) : NULL;
    snprintf(var, sizeof(var), ENV_PREFIX "%s_ISSUER", given_id);
    if (!v || !issuer_ok(v))
        problem(problems, "%s must be an https:// URL (http:// only on loopback) without query",
                var);
    v = opt(env, given_id, "CLIENT_ID");
    p->client_id = v ? strdup(v) : NULL;
    if (!v)
        problem(problems, ENV_PREFIX "%s_CLIENT_ID is required", given_id);
    const char *secret = opt(env, given_id, "CLIENT_SECRET");
    const char *secret_file = opt(env, given_id, "CLIENT_SECRET_FILE");
    snprintf(var, sizeof(var), ENV_PREFIX "%s_CLIENT_SECRET_FILE", given_id);
    if (secret && secret_file)
        problem(problems, ENV_PREFIX "%s_CLIENT_SECRET and _CLIENT_SECRET_FILE are both set",
                given_id);
    else if (secret)
        p->client_secret = strdup(secret);
    else if (secret_file)
        p->client_secret = read_secret_file(secret_file, problems, var);
    else
        problem(problems, ENV_PREFIX "%s_CLIENT_SECRET or _CLIENT_SECRET_FILE is required",
                given_id);
    v = opt(env, given_id, "NAME");
    p->name = strdup(v ? v : given_id);
    v = opt(env, given_id, "SCOPES");
    if (!v)
        v = "openid email profile";
    if (strncmp(v, "openid", 6) == 0 && (v[6] == ' ' || v[6] == '\0'))
        p->scopes = strdup(v);
    else if (asprintf(&p->scopes, "openid %s", v) < 0)
        p->scopes = NULL;
    v = opt(env, given_id, "ROLE_CLAIM");
    p->role_claim = strdup(v ? v : "groups");

    struct parse_ctx x = {.p = p, .problems = problems, .var = var, .given_id = given_id};
    v = opt(env, given_id, "ROLE_MAP");
    snprintf(var, sizeof(var), ENV_PREFIX "%s_ROLE_MAP", given_id);
    if (v) {
        char *claim = NULL;
        const char *rest = split_claim(v, &claim);
        if (claim) {
            free(p->role_claim);
            p->role_claim = claim;
        }
        p->roles = calloc(AUTH_OIDC_MAX_RULES, sizeof(*p->roles));
        if (p->roles)
            each_item(rest, add_role_rule, &x);
    }
    v = opt(env, given_id, "DEFAULT_ROLE");
    snprintf(var, sizeof(var), ENV_PREFIX "%s_DEFAULT_ROLE", given_id);
    p->default_role = AUTH_ROLE_USER;
    if (v && strcmp(v, "none") == 0)
        p->default_role = AUTH_ROLE_NONE;
    else if (v && (p->default_role = auth_role_parse(v)) == AUTH_ROLE_NONE)
        problem(problems, "%s must be admin, manager, user or none", var);
    v = opt(env, given_id, "GRANTS_MAP");
    snprintf(var, sizeof(var), ENV_PREFIX "%s_GRANTS_MAP", given_id);
    if (v) {
        char *claim = NULL;
        const char *rest = split_claim(v, &claim);
        if (claim && strcmp(claim, p->role_claim) != 0)
            problem(problems, "%s names claim \"%s\" but the roles use \"%s\": use one claim", var,
                    claim, p->role_claim);
        free(claim);
        p->has_grants_map = true;
        p->grants = calloc(AUTH_OIDC_MAX_RULES, sizeof(*p->grants));
        if (p->grants)
            each_item(rest, add_grant_rule, &x);
    }
    v = opt(env, given_id, "ALLOWED_DOMAINS");
    snprintf(var, sizeof(var), ENV_PREFIX "%s_ALLOWED_DOMAINS", given_id);
    if (v) {
        size_t n = 0;
        each_item(v, count_items, &n);
        p->domains = calloc(n + 1, sizeof(*p->domains));
        if (p->domains)
            each_item(v, add_domain, &x);
    }
    if (!p->name || !p->scopes || !p->role_claim)
        problem(problems, "out of memory reading the settings of provider %s", given_id);
}

/* Whether s is an acceptable provider id: A-Z, 0-9, 1 to DB_PROVIDER_MAX characters. */
static bool id_ok(const char *s, size_t n)
{
    if (n == 0 || n > DB_PROVIDER_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

int auth_oidc_cfg_load(char *const *env, struct auth_oidc_cfg *ret, struct cfg_problems *problems)
{
    size_t before = problems ? problems->len : 0;
    memset(ret, 0, sizeof(*ret));
    ret->password_login = true;
    const char *pl = env_get(env, "SEAU_PASSWORD_LOGIN");
    if (pl && *pl) {
        if (strcmp(pl, "false") == 0 || strcmp(pl, "0") == 0)
            ret->password_login = false;
        else if (strcmp(pl, "true") != 0 && strcmp(pl, "1") != 0)
            problem(problems, "SEAU_PASSWORD_LOGIN must be true or false");
    }
    ret->providers = calloc(AUTH_OIDC_MAX_PROVIDERS, sizeof(*ret->providers));
    if (!ret->providers)
        return SEAU_E_NOMEM;
    static const char suffix[] = "_ISSUER=";
    for (size_t i = 0; env && env[i]; i++) {
        const char *e = env[i];
        if (strncmp(e, ENV_PREFIX, sizeof(ENV_PREFIX) - 1) != 0)
            continue;
        const char *id = e + sizeof(ENV_PREFIX) - 1;
        const char *end = strstr(id, suffix);
        const char *eq = strchr(id, '=');
        if (!end || end > eq)
            continue;
        size_t n = (size_t)(end - id);
        if (!id_ok(id, n)) {
            problem(problems,
                    ENV_PREFIX "<ID>_ISSUER: \"%.*s\" is not an id (A-Z and 0-9, at "
                               "most %d characters)",
                    (int)n, id, DB_PROVIDER_MAX);
            continue;
        }
        if (ret->nproviders == AUTH_OIDC_MAX_PROVIDERS) {
            problem(problems, "more than %d identity providers", AUTH_OIDC_MAX_PROVIDERS);
            break;
        }
        char given[DB_PROVIDER_MAX + 1];
        memcpy(given, id, n);
        given[n] = '\0';
        load_provider(env, given, &ret->providers[ret->nproviders++], problems);
    }
    if (!ret->password_login && ret->nproviders == 0)
        problem(problems, "SEAU_PASSWORD_LOGIN=false needs at least one identity provider "
                          "(SEAU_OIDC_<ID>_ISSUER)");
    return problems && problems->len > before ? SEAU_E_VALIDATION : 0;
}

void auth_oidc_cfg_done(struct auth_oidc_cfg *c)
{
    if (!c || !c->providers)
        return;
    for (size_t i = 0; i < c->nproviders; i++) {
        struct auth_oidc_provider_cfg *p = &c->providers[i];
        free(p->name);
        free(p->issuer);
        free(p->client_id);
        str_free_secret(p->client_secret);
        free(p->scopes);
        free(p->role_claim);
        for (size_t j = 0; j < p->nroles; j++)
            free(p->roles[j].group);
        free(p->roles);
        for (size_t j = 0; j < p->ngrants; j++)
            free(p->grants[j].group);
        free(p->grants);
        for (size_t j = 0; j < p->ndomains; j++)
            free(p->domains[j]);
        free(p->domains);
    }
    free(c->providers);
    memset(c, 0, sizeof(*c));
}

void auth_oidc_cfg_print(const struct auth_oidc_cfg *c, FILE *f)
{
    fprintf(f, "SEAU_PASSWORD_LOGIN=%s\n", c->password_login ? "true" : "false");
    for (size_t i = 0; i < c->nproviders; i++) {
        const struct auth_oidc_provider_cfg *p = &c->providers[i];
        fprintf(f,
                "identity provider %s (%s): issuer %s, client %s, secret (redacted), scopes "
                "\"%s\", %zu role rules on claim \"%s\", %zu grants%s, %zu allowed domains\n",
                p->id, p->name ? p->name : "", p->issuer ? p->issuer : "",
                p->client_id ? p->client_id : "", p->scopes ? p->scopes : "", p->nroles,
                p->role_claim ? p->role_claim : "", p->ngrants,
                p->has_grants_map ? " (re-derived at each sign-in)" : "", p->ndomains);
    }
}

/* Whether claims[claim] holds group: an array of strings, or one string. */
static bool has_group(json_t *value, const char *group)
{
    if (json_is_string(value))
        return strcmp(json_string_value(value), group) == 0;
    size_t i;
    json_t *v;
    json_array_foreach(value, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), group) == 0)
            return true;
    }
    return false;
}

int auth_oidc_map_claims(const struct auth_oidc_provider_cfg *p, json_t *claims,
                         struct auth_oidc_mapping *ret)
{
    json_t *groups = json_object_get(claims, p->role_claim);
    struct auth_oidc_mapping m = {.role = AUTH_ROLE_NONE};
    if (p->nroles) {
        for (size_t i = 0; i < p->nroles; i++)
            if (p->roles[i].role > m.role && has_group(groups, p->roles[i].group))
                m.role = p->roles[i].role;
        if (m.role == AUTH_ROLE_NONE) {
            if (p->default_role == AUTH_ROLE_NONE)
                return SEAU_E_FORBIDDEN;
            m.role = p->default_role;
        }
    } else if (p->default_role == AUTH_ROLE_NONE) {
        return SEAU_E_FORBIDDEN;
    }
    if (p->has_grants_map) {
        m.set_grants = true;
        m.grants = calloc(p->ngrants ? p->ngrants : 1, sizeof(*m.grants));
        if (!m.grants)
            return SEAU_E_NOMEM;
        for (size_t i = 0; i < p->ngrants && m.ngrants < AUTH_OIDC_MAX_GRANTS; i++) {
            if (!has_group(groups, p->grants[i].group))
                continue;
            bool dup = false;
            for (size_t j = 0; j < m.ngrants && !dup; j++)
                dup = strcmp(m.grants[j].bucket, p->grants[i].grant.bucket) == 0 &&
                      strcmp(m.grants[j].prefix, p->grants[i].grant.prefix) == 0;
            if (!dup)
                m.grants[m.ngrants++] = p->grants[i].grant;
        }
    }
    *ret = m;
    return 0;
}

void auth_oidc_mapping_done(struct auth_oidc_mapping *m)
{
    if (!m)
        return;
    free(m->grants);
    m->grants = NULL;
    m->ngrants = 0;
}

bool auth_oidc_domain_allowed(const struct auth_oidc_provider_cfg *p, const char *email)
{
    if (p->ndomains == 0)
        return true;
    const char *at = email ? strrchr(email, '@') : NULL;
    if (!at || !at[1])
        return false;
    for (size_t i = 0; i < p->ndomains; i++)
        if (str_ieq(at + 1, p->domains[i]))
            return true;
    return false;
}

bool auth_oidc_return_to_ok(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/' || s[1] == '\\')
        return false;
    size_t n = strlen(s);
    if (n > DB_RETURN_TO_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e || s[i] == '\\')
            return false;
    return true;
}
