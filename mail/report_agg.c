/*
 * mail/report_agg: DMARC aggregate report XML (RFC 7489 appendix C, RFC 9990,
 * the pre-RFC drafts) read with libxml2's streaming xmlTextReader; see
 * report_agg.h for the contract.  This is the only module that includes
 * <libxml/...> (STYLE.md 6).
 *
 * How: the reader hands us one node at a time and frees what is behind us,
 * so memory does not grow with the input.  We keep a stack of "where am I"
 * ids (one byte per depth level), collect the text of the leaf elements we
 * know into one reused buffer, and hand each leaf's text to
 * mail/report_agg_rec, which checks the values and builds one record at a
 * time.  Element names are compared by pointer against names interned in
 * the reader's dictionary; no allocation per node on our side.
 *
 * Hostile input (libraries.md 8): options are XML_PARSE_NONET and
 * NOBLANKS/COMPACT/NOCDATA (never NOENT, DTDLOAD, DTDATTR, HUGE, XINCLUDE); a
 * DOCTYPE is refused twice: by a scan of the raw prolog bytes in the read
 * adapter (before libxml2 could look at any entity) and by the DOCTYPE node
 * type.  The external entity loader is replaced, once per process, by one
 * that loads nothing.  libxml2's own limits (depth 256, 10 MB text nodes)
 * stay on; ours (struct mail_agg_limits) are tighter.
 *
 * What it does not: decompress, find the XML in a message, judge alignment
 * or store anything (see report_agg.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
#include "common/xmalloc.h"
#include "mail/report_agg.h"
#include "mail/report_agg_rec.h"

#define DEF_MAX_BYTES (64ULL << 20)
#define DEF_MAX_DEPTH 16U
#define DEF_MAX_TEXT 4096U
#define MAX_MAX_TEXT (1U << 20)
#define DEF_MAX_RECORDS 1000000ULL

/* Where we are in the tree.  Children of one parent are contiguous. */
enum node {
	N_SKIP = 0, /* unknown element (extension, RFC 9990 additions): ignored */
	N_DOC,
	N_FEEDBACK, /* parent N_DOC */
	N_VERSION,  /* parent N_FEEDBACK */
	N_META,
	N_POL,
	N_RECORD,
	N_ORG, /* parent N_META */
	N_EMAIL,
	N_EXTRA,
	N_RID,
	N_RANGE,
	N_MERROR,
	N_BEGIN, /* parent N_RANGE */
	N_END,
	N_PDOMAIN, /* parent N_POL */
	N_ADKIM,
	N_ASPF,
	N_P,
	N_SP,
	N_NP,
	N_PCT,
	N_FO,
	N_TESTING,
	N_DISCOVERY,
	N_ROW, /* parent N_RECORD */
	N_IDS,
	N_AUTH,
	N_SRCIP, /* parent N_ROW */
	N_COUNT,
	N_PE,
	N_DISP, /* parent N_PE */
	N_PEDKIM,
	N_PESPF,
	N_REASON,
	N_RTYPE, /* parent N_REASON */
	N_RCOMMENT,
	N_HFROM, /* parent N_IDS */
	N_EFROM,
	N_ETO,
	N_ADKIM_R, /* parent N_AUTH */
	N_ASPF_R,
	N_AD_DOMAIN, /* parent N_ADKIM_R */
	N_AD_SEL,
	N_AD_RES,
	N_AD_HUMAN,
	N_AS_DOMAIN, /* parent N_ASPF_R */
	N_AS_SCOPE,
	N_AS_RES,
	N_AS_HUMAN,
	N__COUNT
};

struct node_def {
	unsigned char parent;
	unsigned char field; /* enum mail_agg_field: a leaf whose text we keep */
	const char *name;
};

