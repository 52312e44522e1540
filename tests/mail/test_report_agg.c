/*
 * tests/mail/test_report_agg: the DMARC aggregate report parser on our own
 * fixtures (tests/fixtures/reports/xml: RFC 7489 / RFC 9990 shapes, several
 * auth results, zero records, and every hostile case of issue 5), on
 * documents generated here (deep nesting, 1 MB of text, NUL bytes, invalid
 * UTF-8, a 100 MB report streamed from a generator), and on parsedmarc's
 * real reports in ../shared when that folder exists.  Also: the sniffer,
 * callback errors, all-or-nothing, silence on stderr, parallel parses.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/xmalloc.h"
#include "mail/report_agg.h"
#include "tests/lib/tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define MAX_KEEP 8

/* What the callbacks saw, copied out (the parser's strings are borrowed). */
struct got {
	unsigned metas;
	char org[128], rid[128], domain[64], p[16], sp[16], np[16], fo[16], version[16];
	char testing[8], discovery[16];
	int64_t begin, end;
	char adkim, aspf;
	int pct;
	uint64_t records, messages;
	bool meta_first;
	struct {
		char ip[64], hf[64], ef[64], et[64], reasons[64];
		uint64_t count;
		enum mail_agg_disposition disp;
		enum mail_agg_result dkim, spf;
		size_t n_dkim, n_spf;
		struct mail_agg_auth_copy {
			char domain[64], selector[32], scope[16], word[32], human[64];
			enum mail_agg_result res;
		} dk[4], sp_[4];
	} rec[MAX_KEEP];
	int fail_at; /* on_record returns ERR_IO at this record (1-based), 0 never */
};

static void cp(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "(null)");
}

static enum mp_err on_meta(void *arg, const struct mail_agg_meta *m)
{
	struct got *g = arg;

	g->metas++;
	g->meta_first = g->records == 0;
	cp(g->org, sizeof g->org, m->org_name);
	cp(g->rid, sizeof g->rid, m->report_id);
	cp(g->domain, sizeof g->domain, m->domain);
	cp(g->p, sizeof g->p, m->p);
	cp(g->sp, sizeof g->sp, m->sp);
	cp(g->np, sizeof g->np, m->np);
	cp(g->fo, sizeof g->fo, m->fo);
	cp(g->version, sizeof g->version, m->version);
	cp(g->testing, sizeof g->testing, m->testing);
	cp(g->discovery, sizeof g->discovery, m->discovery);
	g->begin = m->begin;
	g->end = m->end;
	g->adkim = m->adkim;
	g->aspf = m->aspf;
	g->pct = m->pct;
	return ERR_OK;
}

static void copy_auth(struct mail_agg_auth_copy *c, const struct mail_agg_auth *a)
{
	cp(c->domain, sizeof c->domain, a->domain);
	cp(c->selector, sizeof c->selector, a->selector);
	cp(c->scope, sizeof c->scope, a->scope);
	cp(c->word, sizeof c->word, a->result_word);
	cp(c->human, sizeof c->human, a->human);
	c->res = a->result;
}

static enum mp_err on_record(void *arg, const struct mail_agg_meta *m,
			     const struct mail_agg_record *r)
{
	struct got *g = arg;
	size_t i, k = g->records;

	(void)m;
	g->records++;
	g->messages += r->count;
	if (g->fail_at > 0 && g->records == (uint64_t)g->fail_at)
		return ERR_IO;
	if (k >= MAX_KEEP)
		return ERR_OK;
	cp(g->rec[k].ip, sizeof g->rec[k].ip, r->source_ip);
	cp(g->rec[k].hf, sizeof g->rec[k].hf, r->header_from);
	cp(g->rec[k].ef, sizeof g->rec[k].ef, r->envelope_from);
	cp(g->rec[k].et, sizeof g->rec[k].et, r->envelope_to);
	cp(g->rec[k].reasons, sizeof g->rec[k].reasons, r->reason_types);
	g->rec[k].count = r->count;
	g->rec[k].disp = r->disposition;
	g->rec[k].dkim = r->dkim_eval;
	g->rec[k].spf = r->spf_eval;
	g->rec[k].n_dkim = r->n_dkim;
	g->rec[k].n_spf = r->n_spf;
	for (i = 0; i < r->n_dkim && i < 4; i++)
		copy_auth(&g->rec[k].dk[i], &r->dkim[i]);
	for (i = 0; i < r->n_spf && i < 4; i++)
		copy_auth(&g->rec[k].sp_[i], &r->spf[i]);
	return ERR_OK;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			p = xreallocarray(p, cap, 1);
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return p;
}

static char *fixture(const char *name, size_t *len)
{
	char *path = xasprintf("%s/tests/fixtures/reports/xml/%s", tap_srcdir(), name);
	char *p = slurp(path, len);

	if (p == NULL)
		fatal("cannot read %s", path);
	free(path);
	return p;
}

