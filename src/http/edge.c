#include "http/edge.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/ioctl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define EDGE__IP_BUCKETS 1024

/* A client address, IPv4 as IPv4-mapped IPv6, and its open connections. */
struct edge__ip {
    struct edge__ip *next;
    unsigned char addr[16];
    unsigned count;
};

/* One connection, libmicrohttpd's socket context (alive from STARTED to CLOSED). */
struct edge__conn {
    struct edge__conn *prev, *next;
    struct http__edge *edge;
    MHD_socket fd;
    _Atomic int64_t deadline_ns; /* 0: no head under way */
    struct edge__ip *ip;         /* counted against the cap; NULL: exempt or no cap */
    bool cut;
};

struct http__edge {
    struct http__edge_opts o;
    pthread_mutex_t lock; /* the list, the address table, stop */
    pthread_cond_t wake;
    struct edge__conn *conns;
    struct edge__ip *ips[EDGE__IP_BUCKETS];
    bool stop;
    bool reaping;
    pthread_t reaper;
    atomic_uint_fast64_t cut;
    atomic_uint_fast64_t refused;
    size_t holds; /* http__edge_take()n and not released; guarded by lock */
    bool freed;   /* http__edge_free was called: the last release frees */
};

/* A taken connection's place under the cap (http__edge_take). */
struct http__edge_hold {
    struct http__edge *edge;
    struct edge__ip *ip;
};

/* ---- the per-address cap ---- */

static bool edge__key(const struct sockaddr *sa, unsigned char out[16])
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &in->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return true;
    }
    return false;
}

static size_t edge__bucket(const unsigned char k[16])
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ k[i]) * 1099511628211ULL;
    return (size_t)(h % EDGE__IP_BUCKETS);
}

/* The caller holds e->lock. */
static struct edge__ip *edge__ip_find(struct http__edge *e, const unsigned char k[16])
{
    for (struct edge__ip *p = e->ips[edge__bucket(k)]; p; p = p->next)
        if (memcmp(p->addr, k, 16) == 0)
            return p;
    return NULL;
}

static bool edge__exempt(const struct http__edge *e, const struct sockaddr *sa)
{
    if (!e->o.trusted_proxies || e->o.trusted_proxies->len == 0)
        return false;
    char text[INET6_ADDRSTRLEN];
    net_addr_text(sa, text, sizeof(text));
    return net_cidr_list_contains(e->o.trusted_proxies, text);
}

enum MHD_Result http__edge_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    struct http__edge *e = cls;
    unsigned char k[16];
    if (e->o.max_per_client == 0 || !edge__key(addr, k) || edge__exempt(e, addr))
        return MHD_YES;
    /*
     * Counted when libmicrohttpd reports the connection started, checked
     * here: two workers accepting at once may each let one more in, so the
     * cap can be passed by at most the number of workers.
     */
    pthread_mutex_lock(&e->lock);
    struct edge__ip *p = edge__ip_find(e, k);
    bool full = p && p->count >= e->o.max_per_client;
    pthread_mutex_unlock(&e->lock);
    if (full) {
        atomic_fetch_add(&e->refused, 1);
        return MHD_NO;
    }
    return MHD_YES;
}

/* Gives back one place of p's address (NULL: none); the caller holds e->lock. */
static void edge__ip_put(struct http__edge *e, struct edge__ip *p)
{
    if (p && --p->count == 0) {
        struct edge__ip **link = &e->ips[edge__bucket(p->addr)];
        while (*link != p)
            link = &(*link)->next;
        *link = p->next;
        free(p);
    }
}

static struct edge__conn *edge__of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void edge__started(struct http__edge *e, struct MHD_Connection *conn, void **socket_context)
{
    struct edge__conn *c = calloc(1, sizeof(*c));
    if (!c)
        return; /* Out of memory: this connection goes without deadline nor count. */
    c->edge = e;
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = fd ? fd->connect_fd : MHD_INVALID_SOCKET;
    int64_t deadline =
        e->o.header_timeout_ms > 0 ? time_mono_ns() + e->o.header_timeout_ms * 1000000 : 0;
    atomic_init(&c->deadline_ns, deadline);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    unsigned char k[16];
    bool counted = e->o.max_per_client > 0 && ci && edge__key(ci->client_addr, k) &&
                   !edge__exempt(e, ci->client_addr);
    pthread_mutex_lock(&e->lock);
    if (counted) {
        struct edge__ip *p = edge__ip_find(e, k);
        if (!p && (p = calloc(1, sizeof(*p))) != NULL) {
            memcpy(p->addr, k, 16);
            size_t b = edge__bucket(k);
            p->next = e->ips[b];
            e->ips[b] = p;
        }
        if (p) {
            p->count++;
            c->ip = p;
        }
    }
    c->next = e->conns;
    if (e->conns)
        e->conns->prev = c;
    e->conns = c;
    pthread_mutex_unlock(&e->lock);
    *socket_context = c;
}

