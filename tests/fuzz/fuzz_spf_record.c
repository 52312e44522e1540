/*
 * tests/fuzz/fuzz_spf_record: the SPF record parser (dns/spf_record) on any
 * bytes.  Checks what must hold for every accepted record: terms lie inside
 * the record, CIDR lengths are in range, redirect/exp point at their terms.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const struct dns_spf_record *rec)
{
	const char *end = rec->text + rec->len;

	for (size_t i = 0; i < rec->n; i++) {
		const struct dns_spf_term *t = &rec->terms[i];

		if (t->text < rec->text || t->text + t->len > end || t->len == 0)
			abort();
		if (t->spec && (t->spec < t->text || t->spec + t->spec_len > t->text + t->len))
			abort();
		if (t->cidr4 > 32 || t->cidr6 > 128)
			abort();
		if ((t->kind == DNS_SPF_REDIRECT && rec->redirect != t) ||
		    (t->kind == DNS_SPF_EXP && rec->exp != t))
			abort(); /* at most one of each, so it is this one */
	}
	if (rec->n > DNS_SPF_TERMS_MAX || rec->len > DNS_SPF_RECORD_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_spf_record *rec = NULL;
	struct dns_spf_syntax why;
	struct dns_answer *ans;
	const struct dns_rr *rr;
	enum mp_err e = dns_spf_record_parse(data, size, &rec, &why);

	if (e == ERR_OK) {
		check_record(rec);
		dns_spf_record_free(rec);
	} else if (why.reason == NULL || strlen(why.term) >= sizeof why.term) {
		abort();
	}
	/* Selection over an answer holding the input twice and once alone. */
	ans = dns_answer_new("fuzz.example.test", DNS_T_TXT, DNS_DATA, NULL);
	dns_answer_add(ans, data, size, 300, 0);
	if (dns_spf_record_select(ans, &rr) != (dns_spf_record_is_spf(data, size) ? 1u : 0u))
		abort();
	dns_answer_add(ans, data, size, 300, 0);
	if (dns_spf_record_select(ans, &rr) == 1)
		abort();
	dns_answer_free(ans);
	return 0;
}
