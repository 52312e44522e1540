/*
 * tests/fuzz/fuzz_report_tlsrpt: mail/report_tlsrpt on hostile JSON.
 * Checks the promises of a parsed report: every string present, one line,
 * at most 1 KiB (joined lists at most MAIL_TLSRPT_MAX_LINES items), the
 * caps on policies and failure-details, a known policy-type, a lower-case
 * policy-domain, begin <= end; and that a refusal always says why.
 * Seeds: tests/fixtures/reports/tlsrpt plus hand-made hostile documents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/report_tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void line(const char *s, size_t max)
{
	size_t n = 0;

	if (s == NULL)
		abort();
	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			abort();
	if (n > max)
		abort();
}

/* Joined lists may hold their separator. */
static void list(const char *s)
{
	if (s == NULL || strlen(s) > (size_t)MAIL_TLSRPT_MAX_LINES * 1025)
		abort();
}

static void check(const struct mail_tlsrpt *t)
{
	if (t->n_policies > MAIL_TLSRPT_MAX_POLICIES || t->begin > t->end || !*t->org_name ||
	    !*t->report_id)
		abort();
	line(t->org_name, 1024);
	line(t->report_id, 1024);
	line(t->contact_info, 1024);
	for (size_t i = 0; i < t->n_policies; i++) {
		const struct mail_tlsrpt_policy *p = &t->policies[i];

		line(p->policy_type, 1024);
		line(p->policy_domain, 1024);
		list(p->policy_string);
		list(p->mx_host);
		if (strcmp(p->policy_type, "sts") && strcmp(p->policy_type, "tlsa") &&
		    strcmp(p->policy_type, "no-policy-found"))
			abort();
		for (const char *c = p->policy_domain; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				abort();
		if (p->n_failures > MAIL_TLSRPT_MAX_FAILURES)
			abort();
		for (size_t j = 0; j < p->n_failures; j++) {
			const struct mail_tlsrpt_failure *f = &p->failures[j];

			line(f->result_type, 1024);
			line(f->sending_mta_ip, 1024);
			line(f->receiving_ip, 1024);
			line(f->receiving_mx_hostname, 1024);
			line(f->additional_information, 1024);
			line(f->failure_reason_code, 1024);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_tlsrpt t;
	char why[160] = "";
	enum mp_err err;

	if (size > 1u << 20)
		return 0;
	(void)mail_report_tlsrpt_sniff((const char *)data, size);
	err = mail_report_tlsrpt_parse((const char *)data, size, &t, why, sizeof(why));
	if (err != ERR_OK) {
		if (why[0] == '\0' || (err != ERR_PARSE && err != ERR_LIMIT))
			abort();
		return 0;
	}
	check(&t);
	mail_tlsrpt_free(&t);
	return 0;
}
