#include "auth/totp.h"

#include "core/err.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <string.h>

int64_t auth_totp_step(int64_t now_ms)
{
    return now_ms < 0 ? 0 : now_ms / AUTH_TOTP_STEP_MS;
}

int auth_totp_hotp(const unsigned char *key, size_t keylen, uint64_t counter, int digits, char *out)
{
    if (digits < 6 || digits > 8)
        return SEAU_E_VALIDATION;
    unsigned char msg[8];
    for (int i = 7; i >= 0; i--) {
        msg[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) || maclen < 20)
        return SEAU_E_INTERNAL;
    /* Dynamic truncation (RFC 4226 section 5.3). */
    unsigned off = mac[maclen - 1] & 0x0f;
    uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
                   ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
    sodium_memzero(mac, sizeof(mac));
    uint32_t mod = 1;
    for (int i = 0; i < digits; i++)
        mod *= 10;
    uint32_t v = bin % mod;
    for (int i = digits - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    out[digits] = '\0';
    return 0;
}

int auth_totp_verify(const unsigned char *key, size_t keylen, const char *code, int64_t now_ms,
                     int64_t last_step, int64_t *ret_step)
{
    if (!code || strlen(code) != AUTH_TOTP_DIGITS)
        return SEAU_E_INVALID_CODE;
    for (size_t i = 0; i < AUTH_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return SEAU_E_INVALID_CODE;
    int64_t now = auth_totp_step(now_ms), found = -1;
    /* No early exit: the time taken does not tell which step matched, or whether one did. */
    for (int64_t s = now - AUTH_TOTP_WINDOW; s <= now + AUTH_TOTP_WINDOW; s++) {
        char expect[AUTH_TOTP_DIGITS + 1];
        if (s < 0 || auth_totp_hotp(key, keylen, (uint64_t)s, AUTH_TOTP_DIGITS, expect))
            continue;
        if (sodium_memcmp(expect, code, AUTH_TOTP_DIGITS) == 0)
            found = s;
        sodium_memzero(expect, sizeof(expect));
    }
    if (found < 0)
        return SEAU_E_INVALID_CODE;
    if (found <= last_step)
        return SEAU_E_CONFLICT;
    *ret_step = found;
    return 0;
}

size_t auth_base32_len(size_t n)
{
    return (n * 8 + 4) / 5;
}

size_t auth_base32_encode(const unsigned char *p, size_t n, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t o = 0;
    uint32_t buf = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        buf = (buf << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(buf << (5 - bits)) & 31];
    out[o] = '\0';
    return o;
}
