/*
 * Tests of src/events/hub.c over socket pairs: the hub's side is a real
 * WebSocket server (wslay); the test's side is a minimal client that reads
 * frames byte by byte and sends masked ones, so every byte on the wire is
 * checked independently of wslay.
 */
#include "../testutil.h"

#include "core/err.h"
#include "core/timeutil.h"
#include "events/hub.h"

#include <jansson.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>

static atomic_int closed_count;

static void close_fd(void *ctx)
{
    close((int)(intptr_t)ctx);
    atomic_fetch_add(&closed_count, 1);
}

struct peer {
    int fd;  /* the test's end */
    int key; /* its address is the reservation's key */
};

static const struct auth_subject admin = {.user_id = 1, .role = AUTH_ROLE_ADMIN};

/* Reserves and attaches a client; returns the test's end of the socket pair. */
static void connect_peer(struct events_hub *h, struct peer *p, const struct auth_subject *who,
                         const struct db_notification *replay, size_t nreplay, int64_t upto,
                         const char *extra, size_t nextra)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(events_hub_reserve(h, &p->key, who, replay, nreplay, upto), 0);
    events_hub_attach(h, &p->key, sv[0], extra, nextra, close_fd, (void *)(intptr_t)sv[0]);
    p->fd = sv[1];
}

/* Reads exactly n bytes within timeout_ms; false on timeout or end of stream. */
static bool read_full(int fd, void *buf, size_t n, int timeout_ms)
{
    size_t got = 0;
    int64_t deadline = time_now_ms() + timeout_ms;
    while (got < n) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - time_now_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return false;
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

struct frame {
    int opcode;
    bool fin;
    size_t len;
    char data[70000];
};

/* One frame from the server: unmasked, as RFC 6455 requires of servers. */
static bool read_frame(int fd, struct frame *f, int timeout_ms)
{
    unsigned char h[2];
    if (!read_full(fd, h, 2, timeout_ms))
        return false;
    f->fin = (h[0] & 0x80) != 0;
    f->opcode = h[0] & 0x0f;
    assert_int_equal(h[1] & 0x80, 0); /* servers never mask */
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
        unsigned char e[2];
        assert_true(read_full(fd, e, 2, timeout_ms));
        len = (uint64_t)e[0] << 8 | e[1];
    } else if (len == 127) {
        unsigned char e[8];
        assert_true(read_full(fd, e, 8, timeout_ms));
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | e[i];
    }
    assert_true(len < sizeof(f->data));
    f->len = (size_t)len;
    if (len)
        assert_true(read_full(fd, f->data, f->len, timeout_ms));
    f->data[f->len] = '\0';
    return true;
}

/* The next whole text message (continuation frames joined), skipping pings. */
static bool read_text(int fd, char *out, size_t n, int timeout_ms)
{
    static struct frame f;
    size_t len = 0;
    for (;;) {
        if (!read_frame(fd, &f, timeout_ms))
            return false;
        if (f.opcode == 0x9)
            continue;
        assert_true(f.opcode == 0x1 || (f.opcode == 0x0 && len > 0));
        assert_true(len + f.len < n);
        memcpy(out + len, f.data, f.len);
        len += f.len;
        if (f.fin)
            break;
    }
    out[len] = '\0';
    return true;
}

/* A client frame: masked (with a fixed key, which is enough for a test). */
static void send_frame(int fd, int opcode, const void *data, size_t len)
{
    unsigned char buf[200];
    const unsigned char mask[4] = {1, 2, 3, 4};
    assert_true(len <= 125);
    buf[0] = (unsigned char)(0x80 | opcode);
    buf[1] = (unsigned char)(0x80 | len);
    memcpy(buf + 2, mask, 4);
    for (size_t i = 0; i < len; i++)
        buf[6 + i] = ((const unsigned char *)data)[i] ^ mask[i % 4];
    assert_int_equal(write(fd, buf, 6 + len), (ssize_t)(6 + len));
}

static uint16_t close_code(const struct frame *f)
{
    assert_int_equal(f->opcode, 0x8);
    assert_true(f->len >= 2);
    return (uint16_t)((unsigned char)f->data[0] << 8 | (unsigned char)f->data[1]);
}

static struct db_notification note(int64_t id, const char *bucket, const char *key)
{
    struct db_notification n = {.id = id,
                                .time = 1000,
                                .type = "upload",
                                .source = "seau",
                                .bucket = (char *)bucket,
                                .key = (char *)key,
                                .size = 1,
                                .message = "m"};
    return n;
}

static int64_t id_of(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    int64_t id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

static void wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(atomic_load(v) >= want);
}

