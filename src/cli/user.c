/* seau user add, seau user list. */
#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "cli/cli.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void user_help(void)
{
    printf("Usage:\n"
           "  seau user add --email E --name N --role admin|manager|user [--password-stdin] "
           "[options]\n"
           "  seau user list [options]\n\n"
           "add reads the password from standard input with --password-stdin; without it, a "
           "strong password\nis generated and printed once.\n\n");
    cfg_print_help(stdout);
}

/* Reads one line (without its newline) from stdin into a new secret string. */
static char *read_password_line(void)
{
    char line[AUTH_PASSWORD_MAX + 2];
    if (!fgets(line, sizeof(line), stdin))
        return NULL;
    size_t n = strcspn(line, "\r\n");
    line[n] = '\0';
    char *p = str_dup(line);
    str_wipe(line, sizeof(line));
    return p;
}

static int user_add(int argc, char **argv)
{
    const char *email = NULL, *name = NULL, *role_text = NULL;
    int from_stdin = 0;
    char **rest = calloc((size_t)argc + 1, sizeof(char *));
    int nrest = 0;
    if (!rest)
        return 1;
    for (int i = 0; i < argc; i++) {
        const char **target = NULL;
        if (strcmp(argv[i], "--email") == 0)
            target = &email;
        else if (strcmp(argv[i], "--name") == 0)
            target = &name;
        else if (strcmp(argv[i], "--role") == 0)
            target = &role_text;
        else if (strcmp(argv[i], "--password-stdin") == 0)
            from_stdin = 1;
        else
            rest[nrest++] = argv[i];
        if (target) {
            if (i + 1 >= argc) {
                fprintf(stderr, "seau user add: %s needs a value\n", argv[i]);
                free(rest);
                return 2;
            }
            *target = argv[++i];
        }
    }
    int status = 0;
    if (!email || !name || !role_text) {
        fprintf(stderr, "seau user add: --email, --name and --role are required (see --help)\n");
        status = 2;
    }
    enum auth_role role = auth_role_parse(role_text);
    if (status == 0 && role == AUTH_ROLE_NONE) {
        fprintf(stderr, "seau user add: --role must be admin, manager or user\n");
        status = 2;
    }
    const char *why;
    if (status == 0 && (why = auth_email_problem(email))) {
        fprintf(stderr, "seau user add: --email %s\n", why);
        status = 2;
    }
    if (status == 0 && (why = auth_name_problem(name))) {
        fprintf(stderr, "seau user add: --name %s\n", why);
        status = 2;
    }
    struct cfg c;
    if (status == 0 && cli__load_config(nrest, rest, &c))
        status = 2;
    free(rest);
    if (status)
        return status;

    char generated[AUTH_GENERATED_PASSWORD_LEN + 1];
    char *password = NULL;
    if (from_stdin) {
        password = read_password_line();
        if (!password || (why = auth_password_problem(password))) {
            fprintf(stderr, "seau user add: the password %s\n",
                    password ? why : "could not be read from standard input");
            str_free_secret(password);
            cfg_done(&c);
            return 2;
        }
    } else {
        auth_password_generate(generated);
        password = generated;
    }
    struct db *db = NULL;
    if (auth_password_init() != 0 || cli__open_db(&c, 1, &db)) {
        if (password != generated)
            str_free_secret(password);
        cfg_done(&c);
        return 1;
    }
    struct audit_actor actor = {0, "cli", NULL, "seau user add"};
    struct db_user u;
    int rc = auth_user_create(db, &actor, email, name, password, role, time_now_ms(), &u);
    if (rc == SEAU_E_CONFLICT) {
        fprintf(stderr, "seau user add: a user with email %s already exists\n", email);
        status = 1;
    } else if (rc) {
        fprintf(stderr, "seau user add: %s\n", err_message(rc));
        status = 1;
    } else {
        printf("Created %s %s (id %lld).\n", u.role, u.email, (long long)u.id);
        if (!from_stdin)
            printf("Password (shown once, store it now): %s\n", generated);
    }
    if (password != generated)
        str_free_secret(password);
    str_wipe(generated, sizeof(generated));
    db_close(db);
    cfg_done(&c);
    return status;
}

static int user_list(int argc, char **argv)
{
    struct cfg c;
    if (cli__load_config(argc, argv, &c))
        return 2;
    struct db *db = NULL;
    if (cli__open_db(&c, 1, &db)) {
        cfg_done(&c);
        return 1;
    }
    struct db_user *users = NULL;
    size_t n = 0;
    int rc = db_user_list(db, &users, &n);
    if (rc) {
        fprintf(stderr, "seau user list: %s\n", err_message(rc));
    } else {
        printf("%-6s %-32s %-24s %-8s %-9s %s\n", "ID", "EMAIL", "NAME", "ROLE", "STATE",
               "LAST LOGIN");
        for (size_t i = 0; i < n; i++) {
            char last[TIME_RFC3339_LEN] = "never";
            if (users[i].last_login_at)
                time_rfc3339(users[i].last_login_at, last);
            printf("%-6lld %-32s %-24s %-8s %-9s %s\n", (long long)users[i].id, users[i].email,
                   users[i].name, users[i].role, users[i].disabled ? "disabled" : "active", last);
        }
    }
    free(users);
    db_close(db);
    cfg_done(&c);
    return rc ? 1 : 0;
}

int cli_user(int argc, char **argv)
{
    if (argc < 1 || (cli__wants_help(argc, argv))) {
        user_help();
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "add") == 0)
        return user_add(argc - 1, argv + 1);
    if (strcmp(argv[0], "list") == 0)
        return user_list(argc - 1, argv + 1);
    fprintf(stderr, "seau user: unknown command '%s' (see seau user --help)\n", argv[0]);
    return 2;
}
