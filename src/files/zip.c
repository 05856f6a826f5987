/* The streaming ZIP writer; see zip.h. Field layouts follow PKWARE's APPNOTE.TXT 6.3.10. */
#include "files/zip.h"

#include "core/err.h"
#include "core/str.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SIG_LOCAL      0x04034b50u
#define SIG_DESCRIPTOR 0x08074b50u
#define SIG_CENTRAL    0x02014b50u
#define SIG_ZIP64_END  0x06064b50u
#define SIG_ZIP64_LOC  0x07064b50u
#define SIG_END        0x06054b50u

#define FLAG_DESCRIPTOR 0x0008u /* bit 3: CRC and sizes follow the data */
#define FLAG_UTF8       0x0800u /* bit 11: the name is UTF-8 */

#define VERSION_BASE  20u /* 2.0: directories, data descriptors */
#define VERSION_ZIP64 45u /* 4.5: ZIP64 */
#define MADE_BY_UNIX  (3u << 8)

#define EXTRA_ZIP64 0x0001u
#define EXTRA_UT    0x5455u /* extended timestamp */

#define MAX32 0xFFFFFFFFull /* a 32-bit field holding this means "see ZIP64" */
#define MAX16 0xFFFFu

/* Unix modes for the external attributes: readable files, enterable folders. */
#define MODE_FILE 0100644u
#define MODE_DIR  0040755u
#define DOS_DIR   0x10u

/* What the central directory needs of one entry. */
struct record {
    uint64_t offset; /* of the local header */
    uint64_t size;   /* stored = original (method 0) */
    uint32_t crc;
    uint32_t name_at; /* in names */
    uint16_t name_len;
    uint16_t dos_time, dos_date;
    bool zip64_local; /* the local header had a ZIP64 extra: the descriptor has 8-byte sizes */
    bool is_dir;
    bool has_ut;
    uint32_t ut; /* Unix seconds for the UT field */
};

struct zip_writer {
    struct zip_sink sink;
    bool force64;
    int failed; /* sticky */
    bool finished;
    bool open; /* an entry is open: records[n - 1] */
    uint64_t written;
    struct record *records;
    size_t n, cap;
    char *names;
    size_t names_len, names_cap;
};

/* ===================================== bytes ========================================= */

/* A little-endian encoder over a fixed buffer the caller sized. */
struct out {
    unsigned char *p;
    size_t len;
};

static void put16(struct out *o, uint32_t v)
{
    o->p[o->len++] = (unsigned char)(v & 0xFF);
    o->p[o->len++] = (unsigned char)((v >> 8) & 0xFF);
}

static void put32(struct out *o, uint32_t v)
{
    put16(o, v & 0xFFFF);
    put16(o, v >> 16);
}

static void put64(struct out *o, uint64_t v)
{
    put32(o, (uint32_t)(v & 0xFFFFFFFFu));
    put32(o, (uint32_t)(v >> 32));
}

static void putn(struct out *o, const void *p, size_t n)
{
    memcpy(o->p + o->len, p, n);
    o->len += n;
}

static int emit(struct zip_writer *z, const void *p, size_t n)
{
    if (z->failed)
        return z->failed;
    if (n == 0)
        return 0;
    int rc = z->sink.write(z->sink.ctx, p, n);
    if (rc) {
        z->failed = rc;
        return rc;
    }
    z->written += n;
    return 0;
}

/* ===================================== times ========================================= */

/* Days since 1970-01-01 → civil date (H. Hinnant's algorithm; proleptic Gregorian). */
static void civil_from_days(int64_t days, int *ret_y, int *ret_m, int *ret_d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *ret_y = (int)(y + (m <= 2));
    *ret_m = (int)m;
    *ret_d = (int)d;
}

