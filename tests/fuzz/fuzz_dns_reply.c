/*
 * tests/fuzz/fuzz_dns_reply: dns/reply on arbitrary bytes, as if a hostile
 * server had sent them.  Input: one byte picking the asked type, one byte
 * n, n bytes of the asked name, then the reply.  A reply that ends at an
 * alias is fed again for the target (as the resolver would ask it), at most
 * 10 times, which walks the chain state.  Invariants: an answer always
 * comes; DATA has records and nothing else has; TEMPFAIL and MALFORMED say
 * why; every record's bytes are NUL-terminated at len.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dns/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t types[] = {DNS_T_A,   DNS_T_AAAA, DNS_T_MX,  DNS_T_TXT, DNS_T_CNAME,
				 DNS_T_PTR, DNS_T_NS,	DNS_T_SOA, 99};

static void check(bool cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_reply_chain chain;
	struct dns_reply_result r = {NULL, 0};
	char name[256];
	uint16_t type;
	size_t n;

	if (size < 2 || (size_t)data[1] + 2 > size)
		return 0;
	type = types[data[0] % (sizeof types / sizeof types[0])];
	n = data[1];
	memcpy(name, data + 2, n);
	name[n] = '\0';
	if (dns_reply_chain_init(&chain, name) != ERR_OK) {
		dns_reply_chain_free(&chain);
		return 0;
	}
	data += 2 + n;
	size -= 2 + n;
	for (int round = 0; round < 10 && r.ans == NULL; round++)
		dns_reply_read(data, size, type, &chain, name, 30, &r);
	if (r.ans) {
		check(r.ans->outcome != DNS_DATA || r.ans->n > 0);
		check(r.ans->outcome == DNS_DATA || r.ans->n == 0);
		for (size_t i = 0; i < r.ans->n; i++)
			check(r.ans->rr[i].data[r.ans->rr[i].len] == '\0');
		check((r.ans->why != NULL) ==
		      (r.ans->outcome == DNS_TEMPFAIL || r.ans->outcome == DNS_MALFORMED));
		dns_answer_free(r.ans);
	}
	check(chain.hops <= DNS_REPLY_MAX_CNAME);
	dns_reply_chain_free(&chain);
	return 0;
}
