/*
 * The AWS shared-file parser: one pass over the bytes, line by line, into two
 * flat arrays (sections and properties). Lookups scan them; the limits in
 * ini.h keep every scan and every allocation bounded, so a hostile file costs
 * at most S3_INI_MAX_FILE bytes of input and a few times that in memory.
 *
 * Repeated keys are not merged on insertion (that would be quadratic in a
 * file made of one key repeated); a lookup scans from the end so the last
 * value wins. Repeated section headers are merged on insertion, which costs
 * O(sections) per header: at most 1024 x 1024 comparisons of short names.
 */
#include "s3/ini.h"

#include "core/err.h"
#include "core/str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How a section relates to profiles. */
enum s3__ini_type {
    S3__INI_PROFILE,      /* a profile, by its name */
    S3__INI_BARE_DEFAULT, /* config "[default]": the default unless "[profile default]" exists */
    S3__INI_OTHER,        /* a config section that is not a profile ("[sso-session x]") */
};

struct s3__ini_section {
    char *name;
    enum s3__ini_type type;
};

struct s3__ini_prop {
    size_t section; /* index into sections */
    char *key;      /* lower-cased */
    char *value;    /* may be a secret: wiped on free */
    size_t value_len;
};

struct s3_ini {
    enum s3_ini_kind kind;
    struct s3__ini_section *sections;
    size_t section_count, section_cap;
    struct s3__ini_prop *props;
    size_t prop_count, prop_cap;
};

/* The parser's position: the property that continuation lines extend. */
struct s3__ini_parser {
    struct s3_ini *ini;
    bool in_section;
    size_t section;
    bool in_prop;
    size_t prop;
    size_t prop_indent;
};

