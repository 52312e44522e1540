/* tests/web/test_badge: SVG badges with hostile labels (web/badge). */
#include <stdlib.h>
#include <string.h>
#include "tests/lib/tap.h"
#include "tests/web/fixture.h"
#include "web/badge.h"

static bool has(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle)) != NULL;
}

int main(void)
{
	struct web_snapshot *s = fixture_snapshot(1714564800);
	char *p = NULL;
	size_t n = 0;
	static const char hostile[] = "<script>alert(1)</script>\"&\xff";
	char longlabel[200];

	if (tap_is_int(web_badge_domain(&s->domains[0], NULL, 0, &p, &n), ERR_OK,
		       "badge renders")) {
		tap_ok(has(p, n, "<svg xmlns=\"http://www.w3.org/2000/svg\""), "an SVG document");
		tap_ok(has(p, n, "aria-label=\"mail: failing\"") && has(p, n, "#e05d44"),
		       "critical domain: red 'failing'");
		free(p);
	}
	if (tap_is_int(web_badge_domain(&s->domains[1], NULL, 0, &p, &n), ERR_OK, "ok badge")) {
		tap_ok(has(p, n, ">passing</text>") && has(p, n, "#2da44e"),
		       "ok domain: green 'passing'");
		free(p);
	}
	if (tap_is_int(web_badge_domain(&s->domains[2], hostile, sizeof hostile - 1, &p, &n),
		       ERR_OK, "hostile label renders")) {
		tap_ok(has(p, n, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;\xef\xbf\xbd"),
		       "label escaped and UTF-8 cleaned");
		tap_ok(!has(p, n, "<script"), "no script element");
		tap_ok(has(p, n, ">warning</text>"), "warn domain: 'warning'");
		free(p);
	}
	memset(longlabel, 'x', sizeof longlabel);
	if (tap_is_int(web_badge_render(longlabel, sizeof longlabel, "ok", 2, WEB_SEV_OK, &p, &n),
		       ERR_OK, "long label renders")) {
		tap_ok(has(p, n, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...<") &&
			   !has(p, n, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
		       "label cut at 40 characters");
		tap_ok(has(p, n, "width=\"335\""), "width follows the cut text");
		free(p);
	}
	if (tap_is_int(web_badge_render("\xc3\xa9\xc3\xa9", 4, "ok", 2, WEB_SEV_UNKNOWN, &p, &n),
		       ERR_OK, "UTF-8 label renders")) {
		tap_ok(has(p, n, "width=\"48\"") && has(p, n, "#9f9f9f"),
		       "width counts characters, not bytes; unknown is grey");
		free(p);
	}
	web_snapshot_free(s);
	return tap_done();
}
