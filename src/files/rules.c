/* The upload rules: size, allowed types, sniffing with libmagic; see rules.h. */
#include "files/rules.h"

#include "core/cfg.h"
#include "core/err.h"
#include "core/str.h"

#include <ctype.h>
#include <fcntl.h>
#include <magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ===================================== size and types ============================== */

int files_rules_check_size(const struct cfg *cfg, int64_t size)
{
    return size >= 0 && size <= cfg->max_upload_bytes ? 0 : SEAU_E_TOO_LARGE;
}

/* s[0..n) without surrounding spaces and without parameters (from the first ';'). */
static void essence(const char *s, size_t n, const char **ret, size_t *ret_n)
{
    const char *semi = memchr(s, ';', n);
    if (semi)
        n = (size_t)(semi - s);
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *ret = s;
    *ret_n = n;
}

static bool entry_matches(const char *e, size_t en, const char *t, size_t tn)
{
    if ((en == 1 && e[0] == '*') || (en == 3 && memcmp(e, "*/*", 3) == 0))
        return true;
    if (en >= 2 && e[en - 2] == '/' && e[en - 1] == '*')
        return tn > en - 1 && strncasecmp(e, t, en - 1) == 0; /* "image/" then a subtype */
    return en == tn && strncasecmp(e, t, en) == 0;
}

