/*
 * Every API endpoint, in one table (STYLE.md rule 5). The server checks the
 * role and the body limit from here before a handler runs, and api_prepare
 * (middleware.c) applies the flags: HTTP_NEEDS_S3 answers 503 when S3 is not
 * configured, HTTP_JSON_BODY parses the body (api_json), HTTP_LOADS_CALLER
 * loads the caller's grants (api_who), HTTP_SAME_ORIGIN applies the CSRF
 * rule without a session. Keep openapi.json in step: a unit test compares
 * the two.
 */
#include "api/api.h"

#define KiB 1024

const struct http_route api_routes[] = {
    /* method   pattern   handler   least role   body limit   flags (preamble) */
    {"GET", "/api/health", api_health, HTTP_PUBLIC, 0, 0},
    {"GET", "/api/ready", api_ready, HTTP_PUBLIC, 0, 0},
    {"GET", "/api/metrics", api_metrics, HTTP_PUBLIC, 0, 0},
    {"GET", "/api/openapi.json", api_openapi, HTTP_PUBLIC, 0, 0},
    {"POST", "/api/auth/login", api_login, HTTP_PUBLIC, 4 * KiB, HTTP_SAME_ORIGIN | HTTP_JSON_BODY},
    {"POST", "/api/auth/logout", api_logout, HTTP_USER, 1 * KiB, 0},
    {"GET", "/api/auth/me", api_me, HTTP_USER, 0, 0},
    {"GET", "/api/users", api_users_list, HTTP_MANAGER, 0, 0},
    /* Offloaded: with "invite": true it may mail the link (invitations.c). */
    {"POST", "/api/users", api_users_create, HTTP_ADMIN, 8 * KiB, HTTP_JSON_BODY | HTTP_OFFLOAD},
    {"PATCH", "/api/users/{id}", api_users_update, HTTP_USER, 8 * KiB, 0},
    {"DELETE", "/api/users/{id}", api_users_delete, HTTP_ADMIN, 0, 0},
    {"GET", "/api/users/{id}/grants", api_grants_get, HTTP_ADMIN, 0, 0},
    {"PUT", "/api/users/{id}/grants", api_grants_put, HTTP_ADMIN, 320 * KiB, 0},
    {"GET", "/api/activity", api_activity, HTTP_MANAGER, 0, 0},
    {"GET", "/api/search", api_search, HTTP_USER, 0, HTTP_LOADS_CALLER},
    {"DELETE", "/api/delete/{key...}", api_delete_one, HTTP_USER, 0,
     HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"POST", "/api/delete", api_delete_many, HTTP_USER, 256 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/buckets", api_buckets, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"GET", "/api/list", api_list, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"GET", "/api/object", api_object, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    /* 1000 sources of up to 1024 bytes, with room for the other fields. */
    {"POST", "/api/copy", api_copy, HTTP_USER, 1088 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"POST", "/api/rename", api_rename, HTTP_USER, 16 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"POST", "/api/folders", api_folders_create, HTTP_USER, 8 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/stats", api_stats, HTTP_USER, 0, HTTP_LOADS_CALLER},
    {"POST", "/api/uploads", api_uploads_create, HTTP_USER, 16 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/uploads/{uploadId}", api_uploads_get, HTTP_USER, 0,
     HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"POST", "/api/uploads/{uploadId}/parts", api_uploads_parts, HTTP_USER, 8 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    /* 10,000 parts of ~60 bytes each, with room for long ETags. */
    {"POST", "/api/uploads/{uploadId}/complete", api_uploads_complete, HTTP_USER, 1024 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"DELETE", "/api/uploads/{uploadId}", api_uploads_abort, HTTP_USER, 0,
     HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"GET", "/api/download", api_download, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"POST", "/api/upload", api_upload, HTTP_USER, HTTP_BODY_STREAMED,
     HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"GET", "/api/download-zip", api_download_zip, HTTP_USER, 0,
     HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    /* Who may create, see and revoke shares depends on the share: files/shares.h decides. */
    {"POST", "/api/shares", api_shares_create, HTTP_USER, 16 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/shares", api_shares_list, HTTP_USER, 0, HTTP_LOADS_CALLER},
    {"DELETE", "/api/shares/{id}", api_shares_revoke, HTTP_USER, 0, HTTP_LOADS_CALLER},
    /* The public link: no session; POST carries the password form. */
    {"GET", "/s/{token}", api_share_open, HTTP_PUBLIC, 0, 0},
    {"POST", "/s/{token}", api_share_open, HTTP_PUBLIC, 8 * KiB, 0},
    {"GET", "/api/notifications", api_notifications, HTTP_USER, 0, HTTP_LOADS_CALLER},
    /* A WebSocket: also ?token= (browsers cannot set headers on one); see middleware.c. */
    {"GET", "/api/notifications/ws", api_notifications_ws, HTTP_USER, 0, HTTP_LOADS_CALLER},
    /* The MinIO / Ceph webhook: public, authenticated by SEAU_WEBHOOK_SECRET in the handler. */
    {"POST", "/api/events/s3", api_events_s3, HTTP_PUBLIC, 1024 * KiB, 0},
    /* Single sign-on (OpenID Connect): public; the callback is bound to its pre-login cookie. */
    {"GET", "/api/auth/providers", api_auth_providers, HTTP_PUBLIC, 0, 0},
    {"GET", "/api/auth/oidc/{provider}/start", api_oidc_start, HTTP_PUBLIC, 0, 0},
    {"GET", "/api/auth/oidc/{provider}/callback", api_oidc_callback, HTTP_PUBLIC, 0, 0},
    {"GET", "/api/auth/oidc/{provider}/logout", api_oidc_logout, HTTP_PUBLIC, 0, 0},
    /* MFA, sessions, personal access tokens, access explainer (API.md "Identity providers..."). */
    {"POST", "/api/auth/mfa", api_mfa_verify, HTTP_PUBLIC, 4 * KiB,
     HTTP_SAME_ORIGIN | HTTP_JSON_BODY},
    {"GET", "/api/auth/mfa", api_mfa_status, HTTP_USER, 0, 0},
    {"DELETE", "/api/auth/mfa", api_mfa_disable, HTTP_USER, 4 * KiB, HTTP_JSON_BODY},
    {"POST", "/api/auth/mfa/setup", api_mfa_setup, HTTP_USER, 1 * KiB, 0},
    {"POST", "/api/auth/mfa/confirm", api_mfa_confirm, HTTP_USER, 4 * KiB, HTTP_JSON_BODY},
    {"DELETE", "/api/users/{id}/mfa", api_user_mfa_reset, HTTP_ADMIN, 0, 0},
    {"GET", "/api/auth/sessions", api_sessions_list, HTTP_USER, 0, 0},
    {"DELETE", "/api/auth/sessions", api_sessions_end_others, HTTP_USER, 0, 0},
    {"DELETE", "/api/auth/sessions/{id}", api_session_end, HTTP_USER, 0, 0},
    {"GET", "/api/tokens", api_tokens_list, HTTP_USER, 0, 0},
    {"POST", "/api/tokens", api_tokens_create, HTTP_USER, 4 * KiB, HTTP_JSON_BODY},
    {"DELETE", "/api/tokens/{id}", api_tokens_revoke, HTTP_USER, 0, 0},
    {"GET", "/api/access/explain", api_access_explain, HTTP_ADMIN, 0, 0},
    /* Upload links (api/upload_links.c, api/upload_link_page.c): managed by managers and
     * admins; the page and its form are public, authenticated by the link's token. */
    {"POST", "/api/upload-links", api_upload_links_create, HTTP_MANAGER, 16 * KiB,
     HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/upload-links", api_upload_links_list, HTTP_MANAGER, 0, HTTP_LOADS_CALLER},
    {"DELETE", "/api/upload-links/{id}", api_upload_links_revoke, HTTP_MANAGER, 0,
     HTTP_LOADS_CALLER},
    {"GET", "/u/{token}", api_upload_link_page, HTTP_PUBLIC, 0, 0},
    {"POST", "/u/{token}/upload", api_upload_link_upload, HTTP_PUBLIC, HTTP_BODY_STREAMED,
     HTTP_NEEDS_S3},
    /* Versions, recycle bin, tags and metadata (recovery.c); files/recovery.h decides rights. */
    {"GET", "/api/versions", api_versions_list, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"POST", "/api/versions/restore", api_versions_restore, HTTP_USER, 8 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"DELETE", "/api/versions", api_versions_delete, HTTP_ADMIN, 0,
     HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"PUT", "/api/buckets/versioning", api_buckets_versioning, HTTP_ADMIN, 4 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/trash", api_trash_list, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    /* 1000 items of a key and a version id (up to 1024 bytes each). */
    {"POST", "/api/trash/restore", api_trash_restore, HTTP_USER, 2112 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"POST", "/api/trash/purge", api_trash_purge, HTTP_MANAGER, 2112 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"GET", "/api/tags", api_tags_get, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    {"PUT", "/api/tags", api_tags_put, HTTP_USER, 16 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    {"PATCH", "/api/object", api_object_patch, HTTP_USER, 16 * KiB,
     HTTP_NEEDS_S3 | HTTP_JSON_BODY | HTTP_LOADS_CALLER},
    /* trust: a folder's totals for bulk actions, and what the bucket's store can do */
    {"GET", "/api/prefix-totals", api_prefix_totals, HTTP_USER, 0, HTTP_LOADS_CALLER},
    {"GET", "/api/capabilities", api_capabilities, HTTP_USER, 0, HTTP_NEEDS_S3 | HTTP_LOADS_CALLER},
    /* invitations (invitations.c): a fresh link (admin); the link's page and its form are public,
     * authenticated by the link's token and throttled like sign-in. */
    {"POST", "/api/users/{id}/invitation", api_user_invitation_reissue, HTTP_ADMIN, 0,
     HTTP_OFFLOAD},
    {"GET", "/api/invitations/{token}", api_invitation_get, HTTP_PUBLIC, 0, 0},
    {"POST", "/api/invitations/{token}", api_invitation_accept, HTTP_PUBLIC, 4 * KiB,
     HTTP_SAME_ORIGIN | HTTP_JSON_BODY},
};

const size_t api_nroutes = sizeof(api_routes) / sizeof(api_routes[0]);
