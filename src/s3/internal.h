/*
 * What the files of the S3 client share and nothing else exports (STYLE.md
 * rule 2: s3__ names are private to src/s3/). client.h is the contract; this
 * header is how its implementation is cut:
 *   endpoint.c   where requests go: endpoints, bucket names, virtual-host or path addressing;
 *   errors.c     retry classification, backoff, S3 error codes to Seau's;
 *   fields.c     checks of the values requests carry and parsing of answer headers;
 *   transport.c  libcurl: the handle pool, signing, one attempt, the retry loop;
 *   objects.c    buckets, CORS, versioning, listings, objects, DeleteObjects;
 *   multipart.c  copies (part by part over 5 GiB) and multipart uploads;
 *   presign.c    presigned URLs;
 *   sqs.c        SQS in the AWS JSON protocol (s3/sqs.h);
 *   listing.c    the ListObjectsV2 iterator (s3/listing.h).
 *
 * A request is described by a struct s3__req: method, bucket, raw key,
 * decoded query parameters, extra headers, an optional body, and what to do
 * with the answer's body (parse it as XML of a kind, stream it to a sink, or
 * drop it). s3__perform() runs it with retries and fills the caller's struct
 * s3_error on failure.
 */
#ifndef SEAU_S3_INTERNAL_H
#define SEAU_S3_INTERNAL_H

#include "s3/client.h"
#include "s3/sigv4.h"

#include "core/buf.h"

#include <curl/curl.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef SEAU_VERSION
#define SEAU_VERSION "0"
#endif

#define S3__POOL_MAX          32 /* idle easy handles kept */
#define S3__MAX_QUERY         16 /* query parameters of one request */
#define S3__MAX_HEADERS       (S3_MAX_META_COUNT + 16)
#define S3__MAX_HOST          320 /* bucket + "." + endpoint host + port */
#define S3__MAX_PATH          (1 + S3_MAX_BUCKET + 1 + 3 * S3_MAX_KEY)
#define S3__MAX_URL           (16 + S3__MAX_HOST + S3__MAX_PATH + 64 * 1024)
#define S3__MAX_HEADER_LINES  (64 * 1024)         /* the signer's extra header lines */
#define S3__MAX_XML_BODY      (16u * 1024 * 1024) /* a request body we build (DeleteObjects) */
#define S3__MAX_RETRIES       10
#define S3__MAX_BACKOFF       60000
#define S3__RECV_BUFFER       (256L * 1024) /* libcurl's receive buffer, for streamed GETs */
#define S3__SEND_BUFFER       (256L * 1024) /* libcurl's upload buffer */
#define S3__DEFAULT_COPY_PART (512ull * 1024 * 1024)
#define S3__NS                "http://s3.amazonaws.com/doc/2006-03-01/"

/* ---- breaker.c: one endpoint's circuit breaker (client.h) ---- */

#define S3__BREAKER_RING 64 /* recent calls remembered for the failure ratio */

/* What a call's end tells the breaker. */
enum s3__outcome {
    S3__OUTCOME_OK,      /* the endpoint answered (a 404 or 403 included) */
    S3__OUTCOME_FAILED,  /* no answer, a timeout, a 5xx or SlowDown */
    S3__OUTCOME_NEUTRAL, /* says nothing of the endpoint: cancelled, refused before sending */
};

struct s3__breaker_call {
    int64_t at;
    bool failed;
};

struct s3__breaker {
    pthread_mutex_t lock;
    struct s3_breaker_config cfg; /* failures 0 and ratio 0: off */
    enum s3_circuit state;
    int consecutive;
    int64_t opened_at;
    bool probe_busy;
    struct s3__breaker_call ring[S3__BREAKER_RING];
    size_t ring_len, ring_next;
    uint64_t opened_total, rejected_total;
};

void s3__breaker_init(struct s3__breaker *b);
void s3__breaker_done(struct s3__breaker *b);
void s3__breaker_configure(struct s3__breaker *b, const struct s3_breaker_config *cfg);
/* 0: the call may go (*ret_probe: it is the half-open probe, whose outcome must be
 * recorded); SEAU_E_UNAVAILABLE: open, with the time left in *ret_retry_after_ms. */
int s3__breaker_allow(struct s3__breaker *b, int64_t now_ms, bool *ret_probe,
                      int64_t *ret_retry_after_ms);
void s3__breaker_record(struct s3__breaker *b, int64_t now_ms, bool probe,
                        enum s3__outcome outcome);
void s3__breaker_info(struct s3__breaker *b, int64_t now_ms, struct s3_circuit_info *ret);

/* ---- cache.c: listing pages and HEADs (client.h) ---- */

struct s3__cache;
int s3__cache_new(int64_t ttl_ms, size_t max_entries, struct s3__cache **ret);
void s3__cache_free(struct s3__cache *c);
/* Drops what may show bucket/key (key NULL: the whole bucket). c may be NULL. */
void s3__cache_invalidate(struct s3__cache *c, const char *bucket, const char *key);

/* Where requests go, resolved once from the configuration. */
struct s3__endpoint {
    bool aws; /* the AWS default endpoint */
    bool https;
    char host[256]; /* as in a URL: "127.0.0.1", "[::1]", "s3.eu-west-3.amazonaws.com" */
    long port;      /* 0: the scheme's default */
    enum s3_addressing addressing;
    char region[64];
};