static void test_visibility_and_order(void **state)
{
    (void)state;
    struct events_hub *h;
    assert_int_equal(events_hub_new(NULL, &h), 0);
    struct db_grant g = {"bk1", "team/", "full"};
    struct auth_subject user = {.user_id = 3, .role = AUTH_ROLE_USER, .grants = &g, .ngrants = 1};
    struct peer a = {0}, u = {0};
    connect_peer(h, &a, &admin, NULL, 0, 0, NULL, 0);
    connect_peer(h, &u, &user, NULL, 0, 0, NULL, 0);
    struct db_notification n1 = note(1, "bk1", "team/x"), n2 = note(2, "bk1", "other/y"),
                           n3 = note(3, NULL, NULL);
    n3.type = "user";
    assert_int_equal(events_hub_broadcast(h, &n1), 0);
    assert_int_equal(events_hub_broadcast(h, &n2), 0);
    assert_int_equal(events_hub_broadcast(h, &n3), 0);
    char text[8192];
    for (int64_t want = 1; want <= 3; want++) {
        assert_true(read_text(a.fd, text, sizeof(text), 2000));
        assert_int_equal(id_of(text), want);
    }
    assert_true(read_text(u.fd, text, sizeof(text), 2000));
    assert_int_equal(id_of(text), 1);
    struct frame *f = calloc(1, sizeof(*f));
    assert_false(read_frame(u.fd, f, 300)); /* nothing else for the user */

    struct events_hub_stats st;
    events_hub_stats(h, &st);
    assert_int_equal(st.clients, 2);
    assert_int_equal(st.sent, 4);
    events_hub_shutdown(h, 200);
    events_hub_free(h);
    close(a.fd);
    close(u.fd);
    free(f);
}

static void test_replay_then_live(void **state)
{
    (void)state;
    struct events_hub *h;
    assert_int_equal(events_hub_new(NULL, &h), 0);
    /* Broadcast before the client attaches, after its history was read (upto 6): 7 must come
     * from the hub's recent frames, 6 not twice. */
    struct db_notification replay[2] = {note(5, "bk1", "a"), note(6, "bk1", "b")};
    struct peer p = {0};
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(events_hub_reserve(h, &p.key, &admin, replay, 2, 6), 0);
    struct db_notification n6 = note(6, "bk1", "b"), n7 = note(7, "bk1", "c"),
                           n8 = note(8, "bk1", "d");
    assert_int_equal(events_hub_broadcast(h, &n6), 0);
    assert_int_equal(events_hub_broadcast(h, &n7), 0);
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    /* The bytes libmicrohttpd read past the handshake: a ping, answered at once. */
    unsigned char ping[6] = {0x89, 0x80, 0, 0, 0, 0};
    events_hub_attach(h, &p.key, sv[0], (const char *)ping, sizeof(ping), close_fd,
                      (void *)(intptr_t)sv[0]);
    p.fd = sv[1];
    assert_int_equal(events_hub_broadcast(h, &n8), 0);
    struct frame *f = calloc(1, sizeof(*f));
    assert_true(read_frame(p.fd, f, 2000));
    assert_int_equal(f->opcode, 0xA); /* the pong comes first: control frames go ahead */
    char text[8192];
    for (int64_t want = 5; want <= 8; want++) {
        assert_true(read_text(p.fd, text, sizeof(text), 2000));
        assert_int_equal(id_of(text), want);
    }
    assert_false(read_frame(p.fd, f, 200));
    events_hub_shutdown(h, 200);
    events_hub_free(h);
    close(p.fd);
    free(f);
}

static void test_slow_client_closed_with_1008(void **state)
{
    (void)state;
    struct events_hub_opts o = {.queue_max = 8, .sndbuf = 4096};
    struct events_hub *h;
    assert_int_equal(events_hub_new(&o, &h), 0);
    struct peer slow = {0}, fast = {0};
    connect_peer(h, &slow, &admin, NULL, 0, 0, NULL, 0);
    connect_peer(h, &fast, &admin, NULL, 0, 0, NULL, 0);
    char key[1024];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    char text[8192];
    struct events_hub_stats st;
    int64_t id = 0;
    /* The fast one reads everything; the slow one nothing, until its queue overflows. */
    for (int round = 0; round < 400; round++) {
        struct db_notification n = note(++id, "bk1", key);
        assert_int_equal(events_hub_broadcast(h, &n), 0);
        assert_true(read_text(fast.fd, text, sizeof(text), 2000));
        assert_int_equal(id_of(text), id);
        events_hub_stats(h, &st);
        if (st.dropped_slow)
            break;
    }
    assert_int_equal(st.dropped_slow, 1);
    /* The slow one finds what fitted in the socket, then the close frame with 1008. */
    struct frame *f = calloc(1, sizeof(*f));
    int texts = 0;
    for (;;) {
        assert_true(read_frame(slow.fd, f, 2000));
        if (f->opcode == 0x8)
            break;
        texts++;
    }
    assert_int_equal(close_code(f), EVENTS_WS_CLOSE_SLOW);
    assert_true(texts > 0 && texts < id);
    send_frame(slow.fd, 0x8, f->data, 2);
    assert_false(read_frame(slow.fd, f, 2000)); /* then the hub lets go of the socket */
    /* The fast one goes on. */
    struct db_notification n = note(++id, "bk1", "after");
    assert_int_equal(events_hub_broadcast(h, &n), 0);
    assert_true(read_text(fast.fd, text, sizeof(text), 2000));
    assert_int_equal(id_of(text), id);
    events_hub_shutdown(h, 200);
    events_hub_free(h);
    close(slow.fd);
    close(fast.fd);
    free(f);
}

