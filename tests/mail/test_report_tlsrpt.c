/*
 * tests/mail/test_report_tlsrpt: mail/report_tlsrpt on the RFC 8460 4.8
 * example and hand-made variants in tests/fixtures/reports/tlsrpt/
 * (missing members, negative counts, counts as strings, bad dates, unknown
 * policy types, offsets and fractions, nulls, unknown members), on
 * documents built here (more than MAIL_TLSRPT_MAX_POLICIES policies, too
 * many failure-details, deep nesting, invalid UTF-8, NUL bytes, 64 KiB of
 * junk, long strings), the RFC 3339 parser through date-range, the sniffer,
 * and the corpus files ../shared/corpora/dmarc-reports/smtp_tls/{smtp_tls,mail.ru}.json
 * (skipped when ../shared is absent).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/xmalloc.h"
#include "mail/report_tlsrpt.h"
#include "tests/lib/tap.h"

static char *slurp_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;

	if (f == NULL)
		return NULL;
	b = xmalloc(1 << 20);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static char *slurp(const char *name, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/reports/tlsrpt/%s", tap_srcdir(), name);
	char *b = slurp_path(path, len);

	free(path);
	return b;
}

static enum mp_err parse_fixture(const char *name, struct mail_tlsrpt *t, char *why, size_t whysz)
{
	size_t len = 0;
	char *p = slurp(name, &len);
	enum mp_err err;

	if (p == NULL) {
		snprintf(why, whysz, "fixture missing");
		return ERR_IO;
	}
	err = mail_report_tlsrpt_parse(p, len, t, why, whysz);
	free(p);
	return err;
}

static uint64_t sum_failures(const struct mail_tlsrpt_policy *p)
{
	uint64_t s = 0;

	for (size_t i = 0; i < p->n_failures; i++)
		s += p->failures[i].failed_session_count;
	return s;
}

static void test_rfc_example(void)
{
	struct mail_tlsrpt t;
	const struct mail_tlsrpt_policy *p;
	char why[160] = "";

	if (!tap_is_int(parse_fixture("rfc8460-example.json", &t, why, sizeof(why)), ERR_OK,
			"RFC 8460 4.8 example parses (%s)", why))
		return;
	tap_is_str(t.org_name, "Company-X", "example: organization-name");
	tap_is_str(t.contact_info, "sts-reporting@company-x.example", "example: contact-info");
	tap_is_str(t.report_id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be", "example: report-id");
	tap_is_int(t.begin, 1459468800, "example: start 2016-04-01T00:00:00Z");
	tap_is_int(t.end, 1459555199, "example: end 2016-04-01T23:59:59Z");
	if (!tap_is_int((long long)t.n_policies, 1, "example: one policy")) {
		mail_tlsrpt_free(&t);
		return;
	}
	p = &t.policies[0];
	tap_is_str(p->policy_type, "sts", "example: policy-type");
	tap_is_str(p->policy_domain, "company-y.example", "example: policy-domain lower-cased");
	tap_is_str(p->policy_string,
		   "version: STSv1\nmode: testing\nmx: *.mail.company-y.example\nmax_age: 86400",
		   "example: policy-string lines joined");
	tap_is_str(p->mx_host, "*.mail.company-y.example", "example: mx-host");
	tap_is_int((long long)p->success, 5326, "example: successful sessions");
	tap_is_int((long long)p->failure, 303, "example: failed sessions");
	tap_is_int((long long)p->n_failures, 3, "example: three failure-details");
	tap_is_int((long long)sum_failures(p), (long long)p->failure,
		   "example: details sum to the total");
	if (p->n_failures == 3) {
		tap_is_str(p->failures[0].result_type, "certificate-expired", "example: detail 0");
		tap_is_str(p->failures[0].receiving_ip, "", "example: absent receiving-ip is \"\"");
		tap_is_str(p->failures[1].receiving_ip, "203.0.113.56", "example: receiving-ip");
		tap_is_str(p->failures[2].failure_reason_code, "X509_V_ERR_PROOF_OF_POLICY",
			   "example: failure-reason-code");
		tap_is_str(p->failures[2].receiving_mx_hostname, "mx-backup.mail.company-y.example",
			   "example: receiving-mx-hostname");
		tap_ok(strstr(p->failures[1].additional_information, "StarttlsNotSupported") !=
			   NULL,
		       "example: additional-information");
	}
	mail_tlsrpt_free(&t);
	tap_ok(t.policies == NULL && t.org_name == NULL, "free clears the struct");
	mail_tlsrpt_free(&t); /* twice is harmless */
	mail_tlsrpt_free(NULL);
}