/* DOS date and time (2-second resolution, years 1980-2107) of a UTC instant, clamped. */
static void dos_time(int64_t ms, uint16_t *ret_time, uint16_t *ret_date)
{
    static const int64_t min_s = 315532800;  /* 1980-01-01T00:00:00Z */
    static const int64_t max_s = 4354819198; /* 2107-12-31T23:59:58Z */
    int64_t s = ms / 1000;
    if (s < min_s)
        s = min_s;
    if (s > max_s)
        s = max_s;
    int64_t days = s / 86400, rem = s % 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    *ret_date = (uint16_t)(((y - 1980) << 9) | (m << 5) | d);
    *ret_time = (uint16_t)(((rem / 3600) << 11) | (((rem % 3600) / 60) << 5) | ((rem % 60) / 2));
}

/* ===================================== names ========================================= */

static bool is_sep(char c)
{
    return c == '/' || c == '\\';
}

const char *zip_name_problem(const char *name)
{
    size_t n = strlen(name);
    if (n == 0)
        return "is empty";
    if (n > ZIP_NAME_MAX)
        return "is too long";
    if (!str_utf8_valid(name, n))
        return "is not valid UTF-8";
    if (str_has_control(name, n))
        return "holds a control character";
    if (is_sep(name[0]))
        return "is an absolute path";
    if (n >= 2 && name[1] == ':' &&
        ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
        return "starts with a drive letter";
    /* Segments; a trailing separator (a directory) ends the last one. */
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && !is_sep(name[i]))
            continue;
        size_t len = i - start;
        if (len == 0 && i < n)
            return "has an empty segment";
        if ((len == 1 && name[start] == '.') ||
            (len == 2 && name[start] == '.' && name[start + 1] == '.'))
            return "has a '.' or '..' segment";
        start = i + 1;
    }
    return NULL;
}

/* ===================================== writer ======================================== */

struct zip_writer *zip_writer_new(const struct zip_sink *sink, const struct zip_options *opt)
{
    struct zip_writer *z = calloc(1, sizeof(*z));
    if (!z)
        return NULL;
    z->sink = *sink;
    z->force64 = opt && opt->force_zip64;
    return z;
}

void zip_writer_free(struct zip_writer *z)
{
    if (!z)
        return;
    free(z->records);
    free(z->names);
    free(z);
}

uint64_t zip_bytes_written(const struct zip_writer *z)
{
    return z->written;
}

uint64_t zip_entry_count(const struct zip_writer *z)
{
    return z->n;
}

static int grow(struct zip_writer *z, size_t name_len)
{
    if (z->n == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 64;
        struct record *r = realloc(z->records, cap * sizeof(*r));
        if (!r)
            return SEAU_E_NOMEM;
        z->records = r;
        z->cap = cap;
    }
    if (z->names_len + name_len > UINT32_MAX)
        return SEAU_E_TOO_LARGE;
    if (z->names_len + name_len > z->names_cap) {
        size_t cap = z->names_cap ? 2 * z->names_cap : 4096;
        while (cap < z->names_len + name_len)
            cap *= 2;
        char *p = realloc(z->names, cap);
        if (!p)
            return SEAU_E_NOMEM;
        z->names = p;
        z->names_cap = cap;
    }
    return 0;
}

/* The largest header: central (46) + name + ZIP64 extra (4 + 24) + UT (4 + 5). */
#define HEADER_MAX (46 + ZIP_NAME_MAX + 28 + 9)