static const struct node_def nodes[N__COUNT] = {
    [N_SKIP] = {N_SKIP, MAIL_AGG_F_NONE, ""},
    [N_DOC] = {N_SKIP, MAIL_AGG_F_NONE, ""},
    [N_FEEDBACK] = {N_DOC, MAIL_AGG_F_NONE, "feedback"},
    [N_VERSION] = {N_FEEDBACK, MAIL_AGG_F_VERSION, "version"},
    [N_META] = {N_FEEDBACK, MAIL_AGG_F_NONE, "report_metadata"},
    [N_POL] = {N_FEEDBACK, MAIL_AGG_F_NONE, "policy_published"},
    [N_RECORD] = {N_FEEDBACK, MAIL_AGG_F_NONE, "record"},
    [N_ORG] = {N_META, MAIL_AGG_F_ORG, "org_name"},
    [N_EMAIL] = {N_META, MAIL_AGG_F_EMAIL, "email"},
    [N_EXTRA] = {N_META, MAIL_AGG_F_EXTRA, "extra_contact_info"},
    [N_RID] = {N_META, MAIL_AGG_F_RID, "report_id"},
    [N_RANGE] = {N_META, MAIL_AGG_F_NONE, "date_range"},
    [N_MERROR] = {N_META, MAIL_AGG_F_NONE, "error"},
    [N_BEGIN] = {N_RANGE, MAIL_AGG_F_BEGIN, "begin"},
    [N_END] = {N_RANGE, MAIL_AGG_F_END, "end"},
    [N_PDOMAIN] = {N_POL, MAIL_AGG_F_DOMAIN, "domain"},
    [N_ADKIM] = {N_POL, MAIL_AGG_F_ADKIM, "adkim"},
    [N_ASPF] = {N_POL, MAIL_AGG_F_ASPF, "aspf"},
    [N_P] = {N_POL, MAIL_AGG_F_P, "p"},
    [N_SP] = {N_POL, MAIL_AGG_F_SP, "sp"},
    [N_NP] = {N_POL, MAIL_AGG_F_NP, "np"},
    [N_PCT] = {N_POL, MAIL_AGG_F_PCT, "pct"},
    [N_FO] = {N_POL, MAIL_AGG_F_FO, "fo"},
    [N_TESTING] = {N_POL, MAIL_AGG_F_TESTING, "testing"},
    [N_DISCOVERY] = {N_POL, MAIL_AGG_F_DISCOVERY, "discovery_method"},
    [N_ROW] = {N_RECORD, MAIL_AGG_F_NONE, "row"},
    [N_IDS] = {N_RECORD, MAIL_AGG_F_NONE, "identifiers"},
    [N_AUTH] = {N_RECORD, MAIL_AGG_F_NONE, "auth_results"},
    [N_SRCIP] = {N_ROW, MAIL_AGG_F_SOURCE_IP, "source_ip"},
    [N_COUNT] = {N_ROW, MAIL_AGG_F_COUNT, "count"},
    [N_PE] = {N_ROW, MAIL_AGG_F_NONE, "policy_evaluated"},
    [N_DISP] = {N_PE, MAIL_AGG_F_DISPOSITION, "disposition"},
    [N_PEDKIM] = {N_PE, MAIL_AGG_F_PE_DKIM, "dkim"},
    [N_PESPF] = {N_PE, MAIL_AGG_F_PE_SPF, "spf"},
    [N_REASON] = {N_PE, MAIL_AGG_F_NONE, "reason"},
    [N_RTYPE] = {N_REASON, MAIL_AGG_F_REASON_TYPE, "type"},
    [N_RCOMMENT] = {N_REASON, MAIL_AGG_F_NONE, "comment"},
    [N_HFROM] = {N_IDS, MAIL_AGG_F_HEADER_FROM, "header_from"},
    [N_EFROM] = {N_IDS, MAIL_AGG_F_ENVELOPE_FROM, "envelope_from"},
    [N_ETO] = {N_IDS, MAIL_AGG_F_ENVELOPE_TO, "envelope_to"},
    [N_ADKIM_R] = {N_AUTH, MAIL_AGG_F_NONE, "dkim"},
    [N_ASPF_R] = {N_AUTH, MAIL_AGG_F_NONE, "spf"},
    [N_AD_DOMAIN] = {N_ADKIM_R, MAIL_AGG_F_AUTH_DOMAIN, "domain"},
    [N_AD_SEL] = {N_ADKIM_R, MAIL_AGG_F_AUTH_SELECTOR, "selector"},
    [N_AD_RES] = {N_ADKIM_R, MAIL_AGG_F_AUTH_RESULT, "result"},
    [N_AD_HUMAN] = {N_ADKIM_R, MAIL_AGG_F_AUTH_HUMAN, "human_result"},
    [N_AS_DOMAIN] = {N_ASPF_R, MAIL_AGG_F_AUTH_DOMAIN, "domain"},
    [N_AS_SCOPE] = {N_ASPF_R, MAIL_AGG_F_AUTH_SCOPE, "scope"},
    [N_AS_RES] = {N_ASPF_R, MAIL_AGG_F_AUTH_RESULT, "result"},
    [N_AS_HUMAN] = {N_ASPF_R, MAIL_AGG_F_AUTH_HUMAN, "human_result"},
};

