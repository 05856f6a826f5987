/*
 * The libcurl settings every outgoing request of Seau starts from (S3, SQS,
 * credentials, identity providers): HTTP and HTTPS only, no redirects
 * followed, peer and host verified, no signals, a bounded connect time.
 */
#ifndef SEAU_S3_CURL_DEFAULTS_H
#define SEAU_S3_CURL_DEFAULTS_H

#include <curl/curl.h>

/* Applies the settings to h; returns CURLE_OK or the first option libcurl refused. */
CURLcode s3_curl_defaults(CURL *h, long connect_timeout_ms);

#endif
