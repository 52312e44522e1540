/*
 * dns/limiter: a token bucket (see limiter.h).
 */
#include "dns/limiter.h"

void dns_limiter_init(struct dns_limiter *l, unsigned rate, uint64_t now_ms)
{
	l->rate = rate;
	l->burst = rate / 10 ? rate / 10 : 1;
	l->tokens = l->burst;
	l->last_ms = now_ms;
}

static void refill(struct dns_limiter *l, uint64_t now_ms)
{
	if (now_ms > l->last_ms)
		l->tokens += (double)(now_ms - l->last_ms) * l->rate / 1000.0;
	if (l->tokens > l->burst)
		l->tokens = l->burst;
	l->last_ms = now_ms;
}

bool dns_limiter_take(struct dns_limiter *l, uint64_t now_ms)
{
	if (l->rate == 0)
		return true;
	refill(l, now_ms);
	if (l->tokens < 1.0)
		return false;
	l->tokens -= 1.0;
	return true;
}

int dns_limiter_wait_ms(struct dns_limiter *l, uint64_t now_ms)
{
	if (l->rate == 0)
		return 0;
	refill(l, now_ms);
	if (l->tokens >= 1.0)
		return 0;
	return (int)((1.0 - l->tokens) * 1000.0 / l->rate) + 1;
}
