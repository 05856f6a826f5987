/*
 * Tests of src/files/zip.c: archives are written to files and judged by
 * independent readers — Info-ZIP's `unzip -t` and `zipinfo`, and Python's
 * zipfile — for plain, forced-ZIP64, 70,000-entry and > 4 GiB archives,
 * Unicode names, empty files and the empty archive.
 */
#include "../testutil.h"

#include "../../../src/files/zip.c"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

/* 2024-05-06T07:08:10Z */
#define MTIME_MS 1714979290000LL

/* ===================================== sinks ========================================= */

/*
 * A file sink. With sparse set, runs of zero bytes are skipped with lseek
 * instead of written, so a > 4 GiB archive of zeros costs no disk and little
 * time; readers see the holes as zeros.
 */
struct file_sink {
    int fd;
    bool sparse;
    uint64_t pos;
    int fail_after; /* > 0: the n-th write fails with SEAU_E_IO */
    int writes;
};

/* memcmp against a zero page: fast even under ASan, which a byte loop is not. */
static bool all_zero(const unsigned char *p, size_t n)
{
    static const unsigned char zero[65536];
    for (size_t off = 0; off < n; off += sizeof(zero)) {
        size_t k = n - off < sizeof(zero) ? n - off : sizeof(zero);
        if (memcmp(p + off, zero, k) != 0)
            return false;
    }
    return true;
}

static int file_write(void *ctx, const void *data, size_t n)
{
    struct file_sink *s = ctx;
    if (s->fail_after > 0 && ++s->writes >= s->fail_after)
        return SEAU_E_IO;
    if (s->sparse && n >= 4096 && all_zero(data, n)) {
        if (lseek(s->fd, (off_t)n, SEEK_CUR) < 0)
            return SEAU_E_IO;
    } else {
        const char *p = data;
        size_t left = n;
        while (left) {
            ssize_t w = write(s->fd, p, left);
            if (w <= 0)
                return SEAU_E_IO;
            p += w;
            left -= (size_t)w;
        }
    }
    s->pos += n;
    return 0;
}

static char dir[64];

static int setup(void **state)
{
    (void)state;
    /* The independent readers must be there: one line names a missing one. */
    if (system(SEAU_SOURCE_DIR "/scripts/require python3 unzip zipinfo") != 0)
        return -1;
    snprintf(dir, sizeof(dir), "/tmp/seau-zip-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Opens dir/name for a new archive and a writer on it. */
static struct zip_writer *open_zip(const char *name, bool force64, bool sparse, struct file_sink *s,
                                   char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", dir, name);
    memset(s, 0, sizeof(*s));
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(s->fd >= 0);
    s->sparse = sparse;
    struct zip_sink sink = {file_write, s};
    struct zip_options opt = {.force_zip64 = force64};
    struct zip_writer *z = zip_writer_new(&sink, &opt);
    assert_non_null(z);
    return z;
}

static void close_zip(struct zip_writer *z, struct file_sink *s)
{
    /* The file's size must be what the writer counted (a trailing hole is sized by ftruncate). */
    assert_int_equal(ftruncate(s->fd, (off_t)s->pos), 0);
    assert_int_equal(close(s->fd), 0);
    assert_int_equal(zip_bytes_written(z), s->pos);
    zip_writer_free(z);
}

/* ===================================== readers ======================================= */

/* Runs cmd; returns its exit status (-1 when it could not run). */
static int run(const char *cmd)
{
    int st = system(cmd);
    return st == -1 ? -1 : WEXITSTATUS(st);
}

/* Runs cmd and returns the first len-1 bytes of its standard output. */
static void capture(const char *cmd, char *out, size_t len)
{
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
}

/*
 * Python's zipfile: one line per entry, "name|size|crc|Y-M-D h:m:s", then
 * "count=N"; with read set, every entry's bytes are read (and their CRC
 * checked by zipfile) and "sha=..." of all of them, in order, is printed.
 */
static void py_listing(const char *path, bool read, bool first_only, char *out, size_t len)
{
    char cmd[1024];
    snprintf(
        cmd, sizeof(cmd),
        "python3 -c '\n"
        "import sys, zipfile, hashlib\n"
        "z = zipfile.ZipFile(sys.argv[1])\n"
        "h = hashlib.sha256()\n"
        "infos = z.infolist()\n"
        "for i in (infos[:3] + infos[-2:] if %d else infos):\n"
        "    print(\"%%s|%%d|%%08x|%%d-%%d-%%d %%d:%%d:%%d\" %% ((i.filename, i.file_size, i.CRC) "
        "+ i.date_time))\n"
        "if %d:\n"
        "    for i in infos:\n"
        "        h.update(z.read(i))\n"
        "    print(\"sha=\" + h.hexdigest())\n"
        "print(\"count=%%d\" %% len(infos))\n"
        "' '%s'",
        first_only ? 1 : 0, read ? 1 : 0, path);
    capture(cmd, out, len);
}

/* How many times the 4-byte signature sig occurs in the file. */
static int count_sig(const char *path, uint32_t sig)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char want[4] = {sig & 0xFF, (sig >> 8) & 0xFF, (sig >> 16) & 0xFF, sig >> 24};
    int count = 0, c;
    unsigned char last[4] = {0};
    while ((c = fgetc(f)) != EOF) {
        memmove(last, last + 1, 3);
        last[3] = (unsigned char)c;
        count += memcmp(last, want, 4) == 0;
    }
    fclose(f);
    return count;
}

static void unzip_ok(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "unzip -tqq '%s'", path);
    assert_int_equal(run(cmd), 0);
}

