/*
 * web/gzip: gzip-compress a rendered page once, so the server can answer
 * "Accept-Encoding: gzip" (every browser sends it) with bytes made when the
 * snapshot changed instead of on every request.  zlib behind one function
 * (the ONLY module that includes zlib.h, STYLE.md 6).
 *
 * The status page of 1,000 domains is 5-6 MB of very repetitive HTML (90
 * history cells per domain) and compresses about 35 times; its JSON about
 * 30 times.  Sending 5 MB per request is what limits the server, not
 * rendering it (bench/web).
 *
 * What it does not: decompress, stream, or choose when to compress
 * (web/conneg and web/http do).  RFCs: 1952 (gzip file format), 1951
 * (DEFLATE), 9110 8.4.1.3 (the gzip content coding).
 */
#ifndef MAILPULSE_WEB_GZIP_H
#define MAILPULSE_WEB_GZIP_H

#include <stddef.h>
#include "common/err.h"

/* Bodies smaller than this are not worth compressing (one TCP segment). */
#define WEB_GZIP_MIN 1024

/*
 * Compress [data, data+len) into one gzip member (RFC 1952) at zlib level
 * 6.  ERR_OK: *out (caller frees with free()) holds *out_len bytes.
 * ERR_LIMIT: len is below WEB_GZIP_MIN, or the result would not be
 * smaller than the input (send it uncompressed then).  ERR_IO: zlib failed.
 */
enum mp_err web_gzip_encode(const char *data, size_t len, char **out, size_t *out_len) MP_WUR;

#endif