int zip_begin_entry(struct zip_writer *z, const char *name, int64_t mtime_ms, int64_t size_hint)
{
    if (z->failed)
        return z->failed;
    if (z->open || z->finished)
        return SEAU_E_INTERNAL;
    if (zip_name_problem(name))
        return SEAU_E_VALIDATION;
    size_t name_len = strlen(name);
    int rc = grow(z, name_len);
    if (rc)
        return z->failed = rc;

    struct record *r = &z->records[z->n];
    memset(r, 0, sizeof(*r));
    r->offset = z->written;
    r->name_at = (uint32_t)z->names_len;
    r->name_len = (uint16_t)name_len;
    r->is_dir = name[name_len - 1] == '/';
    r->zip64_local = z->force64 || (!r->is_dir && (size_hint < 0 || (uint64_t)size_hint >= MAX32));
    dos_time(mtime_ms, &r->dos_time, &r->dos_date);
    int64_t secs = mtime_ms / 1000;
    r->has_ut = secs >= 0 && secs <= INT32_MAX;
    r->ut = (uint32_t)secs;
    memcpy(z->names + z->names_len, name, name_len);

    unsigned char buf[HEADER_MAX];
    struct out o = {buf, 0};
    uint16_t extra_len = (uint16_t)((r->zip64_local ? 20 : 0) + (r->has_ut ? 9 : 0));
    put32(&o, SIG_LOCAL);
    put16(&o, r->zip64_local ? VERSION_ZIP64 : VERSION_BASE);
    put16(&o, FLAG_DESCRIPTOR | FLAG_UTF8);
    put16(&o, 0); /* STORE */
    put16(&o, r->dos_time);
    put16(&o, r->dos_date);
    put32(&o, 0); /* CRC-32: in the descriptor */
    /* Sizes: in the descriptor; 0xFFFFFFFF points readers at the ZIP64 extra (APPNOTE 4.5.3). */
    put32(&o, r->zip64_local ? (uint32_t)MAX32 : 0);
    put32(&o, r->zip64_local ? (uint32_t)MAX32 : 0);
    put16(&o, (uint32_t)name_len);
    put16(&o, extra_len);
    putn(&o, name, name_len);
    if (r->zip64_local) {
        put16(&o, EXTRA_ZIP64);
        put16(&o, 16);
        put64(&o, 0); /* original size: in the descriptor */
        put64(&o, 0); /* compressed size: in the descriptor */
    }
    if (r->has_ut) {
        put16(&o, EXTRA_UT);
        put16(&o, 5);
        o.p[o.len++] = 1; /* modification time present */
        put32(&o, r->ut);
    }
    rc = emit(z, buf, o.len);
    if (rc)
        return rc;
    z->names_len += name_len;
    z->n++;
    z->open = true;
    return 0;
}

int zip_entry_data(struct zip_writer *z, const void *data, size_t n)
{
    if (z->failed)
        return z->failed;
    if (!z->open)
        return SEAU_E_INTERNAL;
    struct record *r = &z->records[z->n - 1];
    if (n == 0)
        return 0;
    if (r->is_dir)
        return SEAU_E_INTERNAL;
    if (!r->zip64_local && r->size + n >= MAX32)
        return z->failed = SEAU_E_RANGE;
    r->crc = (uint32_t)crc32_z(r->crc, data, n);
    r->size += n;
    return emit(z, data, n);
}

int zip_end_entry(struct zip_writer *z)
{
    if (z->failed)
        return z->failed;
    if (!z->open)
        return SEAU_E_INTERNAL;
    const struct record *r = &z->records[z->n - 1];
    unsigned char buf[24];
    struct out o = {buf, 0};
    put32(&o, SIG_DESCRIPTOR);
    put32(&o, r->crc);
    if (r->zip64_local) {
        put64(&o, r->size);
        put64(&o, r->size);
    } else {
        put32(&o, (uint32_t)r->size);
        put32(&o, (uint32_t)r->size);
    }
    int rc = emit(z, buf, o.len);
    if (rc == 0)
        z->open = false;
    return rc;
}