/* ===================================== tests ========================================= */

static void pattern(unsigned char *p, size_t n, size_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i + seed) * 131 % 251);
}

/* The same small archive, plain and forced ZIP64: files, a folder, an empty file, Unicode. */
static void write_small(bool force64, const char *name)
{
    char path[128];
    struct file_sink s;
    struct zip_writer *z = open_zip(name, force64, false, &s, path, sizeof(path));
    assert_int_equal(zip_begin_entry(z, "a.txt", MTIME_MS, 5), 0);
    assert_int_equal(zip_entry_data(z, "hello", 5), 0);
    assert_int_equal(zip_end_entry(z), 0);
    assert_int_equal(zip_begin_entry(z, "dir/", MTIME_MS, 0), 0);
    assert_int_equal(zip_end_entry(z), 0);
    /* 100 KiB in odd chunks, size not given ahead (-1: a ZIP64 entry). */
    static unsigned char big[100 * 1024];
    pattern(big, sizeof(big), 7);
    assert_int_equal(zip_begin_entry(z, "dir/b.bin", MTIME_MS, -1), 0);
    for (size_t off = 0; off < sizeof(big); off += 997) {
        size_t n = sizeof(big) - off < 997 ? sizeof(big) - off : 997;
        assert_int_equal(zip_entry_data(z, big + off, n), 0);
    }
    assert_int_equal(zip_end_entry(z), 0);
    assert_int_equal(zip_begin_entry(z, "empty", MTIME_MS, 0), 0);
    assert_int_equal(zip_end_entry(z), 0);
    const char *uni =
        "\xC3\xA9t\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC \xE2\x9C\x93.txt"; /* été/日本 ✓.txt */
    assert_int_equal(zip_begin_entry(z, uni, MTIME_MS + 1000, 3), 0);
    assert_int_equal(zip_entry_data(z, "\xE2\x9C\x93", 3), 0);
    assert_int_equal(zip_end_entry(z), 0);
    assert_int_equal(zip_entry_count(z), 5);
    assert_int_equal(zip_finish(z), 0);
    assert_int_equal(zip_begin_entry(z, "late", MTIME_MS, 0), SEAU_E_INTERNAL);
    close_zip(z, &s);

    unzip_ok(path);
    char out[4096], want[4096];
    py_listing(path, true, false, out, sizeof(out));
    /* The expected digest, computed here from the same bytes. */
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import hashlib; h = hashlib.sha256(b\"hello\"); "
             "h.update(bytes((i + 7) * 131 %% 251 for i in range(%zu))); h.update(\"✓\".encode()); "
             "print(h.hexdigest())'",
             sizeof(big));
    char sha[80];
    capture(cmd, sha, sizeof(sha));
    uLong crc_big = crc32_z(0, big, sizeof(big));
    snprintf(want, sizeof(want),
             "a.txt|5|3610a686|2024-5-6 7:8:10\n"
             "dir/|0|00000000|2024-5-6 7:8:10\n"
             "dir/b.bin|%zu|%08lx|2024-5-6 7:8:10\n"
             "empty|0|00000000|2024-5-6 7:8:10\n"
             "%s|3|%08lx|2024-5-6 7:8:10\n"
             "sha=%scount=5\n",
             sizeof(big), crc_big, uni, crc32_z(0, (const Bytef *)"\xE2\x9C\x93", 3), sha);
    assert_string_equal(out, want);

    /* zipinfo: stored entries, the folder a folder, UTF-8 names shown as such. */
    snprintf(cmd, sizeof(cmd), "zipinfo '%s'", path);
    capture(cmd, out, sizeof(out));
    assert_non_null(strstr(out, "drwxr-xr-x"));
    assert_non_null(strstr(out, "-rw-r--r--"));
    assert_non_null(strstr(out, "stor"));
    assert_null(strstr(out, "defN"));
    assert_non_null(strstr(out, "5 files"));

    /* unzip extracts the exact names and times (the UT field: 07:08:11 survives DOS's 2 s). */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && mkdir -p x-%s && cd x-%s && "
             "LC_ALL=C.UTF-8 unzip -qq ../%s && TZ=UTC stat -c '%%n %%s %%y' '%s'",
             dir, name, name, name, uni);
    capture(cmd, out, sizeof(out));
    snprintf(want, sizeof(want), "%s 3 2024-05-06 07:08:11", uni);
    assert_memory_equal(out, want, strlen(want));
}

