/*
 * tests/fuzz/fuzz_dkim_key: the DKIM key record parser (dns/dkim_key) and
 * the DKIM posture check over a fake zone holding the input as the key of a
 * configured selector (CNAME-free).  Any input must give a clean verdict.
 */
#include <stdint.h>
#include <string.h>
#include "dns/dkim_key.h"
#include "tests/lib/fakezone.h"

struct arg {
	struct dns_book *book;
	struct dns_findings f;
	struct dns_dkim_key_result res;
};

static enum mp_err step(void *p)
{
	struct arg *a = p;
	static const char *const sels[] = {"fz"};
	struct dns_dkim_key_opts o = {.selectors = sels, .n_selectors = 1, .no_discovery = true};
	enum mp_err e;

	dns_findings_clear(&a->f);
	dns_dkim_key_result_free(&a->res);
	e = dns_dkim_key_check(a->book, "fuzz.test", &o, &a->f, &a->res);
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_dkim_key k;
	char why[256];
	struct fakezone *z;
	struct arg a = {0};

	if (dns_dkim_key_parse((const char *)data, size, &k, why, sizeof why) == ERR_OK)
		dns_dkim_key_free(&k);
	(void)dns_dkim_key_looks_like((const char *)data, size);
	if (size > 4096)
		return 0; /* the posture path adds nothing new for big inputs */
	z = fakezone_new();
	fakezone_add(z, "fz._domainkey.fuzz.test", DNS_T_TXT, data, size, 0);
	a.book = dns_book_new(8);
	dns_findings_init(&a.f);
	if (fakezone_run(z, a.book, step, &a) != ERR_OK)
		__builtin_trap(); /* the check must complete on any record */
	dns_findings_clear(&a.f);
	dns_dkim_key_result_free(&a.res);
	dns_book_free(a.book);
	fakezone_free(z);
	return 0;
}