struct s3_client {
    struct s3__endpoint ep, sqs_ep;
    struct s3_cred_provider *creds;
    char *user_agent;
    struct curl_slist *connect_to;
    long connect_timeout_ms, request_timeout_ms, low_speed_bytes, low_speed_time_s;
    int max_retries;
    int64_t backoff_base_ms, backoff_cap_ms;
    int64_t (*now_ms)(void *ctx);
    void (*sleep_ms)(void *ctx, int64_t ms);
    void *clock_ctx;

    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURL *pool[S3__POOL_MAX];
    size_t pool_len;

    atomic_uint_fast64_t requests, retries, connections;
    s3_observer_fn observer; /* NULL: none; set before the client is shared */
    void *observer_ctx;
    atomic_bool cancelled; /* s3_client_cancel(): every transfer stops */
    struct s3__breaker breaker[2]; /* [0] the S3 endpoint, [1] the SQS one */
    struct s3__cache *cache;       /* NULL: no cache; set before the client is shared */
};

/* What to do with a successful answer's body. */
enum s3__want {
    S3__DROP, /* nothing expected (PutObject, DeleteObject...) */
    S3__XML,  /* an XML answer of req.xml_kind */
    S3__SINK, /* the object's bytes, to req.sink */
    S3__JSON, /* a JSON answer (SQS), collected whole into req.ret_json */
};

struct s3__req {
    const char *op;                /* "GetObject": named in messages */
    const struct s3__endpoint *ep; /* NULL: the S3 endpoint */
    const char *service;           /* NULL: "s3" */
    int64_t long_poll_ms;          /* > 0: added to the total timeout, no low-speed rule */
    const char *method;
    const char *bucket; /* NULL: the service */
    const char *key;    /* NULL: the bucket (or service); raw */
    struct sigv4_pair query[S3__MAX_QUERY];
    size_t nquery;
    struct sigv4_pair headers[S3__MAX_HEADERS];
    size_t nheaders;
    const struct s3_body *body; /* NULL: none */
    enum s3__want want;
    enum s3_xml_kind xml_kind;
    const struct s3_sink *sink;
    bool head_only;  /* HEAD: no body will come */
    bool streamed;   /* no total timeout: the low-speed rule bounds it */
    bool accept_304; /* If-None-Match was sent */
    /* ListObjectsV2 and ListObjectVersions asked for encoding-type=url: the
     * client decodes them itself (s3__url_fix), given what it sent. */
    bool url_listing;
    const char *sent_prefix, *sent_delimiter, *sent_marker;
    int overflow; /* a query or header that did not fit: SEAU_E_INTERNAL */
    /* results, written on success */
    struct s3_xml_answer *ret_xml;
    struct s3_object_head *ret_head;
    struct buf *ret_json; /* S3__JSON: the answer is appended */
};

/* ---- endpoint.c ---- */

bool s3__alnum_lower(char ch);
int s3__parse_service_endpoint(const char *service, const char *endpoint, const char *region,
                               enum s3_addressing addressing, struct s3__endpoint *ret);
int s3__parse_endpoint(const char *endpoint, const char *region, enum s3_addressing addressing,
                       struct s3__endpoint *ret);
bool s3__bucket_valid(const char *b);
int s3__target(const struct s3__endpoint *ep, const char *bucket, const char *key,
               struct buf *ret_host, struct buf *ret_path);

/* ---- errors.c ---- */

bool s3__retryable_curl(CURLcode cc);
bool s3__retryable_answer(int status, const char *code);
int64_t s3__backoff_ms(int retry, int64_t base, int64_t cap, uint64_t rnd);
const char *s3__status_code(int status);

/* ---- fields.c ---- */

int s3__xml_escape(struct buf *b, const char *s);
bool s3__key_valid(const char *key);
bool s3__header_value_ok(const char *v);
bool s3__range_valid(const char *r);
int s3__parse_content_range(const char *v, int64_t *ret_first, int64_t *ret_last,
                            int64_t *ret_size);
bool s3__set_field(char *dst, size_t size, const char *v, size_t n);
void s3__copy_cut(char *dst, size_t size, const char *s);
bool s3__set_etag(char dst[S3_ETAG_SIZE], const char *etag);
int s3__content_md5(const void *data, size_t len, char ret[25]);

/* ---- transport.c ---- */

void s3__q(struct s3__req *rq, const char *name, const char *value);
void s3__h(struct s3__req *rq, const char *name, const char *value);
void s3__err(struct s3_error *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
uint64_t s3__body_len(const struct s3_body *b);
int s3__perform(struct s3_client *c, struct s3__req *rq, struct s3_error *ret_err);

/* ---- objects.c ---- */

int s3__invalid(struct s3_error *ret_err, const char *op, const char *what);
int s3__check(const char *op, const char *bucket, const char *key, bool key_needed,
              struct s3_error *ret_err);
void s3__q_opt(struct s3__req *rq, const char *name, const char *value);
bool s3__page_size(int n, char out[16]);
bool s3__part_number_ok(int n);
int s3__put_headers(struct s3__req *rq, const struct s3_put_options *o, struct buf *names,
                    struct s3_error *ret_err);
int s3__check_body(const char *op, const struct s3_body *b, struct s3_error *ret_err);
int s3__put_result(const struct s3_object_head *h, const char *etag, int64_t last_modified_ms,
                   struct s3_put_result *ret, struct s3_error *ret_err, const char *op);

/*
 * Sets the options every libcurl handle of src/s3 starts from: HTTP and
 * HTTPS only, no redirects followed, no signals, TLS peers and host names
 * verified, and connect_timeout_ms to connect. Returns libcurl's code.
 */
CURLcode s3__curl_defaults(CURL *h, long connect_timeout_ms);

#endif
