/*
 * tests/mail/test_report_arf: DMARC failure reports (mail/report_arf, RFC
 * 6591 / RFC 5965) on hand-written fixtures in tests/fixtures/reports/mail/
 * (folded fields, repeated fields, base64 and CRLF feedback blocks, IPv6
 * normalisation, RFC 2047 original headers, dates with zones, a missing
 * Reported-Domain, an abuse report, a report without Feedback-Type), on
 * hostile blocks built here, and on the three real failure reports of
 * ../shared/corpora/dmarc-reports/failure (skipped when ../shared is absent).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/xmalloc.h"
#include "mail/mime.h"
#include "mail/report_arf.h"
#include "tests/lib/tap.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = xmalloc(1 << 20);
	*len = fread(b, 1, (1 << 20) - 1, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

/* Parse bytes as a message (with flags) and read its ARF report. */
static enum mp_err arf_mem(const char *p, size_t len, unsigned flags, struct mail_arf *a, char *why,
			   size_t whysz)
{
	struct mail_mime *m = NULL;
	enum mp_err err = mail_mime_parse_opts(p, len, 1 << 20, flags, &m);
	if (err == ERR_OK)
		err = mail_report_arf_parse(m, a, why, whysz);
	mail_mime_free(m);
	return err;
}

static enum mp_err arf_fixture(const char *name, unsigned flags, struct mail_arf *a, char *why,
			       size_t whysz)
{
	char *path = xasprintf("%s/tests/fixtures/reports/mail/%s", tap_srcdir(), name);
	size_t len = 0;
	char *b = slurp(path, &len);
	free(path);
	if (!b) {
		snprintf(why, whysz, "cannot read fixture");
		return ERR_IO;
	}
	enum mp_err err = arf_mem(b, len, flags, a, why, whysz);
	free(b);
	return err;
}

static void test_full(unsigned flags)
{
	struct mail_arf a;
	char why[256] = "";
	enum mp_err err = arf_fixture("arf-auth-failure.eml", flags, &a, why, sizeof(why));
	if (!tap_is_int(err, ERR_OK, "full report parses (flags %u): %s", flags, why))
		return;
	tap_is_str(a.feedback_type, "auth-failure", "Feedback-Type");
	tap_is_str(a.auth_failure, "dmarc", "Auth-Failure");
	tap_is_str(a.reported_domain, "sender.example", "first Reported-Domain, lower case");
	tap_is_str(a.source_ip, "2001:db8::7", "Source-IP normalised");
	tap_is_str(a.original_mail_from, "<bounce@sender.example>", "Original-Mail-From");
	tap_is_str(a.original_rcpt_to, "<user@receiver.example>", "Original-Rcpt-To");
	tap_is_str(a.arrival_date, "Tue, 14 Nov 2023 17:13:20 -0500", "Arrival-Date as written");
	tap_is_int(a.arrival, 1700000000, "Arrival-Date to unix seconds, zone applied");
	tap_is_str(a.reporting_mta, "mx1.receiver.example", "Reporting-MTA without its dns; type");
	tap_is_str(a.user_agent, "ReceiverARF/2.1", "User-Agent");
	tap_is_str(a.delivery_result, "reject", "Delivery-Result");
	tap_is_str(a.identity_alignment, "dkim, spf", "Identity-Alignment");
	tap_is_str(a.dkim_domain, "esp.example", "DKIM-Domain");
	tap_is_str(a.dkim_selector, "s2023", "DKIM-Selector");
	tap_is_str(a.dkim_identity, "", "absent DKIM-Identity is empty");
	tap_is_str(a.authentication_results,
		   "mx1.receiver.example; dmarc=fail (p=reject) header.from=Sender.Example; "
		   "spf=fail smtp.mailfrom=sender.example",
		   "folded Authentication-Results unfolded (RFC 5322 2.2.3)");
	tap_is_str(a.orig_from, "Sénder <ceo@sender.example>", "original From, RFC 2047 decoded");
	tap_is_str(a.orig_subject, "Invoice €100", "original Subject, RFC 2047 decoded");
	tap_is_str(a.orig_message_id, "<orig-1@sender.example>", "original Message-ID");
	tap_is_str(a.orig_date, "Tue, 14 Nov 2023 22:13:19 +0000", "original Date");
	tap_ok(strstr(a.human, "authentication failure report") != NULL, "human part kept");
	mail_arf_free(&a);
}