static void edge__closed(struct http__edge *e, void **socket_context)
{
    struct edge__conn *c = *socket_context;
    if (!c)
        return;
    /* libmicrohttpd closes the socket only after this: the reaper never sees a reused fd. */
    pthread_mutex_lock(&e->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        e->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    edge__ip_put(e, c->ip);
    pthread_mutex_unlock(&e->lock);
    free(c);
    *socket_context = NULL;
}

void http__edge_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                       enum MHD_ConnectionNotificationCode code)
{
    struct http__edge *e = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        edge__started(e, conn, socket_context);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        edge__closed(e, socket_context);
}

/* ---- the head deadline ---- */

void *http__edge_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)uri;
    struct http__edge *e = cls;
    struct edge__conn *c = edge__of(conn);
    if (c && e->o.header_timeout_ms > 0) {
        /* The request line is in: the headers get the header timeout, never more. */
        int64_t d = time_mono_ns() + e->o.header_timeout_ms * 1000000;
        int64_t cur = atomic_load(&c->deadline_ns);
        if (cur == 0 || cur > d)
            atomic_store(&c->deadline_ns, d);
    }
    return NULL;
}

void http__edge_head_done(struct MHD_Connection *conn)
{
    struct edge__conn *c = edge__of(conn);
    if (c)
        atomic_store(&c->deadline_ns, 0);
}

void http__edge_request_done(struct http__edge *e, struct MHD_Connection *conn)
{
    struct edge__conn *c = edge__of(conn);
    if (!c || e->o.header_timeout_ms <= 0)
        return;
    /*
     * A keep-alive connection then waits for its next request, idle up to
     * the idle timeout; once its first bytes are in, the head must follow.
     * libmicrohttpd does not say when a next request's first byte arrives,
     * only when its request line is complete (http__edge_uri), so until
     * then the bound is the sum of both.
     */
    atomic_store(&c->deadline_ns,
                 time_mono_ns() + (e->o.idle_timeout_ms + e->o.header_timeout_ms) * 1000000);
}

