/*
 * tests/fuzz/fuzz_mtasts_policy: the MTA-STS policy parser and MX matcher
 * (dns/mtasts_policy), the _mta-sts TXT parser, and the MTA-STS check with
 * the input as the fetched policy body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dns/mtasts.h"
#include "tests/lib/fakezone.h"

struct arg {
	struct dns_book *book;
	struct dns_mtasts_fetch fetch;
	struct dns_findings f;
	struct dns_mtasts_result res;
};

static enum mp_err step(void *p)
{
	struct arg *a = p;

	dns_findings_clear(&a->f);
	dns_mtasts_result_free(&a->res);
	return dns_mtasts_check(a->book, "fuzz.test", NULL, &a->fetch, &a->f, &a->res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_mtasts_policy p;
	char why[256], *id = NULL;
	struct fakezone *z;
	struct arg a = {0};

	if (dns_mtasts_policy_parse((const char *)data, size, &p, why, sizeof why) == ERR_OK) {
		for (size_t i = 0; i < p.n_mx; i++) {
			(void)dns_mtasts_mx_match(p.mx[i], "mx1.fuzz.test");
			(void)dns_mtasts_mx_match("*.fuzz.test", p.mx[i]);
		}
		dns_mtasts_policy_free(&p);
	}
	if (dns_mtasts_txt_parse((const char *)data, size, &id, why, sizeof why) == ERR_OK)
		free(id);
	z = fakezone_new();
	fakezone_add_txt(z, "_mta-sts.fuzz.test", "v=STSv1; id=1");
	fakezone_add_addr(z, "mta-sts.fuzz.test", "192.0.2.1");
	fakezone_add_mx(z, "fuzz.test", 10, "mx1.fuzz.test");
	fakezone_add_addr(z, "mx1.fuzz.test", "192.0.2.2");
	a.book = dns_book_new(16);
	a.fetch.state = DNS_MTASTS_FETCH_OK;
	a.fetch.http_status = 200;
	a.fetch.body = (const char *)data;
	a.fetch.body_len = size;
	dns_findings_init(&a.f);
	if (fakezone_run(z, a.book, step, &a) != ERR_OK)
		__builtin_trap();
	dns_findings_clear(&a.f);
	dns_mtasts_result_free(&a.res);
	dns_book_free(a.book);
	fakezone_free(z);
	return 0;
}