static void test_headers_only(void)
{
	struct mail_arf a;
	char why[256] = "";
	enum mp_err err = arf_fixture("arf-headers-only.eml", 0, &a, why, sizeof(why));
	if (!tap_is_int(err, ERR_OK, "base64 CRLF block with text/rfc822-headers: %s", why))
		return;
	tap_is_str(a.auth_failure, "spf", "Auth-Failure from a base64 CRLF block");
	tap_is_str(a.reported_domain, "headers.example",
		   "no Reported-Domain: the original From's domain");
	tap_is_str(a.source_ip, "", "a Source-IP that is not an IP is empty");
	tap_is_int(a.arrival, 0, "an unparsable Arrival-Date is 0");
	tap_is_str(a.orig_subject, "plain subject", "Subject from text/rfc822-headers");
	tap_is_str(a.reporting_mta, "", "absent Reporting-MTA is empty");
	mail_arf_free(&a);
}

static void test_not_failure(void)
{
	struct mail_arf a;
	char why[256] = "";
	tap_is_int(arf_fixture("arf-abuse.eml", 0, &a, why, sizeof(why)), ERR_NOTFOUND,
		   "abuse report: not a failure report");
	tap_ok(strstr(why, "abuse") != NULL, "why names the feedback type: %s", why);
	why[0] = '\0';
	tap_is_int(arf_fixture("arf-no-type.eml", 0, &a, why, sizeof(why)), ERR_PARSE,
		   "no Feedback-Type: ERR_PARSE");
	tap_ok(strstr(why, "Feedback-Type") != NULL, "why says what is missing: %s", why);
	why[0] = '\0';
	tap_is_int(arf_fixture("agg-zip.eml", 0, &a, why, sizeof(why)), ERR_NOTFOUND,
		   "an aggregate report e-mail is not ARF");
	tap_ok(why[0] != '\0', "with a reason: %s", why);
}

/* A feedback block built here, wrapped in a minimal ARF message. */
static enum mp_err arf_block(const char *block, size_t blen, struct mail_arf *a)
{
	static const char head[] =
	    "From: r@receiver.example\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report; "
	    "boundary=\"b\"\n\n--b\nContent-Type: message/feedback-report\n\n";
	static const char tail[] = "\n--b--\n";
	size_t len = sizeof(head) - 1 + blen + sizeof(tail) - 1;
	char *m = xmalloc(len);
	char why[256];
	memcpy(m, head, sizeof(head) - 1);
	memcpy(m + sizeof(head) - 1, block, blen);
	memcpy(m + sizeof(head) - 1 + blen, tail, sizeof(tail) - 1);
	enum mp_err err = arf_mem(m, len, 0, a, why, sizeof(why));
	free(m);
	return err;
}

