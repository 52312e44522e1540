/*
 * tests/fuzz/fuzz_report_msg: the whole report pipeline (mail/report and
 * through it mail/mime, mail/report_archive, mail/report_agg,
 * mail/report_tlsrpt, mail/report_arf) on arbitrary bytes, with small
 * limits so that bombs and caps are reached quickly.  Checks the promises
 * of the sink protocol: begin() and end() strictly paired and in order,
 * records only inside an aggregate report, a known kind and a container
 * on every report, at most MAIL_REPORT_MAX_PER_MESSAGE reports, a reason
 * with every rejection, one printable line, and an outcome that adds up.
 * Seeds: tests/fuzz/corpus/report_msg (small e-mails with zip, gzip, XML
 * and JSON reports, a failure report, raw reports, hostile ones).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_state {
	bool open;
	enum mail_report_kind kind;
	unsigned begins, ends, ok, bad;
	uint64_t records;
};

static enum mp_err fz_begin(void *arg, const struct mail_report_where *w)
{
	struct fz_state *s = arg;
	if (s->open || w->kind == MAIL_REPORT_NONE || w->kind > MAIL_REPORT_FAILURE ||
	    !w->container || !*w->container || !w->filename || w->index != s->begins)
		abort();
	s->open = true;
	s->kind = w->kind;
	s->records = 0;
	s->begins++;
	return ERR_OK;
}

static enum mp_err fz_meta(void *arg, const struct mail_agg_meta *m)
{
	struct fz_state *s = arg;
	if (!s->open || s->kind != MAIL_REPORT_AGGREGATE || !m->org_name || !m->domain)
		abort();
	return ERR_OK;
}

static enum mp_err fz_record(void *arg, const struct mail_agg_meta *m,
			     const struct mail_agg_record *r)
{
	struct fz_state *s = arg;
	if (!s->open || s->kind != MAIL_REPORT_AGGREGATE || !m || !r->header_from ||
	    memchr(r->source_ip, 0, sizeof(r->source_ip)) == NULL)
		abort();
	s->records++;
	return ERR_OK;
}

static enum mp_err fz_tlsrpt(void *arg, const struct mail_tlsrpt *t)
{
	struct fz_state *s = arg;
	if (!s->open || s->kind != MAIL_REPORT_TLSRPT || !t->org_name || !t->report_id ||
	    t->n_policies > MAIL_TLSRPT_MAX_POLICIES)
		abort();
	return ERR_OK;
}

static enum mp_err fz_failure(void *arg, const struct mail_arf *a)
{
	struct fz_state *s = arg;
	if (!s->open || s->kind != MAIL_REPORT_FAILURE || !a->reported_domain ||
	    !*a->reported_domain || !a->source_ip || !a->orig_from)
		abort();
	return ERR_OK;
}

static void fz_end(void *arg, const struct mail_report_where *w, enum mp_err verdict,
		   const char *why, const struct mail_agg_summary *sum)
{
	struct fz_state *s = arg;
	if (!s->open || w->kind != s->kind || !why || (verdict != ERR_OK && !*why))
		abort();
	if ((w->kind == MAIL_REPORT_AGGREGATE) != (sum != NULL))
		abort();
	if (sum && sum->records != s->records)
		abort();
	s->open = false;
	s->ends++;
	if (verdict == ERR_OK)
		s->ok++;
	else
		s->bad++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_state st;
	struct mail_report_limits lim;
	struct mail_report_outcome o;
	struct mail_report_sink sink = {fz_begin,   fz_meta, fz_record, fz_tlsrpt,
					fz_failure, fz_end,  &st};
	if (size > 256 * 1024)
		return 0;
	memset(&st, 0, sizeof(st));
	mail_report_limits_default(&lim);
	lim.agg.max_bytes = 1 << 20;
	lim.agg.max_records = 1000;
	lim.archive.max_out = 1 << 20;
	lim.max_message = 512 * 1024;
	enum mp_err err = mail_report_parse_mem((const char *)data, size, &lim, &sink, &o);
	if (st.open || st.begins != st.ends || o.reports != st.begins || o.accepted != st.ok ||
	    o.rejected != st.bad || o.reports > MAIL_REPORT_MAX_PER_MESSAGE ||
	    memchr(o.why, 0, sizeof(o.why)) == NULL)
		abort();
	for (const char *c = o.why; *c; c++)
		if ((unsigned char)*c < 0x20)
			abort(); /* the reason is one printable line */
	if (err == ERR_OK && (o.accepted == 0 || o.rejected + o.unreadable > 0))
		abort();
	if (err == ERR_NOTFOUND && (o.reports > 0 || o.unreadable > 0 || !o.why[0]))
		abort();
	if (err != ERR_OK && err != ERR_NOTFOUND && (o.rejected + o.unreadable == 0 || !o.why[0]))
		abort();
	return 0;
}