static void test_pings_and_silent_clients(void **state)
{
    (void)state;
    struct events_hub_opts o = {.ping_interval_ms = 300};
    struct events_hub *h;
    assert_int_equal(events_hub_new(&o, &h), 0);
    int before = atomic_load(&closed_count);
    struct peer p = {0}, mute = {0};
    connect_peer(h, &p, &admin, NULL, 0, 0, NULL, 0);
    connect_peer(h, &mute, &admin, NULL, 0, 0, NULL, 0);
    struct frame *f = calloc(1, sizeof(*f));
    int64_t start = time_now_ms();
    /* p answers every ping; mute never does and is dropped after three intervals. */
    for (int pings = 0; pings < 4;) {
        assert_true(read_frame(p.fd, f, 3000));
        assert_int_equal(f->opcode, 0x9);
        send_frame(p.fd, 0xA, f->data, f->len);
        pings++;
    }
    assert_true(time_now_ms() - start >= 900);
    wait_for(&closed_count, before + 1);
    while (read_frame(mute.fd, f, 1000))
        assert_int_equal(f->opcode, 0x9); /* pings, then the end of the stream */
    struct events_hub_stats st;
    events_hub_stats(h, &st);
    assert_int_equal(st.clients, 1);
    events_hub_shutdown(h, 200);
    events_hub_free(h);
    close(p.fd);
    close(mute.fd);
    free(f);
}

static void test_close_user_and_shutdown(void **state)
{
    (void)state;
    struct events_hub *h;
    assert_int_equal(events_hub_new(NULL, &h), 0);
    struct auth_subject bob = {.user_id = 7, .role = AUTH_ROLE_MANAGER};
    struct peer b1 = {0}, b2 = {0}, other = {0};
    connect_peer(h, &b1, &bob, NULL, 0, 0, NULL, 0);
    connect_peer(h, &b2, &bob, NULL, 0, 0, NULL, 0);
    connect_peer(h, &other, &admin, NULL, 0, 0, NULL, 0);
    events_hub_close_user(h, 7, 1008, "your account changed");
    struct frame *f = calloc(1, sizeof(*f));
    struct peer *bobs[2] = {&b1, &b2};
    for (int i = 0; i < 2; i++) {
        assert_true(read_frame(bobs[i]->fd, f, 2000));
        assert_int_equal(close_code(f), 1008);
        assert_string_equal(f->data + 2, "your account changed");
    }
    /* Shutdown: a close frame (1001) to the rest; an answer ends it early. */
    int64_t start = time_now_ms();
    send_frame(other.fd, 0x9, "x", 1); /* still served until then */
    assert_true(read_frame(other.fd, f, 2000));
    assert_int_equal(f->opcode, 0xA);
    int before = atomic_load(&closed_count);
    /* Answer the shutdown's close from another thread's point of view: read it, reply. */
    struct db_notification n = note(1, "bk1", "k");
    assert_int_equal(events_hub_broadcast(h, &n), 0);
    char text[8192];
    assert_true(read_text(other.fd, text, sizeof(text), 2000));
    events_hub_shutdown(h, 1500);
    assert_true(read_frame(other.fd, f, 2000));
    assert_int_equal(close_code(f), EVENTS_WS_CLOSE_GOING);
    assert_true(time_now_ms() - start < 1400 + 1000);
    wait_for(&closed_count, before + 1);
    /* Refused from now on: reservations, broadcasts, sockets. */
    struct peer late = {0};
    assert_int_equal(events_hub_reserve(h, &late.key, &admin, NULL, 0, 0), SEAU_E_UNAVAILABLE);
    assert_int_equal(events_hub_broadcast(h, &n), SEAU_E_UNAVAILABLE);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    before = atomic_load(&closed_count);
    events_hub_attach(h, &late.key, sv[0], NULL, 0, close_fd, (void *)(intptr_t)sv[0]);
    assert_int_equal(atomic_load(&closed_count), before + 1);
    events_hub_free(h);
    close(sv[1]);
    close(b1.fd);
    close(b2.fd);
    close(other.fd);
    free(f);
}

