/*
 * A visit to a share link (GET and POST /s/{token}): one service call that
 * takes what the request presented — the token, the password or the unlock
 * proof, the file asked for — and decides the answer, writing the
 * `share.access` audit entry of every outcome (files/shares.h
 * files_share_audit_access; a counted download writes its entry with the
 * count) and, for the file itself, a short presigned URL or a proxied body
 * (files/download.h, without an object.download entry: the share's entry
 * is the record). The API layer renders the answer as a page for browsers
 * or as API.md's JSON for scripts; nothing here speaks HTTP.
 */
#ifndef SEAU_FILES_SHARE_LINK_H
#define SEAU_FILES_SHARE_LINK_H

#include "files/download.h"
#include "files/shares.h"

#include <stdbool.h>
#include <stdint.h>

/* What the request presented, parsed by the API layer; strings borrowed. */
struct files_share_visit {
    const char *token;    /* from the path */
    bool download;        /* the file (download=1) rather than the page */
    const char *rel;      /* ?key=: a file of a folder share, or NULL */
    const char *after;    /* ?after=: the folder page after this file, or NULL */
    const char *password; /* presented (may be "" when unusable), or NULL */
    const char *unlock;   /* the unlock proof the browser kept, or NULL */
    const char *ip;       /* the client's address (password throttling) */
    bool back_to_page;    /* a POSTed form: after the right password, back to the link */
    bool head_only;       /* HEAD: learn what a download would be without counting one */
    bool inline_; /* the page's preview asks for the file (inline=1): through Seau, inline */
    int64_t now, window_ms; /* window_ms: the password throttling window */
    const struct audit_actor *actor;
    /* The file itself: as files_download_request (the URL's lifetime is capped). */
    bool proxy;
    uint32_t presign_expiry_s;
    size_t max_transfers;
    const char *range, *if_range, *if_none_match;
};

#define FILES_SHARE_TEXT_PREVIEW (64 * 1024)

enum files_share_answer {
    FILES_LINK_NO_LINK = 1,  /* 404: no such link */
    FILES_LINK_GONE,         /* 410: revoked, expired, used up or withdrawn */
    FILES_LINK_NO_S3,        /* 503: S3 is not configured */
    FILES_LINK_RATE_LIMITED, /* 429: too many wrong passwords (retry_s) */
    FILES_LINK_LOCKED,       /* 401: the password is missing or wrong (password_given) */
    FILES_LINK_UNLOCKED,     /* 303: the right password was POSTed; back to the link */
    FILES_LINK_BAD_KEY,      /* 400: ?key= names no file of the folder (why) */
    FILES_LINK_NO_FILE,      /* 404: the shared file is no longer there */
    FILES_LINK_USED_UP,      /* 410: the download limit was reached meanwhile */
    FILES_LINK_BAD_PAGE,     /* 400: ?after= names no page of the folder */
    FILES_LINK_FILE_PAGE,    /* 200: the page of a file share (file) */
    FILES_LINK_FOLDER_PAGE,  /* 200: a page of a folder share (listing) */
    FILES_LINK_FILE,         /* the file: download, key */
};

struct files_share_outcome {
    enum files_share_answer answer;
    struct db_share share; /* the link, once resolved (FILES_LINK_NO_LINK: zeroes) */
    /* The right password was given now: the browser keeps this proof for max_age_s. */
    bool unlocked;
    char proof[FILES_SHARE_UNLOCK_LEN + 1];
    int64_t unlock_max_age_s;
    int64_t retry_s;              /* FILES_LINK_RATE_LIMITED */
    bool password_given;          /* FILES_LINK_LOCKED: wrong rather than missing */
    const char *why;              /* FILES_LINK_BAD_KEY (static) */
    char key[DB_KEY_MAX + 1];     /* FILES_LINK_FILE: the object's key */
    struct files_share_file file; /* FILES_LINK_FILE_PAGE */
    /*
     * FILES_LINK_FILE_PAGE of a link without a download limit (a preview
     * counts as a download): what the page may show of the file, by its
     * name's kind ("image", "audio", "video", "pdf", "text"; "" for none),
     * and for text its first FILES_SHARE_TEXT_PREVIEW bytes (owned,
     * NUL-terminated, cut at a UTF-8 boundary; NULL when S3 failed).
     */
    char preview_kind[8];
    char *preview_text;
    bool preview_truncated;
    struct files_share_listing listing;    /* FILES_LINK_FOLDER_PAGE */
    struct files_download download;        /* FILES_LINK_FILE */
    struct files_download_problem problem; /* why S3 failed (rc != 0) */
};

/*
 * Decides the answer to a visit (see the enum). Returns 0 and *ret; or a
 * failure with nothing decided: a store failure, an S3 failure (ret->problem)
 * — with ret->answer FILES_LINK_FILE when it came from the file's transfer
 * (render it as a download) — SEAU_E_NOMEM or SEAU_E_IO. ret->unlocked may
 * be set either way. Release with files_share_outcome_done, which also wipes
 * the share and the proof.
 */
int files_share_open(const struct files_env *env, const struct files_share_visit *v,
                     struct files_share_outcome *ret);
void files_share_outcome_done(struct files_share_outcome *o);

#endif