/* Whether the kernel holds bytes of this socket that libmicrohttpd has not read yet. */
static bool edge__unread(MHD_socket fd)
{
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void *edge__reap(void *arg)
{
    struct http__edge *e = arg;
    int64_t period_ms = e->o.header_timeout_ms / 4;
    if (period_ms < 50)
        period_ms = 50;
    if (period_ms > 1000)
        period_ms = 1000;
    pthread_mutex_lock(&e->lock);
    while (!e->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + (period_ms % 1000) * 1000000;
        ts.tv_sec += period_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&e->wake, &e->lock, &ts);
        if (e->stop)
            break;
        int64_t now = time_mono_ns();
        for (struct edge__conn *c = e->conns; c; c = c->next) {
            int64_t d = atomic_load(&c->deadline_ns);
            if (d == 0 || d > now || c->cut || c->fd == MHD_INVALID_SOCKET)
                continue;
            if (edge__unread(c->fd)) {
                /*
                 * The client's bytes are here, unread: the server is behind
                 * (its workers busy with other requests), not the client.
                 * The head gets a full header timeout from now; the CAS
                 * leaves a head completed meanwhile (0) alone.
                 */
                atomic_compare_exchange_strong(&c->deadline_ns, &d,
                                               now + e->o.header_timeout_ms * 1000000);
                continue;
            }
            /*
             * Not close(): libmicrohttpd owns the descriptor. After the
             * shutdown it reads end-of-stream and closes the connection on
             * its own thread; CLOSED then takes it off this list, under
             * this lock, before the descriptor can be reused.
             */
            shutdown(c->fd, SHUT_RDWR);
            c->cut = true;
            atomic_fetch_add(&e->cut, 1);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

int http__edge_new(const struct http__edge_opts *o, struct http__edge **ret)
{
    struct http__edge *e = calloc(1, sizeof(*e));
    if (!e)
        return SEAU_E_NOMEM;
    e->o = *o;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->wake, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&e->cut, 0);
    atomic_init(&e->refused, 0);
    if (o->header_timeout_ms > 0) {
        if (pthread_create(&e->reaper, NULL, edge__reap, e) != 0) {
            pthread_cond_destroy(&e->wake);
            pthread_mutex_destroy(&e->lock);
            free(e);
            return SEAU_E_IO;
        }
        e->reaping = true;
    }
    *ret = e;
    return 0;
}

static void edge__destroy(struct http__edge *e)
{
    pthread_cond_destroy(&e->wake);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

void http__edge_free(struct http__edge *e)
{
    if (!e)
        return;
    if (e->reaping) {
        pthread_mutex_lock(&e->lock);
        e->stop = true;
        pthread_cond_signal(&e->wake);
        pthread_mutex_unlock(&e->lock);
        pthread_join(e->reaper, NULL);
    }
    /* libmicrohttpd has stopped: every connection was CLOSED, the list is empty; holds of
     * taken sockets may be left (a WebSocket not yet let go): the last release frees. */
    pthread_mutex_lock(&e->lock);
    e->freed = true;
    bool last = e->holds == 0;
    pthread_mutex_unlock(&e->lock);
    if (last)
        edge__destroy(e);
}

struct http__edge_hold *http__edge_take(struct MHD_Connection *conn)
{
    struct edge__conn *c = edge__of(conn);
    struct http__edge_hold *h = c && c->ip ? malloc(sizeof(*h)) : NULL;
    if (!h)
        return NULL; /* Out of memory: the place is given back with the connection. */
    struct http__edge *e = c->edge;
    pthread_mutex_lock(&e->lock);
    h->edge = e;
    h->ip = c->ip;
    c->ip = NULL; /* edge__closed leaves the count to the hold */
    e->holds++;
    pthread_mutex_unlock(&e->lock);
    return h;
}

void http__edge_release(struct http__edge_hold *h)
{
    if (!h)
        return;
    struct http__edge *e = h->edge;
    pthread_mutex_lock(&e->lock);
    edge__ip_put(e, h->ip);
    bool last = --e->holds == 0 && e->freed;
    pthread_mutex_unlock(&e->lock);
    free(h);
    if (last)
        edge__destroy(e);
}

uint64_t http__edge_heads_cut(const struct http__edge *e)
{
    return e ? atomic_load(&e->cut) : 0;
}

uint64_t http__edge_refused(const struct http__edge *e)
{
    return e ? atomic_load(&e->refused) : 0;
}

/* ---- framing ---- */

struct edge__framing {
    bool spaced;     /* a field name with white space (before its colon) */
    unsigned te;     /* Transfer-Encoding headers */
    bool te_chunked; /* ... and the only one says exactly "chunked" */
    unsigned cl;     /* Content-Length headers */
    bool cl_differ;  /* ... with different values */
    const char *first_cl;
    unsigned host; /* Host headers */
};

static enum MHD_Result edge__framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                            const char *value)
{
    (void)kind;
    struct edge__framing *f = cls;
    if (!value)
        value = "";
    if (strpbrk(key, " \t"))
        f->spaced = true; /* "Transfer-Encoding : chunked": some proxies trim, this one would not */
    if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->te++;
        f->te_chunked = strcasecmp(value, "chunked") == 0;
    } else if (strcasecmp(key, "Host") == 0) {
        f->host++;
    } else if (strcasecmp(key, "Content-Length") == 0) {
        if (f->cl++ == 0)
            f->first_cl = value;
        else if (strcmp(f->first_cl, value) != 0)
            f->cl_differ = true;
    }
    return MHD_YES;
}

int http__edge_check_head(struct MHD_Connection *conn, const char *version)
{
    struct edge__framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, edge__framing_header, &f);
    /*
     * libmicrohttpd reads a body by the first Transfer-Encoding, else by the
     * first Content-Length; a proxy in front may choose the other. Identical
     * repeated Content-Length values are unambiguous (RFC 9110 8.6) but a
     * list in one header ("5, 5") is refused by libmicrohttpd already.
     */
    if (f.spaced)
        return SEAU_E_BAD_REQUEST; /* RFC 9112 5.1: must be refused */
    if (f.te > 0 && (f.cl > 0 || f.te > 1 || !f.te_chunked))
        return SEAU_E_BAD_REQUEST;
    if (f.cl_differ)
        return SEAU_E_BAD_REQUEST;
    /*
     * RFC 9112 3.2. libmicrohttpd checks Host itself only in its strict
     * mode, and 0.9.75 then sends its answer's header block twice (the
     * state machine moves on after an error raised while parsing headers).
     */
    if (f.host > 1 || (f.host == 0 && version && strcmp(version, "HTTP/1.1") == 0))
        return SEAU_E_BAD_REQUEST;
    return 0;
}

