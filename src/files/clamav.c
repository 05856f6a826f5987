#include "files/clamav.h"
#include "core/trace.h"

#include "core/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* clamd's default StreamMaxLength chunking is fine with anything; keep chunks modest. */
#define CHUNK_MAX (256 * 1024)

struct clamav_scan {
    int fd;
    bool failed;
    struct trace_span *span; /* the scan, from start to free (core/trace.h) */
};

static int wait_fd(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, CLAMAV_TIMEOUT_MS);
        if (r > 0)
            return 0;
        if (r == 0 || errno != EINTR)
            return SEAU_E_UNAVAILABLE;
    }
}

static int connect_tcp(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) || !colon[1])
        return SEAU_E_VALIDATION;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    /* [::1]:3310 */
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(h, colon + 1, &hints, &res) != 0 || !res)
        return SEAU_E_UNAVAILABLE;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd >= 0 ? fd : SEAU_E_UNAVAILABLE;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return SEAU_E_VALIDATION;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return SEAU_E_UNAVAILABLE;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return SEAU_E_UNAVAILABLE;
    }
    return fd;
}

static int send_all(struct clamav_scan *s, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        if (wait_fd(s->fd, POLLOUT))
            return SEAU_E_UNAVAILABLE;
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SEAU_E_UNAVAILABLE;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int clamav_scan_start(const char *address, struct clamav_scan **ret)
{
    int fd;
    if (strncmp(address, "tcp://", 6) == 0)
        fd = connect_tcp(address + 6);
    else if (address[0] == '/')
        fd = connect_unix(address);
    else
        return SEAU_E_VALIDATION;
    if (fd < 0)
        return fd;
    struct clamav_scan *s = calloc(1, sizeof(*s));
    if (!s) {
        close(fd);
        return SEAU_E_NOMEM;
    }
    s->fd = fd;
    s->span = trace_span_start("clamd.scan", TRACE_CLIENT, NULL);
    trace_span_str(s->span, "server.address", address);
    /* The z prefix: commands and answers end with NUL instead of a newline. */
    static const char cmd[] = "zINSTREAM";
    if (send_all(s, cmd, sizeof(cmd))) {
        clamav_scan_free(s);
        return SEAU_E_UNAVAILABLE;
    }
    *ret = s;
    return 0;
}

int clamav_scan_data(struct clamav_scan *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0 && !s->failed) {
        size_t take = n < CHUNK_MAX ? n : CHUNK_MAX;
        uint32_t len = htonl((uint32_t)take);
        if (send_all(s, &len, 4) || send_all(s, p, take))
            s->failed = true;
        p += take;
        n -= take;
    }
    /* clamd closes early when a stream passes StreamMaxLength: its verdict says why. */
    return s->failed ? SEAU_E_UNAVAILABLE : 0;
}

/* Reads clamd's NUL- or newline-terminated answer into out. */
static int read_answer(struct clamav_scan *s, char *out, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        if (wait_fd(s->fd, POLLIN))
            break;
        ssize_t r = recv(s->fd, out + len, cap - 1 - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        if (memchr(out, '\0', len) || memchr(out, '\n', len))
            break;
    }
    out[len] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return len > 0 ? 0 : SEAU_E_UNAVAILABLE;
}

int clamav_scan_finish(struct clamav_scan *s, char *ret_name)
{
    ret_name[0] = '\0';
    if (!s->failed) {
        static const unsigned char end[4] = {0, 0, 0, 0};
        if (send_all(s, end, 4))
            s->failed = true;
    }
    char answer[CLAMAV_VERDICT_MAX + 64];
    /* Even after a failed send, clamd may have said why (size limit) before closing. */
    if (read_answer(s, answer, sizeof(answer))) {
        snprintf(ret_name, CLAMAV_VERDICT_MAX, "no answer from the scanner");
        trace_span_error(s->span, ret_name);
        return SEAU_E_UNAVAILABLE;
    }
    const char *v = strncmp(answer, "stream: ", 8) == 0 ? answer + 8 : answer;
    trace_span_str(s->span, "clamd.verdict", v);
    size_t vlen = strlen(v);
    if (strcmp(v, "OK") == 0 && !s->failed)
        return 0;
    static const char found[] = " FOUND";
    if (vlen > sizeof(found) - 1 && strcmp(v + vlen - (sizeof(found) - 1), found) == 0) {
        snprintf(ret_name, CLAMAV_VERDICT_MAX, "%.*s", (int)(vlen - (sizeof(found) - 1)), v);
        return SEAU_E_MALWARE;
    }
    snprintf(ret_name, CLAMAV_VERDICT_MAX, "%.*s", CLAMAV_VERDICT_MAX - 1, v);
    return SEAU_E_UNAVAILABLE;
}

void clamav_scan_free(struct clamav_scan *s)
{
    if (!s)
        return;
    trace_span_end(s->span);
    close(s->fd);
    free(s);
}