static void test_small(void **state)
{
    (void)state;
    write_small(false, "small.zip");
    char path[128];
    snprintf(path, sizeof(path), "%s/small.zip", dir);
    /* Only the entry of unknown size is ZIP64; no ZIP64 end record. */
    assert_int_equal(count_sig(path, SIG_ZIP64_END), 0);
    assert_int_equal(count_sig(path, SIG_DESCRIPTOR), 5);
}

static void test_forced_zip64(void **state)
{
    (void)state;
    write_small(true, "small64.zip");
    char path[128];
    snprintf(path, sizeof(path), "%s/small64.zip", dir);
    assert_int_equal(count_sig(path, SIG_ZIP64_END), 1);
    assert_int_equal(count_sig(path, SIG_ZIP64_LOC), 1);
}

static void test_empty_archive(void **state)
{
    (void)state;
    char path[128], out[256];
    struct file_sink s;
    struct zip_writer *z = open_zip("empty.zip", false, false, &s, path, sizeof(path));
    assert_int_equal(zip_finish(z), 0);
    close_zip(z, &s);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 22); /* the end record alone */
    py_listing(path, true, false, out, sizeof(out));
    assert_string_equal(out,
                        "sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                        "count=0\n");
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "unzip -tqq '%s' 2>&1", path);
    /* Info-ZIP warns (status 1) on an archive with no entries; anything worse is an error. */
    assert_true(run(cmd) <= 1);
}

static void test_many_entries(void **state)
{
    (void)state;
    enum { N = 70000 };
    char path[128];
    struct file_sink s;
    struct zip_writer *z = open_zip("many.zip", false, false, &s, path, sizeof(path));
    char name[64], data[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "d%02d/f%06d.txt", i % 50, i);
        int n = snprintf(data, sizeof(data), "%d", i);
        assert_int_equal(zip_begin_entry(z, name, MTIME_MS, n), 0);
        assert_int_equal(zip_entry_data(z, data, (size_t)n), 0);
        assert_int_equal(zip_end_entry(z), 0);
    }
    assert_int_equal(zip_finish(z), 0);
    close_zip(z, &s);

    unzip_ok(path);
    char out[1024], want[1024], cmd[256];
    py_listing(path, false, true, out, sizeof(out));
#define CRC(s) crc32_z(0, (const Bytef *)(s), strlen(s))
    snprintf(want, sizeof(want),
             "d00/f000000.txt|1|%08lx|2024-5-6 7:8:10\n"
             "d01/f000001.txt|1|%08lx|2024-5-6 7:8:10\n"
             "d02/f000002.txt|1|%08lx|2024-5-6 7:8:10\n"
             "d48/f069998.txt|5|%08lx|2024-5-6 7:8:10\n"
             "d49/f069999.txt|5|%08lx|2024-5-6 7:8:10\n"
             "count=70000\n",
             CRC("0"), CRC("1"), CRC("2"), CRC("69998"), CRC("69999"));
