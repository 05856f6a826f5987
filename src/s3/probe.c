#include "s3/probe.h"

#include "core/err.h"

#include <stdio.h>
#include <string.h>

/* What S3 said, or what went wrong before it could say anything. */
static const char *describe(const struct s3_error *e, int rc, char *text, size_t n)
{
    if (e->http_status || e->code[0])
        return s3_error_describe(e, text, n);
    return err_message(rc);
}

int s3_probe(struct s3_client *s3, char *const *buckets, size_t n, char *why, size_t whylen)
{
    struct s3_error e;
    memset(&e, 0, sizeof(e));
    char text[512];
    if (n == 0) {
        struct s3_xml_answer a;
        int rc = s3_list_buckets(s3, &a, &e);
        if (rc == 0)
            s3_xml_answer_done(&a);
        else
            snprintf(why, whylen, "ListBuckets failed: %s", describe(&e, rc, text, sizeof(text)));
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = s3_head_bucket(s3, buckets[i], &e);
        if (rc == SEAU_E_NOT_FOUND) {
            snprintf(why, whylen, "bucket %s does not exist", buckets[i]);
            return rc;
        }
        if (rc) {
            snprintf(why, whylen, "bucket %s: %s", buckets[i], describe(&e, rc, text, sizeof(text)));
            return rc;
        }
    }
    return 0;
}