static bool s3__ini_blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct slice s3__ini_trim(struct slice s)
{
    while (s.len && s3__ini_blank(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && s3__ini_blank(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* Grows *items (of size elem) to hold one more than count, at most max in all. */
static int s3__ini_grow(void **items, size_t *cap, size_t count, size_t elem, size_t max)
{
    if (count >= max)
        return SEAU_E_TOO_LARGE;
    if (count < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    if (n > max)
        n = max;
    void *p = realloc(*items, n * elem);
    if (!p)
        return SEAU_E_NOMEM;
    *items = p;
    *cap = n;
    return 0;
}

/* Finds or adds the section (name, type); writes its index. */
static int s3__ini_section(struct s3_ini *ini, struct slice name, enum s3__ini_type type,
                           size_t *ret)
{
    for (size_t i = 0; i < ini->section_count; i++) {
        const struct s3__ini_section *s = &ini->sections[i];
        if (s->type == type && slice_eq_cstr(name, s->name)) {
            *ret = i;
            return 0;
        }
    }
    void *items = ini->sections;
    int rc = s3__ini_grow(&items, &ini->section_cap, ini->section_count,
                          sizeof(struct s3__ini_section), S3_INI_MAX_SECTIONS);
    ini->sections = items;
    if (rc)
        return rc;
    char *copy = slice_dup(name);
    if (!copy)
        return SEAU_E_NOMEM;
    ini->sections[ini->section_count] = (struct s3__ini_section){copy, type};
    *ret = ini->section_count++;
    return 0;
}

/* Parses the text between the brackets of a section header (already trimmed). */
static int s3__ini_header(struct s3__ini_parser *ps, struct slice name)
{
    enum s3__ini_type type = S3__INI_PROFILE;
    if (ps->ini->kind == S3_INI_CONFIG) {
        if (slice_eq_cstr(name, "default")) {
            type = S3__INI_BARE_DEFAULT;
        } else if (name.len > 7 && memcmp(name.p, "profile", 7) == 0 && s3__ini_blank(name.p[7])) {
            /* Trimming left no blank at the end, so something follows the blanks. */
            name = s3__ini_trim((struct slice){name.p + 7, name.len - 7});
        } else {
            type = S3__INI_OTHER;
        }
    }
    int rc = s3__ini_section(ps->ini, name, type, &ps->section);
    if (rc == 0) {
        ps->in_section = true;
        ps->in_prop = false;
    }
    return rc;
}

/*
 * Cuts an inline comment from the text after '=' and trims what is left. A
 * comment is the first '#' or ';' that follows a blank, so "k = #x" has an
 * empty value but "k =#x" has the value "#x".
 */
static struct slice s3__ini_uncomment(struct slice v)
{
    for (size_t i = 1; i < v.len; i++) {
        if ((v.p[i] == '#' || v.p[i] == ';') && s3__ini_blank(v.p[i - 1])) {
            v.len = i;
            break;
        }
    }
    return s3__ini_trim(v);
}

static int s3__ini_property(struct s3__ini_parser *ps, struct slice rest, size_t indent)
{
    if (!ps->in_section)
        return SEAU_E_VALIDATION;
    const char *eq = memchr(rest.p, '=', rest.len);
    if (!eq)
        return SEAU_E_VALIDATION;
    struct slice key = s3__ini_trim((struct slice){rest.p, (size_t)(eq - rest.p)});
    struct slice value =
        s3__ini_uncomment((struct slice){eq + 1, rest.len - (size_t)(eq - rest.p) - 1});
    if (key.len == 0)
        return SEAU_E_VALIDATION;

    struct s3_ini *ini = ps->ini;
    void *items = ini->props;
    int rc = s3__ini_grow(&items, &ini->prop_cap, ini->prop_count, sizeof(struct s3__ini_prop),
                          S3_INI_MAX_KEYS);
    ini->props = items;
    if (rc)
        return rc;
    char *k = slice_dup(key);
    char *v = slice_dup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return SEAU_E_NOMEM;
    }
    for (char *c = k; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    ini->props[ini->prop_count] = (struct s3__ini_prop){ps->section, k, v, value.len};
    ps->prop = ini->prop_count++;
    ps->in_prop = true;
    ps->prop_indent = indent;
    return 0;
}

/* Appends "\n" and more to the current property's value; the old copy is wiped. */
static int s3__ini_continue(struct s3__ini_parser *ps, struct slice more)
{
    struct s3__ini_prop *p = &ps->ini->props[ps->prop];
    if (more.len > S3_INI_MAX_LINE || p->value_len > S3_INI_MAX_LINE - more.len - 1)
        return SEAU_E_TOO_LARGE;
    size_t n = p->value_len + 1 + more.len;
    char *v = malloc(n + 1);
    if (!v)
        return SEAU_E_NOMEM;
    memcpy(v, p->value, p->value_len);
    v[p->value_len] = '\n';
    memcpy(v + p->value_len + 1, more.p, more.len);
    v[n] = '\0';
    str_free_secret(p->value);
    p->value = v;
    p->value_len = n;
    return 0;
}

/* Parses one line, CR LF already removed. */
static int s3__ini_line(struct s3__ini_parser *ps, struct slice line)
{
    if (line.len > S3_INI_MAX_LINE)
        return SEAU_E_TOO_LARGE;
    if (memchr(line.p, '\0', line.len))
        return SEAU_E_VALIDATION;
    size_t indent = 0;
    while (indent < line.len && s3__ini_blank(line.p[indent]))
        indent++;
    struct slice rest = s3__ini_trim((struct slice){line.p + indent, line.len - indent});
    if (rest.len == 0) {
        ps->in_prop = false;
        return 0;
    }
    if (rest.p[0] == '#' || rest.p[0] == ';')
        return 0;
    if (ps->in_prop && indent > ps->prop_indent)
        return s3__ini_continue(ps, rest);
    if (rest.p[0] == '[') {
        const char *close = memchr(rest.p, ']', rest.len);
        if (!close)
            return SEAU_E_VALIDATION;
        struct slice after =
            s3__ini_trim((struct slice){close + 1, rest.len - (size_t)(close + 1 - rest.p)});
        if (after.len && after.p[0] != '#' && after.p[0] != ';')
            return SEAU_E_VALIDATION;
        struct slice name = s3__ini_trim((struct slice){rest.p + 1, (size_t)(close - rest.p) - 1});
        if (name.len == 0)
            return SEAU_E_VALIDATION;
        return s3__ini_header(ps, name);
    }
    return s3__ini_property(ps, rest, indent);
}

void s3_ini_free(struct s3_ini *ini)
{
    if (!ini)
        return;
    for (size_t i = 0; i < ini->section_count; i++)
        free(ini->sections[i].name);
    for (size_t i = 0; i < ini->prop_count; i++) {
        free(ini->props[i].key);
        str_free_secret(ini->props[i].value);
    }
    free(ini->sections);
    free(ini->props);
    free(ini);
}

int s3_ini_parse(const char *data, size_t len, enum s3_ini_kind kind, struct s3_ini **ret,
                 size_t *err_line)
{
    if (len > S3_INI_MAX_FILE) {
        if (err_line)
            *err_line = 0;
        return SEAU_E_TOO_LARGE;
    }
    struct s3_ini *ini = calloc(1, sizeof(*ini));
    if (!ini)
        return SEAU_E_NOMEM;
    ini->kind = kind;
    struct s3__ini_parser ps = {.ini = ini};
    const char *p = data, *end = data + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    size_t line_no = 0;
    int rc = 0;
    while (rc == 0 && p < end) {
        line_no++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        struct slice line = {p, (size_t)(stop - p)};
        if (line.len && line.p[line.len - 1] == '\r')
            line.len--;
        rc = s3__ini_line(&ps, line);
        p = nl ? nl + 1 : end;
    }
    if (rc) {
        if (err_line)
            *err_line = line_no;
        s3_ini_free(ini);
        return rc;
    }
    *ret = ini;
    return 0;
}

/* Reads a whole regular file of at most max bytes into a new buffer (wipe and free it). */
static int s3__ini_read(const char *path, size_t max, char **ret, size_t *ret_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? SEAU_E_NOT_FOUND : SEAU_E_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return SEAU_E_IO;
    }
    if ((uintmax_t)st.st_size > max) {
        close(fd);
        return SEAU_E_TOO_LARGE;
    }
    /* One byte more than allowed, to notice a file that grew since fstat(). */
    char *data = malloc(max + 1);
    if (!data) {
        close(fd);
        return SEAU_E_NOMEM;
    }
    size_t len = 0;
    int rc = 0;
    while (len <= max) {
        ssize_t n = read(fd, data + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = SEAU_E_IO;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc == 0 && len > max)
        rc = SEAU_E_TOO_LARGE;
    if (rc) {
        str_wipe(data, len);
        free(data);
        return rc;
    }
    *ret = data;
    *ret_len = len;
    return 0;
}

int s3_ini_load(const char *path, enum s3_ini_kind kind, struct s3_ini **ret, size_t *err_line)
{
    char *data = NULL;
    size_t len = 0;
    int rc = s3__ini_read(path, S3_INI_MAX_FILE, &data, &len);
    if (rc) {
        if (err_line)
            *err_line = 0;
        return rc;
    }
    rc = s3_ini_parse(data, len, kind, ret, err_line);
    str_wipe(data, len);
    free(data);
    return rc;
}

/* The section holding the profile, or SIZE_MAX. */
static size_t s3__ini_find(const struct s3_ini *ini, const char *profile)
{
    size_t bare = SIZE_MAX;
    for (size_t i = 0; i < ini->section_count; i++) {
        const struct s3__ini_section *s = &ini->sections[i];
        if (strcmp(s->name, profile) != 0)
            continue;
        if (s->type == S3__INI_PROFILE)
            return i;
        if (s->type == S3__INI_BARE_DEFAULT)
            bare = i;
    }
    return bare;
}

bool s3_ini_has_profile(const struct s3_ini *ini, const char *profile)
{
    return ini && profile && s3__ini_find(ini, profile) != SIZE_MAX;
}

const char *s3_ini_get(const struct s3_ini *ini, const char *profile, const char *key)
{
    if (!ini || !profile || !key)
        return NULL;
    size_t section = s3__ini_find(ini, profile);
    if (section == SIZE_MAX)
        return NULL;
    for (size_t i = ini->prop_count; i-- > 0;) {
        const struct s3__ini_prop *p = &ini->props[i];
        if (p->section == section && str_ieq(p->key, key))
            return p->value;
    }
    return NULL;
}
