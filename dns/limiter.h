/*
 * dns/limiter: the resolver's ceiling on queries per second, a token
 * bucket.  Tokens accrue at `rate` per second up to a burst of rate/10
 * (at least 1), so a fresh batch of questions goes out in small bursts and
 * a long run averages the rate (DESIGN.md 3: users point mailpulse at
 * shared or public resolvers).
 *
 * It does not queue anything (the resolver keeps the FIFO) and reads no
 * clock: the time is passed in, so tests run on a fixed clock.
 */
#ifndef MAILPULSE_DNS_LIMITER_H
#define MAILPULSE_DNS_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

struct dns_limiter {
	unsigned rate; /* tokens per second; 0: no ceiling */
	double burst;  /* most tokens held */
	double tokens;
	uint64_t last_ms; /* when tokens was last brought up to date */
};

/* A full bucket at now_ms for rate queries per second (0: unlimited). */
void dns_limiter_init(struct dns_limiter *l, unsigned rate, uint64_t now_ms);
/* Spend one token if there is one at now_ms; true when the query may go. */
bool dns_limiter_take(struct dns_limiter *l, uint64_t now_ms);
/* Milliseconds from now_ms until a token is there (0: one is there now). */
int dns_limiter_wait_ms(struct dns_limiter *l, uint64_t now_ms);

#endif
