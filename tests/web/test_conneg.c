/*
 * tests/web/test_conneg: Accept-Encoding and If-None-Match parsing
 * (web/conneg), including the hostile cases: any bytes, NUL inside the
 * value, 64 KiB values, malformed weights and tags.
 */
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "tests/lib/tap.h"
#include "web/conneg.h"

#define TAG "\"0123abcd\""

static bool gz(const char *v)
{
	return web_conneg_gzip(v, v ? strlen(v) : 0);
}

static bool inm(const char *v)
{
	return web_conneg_etag_match(v, v ? strlen(v) : 0, TAG, strlen(TAG));
}

static void accept_encoding(void)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
	    {"gzip", true},
	    {"gzip, deflate, br", true}, /* what browsers send */
	    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
	    {"GZip", true},
	    {"x-gzip", true}, /* RFC 9110 8.4.1.3 */
	    {"  gzip  ;  q=0.5 ", true},
	    {"gzip;Q=1", true},
	    {"gzip;q=1.000", true},
	    {"gzip;q=0.001", true},
	    {"*", true},
	    {"*;q=0.3", true},
	    {"", false},
	    {"identity", false},
	    {"deflate, br", false},
	    {"gzip;q=0", false},
	    {"gzip;q=0.000", false},
	    {"gzip;q=0, *", false}, /* gzip refused by name: * does not bring it back */
	    {"*, gzip;q=0", false}, /* in either order */
	    {"*;q=0", false},
	    {"gzip;q=0, x-gzip;q=1", true}, /* one acceptable spelling is enough */
	    {"gzip;q=2", false},	    /* bad weight: member ignored */
	    {"gzip;q=1.5", false},
	    {"gzip;q=0.1234", false},
	    {"gzip;q=", false},
	    {"gzip;level=9", false},
	    {"gzip2", false},
	    {"gzi", false},
	    {",,, gzip ,,", true},
	    {"gzipp;q=1, xgzip", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tap_ok(gz(cases[i].v) == cases[i].want, "Accept-Encoding: '%s' -> %s", cases[i].v,
		       cases[i].want ? "gzip" : "identity");
	tap_ok(!gz(NULL), "no header: identity (as nginx)");
	tap_ok(!web_conneg_gzip("gz\0ip", 6) && web_conneg_gzip("br\0x, gzip", 10),
	       "NUL inside the value: bytes, not a C string");
	tap_ok(!web_conneg_gzip("gzip", 3), "the length is honoured");
}

static void if_none_match(void)
{
	static const struct {
		const char *v;
		bool want;
	} cases[] = {
	    {TAG, true},
	    {"W/" TAG, true}, /* RFC 9110 8.8.3.2: weak comparison */
	    {"\"x\", " TAG, true},
	    {"\"x\",W/" TAG ",\"y\"", true},
	    {"*", true},
	    {"  *  ", true},
	    {"\"x\", , " TAG, true},
	    {"\"0123abce\"", false},
	    {"\"0123abcd", false},
	    {"0123abcd", false},
	    {"\"0123ABCD\"", false},	 /* opaque tags are case-sensitive */
	    {"\"x\" junk, " TAG, false}, /* nothing after a bad member is trusted */
	    {"*, " TAG, false},
	    {"w/" TAG, false},
	    {"", false},
	    {"\"\"", false},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tap_ok(inm(cases[i].v) == cases[i].want, "If-None-Match: '%s' -> %s", cases[i].v,
		       cases[i].want ? "match" : "no match");
	tap_ok(!inm(NULL), "no header: no match");
	tap_ok(web_conneg_etag_match(TAG, strlen(TAG), "W/" TAG, strlen(TAG) + 2),
	       "a weak tag of ours compares weakly too");
	tap_ok(!web_conneg_etag_match("\"01\0\"", 5, "\"01\0\"", 5),
	       "NUL is not an etagc: no match");
}

static void hostile(void)
{
	size_t n = 64 * 1024;
	char *v = xmalloc(n);

	memset(v, ',', n);
	memcpy(v + n - 4, "gzip", 4);
	tap_ok(web_conneg_gzip(v, n), "64 KiB of commas, then gzip");
	memset(v, '"', n);
	tap_ok(!web_conneg_etag_match(v, n, TAG, strlen(TAG)), "64 KiB of quotes: no match");
	for (size_t i = 0; i < n; i++)
		v[i] = (char)(i * 131 + 7);
	(void)web_conneg_gzip(v, n);
	(void)web_conneg_etag_match(v, n, TAG, strlen(TAG));
	tap_ok(true, "64 KiB of arbitrary bytes: no crash (ASan watches the reads)");
	free(v);
}

int main(void)
{
	accept_encoding();
	if_none_match();
	hostile();
	return tap_done();
}
