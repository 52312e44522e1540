/*
 * tests/fuzz/fuzz_web_conneg: the Accept-Encoding and If-None-Match
 * parsers of the status server (web/conneg).  Any bytes: no crash, no read
 * past the input; the first byte splits the input into a header value and
 * an entity tag, and "*" alone must match any tag.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "web/conneg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut;
	/* A private copy, so that reading one byte too far is caught by ASan. */
	char *t = malloc(size ? size : 1);

	if (t == NULL)
		return 0;
	memcpy(t, data, size);
	cut = size > 0 ? (size_t)data[0] % (size + 1) : 0;
	(void)web_conneg_gzip(t, size);
	(void)web_conneg_gzip(t + cut, size - cut);
	(void)web_conneg_etag_match(t, cut, t + cut, size - cut);
	if (!web_conneg_etag_match("*", 1, t, size))
		abort();
	if (size >= 2 && t[0] == '"' && t[size - 1] == '"' &&
	    memchr(t + 1, '"', size - 2) == NULL && memchr(t, 0, size) == NULL &&
	    memchr(t, 0x7f, size) == NULL && memchr(t, ' ', size) == NULL) {
		int ctl = 0;

		for (size_t i = 0; i < size; i++)
			ctl |= (unsigned char)t[i] < 0x21;
		/* A well-formed tag matches itself. */
		if (!ctl && !web_conneg_etag_match(t, size, t, size))
			abort();
	}
	free(t);
	return 0;
}
