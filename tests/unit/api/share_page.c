/*
 * Tests of src/api/share_page.c: escaping, URL encoding, the urlencoded form
 * parser (network input), sizes, and that the pages hold no markup from
 * names and exactly the stylesheet their CSP allows.
 */
#include "../testutil.h"

#include "../../../src/api/share_page.c"

static char *render_escape(const char *s)
{
    struct buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(share_html_escape(&b, s), 0);
    return buf_take(&b);
}

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", ""},
        {"plain é 日本.txt", "plain é 日本.txt"},
        {"<img src=x onerror=alert(1)>.png", "&lt;img src=x onerror=alert(1)&gt;.png"},
        {"a&b", "a&amp;b"},
        {"\"quoted\" 'single'", "&quot;quoted&quot; &#39;single&#39;"},
        {"&amp;", "&amp;amp;"},
        {"</title><script>x</script>", "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = render_escape(cases[i].in);
        assert_string_equal(got ? got : "", cases[i].want);
        free(got);
    }
    /* The buf's limit holds: an escape that would pass it fails cleanly. */
    struct buf b;
    buf_init(&b, 8);
    assert_int_equal(share_html_escape(&b, "<<<"), SEAU_E_TOO_LARGE);
    buf_done(&b);
}

static void test_url_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a.txt", "a.txt"},
        {"AZaz09-._~", "AZaz09-._~"},
        {"sub/two é.txt", "sub%2Ftwo%20%C3%A9.txt"},
        {"a&b=c?d#e+f%g", "a%26b%3Dc%3Fd%23e%2Bf%25g"},
        {"\"<>'", "%22%3C%3E%27"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct buf b;
        buf_init(&b, 4096);
        assert_int_equal(share_url_encode(&b, cases[i].in), 0);
        assert_string_equal(buf_cstr(&b), cases[i].want);
        buf_done(&b);
    }
}

static void test_form_field(void **state)
{
    (void)state;
    static const struct {
        const char *body, *name;
        size_t outlen;
        int want_rc;
        const char *want;
    } cases[] = {
        {"password=abc", "password", 64, 0, "abc"},
        {"password=a+b%20c", "password", 64, 0, "a b c"},
        {"download=1&password=%C3%A9t%C3%A9", "password", 64, 0, "été"},
        {"password=", "password", 64, 0, ""},
        {"passwordx=1&password=2", "password", 64, 0, "2"}, /* no prefix match */
        {"xpassword=1", "password", 64, SEAU_E_NOT_FOUND, NULL},
        {"password", "password", 64, SEAU_E_NOT_FOUND, NULL},
        {"", "password", 64, SEAU_E_NOT_FOUND, NULL},
        {"a=1&&b=2", "b", 64, 0, "2"},
        {"password=%2", "password", 64, SEAU_E_VALIDATION, NULL},  /* cut escape */
        {"password=%2&x=1", "password", 64, SEAU_E_VALIDATION, NULL},
        {"password=%zz", "password", 64, SEAU_E_VALIDATION, NULL},
        {"password=%00x", "password", 64, SEAU_E_VALIDATION, NULL}, /* a NUL would cut it */
        {"password=12345678", "password", 9, 0, "12345678"},        /* exactly fits */
        {"password=123456789", "password", 9, SEAU_E_VALIDATION, NULL},
        {"password=%41%42", "password", 3, 0, "AB"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        snprintf(out, sizeof(out), "untouched");
        int rc = share_form_field(cases[i].body, strlen(cases[i].body), cases[i].name, out,
                                  cases[i].outlen);
        if (rc != cases[i].want_rc)
            fail_msg("case %zu (%s): %s", i, cases[i].body, err_name(rc));
        if (rc == 0)
            assert_string_equal(out, cases[i].want);
    }
    /* The length bounds the scan: bytes past it are not read. */
    const char body[] = "password=ab&more";
    char out[8];
    assert_int_equal(share_form_field(body, 11, "password", out, sizeof(out)), 0);
    assert_string_equal(out, "ab");
    assert_int_equal(share_form_field(body, 10, "password", out, sizeof(out)), 0);
    assert_string_equal(out, "a");
}

/*
 * The console's format (web/lib/format.ts): the same table is in
 * web/lib/format.test.ts, so the share page and the console cannot drift.
 */
static void test_size_text(void **state)
{
    (void)state;
    static const struct {
        int64_t n;
        const char *en, *fr;
    } cases[] = {
        {0, "0 B", "0 o"},
        {1, "1 B", "1 o"},
        {999, "999 B", "999 o"},
        {1000, "1,000 B", "1\xe2\x80\xaf" "000 o"},
        {1023, "1,023 B", "1\xe2\x80\xaf" "023 o"},
        {1024, "1 KB", "1 Ko"},
        {1536, "1.5 KB", "1,5 Ko"},
        {2048, "2 KB", "2 Ko"},
        {15155, "14.8 KB", "14,8 Ko"},
        {102400, "100 KB", "100 Ko"},
        {1048575, "1,024 KB", "1\xe2\x80\xaf" "024 Ko"},
        {5242880, "5 MB", "5 Mo"},
        {1500000, "1.4 MB", "1,4 Mo"},
        {5000000000LL, "4.7 GB", "4,7 Go"},
        {INT64_MAX, "8,192 PB", "8\xe2\x80\xaf" "192 Po"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[32];
        share_size_text_lang(cases[i].n, "en", out);
        assert_string_equal(out, cases[i].en);
        share_size_text_lang(cases[i].n, "fr", out);
        assert_string_equal(out, cases[i].fr);
        share_size_text(cases[i].n, out);
        assert_string_equal(out, cases[i].en);
    }
}

/* The <style> of a page hashes to what its CSP allows, and the CSP allows nothing else. */
static void test_csp_matches_style(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_message(&b, "Title", "Text."), 0);
    const char *page = buf_cstr(&b);
    const char *open = strstr(page, "<style>"), *close = strstr(page, "</style>");
    assert_non_null(open);
    assert_non_null(close);
    open += strlen("<style>");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)open, (unsigned long long)(close - open));
    char b64[64];
    sodium_bin2base64(b64, sizeof(b64), h, sizeof(h), sodium_base64_VARIANT_ORIGINAL);
    char csp[SHARE_PAGE_CSP_MAX], want[128];
    share_page_csp(csp);
    snprintf(want, sizeof(want), "style-src 'sha256-%s'", b64);
    assert_non_null(strstr(csp, want));
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_null(strstr(csp, "unsafe"));
    assert_null(strstr(csp, "script-src"));
    assert_null(strstr(page, "<script"));
    assert_null(strstr(page, "style=\""));
    buf_done(&b);
}

