/* Tests of src/files/rules.c: size limit, allowlist matching, declared types, sniffing real bytes.
 */
#include "../testutil.h"

#include "../../../src/files/rules.c"

#include <pthread.h>

static void test_size(void **state)
{
    (void)state;
    struct cfg c;
    memset(&c, 0, sizeof(c));
    c.max_upload_bytes = 1000;
    assert_int_equal(files_rules_check_size(&c, 0), 0);
    assert_int_equal(files_rules_check_size(&c, 1000), 0);
    assert_int_equal(files_rules_check_size(&c, 1001), SEAU_E_TOO_LARGE);
    assert_int_equal(files_rules_check_size(&c, -1), SEAU_E_TOO_LARGE);
    assert_int_equal(files_rules_check_size(&c, INT64_MAX), SEAU_E_TOO_LARGE);
}

static void test_allowlist(void **state)
{
    (void)state;
    static const struct {
        const char *allowed, *type;
        bool ok;
    } cases[] = {
        {NULL, "application/x-dosexec", true},
        {"", "anything/at-all", true},
        {" , ", "anything/at-all", true},
        {"image/*,application/pdf", "image/png", true},
        {"image/*,application/pdf", "IMAGE/PNG", true},
        {"image/*,application/pdf", "application/pdf", true},
        {"image/*,application/pdf", "application/pdf; charset=binary", true},
        {"image/*,application/pdf", "application/pdfx", false},
        {"image/*,application/pdf", "image/", false},
        {"image/*,application/pdf", "imagex/png", false},
        {"image/*,application/pdf", "text/plain", false},
        {"image/*,application/pdf", "", false},
        {"image/*,application/pdf", NULL, false},
        {" Text/Plain ; charset=utf-8 , image/png", "text/plain", true},
        {"text/plain", "text/plain;charset=utf-8", true},
        {"text/plain", "text/plain-x", false},
        {"*", "application/zip", true},
        {"*/*", "application/zip", true},
        {"image/png", "image/pngx", false},
        {"image/png,", "image/png", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = files_rules_type_allowed(cases[i].allowed, cases[i].type);
        if (got != cases[i].ok)
            fail_msg("case %zu: allowed '%s', type '%s': got %d", i,
                     cases[i].allowed ? cases[i].allowed : "(null)",
                     cases[i].type ? cases[i].type : "(null)", got);
    }
    struct cfg c;
    memset(&c, 0, sizeof(c));
    c.allowed_types = "image/*";
    assert_int_equal(files_rules_check_type(&c, "image/gif"), 0);
    assert_int_equal(files_rules_check_type(&c, "application/pdf"), SEAU_E_MEDIA_TYPE);
}

static void test_media_type_problem(void **state)
{
    (void)state;
    const char *good[] = {"image/png",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          "text/plain; charset=utf-8",
                          "text/plain;charset=utf-8",
                          "application/x-tar",
                          "image/svg+xml"};
    const char *bad[] = {"",           "image",      "image/",       "/png",      "image/png/x",
                         "image/p ng", "im age/png", "text/plain\n", "ïmage/png", "image/png x"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (files_rules_media_type_problem(good[i]))
            fail_msg("'%s' refused: %s", good[i], files_rules_media_type_problem(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!files_rules_media_type_problem(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    /* "x/" + 127-byte subtype + ";p=" + padding: exactly the limit, then one byte past it. */
    char t[FILES_MEDIA_TYPE_MAX + 2];
    memset(t, 'b', sizeof(t));
    memcpy(t, "x/", 2);
    memset(t + 2, 'a', 127);
    memcpy(t + 129, ";p=", 3);
    t[FILES_MEDIA_TYPE_MAX] = '\0';
    assert_null(files_rules_media_type_problem(t));
    t[FILES_MEDIA_TYPE_MAX] = 'b';
    t[FILES_MEDIA_TYPE_MAX + 1] = '\0';
    assert_non_null(files_rules_media_type_problem(t));
    memset(t + 2, 'a', 128); /* a 128-byte subtype */
    t[130] = '\0';
    assert_non_null(files_rules_media_type_problem(t));
}

/* ------------------------------------------------------------------ real bytes */

static const unsigned char png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0,    0,    0,
                                    0x0d, 'I', 'H', 'D', 'R',  0,    0,    0,    1,    0,    0,
                                    0,    1,   8,   6,   0,    0,    0,    0x1f, 0x15, 0xc4, 0x89};
static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F',
                                     0,    1,    1,    0,    0, 1,    0,   1,   0,   0};
static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
/* A ZIP holding a.txt = "hello", as Python's zipfile writes it. */
static const char zip_hex[] =
    "504b030414000000000055be775d86a61036050000000500000005000000612e74787468656c6c6f504b01021403"
    "14000000000055be775d86a610360500000005000000050000000000000000000000800100000000612e74787450"
    "4b0506000000000100010033000000280000000000";

/* A Windows PE executable's headers: MZ stub pointing at a "PE\0\0" COFF header. */
static void make_exe(unsigned char *b, size_t n)
{
    memset(b, 0, n);
    b[0] = 'M';
    b[1] = 'Z';
    b[2] = 0x90;
    b[4] = 3;
    b[8] = 4;
    b[0xc] = 0xff;
    b[0xd] = 0xff;
    b[0x10] = 0xb8;
    b[0x18] = 0x40;
    b[0x3c] = 0x80;
    memcpy(b + 0x80, "PE\0\0", 4);
    b[0x84] = 0x4c; /* i386 */
    b[0x85] = 0x01;
    b[0x86] = 1;
    b[0x94] = 0xe0;
    b[0x96] = 0x02;
    b[0x97] = 0x01;
    b[0x98] = 0x0b; /* PE32 optional header */
    b[0x99] = 0x01;
}

static size_t unhex(const char *h, unsigned char *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = h[2 * i + (size_t)k];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (unsigned char)v;
    }
    return n;
}

static void expect(const void *data, size_t n, bool partial, const char *name, const char *type)
{
    char got[FILES_MEDIA_TYPE_MAX + 1];
    int rc = files_rules_sniff(data, n, partial, name, got, sizeof(got));
    if (rc)
        fail_msg("%s: sniff failed: %s", name ? name : "(no name)", err_name(rc));
    if (strcmp(got, type) != 0)
        fail_msg("%s: expected %s, got %s", name ? name : "(no name)", type, got);
}

static void test_sniff_binary(void **state)
{
    (void)state;
    const char *path = NULL;
    assert_int_equal(files_rules_init(&path), 0);
    assert_non_null(strstr(path, ".mgc"));
    expect(png, sizeof(png), false, "photo.png", "image/png");
    expect(png, sizeof(png), false, "photo.txt", "image/png"); /* bytes win over the name */
    expect(png, sizeof(png), false, NULL, "image/png");
    expect(jpeg, sizeof(jpeg), false, "x.jpg", "image/jpeg");
    expect(pdf, strlen(pdf), false, "a.pdf", "application/pdf");
    unsigned char zip[256];
    size_t zn = unhex(zip_hex, zip);
    expect(zip, zn, false, "a.zip", "application/zip");
    unsigned char exe[512];
    make_exe(exe, sizeof(exe));
    char got[FILES_MEDIA_TYPE_MAX + 1];
    /* An executable named .png is not an image, and not text either. */
    assert_int_equal(files_rules_sniff(exe, sizeof(exe), true, "cute-cat.png", got, sizeof(got)),
                     0);
    assert_string_equal(got, "application/vnd.microsoft.portable-executable");
    assert_int_equal(files_rules_sniff(exe, sizeof(exe), true, "cute-cat.css", got, sizeof(got)),
                     0);
    assert_string_equal(got, "application/vnd.microsoft.portable-executable");
    /* Binary noise stays "data" whatever it is called. */
    unsigned char noise[64];
    for (size_t i = 0; i < sizeof(noise); i++)
        noise[i] = (unsigned char)(i * 37 + 11) | 0x80;
    noise[5] = 0;
    expect(noise, sizeof(noise), false, "n.json", "application/octet-stream");
    expect(noise, sizeof(noise), false, "n.png", "application/octet-stream");
    /* A result that does not fit the caller's buffer is an error, not a cut type. */
    char tiny[8];
    assert_int_equal(files_rules_sniff(pdf, strlen(pdf), false, "a.pdf", tiny, sizeof(tiny)),
                     SEAU_E_RANGE);
}

static void test_sniff_text(void **state)
{
    (void)state;
    const char *css = "body { color: red; }\n.a > .b { margin: 0 }\n";
    const char *js = "function f() { return 1; }\nconsole.log(f());\n";
    const char *json = "{\"a\": [1, 2, 3], \"b\": {\"c\": null}}\n";
    const char *csv = "name,size,kind\na,1,x\nb,2,y\nc,3,z\n";
    const char *svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"1\"/></svg>\n";
    const char *xsvg = "<?xml version=\"1.0\"?>\n<!-- drawn by hand -->\n<svg "
                       "xmlns=\"http://www.w3.org/2000/svg\"></svg>\n";
    const char *c_src = "#include <stdio.h>\nint main(void) { return 0; }\n";
    const char *html = "<!DOCTYPE html><html><body>hi</body></html>\n";
    const char *plain = "hello world\nsecond line\n";
    expect(css, strlen(css), false, "site/style.css", "text/css");
    expect(js, strlen(js), false, "app.js", "text/javascript");
    expect(json, strlen(json), false, "data.json", "application/json");
    expect(csv, strlen(csv), false, "t.csv", "text/csv");
    expect(svg, strlen(svg), false, "i.svg", "image/svg+xml");
    expect(xsvg, strlen(xsvg), false, "i.svg", "image/svg+xml");
    expect(plain, strlen(plain), false, "notes.txt", "text/plain");
    expect(plain, strlen(plain), false, "notes", "text/plain");
    expect(c_src, strlen(c_src), false, "main.c", "text/x-c");
    expect(c_src, strlen(c_src), false, "main.txt", "text/plain");
    /* Text named as a binary format stays text: the name cannot make it an image. */
    expect(plain, strlen(plain), false, "fake.png", "text/plain");
    /* Plain text named .svg without an <svg> element is not an SVG. */
    expect(plain, strlen(plain), false, "fake.svg", "text/plain");
    /* HTML is what it is, whatever its extension says. */
    expect(html, strlen(html), false, "x.css", "text/html");
    /* Empty files. */
    expect("", 0, false, "empty.txt", "text/plain");
    expect("", 0, false, "empty.bin", "application/x-empty");
    expect("", 0, false, "empty.png", "application/x-empty");
}

/* A UTF-8 text whose sample ends inside a character is still text when the file goes on. */
static void test_sniff_partial_utf8(void **state)
{
    (void)state;
    size_t n = FILES_SNIFF_BYTES + 100;
    char *t = malloc(n);
    assert_non_null(t);
    for (size_t i = 0; i + 3 <= n; i += 3)
        memcpy(t + i, "\xe6\x97\xa5", 3); /* 日 */
    for (size_t i = n - n % 3; i < n; i++)
        t[i] = 'x';
    /* FILES_SNIFF_BYTES = 65536 = 3 * 21845 + 1: the sample ends one byte into a character. */
    expect(t, FILES_SNIFF_BYTES, true, "j.txt", "text/plain");
    expect(t, n, false, "j.csv", "text/csv");
    free(t);
}

/* The trim itself: only an incomplete last sequence goes. */
static void test_trim_cut_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t keep;
    } cases[] = {
        {"ab", 2},
        {"a\xc3", 1},
        {"a\xc3\xa9", 3},
        {"a\xe6\x97", 1},
        {"a\xe6\x97\xa5", 4},
        {"a\xf0\x9f\x98", 1},
        {"a\xf0\x9f\x98\x80", 5},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(trim_cut_utf8((const unsigned char *)cases[i].s, strlen(cases[i].s)),
                         cases[i].keep);
    /* A sample cut inside a character is still text. */
    const char *s = "caf\xc3\xa9 caf\xc3";
    expect(s, strlen(s), true, "menu.csv", "text/csv");
}

struct worker {
    int failures;
};

static void *sniff_many(void *arg)
{
    struct worker *w = arg;
    char got[FILES_MEDIA_TYPE_MAX + 1];
    for (int i = 0; i < 200; i++) {
        if (files_rules_sniff(png, sizeof(png), false, "a.png", got, sizeof(got)) ||
            strcmp(got, "image/png") != 0)
            w->failures++;
        if (files_rules_sniff(pdf, strlen(pdf), false, "a.pdf", got, sizeof(got)) ||
            strcmp(got, "application/pdf") != 0)
            w->failures++;
    }
    return NULL;
}

/* Handles come from the pool: threads sniffing at once each get their own. */
static void test_sniff_threads(void **state)
{
    (void)state;
    pthread_t th[8];
    struct worker w[8];
    memset(w, 0, sizeof(w));
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, sniff_many, &w[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    files_rules_cleanup();
    /* And it loads again after a clean-up. */
    expect(png, sizeof(png), false, "a.png", "image/png");
    files_rules_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_media_type_problem),
        cmocka_unit_test(test_sniff_binary),
        cmocka_unit_test(test_sniff_text),
        cmocka_unit_test(test_sniff_partial_utf8),
        cmocka_unit_test(test_trim_cut_utf8),
        cmocka_unit_test(test_sniff_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
