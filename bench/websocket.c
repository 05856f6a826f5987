/*
 * bench/websocket: N WebSocket clients of GET /api/notifications/ws on one
 * epoll thread, and the delay from an event entering Seau to its arrival
 * at every client. Built and run by bench/websocket, which starts Seau and
 * makes the accounts (each token serves up to 64 clients: Seau's limit).
 *
 * Usage: websocket-bench PORT TOKENS_FILE CLIENTS PHASES SECRET SEAU_PID
 *
 * PHASES is EVENTS[:GAP_MS][,EVENTS[:GAP_MS]...], e.g. "60:1000,100:100":
 * 60 events one a second, then 100 ten a second, on the same clients. A
 * phase without GAP_MS uses BENCH_GAP_MS (default 50).
 *
 * 1. Opens CLIENTS connections (round-robin over the tokens), a few hundred
 *    handshakes in flight at once, and checks each 101.
 * 2. Prints Seau's VmRSS (and its anonymous part, RssAnon) with every
 *    client connected and idle, and the load average.
 * 3. For each phase, sends EVENTS S3 event notifications to the webhook
 *    (POST /api/events/s3, one record each, one every GAP_MS milliseconds,
 *    from a second thread), each with a key holding the phase and the
 *    microsecond it was sent ("bench/<us>/p<phase>/<n>"). The clients'
 *    thread stamps every notification of the phase it reads; delay = stamp
 *    minus the key's time, one sample per client and event.
 * 4. Prints, per phase, p50, p90, p99 and max over all samples, how many
 *    arrived, the load average, and Seau's RSS and peak RSS (VmHWM).
 * The clients answer pings. Everything runs on this machine: the clients'
 * thread takes CPU from Seau, so the delays are an upper bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF          8192
#define MAX_INFLIGHT 256

struct client {
    int fd;
    int state; /* 0 connecting/handshake, 1 open, 2 closed */
    const char *token;
    char buf[BUF];
    size_t len;
};

static int port;
static long gap_ms = 50, default_gap_ms = 50;
static int phase;
static const char *secret;
static atomic_int stop_sender;
static int64_t *samples;
static size_t nsamples, cap_samples;
static int64_t events_sent;
static int webhook_errors;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long rss_kb(int pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0)
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

/* A masked client frame with a fixed mask (enough for a benchmark). */
static void send_frame(int fd, int opcode, const unsigned char *p, size_t n)
{
    unsigned char f[6 + 125];
    if (n > 125)
        n = 125;
    f[0] = (unsigned char)(0x80 | opcode);
    f[1] = (unsigned char)(0x80 | n);
    memset(f + 2, 0, 4); /* mask 0: the payload goes as it is */
    memcpy(f + 6, p, n);
    send_all(fd, f, 6 + n);
}

static void record(int64_t us)
{
    if (nsamples == cap_samples) {
        cap_samples = cap_samples ? cap_samples * 2 : 1 << 20;
        samples = realloc(samples, cap_samples * sizeof(*samples));
        if (!samples)
            abort();
    }
    samples[nsamples++] = us;
}

