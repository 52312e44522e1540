/*
 * tests/dns/test_servers: dns/servers turns `--resolver` / `resolvers =`
 * entries into c-ares' CSV: every accepted form, the default port, and the
 * refusals (names, bad ports, broken brackets, hostile bytes, 64 KB input).
 */
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/servers.h"
#include "tests/lib/tap.h"

/* The CSV for the given entries, or NULL when refused. */
static char *csv_of(const char *const *v, size_t n)
{
	char *out = NULL;

	return dns_servers_csv(v, n, &out) == ERR_OK ? out : NULL;
}

static void one(const char *in, const char *want)
{
	const char *v[] = {in};
	char *got = csv_of(v, 1);

	if (want == NULL)
		tap_ok(got == NULL, "'%s' is refused", in);
	else
		tap_is_str(got ? got : "(refused)", want, "'%s' -> %s", in, want);
	free(got);
}

int main(void)
{
	const char *many[] = {"127.0.0.1:5353", "[::1]:53", "192.0.2.1", "2001:db8::1"};
	const char *bad_tail[] = {"127.0.0.1", "ns.example"};
	char *got, *big;

	one("127.0.0.1", "127.0.0.1:53");
	one("127.0.0.1:5353", "127.0.0.1:5353");
	one("[::1]", "[::1]:53");
	one("[::1]:5353", "[::1]:5353");
	one("2001:db8::53", "[2001:db8::53]:53");
	one("127.0.0.1:65535", "127.0.0.1:65535");
	one("127.0.0.1:0", NULL);
	one("127.0.0.1:65536", NULL);
	one("127.0.0.1:", NULL);
	one("127.0.0.1:53x", NULL);
	one("127.0.0.1:-1", NULL);
	one("ns.example", NULL);
	one("ns.example:53", NULL);
	one("", NULL);
	one(":53", NULL);
	one("[::1", NULL);
	one("[::1]x", NULL);
	one("[]:53", NULL);
	one("[127.0.0.1]:53", NULL);
	one("256.0.0.1", NULL);
	one("127.0.0.1 ", NULL);
	one("127.0.0.1\n,8.8.8.8", NULL);
	one("1.2.3.4,5.6.7.8", NULL); /* one entry is one address: no CSV injection */

	got = csv_of(many, 4);
	tap_is_str(got ? got : "(refused)", "127.0.0.1:5353,[::1]:53,192.0.2.1:53,[2001:db8::1]:53",
		   "four entries, in order, comma separated");
	free(got);
	got = (char *)1;
	tap_ok(dns_servers_csv(bad_tail, 2, &got) == ERR_INVAL && got == (char *)1,
	       "one bad entry refuses the list and leaves *out alone");
	got = csv_of(NULL, 0);
	tap_is_str(got ? got : "(refused)", "", "no entries: the empty string");
	free(got);

	big = xmalloc(65537);
	memset(big, '1', 65536);
	big[65536] = '\0';
	one(big, NULL);
	memcpy(big, "127.0.0.1:", 10);
	one(big, NULL); /* a 64 KB port */
	free(big);
	return tap_done();
}
