/*
 * A streaming ZIP writer: archives are produced front to back into a
 * caller's sink, never seeking back and never holding an entry's bytes, so
 * an archive of any size costs the memory of its central directory only
 * (about 70 bytes plus the name per entry).
 *
 * Format choices (APPNOTE.TXT 6.3.10):
 *  - Method 0 (STORE). Objects in buckets are mostly compressed already
 *    (images, video, archives, office files); deflating them again costs a
 *    core per download for a few percent, and stored entries keep the
 *    archive's size exactly the sum of its parts plus headers.
 *  - Every entry has a data descriptor (flag bit 3): its CRC-32 and sizes
 *    follow the data, so nothing about the bytes is needed before they flow.
 *  - ZIP64: an entry whose size may reach 0xFFFFFFFF (or is unknown) carries
 *    a ZIP64 extra field in its local header and 8-byte sizes in its data
 *    descriptor; the central directory uses ZIP64 fields for each size or
 *    offset that does not fit 32 bits, and the archive ends with the ZIP64
 *    end records when it holds 0xFFFF entries or more, or when its central
 *    directory's size or offset does not fit. zip_options.force_zip64 turns
 *    all of this on for every entry, for tests and for readers that like it.
 *  - Names are UTF-8 (flag bit 11). Times: the MS-DOS date and time fields
 *    in UTC (DOS time has no zone; UTC is the only honest choice on a
 *    server) plus the "UT" extended timestamp (0x5455), which unzip and
 *    7-Zip use to restore the exact modification time.
 *  - A name ending with '/' is a directory entry (no data).
 *
 * Errors are sticky: after a failure every call returns the same code.
 */
#ifndef SEAU_FILES_ZIP_H
#define SEAU_FILES_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest entry name accepted (bytes); ZIP's own field holds 0xFFFF. */
#define ZIP_NAME_MAX 4096

/* Where the archive's bytes go, in order. write returns 0 or a negative code (kept and returned).
 */
struct zip_sink {
    int (*write)(void *ctx, const void *data, size_t n);
    void *ctx;
};

struct zip_options {
    bool force_zip64; /* ZIP64 fields and end records even where 32 bits would do */
};

struct zip_writer;

/* A writer into sink (copied). opt may be NULL. Returns NULL when out of memory. */
struct zip_writer *zip_writer_new(const struct zip_sink *sink, const struct zip_options *opt);
/* Frees the writer (finished or not: an unfinished archive is simply left incomplete). NULL ok. */
void zip_writer_free(struct zip_writer *z);

/*
 * Why name cannot be an entry name, or NULL when it can: not empty, at most
 * ZIP_NAME_MAX bytes of valid UTF-8 without control characters, no leading
 * '/' or '\' or drive letter ("C:"), no "." or ".." segment (segments split
 * at '/' and '\', since Windows tools treat both as separators), no empty
 * segment. Pure.
 */
const char *zip_name_problem(const char *name);

/*
 * Starts an entry: its local header is written at once. mtime_ms is the
 * modification time (ms since the epoch; clamped into DOS's 1980-2107).
 * size_hint is the number of bytes that will follow, or -1 when unknown
 * (then the entry is ZIP64, to be safe). Returns 0, SEAU_E_VALIDATION for
 * a name zip_name_problem refuses, SEAU_E_INTERNAL when an entry is
 * already open or the archive is finished, or the sink's code.
 */
int zip_begin_entry(struct zip_writer *z, const char *name, int64_t mtime_ms, int64_t size_hint);

/*
 * The entry's next n bytes, passed straight to the sink (CRC-32 computed on
 * the way). Returns 0, SEAU_E_RANGE when an entry that is not ZIP64 would
 * reach 4 GiB (its size_hint was wrong), SEAU_E_INTERNAL for data in a
 * directory entry or with no entry open, or the sink's code.
 */
int zip_entry_data(struct zip_writer *z, const void *data, size_t n);

/* Ends the entry: writes its data descriptor. Returns 0 or as above. */
int zip_end_entry(struct zip_writer *z);

/*
 * Writes the central directory and the end records. No entry may be open.
 * Returns 0 or the sink's code; the writer accepts nothing after.
 */
int zip_finish(struct zip_writer *z);

/* Bytes handed to the sink so far. */
uint64_t zip_bytes_written(const struct zip_writer *z);
/* Entries begun so far. */
uint64_t zip_entry_count(const struct zip_writer *z);

#endif
