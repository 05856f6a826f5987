/* Tests of src/core/mail.c: addresses, the message's shape, and a send that cannot succeed. */
#include "../testutil.h"

#include "core/err.h"
#include "core/mail.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void test_address_ok(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        bool ok;
    } cases[] = {
        {"a@b.c", true},
        {"first.last+tag@example.com", true},
        {"a@b", true},
        {"", false},
        {"ab", false},
        {"no-at.example.com", false},
        {"@example.com", false},
        {"a@", false},
        {"a@b@c", false},
        {"a b@example.com", false},
        {"a@example.com\r\nBcc: x@evil", false},
        {"<a@example.com>", false},
        {"a,b@example.com", false},
        {"\"a\"@example.com", false},
        {"a;b@example.com", false},
        {"a\\b@example.com", false},
        {"a\t@example.com", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (mail_address_ok(cases[i].addr) != cases[i].ok)
            fail_msg("mail_address_ok(\"%s\") should be %d", cases[i].addr, cases[i].ok);
    char longest[256];
    memset(longest, 'a', sizeof(longest));
    memcpy(longest + 240, "@example.com", 13); /* 252 bytes */
    assert_true(mail_address_ok(longest));
    memset(longest, 'a', 250);
    memcpy(longest + 250, "@b.cd", 6); /* 255 bytes */
    assert_false(mail_address_ok(longest));
    assert_false(mail_address_ok(NULL));
}

static void test_message(void **state)
{
    (void)state;
    /* 2023-11-14T22:13:20Z, a Tuesday. */
    char *m = mail_message_new("seau@example.com", "ines@example.com", "Your account",
                               "Hello Inès,\nline two\r\n\nbye", 1700000000000LL);
    assert_non_null(m);
    assert_non_null(strstr(m, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"));
    assert_non_null(strstr(m, "\r\nFrom: <seau@example.com>\r\n"));
    assert_non_null(strstr(m, "\r\nTo: <ines@example.com>\r\n"));
    assert_non_null(strstr(m, "\r\nSubject: Your account\r\n"));
    assert_non_null(strstr(m, "@example.com>\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(m, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    /* The body after one empty line, every line end CRLF, ending with one. */
    const char *body = strstr(m, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, "Hello Inès,\r\nline two\r\n\r\nbye\r\n");
    for (const char *p = m; *p; p++)
        if (*p == '\n')
            assert_true(p > m && p[-1] == '\r');
    free(m);

    /* Header injection through an address or the subject is refused, not escaped. */
    assert_null(mail_message_new("seau@example.com", "a@b.c\r\nBcc: x@y.z", "S", "b", 0));
    assert_null(mail_message_new("seau@example.com", "a@b.c", "S\r\nBcc: x@y.z", "b", 0));
    assert_null(mail_message_new("seau@example.com", "a@b.c", "Événement", "b", 0));
    assert_null(mail_message_new("nobody", "a@b.c", "S", "b", 0));
    assert_null(mail_message_new("seau@example.com", "a@b.c", "S", NULL, 0));
}

/* A port that nothing listens on: bound, never listened to. */
static int dead_port(int *ret_fd)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *ret_fd = fd;
    return ntohs(a.sin_port);
}

static void test_send_failures(void **state)
{
    (void)state;
    int fd;
    char url[64];
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", dead_port(&fd));
    struct mail_server s = {.url = url, .from = "seau@example.com", .timeout_ms = 2000};
    char *m = mail_message_new(s.from, "a@example.com", "S", "b", 0);
    assert_non_null(m);
    assert_int_equal(mail_send(&s, "a@example.com", m), SEAU_E_UNAVAILABLE);
    assert_int_equal(mail_send(&s, "a@example.com\r\n", m), SEAU_E_VALIDATION);
    struct mail_server no_from = {.url = url, .from = "x", .timeout_ms = 2000};
    assert_int_equal(mail_send(&no_from, "a@example.com", m), SEAU_E_VALIDATION);
    /* Only mail protocols: a URL of another scheme never reaches the network as such. */
    struct mail_server http = {.url = "http://127.0.0.1:1/", .from = s.from, .timeout_ms = 2000};
    assert_int_equal(mail_send(&http, "a@example.com", m), SEAU_E_UNAVAILABLE);
    free(m);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_ok),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_send_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