/* Consumes whole frames from c->buf; returns false when the connection is done. */
static bool frames(struct client *c, int64_t at)
{
    size_t off = 0;
    bool open = true;
    while (c->len - off >= 2) {
        unsigned char *b = (unsigned char *)c->buf + off;
        uint64_t len = b[1] & 0x7f;
        size_t hl = 2;
        if (len == 126) {
            if (c->len - off < 4)
                break;
            len = (uint64_t)b[2] << 8 | b[3];
            hl = 4;
        } else if (len == 127) {
            if (c->len - off < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | b[2 + i];
            hl = 10;
        }
        if (hl + len > BUF) {
            fprintf(stderr, "frame too large for the benchmark\n");
            exit(1);
        }
        if (c->len - off < hl + len)
            break;
        int op = b[0] & 0x0f;
        unsigned char *p = b + hl;
        if (op == 0x1) {
            const char *k = memmem(p, len, "\"key\":\"bench/", 13);
            char *end = NULL;
            long long sent = k ? strtoll(k + 13, &end, 10) : 0;
            /* A late delivery of an earlier phase is not this phase's sample. */
            if (k && end[0] == '/' && end[1] == 'p' && strtol(end + 2, NULL, 10) == phase)
                record(at - sent);
        } else if (op == 0x9) {
            send_frame(c->fd, 0xA, p, len);
        } else if (op == 0x8) {
            send_frame(c->fd, 0x8, p, len < 2 ? len : 2);
            open = false;
        }
        off += hl + len;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return open;
}

/* Sends one webhook request per event, paced, on its own thread. */
static void *sender(void *arg)
{
    int n = *(int *)arg;
    struct timespec gap = {gap_ms / 1000, (gap_ms % 1000) * 1000 * 1000};
    for (int i = 0; i < n && !atomic_load(&stop_sender); i++) {
        char body[1024], req[2048];
        int64_t t = now_us();
        int blen = snprintf(body, sizeof(body),
                            "{\"Records\":[{\"eventSource\":\"minio:s3\",\"eventName\":"
                            "\"s3:ObjectCreated:Put\",\"eventTime\":\"2026-01-01T00:00:00Z\","
                            "\"userIdentity\":{\"principalId\":\"bench\"},\"s3\":{\"bucket\":"
                            "{\"name\":\"bench-a\"},\"object\":{\"key\":\"bench/%lld/p%d/%d\","
                            "\"size\":1,\"sequencer\":\"%016llX\"}}}]}",
                            (long long)t, phase, i, (unsigned long long)t);
        int rlen = snprintf(req, sizeof(req),
                            "POST /api/events/s3 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                            "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                            "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
                            port, secret, blen, body);
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            send_all(fd, req, (size_t)rlen);
            char ans[512];
            ssize_t r = read(fd, ans, sizeof(ans) - 1);
            if (r > 12 && strncmp(ans + 9, "204", 3) != 0 && webhook_errors++ == 0) {
                ans[r] = '\0';
                fprintf(stderr, "webhook answered (the first error only): %s\n", ans);
            }
        }
        if (fd >= 0)
            close(fd);
        events_sent++;
        nanosleep(&gap, NULL);
    }
    return NULL;
}

/* Seau's CPU time so far (user + system), in milliseconds, from /proc/PID/stat. */
static double cpu_ms(int pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    double ms = -1;
    if (f && fgets(line, sizeof(line), f)) {
        const char *p = strrchr(line, ')'); /* the command may hold spaces */
        unsigned long long ut = 0, st = 0;
        /* Fields 14 and 15 (utime, stime); p is at field 2's end. */
        for (int field = 2; p && field < 14; field++)
            p = strchr(p + 1, ' ');
        if (p) {
            ut = strtoull(p + 1, (char **)&p, 10);
            st = strtoull(p + 1, NULL, 10);
            ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
        }
    }
    if (f)
        fclose(f);
    return ms;
}

static void print_load(void)
{
    char line[128] = "";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fgets(line, sizeof(line), f))
        printf("load average: %s", line);
    if (f)
        fclose(f);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s PORT TOKENS_FILE CLIENTS EVENTS[:GAP_MS][,...] SECRET SEAU_PID\n",
                argv[0]);
        return 2;
    }
    port = (int)strtol(argv[1], NULL, 10);
    int nclients = (int)strtol(argv[3], NULL, 10);
    secret = argv[5];
    int seau_pid = (int)strtol(argv[6], NULL, 10);
    long base_rss = rss_kb(seau_pid, "VmRSS:");
    const char *gap = getenv("BENCH_GAP_MS");
    if (gap && *gap)
        default_gap_ms = strtol(gap, NULL, 10);
    struct rlimit rl = {200000, 200000};
    setrlimit(RLIMIT_NOFILE, &rl);

    char *tokens[4096];
    int ntokens = 0;
    FILE *tf = fopen(argv[2], "r");
    char line[256];
    while (tf && ntokens < 4096 && fgets(line, sizeof(line), tf)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (*line)
            tokens[ntokens++] = strdup(line);
    }
    if (tf)
        fclose(tf);
    if (ntokens == 0 || (nclients + 63) / 64 > ntokens) {
        fprintf(stderr, "need one token per 64 clients\n");
        return 2;
    }

    int ep = epoll_create1(0);
    struct client *cs = calloc((size_t)nclients, sizeof(*cs));
    int64_t t0 = now_us();
    int started = 0, open = 0, failed = 0, inflight = 0;
    while (open + failed < nclients) {
        while (inflight < MAX_INFLIGHT && started < nclients) {
            struct client *c = &cs[started];
            c->token = tokens[started / 64];
            c->fd = dial();
            if (c->fd < 0) {
                failed++;
                started++;
                continue;
            }
            char req[1024];
            int n = snprintf(req, sizeof(req),
                             "GET /api/notifications/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
                             port, c->token);
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            memcpy(c->buf, req, (size_t)n); /* sent once writable */
            c->len = (size_t)n;
            started++;
            inflight++;
        }
        struct epoll_event evs[512];
        int n = epoll_wait(ep, evs, 512, 1000);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            if (c->state != 0)
                continue;
            if ((evs[i].events & EPOLLOUT) && c->len) {
                send_all(c->fd, c->buf, c->len);
                c->len = 0;
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            }
            if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                ssize_t r = recv(c->fd, c->buf + c->len, BUF - c->len, 0);
                if (r <= 0) {
                    c->state = 2;
                    failed++;
                    inflight--;
                    continue;
                }
                c->len += (size_t)r;
                char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
                if (!end)
                    continue;
                inflight--;
                if (strncmp(c->buf, "HTTP/1.1 101", 12) != 0) {
                    if (failed == 0)
                        fprintf(stderr, "refused: %.*s\n", (int)(end - c->buf), c->buf);
                    c->state = 2;
                    failed++;
                    close(c->fd);
                    continue;
                }
                size_t rest = c->len - (size_t)(end + 4 - c->buf);
                memmove(c->buf, end + 4, rest);
                c->len = rest;
                c->state = 1;
                open++;
            }
        }
    }
    double connect_s = (double)(now_us() - t0) / 1e6;
    struct timespec settle = {2, 0};
    nanosleep(&settle, NULL);
    long idle_rss = rss_kb(seau_pid, "VmRSS:"), idle_anon = rss_kb(seau_pid, "RssAnon:");
    printf("clients: %d connected, %d refused, in %.1f s\n", open, failed, connect_s);
    printf("seau RSS: %.1f MiB before, %.1f MiB with %d idle clients (%.1f KiB per client; "
           "RssAnon %.1f MiB)\n",
           (double)base_rss / 1024, (double)idle_rss / 1024, open,
           open ? (double)(idle_rss - base_rss) / open : 0.0, (double)idle_anon / 1024);
    print_load();
    fflush(stdout);

    /* Phases: "EVENTS[:GAP_MS],..." on the same clients, one after the other. */
    char *spec = strdup(argv[4]);
    for (char *save = NULL, *tok = strtok_r(spec, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save), phase++) {
        char *colon = strchr(tok, ':');
        int nevents = (int)strtol(tok, NULL, 10);
        gap_ms = colon ? strtol(colon + 1, NULL, 10) : default_gap_ms;
        nsamples = 0;
        events_sent = 0;
        webhook_errors = 0;
        double cpu0 = cpu_ms(seau_pid);
        pthread_t th;
        atomic_store(&stop_sender, 0);
        pthread_create(&th, NULL, sender, &nevents);
        int64_t want = (int64_t)nevents * open;
        int64_t deadline = now_us() + (int64_t)nevents * gap_ms * 1000 + 30 * 1000000LL;
        while ((int64_t)nsamples < want && now_us() < deadline) {
            struct epoll_event evs[512];
            int n = epoll_wait(ep, evs, 512, 200);
            int64_t at = now_us();
            for (int i = 0; i < n; i++) {
                struct client *c = evs[i].data.ptr;
                if (c->state != 1)
                    continue;
                for (;;) {
                    ssize_t r = recv(c->fd, c->buf + c->len, BUF - c->len, 0);
                    if (r > 0) {
                        c->len += (size_t)r;
                        if (!frames(c, at)) {
                            c->state = 2;
                            break;
                        }
                        continue;
                    }
                    if (r == 0 || (errno != EAGAIN && errno != EINTR))
                        c->state = 2;
                    break;
                }
            }
        }
        atomic_store(&stop_sender, 1);
        pthread_join(th, NULL);
        int still = 0;
        for (int i = 0; i < nclients; i++)
            still += cs[i].state == 1;
        qsort(samples, nsamples, sizeof(*samples), cmp64);
        printf("phase %d: %lld events sent (one every %ld ms, %d refused), %zu of %lld deliveries "
               "arrived, %d clients still open\n",
               phase + 1, (long long)events_sent, gap_ms, webhook_errors, nsamples, (long long)want,
               still);
        if (nsamples) {
            printf("phase %d: delay webhook -> client: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
                   "max %.1f ms\n",
                   phase + 1, samples[nsamples / 2] / 1000.0, samples[nsamples * 9 / 10] / 1000.0,
                   samples[nsamples * 99 / 100] / 1000.0, samples[nsamples - 1] / 1000.0);
        }
        double cpu = cpu_ms(seau_pid) - cpu0;
        printf("phase %d: seau CPU %.0f ms (%.1f ms an event)\n", phase + 1, cpu,
               events_sent ? cpu / (double)events_sent : 0.0);
        printf("phase %d: seau RSS %.1f MiB, peak (VmHWM) %.1f MiB\n", phase + 1,
               (double)rss_kb(seau_pid, "VmRSS:") / 1024,
               (double)rss_kb(seau_pid, "VmHWM:") / 1024);
        print_load();
        fflush(stdout);
    }
    free(spec);
    for (int i = 0; i < nclients; i++)
        if (cs[i].fd > 0)
            close(cs[i].fd);
    free(cs);
    free(samples);
    return 0;
}