struct ps {
	xmlTextReaderPtr xr;
	struct mail_agg_limits lim;
	mail_agg_meta_fn *on_meta;
	mail_agg_record_fn *on_record;
	void *arg;
	enum mp_err err;
	char *why;
	size_t whysz;
	/* input adapter */
	mail_agg_read_fn *rd;
	void *rdctx;
	uint64_t bytes;
	unsigned prolog; /* raw DOCTYPE scan: bytes of "<!DOCTYPE" matched */
	bool prolog_done;
	/* libxml2's first error */
	bool xml_err;
	int xml_line;
	char xml_msg[200];
	/* tree */
	unsigned char *stack; /* node id per depth */
	const xmlChar *iname[N__COUNT];
	unsigned char lo[N__COUNT], hi[N__COUNT]; /* children of a node: [lo, hi) */
	char *text;
	size_t tlen;
	bool capture;
	enum node leaf_id; /* the leaf whose text is being collected */
	/* document */
	bool seen_root, meta_sent;
	struct mail_report_agg_rec *b;
	const struct mail_agg_meta *meta; /* once meta_sent */
	struct mail_agg_summary sum;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* No external entity, DTD or URL is ever loaded, whatever the options. */
static xmlParserInputPtr deny_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void xml_init(void)
{
	/* xmlInitParser is not safe to race with itself in 2.9; once only.
	   Library code never calls xmlCleanupParser. */
	xmlInitParser();
	xmlSetExternalEntityLoader(deny_loader);
}

static void set_why(struct ps *p, const char *fmt, ...) MP_PRINTF(2, 3);

static void set_why(struct ps *p, const char *fmt, ...)
{
	va_list ap;

	if (p->why == NULL || p->whysz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->why, p->whysz, fmt, ap);
	va_end(ap);
}

static int cur_line(const struct ps *p)
{
	return p->xr != NULL ? xmlTextReaderGetParserLineNumber(p->xr) : 0;
}

/* Record the first error; returns false so callers can `return fail(...)`. */
static bool fail(struct ps *p, enum mp_err e, const char *what, const char *detail)
{
	if (p->err != ERR_OK)
		return false;
	p->err = e;
	set_why(p, "line %d: %s%s", cur_line(p), what, detail != NULL ? detail : "");
	return false;
}

/* Copy libxml2's message, printable ASCII only, no trailing newline. */
static void keep_xml_msg(struct ps *p, const char *m)
{
	size_t i, n = 0;

	for (i = 0; m != NULL && m[i] != '\0' && n + 1 < sizeof p->xml_msg; i++) {
		unsigned char c = (unsigned char)m[i];
		p->xml_msg[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	while (n > 0 && p->xml_msg[n - 1] == ' ')
		n--;
	p->xml_msg[n] = '\0';
}

static void on_xml_error(void *arg, xmlErrorPtr e)
{
	struct ps *p = arg;

	if (e == NULL || e->level < XML_ERR_ERROR || p->xml_err)
		return;
	p->xml_err = true;
	p->xml_line = e->line;
	keep_xml_msg(p, e->message);
}

/*
 * The raw prolog scan: a DOCTYPE can only come before the root element, so
 * we look for "<!DOCTYPE" until the first "<" that opens an element.
 */
static bool prolog_scan(struct ps *p, const char *b, size_t n)
{
	static const char pat[] = "<!DOCTYPE";
	size_t i;

	for (i = 0; i < n && !p->prolog_done; i++) {
		char c = b[i];
		if (p->prolog == 1 && c != '!' && c != '?') {
			p->prolog_done = true; /* "<name": the root element */
		} else if (c == pat[p->prolog]) {
			if (++p->prolog == sizeof pat - 1)
				return false;
		} else {
			p->prolog = c == '<' ? 1 : 0;
		}
	}
	return true;
}

static int io_read(void *arg, char *buf, int len)
{
	struct ps *p = arg;
	ssize_t n;

	if (p->err != ERR_OK || len <= 0)
		return p->err != ERR_OK ? -1 : 0;
	n = p->rd(p->rdctx, buf, (size_t)len);
	if (n < 0 || n > len) {
		p->err = ERR_IO;
		set_why(p, "read error after %llu bytes", (unsigned long long)p->bytes);
		return -1;
	}
	if ((uint64_t)n > p->lim.max_bytes - p->bytes) {
		p->bytes = p->lim.max_bytes;
		p->err = ERR_LIMIT;
		set_why(p, "report larger than %llu bytes", (unsigned long long)p->lim.max_bytes);
		return -1;
	}
	p->bytes += (uint64_t)n;
	if (!prolog_scan(p, buf, (size_t)n)) {
		p->err = ERR_PARSE;
		set_why(p, "DOCTYPE not allowed");
		return -1;
	}
	return (int)n;
}

/* ---- meta and records ---- */

static bool send_meta(struct ps *p)
{
	const char *what = NULL;
	enum mp_err e;

	p->meta_sent = true;
	e = mail_report_agg_rec_meta(p->b, &p->meta, &what);
	if (e != ERR_OK)
		return fail(p, e, what, NULL);
	if (p->on_meta == NULL)
		return true;
	e = p->on_meta(p->arg, p->meta);
	if (e != ERR_OK)
		return fail(p, e, "meta callback failed: ", common_err_str(e));
	return true;
}

static bool send_record(struct ps *p)
{
	struct mail_agg_record r;
	const char *what = NULL;
	enum mp_err e = mail_report_agg_rec_record(p->b, &r, &what);

	if (e != ERR_OK)
		return fail(p, e, what, NULL);
	if (p->sum.records >= p->lim.max_records)
		return fail(p, ERR_LIMIT, "too many records", NULL);
	p->sum.records++;
	p->sum.messages =
	    p->sum.messages + r.count < p->sum.messages ? UINT64_MAX : p->sum.messages + r.count;
	if (p->on_record == NULL)
		return true;
	e = p->on_record(p->arg, p->meta, &r);
	if (e != ERR_OK)
		return fail(p, e, "record callback failed: ", common_err_str(e));
	return true;
}

/* ---- the tree ---- */

static enum node lookup(const struct ps *p, enum node parent, const xmlChar *name)
{
	unsigned i;

	/* Element names come from the reader's dictionary: a pointer compare
	   finds ours; the string compare is for anything that is not interned. */
	for (i = p->lo[parent]; i < p->hi[parent]; i++)
		if (p->iname[i] == name)
			return (enum node)i;
	for (i = p->lo[parent]; i < p->hi[parent]; i++)
		if (strcmp(nodes[i].name, (const char *)name) == 0)
			return (enum node)i;
	return N_SKIP;
}

/* What an element's start means for the record being built. */
static bool start_effect(struct ps *p, enum node id)
{
	const char *what = NULL;

	switch (id) {
	case N_META:
	case N_POL:
		/* RFC 7489 C: metadata and policy come before the records */
		if (p->meta_sent)
			return fail(p, ERR_PARSE, nodes[id].name, " after the first <record>");
		return true;
	case N_RECORD:
		if (!p->meta_sent && !send_meta(p))
			return false;
		mail_report_agg_rec_start(p->b);
		return true;
	case N_PE:
		mail_report_agg_rec_saw_pe(p->b);
		return true;
	case N_ADKIM_R:
	case N_ASPF_R:
		if (mail_report_agg_rec_add_auth(p->b, id == N_ADKIM_R, &what) != ERR_OK)
			return fail(p, ERR_LIMIT, what, NULL);
		return true;
	default:
		return true;
	}
}

static bool end_el(struct ps *p, int depth);

static bool start_el(struct ps *p, int depth, const xmlChar *name, bool empty)
{
	enum node id;

	if ((unsigned)depth >= p->lim.max_depth)
		return fail(p, ERR_LIMIT, "elements nested too deep", NULL);
	id = lookup(p, depth == 0 ? N_DOC : (enum node)p->stack[depth - 1], name);
	if (depth == 0) {
		if (id != N_FEEDBACK || p->seen_root)
			return fail(p, ERR_PARSE, "the root element is not <feedback>", NULL);
		p->seen_root = true;
	}
	p->stack[depth] = (unsigned char)id;
	if (!start_effect(p, id))
		return false;
	p->capture = nodes[id].field != MAIL_AGG_F_NONE;
	if (p->capture) {
		p->leaf_id = id;
		p->tlen = 0;
	}
	return empty ? end_el(p, depth) : true;
}

static bool end_el(struct ps *p, int depth)
{
	enum node id = (enum node)p->stack[depth];
	const char *what = NULL;
	enum mp_err e;

	if (nodes[id].field != MAIL_AGG_F_NONE) {
		p->text[p->tlen] = '\0';
		e = mail_report_agg_rec_set(p->b, (enum mail_agg_field)nodes[id].field, p->text,
					    p->tlen, &what);
		if (e != ERR_OK)
			return fail(p, e, what, NULL);
	}
	if (id == N_RECORD && !send_record(p))
		return false;
	if (id == N_FEEDBACK && !p->meta_sent && !send_meta(p))
		return false;
	/* back in the parent: a leaf with mixed content goes on collecting */
	p->capture = depth > 0 && nodes[p->stack[depth - 1]].field != MAIL_AGG_F_NONE;
	return true;
}

static bool text(struct ps *p)
{
	const xmlChar *v;
	size_t n;

	if (!p->capture)
		return true;
	v = xmlTextReaderConstValue(p->xr);
	n = v != NULL ? strlen((const char *)v) : 0; /* libxml2's text: no NUL inside */
	if (n > p->lim.max_text - p->tlen) {
		fail(p, ERR_LIMIT, "element text too long: ", nodes[p->leaf_id].name);
		return false;
	}
	memcpy(p->text + p->tlen, v, n);
	p->tlen += n;
	return true;
}

static bool node(struct ps *p)
{
	int depth;

	switch (xmlTextReaderNodeType(p->xr)) {
	case XML_READER_TYPE_ELEMENT:
		depth = xmlTextReaderDepth(p->xr);
		if (depth < 0)
			return fail(p, ERR_PARSE, "reader lost its depth", NULL);
		return start_el(p, depth, xmlTextReaderConstLocalName(p->xr),
				xmlTextReaderIsEmptyElement(p->xr) == 1);
	case XML_READER_TYPE_END_ELEMENT:
		depth = xmlTextReaderDepth(p->xr);
		if (depth < 0 || (unsigned)depth >= p->lim.max_depth)
			return fail(p, ERR_PARSE, "reader lost its depth", NULL);
		return end_el(p, depth);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		return text(p);
	case XML_READER_TYPE_DOCUMENT_TYPE:
		/* billion laughs, XXE: no DTD at all, so nothing to expand */
		return fail(p, ERR_PARSE, "DOCTYPE not allowed", NULL);
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
		return fail(p, ERR_PARSE, "entity reference not allowed", NULL);
	default:
		return true; /* comments, processing instructions, whitespace */
	}
}

/* ---- the parse ---- */

static void ps_init(struct ps *p, const struct mail_agg_limits *lim)
{
	unsigned i;

	if (lim != NULL)
		p->lim = *lim;
	if (p->lim.max_bytes == 0)
		p->lim.max_bytes = DEF_MAX_BYTES;
	if (p->lim.max_depth == 0)
		p->lim.max_depth = DEF_MAX_DEPTH;
	if (p->lim.max_depth > 255)
		p->lim.max_depth = 255; /* libxml2 stops at 256 anyway */
	if (p->lim.max_text == 0)
		p->lim.max_text = DEF_MAX_TEXT;
	if (p->lim.max_text > MAX_MAX_TEXT)
		p->lim.max_text = MAX_MAX_TEXT;
	if (p->lim.max_records == 0)
		p->lim.max_records = DEF_MAX_RECORDS;
	p->stack = xcalloc(p->lim.max_depth, 1);
	p->text = xmalloc(p->lim.max_text + 1);
	p->b = mail_report_agg_rec_new(p->lim.max_text);
	for (i = N_FEEDBACK; i < N__COUNT; i++) {
		unsigned par = nodes[i].parent;
		if (p->hi[par] == 0)
			p->lo[par] = (unsigned char)i;
		p->hi[par] = (unsigned char)(i + 1);
	}
}

static void ps_free(struct ps *p)
{
	if (p->xr != NULL)
		xmlFreeTextReader(p->xr);
	mail_report_agg_rec_free(p->b);
	free(p->stack);
	free(p->text);
	free(p);
}

/* Read every node; the reader's verdict (1 more, 0 end, -1 error). */
static int run(struct ps *p)
{
	int r;
	unsigned i;

	for (i = N_FEEDBACK; i < N__COUNT; i++)
		p->iname[i] = xmlTextReaderConstString(p->xr, (const xmlChar *)nodes[i].name);
	do {
		r = xmlTextReaderRead(p->xr);
	} while (r == 1 && node(p) && p->err == ERR_OK);
	return r;
}

enum mp_err mail_report_agg_parse(mail_agg_read_fn *rd, void *ctx,
				  const struct mail_agg_limits *lim, mail_agg_meta_fn *on_meta,
				  mail_agg_record_fn *on_record, void *arg,
				  struct mail_agg_summary *sum, char *why, size_t whysz)
{
	struct ps *p = xcalloc(1, sizeof *p);
	xmlStructuredErrorFunc old_fn;
	void *old_ctx;
	enum mp_err err;
	int r = -1;

	pthread_once(&xml_once, xml_init);
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	ps_init(p, lim);
	p->rd = rd;
	p->rdctx = ctx;
	p->on_meta = on_meta;
	p->on_record = on_record;
	p->arg = arg;
	p->why = why;
	p->whysz = whysz;
	/* Errors raised outside the reader's context (I/O) go to the thread's
	   handler: ours for the duration, so libxml2 never prints. */
	old_fn = xmlStructuredError;
	old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(p, on_xml_error);
	p->xr = xmlReaderForIO(io_read, NULL, p, NULL, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT |
				   XML_PARSE_NOCDATA);
	if (p->xr != NULL) {
		xmlTextReaderSetStructuredErrorHandler(p->xr, on_xml_error, p);
		r = run(p);
	}
	if (p->err == ERR_OK && p->bytes == 0)
		fail(p, ERR_PARSE, "empty document", NULL);
	if (p->err == ERR_OK && (r < 0 || p->xml_err)) {
		p->err = ERR_PARSE;
		if (p->xml_err)
			set_why(p, "line %d: %s", p->xml_line, p->xml_msg);
		else
			set_why(p, "line %d: not well-formed XML", cur_line(p));
	}
	if (p->err == ERR_OK && !p->meta_sent)
		fail(p, ERR_PARSE, "no <feedback> element", NULL);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	err = p->err;
	if (sum != NULL) {
		*sum = p->sum;
		sum->bytes = p->bytes;
	}
	ps_free(p);
	return err;
}

struct memrd {
	const char *p;
	size_t len, off;
};

static ssize_t mem_read(void *ctx, char *buf, size_t len)
{
	struct memrd *m = ctx;
	size_t n = m->len - m->off < len ? m->len - m->off : len;

	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

enum mp_err mail_report_agg_parse_mem(const char *p, size_t len, const struct mail_agg_limits *lim,
				      mail_agg_meta_fn *on_meta, mail_agg_record_fn *on_record,
				      void *arg, struct mail_agg_summary *sum, char *why,
				      size_t whysz)
{
	struct memrd m = {p, len, 0};

	return mail_report_agg_parse(mem_read, &m, lim, on_meta, on_record, arg, sum, why, whysz);
}

/* ---- sniffing ---- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip from s past the first occurrence of end; NULL when absent. */
static const char *skip_past(const char *s, const char *e, const char *end)
{
	size_t n = strlen(end);

	for (; (size_t)(e - s) >= n; s++)
		if (memcmp(s, end, n) == 0)
			return s + n;
	return NULL;
}

/* Past "<!DOCTYPE ...>" or "<!DOCTYPE ... [ ... ]>"; NULL when cut. */
static const char *skip_doctype(const char *s, const char *e)
{
	const char *gt = memchr(s, '>', (size_t)(e - s));
	const char *br = memchr(s, '[', (size_t)(e - s));

	if (br != NULL && (gt == NULL || br < gt))
		return skip_past(br, e, "]>");
	return gt != NULL ? gt + 1 : NULL;
}

static bool starts(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) >= n && memcmp(s, w, n) == 0;
}

/* Whether s is "<feedback" or "<prefix:feedback" followed by a delimiter. */
static bool feedback_tag(const char *s, const char *e)
{
	const char *q;

	if (s == e || *s != '<')
		return false;
	for (q = s + 1; q < e && q - s < 64 && *q != ':' && *q != '>' && !is_ws(*q); q++)
		;
	s = (q < e && *q == ':') ? q + 1 : s + 1;
	if (!starts(s, e, "feedback"))
		return false;
	s += 8;
	return s == e || *s == '>' || *s == '/' || is_ws(*s);
}

bool mail_report_agg_sniff(const char *p, size_t len)
{
	const char *s = p, *e = p + len;

	if (p == NULL)
		return false;
	if (starts(s, e, "\xef\xbb\xbf"))
		s += 3;
	while (s != NULL && s < e) {
		if (is_ws(*s))
			s++;
		else if (starts(s, e, "<?"))
			s = skip_past(s + 2, e, "?>");
		else if (starts(s, e, "<!--"))
			s = skip_past(s + 4, e, "-->");
		else if (starts(s, e, "<!DOCTYPE"))
			s = skip_doctype(s, e); /* the parser refuses it, with a reason */
		else
			return feedback_tag(s, e);
	}
	return false;
}

const char *mail_agg_result_name(enum mail_agg_result r)
{
	static const char *const names[] = {
	    "none",	 "pass",      "fail",	"neutral", "softfail",
	    "temperror", "permerror", "policy", "other",
	};

	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "other";
}

const char *mail_agg_disposition_name(enum mail_agg_disposition d)
{
	static const char *const names[] = {"none", "quarantine", "reject", "other"};

	return (unsigned)d < sizeof names / sizeof names[0] ? names[d] : "other";
}