#undef CRC
    assert_string_equal(out, want);
    /* More than 0xFFFF entries: the ZIP64 end record carries the count. */
    snprintf(cmd, sizeof(cmd), "zipinfo -h '%s'", path);
    capture(cmd, out, sizeof(out));
    assert_non_null(strstr(out, "number of entries: 70000"));
    assert_int_equal(count_sig(path, SIG_ZIP64_END), 1);
}

/*
 * A real archive past 4 GiB: an entry of 4 GiB + 1 MiB of zeros whose size
 * is known (ZIP64 local header), then a small entry whose local header sits
 * past 4 GiB (ZIP64 offset in the central directory). Sparse, so it costs
 * CRC time only: measured about 5 s for the writer and unzip -t together.
 */
static void test_over_4gib(void **state)
{
    (void)state;
    const uint64_t big = (4ull << 30) + (1u << 20);
    char path[128];
    struct file_sink s;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct zip_writer *z = open_zip("big.zip", false, true, &s, path, sizeof(path));
    enum { CHUNK = 8 << 20 };
    unsigned char *zeros = calloc(1, CHUNK);
    assert_non_null(zeros);
    assert_int_equal(zip_begin_entry(z, "zeros.bin", MTIME_MS, (int64_t)big), 0);
    for (uint64_t off = 0; off < big; off += CHUNK) {
        size_t n = big - off < CHUNK ? (size_t)(big - off) : CHUNK;
        assert_int_equal(zip_entry_data(z, zeros, n), 0);
    }
    free(zeros);
    assert_int_equal(zip_end_entry(z), 0);
    assert_int_equal(zip_begin_entry(z, "after.txt", MTIME_MS, 2), 0);
    assert_int_equal(zip_entry_data(z, "ok", 2), 0);
    assert_int_equal(zip_end_entry(z), 0);
    assert_int_equal(zip_finish(z), 0);
    close_zip(z, &s);
    assert_true(s.pos > big);

    /* The big entry's data descriptor, read back: 8-byte sizes, the CRC zlib computed. */
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    unsigned char d[24];
    const off_t at = 30 + 9 /* name */ + 20 /* ZIP64 extra */ + 9 /* UT */ + (off_t)big;
    assert_int_equal(pread(fd, d, sizeof(d), at), (ssize_t)sizeof(d));
    close(fd);
    assert_memory_equal(d, "PK\x07\x08", 4);
    uint32_t crc =
        (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
    uint64_t size1 = 0, size2 = 0;
    for (int i = 7; i >= 0; i--) {
        size1 = size1 << 8 | d[8 + i];
        size2 = size2 << 8 | d[16 + i];
    }
    assert_true(size1 == big && size2 == big);

    /*
     * unzip -t over the whole 4 GiB takes about 28 s here (it reads the
     * holes), so it tests the entry that lies past 4 GiB, which is what
     * needs Info-ZIP to follow the ZIP64 end records and offsets; the big
     * entry's CRC is checked against Python's own computation instead.
     */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "unzip -tqq '%s' after.txt", path);
    assert_int_equal(run(cmd), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("    > 4 GiB archive written and checked in %.1f s\n",
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);

    char out[1024], want[256];
    py_listing(path, false, false, out, sizeof(out));
    snprintf(want, sizeof(want),
             "zeros.bin|%llu|%08x|2024-5-6 7:8:10\n"
             "after.txt|2|%08lx|2024-5-6 7:8:10\n"
             "count=2\n",
             (unsigned long long)big, crc, crc32_z(0, (const Bytef *)"ok", 2));
    assert_string_equal(out, want);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import zipfile, sys, zlib\n"
             "z = zipfile.ZipFile(sys.argv[1])\n"
             "c, mib = 0, bytes(1 << 20)\n"
             "for _ in range(4097): c = zlib.crc32(mib, c)\n"
             "print(\"%%08x\" %% c, z.read(\"after.txt\").decode())' '%s'",
             path);
    capture(cmd, out, sizeof(out));
    snprintf(want, sizeof(want), "%08x ok\n", crc);
    assert_string_equal(out, want);
}

