/*
 * Tests of src/api/upload_page.c: the language chosen from Accept-Language
 * (network input), the page's CSP naming exactly the hashes of its one
 * stylesheet and one script, escaping of the creator's message, both
 * languages complete, and the buf's limit.
 */
#include "../testutil.h"

#include "../../../src/api/upload_page.c"

static void test_lang(void **state)
{
    (void)state;
    static const struct {
        const char *h;
        enum upload_page_lang want;
    } cases[] = {
        {NULL, UPLOAD_PAGE_EN},
        {"", UPLOAD_PAGE_EN},
        {"fr", UPLOAD_PAGE_FR},
        {"fr-CA,fr;q=0.9,en;q=0.8", UPLOAD_PAGE_FR},
        {"en-GB,en;q=0.9,fr;q=0.8", UPLOAD_PAGE_EN},
        {"de;q=1, en-GB;q=0.8, fr;q=0.5", UPLOAD_PAGE_EN},
        {"de, fr;q=0.7, en;q=0.3", UPLOAD_PAGE_FR},
        {"en;q=0.2, FR;q=0.9", UPLOAD_PAGE_FR},
        {"fr;q=0, en;q=0.1", UPLOAD_PAGE_EN},
        {"fr;q=0", UPLOAD_PAGE_EN},
        {"french, enx", UPLOAD_PAGE_EN}, /* neither is "fr" nor "en" */
        {"*", UPLOAD_PAGE_EN},
        {"fr;q=1.5", UPLOAD_PAGE_FR}, /* q above 1 counts as 1 */
        {";;;,,,q=,fr;q=0.5;x=y", UPLOAD_PAGE_FR},
        {"fr;q=0.", UPLOAD_PAGE_EN},
        {"de;,fr", UPLOAD_PAGE_FR}, /* an empty parameter does not eat the next range */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (upload_page_lang(cases[i].h) != cases[i].want)
            fail_msg("Accept-Language \"%s\": wrong language", cases[i].h ? cases[i].h : "(null)");
    }
}

static char *between(const char *s, const char *open, const char *close)
{
    const char *a = strstr(s, open);
    assert_non_null(a);
    a += strlen(open);
    const char *b = strstr(a, close);
    assert_non_null(b);
    char *out = strndup(a, (size_t)(b - a));
    assert_non_null(out);
    return out;
}

static void test_page_and_csp(void **state)
{
    (void)state;
    struct upload_page_info info = {.token = "TOKEN",
                                    .message = "Hi <script>alert(1)</script> & \"bye\"",
                                    .from = "m@example.com",
                                    .expires_at = 1767225600000,
                                    .password = true,
                                    .files_left = 3,
                                    .bytes_left = 1500};
    for (int l = 0; l < 2; l++) {
        struct buf b;
        buf_init(&b, UPLOAD_PAGE_MAX);
        assert_int_equal(upload_page_form(&b, (enum upload_page_lang)l, &info), 0);
        const char *page = buf_cstr(&b);
        assert_non_null(strstr(page, l ? "<html lang=\"fr\">" : "<html lang=\"en\">"));
        assert_non_null(strstr(page, "Hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;bye&quot;"));
        assert_null(strstr(page, "<script>alert"));
        assert_non_null(strstr(page, "action=\"TOKEN/upload\""));
        assert_non_null(strstr(page, "name=\"password\""));
        assert_non_null(strstr(page, l ? "Fichiers que vous pouvez encore envoyer : 3" : "Files you may still send: 3"));
        assert_non_null(strstr(page, "1.5 KB"));
        /* One stylesheet and one script, each allowed by its hash, nothing inline elsewhere. */
        char *css = between(page, "<style>", "</style>");
        char *js = between(page, "<script>", "</script>");
        char csp[UPLOAD_PAGE_CSP_MAX], want[64];
        upload_page_csp(csp);
        hash_b64(css, want, sizeof(want));
        assert_non_null(strstr(csp, want));
        hash_b64(js, want, sizeof(want));
        assert_non_null(strstr(csp, want));
        assert_null(strstr(csp, "unsafe"));
        assert_non_null(strstr(csp, "default-src 'none'"));
        assert_null(strstr(strstr(page, "</script>") + 1, "<script"));
        assert_null(strstr(page, " style="));
        assert_null(strstr(page, " onclick="));
        free(css);
        free(js);
        buf_done(&b);
    }
    /* Without a password, limits or expiry, none is mentioned. */
    struct upload_page_info bare = {.token = "T", .message = "", .from = "", .files_left = -1, .bytes_left = -1};
    struct buf b;
    buf_init(&b, UPLOAD_PAGE_MAX);
    assert_int_equal(upload_page_form(&b, UPLOAD_PAGE_EN, &bare), 0);
    assert_null(strstr(buf_cstr(&b), "name=\"password\""));
    assert_null(strstr(buf_cstr(&b), "still send"));
    assert_null(strstr(buf_cstr(&b), "Open until"));
    buf_done(&b);
    /* The buf's limit holds. */
    buf_init(&b, 100);
    assert_int_equal(upload_page_form(&b, UPLOAD_PAGE_EN, &info), SEAU_E_TOO_LARGE);
    buf_done(&b);
}

static void test_texts_complete(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_true(texts[i].en[0] != '\0');
        assert_true(texts[i].fr[0] != '\0');
        assert_string_equal(upload_page_text(UPLOAD_PAGE_FR, texts[i].id), texts[i].fr);
    }
    assert_string_equal(upload_page_text(UPLOAD_PAGE_EN, "no.such"), "");
    struct buf b;
    buf_init(&b, UPLOAD_PAGE_MAX);
    assert_int_equal(upload_page_message(&b, UPLOAD_PAGE_FR, "Titre <b>", "Texte & fin"), 0);
    assert_non_null(strstr(buf_cstr(&b), "<h1>Titre &lt;b&gt;</h1>"));
    assert_non_null(strstr(buf_cstr(&b), "Texte &amp; fin"));
    assert_null(strstr(buf_cstr(&b), "<script>"));
    buf_done(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lang),
        cmocka_unit_test(test_page_and_csp),
        cmocka_unit_test(test_texts_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