static enum mp_err parse_buf(const char *p, size_t len, const struct mail_agg_limits *lim,
			     struct got *g, struct mail_agg_summary *sum, char *why, size_t whysz)
{
	memset(sum, 0xa5, sizeof *sum); /* "filled in every case" */
	return mail_report_agg_parse_mem(p, len, lim, on_meta, on_record, g, sum, why, whysz);
}

static enum mp_err parse_fixture(const char *name, struct got *g, struct mail_agg_summary *sum,
				 char *why, size_t whysz)
{
	size_t len;
	char *p = fixture(name, &len);
	enum mp_err e;

	memset(g, 0, sizeof *g);
	e = parse_buf(p, len, NULL, g, sum, why, whysz);
	free(p);
	return e;
}

/* A fixture that must be refused with err and a reason containing want. */
static void refused(const char *name, enum mp_err err, const char *want)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256] = "x";
	enum mp_err e = parse_fixture(name, &g, &sum, why, sizeof why);

	tap_ok(e == err && strstr(why, want) != NULL, "%s: refused with %s (%s)", name,
	       common_err_str(err), why);
	tap_ok(sum.records == g.records && sum.records <= 3, "%s: summary agrees (%llu records)",
	       name, (unsigned long long)sum.records);
}

static void test_rfc7489_full(void)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256];
	enum mp_err e = parse_fixture("rfc7489-full.xml", &g, &sum, why, sizeof why);

	tap_is_int(e, ERR_OK, "rfc7489-full: parses (%s)", why);
	tap_ok(g.metas == 1 && g.meta_first, "rfc7489-full: meta once, before the records");
	tap_is_str(g.org, "receiver.example", "org_name");
	tap_is_str(g.rid, "rfc7489-full-0001", "report_id");
	tap_ok(g.begin == 1700000000 && g.end == 1700086399, "date_range");
	tap_ok(g.adkim == 's' && g.aspf == 'r' && g.pct == 50, "adkim s, aspf r, pct 50");
	tap_ok(!strcmp(g.p, "quarantine") && !strcmp(g.sp, "reject") && !strcmp(g.np, ""),
	       "p quarantine, sp reject, np absent");
	tap_is_str(g.fo, "1:d", "fo as written");
	tap_is_int((long long)sum.records, 2, "2 records");
	tap_is_int((long long)sum.messages, 4, "4 messages");
	tap_ok(sum.bytes > 0 && g.records == 2, "bytes counted, callbacks agree");
	tap_is_str(g.rec[0].ip, "192.0.2.10", "record 1 source_ip");
	tap_is_str(g.rec[0].reasons, "forwarded,local_policy", "reason types joined");
	tap_ok(g.rec[0].dkim == MAIL_AGG_RES_PASS && g.rec[0].spf == MAIL_AGG_RES_FAIL,
	       "record 1 policy_evaluated dkim pass, spf fail");
	tap_is_str(g.rec[0].et, "example.net", "envelope_to");
	tap_is_str(g.rec[0].ef, "", "absent envelope_from is \"\"");
	tap_ok(g.rec[0].n_dkim == 1 && !strcmp(g.rec[0].dk[0].selector, "s2024") &&
		   !strcmp(g.rec[0].dk[0].human, "good signature"),
	       "record 1 dkim selector and human_result");
	tap_ok(g.rec[0].n_spf == 1 && g.rec[0].sp_[0].res == MAIL_AGG_RES_SOFTFAIL &&
		   !strcmp(g.rec[0].sp_[0].scope, "mfrom"),
	       "record 1 spf softfail, scope mfrom");
	tap_ok(g.rec[1].disp == MAIL_AGG_DISP_QUARANTINE && g.rec[1].n_dkim == 0 &&
		   g.rec[1].sp_[0].res == MAIL_AGG_RES_PERMERROR,
	       "record 2 quarantine, no dkim, spf permerror");
	tap_is_str(g.rec[1].reasons, "", "record 2 has no reasons (the arena was reset)");
}

static void test_rfc9990(void)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256];
	enum mp_err e = parse_fixture("rfc9990.xml", &g, &sum, why, sizeof why);

	tap_is_int(e, ERR_OK, "rfc9990: parses with a namespace and an extension (%s)", why);
	tap_ok(!strcmp(g.version, "1.0") && !strcmp(g.np, "reject") && !strcmp(g.testing, "n") &&
		   !strcmp(g.discovery, "treewalk"),
	       "rfc9990: version, np, testing, discovery_method");
	tap_ok(g.pct == -1 && g.adkim == 'r', "rfc9990: pct absent (-1), adkim default r");
	tap_ok(sum.records == 1 && sum.messages == 123, "rfc9990: 1 record, 123 messages");
	tap_ok(g.rec[0].disp == MAIL_AGG_DISP_NONE, "rfc9990: disposition pass counts as none");
	tap_ok(!strcmp(g.rec[0].dk[0].selector, "abc123") &&
		   g.rec[0].dk[0].res == MAIL_AGG_RES_PASS,
	       "rfc9990: selector after result");
}