/* ---- libmicrohttpd's own error answers ---- */

/*
 * libmicrohttpd 0.9.75 answers malformed requests itself (a request line
 * too long: 414; headers past its memory: 431; bad syntax or chunking, no
 * Host: 400; a chunk size or Content-Length past 64 bits: 413; an unknown
 * HTTP version: 505) with an HTML body, and offers no hook to change it.
 * What it does, in transmit_error_response_len(): it logs "Error processing
 * request (HTTP response code is %u ...", then builds the answer with
 * MHD_create_response_from_buffer(len, static_html, MHD_RESPMEM_PERSISTENT),
 * both on the connection's thread. The library calls its own exported
 * functions through the PLT, so this executable's definition of
 * MHD_create_response_from_buffer below is the one it gets (ELF symbol
 * interposition). The logger notes the status in a thread-local; the next
 * persistent buffer response built on that thread is the error answer and
 * becomes JSON. Every other call keeps the library's meaning exactly.
 * tests/integration/edge.test.ts checks each status; if a future
 * libmicrohttpd stops going through the PLT, those tests say so.
 */
static _Thread_local unsigned edge__pending_status;

static const char edge__log_prefix[] = "Error processing request (HTTP response code is %u";

void http__edge_library_message(const char *fmt, va_list ap)
{
    if (strncmp(fmt, edge__log_prefix, sizeof(edge__log_prefix) - 1) != 0)
        return;
    va_list cp;
    va_copy(cp, ap);
    edge__pending_status = va_arg(cp, unsigned);
    va_end(cp);
}

void http__edge_library_reset(void)
{
    edge__pending_status = 0;
}

#define EDGE__JSON(code, msg) "{\"error\":{\"code\":\"" code "\",\"message\":\"" msg "\"}}"

static const char *edge__error_body(unsigned status)
{
    switch (status) {
    case 413:
        return EDGE__JSON("payload_too_large", "The request body is too large.");
    case 414:
        return EDGE__JSON("uri_too_long", "The request's URL is too long.");
    case 431:
        return EDGE__JSON("headers_too_large", "The request headers are too large.");
    case 505:
        return EDGE__JSON("http_version_not_supported", "This HTTP version is not supported.");
    default:
        if (status >= 500)
            return EDGE__JSON("internal", "Something went wrong on the server.");
        return EDGE__JSON("bad_request", "The request is malformed.");
    }
}

static struct MHD_Response *edge__error_response(unsigned status)
{
    const char *body = edge__error_body(status);
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        strlen(body), (void *)(uintptr_t)body, NULL, NULL);
    if (!r)
        return NULL;
    unsigned char rnd[12];
    char id[2 * sizeof(rnd) + 1];
    randombytes_buf(rnd, sizeof(rnd));
    str_hex(rnd, sizeof(rnd), id);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header(r, "X-Request-Id", id);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    return r;
}

static void edge__free(void *p)
{
    free(p);
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
    unsigned status = edge__pending_status;
    /* The library's error bodies are static strings, never NULL; ours are never "persistent". */
    if (status && mode == MHD_RESPMEM_PERSISTENT && buffer) {
        edge__pending_status = 0;
        struct MHD_Response *r = edge__error_response(status);
        if (r)
            return r;
    }
    switch (mode) {
    case MHD_RESPMEM_MUST_FREE:
        return MHD_create_response_from_buffer_with_free_callback_cls(size, buffer, edge__free,
                                                                      buffer);
    case MHD_RESPMEM_MUST_COPY: {
        if (size == 0)
            return MHD_create_response_from_buffer_with_free_callback_cls(0, NULL, NULL, NULL);
        void *copy = malloc(size);
        if (!copy)
            return NULL;
        memcpy(copy, buffer, size);
        struct MHD_Response *r =
            MHD_create_response_from_buffer_with_free_callback_cls(size, copy, edge__free, copy);
        if (!r)
            free(copy);
        return r;
    }
    case MHD_RESPMEM_PERSISTENT:
    default:
        return MHD_create_response_from_buffer_with_free_callback_cls(size, buffer, NULL, NULL);
    }
}
