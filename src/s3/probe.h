/* Is the storage there? The check behind /api/ready and `seau check`. */
#ifndef SEAU_S3_PROBE_H
#define SEAU_S3_PROBE_H

#include "s3/client.h"

#include <stddef.h>

/*
 * HeadBucket on each of buckets[0..n) (ListBuckets when n is 0). Returns 0,
 * or the first failure's code with one sentence naming the bucket and what
 * S3 said in why (never a secret). Costs one request per bucket.
 */
int s3_probe(struct s3_client *s3, char *const *buckets, size_t n, char *why, size_t whylen);

#endif
