/*
 * tests/dns/test_limiter: dns/limiter's token bucket on a fixed clock: the
 * burst, the average rate over a long run, the wait it announces, and
 * "unlimited".
 */
#include "dns/limiter.h"
#include "tests/lib/tap.h"

/* Queries the bucket lets through when asked every ms for ms milliseconds. */
static unsigned sent_in(struct dns_limiter *l, uint64_t from, uint64_t ms)
{
	unsigned n = 0;

	for (uint64_t t = from; t < from + ms; t++)
		while (dns_limiter_take(l, t))
			n++;
	return n;
}

int main(void)
{
	struct dns_limiter l;
	unsigned n;

	dns_limiter_init(&l, 200, 1000);
	n = 0;
	while (dns_limiter_take(&l, 1000))
		n++;
	tap_is_int(n, 20, "200 qps: a burst of 20 at once");
	tap_is_int(dns_limiter_wait_ms(&l, 1000), 6, "then the next token in 6 ms (5 ms + 1)");
	tap_ok(!dns_limiter_take(&l, 1004), "none at +4 ms");
	tap_ok(dns_limiter_take(&l, 1006), "one by +6 ms");
	n = sent_in(&l, 2000, 10000);
	tap_ok(n >= 2000 && n <= 2021, "10 s at 200 qps: %u sent (2000 + burst)", n);

	dns_limiter_init(&l, 5, 0);
	tap_ok(dns_limiter_take(&l, 0) && !dns_limiter_take(&l, 0), "5 qps: a burst of 1");
	tap_is_int(dns_limiter_wait_ms(&l, 0), 201, "5 qps: 200 ms between queries");
	n = sent_in(&l, 1, 60000);
	tap_ok(n >= 299 && n <= 301, "60 s at 5 qps: %u sent", n);

	dns_limiter_init(&l, 0, 0);
	tap_is_int(dns_limiter_wait_ms(&l, 0), 0, "unlimited: never wait");
	tap_ok(dns_limiter_take(&l, 0), "unlimited: always take");

	dns_limiter_init(&l, 100, 5000);
	tap_ok(dns_limiter_take(&l, 4000), "a clock going backwards does not break it");
	return tap_done();
}