static void test_multi_auth(void)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256];
	enum mp_err e = parse_fixture("multi-auth.xml", &g, &sum, why, sizeof why);

	tap_is_int(e, ERR_OK, "multi-auth: parses (%s)", why);
	tap_is_str(g.org, "Mail Provider & Co", "org_name trimmed, &amp; decoded, case kept");
	tap_is_str(g.rid, "multi-auth-7", "report_id from CDATA");
	tap_ok(!strcmp(g.domain, "example.com") && !strcmp(g.p, "reject"),
	       "domain and p lower-cased");
	tap_ok(g.adkim == 'r' && g.aspf == 's', "upper-case R / S understood");
	tap_is_str(g.rec[0].ip, "2001:db8::1", "IPv6 source_ip normalised");
	tap_is_int((long long)g.rec[0].count, 42, "count with whitespace and newlines");
	tap_ok(g.rec[0].disp == MAIL_AGG_DISP_REJECT && g.rec[0].dkim == MAIL_AGG_RES_FAIL &&
		   g.rec[0].spf == MAIL_AGG_RES_PASS,
	       "upper-case Reject / FAIL / Pass");
	tap_ok(!strcmp(g.rec[0].hf, "example.com") && !strcmp(g.rec[0].ef, "bounce.example.com"),
	       "header_from and envelope_from lower-cased");
	tap_ok(g.rec[0].n_dkim == 3 && g.rec[0].n_spf == 2, "3 dkim and 2 spf results");
	tap_ok(g.rec[0].dk[0].res == MAIL_AGG_RES_FAIL &&
		   !strcmp(g.rec[0].dk[0].selector, "Sel1") &&
		   !strcmp(g.rec[0].dk[0].human, "body hash did not verify"),
	       "dkim 1: fail, selector as written, human_result");
	tap_ok(!strcmp(g.rec[0].dk[1].domain, "esp.example") &&
		   g.rec[0].dk[1].res == MAIL_AGG_RES_PASS,
	       "dkim 2: esp.example pass");
	tap_ok(g.rec[0].dk[2].res == MAIL_AGG_RES_OTHER &&
		   !strcmp(g.rec[0].dk[2].word, "weird-word"),
	       "dkim 3: unknown word kept as other");
	tap_ok(g.rec[0].sp_[0].res == MAIL_AGG_RES_PASS && !strcmp(g.rec[0].sp_[0].scope, "mfrom"),
	       "spf 1: PASS, scope lower-cased");
	tap_ok(g.rec[0].sp_[1].res == MAIL_AGG_RES_FAIL &&
		   !strcmp(g.rec[0].sp_[1].word, "hardfail"),
	       "spf 2: hardfail is fail");
}

static void test_small_valid(void)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256];
	enum mp_err e = parse_fixture("zero-records.xml", &g, &sum, why, sizeof why);

	tap_ok(e == ERR_OK && g.metas == 1 && sum.records == 0 && sum.messages == 0,
	       "zero records: valid, meta delivered at </feedback> (%s)", why);
	e = parse_fixture("empty-org-name.xml", &g, &sum, why, sizeof why);
	tap_ok(e == ERR_OK && !strcmp(g.org, "reporter.example"),
	       "empty org_name: named after the email's domain (%s)", g.org);
	tap_ok(g.rec[0].n_spf == 1 && !strcmp(g.rec[0].sp_[0].domain, "") &&
		   g.rec[0].sp_[0].res == MAIL_AGG_RES_NONE,
	       "empty spf domain is \"\", result none");
}

