/*
 * Rules for the names of S3 buckets, keys and prefixes that Seau accepts
 * (API.md "Key rules"). Shared by configuration, grants and every files
 * handler, so a name is judged the same way everywhere.
 */
#ifndef SEAU_CORE_S3NAME_H
#define SEAU_CORE_S3NAME_H

#define S3NAME_BUCKET_MAX 63
#define S3NAME_KEY_MAX 1024

/* NULL when acceptable, else why not (a sentence fragment naming the rule). */
const char *s3name_bucket_problem(const char *bucket);
/* A key: 1 to 1024 bytes of UTF-8, no control characters, no "." or ".." segment, no leading '/'. */
const char *s3name_key_problem(const char *key);
/* A prefix: "" (everything) or a key-like string; a trailing '/' is usual but not required. */
const char *s3name_prefix_problem(const char *prefix);

#endif
