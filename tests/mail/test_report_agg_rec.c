/*
 * tests/mail/test_report_agg_rec: the aggregate report value builder on its
 * own (the XML side is tests/mail/test_report_agg): trimming, lower case,
 * value checks, required elements, the org_name fallback, auth results
 * routed to the last <dkim>/<spf>, and a record's strings forgotten at the
 * next record.
 */
#include <stdio.h>
#include <string.h>
#include "mail/report_agg_rec.h"
#include "tests/lib/tap.h"

/* call must give want, with a reason (what, in scope) containing needle. */
#define EXPECT(call, want, needle, name)                                                           \
	do {                                                                                       \
		enum mp_err e_ = (call);                                                           \
		tap_ok(e_ == (want) && strstr(what, needle) != NULL, "%s (%s)", name, what);       \
	} while (0)

/* Set f from a literal (copied: the builder writes into the text). */
static enum mp_err set(struct mail_report_agg_rec *b, enum mail_agg_field f, const char *v,
		       const char **what)
{
	char buf[256];
	size_t n = strlen(v);

	memcpy(buf, v, n + 1);
	return mail_report_agg_rec_set(b, f, buf, n, what);
}

static void meta_fields(struct mail_report_agg_rec *b)
{
	const char *what = "";
	enum mp_err e = ERR_OK;

	e |= set(b, MAIL_AGG_F_EMAIL, " dmarc@Reporter.example ", &what);
	e |= set(b, MAIL_AGG_F_RID, "\n  id-1\r\n", &what);
	e |= set(b, MAIL_AGG_F_BEGIN, "100", &what);
	e |= set(b, MAIL_AGG_F_END, " 200 ", &what);
	e |= set(b, MAIL_AGG_F_DOMAIN, "Example.COM", &what);
	e |= set(b, MAIL_AGG_F_P, "Quarantine", &what);
	e |= set(b, MAIL_AGG_F_ASPF, "s", &what);
	e |= set(b, MAIL_AGG_F_PCT, "abc", &what);
	tap_ok(e == ERR_OK, "meta fields accepted");
}

static void test_meta(void)
{
	struct mail_report_agg_rec *b = mail_report_agg_rec_new(4096);
	const struct mail_agg_meta *m = NULL;
	const char *what = "";

	EXPECT(mail_report_agg_rec_meta(b, &m, &what), ERR_PARSE, "org_name missing",
	       "empty builder: org_name missing first");
	tap_ok(m == NULL, "no meta on failure");
	meta_fields(b);
	tap_ok(mail_report_agg_rec_meta(b, &m, &what) == ERR_OK, "meta complete");
	tap_ok(m != NULL && !strcmp(m->org_name, "Reporter.example") &&
		   !strcmp(m->report_id, "id-1"),
	       "org_name from the email's domain, report_id trimmed of CR LF");
	tap_ok(m != NULL && !strcmp(m->domain, "example.com") && !strcmp(m->p, "quarantine") &&
		   m->aspf == 's' && m->adkim == 'r' && m->pct == -1 && m->begin == 100 &&
		   m->end == 200 && !strcmp(m->sp, ""),
	       "domain and p lower case, aspf s, adkim default, garbled pct absent");
	tap_ok(set(b, MAIL_AGG_F_VERSION, "2.0", &what) == ERR_OK && !strcmp(m->version, ""),
	       "a meta field after the meta is ignored (the pointers stay valid)");
	mail_report_agg_rec_free(b);
	mail_report_agg_rec_free(NULL);
}