static void test_hostile_fixtures(void)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256];
	enum mp_err e;

	refused("billion-laughs.xml", ERR_PARSE, "DOCTYPE not allowed");
	refused("xxe-file.xml", ERR_PARSE, "DOCTYPE not allowed");
	e = parse_fixture("xxe-file.xml", &g, &sum, why, sizeof why);
	tap_ok(e != ERR_OK && strstr(why, "root:") == NULL && g.metas == 0 && g.records == 0,
	       "xxe-file: nothing of /etc/passwd in the reason, no callback");
	refused("xxe-url.xml", ERR_PARSE, "DOCTYPE not allowed");
	refused("external-dtd.xml", ERR_PARSE, "DOCTYPE not allowed");
	refused("no-report-id.xml", ERR_PARSE, "report_id missing");
	refused("bad-count-garbage.xml", ERR_PARSE, "row/count");
	refused("bad-count-negative.xml", ERR_PARSE, "row/count");
	refused("bad-count-huge.xml", ERR_PARSE, "row/count");
	refused("bad-ip.xml", ERR_PARSE, "source_ip");
	refused("records-before-metadata.xml", ERR_PARSE, "org_name missing");
	refused("metadata-after-record.xml", ERR_PARSE, "report_metadata after the first <record>");
	refused("begin-after-end.xml", ERR_PARSE, "begin is after end");
	refused("no-header-from.xml", ERR_PARSE, "header_from");
	refused("two-roots.xml", ERR_PARSE, "line ");
	refused("wrong-root.xml", ERR_PARSE, "root element is not <feedback>");
	refused("undefined-entity.xml", ERR_PARSE, "undefined");
	refused("truncated.xml", ERR_PARSE, "line ");
	/* all or nothing: three records went out, the fourth is bad */
	e = parse_fixture("bad-fourth-record.xml", &g, &sum, why, sizeof why);
	tap_ok(e == ERR_PARSE && sum.records == 3 && g.records == 3 && strstr(why, "header_from"),
	       "bad fourth record: ERR_PARSE after 3 delivered records (%s)", why);
	e = parse_fixture("bad-count-garbage.xml", &g, &sum, why, sizeof why);
	tap_ok(e == ERR_PARSE && strncmp(why, "line ", 5) == 0, "reasons say where: %s", why);
}

static const char gen_head[] =
    "<?xml version=\"1.0\"?>\n<feedback>\n<report_metadata><org_name>big.example</org_name>"
    "<email>a@big.example</email><report_id>big-1</report_id><date_range><begin>1</begin>"
    "<end>2</end></date_range></report_metadata>\n<policy_published><domain>example.com"
    "</domain><p>none</p></policy_published>\n";

/* Replace the first occurrence of from in a fixture with to; parse. */
static enum mp_err parse_edited(const char *name, const char *from, const char *to,
				const struct mail_agg_limits *lim, struct got *g, char *why,
				size_t whysz)
{
	size_t len, flen = strlen(from), tlen = strlen(to);
	char *p = fixture(name, &len), *at = memmem(p, len, from, flen), *q;
	struct mail_agg_summary sum;
	enum mp_err e;

	if (at == NULL)
		fatal("%s not in %s", from, name);
	q = xmalloc(len - flen + tlen);
	memcpy(q, p, (size_t)(at - p));
	memcpy(q + (at - p), to, tlen);
	memcpy(q + (at - p) + tlen, at + flen, len - (size_t)(at - p) - flen);
	memset(g, 0, sizeof *g);
	e = parse_buf(q, len - flen + tlen, lim, g, &sum, why, whysz);
	free(p);
	free(q);
	return e;
}

