/* Tests of src/http/webcsp.c: the web pages' CSP from csp.json and the S3 endpoint. */
#include "../testutil.h"

#include "core/err.h"
#include "http/webcsp.c"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define H1 "sha256-FlCrNlHS0SDKJkNLT4fBbGVQSRP8O+PVPzdX8NYoL1k="
#define H2 "sha256-JF5dEXc/wIsg6gdKkCvr/gNFMLCKnfq/qdlzWmDD1zE="

static char root[64];

static void write_json(const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/csp.json", root);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/seau-webcsp-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/csp.json", root);
    unlink(path);
    return rmdir(root);
}

static void test_hashes_and_s3(void **state)
{
    (void)state;
    write_json("{\"scriptHashes\":[\"" H1 "\",\"" H2 "\"]}");
    char *csp = NULL;
    size_t n = 0;
    assert_int_equal(http_web_csp(root, "http://127.0.0.1:9000", false, &csp, &n), 0);
    assert_int_equal(n, 2);
    assert_non_null(strstr(csp, "script-src 'self' '" H1 "' '" H2 "';"));
    assert_non_null(strstr(csp, "connect-src 'self' http://127.0.0.1:9000;"));
    assert_non_null(strstr(csp, "img-src 'self' data: blob: http://127.0.0.1:9000;"));
    assert_non_null(strstr(csp, "frame-ancestors 'none'"));
    assert_null(strstr(csp, "unsafe-eval"));
    assert_null(strstr(csp, "script-src 'self' 'unsafe-inline'"));
    assert_null(strstr(csp, "*.127")); /* no bucket subdomains of an IP address */
    free(csp);
}

static void test_virtual_hosted_and_aws(void **state)
{
    (void)state;
    char *csp = NULL;
    size_t n = 9;
    assert_int_equal(http_web_csp(NULL, "https://s3.example.com:8443/", false, &csp, &n), 0);
    assert_int_equal(n, 0);
    assert_non_null(strstr(csp, "script-src 'self';"));
    assert_non_null(strstr(csp, "connect-src 'self' https://s3.example.com:8443 https://*.s3.example.com:8443;"));
    free(csp);
    assert_int_equal(http_web_csp(NULL, "https://s3.example.com", true, &csp, &n), 0);
    assert_non_null(strstr(csp, "connect-src 'self' https://s3.example.com;"));
    free(csp);
    assert_int_equal(http_web_csp(NULL, NULL, false, &csp, &n), 0);
    assert_non_null(strstr(csp, "connect-src 'self' https://*.amazonaws.com;"));
    free(csp);
}

static void test_missing_file_means_no_hashes(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/csp.json", root);
    unlink(path);
    char *csp = NULL;
    size_t n = 9;
    assert_int_equal(http_web_csp(root, NULL, false, &csp, &n), 0);
    assert_int_equal(n, 0);
    assert_non_null(strstr(csp, "script-src 'self';"));
    free(csp);
}

static void test_bad_files_refused(void **state)
{
    (void)state;
    static const char *bad[] = {
        "not json",
        "{\"scriptHashes\": \"" H1 "\"}",
        "{\"scriptHashes\": [\"sha384-abc\"]}",
        "{\"scriptHashes\": [\"" H1 "'; script-src *\"]}", /* header injection */
        "{\"scriptHashes\": [\"'unsafe-inline'\"]}",
        "{\"scriptHashes\": [\"sha256-FlCrNlHS0SDKJkNLT4fBbGVQSRP8O+PVPzdX8NYoL1k\"]}", /* 43 chars */
        "{\"scriptHashes\": [42]}",
        "{}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_json(bad[i]);
        char *csp = (char *)"untouched";
        size_t n = 7;
        if (http_web_csp(root, NULL, false, &csp, &n) != SEAU_E_VALIDATION)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(csp, "untouched");
        assert_int_equal(n, 7);
    }
}

static void test_limits(void **state)
{
    (void)state;
    /* At the limit of hashes: accepted; one past it: refused. */
    for (int extra = 0; extra <= 1; extra++) {
        size_t count = HTTP_WEBCSP_HASHES_MAX + (size_t)extra;
        size_t cap = 32 + count * 60;
        char *text = malloc(cap);
        size_t len = (size_t)snprintf(text, cap, "{\"scriptHashes\":[");
        for (size_t i = 0; i < count; i++)
            len += (size_t)snprintf(text + len, cap - len, "%s\"" H1 "\"", i ? "," : "");
        snprintf(text + len, cap - len, "]}");
        write_json(text);
        free(text);
        char *csp = NULL;
        size_t n = 0;
        int rc = http_web_csp(root, NULL, false, &csp, &n);
        if (extra == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(n, count);
            free(csp);
        } else {
            assert_int_equal(rc, SEAU_E_VALIDATION);
        }
    }
    /* A file past 64 KiB is refused whole. */
    size_t big = HTTP_WEBCSP_FILE_MAX + 1;
    char *text = malloc(big + 1);
    memset(text, ' ', big);
    text[big] = '\0';
    memcpy(text, "{\"scriptHashes\":[]}", 19);
    write_json(text);
    free(text);
    char *csp = NULL;
    size_t n = 0;
    assert_int_equal(http_web_csp(root, NULL, false, &csp, &n), SEAU_E_VALIDATION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes_and_s3),
        cmocka_unit_test(test_virtual_hosted_and_aws),
        cmocka_unit_test(test_missing_file_means_no_hashes),
        cmocka_unit_test(test_bad_files_refused),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
