/*
 * A visit to a share link (share_link.h): the state of the link, the
 * password gate, the file or the page, each outcome with its share.access
 * entry.
 */
#include "files/share_link.h"

#include "core/err.h"
#include "core/str.h"
#include "files/index.h"
#include "s3/client.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

static void audit(const struct files_env *env, const struct files_share_visit *v,
                  const struct files_share_outcome *o, const char *key, const char *event,
                  int http_status, const char *reason)
{
    files_share_audit_access(env, &o->share, v->actor, key, event, http_status, reason, v->now);
}

/*
 * The password gate. Returns 0 to go on (o->unlocked when the right password
 * was given now), 1 when o->answer is decided, or a failure.
 */
static int password_gate(const struct files_env *env, const struct files_share_visit *v,
                         struct files_share_outcome *o)
{
    const struct db_share *s = &o->share;
    if (!s->password_hash[0] || files_share_unlocked(s, v->token, v->unlock))
        return 0;
    const char *event = v->download ? "download" : "view";
    int64_t retry = 0;
    int rc = files_share_password(env->db, s, v->ip, v->password, v->now, v->window_ms, &retry);
    if (rc == SEAU_E_RATE_LIMITED) {
        audit(env, v, o, NULL, event, 429, "rate_limited");
        o->answer = FILES_LINK_RATE_LIMITED;
        o->retry_s = retry;
        return 1;
    }
    if (rc == SEAU_E_UNAUTHORIZED) {
        audit(env, v, o, NULL, event, 401, v->password ? "wrong_password" : "password_required");
        o->answer = FILES_LINK_LOCKED;
        o->password_given = v->password != NULL;
        return 1;
    }
    if (rc)
        return rc;
    int64_t age = FILES_SHARE_UNLOCK_MAX_AGE_MS;
    if (s->expires_at && s->expires_at - v->now < age)
        age = s->expires_at - v->now;
    files_share_unlock_proof(s, v->token, o->proof);
    o->unlock_max_age_s = (age + 999) / 1000;
    o->unlocked = true;
    if (v->back_to_page) {
        audit(env, v, o, NULL, "password", 303, NULL);
        o->answer = FILES_LINK_UNLOCKED;
        return 1;
    }
    return 0;
}

static int serve_file(const struct files_env *env, const struct files_share_visit *v,
                      struct files_share_outcome *o)
{
    const struct db_share *s = &o->share;
    const char *why = NULL;
    if (files_share_member_key(s, v->rel, o->key, &why) != 0) {
        audit(env, v, o, NULL, "download", 400, "bad_key");
        o->answer = FILES_LINK_BAD_KEY;
        o->why = why ? why : "is not a file here";
        return 0;
    }
    struct files_share_file f;
    int rc = files_share_stat(env, s, o->key, &f, &o->problem.err);
    if (rc == SEAU_E_NOT_FOUND) {
        audit(env, v, o, o->key, "download", 404, "not_found");
        o->answer = FILES_LINK_NO_FILE;
        return 0;
    }
    if (rc) {
        audit(env, v, o, o->key, "download", err_http_status(rc), err_api_code(rc));
        return rc;
    }
    files_share_file_done(&f);
    /* A HEAD learns what a download would be without counting as one. */
    if (!v->head_only) {
        rc = files_share_count_download(env, s, v->actor, o->key, v->now);
        if (rc == SEAU_E_GONE) {
            audit(env, v, o, o->key, "download", 410, "exhausted");
            o->answer = FILES_LINK_USED_UP;
            return 0;
        }
        if (rc)
            return rc;
    }
    /* Short: the link, not the S3 URL, is what lasts; the URL only starts the transfer. */
    uint32_t secs = v->presign_expiry_s;
    if (secs > FILES_SHARE_PRESIGN_MAX_S)
        secs = FILES_SHARE_PRESIGN_MAX_S;
    struct files_download_request r = {
        .bucket = s->bucket,
        .key = o->key,
        /* A preview is streamed, so the page's policy allows it from 'self' alone. */
        .proxy = v->proxy || v->inline_,
        .inline_ = v->inline_,
        .presign_expiry_s = secs ? secs : 1,
        .range = v->range,
        .if_range = v->if_range,
        .if_none_match = v->if_none_match,
        .head_only = v->head_only,
        .max_transfers = v->max_transfers,
    };
    o->answer = FILES_LINK_FILE;
    return files_download_open(env, &r, &o->download, &o->problem);
}

/* The first bytes of a text file for its preview. */
struct text_sample {
    char *buf;
    size_t len;
};

static int text_write(void *ctx, const void *data, size_t len)
{
    struct text_sample *t = ctx;
    size_t room = FILES_SHARE_TEXT_PREVIEW - t->len;
    if (len > room)
        len = room;
    memcpy(t->buf + t->len, data, len);
    t->len += len;
    return 0;
}