static void test_offsets(void)
{
	struct mail_tlsrpt t;
	char why[160] = "";

	if (!tap_is_int(parse_fixture("offsets.json", &t, why, sizeof(why)), ERR_OK,
			"offsets.json parses (%s)", why))
		return;
	tap_is_int(t.begin, 1459468800, "+02:00 with a fraction: 2016-04-01T00:00:00Z");
	tap_is_int(t.end, 1459555199, "lower-case t, -04:00: 2016-04-01T23:59:59Z");
	tap_is_str(t.contact_info, "", "null contact-info is absent");
	if (tap_is_int((long long)t.n_policies, 2, "two policies")) {
		tap_is_str(t.policies[0].policy_type, "no-policy-found", "no-policy-found");
		tap_ok(t.policies[0].n_failures == 0 && t.policies[0].success == 7,
		       "no failure-details: none, counts kept");
		tap_is_str(t.policies[1].policy_type, "tlsa", "tlsa");
		tap_is_str(t.policies[1].mx_host, "mx.example.org", "mx-host as one string");
		if (t.policies[1].n_failures == 1)
			tap_is_str(t.policies[1].failures[0].additional_information,
				   "line one line two end",
				   "newline and \\u0000 become spaces: one line of C text");
		else
			tap_ok(0, "tlsa: one failure-detail");
	}
	mail_tlsrpt_free(&t);
}

static void expect_refused(const char *name, enum mp_err want, const char *why_part)
{
	struct mail_tlsrpt t;
	char why[160] = "";
	enum mp_err err;

	memset(&t, 0x5a, sizeof(t));
	err = parse_fixture(name, &t, why, sizeof(why));
	tap_is_int(err, want, "%s refused with %s", name, common_err_str(want));
	tap_ok(strstr(why, why_part) != NULL, "%s: why \"%s\" mentions \"%s\"", name, why,
	       why_part);
	tap_ok(t.n_policies == 0x5a5a5a5a5a5a5a5aull, "%s: *out untouched", name);
	if (err == ERR_OK)
		mail_tlsrpt_free(&t);
}

static void test_refused_fixtures(void)
{
	expect_refused("missing-org.json", ERR_PARSE, "missing organization-name");
	expect_refused("negative-count.json", ERR_PARSE, "total-failure-session-count");
	expect_refused("count-string.json", ERR_PARSE, "total-successful-session-count");
	expect_refused("bad-date.json", ERR_PARSE, "start-datetime");
	expect_refused("bad-policy-type.json", ERR_PARSE, "policy-type");
	expect_refused("missing-result-type.json", ERR_PARSE, "failure-details[1]");
}

/* Parse a NUL-terminated document; the error, why filled. */
static enum mp_err parse_doc(const char *doc, size_t len, char *why, size_t whysz)
{
	struct mail_tlsrpt t;
	enum mp_err err = mail_report_tlsrpt_parse(doc, len, &t, why, whysz);

	if (err == ERR_OK)
		mail_tlsrpt_free(&t);
	return err;
}

#define HEAD                                                                                       \
	"{\"organization-name\":\"o\",\"report-id\":\"r\",\"date-range\":{\"start-datetime\":"     \
	"\"%s\",\"end-datetime\":\"2030-01-01T00:00:00Z\"},\"policies\":[]}"

