/*
 * tests/fuzz/fuzz_report_agg: mail/report_agg (libxml2 xmlTextReader) on
 * hostile XML, with small limits so that every cap is reached often.
 * Checks the promises of the contract: meta before any record and exactly
 * once on success, every string present and free of upper-case letters
 * where the header says lower case, source_ip a normalised IP literal,
 * count <= 2^53, at most MAIL_AGG_MAX_AUTH auth results, begin <= end,
 * the summary agreeing with the callbacks, a reason on every failure, and
 * the sniffer never reading out of bounds.
 * Seeds: tests/fuzz/corpus/report_agg (our fixtures, RFC examples and
 * reports shaped like parsedmarc's samples).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/report_agg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned metas;
	uint64_t records, messages;
};

static void lower_only(const char *s)
{
	if (s == NULL)
		abort();
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			abort();
}

static void present(const char *s)
{
	if (s == NULL)
		abort();
}

static enum mp_err on_meta(void *arg, const struct mail_agg_meta *m)
{
	struct seen *s = arg;

	if (s->metas++ != 0 || s->records != 0)
		abort();
	present(m->version);
	present(m->email);
	present(m->extra_contact);
	present(m->testing);
	present(m->discovery);
	present(m->fo);
	lower_only(m->domain);
	lower_only(m->p);
	lower_only(m->sp);
	lower_only(m->np);
	if (m->org_name[0] == '\0' || m->report_id[0] == '\0' || m->domain[0] == '\0')
		abort();
	if (m->begin < 0 || m->begin > m->end || (m->adkim != 'r' && m->adkim != 's'))
		abort();
	if (m->aspf != 'r' && m->aspf != 's')
		abort();
	if (m->pct < -1 || m->pct > 100)
		abort();
	return ERR_OK;
}

static void auth_ok(const struct mail_agg_auth *a)
{
	lower_only(a->domain);
	lower_only(a->scope);
	lower_only(a->result_word);
	present(a->selector);
	present(a->human);
	if ((unsigned)a->result > MAIL_AGG_RES_OTHER)
		abort();
}

static enum mp_err on_record(void *arg, const struct mail_agg_meta *m,
			     const struct mail_agg_record *r)
{
	struct seen *s = arg;
	unsigned char bin[16];
	size_t i;

	if (s->metas != 1 || m == NULL)
		abort();
	if (memchr(r->source_ip, 0, sizeof r->source_ip) == NULL)
		abort();
	if (inet_pton(AF_INET, r->source_ip, bin) != 1 &&
	    inet_pton(AF_INET6, r->source_ip, bin) != 1)
		abort();
	if (r->count > (1ULL << 53) || r->header_from[0] == '\0')
		abort();
	lower_only(r->header_from);
	lower_only(r->envelope_from);
	lower_only(r->envelope_to);
	lower_only(r->reason_types);
	if (r->n_dkim > MAIL_AGG_MAX_AUTH || r->n_spf > MAIL_AGG_MAX_AUTH)
		abort();
	for (i = 0; i < r->n_dkim; i++)
		auth_ok(&r->dkim[i]);
	for (i = 0; i < r->n_spf; i++)
		auth_ok(&r->spf[i]);
	if ((unsigned)r->disposition > MAIL_AGG_DISP_OTHER)
		abort();
	s->records++;
	s->messages += r->count;
	return ERR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_agg_limits lim = {
	    .max_bytes = 256 * 1024, .max_depth = 12, .max_text = 512, .max_records = 200};
	struct mail_agg_summary sum;
	struct seen s = {0, 0, 0};
	char why[256];
	enum mp_err e;

	(void)mail_report_agg_sniff((const char *)data, size);
	e = mail_report_agg_parse_mem((const char *)data, size, &lim, on_meta, on_record, &s, &sum,
				      why, sizeof why);
	if (sum.records != s.records || sum.bytes > size)
		abort();
	if (e == ERR_OK) {
		if (s.metas != 1 || sum.messages != s.messages || sum.bytes != size)
			abort();
	} else if (why[0] == '\0' || memchr(why, 0, sizeof why) == NULL) {
		abort();
	}
	return 0;
}
