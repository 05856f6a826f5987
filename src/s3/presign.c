/*
 * Presigned S3 URLs (GetObject, PutObject, UploadPart).
 */
#include "s3/internal.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Presigns method on bucket/key with the given (decoded) query parameters. */
static int s3__presign(struct s3_client *c, const char *op, const char *method, const char *bucket,
                       const char *key, const struct sigv4_pair *query, size_t nquery,
                       uint32_t expires_s, char **ret_url, struct s3_error *ret_err)
{
    int rc = s3__check(op, bucket, key, true, ret_err);
    if (rc != 0)
        return rc;
    if (!ret_url || expires_s == 0 || expires_s > S3_MAX_EXPIRES)
        return s3__invalid(ret_err, op, "a presigned URL lives 1 s to 7 days");
    struct s3_error err;
    struct s3_credentials cr = {0};
    rc = s3_credentials_get(c->creds, c->now_ms(c->clock_ctx), &cr);
    if (rc != 0) {
        char why[S3_CRED_WHY_SIZE];
        s3_credentials_last_error(c->creds, why);
        s3__err(&err, 0, "CredentialsUnavailable", "%s",
                why[0] ? why : "the credentials provider failed");
        if (ret_err)
            *ret_err = err;
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_UNAVAILABLE;
    }
    struct buf host, path, q, url;
    buf_init(&host, S3__MAX_HOST);
    buf_init(&path, S3__MAX_PATH);
    buf_init(&q, S3__MAX_URL);
    buf_init(&url, S3__MAX_URL);
    rc = s3__target(&c->ep, bucket, key, &host, &path);
    struct sigv4_pair headers[1] = {{SLICE_LIT("Host"), {host.data, host.len}}};
    struct sigv4_request sr = {
        .method = slice_from_cstr(method),
        .path = {path.data, path.len},
        .query = query,
        .query_count = nquery,
        .headers = headers,
        .header_count = 1,
    };
    struct sigv4_credentials sc = s3_credentials_sigv4(&cr);
    struct sigv4_params sp = {
        .credentials = &sc,
        .region = slice_from_cstr(c->ep.region),
        .service = SLICE_LIT("s3"),
        .now = (time_t)(c->now_ms(c->clock_ctx) / 1000),
        .payload_hash = SLICE_LIT(SIGV4_UNSIGNED_PAYLOAD),
        .expires = expires_s,
    };
    if (rc == 0)
        rc = sigv4_presign(&sr, &sp, &q);
    s3_credentials_done(&cr);
    if (rc == 0)
        rc = buf_printf(&url, "%s://%s%s?%s", c->ep.https ? "https" : "http", buf_cstr(&host),
                        buf_cstr(&path), buf_cstr(&q));
    char *s = NULL;
    if (rc == 0 && !(s = buf_take(&url)))
        rc = SEAU_E_NOMEM;
    buf_done(&host);
    buf_done(&path);
    buf_done_secure(&q); /* holds the session token, when there is one */
    buf_done_secure(&url);
    if (rc != 0) {
        s3__err(&err, 0, "InvalidInput", "%s: the URL could not be presigned (%s)", op,
                err_name(rc));
        if (ret_err)
            *ret_err = err;
        return rc == SEAU_E_NOMEM ? rc : SEAU_E_VALIDATION;
    }
    *ret_url = s;
    return 0;
}

int s3_presign_get(struct s3_client *c, const char *bucket, const char *key, uint32_t expires_s,
                   const struct s3_get_options *opt, char **ret_url, struct s3_error *ret_err)
{
    const char *op = "PresignGetObject";
    struct sigv4_pair q[3];
    size_t n = 0;
    if (opt) {
        if (opt->range || opt->if_match || opt->if_none_match)
            return s3__invalid(ret_err, op, "range and conditions cannot be presigned");
        const char *vals[] = {opt->version_id, opt->response_content_disposition,
                              opt->response_content_type};
        const char *names[] = {"versionId", "response-content-disposition",
                               "response-content-type"};
        for (size_t i = 0; i < 3; i++) {
            if (!vals[i] || !*vals[i])
                continue;
            if (!s3__header_value_ok(vals[i]) || strlen(vals[i]) > 2048)
                return s3__invalid(ret_err, op,
                                   "an option holds control characters or is "
                                   "too long");
            q[n++] = (struct sigv4_pair){slice_from_cstr(names[i]), slice_from_cstr(vals[i])};
        }
    }
    return s3__presign(c, op, "GET", bucket, key, q, n, expires_s, ret_url, ret_err);
}

int s3_presign_put(struct s3_client *c, const char *bucket, const char *key, uint32_t expires_s,
                   char **ret_url, struct s3_error *ret_err)
{
    return s3__presign(c, "PresignPutObject", "PUT", bucket, key, NULL, 0, expires_s, ret_url,
                       ret_err);
}

int s3_presign_upload_part(struct s3_client *c, const char *bucket, const char *key,
                           const char *upload_id, int part_number, uint32_t expires_s,
                           char **ret_url, struct s3_error *ret_err)
{
    const char *op = "PresignUploadPart";
    if (!upload_id || !*upload_id || !s3__part_number_ok(part_number) ||
        !s3__header_value_ok(upload_id))
        return s3__invalid(ret_err, op,
                           "an upload id and a part number of 1 to 10000 are "
                           "needed");
    char part[16];
    (void)snprintf(part, sizeof(part), "%d", part_number);
    struct sigv4_pair q[2] = {{SLICE_LIT("partNumber"), slice_from_cstr(part)},
                              {SLICE_LIT("uploadId"), slice_from_cstr(upload_id)}};
    return s3__presign(c, op, "PUT", bucket, key, q, 2, expires_s, ret_url, ret_err);
}