static void test_dates(void)
{
	const char *good[] = {"2016-04-01T00:00:00Z", "2016-04-01 00:00:00z",
			      "2016-02-29T23:59:60Z", "1970-01-01T00:00:00.5+00:00",
			      "2016-12-31T23:59:59-23:59"};
	const char *badd[] = {"2016-04-01T00:00:00",	  "2016-04-01",
			      "2015-02-29T00:00:00Z",	  "2016-13-01T00:00:00Z",
			      "2016-04-01T24:00:00Z",	  "2016-04-01T00:00:00.Z",
			      "2016-04-01T00:00:00+0200", "2016-04-01T00:00:00+24:00",
			      "16-04-01T00:00:00Z",	  "2016-04-01T00:00:00Z ",
			      "2016-04-01X00:00:00Z",	  "2016-04-01T0a:00:00Z"};
	char why[160], *doc;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		doc = xasprintf(HEAD, good[i]);
		tap_is_int(parse_doc(doc, strlen(doc), why, sizeof(why)), ERR_OK,
			   "date %s accepted", good[i]);
		free(doc);
	}
	for (size_t i = 0; i < sizeof(badd) / sizeof(badd[0]); i++) {
		doc = xasprintf(HEAD, badd[i]);
		tap_is_int(parse_doc(doc, strlen(doc), why, sizeof(why)), ERR_PARSE,
			   "date \"%s\" refused", badd[i]);
		free(doc);
	}
	doc = xasprintf(HEAD, "2031-01-01T00:00:00Z");
	tap_is_int(parse_doc(doc, strlen(doc), why, sizeof(why)), ERR_PARSE,
		   "end before start refused (%s)", why);
	free(doc);
}

/* A report of n policies, each with f failure-details. */
static char *many(size_t n, size_t f, size_t *len)
{
	struct buf b;

	common_buf_init(&b, 64u << 20);
	if (common_buf_printf(&b, HEAD, "2016-04-01T00:00:00Z") != ERR_OK)
		return NULL;
	b.len -= 3; /* drop "[]}" */
	if (common_buf_puts(&b, "[") != ERR_OK)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (common_buf_printf(&b,
				      "%s{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
				      "\"d%zu.example\"},\"summary\":{\"total-successful-session-"
				      "count\":1,\"total-failure-session-count\":%zu},"
				      "\"failure-details\":[",
				      i ? "," : "", i, f) != ERR_OK)
			return NULL;
		for (size_t j = 0; j < f; j++)
			if (common_buf_printf(&b,
					      "%s{\"result-type\":\"validation-failure\","
					      "\"failed-session-count\":1}",
					      j ? "," : "") != ERR_OK)
				return NULL;
		if (common_buf_puts(&b, "]}") != ERR_OK)
			return NULL;
	}
	if (common_buf_puts(&b, "]}") != ERR_OK)
		return NULL;
	return common_buf_steal(&b, len);
}

static void test_caps(void)
{
	struct mail_tlsrpt t;
	char why[160] = "", *doc;
	size_t len = 0;

	doc = many(MAIL_TLSRPT_MAX_POLICIES, 1, &len);
	if (tap_is_int(doc ? mail_report_tlsrpt_parse(doc, len, &t, why, sizeof(why)) : ERR_IO,
		       ERR_OK, "exactly %d policies parse (%s)", MAIL_TLSRPT_MAX_POLICIES, why)) {
		tap_ok(t.n_policies == MAIL_TLSRPT_MAX_POLICIES &&
			   strcmp(t.policies[999].policy_domain, "d999.example") == 0,
		       "all of them, in order");
		mail_tlsrpt_free(&t);
	}
	free(doc);
	doc = many(MAIL_TLSRPT_MAX_POLICIES + 1, 0, &len);
	tap_is_int(doc ? parse_doc(doc, len, why, sizeof(why)) : ERR_IO, ERR_LIMIT,
		   "%d policies: ERR_LIMIT (%s)", MAIL_TLSRPT_MAX_POLICIES + 1, why);
	free(doc);
	doc = many(1, MAIL_TLSRPT_MAX_FAILURES + 1, &len);
	tap_is_int(doc ? parse_doc(doc, len, why, sizeof(why)) : ERR_IO, ERR_LIMIT,
		   "%d failure-details: ERR_LIMIT (%s)", MAIL_TLSRPT_MAX_FAILURES + 1, why);
	free(doc);
	tap_is_int(mail_report_tlsrpt_parse("{}", MAIL_TLSRPT_MAX_BYTES + 1, &t, why, sizeof(why)),
		   ERR_LIMIT, "more than MAIL_TLSRPT_MAX_BYTES: ERR_LIMIT before reading");
}

