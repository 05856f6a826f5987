#include "http/static.h"

#include "core/err.h"
#include "core/str.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".avif", "image/avif"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".webmanifest", "application/manifest+json"},
    {".wasm", "application/wasm"},
};

const char *http_static_mime(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *slash = strrchr(name, '/');
    if (dot && (!slash || dot > slash)) {
        for (size_t i = 0; i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
            if (str_ieq(dot, mime_types[i].ext))
                return mime_types[i].type;
    }
    return "application/octet-stream";
}

bool http_static_path_ok(const char *path)
{
    if (path[0] != '/')
        return false;
    const char *seg = path + 1;
    for (const char *p = path; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7F || c == '\\')
            return false;
    }
    while (*seg) {
        size_t n = strcspn(seg, "/");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        seg += n;
        if (*seg == '/')
            seg++;
    }
    return true;
}

/* Opens root + rel as a regular file; -1 when it is missing or not a file. */
static int open_file(const char *root, const char *rel, struct stat *st)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s%s", root, rel);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool has_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strchr(slash ? slash : path, '.') != NULL;
}

int http_static_reply(struct http_req *req, const char *web_root)
{
    const char *path = req->path;
    if (!http_static_path_ok(path) || strlen(path) > 1024)
        return SEAU_E_NOT_FOUND;
    /* Candidates in order: the file, folder index, Next.js "route.html", the app shell. */
    size_t plen = strlen(path);
    bool dir = path[plen - 1] == '/';
    char cand[4][1100];
    size_t ncand = 0;
    if (!dir)
        snprintf(cand[ncand++], sizeof(cand[0]), "%s", path);
    snprintf(cand[ncand++], sizeof(cand[0]), "%s%sindex.html", path, dir ? "" : "/");
    if (!dir)
        snprintf(cand[ncand++], sizeof(cand[0]), "%s.html", path);
    if (!has_extension(path))
        snprintf(cand[ncand++], sizeof(cand[0]), "/index.html");
    struct stat st;
    int fd = -1;
    const char *served = NULL;
    for (size_t i = 0; i < ncand && fd < 0; i++) {
        fd = open_file(web_root, cand[i], &st);
        served = cand[i];
    }
    if (fd < 0)
        return SEAU_E_NOT_FOUND;

    char etag[64];
    snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st.st_size,
             (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec);
    const char *cache = strncmp(path, "/_next/static/", 14) == 0
                            ? "public, max-age=31536000, immutable"
                            : "no-cache";
    const char *inm = http_req_header(req, "If-None-Match");
    if (inm && (strcmp(inm, "*") == 0 || strstr(inm, etag))) {
        close(fd);
        int rc = http_reply_empty(req, MHD_HTTP_NOT_MODIFIED);
        if (rc == 0) {
            http_add_header(req, "ETag", etag);
            http_add_header(req, "Cache-Control", cache);
        }
        return rc;
    }
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return SEAU_E_NOMEM;
    }
    MHD_add_response_header(r, "Content-Type", http_static_mime(served));
    MHD_add_response_header(r, "ETag", etag);
    MHD_add_response_header(r, "Cache-Control", cache);
    return http_reply_response(req, MHD_HTTP_OK, r, (uint64_t)st.st_size);
}
