/* tests/common/test_buf: the bounded buffer and the cursor. */
#include <stdlib.h>
#include <string.h>
#include "common/buf.h"
#include "common/cursor.h"
#include "tests/lib/tap.h"

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

	common_cursor_init(&c, "ab", 2);
	tap_is_int(common_cursor_get(&c), 'a', "cursor reads first byte");
	tap_ok(common_cursor_accept(&c, 'b'), "cursor accepts expected byte");
	tap_ok(common_cursor_eof(&c) && !c.err, "cursor at end without error");
	tap_is_int(common_cursor_get(&c), -1, "read past end gives -1");
	tap_ok(c.err, "read past end sets sticky error");
	tap_ok(common_cursor_take(&c, 0) == NULL, "sticky error: nothing more can be taken");
	return tap_done();
}