static void test_lang(void **state)
{
    (void)state;
    assert_int_equal(share_page_lang(NULL), SHARE_EN);
    assert_int_equal(share_page_lang(""), SHARE_EN);
    assert_int_equal(share_page_lang("fr-FR,fr;q=0.9,en;q=0.8"), SHARE_FR);
    assert_int_equal(share_page_lang("en-GB,en;q=0.9,fr;q=0.8"), SHARE_EN);
    assert_int_equal(share_page_lang("de-DE,fr;q=0.5,en;q=0.4"), SHARE_FR);
    assert_int_equal(share_page_lang("de-DE,en;q=0.5,fr;q=0.7"), SHARE_FR);
    assert_int_equal(share_page_lang("FR"), SHARE_FR);
    assert_int_equal(share_page_lang("fr;q=0"), SHARE_EN);
    assert_int_equal(share_page_lang("fry,en"), SHARE_EN);
    assert_int_equal(share_page_lang("de"), SHARE_EN);
}

/* French words, French sizes, lang="fr"; the previews of each kind; the dark style. */
static void test_french_page_and_previews(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, SHARE_PAGE_MAX);
    struct share_preview img = {.kind = "image"};
    assert_int_equal(share_page_file_in(&b, SHARE_FR, "<photo>.png", 1536, 0, &img), 0);
    const char *p = buf_cstr(&b);
    assert_non_null(strstr(p, "<html lang=\"fr\">"));
    assert_non_null(strstr(p, "1,5 Ko"));
    assert_non_null(strstr(p, "sans date de fin"));
    assert_non_null(strstr(p, ">Télécharger</a>"));
    assert_non_null(strstr(p, "<img src=\"?download=1&amp;inline=1\" alt=\"&lt;photo&gt;.png\">"));
    assert_non_null(strstr(p, "prefers-color-scheme:dark"));
    assert_null(strstr(p, "<photo>"));
    buf_done(&b);

    buf_init(&b, SHARE_PAGE_MAX);
    struct share_preview text = {.kind = "text", .text = "<script>alert(1)</script>\nline 2", .truncated = true};
    assert_int_equal(share_page_file_in(&b, SHARE_EN, "notes.txt", 70000, 0, &text), 0);
    p = buf_cstr(&b);
    assert_non_null(strstr(p, "<pre tabindex=\"0\">&lt;script&gt;alert(1)&lt;/script&gt;\nline 2</pre>"));
    assert_null(strstr(p, "<script"));
    assert_non_null(strstr(p, "Only the beginning of the file is shown."));
    buf_done(&b);

    static const char *const media[] = {"audio", "video"};
    for (size_t i = 0; i < 2; i++) {
        buf_init(&b, SHARE_PAGE_MAX);
        struct share_preview m = {.kind = media[i]};
        assert_int_equal(share_page_file_in(&b, SHARE_EN, "a\"b", 10, 0, &m), 0);
        char want[128];
        snprintf(want, sizeof(want), "<%s controls preload=\"metadata\" src=\"?download=1&amp;inline=1\" aria-label=\"a&quot;b\"></%s>", media[i], media[i]);
        assert_non_null(strstr(buf_cstr(&b), want));
        buf_done(&b);
    }
    buf_init(&b, SHARE_PAGE_MAX);
    struct share_preview pdf = {.kind = "pdf"};
    assert_int_equal(share_page_file_in(&b, SHARE_FR, "r.pdf", 10, 0, &pdf), 0);
    assert_non_null(strstr(buf_cstr(&b), "<a href=\"?download=1&amp;inline=1\" rel=\"nofollow\">Ouvrir le PDF"));
    assert_null(strstr(buf_cstr(&b), "<iframe"));
    buf_done(&b);

    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_password_in(&b, SHARE_FR, true), 0);
    assert_non_null(strstr(buf_cstr(&b), "Mot de passe demandé"));
    assert_non_null(strstr(buf_cstr(&b), "Ce mot de passe n’est pas le bon."));
    buf_done(&b);
    for (int m = 0; m < SHARE_MSG_COUNT; m++) {
        assert_true(strlen(share_page_text(SHARE_EN, (enum share_msg)m)) > 0);
        assert_true(strlen(share_page_text(SHARE_FR, (enum share_msg)m)) > 0);
    }
    char csp[SHARE_PAGE_CSP_MAX];
    share_page_csp(csp);
    assert_non_null(strstr(csp, "img-src 'self'"));
    assert_non_null(strstr(csp, "media-src 'self'"));
}