bool files_rules_type_allowed(const char *allowed, const char *type)
{
    if (!allowed || strspn(allowed, ", \t") == strlen(allowed))
        return true;
    const char *t;
    size_t tn;
    essence(type ? type : "", type ? strlen(type) : 0, &t, &tn);
    if (tn == 0)
        return false;
    for (const char *p = allowed; *p;) {
        size_t len = strcspn(p, ",");
        const char *e;
        size_t en;
        essence(p, len, &e, &en);
        if (en && entry_matches(e, en, t, tn))
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

int files_rules_check_type(const struct cfg *cfg, const char *type)
{
    return files_rules_type_allowed(cfg->allowed_types, type) ? 0 : SEAU_E_MEDIA_TYPE;
}

/* RFC 6838 restricted-name characters after the first (which is alphanumeric). */
static size_t restricted_name(const char *s)
{
    if (!isalnum((unsigned char)s[0]))
        return 0;
    size_t n = 1;
    while (s[n] && (isalnum((unsigned char)s[n]) || strchr("!#$&-^_.+", s[n])))
        n++;
    return n <= 127 ? n : 0;
}

const char *files_rules_media_type_problem(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > FILES_MEDIA_TYPE_MAX)
        return "must be a media type of 1 to 255 bytes, e.g. image/png";
    if (str_has_control(s, len) || !str_utf8_valid(s, len))
        return "must be a media type without control characters";
    size_t a = restricted_name(s);
    if (a == 0 || s[a] != '/')
        return "must be a media type: type/subtype, e.g. image/png";
    size_t b = restricted_name(s + a + 1);
    const char *rest = s + a + 1 + b;
    if (b == 0 || (*rest && *rest != ';' && *rest != ' '))
        return "must be a media type: type/subtype, e.g. image/png";
    rest += strspn(rest, " ");
    if (*rest && *rest != ';')
        return "must be a media type: type/subtype, e.g. image/png";
    return NULL;
}

/* ===================================== libmagic ==================================== */

/*
 * The compiled database, mapped once (8 MB on Debian), and idle
 * handles loaded from it. magic_load_buffers() points a handle into the
 * buffer without copying or changing it, so every handle shares one copy.
 * The pool grows to the number of threads sniffing at once and keeps up to
 * POOL_MAX idle handles; beyond that a returned handle is closed.
 */
#define POOL_MAX    16
#define MAGIC_FLAGS (MAGIC_MIME_TYPE | MAGIC_ERROR)

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *magic_db;
static size_t magic_db_len;
static int magic_db_rc = 1; /* 1: not tried; then 0 or the error */
static char magic_db_path[512];
static magic_t pool[POOL_MAX];
static size_t npool;

/*
 * Maps path whole, copy-on-write. The pages are the file's: only those a
 * sniff reads become resident, and they stay reclaimable, where reading the
 * 8 MB into the heap made them all resident at start-up. Writable (private)
 * because libmagic may byte-swap a database of the other byte order in place.
 */
static int map_file(const char *path, void **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SEAU_E_INTERNAL;
    struct stat st;
    void *buf = MAP_FAILED;
    int rc = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
                     st.st_size < 256 * 1024 * 1024
                 ? 0
                 : SEAU_E_INTERNAL;
    size_t len = rc == 0 ? (size_t)st.st_size : 0;
    if (rc == 0) {
        buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (buf == MAP_FAILED)
            rc = SEAU_E_NOMEM;
    }
    close(fd);
    if (rc)
        return rc;
    *ret = buf;
    *ret_len = len;
    return 0;
}

/*
 * Finds and reads the compiled database: the first entry of libmagic's path
 * (MAGIC, else its default, "/etc/magic:/usr/share/misc/magic" on Debian)
 * that has a compiled form (NAME.mgc, or NAME itself when it ends in .mgc).
 * The text files in the path (/etc/magic, local additions) are not read:
 * they would have to be compiled at every start.
 */
static int load_db_locked(void)
{
    if (magic_db_rc != 1)
        return magic_db_rc;
    const char *list = magic_getpath(NULL, 0);
    int rc = SEAU_E_INTERNAL;
    snprintf(magic_db_path, sizeof(magic_db_path), "%s", list ? list : "(none)");
    for (const char *p = list; p && *p && rc == SEAU_E_INTERNAL;) {
        size_t len = strcspn(p, ":");
        char path[sizeof(magic_db_path)];
        if (len > 4 && memcmp(p + len - 4, ".mgc", 4) == 0)
            snprintf(path, sizeof(path), "%.*s", (int)len, p);
        else
            snprintf(path, sizeof(path), "%.*s.mgc", (int)len, p);
        if (access(path, R_OK) == 0) {
            snprintf(magic_db_path, sizeof(magic_db_path), "%s", path);
            rc = map_file(path, &magic_db, &magic_db_len);
        }
        p += len;
        if (*p == ':')
            p++;
    }
    magic_db_rc = rc;
    return rc;
}

static int handle_take(magic_t *ret)
{
    pthread_mutex_lock(&pool_lock);
    int rc = load_db_locked();
    magic_t m = NULL;
    if (rc == 0 && npool > 0)
        m = pool[--npool];
    void *db = magic_db;
    size_t db_len = magic_db_len;
    pthread_mutex_unlock(&pool_lock);
    if (rc)
        return rc;
    if (!m) {
        m = magic_open(MAGIC_FLAGS);
        if (!m)
            return SEAU_E_NOMEM;
        void *bufs[1] = {db};
        size_t sizes[1] = {db_len};
        if (magic_load_buffers(m, bufs, sizes, 1) != 0) {
            magic_close(m);
            return SEAU_E_INTERNAL;
        }
    }
    *ret = m;
    return 0;
}

static void handle_give(magic_t m)
{
    pthread_mutex_lock(&pool_lock);
    if (npool < POOL_MAX) {
        pool[npool++] = m;
        m = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    if (m)
        magic_close(m);
}

int files_rules_init(const char **ret_path)
{
    magic_t m = NULL;
    int rc = handle_take(&m);
    if (rc == 0)
        handle_give(m);
    if (ret_path)
        *ret_path = magic_db_path;
    return rc;
}

void files_rules_cleanup(void)
{
    pthread_mutex_lock(&pool_lock);
    for (size_t i = 0; i < npool; i++)
        magic_close(pool[i]);
    npool = 0;
    if (magic_db)
        munmap(magic_db, magic_db_len);
    magic_db = NULL;
    magic_db_len = 0;
    magic_db_rc = 1;
    pthread_mutex_unlock(&pool_lock);
}

/* ===================================== sniffing ==================================== */

/*
 * Text formats libmagic cannot tell from plain text (or guesses as a
 * programming language), named by extension. Used only when the bytes are
 * text (see vague()); needle, when set, must occur in the first bytes too.
 */
static const struct {
    const char *ext, *type, *needle;
} text_exts[] = {
    {"txt", "text/plain", NULL},        {"text", "text/plain", NULL},
    {"log", "text/plain", NULL},        {"css", "text/css", NULL},
    {"js", "text/javascript", NULL},    {"mjs", "text/javascript", NULL},
    {"cjs", "text/javascript", NULL},   {"json", "application/json", NULL},
    {"csv", "text/csv", NULL},          {"tsv", "text/tab-separated-values", NULL},
    {"md", "text/markdown", NULL},      {"markdown", "text/markdown", NULL},
    {"yaml", "application/yaml", NULL}, {"yml", "application/yaml", NULL},
    {"svg", "image/svg+xml", "<svg"},
};

/* libmagic's answers that say "text" without saying which format. */
static bool vague_text(const char *t)
{
    static const char *const vague[] = {
        "text/plain", "text/x-c", "text/x-c++",      "text/x-java",         "text/x-objective-c",
        "text/x-asm", "text/xml", "application/xml", "application/x-empty",
    };
    for (size_t i = 0; i < sizeof(vague) / sizeof(vague[0]); i++)
        if (strcmp(t, vague[i]) == 0)
            return true;
    return false;
}

/* Case-insensitive substring search in n bytes (needles are lowercase ASCII). */
static bool contains_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0)
            return true;
    return false;
}