static void test_names(void **state)
{
    (void)state;
    static const char *const bad[] = {"",       "/abs",  "\\abs", "C:x",      "c:\\x", "..",
                                      "a/../b", "a/./b", "a//b",  "a\\..\\b", "..\\x", "a/..",
                                      "./a",    "a\x01", "\xC3(", "a/b//"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (zip_name_problem(bad[i]) == NULL)
            fail_msg("accepted %s", bad[i]);
    }
    static const char *const good[] = {"a",   "a/b/", "\xC3\xA9t\xC3\xA9.txt", "..a",
                                       "a..", "a/.b", "a b/c%20d#?.txt",       "1:2"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (zip_name_problem(good[i]) != NULL)
            fail_msg("refused %s: %s", good[i], zip_name_problem(good[i]));
    }
    char longname[ZIP_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[ZIP_NAME_MAX + 1] = '\0';
    assert_non_null(zip_name_problem(longname));
    longname[ZIP_NAME_MAX] = '\0';
    assert_null(zip_name_problem(longname));
}

static int discard(void *ctx, const void *data, size_t n)
{
    (void)data;
    *(uint64_t *)ctx += n;
    return 0;
}

static void test_misuse(void **state)
{
    (void)state;
    uint64_t total = 0;
    struct zip_sink sink = {discard, &total};
    struct zip_writer *z = zip_writer_new(&sink, NULL);
    assert_int_equal(zip_entry_data(z, "x", 1), SEAU_E_INTERNAL);
    assert_int_equal(zip_end_entry(z), SEAU_E_INTERNAL);
    assert_int_equal(zip_begin_entry(z, "../x", 0, 1), SEAU_E_VALIDATION);
    assert_int_equal(zip_begin_entry(z, "d/", 0, 0), 0);
    assert_int_equal(zip_entry_data(z, "x", 1), SEAU_E_INTERNAL);     /* a folder holds no data */
    assert_int_equal(zip_begin_entry(z, "e", 0, 0), SEAU_E_INTERNAL); /* one at a time */
    assert_int_equal(zip_finish(z), SEAU_E_INTERNAL);                 /* still open */
    assert_int_equal(zip_end_entry(z), 0);
    /* An entry announced small that grows to 4 GiB: refused before a byte is read. */
    assert_int_equal(zip_begin_entry(z, "liar", 0, 10), 0);
    static const char byte = 0;
    assert_int_equal(zip_entry_data(z, &byte, 1), 0);
    assert_int_equal(zip_entry_data(z, &byte, (size_t)MAX32 - 1), SEAU_E_RANGE);
    assert_int_equal(zip_end_entry(z), SEAU_E_RANGE); /* sticky */
    assert_int_equal(zip_finish(z), SEAU_E_RANGE);
    assert_int_equal(zip_bytes_written(z), total);
    zip_writer_free(z);
    zip_writer_free(NULL);
}

static void test_sink_failure(void **state)
{
    (void)state;
    char path[128];
    struct file_sink s;
    struct zip_writer *z = open_zip("fail.zip", false, false, &s, path, sizeof(path));
    s.fail_after = 3; /* the header, the data, then the descriptor fails */
    assert_int_equal(zip_begin_entry(z, "a", MTIME_MS, 1), 0);
    assert_int_equal(zip_entry_data(z, "a", 1), 0);
    assert_int_equal(zip_end_entry(z), SEAU_E_IO);
    assert_int_equal(zip_begin_entry(z, "b", MTIME_MS, 1), SEAU_E_IO);
    assert_int_equal(zip_finish(z), SEAU_E_IO);
    close(s.fd);
    zip_writer_free(z);
}

static void test_dos_time(void **state)
{
    (void)state;
    uint16_t t, d;
    dos_time(MTIME_MS, &t, &d);
    assert_int_equal(d, ((2024 - 1980) << 9) | (5 << 5) | 6);
    assert_int_equal(t, (7 << 11) | (8 << 5) | 5);
    dos_time(0, &t, &d); /* 1970: before DOS time began */
    assert_int_equal(d, (0 << 9) | (1 << 5) | 1);
    assert_int_equal(t, 0);
    dos_time(951782400000LL, &t, &d); /* 2000-02-29: a leap day */
    assert_int_equal(d, (20 << 9) | (2 << 5) | 29);
    dos_time(5000000000000LL, &t, &d); /* 2128: past DOS time */
    assert_int_equal(d, (127 << 9) | (12 << 5) | 31);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),         cmocka_unit_test(test_dos_time),
        cmocka_unit_test(test_misuse),        cmocka_unit_test(test_sink_failure),
        cmocka_unit_test(test_small),         cmocka_unit_test(test_forced_zip64),
        cmocka_unit_test(test_empty_archive), cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_over_4gib),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
