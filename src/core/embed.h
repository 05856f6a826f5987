/*
 * Files compiled into the binary by cmake/embed.cmake: SQL migrations and
 * the OpenAPI document. Each is NUL-terminated; len excludes the NUL.
 */
#ifndef SEAU_CORE_EMBED_H
#define SEAU_CORE_EMBED_H

#include <stddef.h>

struct embedded_file {
    const char *path; /* relative to the source root, e.g. "src/api/openapi.json" */
    const char *data;
    size_t len;
};

/* Terminated by an entry whose path is NULL. */
extern const struct embedded_file embedded_files[];

/* The file at path, or NULL. */
const struct embedded_file *embed_find(const char *path);

#endif