/* The extension of the last segment of name (after the last '.'), or NULL. */
static const char *extension(const char *name)
{
    if (!name)
        return NULL;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *dot = strrchr(base, '.');
    return dot && dot != base && dot[1] ? dot + 1 : NULL;
}

/* Drops the bytes of a UTF-8 sequence cut at the end of a partial sample. */
static size_t trim_cut_utf8(const unsigned char *s, size_t n)
{
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = s[n - back];
        if ((c & 0xC0) == 0x80)
            continue; /* a continuation byte: keep looking for the lead */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? n - back : n;
    }
    return n;
}

int files_rules_sniff(const void *data, size_t n, bool partial, const char *name, char *ret,
                      size_t retlen)
{
    if (n > FILES_SNIFF_BYTES) {
        n = FILES_SNIFF_BYTES;
        partial = true;
    }
    if (partial)
        n = trim_cut_utf8(data, n);
    magic_t m = NULL;
    int rc = handle_take(&m);
    if (rc)
        return rc;
    /* libmagic wants a non-NULL buffer even for 0 bytes. */
    const char *answer = magic_buffer(m, n ? data : "", n);
    char type[FILES_MEDIA_TYPE_MAX + 1];
    if (answer) {
        const char *t;
        size_t tn;
        essence(answer, strlen(answer), &t, &tn);
        if (tn == 0 || tn >= sizeof(type))
            answer = NULL;
        else {
            for (size_t i = 0; i < tn; i++)
                type[i] = (char)tolower((unsigned char)t[i]);
            type[tn] = '\0';
        }
    }
    handle_give(m);
    if (!answer)
        snprintf(type, sizeof(type), "application/octet-stream");

    /* "data" that is in fact UTF-8 text (libmagic can call short or odd text so). */
    bool text = vague_text(type) || (strcmp(type, "application/octet-stream") == 0 && n > 0 &&
                                     !memchr(data, '\0', n) && str_utf8_valid(data, n));
    const char *ext = text ? extension(name) : NULL;
    for (size_t i = 0; ext && i < sizeof(text_exts) / sizeof(text_exts[0]); i++) {
        if (strcasecmp(ext, text_exts[i].ext) != 0)
            continue;
        if (text_exts[i].needle && !contains_ci(data, n, text_exts[i].needle))
            break;
        /* XML is refined only into SVG; the language guesses into any text format. */
        if ((strcmp(type, "text/xml") == 0 || strcmp(type, "application/xml") == 0) &&
            !text_exts[i].needle)
            break;
        snprintf(type, sizeof(type), "%s", text_exts[i].type);
        break;
    }
    if (strlen(type) >= retlen)
        return SEAU_E_RANGE;
    memcpy(ret, type, strlen(type) + 1);
    return 0;
}
