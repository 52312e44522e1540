/*
 * tests/fuzz/fuzz_jsonw: the hot-path writers of common/ checked against
 * their slow definitions on any bytes: a JSON string from common/jsonw is
 * exactly what jansson (common/json) dumps for the same bytes (RFC 8259 7,
 * U+FFFD for invalid UTF-8 as RFC 3629 allows), also when written into a
 * buffer whose limit is its exact length; common_str_lower() folds as
 * common_str_lc() byte by byte; common_buf_printf() and xasprintf() give
 * what snprintf() gives, or ERR_LIMIT with the buffer unchanged.  A
 * difference aborts.  The first input byte picks the buffer's limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/jsonw.h"
#include "common/str.h"
#include "common/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The JSON string of [s, s+n) written by jsonw into a buffer of limit max (n + 2 .. 6n + 2). */
static char *jsonw_string(const char *s, size_t n, size_t max, size_t *len)
{
	struct buf b;
	struct common_jsonw w;

	common_buf_init(&b, max);
	common_jsonw_init(&w, &b);
	common_jsonw_str(&w, s, n);
	return common_buf_steal(&b, len);
}

static void check_jsonw(const char *s, size_t n)
{
	struct common_json *j = common_json_string(s, n);
	char *theirs = common_json_dump(j, false), *mine, *again;
	size_t len, len2;

	mine = jsonw_string(s, n, 6 * n + 2, &len);
	if (len != strlen(theirs) || memcmp(mine, theirs, len) != 0)
		abort();
	/* room made exactly: the limit is reached only when the text passes it */
	again = jsonw_string(s, n, len, &len2);
	if (len2 != len || memcmp(again, mine, len) != 0)
		abort();
	free(again);
	free(mine);
	free(theirs);
	common_json_free(j);
}

static void check_lower(const char *s, size_t n)
{
	char *a = xmemdup0(s, n), *b = xmemdup0(s, n);

	common_str_lower(a);
	for (size_t i = 0; i < n && b[i] != '\0'; i++)
		b[i] = (char)common_str_lc((unsigned char)b[i]);
	if (memcmp(a, b, n + 1) != 0)
		abort();
	free(a);
	free(b);
}

static void check_printf(const char *s, size_t n, size_t max)
{
	char *z = xmemdup0(s, n), *want = xasprintf("%s|%zu|%c", z, n, 'x');
	int wn = snprintf(NULL, 0, "%s|%zu|%c", z, n, 'x');
	struct buf b;
	enum mp_err e;

	if (wn < 0 || strlen(want) != (size_t)wn)
		abort();
	common_buf_init(&b, max);
	if (common_buf_append(&b, "pre", max < 3 ? 0 : 3) != ERR_OK)
		abort();
	e = common_buf_printf(&b, "%s|%zu|%c", z, n, 'x');
	if (e == ERR_OK) {
		if (b.len != (max < 3 ? 0 : 3) + (size_t)wn ||
		    strcmp(common_buf_str(&b) + (max < 3 ? 0 : 3), want) != 0)
			abort();
	} else if (e != ERR_LIMIT || b.len != (max < 3 ? 0 : 3) || b.len + (size_t)wn <= max ||
		   b.data[b.len] != '\0') {
		abort();
	}
	common_buf_free(&b);
	free(want);
	free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t n, max;

	if (size == 0)
		return 0;
	/* limits around the 256-byte stack buffer and the first 64-byte allocation */
	max = (size_t)data[0] * 3;
	s = (const char *)data + 1;
	n = size - 1;
	check_jsonw(s, n);
	check_lower(s, n);
	check_printf(s, n, max);
	return 0;
}
