#include "auth/password.h"

#include "core/err.h"
#include "core/str.h"

#include <sodium.h>
#include <string.h>

/*
 * libsodium's "interactive" limits (2 passes, 64 MiB): about 50-100 ms on a
 * server core, the balance it recommends for logins.
 */
#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

static char decoy_hash[crypto_pwhash_STRBYTES];

int auth_password_init(void)
{
    if (sodium_init() < 0)
        return SEAU_E_INTERNAL;
    char pw[AUTH_GENERATED_PASSWORD_LEN + 1];
    auth_password_generate(pw);
    int rc = crypto_pwhash_str(decoy_hash, pw, strlen(pw), OPSLIMIT, MEMLIMIT);
    str_wipe(pw, sizeof(pw));
    return rc == 0 ? 0 : SEAU_E_NOMEM;
}

int auth_password_hash(const char *password, char out[DB_HASH_MAX + 1])
{
    _Static_assert(crypto_pwhash_STRBYTES <= DB_HASH_MAX + 1, "hash fits the column");
    if (crypto_pwhash_str(out, password, strlen(password), OPSLIMIT, MEMLIMIT) != 0)
        return SEAU_E_NOMEM;
    return 0;
}

bool auth_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_password_verify_decoy(const char *password)
{
    /* The decoy never matches; the result only has to be consumed. */
    volatile int sink = crypto_pwhash_str_verify(decoy_hash, password, strlen(password));
    (void)sink;
}

const char *auth_password_problem(const char *password)
{
    size_t n = strlen(password);
    if (n < AUTH_PASSWORD_MIN)
        return "must be at least 12 characters long";
    if (n > AUTH_PASSWORD_MAX)
        return "must be at most 1024 characters long";
    if (!str_utf8_valid(password, n))
        return "must be valid UTF-8";
    return NULL;
}

void auth_password_generate(char out[AUTH_GENERATED_PASSWORD_LEN + 1])
{
    /* No look-alikes (0/O, 1/l/I): the password is read off a terminal and typed. */
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i < AUTH_GENERATED_PASSWORD_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[AUTH_GENERATED_PASSWORD_LEN] = '\0';
}