static void test_folder_page(void **state)
{
    (void)state;
    struct files_share_file files[] = {
        {.rel = "<img src=x onerror=alert(1)>.png", .size = 10},
        {.rel = "a&b \"c\".txt", .size = 2000},
        {.rel = "sub/é.txt", .size = 1},
    };
    struct buf b;
    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_folder(&b, "<b>docs</b>/", files, 3, "sub/é.txt", 0), 0);
    const char *p = buf_cstr(&b);
    assert_null(strstr(p, "<img"));
    assert_null(strstr(p, "<b>"));
    assert_non_null(strstr(p, "<h1>&lt;b&gt;docs&lt;/b&gt;/</h1>"));
    assert_non_null(strstr(p, ">&lt;img src=x onerror=alert(1)&gt;.png</a>"));
    assert_non_null(
        strstr(p, "href=\"?download=1&amp;key=%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.png\""));
    assert_non_null(strstr(p, "href=\"?download=1&amp;key=a%26b%20%22c%22.txt\""));
    assert_non_null(strstr(p, ">a&amp;b &quot;c&quot;.txt</a>"));
    assert_non_null(strstr(p, "href=\"?after=sub%2F%C3%A9.txt\""));
    assert_non_null(strstr(p, "no expiry"));
    buf_done(&b);

    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_folder(&b, "empty/", NULL, 0, NULL, 1700000000000LL), 0);
    assert_non_null(strstr(buf_cstr(&b), "There are no files here."));
    assert_null(strstr(buf_cstr(&b), "?after="));
    assert_non_null(strstr(buf_cstr(&b), "2023-11-14 22:13 UTC"));
    buf_done(&b);

    /* A page that cannot fit its limit fails rather than being cut. */
    buf_init(&b, 512);
    assert_int_equal(share_page_folder(&b, "x/", files, 3, NULL, 0), SEAU_E_TOO_LARGE);
    buf_done(&b);
}

static void test_file_and_password_pages(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_file(&b, "r\"e'<port>.pdf", 1500000, 0), 0);
    assert_non_null(strstr(buf_cstr(&b), "<title>r&quot;e&#39;&lt;port&gt;.pdf</title>"));
    assert_non_null(strstr(buf_cstr(&b), "1.4 MB")); /* the console's format: powers of 1024 */
    assert_non_null(strstr(buf_cstr(&b), "href=\"?download=1\""));
    buf_done(&b);
    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_password(&b, false), 0);
    assert_non_null(strstr(buf_cstr(&b), "<form method=\"post\">"));
    assert_null(strstr(buf_cstr(&b), "not right"));
    buf_done(&b);
    buf_init(&b, SHARE_PAGE_MAX);
    assert_int_equal(share_page_password(&b, true), 0);
    assert_non_null(strstr(buf_cstr(&b), "not right"));
    buf_done(&b);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_form_field),
        cmocka_unit_test(test_size_text),
        cmocka_unit_test(test_lang),
        cmocka_unit_test(test_french_page_and_previews),
        cmocka_unit_test(test_csp_matches_style),
        cmocka_unit_test(test_folder_page),
        cmocka_unit_test(test_file_and_password_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