static void test_values(void)
{
	struct mail_report_agg_rec *b = mail_report_agg_rec_new(4096);
	const char *what = "";

	EXPECT(set(b, MAIL_AGG_F_BEGIN, "-1", &what), ERR_PARSE, "begin", "negative begin");
	EXPECT(set(b, MAIL_AGG_F_COUNT, "0x10", &what), ERR_PARSE, "row/count", "hex count");
	what = "";
	EXPECT(set(b, MAIL_AGG_F_COUNT, "", &what), ERR_PARSE, "row/count", "empty count");
	EXPECT(set(b, MAIL_AGG_F_SOURCE_IP, "192.0.2.1/32", &what), ERR_PARSE, "source_ip",
	       "a prefix is not an address");
	tap_ok(set(b, MAIL_AGG_F_SOURCE_IP, "::", &what) == ERR_OK, "\"::\" is an address");
	meta_fields(b);
	(void)set(b, MAIL_AGG_F_BEGIN, "300", &what);
	EXPECT(mail_report_agg_rec_meta(b, &(const struct mail_agg_meta *){NULL}, &what), ERR_PARSE,
	       "begin is after end", "begin 300 > end 200");
	mail_report_agg_rec_free(b);
}

static void test_records(void)
{
	struct mail_report_agg_rec *b = mail_report_agg_rec_new(64);
	struct mail_agg_record r;
	const char *what = "";
	char big[80];
	int i;

	mail_report_agg_rec_start(b);
	EXPECT(mail_report_agg_rec_record(b, &r, &what), ERR_PARSE, "row/source_ip",
	       "an empty record");
	set(b, MAIL_AGG_F_SOURCE_IP, "2001:DB8::0:1", &what);
	set(b, MAIL_AGG_F_COUNT, "7", &what);
	mail_report_agg_rec_saw_pe(b);
	set(b, MAIL_AGG_F_PE_DKIM, "PASS", &what);
	set(b, MAIL_AGG_F_REASON_TYPE, "Forwarded", &what);
	set(b, MAIL_AGG_F_REASON_TYPE, "", &what);
	set(b, MAIL_AGG_F_REASON_TYPE, "mailing_list", &what);
	set(b, MAIL_AGG_F_AUTH_RESULT, "pass", &what); /* outside <dkim>: ignored */
	tap_ok(mail_report_agg_rec_add_auth(b, true, &what) == ERR_OK, "first <dkim>");
	set(b, MAIL_AGG_F_AUTH_DOMAIN, "A.example", &what);
	tap_ok(mail_report_agg_rec_add_auth(b, false, &what) == ERR_OK, "first <spf>");
	set(b, MAIL_AGG_F_AUTH_RESULT, "SoftFail", &what);
	set(b, MAIL_AGG_F_HEADER_FROM, "Example.com", &what);
	tap_ok(mail_report_agg_rec_record(b, &r, &what) == ERR_OK, "record complete");
	tap_ok(!strcmp(r.source_ip, "2001:db8::1") && r.count == 7 &&
		   r.dkim_eval == MAIL_AGG_RES_PASS && r.spf_eval == MAIL_AGG_RES_NONE,
	       "ip normalised, count, policy_evaluated");
	tap_is_str(r.reason_types, "forwarded,mailing_list", "reason types, empty one skipped");
	tap_ok(r.n_dkim == 1 && r.n_spf == 1 && !strcmp(r.dkim[0].domain, "a.example") &&
		   r.dkim[0].result == MAIL_AGG_RES_NONE &&
		   r.spf[0].result == MAIL_AGG_RES_SOFTFAIL &&
		   !strcmp(r.spf[0].result_word, "softfail"),
	       "auth fields went to the last <dkim> / <spf>");
	mail_report_agg_rec_start(b);
	EXPECT(mail_report_agg_rec_record(b, &r, &what), ERR_PARSE, "row/source_ip",
	       "the next record starts empty");
	memset(big, 'a', 70);
	big[70] = '\0';
	tap_ok(set(b, MAIL_AGG_F_HEADER_FROM, big, &what) == ERR_OK,
	       "a 70-byte value (max_text 64: "
	       "the caller enforces max_text, the arena has room)");
	for (i = 0; i < 16; i++)
		(void)!mail_report_agg_rec_add_auth(b, false, &what);
	EXPECT(mail_report_agg_rec_add_auth(b, false, &what), ERR_LIMIT, "more than 16 <spf>",
	       "17th <spf>");
	mail_report_agg_rec_free(b);
}

int main(void)
{
	test_meta();
	test_values();
	test_records();
	return tap_done();
}