static void test_generated_hostile(void)
{
	struct got g;
	char why[256];
	struct {
		char *p;
		size_t n;
	} b;
	size_t i;
	enum mp_err e;

	{
		size_t len;
		char *p = fixture("rfc7489-full.xml", &len);
		char *at = memmem(p, len, "receiver.example</org", 21);
		struct mail_agg_summary sum;

		at[3] = '\0';
		memset(&g, 0, sizeof g);
		e = parse_buf(p, len, NULL, &g, &sum, why, sizeof why);
		tap_ok(e == ERR_PARSE && why[0] != '\0' && g.metas == 0,
		       "a NUL byte in the text: refused (%s)", why);
		memcpy(at, "rec\xff\xfe", 5);
		e = parse_buf(p, len, NULL, &g, &sum, why, sizeof why);
		tap_ok(e == ERR_PARSE && why[0] != '\0', "invalid UTF-8: refused (%s)", why);
		free(p);
	}
	/* 10,000 nested elements inside a record */
	b.n = 0;
	b.p = xmalloc(200000);
	b.n += (size_t)snprintf(b.p, 200000, "%.*s<record>", (int)sizeof gen_head - 1, gen_head);
	for (i = 0; i < 10000; i++)
		b.n += (size_t)snprintf(b.p + b.n, 200000 - b.n, "<a>");
	{
		struct mail_agg_summary sum;
		e = parse_buf(b.p, b.n, NULL, &g, &sum, why, sizeof why);
		tap_ok(e == ERR_LIMIT && strstr(why, "nested too deep"),
		       "10,000 nested elements: ERR_LIMIT (%s)", why);
	}
	free(b.p);
	/* 1 MB of text in org_name */
	{
		const char *head = "<feedback><report_metadata><org_name>";
		size_t hl = strlen(head), n = hl + (1 << 20) + 64;
		char *p = xmalloc(n);
		struct mail_agg_summary sum;

		memcpy(p, head, hl);
		memset(p + hl, 'x', 1 << 20);
		memcpy(p + hl + (1 << 20), "</org_name></report_metadata></feedback>", 41);
		e = parse_buf(p, hl + (1 << 20) + 40, NULL, &g, &sum, why, sizeof why);
		tap_ok(e == ERR_LIMIT && strstr(why, "text too long: org_name"),
		       "1 MB of text in one element: ERR_LIMIT (%s)", why);
		free(p);
	}
	/* too many dkim results in one record */
	{
		char rep[17 * 64 + 1] = "";
		size_t k, off = 0;

		for (k = 0; k < 17; k++)
			off += (size_t)snprintf(rep + off, sizeof rep - off,
						"<dkim><domain>d%zu.example</domain></dkim>", k);
		e = parse_edited("rfc7489-full.xml", "<dkim>\n", rep, NULL, &g, why, sizeof why);
		tap_ok(e == ERR_LIMIT && strstr(why, "more than 16"),
		       "17 <dkim> in one record: ERR_LIMIT (%s)", why);
	}
	e = parse_edited("rfc7489-full.xml", "<count>3</count>", "<count></count>", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "row/count"), "empty count: refused (%s)", why);
	e = parse_edited("rfc7489-full.xml", "<count>3</count>", "<count>9007199254740992</count>",
			 NULL, &g, why, sizeof why);
	tap_ok(e == ERR_OK && g.rec[0].count == 9007199254740992ULL, "count 2^53 accepted (%s)",
	       why);
	e = parse_edited("rfc7489-full.xml", "<count>3</count>", "<count>9007199254740993</count>",
			 NULL, &g, why, sizeof why);
	tap_ok(e == ERR_PARSE, "count 2^53+1 refused (%s)", why);
	e = parse_edited("rfc7489-full.xml", "<count>3</count>", "<count>+3</count>", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_PARSE, "count with a sign refused (%s)", why);
	e = parse_edited("rfc7489-full.xml", "<begin>1700000000", "<begin>-5", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "begin"), "negative begin refused (%s)", why);
	e = parse_edited("rfc7489-full.xml", "192.0.2.10", "fe80::1%eth0", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "source_ip"), "scoped IPv6 refused (%s)", why);
	e = parse_edited("rfc7489-full.xml", "<source_ip>192.0.2.10</source_ip>", "", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "row/source_ip"), "record without source_ip (%s)",
	       why);
	e = parse_edited("rfc7489-full.xml", "<p>quarantine</p>", "", NULL, &g, why, sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "policy_published/p"), "policy without p (%s)", why);
	e = parse_edited("rfc7489-full.xml", "receiver.example</org_name>",
			 "rece<b>x</b>iver.ex<!-- c -->ample<?pi x?></org_name>", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_OK && !strcmp(g.org, "receiver.example"),
	       "mixed content: the leaf's own text around a child (%s)", g.org);
	e = parse_edited("rfc7489-full.xml", "<pct>50</pct>", "<pct>150</pct>", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_OK && g.pct == -1, "pct 150 counts as absent (%s)", why);
	e = parse_edited("rfc7489-full.xml", "<feedback>", "<feedback/>", NULL, &g, why,
			 sizeof why);
	tap_ok(e == ERR_PARSE, "an empty <feedback/> then more: refused (%s)", why);
	e = parse_buf("", 0, NULL, &g, &(struct mail_agg_summary){0}, why, sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "empty document"), "empty input: refused (%s)", why);
	e = parse_buf("<feedback/>", 11, NULL, &g, &(struct mail_agg_summary){0}, why, sizeof why);
	tap_ok(e == ERR_PARSE && strstr(why, "missing"), "<feedback/>: refused (%s)", why);
}

static void test_limits_and_callbacks(void)
{
	struct got g;
	struct mail_agg_summary sum;
	char why[256];
	size_t len;
	char *p = fixture("bad-fourth-record.xml", &len);
	struct mail_agg_limits lim = {.max_records = 2};
	enum mp_err e;

	memset(&g, 0, sizeof g);
	e = parse_buf(p, len, &lim, &g, &sum, why, sizeof why);
	tap_ok(e == ERR_LIMIT && sum.records == 2 && strstr(why, "too many records"),
	       "max_records 2: ERR_LIMIT after 2 (%s)", why);
	lim = (struct mail_agg_limits){.max_bytes = 500};
	e = parse_buf(p, len, &lim, &g, &sum, why, sizeof why);
	tap_ok(e == ERR_LIMIT && strstr(why, "larger than 500 bytes") && sum.bytes <= 500,
	       "max_bytes 500: ERR_LIMIT (%s)", why);
	lim = (struct mail_agg_limits){.max_bytes = len};
	memset(&g, 0, sizeof g);
	e = parse_buf(p, len, &lim, &g, &sum, why, sizeof why);
	tap_ok(e == ERR_PARSE && sum.bytes == len, "max_bytes == size: no limit error (%s)", why);
	lim = (struct mail_agg_limits){.max_text = 8};
	e = parse_buf(p, len, &lim, &g, &sum, why, sizeof why);
	tap_ok(e == ERR_LIMIT && strstr(why, "text too long"), "max_text 8: ERR_LIMIT (%s)", why);
	lim = (struct mail_agg_limits){.max_depth = 3};
	e = parse_buf(p, len, &lim, &g, &sum, why, sizeof why);
	tap_ok(e == ERR_LIMIT && strstr(why, "nested"), "max_depth 3: ERR_LIMIT (%s)", why);
	memset(&g, 0, sizeof g);
	g.fail_at = 2;
	e = parse_buf(p, len, NULL, &g, &sum, why, sizeof why);
	tap_ok(e == ERR_IO && g.records == 2 && strstr(why, "callback"),
	       "a record callback error stops the parse and is returned (%s)", why);
	e = mail_report_agg_parse_mem(p, len, NULL, NULL, NULL, NULL, NULL, NULL, 0);
	tap_is_int(e, ERR_PARSE, "NULL callbacks, summary and why are fine");
	free(p);
	p = fixture("rfc7489-full.xml", &len);
	e = mail_report_agg_parse_mem(p, len, NULL, NULL, NULL, NULL, &sum, NULL, 0);
	tap_ok(e == ERR_OK && sum.records == 2, "no callbacks: still counted");
	free(p);
}

