/*
 * web/gzip: one-shot gzip through zlib (see gzip.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>
#include "common/xmalloc.h"
#include "web/gzip.h"

/* zlib's default trade-off: level 4 is twice as fast here but its output twice as big. */
#define LEVEL 6
/* RFC 1952 framing instead of zlib's (windowBits 15, +16 asks deflate for a gzip wrapper). */
#define GZIP_WINDOW (15 + 16)
#define MEM_LEVEL 8

enum mp_err web_gzip_encode(const char *data, size_t len, char **out, size_t *out_len)
{
	z_stream z = {0};
	size_t cap;
	char *buf;
	int rc;

	if (len < WEB_GZIP_MIN || len > (size_t)UINT32_MAX)
		return ERR_LIMIT;
	if (deflateInit2(&z, LEVEL, Z_DEFLATED, GZIP_WINDOW, MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK)
		return ERR_IO;
	/* Output no larger than the input, or it is not worth sending. */
	cap = len;
	buf = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return rc == Z_OK || rc == Z_BUF_ERROR ? ERR_LIMIT : ERR_IO;
	}
	*out_len = cap - z.avail_out;
	*out = xreallocarray(buf, *out_len, 1);
	return ERR_OK;
}
