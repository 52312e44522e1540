/* tests/common/test_buf: the bounded buffer and the cursor. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/cursor.h"
#include "tests/lib/tap.h"

/* printf through common_buf_vprintf (the va_list path). */
static enum mp_err vp(struct buf *b, const char *fmt, ...) MP_PRINTF(2, 3);
static enum mp_err vp(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum mp_err e;

	va_start(ap, fmt);
	e = common_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return e;
}

/*
 * The inline fast paths and the one-pass printf: the same bytes, limits and
 * unchanged-on-failure behaviour whether the text lands in spare memory,
 * on the stack, or needs growth.
 */
static void fast_paths(void)
{
	struct buf b;
	char *big = malloc(70000);
	bool all = true;

	/* max below the first allocation (64 bytes): the limit still holds byte by byte */
	common_buf_init(&b, 5);
	for (int i = 0; i < 5; i++)
		all = all && common_buf_putc(&b, (char)('a' + i)) == ERR_OK;
	tap_ok(all && common_buf_putc(&b, 'x') == ERR_LIMIT && b.len == 5 &&
		   strcmp(common_buf_str(&b), "abcde") == 0,
	       "putc up to a small max, then ERR_LIMIT, unchanged");
	tap_ok(common_buf_append(&b, "", 0) == ERR_OK && b.len == 5, "empty append at max");
	common_buf_reset(&b);
	tap_ok(common_buf_append(&b, "abcdef", 6) == ERR_LIMIT && b.len == 0 && b.data[0] == '\0',
	       "append past a small max with memory to spare fails");
	common_buf_free(&b);

	/* printf in place: spare memory >= 256 bytes after the first growth */
	common_buf_init(&b, 1000);
	tap_ok(common_buf_append(&b, "x", 1) == ERR_OK && common_buf_reserve(&b, 600) == ERR_OK,
	       "reserve within max");
	tap_ok(common_buf_printf(&b, "%s-%d", "in place", 5) == ERR_OK &&
		   strcmp(common_buf_str(&b), "xin place-5") == 0,
	       "printf into spare memory");
	memset(big, 'q', 995);
	big[995] = '\0';
	tap_ok(common_buf_printf(&b, "%s", big) == ERR_LIMIT && b.len == 11 &&
		   strcmp(common_buf_str(&b), "xin place-5") == 0,
	       "printf past max with spare memory: ERR_LIMIT, contents and NUL unchanged");
	big[989] = '\0';
	tap_ok(common_buf_printf(&b, "%s", big) == ERR_OK && b.len == 1000 && b.data[1000] == '\0',
	       "printf that fills the buffer to max exactly");
	tap_ok(vp(&b, "%s", "") == ERR_OK && vp(&b, "%c", 'z') == ERR_LIMIT && b.len == 1000,
	       "vprintf at max: empty fits, one byte does not");
	common_buf_free(&b);

	/* printf larger than both the spare memory and the stack buffer: 64 KB, with NULs */
	common_buf_init(&b, 1 << 20);
	memset(big, 'k', 65536);
	big[65536] = '\0';
	tap_ok(common_buf_printf(&b, "%c%s%c", 0, big, 0) == ERR_OK && b.len == 65538 &&
		   b.data[0] == '\0' && b.data[1] == 'k' && b.data[65536] == 'k' &&
		   b.data[65537] == '\0' && b.data[65538] == '\0',
	       "64 KB printf with NUL bytes");
	common_buf_reset(&b);
	tap_ok(common_buf_printf(&b, "%s", "\xff\xc0\xaf") == ERR_OK && b.len == 3 &&
		   memcmp(b.data, "\xff\xc0\xaf", 4) == 0,
	       "invalid UTF-8 is bytes to printf");
	common_buf_free(&b);

	/* reserve + commit: a writer filling the memory itself */
	common_buf_init(&b, 8);
	tap_ok(common_buf_reserve(&b, 9) == ERR_LIMIT && b.len == 0, "reserve past max fails");
	tap_ok(common_buf_reserve(&b, 8) == ERR_OK, "reserve up to max");
	memcpy(b.data, "12345678", 8);
	common_buf_commit(&b, 8);
	tap_ok(b.len == 8 && strcmp(common_buf_str(&b), "12345678") == 0,
	       "commit makes the bytes part of the contents, NUL after them");
	common_buf_free(&b);

	/* many tiny appends across growth: the same bytes as one memcpy */
	common_buf_init(&b, 70000);
	for (size_t i = 0; i < 70000; i++)
		big[i] = (char)(i * 7 % 251);
	all = true;
	for (size_t i = 0; i < 70000 && all; i += 1 + i % 13) {
		size_t n = 1 + i % 13 > 70000 - i ? 70000 - i : 1 + i % 13;

		all = common_buf_append(&b, big + i, n) == ERR_OK;
	}
	tap_ok(all && b.len == 70000 && memcmp(b.data, big, 70000) == 0 && b.data[70000] == '\0',
	       "70,000 bytes in tiny appends (NULs included)");
	tap_ok(common_buf_putc(&b, 'x') == ERR_LIMIT && b.len == 70000, "putc past max fails");
	common_buf_free(&b);
	free(big);
}

int main(void)
{
	struct buf b;
	struct cursor c;
	char *s;
	size_t len;

	common_buf_init(&b, 10);
	tap_is_str(common_buf_str(&b), "", "empty buffer reads as empty string");
	tap_ok(common_buf_puts(&b, "hello") == ERR_OK, "append within max");
	tap_ok(common_buf_append(&b, "\0x", 2) == ERR_OK, "append bytes with a NUL");
	tap_is_int((long long)b.len, 7, "length counts the NUL byte");
	tap_ok(common_buf_puts(&b, "world") == ERR_LIMIT, "append past max fails");
	tap_is_int((long long)b.len, 7, "failed append leaves buffer unchanged");
	tap_ok(common_buf_printf(&b, "%d", 123) == ERR_OK, "printf within max");
	tap_ok(common_buf_printf(&b, "%d", 1) == ERR_LIMIT, "printf past max fails");
	s = common_buf_steal(&b, &len);
	tap_ok(len == 10 && memcmp(s, "hello\0x123", 10) == 0, "steal hands over the bytes");
	tap_ok(b.len == 0 && b.data == NULL, "steal leaves buffer empty");
	free(s);
	common_buf_free(&b);

	fast_paths();

	common_cursor_init(&c, "ab", 2);
	tap_is_int(common_cursor_get(&c), 'a', "cursor reads first byte");
	tap_ok(common_cursor_accept(&c, 'b'), "cursor accepts expected byte");
	tap_ok(common_cursor_eof(&c) && !c.err, "cursor at end without error");
	tap_is_int(common_cursor_get(&c), -1, "read past end gives -1");
	tap_ok(c.err, "read past end sets sticky error");
	tap_ok(common_cursor_take(&c, 0) == NULL, "sticky error: nothing more can be taken");
	return tap_done();
}