static void test_hostile(void)
{
	char why[160] = "", *doc;
	size_t depth = 100000, n;
	struct buf b;

	/* Deep nesting inside an unknown member. */
	doc = xmalloc(2 * depth + 64);
	n = (size_t)snprintf(doc, 64, "{\"organization-name\":\"o\",\"x\":");
	memset(doc + n, '[', depth);
	memset(doc + n + depth, ']', depth);
	memcpy(doc + n + 2 * depth, "}", 2);
	tap_is_int(parse_doc(doc, n + 2 * depth + 1, why, sizeof(why)), ERR_PARSE,
		   "100000 nested arrays: ERR_PARSE (%s)", why);
	free(doc);
	doc = xasprintf(HEAD, "2016-04-01T00:00:00Z");
	n = strlen(doc);
	tap_is_int(parse_doc(doc, n, why, sizeof(why)), ERR_OK, "the base document parses");
	doc[3] = (char)0xff; /* inside "organization-name" */
	tap_is_int(parse_doc(doc, n, why, sizeof(why)), ERR_PARSE, "invalid UTF-8: ERR_PARSE (%s)",
		   why);
	doc[3] = '\0';
	tap_is_int(parse_doc(doc, n, why, sizeof(why)), ERR_PARSE, "a raw NUL byte: ERR_PARSE (%s)",
		   why);
	free(doc);
	tap_is_int(parse_doc("[1,2]", 5, why, sizeof(why)), ERR_PARSE, "an array: ERR_PARSE (%s)",
		   why);
	tap_is_int(parse_doc("", 0, why, sizeof(why)), ERR_PARSE, "empty input: ERR_PARSE");
	doc = xasprintf("\xef\xbb\xbf" HEAD, "2016-04-01T00:00:00Z");
	tap_is_int(parse_doc(doc, strlen(doc), why, sizeof(why)), ERR_OK,
		   "a leading UTF-8 BOM is ignored (RFC 8259 8.1)");
	free(doc);
	tap_is_int(parse_doc("{\"a\":1,\"a\":2}", 13, why, sizeof(why)), ERR_PARSE,
		   "duplicate keys: ERR_PARSE");
	common_buf_init(&b, 1u << 20);
	for (size_t i = 0; i < 64 * 1024; i++)
		if (common_buf_putc(&b, (char)(i * 131 % 256)) != ERR_OK)
			break;
	tap_is_int(parse_doc(b.data, b.len, why, sizeof(why)), ERR_PARSE,
		   "64 KiB of junk: ERR_PARSE");
	common_buf_free(&b);
}

static void test_long_strings(void)
{
	struct mail_tlsrpt t;
	char why[160] = "", *doc, *org = xmalloc(3001);

	/* 1000 x "é" (2 bytes): cut at 1 KiB on a sequence boundary. */
	for (int i = 0; i < 1500; i++)
		memcpy(org + 2 * i, "\xc3\xa9", 2);
	org[3000] = '\0';
	doc = xasprintf("{\"organization-name\":\"x%s\",\"report-id\":\"r\",\"date-range\":{"
			"\"start-datetime\":\"2016-04-01T00:00:00Z\",\"end-datetime\":"
			"\"2016-04-01T00:00:00Z\"},\"policies\":[]}",
			org);
	if (tap_is_int(mail_report_tlsrpt_parse(doc, strlen(doc), &t, why, sizeof(why)), ERR_OK,
		       "a 3001-byte organization-name parses")) {
		tap_is_int((long long)strlen(t.org_name), 1023, "cut to 1023 bytes (1 KiB, whole)");
		tap_ok(strcmp(t.org_name + 1021, "\xc3\xa9") == 0, "the last character is whole");
		tap_is_int((long long)t.n_policies, 0, "empty policies array: no policies");
		mail_tlsrpt_free(&t);
	}
	free(doc);
	free(org);
}