static void test_limits(void **state)
{
    (void)state;
    struct events_hub_opts o = {.max_clients = 3, .max_per_user = 2};
    struct events_hub *h;
    assert_int_equal(events_hub_new(&o, &h), 0);
    int keys[5];
    struct auth_subject u = {.user_id = 9, .role = AUTH_ROLE_USER};
    assert_int_equal(events_hub_reserve(h, &keys[0], &u, NULL, 0, 0), 0);
    assert_int_equal(events_hub_reserve(h, &keys[1], &u, NULL, 0, 0), 0);
    assert_int_equal(events_hub_reserve(h, &keys[2], &u, NULL, 0, 0), SEAU_E_RATE_LIMITED);
    /* The same connection reserving again replaces its place rather than taking another. */
    assert_int_equal(events_hub_reserve(h, &keys[1], &u, NULL, 0, 0), 0);
    assert_int_equal(events_hub_reserve(h, &keys[3], &admin, NULL, 0, 0), 0);
    assert_int_equal(events_hub_reserve(h, &keys[4], &admin, NULL, 0, 0), SEAU_E_UNAVAILABLE);
    /* A socket nobody reserved for is let go at once. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int before = atomic_load(&closed_count);
    events_hub_attach(h, &keys[4], sv[0], NULL, 0, close_fd, (void *)(intptr_t)sv[0]);
    assert_int_equal(atomic_load(&closed_count), before + 1);
    close(sv[1]);

    /* A message over EVENTS_WS_RECV_MAX from a client is refused with 1009. */
    struct peer p = {0};
    int pv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pv), 0);
    events_hub_attach(h, &keys[3], pv[0], NULL, 0, close_fd, (void *)(intptr_t)pv[0]);
    p.fd = pv[1];
    unsigned char hdr[8] = {
        0x81, 0x80 | 126, (EVENTS_WS_RECV_MAX + 1) >> 8, (EVENTS_WS_RECV_MAX + 1) & 0xff, 0, 0,
        0,    0};
    assert_int_equal(write(p.fd, hdr, sizeof(hdr)), (ssize_t)sizeof(hdr));
    char some[64] = {0}; /* wslay judges a frame once its first payload bytes are in */
    assert_int_equal(write(p.fd, some, sizeof(some)), (ssize_t)sizeof(some));
    struct frame *f = calloc(1, sizeof(*f));
    assert_true(read_frame(p.fd, f, 2000));
    assert_int_equal(close_code(f), EVENTS_WS_CLOSE_TOO_BIG);
    events_hub_shutdown(h, 200);
    events_hub_free(h);
    close(p.fd);
    free(f);
}

/*
 * Many clients, with writer threads sharing the writes (flush_dirty) and
 * bursts that queue several frames per client (sent together): every
 * client gets every notification once, in order, byte for byte the same.
 */
static void test_many_clients_with_writers(void **state)
{
    (void)state;
    enum { CLIENTS = 400, NOTES = 30 };
    struct events_hub_opts o = {.max_per_user = CLIENTS, .writers = 3};
    struct events_hub *h;
    assert_int_equal(events_hub_new(&o, &h), 0);
    struct peer *peers = calloc(CLIENTS, sizeof(*peers));
    assert_non_null(peers);
    for (int i = 0; i < CLIENTS; i++)
        connect_peer(h, &peers[i], &admin, NULL, 0, 0, NULL, 0);
    struct events_hub_stats st;
    for (int i = 0; i < 500; i++) {
        events_hub_stats(h, &st);
        if (st.clients == CLIENTS)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.clients, CLIENTS);
    for (int64_t id = 1; id <= NOTES; id++) {
        struct db_notification n = note(id, "bk1", "many/key");
        assert_int_equal(events_hub_broadcast(h, &n), 0);
    }
    static char first[NOTES][1024];
    char text[1024];
    for (int i = 0; i < CLIENTS; i++) {
        for (int k = 0; k < NOTES; k++) {
            assert_true(read_text(peers[i].fd, text, sizeof(text), 5000));
            assert_int_equal(id_of(text), k + 1);
            if (i == 0)
                memcpy(first[k], text, sizeof(text));
            else
                assert_string_equal(text, first[k]);
        }
    }
    events_hub_stats(h, &st);
    assert_int_equal(st.sent, (uint64_t)CLIENTS * NOTES);
    events_hub_shutdown(h, 200);
    events_hub_free(h);
    for (int i = 0; i < CLIENTS; i++)
        close(peers[i].fd);
    free(peers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visibility_and_order),
        cmocka_unit_test(test_replay_then_live),
        cmocka_unit_test(test_slow_client_closed_with_1008),
        cmocka_unit_test(test_pings_and_silent_clients),
        cmocka_unit_test(test_close_user_and_shutdown),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_many_clients_with_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