static ssize_t failing_read(void *ctx, char *buf, size_t len)
{
	int *calls = ctx;

	if ((*calls)++ > 0)
		return -1;
	memcpy(buf, "<feedback><report_metadata>", len < 27 ? len : 27);
	return len < 27 ? (ssize_t)len : 27;
}

static void test_read_error(void)
{
	int calls = 0;
	char why[128];
	struct mail_agg_summary sum;
	enum mp_err e = mail_report_agg_parse(failing_read, &calls, NULL, NULL, NULL, NULL, &sum,
					      why, sizeof why);

	tap_ok(e == ERR_IO && strstr(why, "read error"), "read callback -1: ERR_IO (%s)", why);
}

/* ---- the 100 MB report, streamed from a generator ---- */

struct gen {
	uint64_t target, made, records, messages, i;
	char blk[1024];
	size_t blen, boff;
	int stage; /* 0 head, 1 records, 2 tail, 3 done */
};

static void gen_next(struct gen *g)
{
	uint64_t i = g->i++;
	unsigned c = (unsigned)(i % 7) + 1;

	if (g->stage == 0) {
		g->blen = (size_t)snprintf(g->blk, sizeof g->blk, "%s", gen_head);
		g->stage = 1;
	} else if (g->stage == 1 && g->made < g->target) {
		g->blen = (size_t)snprintf(
		    g->blk, sizeof g->blk,
		    " <record>\n  <row>\n   <source_ip>10.%u.%u.%u</source_ip>\n   "
		    "<count>%u</count>\n"
		    "   <policy_evaluated>\n    <disposition>none</disposition>\n"
		    "    <dkim>pass</dkim>\n    <spf>fail</spf>\n   </policy_evaluated>\n  </row>\n"
		    "  <identifiers>\n   <header_from>example.com</header_from>\n  </identifiers>\n"
		    "  <auth_results>\n   <dkim>\n    <domain>example.com</domain>\n"
		    "    <selector>s%u</selector>\n    <result>pass</result>\n   </dkim>\n"
		    "   <spf>\n    <domain>bounce.example.net</domain>\n    <result>fail</result>\n"
		    "   </spf>\n  </auth_results>\n </record>\n",
		    (unsigned)(i >> 16) & 255, (unsigned)(i >> 8) & 255, (unsigned)i & 255, c,
		    (unsigned)(i % 1000));
		g->records++;
		g->messages += c;
	} else if (g->stage == 1) {
		g->blen = (size_t)snprintf(g->blk, sizeof g->blk, "</feedback>\n");
		g->stage = 2;
	} else {
		g->blen = 0;
		g->stage = 3;
	}
	g->boff = 0;
}