static void test_hostile(void)
{
	struct mail_arf a;
	static const char nul[] = "Feedback-Type: auth-failure\nReported-Domain: a\0b.example\n"
				  "Source-IP: 192.0.2.1\x01x\n\x80\xff: x\nno colon line\n"
				  "  stray continuation\nAuth-Failure: dkim\n";
	enum mp_err err = arf_block(nul, sizeof(nul) - 1, &a);
	if (tap_is_int(err, ERR_OK, "NUL, control and 8-bit bytes: still parsed")) {
		tap_ok(strchr(a.reported_domain, '\x01') == NULL && *a.reported_domain,
		       "value has no control byte: '%s'", a.reported_domain);
		tap_is_str(a.source_ip, "", "an IP followed by a control byte is not an IP");
		tap_is_str(a.auth_failure, "dkim", "fields after junk lines are read");
		mail_arf_free(&a);
	}
	/* 64 KiB of one folded field: cut, bounded */
	size_t big = 64 * 1024;
	char *b = xmalloc(big + 200);
	size_t n = (size_t)snprintf(b, 200,
				    "Feedback-Type: auth-failure\nReported-Domain: x.example\n"
				    "Authentication-Results: a");
	while (n < big) {
		memcpy(b + n, "\n b", 3);
		n += 3;
	}
	b[n++] = '\n';
	err = arf_block(b, n, &a);
	if (tap_is_int(err, ERR_OK, "64 KiB folded field parses")) {
		tap_ok(strlen(a.authentication_results) < 4096, "and is cut (%zu bytes)",
		       strlen(a.authentication_results));
		mail_arf_free(&a);
	}
	free(b);
	static const char dates[][64] = {"1 Jan 2000 00:00 GMT", "Sat, 29 Feb 2020 12:00:00 +0130",
					 "01 Oct 18 11:20:27 +0200", "32 Jan 2020 00:00:00 +0000"};
	static const long long want[] = {946684800, 1582972200, 1538385627, 0};
	for (size_t i = 0; i < 4; i++) {
		char blk[200];
		int bl = snprintf(blk, sizeof(blk),
				  "Feedback-Type: auth-failure\nReported-Domain: d.example\n"
				  "Arrival-Date: %s\n",
				  dates[i]);
		if (arf_block(blk, (size_t)bl, &a) == ERR_OK) {
			tap_is_int(a.arrival, want[i], "date '%s'", dates[i]);
			mail_arf_free(&a);
		} else {
			tap_ok(false, "date block %zu parses", i);
		}
	}
	mail_arf_free(NULL);
	tap_ok(true, "mail_arf_free(NULL) is a no-op");
}

static void test_corpus(void)
{
	static const struct {
		const char *file, *domain, *ip, *from_sub;
	} c[] = {
	    {"DMARC_Failure_Report_for_domain.de_mail-fromsharepointdomain.de_ip10.10.10.10.eml",
	     "domain.de", "10.10.10.10", "sharepoint@domain.de"},
	    {"dmarc_ruf_report_linkedin.eml", "example.com", "10.10.10.10", "@example.com"},
	    {"dmarc_ruf_report_linkedin.crlf.eml", "example.com", "10.10.10.10", "@example.com"},
	};
	char *dir = xasprintf("%s/../shared/corpora/dmarc-reports/failure", tap_srcdir());
	struct stat st;
	if (stat(dir, &st) != 0) {
		for (size_t i = 0; i < 3; i++)
			tap_skip("no failure corpus at %s (../shared is absent)", dir);
		free(dir);
		return;
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *path = xasprintf("%s/%s", dir, c[i].file);
		size_t len = 0;
		char *b = slurp(path, &len);
		struct mail_arf a;
		char why[256] = "";
		enum mp_err err =
		    b ? arf_mem(b, len, MAIL_MIME_MSG_HEADERS, &a, why, sizeof(why)) : ERR_IO;
		if (tap_is_int(err, ERR_OK, "corpus %s parses: %s", c[i].file, why)) {
			tap_is_str(a.reported_domain, c[i].domain, "%s: Reported-Domain",
				   c[i].file);
			tap_is_str(a.source_ip, c[i].ip, "%s: Source-IP", c[i].file);
			tap_is_str(a.auth_failure, "dmarc", "%s: Auth-Failure", c[i].file);
			tap_ok(strstr(a.orig_from, c[i].from_sub) != NULL, "%s: original From '%s'",
			       c[i].file, a.orig_from);
			tap_ok(a.arrival > 1500000000, "%s: arrival %lld", c[i].file,
			       (long long)a.arrival);
			mail_arf_free(&a);
		}
		free(b);
		free(path);
	}
	free(dir);
}

int main(void)
{
	test_full(0);
	test_full(MAIL_MIME_MSG_HEADERS);
	test_headers_only();
	test_not_failure();
	test_hostile();
	test_corpus();
	return tap_done();
}