/* One central directory header. */
static int emit_central(struct zip_writer *z, const struct record *r)
{
    bool size64 = z->force64 || r->size >= MAX32;
    bool offset64 = z->force64 || r->offset >= MAX32;
    uint16_t zip64_len = (uint16_t)((size64 ? 16 : 0) + (offset64 ? 8 : 0));
    uint16_t extra_len = (uint16_t)((zip64_len ? 4 + zip64_len : 0) + (r->has_ut ? 9 : 0));
    bool needs45 = zip64_len || r->zip64_local;

    unsigned char buf[HEADER_MAX];
    struct out o = {buf, 0};
    put32(&o, SIG_CENTRAL);
    put16(&o, MADE_BY_UNIX | VERSION_ZIP64);
    put16(&o, needs45 ? VERSION_ZIP64 : VERSION_BASE);
    put16(&o, FLAG_DESCRIPTOR | FLAG_UTF8);
    put16(&o, 0);
    put16(&o, r->dos_time);
    put16(&o, r->dos_date);
    put32(&o, r->crc);
    put32(&o, size64 ? (uint32_t)MAX32 : (uint32_t)r->size); /* compressed */
    put32(&o, size64 ? (uint32_t)MAX32 : (uint32_t)r->size); /* original */
    put16(&o, r->name_len);
    put16(&o, extra_len);
    put16(&o, 0); /* comment */
    put16(&o, 0); /* disk */
    put16(&o, 0); /* internal attributes */
    put32(&o, ((r->is_dir ? MODE_DIR : MODE_FILE) << 16) | (r->is_dir ? DOS_DIR : 0));
    put32(&o, offset64 ? (uint32_t)MAX32 : (uint32_t)r->offset);
    putn(&o, z->names + r->name_at, r->name_len);
    if (zip64_len) {
        /* Only the fields that read 0xFFFFFFFF above, in this order (APPNOTE 4.5.3). */
        put16(&o, EXTRA_ZIP64);
        put16(&o, zip64_len);
        if (size64) {
            put64(&o, r->size);
            put64(&o, r->size);
        }
        if (offset64)
            put64(&o, r->offset);
    }
    if (r->has_ut) {
        put16(&o, EXTRA_UT);
        put16(&o, 5);
        o.p[o.len++] = 1;
        put32(&o, r->ut);
    }
    return emit(z, buf, o.len);
}

int zip_finish(struct zip_writer *z)
{
    if (z->failed)
        return z->failed;
    if (z->open || z->finished)
        return SEAU_E_INTERNAL;
    z->finished = true;
    uint64_t cd_offset = z->written;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < z->n; i++)
        rc = emit_central(z, &z->records[i]);
    if (rc)
        return rc;
    uint64_t cd_size = z->written - cd_offset;
    uint64_t count = z->n;
    bool zip64 = z->force64 || count >= MAX16 || cd_size >= MAX32 || cd_offset >= MAX32;

    unsigned char buf[56 + 20 + 22];
    struct out o = {buf, 0};
    if (zip64) {
        uint64_t end64_offset = z->written;
        put32(&o, SIG_ZIP64_END);
        put64(&o, 44); /* the size of what follows this field */
        put16(&o, MADE_BY_UNIX | VERSION_ZIP64);
        put16(&o, VERSION_ZIP64);
        put32(&o, 0); /* this disk */
        put32(&o, 0); /* the disk with the central directory */
        put64(&o, count);
        put64(&o, count);
        put64(&o, cd_size);
        put64(&o, cd_offset);
        put32(&o, SIG_ZIP64_LOC);
        put32(&o, 0);
        put64(&o, end64_offset);
        put32(&o, 1); /* disks */
    }
    put32(&o, SIG_END);
    put16(&o, 0);
    put16(&o, 0);
    put16(&o, zip64 && (z->force64 || count >= MAX16) ? MAX16 : (uint32_t)count);
    put16(&o, zip64 && (z->force64 || count >= MAX16) ? MAX16 : (uint32_t)count);
    put32(&o, zip64 && (z->force64 || cd_size >= MAX32) ? (uint32_t)MAX32 : (uint32_t)cd_size);
    put32(&o, zip64 && (z->force64 || cd_offset >= MAX32) ? (uint32_t)MAX32 : (uint32_t)cd_offset);
    put16(&o, 0); /* comment */
    return emit(z, buf, o.len);
}
