#include "events/event.h"

#include "core/err.h"
#include "core/str.h"
#include "core/timeutil.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[EVENTS_TYPE_COUNT] = {
    [EVENTS_UPLOAD] = "upload", [EVENTS_DELETE] = "delete", [EVENTS_COPY] = "copy",
    [EVENTS_RENAME] = "rename", [EVENTS_SHARE] = "share",   [EVENTS_USER] = "user",
    [EVENTS_ERROR] = "error",
};

static const char *const source_names[EVENTS_SOURCE_COUNT] = {
    [EVENTS_SOURCE_SEAU] = "seau",
    [EVENTS_SOURCE_S3] = "s3",
    [EVENTS_SOURCE_SYSTEM] = "system",
};

const char *events_type_name(enum events_type t)
{
    return (unsigned)t < EVENTS_TYPE_COUNT ? type_names[t] : "error";
}

int events_type_parse(const char *s, enum events_type *ret)
{
    for (int t = 0; s && t < EVENTS_TYPE_COUNT; t++) {
        if (strcmp(s, type_names[t]) == 0) {
            *ret = (enum events_type)t;
            return 0;
        }
    }
    return SEAU_E_VALIDATION;
}

const char *events_source_name(enum events_source s)
{
    return (unsigned)s < EVENTS_SOURCE_COUNT ? source_names[s] : "system";
}

/* The last segment of a key: "a/b/c.txt" -> "c.txt", a folder "a/b/" -> "b/". */
static struct slice base_name(const char *key)
{
    if (!key)
        return (struct slice){"", 0};
    size_t n = strlen(key);
    size_t end = n;
    if (end > 0 && key[end - 1] == '/')
        end--; /* a folder keeps its slash, but is named by the segment before it */
    size_t start = end;
    while (start > 0 && key[start - 1] != '/')
        start--;
    return (struct slice){key + start, n - start};
}

void events_message(const struct event *e, char out[EVENTS_MESSAGE_MAX + 1])
{
    if (e->message) {
        str_utf8_copy_lossy(out, EVENTS_MESSAGE_MAX + 1, e->message);
        return;
    }
    /* Keys are at most 1024 bytes and emails 254: the parts fit; the copy below bounds the whole.
     */
    char text[2 * 1024 + 2 * 254 + 512];
    struct slice name = base_name(e->key), from = base_name(e->from_key);
    const char *bucket = e->bucket ? e->bucket : "";
    int nn = (int)name.len, fn = (int)from.len;
    bool by = e->source == EVENTS_SOURCE_SEAU && e->actor && *e->actor;
    const char *who = by ? e->actor : "";
    switch (e->type) {
    case EVENTS_UPLOAD:
        if (by)
            snprintf(text, sizeof(text), "%s uploaded %.*s to %s", who, nn, name.p, bucket);
        else
            snprintf(text, sizeof(text), "%.*s was uploaded to %s", nn, name.p, bucket);
        break;
    case EVENTS_DELETE:
        if (by)
            snprintf(text, sizeof(text), "%s deleted %.*s from %s", who, nn, name.p, bucket);
        else
            snprintf(text, sizeof(text), "%.*s was deleted from %s", nn, name.p, bucket);
        break;
    case EVENTS_COPY:
        if (by && e->from_key)
            snprintf(text, sizeof(text), "%s copied %.*s to %.*s", who, fn, from.p, nn, name.p);
        else if (by)
            snprintf(text, sizeof(text), "%s copied %.*s into %s", who, nn, name.p, bucket);
        else
            snprintf(text, sizeof(text), "%.*s was copied into %s", nn, name.p, bucket);
        break;
    case EVENTS_RENAME:
        if (by)
            snprintf(text, sizeof(text), "%s renamed %.*s to %.*s", who, fn, from.p, nn, name.p);
        else
            snprintf(text, sizeof(text), "%.*s was renamed to %.*s", fn, from.p, nn, name.p);
        break;
    case EVENTS_SHARE:
        if (by)
            snprintf(text, sizeof(text), "%s shared %.*s", who, nn, name.p);
        else
            snprintf(text, sizeof(text), "%.*s was shared", nn, name.p);
        break;
    case EVENTS_USER:
        if (by)
            snprintf(text, sizeof(text), "%s changed an account", who);
        else
            snprintf(text, sizeof(text), "An account changed");
        break;
    case EVENTS_ERROR:
    default:
        snprintf(text, sizeof(text), "Something went wrong");
        break;
    }
    str_utf8_copy_lossy(out, EVENTS_MESSAGE_MAX + 1, text);
}

const char *events_etag_bare(const char *etag, char *out, size_t n)
{
    if (!etag)
        return NULL;
    if (strncmp(etag, "W/", 2) == 0)
        etag += 2;
    size_t len = strlen(etag);
    if (len >= 2 && etag[0] == '"' && etag[len - 1] == '"') {
        etag++;
        len -= 2;
    }
    if (len == 0 || len >= n)
        return NULL;
    memcpy(out, etag, len);
    out[len] = '\0';
    return out;
}

void events_row_of(const struct event *e, const char *message, int64_t now,
                   struct db_notification *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->time = e->time > 0 ? e->time : now;
    ret->type = (char *)events_type_name(e->type);
    ret->source = (char *)events_source_name(e->source);
    ret->bucket = (char *)e->bucket;
    ret->key = (char *)e->key;
    ret->from_key = (char *)e->from_key;
    ret->size = e->size >= 0 ? e->size : -1;
    ret->etag = (char *)e->etag;
    ret->actor = (char *)e->actor;
    ret->actor_id = e->actor_id;
    ret->target_user_id = e->target_user_id;
    ret->message = (char *)message;
}

json_t *events_notification_json(const struct db_notification *n)
{
    char t[TIME_RFC3339_LEN];
    time_rfc3339(n->time, t);
    json_t *name = json_null();
    if (n->key) {
        struct slice s = base_name(n->key);
        json_decref(name);
        name = json_stringn(s.p, s.len);
    }
    json_t *meta = json_pack("{s:s?, s:s?, s:o, s:o, s:s?, s:s}", "bucket", n->bucket, "key",
                             n->key, "fileName", name ? name : json_null(), "fileSize",
                             n->size >= 0 ? json_integer(n->size) : json_null(), "actor", n->actor,
                             "source", n->source);
    if (meta && n->from_key)
        json_object_set_new(meta, "fromKey", json_string(n->from_key));
    if (!meta)
        return NULL;
    return json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)n->id, "type", n->type,
                     "message", n->message, "timestamp", t, "metadata", meta);
}

bool events_visible(const struct auth_subject *who, const char *bucket, const char *key)
{
    if (!bucket)
        return who->role >= AUTH_ROLE_MANAGER;
    return auth_grants_cover(who, bucket, key);
}

size_t events_scopes(const struct auth_subject *who, char *const *buckets, size_t nbuckets,
                     struct db_object_scope *out, size_t max, bool *ret_unscoped)
{
    size_t n = 0;
    for (size_t b = 0; b < nbuckets; b++) {
        if (who->role == AUTH_ROLE_ADMIN) {
            if (n < max)
                out[n++] = (struct db_object_scope){buckets[b], ""};
            continue;
        }
        for (size_t g = 0; g < who->ngrants; g++)
            if (strcmp(who->grants[g].bucket, buckets[b]) == 0 && n < max)
                out[n++] = (struct db_object_scope){who->grants[g].bucket, who->grants[g].prefix};
    }
    *ret_unscoped = who->role >= AUTH_ROLE_MANAGER;
    return n;
}
