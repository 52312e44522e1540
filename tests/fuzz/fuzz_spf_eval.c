/*
 * tests/fuzz/fuzz_spf_eval: check_host() (dns/spf_eval), the walker and the
 * posture findings (dns/spf_walk, dns/spf_posture) on fuzzed records.
 *
 * The input holds up to three parts separated by newlines: the TXT record
 * of fuzz.example.test, of inc.example.test, and the text at
 * exp.example.test.  The zone also has a few fixed names so that includes,
 * redirects, a, mx, ptr and exists have something to find.  Every result
 * must be a verdict with a reason, and every walk must complete.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_eval.h"
#include "dns/spf_posture.h"
#include "tests/lib/fakezone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct dns_book *book;
	struct dns_spf_request req;
	struct dns_spf_result *res;
	struct dns_findings f;
	bool posture;
};

static enum mp_err step(void *arg)
{
	struct run *r = arg;

	if (r->posture)
		return dns_spf_posture(r->book, "fuzz.example.test", &r->f, NULL);
	return dns_spf_eval(r->book, &r->req, &r->res);
}

static struct fakezone *make_zone(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"fuzz.example.test", "inc.example.test",
					    "exp.example.test"};
	struct fakezone *z = fakezone_new();
	size_t part = 0, start = 0;

	for (size_t i = 0; i <= size && part < 3; i++) {
		if (i < size && data[i] != '\n')
			continue;
		fakezone_add(z, names[part++], DNS_T_TXT, data + start, i - start, 0);
		start = i + 1;
	}
	fakezone_add_txt(z, "other.example.test", "v=spf1 ip4:198.51.100.0/24 ?all");
	fakezone_add_addr(z, "fuzz.example.test", "192.0.2.1");
	fakezone_add_addr(z, "fuzz.example.test", "2001:db8::1");
	fakezone_add_mx(z, "fuzz.example.test", 10, "mx.example.test");
	fakezone_add_addr(z, "mx.example.test", "192.0.2.2");
	fakezone_add_ptr(z, "1.2.0.192.in-addr.arpa", "fuzz.example.test");
	fakezone_set_timeout(z, "slow.example.test");
	fakezone_add_cname(z, "loop.example.test", "loop.example.test");
	return z;
}

static void eval_one(struct fakezone *z, const char *ip, enum dns_spf_identity id)
{
	struct run r = {.book = dns_book_new(200)};

	if (dns_spf_ip_parse(ip, &r.req.ip) != ERR_OK)
		abort();
	r.req.identity = id;
	r.req.sender = "user@fuzz.example.test";
	r.req.helo = "fuzz.example.test";
	r.req.default_explanation = "%{i} is not allowed by %{d}";
	if (fakezone_run(z, r.book, step, &r) != ERR_OK || r.res == NULL || r.res->reason == NULL)
		abort();
	if (r.res->dns_terms > DNS_SPF_MAX_DNS_TERMS || r.res->void_lookups > DNS_SPF_MAX_VOID + 1)
		abort();
	dns_spf_result_free(r.res);
	dns_book_free(r.book);
}

static void posture(struct fakezone *z)
{
	struct run r = {.book = dns_book_new(200), .posture = true};

	dns_findings_init(&r.f);
	if (fakezone_run(z, r.book, step, &r) != ERR_OK || r.f.n == 0)
		abort();
	dns_findings_clear(&r.f);
	dns_book_free(r.book);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fakezone *z;

	if (size > 3 * DNS_SPF_RECORD_MAX)
		return 0;
	z = make_zone(data, size);
	eval_one(z, "192.0.2.1", DNS_SPF_ID_MAILFROM);
	eval_one(z, "2001:db8::1", DNS_SPF_ID_MAILFROM);
	eval_one(z, "198.51.100.7", DNS_SPF_ID_HELO);
	posture(z);
	fakezone_free(z);
	return 0;
}
