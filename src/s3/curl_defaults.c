#include "s3/curl_defaults.h"

#include "s3/internal.h"

CURLcode s3_curl_defaults(CURL *h, long connect_timeout_ms)
{
    return s3__curl_defaults(h, connect_timeout_ms);
}
