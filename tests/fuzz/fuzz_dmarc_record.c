/*
 * tests/fuzz/fuzz_dmarc_record: the DMARC record parser (dns/dmarc_record)
 * and the whole DMARC check (discovery, tree walk, report authorization)
 * over a fake zone where the input is the record at _dmarc.a.fuzz.test and,
 * split at the first newline, at _dmarc.fuzz.test.
 */
#include <stdint.h>
#include <string.h>
#include "dns/dmarc.h"
#include "dns/orgdomain.h"
#include "tests/lib/fakezone.h"

struct arg {
	struct dns_book *book;
	const struct dns_orgdomain *psl;
	struct dns_findings f;
	struct dns_dmarc_result res;
};

static enum mp_err step(void *p)
{
	struct arg *a = p;
	struct dns_dmarc_opts o = {.expected = DNS_DMARC_P_REJECT, .psl = a->psl};

	dns_findings_clear(&a->f);
	dns_dmarc_result_free(&a->res);
	return dns_dmarc_check(a->book, "a.fuzz.test", &o, &a->f, &a->res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Loaded once: the list is read-only and costly to load. */
	static struct dns_orgdomain *psl;
	struct dns_dmarc_record r;
	char why[256];
	struct fakezone *z;
	struct arg a = {0};
	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - data) : size;

	if (dns_dmarc_record_parse((const char *)data, size, &r, why, sizeof why) == ERR_OK)
		dns_dmarc_record_free(&r);
	(void)dns_dmarc_record_is_candidate((const char *)data, size);
	if (size > 4096)
		return 0;
	if (psl == NULL)
		psl = dns_orgdomain_new();
	z = fakezone_new();
	fakezone_add(z, "_dmarc.a.fuzz.test", DNS_T_TXT, data, first, 0);
	if (nl)
		fakezone_add(z, "_dmarc.fuzz.test", DNS_T_TXT, nl + 1, size - first - 1, 0);
	fakezone_add_txt(z, "a.fuzz.test._report._dmarc.vendor.test", "v=DMARC1");
	a.book = dns_book_new(64);
	a.psl = psl;
	dns_findings_init(&a.f);
	if (fakezone_run(z, a.book, step, &a) != ERR_OK)
		__builtin_trap();
	dns_findings_clear(&a.f);
	dns_dmarc_result_free(&a.res);
	dns_book_free(a.book);
	fakezone_free(z);
	return 0;
}