/* Drops a UTF-8 sequence cut by the end of the sample. */
static size_t utf8_whole(const char *s, size_t n)
{
    size_t i = n;
    while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return n;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return n - (i - 1) >= want ? n : i - 1;
}

/* Decides what a file page shows of its file; a failure only leaves the preview out. */
static void preview_of(const struct files_env *env, const struct db_share *s,
                       struct files_share_outcome *o)
{
    if (s->max_downloads != 0)
        return;
    const char *kind = files_kind_of(s->key, NULL);
    static const char *const shown[] = {"image", "audio", "video", "pdf", "text"};
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
        if (strcmp(kind, shown[i]) == 0)
            snprintf(o->preview_kind, sizeof(o->preview_kind), "%s", kind);
    if (strcmp(o->preview_kind, "text") != 0 || o->file.size <= 0)
        return;
    struct text_sample t = {.buf = malloc(FILES_SHARE_TEXT_PREVIEW + 1), .len = 0};
    if (!t.buf)
        return;
    char range[64];
    int64_t last =
        (o->file.size < FILES_SHARE_TEXT_PREVIEW ? o->file.size : FILES_SHARE_TEXT_PREVIEW) - 1;
    snprintf(range, sizeof(range), "bytes=0-%lld", (long long)last);
    struct s3_get_options opt = {.range = range};
    struct s3_sink sink = {.write = text_write, .ctx = &t};
    struct s3_object_head head;
    struct s3_error err;
    memset(&head, 0, sizeof(head));
    memset(&err, 0, sizeof(err));
    int rc = s3_get_object(env->s3, s->bucket, s->key, &opt, &sink, &head, &err);
    s3_object_head_done(&head);
    if (rc) {
        free(t.buf);
        return;
    }
    t.len = utf8_whole(t.buf, t.len);
    t.buf[t.len] = '\0';
    o->preview_text = t.buf;
    o->preview_truncated = o->file.size > (int64_t)t.len;
}

static int serve_page(const struct files_env *env, const struct files_share_visit *v,
                      struct files_share_outcome *o)
{
    const struct db_share *s = &o->share;
    int rc;
    if (!files_share_is_folder(s)) {
        rc = files_share_stat(env, s, s->key, &o->file, &o->problem.err);
        if (rc == 0) {
            o->answer = FILES_LINK_FILE_PAGE;
            preview_of(env, s, o);
        }
    } else {
        rc = files_share_list_folder(env, s, v->after, FILES_SHARE_FOLDER_PAGE, &o->listing,
                                     &o->problem.err);
        if (rc == 0)
            o->answer = FILES_LINK_FOLDER_PAGE;
    }
    if (rc) {
        audit(env, v, o, NULL, "view", err_http_status(rc), err_api_code(rc));
        if (rc == SEAU_E_NOT_FOUND)
            o->answer = FILES_LINK_NO_FILE;
        else if (rc == SEAU_E_VALIDATION)
            o->answer = FILES_LINK_BAD_PAGE;
        else
            return rc;
        return 0;
    }
    audit(env, v, o, NULL, "view", 200, NULL);
    return 0;
}

int files_share_open(const struct files_env *env, const struct files_share_visit *v,
                     struct files_share_outcome *ret)
{
    memset(ret, 0, sizeof(*ret));
    struct files_share_access acc;
    int rc = files_share_resolve(env, v->token, v->now, &acc);
    if (rc == SEAU_E_NOT_FOUND) {
        ret->answer = FILES_LINK_NO_LINK;
        return 0;
    }
    if (rc)
        return rc;
    ret->share = acc.share;
    enum files_share_state state = acc.state;
    str_wipe(&acc, sizeof(acc));
    if (state != FILES_SHARE_LIVE) {
        audit(env, v, ret, NULL, v->download ? "download" : "view", 410,
              files_share_state_name(state));
        ret->answer = FILES_LINK_GONE;
        return 0;
    }
    if (!env->s3) {
        ret->answer = FILES_LINK_NO_S3;
        return 0;
    }
    rc = password_gate(env, v, ret);
    if (rc)
        return rc < 0 ? rc : 0;
    return v->download ? serve_file(env, v, ret) : serve_page(env, v, ret);
}

void files_share_outcome_done(struct files_share_outcome *o)
{
    files_share_file_done(&o->file);
    free(o->preview_text);
    o->preview_text = NULL;
    files_share_listing_done(&o->listing);
    files_download_done(&o->download);
    str_wipe(&o->share, sizeof(o->share));
    str_wipe(o->proof, sizeof(o->proof));
}