static ssize_t gen_read(void *ctx, char *buf, size_t len)
{
	struct gen *g = ctx;
	size_t n = 0, k;

	while (n < len) {
		if (g->boff == g->blen) {
			if (g->stage == 3)
				break;
			gen_next(g);
			continue;
		}
		k = g->blen - g->boff < len - n ? g->blen - g->boff : len - n;
		memcpy(buf + n, g->blk + g->boff, k);
		g->boff += k;
		g->made += k;
		n += k;
	}
	return (ssize_t)n;
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void test_100mb(void)
{
	struct gen g;
	struct mail_agg_summary sum;
	struct mail_agg_limits lim = {.max_bytes = 200ULL << 20};
	char why[256];
	long before = maxrss_kb();
	enum mp_err e;

	memset(&g, 0, sizeof g);
	g.target = 100ULL << 20;
	e = mail_report_agg_parse(gen_read, &g, NULL, NULL, NULL, NULL, &sum, why, sizeof why);
	tap_ok(e == ERR_LIMIT && strstr(why, "larger than 67108864 bytes") &&
		   sum.bytes == 64ULL << 20,
	       "100 MB with the default 64 MiB cap: ERR_LIMIT (%s)", why);
	memset(&g, 0, sizeof g);
	g.target = 100ULL << 20;
	e = mail_report_agg_parse(gen_read, &g, &lim, NULL, NULL, NULL, &sum, why, sizeof why);
	tap_ok(e == ERR_OK && g.made > (100ULL << 20) && sum.bytes == g.made,
	       "100 MB with a 200 MiB cap: parses all %llu bytes (%s)", (unsigned long long)g.made,
	       why);
	tap_ok(sum.records == g.records && sum.messages == g.messages,
	       "100 MB: %llu records, %llu messages, as generated", (unsigned long long)sum.records,
	       (unsigned long long)sum.messages);
#ifdef UNDER_ASAN
	(void)before;
	tap_skip("peak RSS growth is not meaningful under ASan");
#else
	tap_ok(maxrss_kb() - before < 32 * 1024, "100 MB: peak RSS grew by %ld KB (< 32 MB)",
	       maxrss_kb() - before);
#endif
}

/* ---- real reports (parsedmarc's samples) ---- */

/* Independent oracle: "<record>" occurrences and the sum of <count>s. */
static void naive_count(const char *p, size_t len, uint64_t *records, uint64_t *messages)
{
	const char *s = p, *e = p + len;

	*records = *messages = 0;
	while ((s = memmem(s, (size_t)(e - s), "<record>", 8)) != NULL) {
		(*records)++;
		s += 8;
	}
	for (s = p; (s = memmem(s, (size_t)(e - s), "<count>", 7)) != NULL;) {
		uint64_t v = 0;
		for (s += 7; s < e && (*s == ' ' || *s == '\n'); s++)
			;
		for (; s < e && *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (uint64_t)(*s - '0');
		*messages += v;
	}
}

static void corpus_file(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), why[256];
	size_t len;
	char *p = slurp(path, &len);
	struct got g;
	struct mail_agg_summary sum;
	uint64_t nrec, nmsg;
	long before;
	enum mp_err e;

	free(path);
	if (p == NULL) {
		tap_ok(false, "corpus %s: readable", name);
		return;
	}
	memset(&g, 0, sizeof g);
	before = maxrss_kb();
	e = parse_buf(p, len, NULL, &g, &sum, why, sizeof why);
	if (strncmp(name, "invalid_", 8) == 0) {
		tap_ok(e == ERR_PARSE && why[0] != '\0', "corpus %s: rejected (%s)", name, why);
	} else {
		naive_count(p, len, &nrec, &nmsg);
		tap_ok(e == ERR_OK && sum.records == nrec && sum.messages == nmsg && nrec > 0,
		       "corpus %s: %llu records, %llu messages (%s)", name,
		       (unsigned long long)sum.records, (unsigned long long)sum.messages,
		       e == ERR_OK ? "ok" : why);
	}
	if (strcmp(name, "report_with_upper_cased_pass.xml") == 0)
		tap_ok(g.rec[0].dkim == MAIL_AGG_RES_PASS && g.rec[0].spf == MAIL_AGG_RES_PASS &&
			   g.rec[0].dk[0].res == MAIL_AGG_RES_PASS &&
			   !strcmp(g.rec[0].dk[0].word, "pass") && !strcmp(g.org, "example.com"),
		       "corpus %s: \"Pass\" is pass, org_name trimmed", name);
	if (strcmp(name, "old_draft_from_wiki.xml") == 0)
		tap_ok(g.metas == 1 && !strcmp(g.rid, "9391651994964116463"),
		       "corpus %s: old draft schema read", name);
#ifdef UNDER_ASAN
	(void)before;
	if (strncmp(name, "_large", 6) == 0)
		tap_skip("corpus %s: peak RSS is not meaningful under ASan", name);
#else
	if (strncmp(name, "_large", 6) == 0)
		tap_ok(maxrss_kb() - before < 8 * 1024, "corpus %s: peak RSS grew by %ld KB", name,
		       maxrss_kb() - before);
#endif
	free(p);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus(void)
{
	char *dir = xasprintf("%s/../shared/corpora/dmarc-reports/aggregate", tap_srcdir());
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[256];
	size_t n = 0, i, nl;

	if (d == NULL) {
		tap_skip("no ../shared/corpora/dmarc-reports/aggregate: real reports not checked");
		free(dir);
		return;
	}
	while ((de = readdir(d)) != NULL && n < 256) {
		nl = strlen(de->d_name);
		if (nl > 4 && strcmp(de->d_name + nl - 4, ".xml") == 0)
			names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], name_cmp);
	tap_ok(n >= 10, "corpus: %zu plain XML reports", n);
	for (i = 0; i < n; i++) {
		corpus_file(dir, names[i]);
		free(names[i]);
	}
	free(dir);
}

/* ---- sniffing, names, stderr, threads ---- */

static void test_sniff(void)
{
	static const char bom[] = "\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- c -->\n<feedback>";

	tap_ok(mail_report_agg_sniff(bom, sizeof bom - 1), "sniff: BOM, declaration, comment");
	tap_ok(mail_report_agg_sniff("<feedback xmlns=\"urn:x\">", 24), "sniff: namespace");
	tap_ok(mail_report_agg_sniff("  <dmarc:feedback>", 18), "sniff: prefixed");
	tap_ok(mail_report_agg_sniff("<!DOCTYPE feedback [<!ENTITY a \"b\">]><feedback>", 47),
	       "sniff: a DOCTYPE is skipped (the parser refuses it with a reason)");
	tap_ok(!mail_report_agg_sniff("<feedbackx>", 11), "sniff: <feedbackx> is not");
	tap_ok(!mail_report_agg_sniff("{\"organization-name\":1}", 23), "sniff: JSON is not");
	tap_ok(!mail_report_agg_sniff("<?xml version=\"1.0\"", 19), "sniff: cut declaration");
	tap_ok(!mail_report_agg_sniff("<feed", 5) && !mail_report_agg_sniff("", 0),
	       "sniff: short input");
	tap_ok(!mail_report_agg_sniff("<!-- <feedback>", 15), "sniff: inside an open comment");
}

static void test_names(void)
{
	tap_ok(!strcmp(mail_agg_result_name(MAIL_AGG_RES_PERMERROR), "permerror") &&
		   !strcmp(mail_agg_result_name(MAIL_AGG_RES_OTHER), "other") &&
		   !strcmp(mail_agg_result_name((enum mail_agg_result)99), "other"),
	       "result names");
	tap_ok(!strcmp(mail_agg_disposition_name(MAIL_AGG_DISP_QUARANTINE), "quarantine") &&
		   !strcmp(mail_agg_disposition_name((enum mail_agg_disposition)99), "other"),
	       "disposition names");
}

/* libxml2 must never print: stderr goes to a file around the hostile cases. */
static char *quiet_path;
static int quiet_saved = -1;

static void quiet_begin(void)
{
	int fd;

	quiet_path = xasprintf("%s/stderr", tap_tmpdir());
	fd = open(quiet_path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	fflush(stderr);
	quiet_saved = dup(2);
	if (fd < 0 || quiet_saved < 0 || dup2(fd, 2) < 0)
		fatal("cannot redirect stderr");
	close(fd);
}

static void quiet_end(void)
{
	struct stat st;

	fflush(stderr);
	dup2(quiet_saved, 2);
	close(quiet_saved);
	tap_ok(stat(quiet_path, &st) == 0 && st.st_size == 0,
	       "libxml2 printed nothing on stderr during the hostile cases");
	free(quiet_path);
}

struct th {
	const char *good, *bad;
	size_t glen, blen;
	int ok;
};

/* Good and bad documents in turn: each parse's errors stay its own. */
static void *th_main(void *arg)
{
	struct th *t = arg;
	struct mail_agg_summary sum;
	char why[128];
	int i;

	for (i = 0; i < 100; i++) {
		if (mail_report_agg_parse_mem(t->good, t->glen, NULL, NULL, NULL, NULL, &sum, why,
					      sizeof why) == ERR_OK &&
		    sum.records == 2 && why[0] == '\0')
			t->ok++;
		if (mail_report_agg_parse_mem(t->bad, t->blen, NULL, NULL, NULL, NULL, &sum, why,
					      sizeof why) == ERR_PARSE &&
		    strstr(why, "line 22: ") != NULL)
			t->ok++;
	}
	return NULL;
}

static void test_threads(void)
{
	pthread_t tid[4];
	struct th t[4];
	int i, ok = 0;
	size_t glen, blen;
	char *good = fixture("rfc7489-full.xml", &glen), *bad = fixture("truncated.xml", &blen);

	for (i = 0; i < 4; i++) {
		t[i] = (struct th){good, bad, glen, blen, 0};
		if (pthread_create(&tid[i], NULL, th_main, &t[i]) != 0)
			fatal("pthread_create");
	}
	for (i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		ok += t[i].ok;
	}
	tap_is_int(ok, 800, "4 threads x 200 parses at once, good and bad in turn");
	free(good);
	free(bad);
}

int main(void)
{
	test_100mb(); /* first: the peak RSS baseline is the fresh process */
	test_rfc7489_full();
	test_rfc9990();
	test_multi_auth();
	test_small_valid();
	quiet_begin();
	test_hostile_fixtures();
	test_generated_hostile();
	test_limits_and_callbacks();
	test_read_error();
	quiet_end();
	test_sniff();
	test_names();
	test_threads();
	test_corpus();
	return tap_done();
}