static void test_sniff(void)
{
	size_t len = 0;
	char *p = slurp("rfc8460-example.json", &len);

	tap_ok(p && mail_report_tlsrpt_sniff(p, len), "sniff: the RFC example");
	free(p);
	tap_ok(mail_report_tlsrpt_sniff("\xef\xbb\xbf \n{\"policies\":[]}", 19),
	       "sniff: BOM, space");
	tap_ok(!mail_report_tlsrpt_sniff("<?xml version=\"1.0\"?><feedback/>", 32),
	       "sniff: not DMARC XML");
	tap_ok(!mail_report_tlsrpt_sniff("{\"feedback\":1}", 14), "sniff: not any JSON object");
	tap_ok(!mail_report_tlsrpt_sniff("", 0) && !mail_report_tlsrpt_sniff(NULL, 0),
	       "sniff: empty");
}

/* The shared corpus: real reports from Google-style and Mail.ru reporters. */
static void test_corpus(void)
{
	char *dir = xasprintf("%s/../shared/corpora/dmarc-reports/smtp_tls", tap_srcdir());
	char *path, why[160] = "";
	size_t len = 0;
	char *p;
	struct mail_tlsrpt t;

	path = xasprintf("%s/smtp_tls.json", dir);
	p = slurp_path(path, &len);
	free(path);
	if (p == NULL) {
		tap_skip("../shared/corpora absent: corpus TLS reports not checked");
		free(dir);
		return;
	}
	if (tap_is_int(mail_report_tlsrpt_parse(p, len, &t, why, sizeof(why)), ERR_OK,
		       "corpus smtp_tls.json parses (%s)", why)) {
		tap_is_str(t.org_name, "Example Inc.", "smtp_tls.json: organization");
		tap_ok(t.n_policies == 1 && t.policies[0].failure == 3 &&
			   t.policies[0].n_failures == 2 &&
			   sum_failures(&t.policies[0]) == t.policies[0].failure,
		       "smtp_tls.json: 3 failures = the sum of its 2 details");
		tap_ok(t.end - t.begin == 86399, "smtp_tls.json: one day less a second");
		mail_tlsrpt_free(&t);
	}
	free(p);
	path = xasprintf("%s/mail.ru.json", dir);
	p = slurp_path(path, &len);
	free(path);
	if (tap_ok(p != NULL, "corpus mail.ru.json readable") &&
	    tap_is_int(mail_report_tlsrpt_parse(p, len, &t, why, sizeof(why)), ERR_OK,
		       "corpus mail.ru.json parses (%s)", why)) {
		/* Mail.ru's total (1) disagrees with its details (1 + 1): kept as sent. */
		tap_ok(t.n_policies == 1 && t.policies[0].failure == 1 &&
			   t.policies[0].n_failures == 2 && sum_failures(&t.policies[0]) == 2,
		       "mail.ru.json: total 1, details 2, as sent");
		if (t.n_policies == 1 && t.policies[0].n_failures == 2)
			tap_is_str(t.policies[0].failures[0].failure_reason_code,
				   "bad https response code: 404",
				   "mail.ru.json: failure-reason-code");
		tap_ok(t.end - t.begin == 86400, "mail.ru.json: one day");
		mail_tlsrpt_free(&t);
	}
	free(p);
	free(dir);
}

int main(void)
{
	test_rfc_example();
	test_offsets();
	test_refused_fixtures();
	test_dates();
	test_caps();
	test_hostile();
	test_long_strings();
	test_sniff();
	test_corpus();
	return tap_done();
}
