/*
 * web/conneg: the two request headers that let web/http answer from its
 * cache cheaply: Accept-Encoding (may the body be sent gzip-compressed?)
 * and If-None-Match (does the client already hold this representation, so
 * that 304 Not Modified with no body will do?).  Pure functions over the
 * header value's bytes; every value is hostile (any length, any bytes).
 *
 * What it does not: compress (web/gzip), build entity tags (web/current),
 * other conditionals (If-Modified-Since, If-Match, Range: the cached pages
 * have no Last-Modified and are small enough to send whole).  RFCs: 9110
 * 12.5.3 (Accept-Encoding, qvalues 12.4.2), 8.4.1.3 (gzip, x-gzip), 13.1.2
 * (If-None-Match), 8.8.3 (entity tags, weak comparison 8.8.3.2).
 */
#ifndef MAILPULSE_WEB_CONNEG_H
#define MAILPULSE_WEB_CONNEG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when the Accept-Encoding value [v, v+len) makes gzip acceptable:
 * "gzip" or "x-gzip" listed with a qvalue above 0, or, when neither is
 * listed, "*" with a qvalue above 0 (RFC 9110 12.5.3).  Coding names are
 * case-insensitive; a member whose weight cannot be parsed is ignored.
 * v NULL (no header) gives false: RFC 9110 would allow any coding then,
 * but clients that send none often cannot decode one (curl without
 * --compressed), so, as nginx does, they get the identity.
 */
bool web_conneg_gzip(const char *v, size_t len);

/*
 * True when the If-None-Match value [v, v+len) matches etag (the quoted
 * opaque-tag, e.g. "\"3f2a\"", etag_len bytes): "*", or a listed entity
 * tag equal to it by weak comparison (a W/ prefix on either side is
 * ignored, RFC 9110 8.8.3.2).  v NULL gives false; so does a malformed list
 * from the first bad member on (nothing after it is trusted).
 */
bool web_conneg_etag_match(const char *v, size_t len, const char *etag, size_t etag_len);

#endif
