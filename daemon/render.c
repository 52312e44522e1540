/*
 * daemon/render: text, JSON and Nagios output of posture checks (see
 * render.h).  Ordering: worst first, so the first lines say what to fix.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include "common/buf.h"
#include "common/json.h"
#include "common/jsonw.h"
#include "common/xmalloc.h"
#include "daemon/render.h"
#include "dns/name.h"
#include "dns/spf_walk.h"

static const char *const status_word[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

enum mp_err daemon_render_parse_format(const char *s, enum daemon_render_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = RENDER_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = RENDER_JSON;
	else if (strcmp(s, "nagios") == 0)
		*out = RENDER_NAGIOS;
	else
		return ERR_INVAL;
	return ERR_OK;
}

int daemon_render_exit_code(const struct dns_findings *f)
{
	switch (dns_findings_worst(f)) {
	case SEV_CRITICAL:
		return 2;
	case SEV_WARN:
		return 1;
	case SEV_UNKNOWN:
		return 3;
	default:
		return 0;
	}
}

/* Nagios precedence between domains: CRITICAL > WARNING > UNKNOWN > OK. */
static int worse_exit(int a, int b)
{
	static const int rank[] = {0, 2, 3, 1};

	return rank[a] >= rank[b] ? a : b;
}

/* Terminal-safe copy: printable ASCII and valid UTF-8 kept, controls as \xNN. */
static char *safe(const char *s, size_t len)
{
	struct buf b;
	size_t n;
	char *u = common_json_utf8_clean(s, len, &n);

	common_buf_init(&b, n * 4 + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];

		if ((c < 0x20 && c != '\n') || c == 0x7f) {
			if (common_buf_printf(&b, "\\x%02x", c) != ERR_OK)
				fatal("render: size");
		} else if (common_buf_putc(&b, (char)c) != ERR_OK) {
			fatal("render: size");
		}
	}
	free(u);
	return common_buf_steal(&b, NULL);
}

/* Appends that cannot fail short of a broken invariant (the buffers' limits are far above any
 * report). */
static void bput(struct buf *b, const char *s, size_t n)
{
	if (common_buf_append(b, s, n) != ERR_OK)
		fatal("render: size");
}

static void bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void bputc(struct buf *b, char c)
{
	if (common_buf_putc(b, c) != ERR_OK)
		fatal("render: size");
}

static MP_PRINTF(2, 3) void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum mp_err e;

	va_start(ap, fmt);
	e = common_buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (e != ERR_OK)
		fatal("render: size");
}

/*
 * s, terminal-safe.  Why the scan first: messages and names are nearly
 * always printable ASCII, which safe() returns unchanged; those go out as
 * they are, with no UTF-8 cleaning copy and no byte-by-byte buffer.
 */
static void put_safe(struct buf *out, const char *s)
{
	size_t len = strlen(s), i = 0;
	char *t;

	while (i < len &&
	       (((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) || s[i] == '\n'))
		i++;
	if (i == len) {
		bput(out, s, len);
		return;
	}
	t = safe(s, len);
	bputs(out, t);
	free(t);
}

static const char *display_name(const char *ascii, char *buf, size_t bufsz)
{
	if (dns_name_to_display(ascii, buf, bufsz) != ERR_OK)
		return ascii;
	return buf;
}

static const char *sev_tag(enum dns_sev s)
{
	switch (s) {
	case SEV_CRITICAL:
		return "[FAIL]";
	case SEV_WARN:
		return "[WARN]";
	case SEV_UNKNOWN:
		return "[ ?? ]";
	case SEV_INFO:
		return "[info]";
	case SEV_OK:
		return "[ ok ]";
	}
	return "[ ?? ]";
}

static void count_sev(const struct dns_findings *f, int cnt[5])
{
	memset(cnt, 0, 5 * sizeof cnt[0]);
	for (size_t i = 0; i < f->n; i++)
		cnt[f->v[i].sev]++;
}

static void text_headline(struct buf *out, const char *name, int code, const int cnt[5])
{
	bprintf(out, "%s: ", name);
	if (code == 0) {
		bputs(out, "OK - mail authentication is launch-ready");
		if (cnt[SEV_INFO])
			bprintf(out, " (%d note%s)", cnt[SEV_INFO], cnt[SEV_INFO] == 1 ? "" : "s");
	} else {
		bprintf(out, "%s -", status_word[code]);
		if (cnt[SEV_CRITICAL])
			bprintf(out, " %d thing%s to fix", cnt[SEV_CRITICAL],
				cnt[SEV_CRITICAL] == 1 ? "" : "s");
		if (cnt[SEV_WARN])
			bprintf(out, "%s %d warning%s", cnt[SEV_CRITICAL] ? "," : "", cnt[SEV_WARN],
				cnt[SEV_WARN] == 1 ? "" : "s");
		if (cnt[SEV_UNKNOWN])
			bprintf(out, "%s %d check%s could not be completed",
				cnt[SEV_CRITICAL] || cnt[SEV_WARN] ? "," : "", cnt[SEV_UNKNOWN],
				cnt[SEV_UNKNOWN] == 1 ? "" : "s");
	}
	bputc(out, '\n');
}

static void text_finding(struct buf *out, const struct dns_finding *d)
{
	bprintf(out, "  %s %-8s ", sev_tag(d->sev), d->check);
	put_safe(out, d->message);
	bprintf(out, " (%s)\n", d->code);
	if (d->fix && d->sev != SEV_OK) {
		bputs(out, "         fix: ");
		put_safe(out, d->fix);
		bputc(out, '\n');
	}
}

static void text_trace(struct buf *out, const struct dns_book *book)
{
	bputs(out, "  dns questions, in the order asked:\n");
	for (size_t i = 0; i < dns_book_count(book); i++) {
		const char *name;
		uint16_t type;
		char tb[12];
		const struct dns_answer *a = dns_book_at(book, i, &name, &type);

		bprintf(out, "    %-5s ", dns_type_name(type, tb));
		put_safe(out, name);
		if (a == NULL) {
			bputs(out, " -> (not answered)\n");
			continue;
		}
		bprintf(out, " -> %s", dns_outcome_name(a->outcome));
		if (a->why)
			bprintf(out, " (%s)", a->why);
		if (a->cname) {
			bputs(out, " via CNAME ");
			put_safe(out, a->cname);
		}
		bprintf(out, " %ums\n", (unsigned)a->elapsed_ms);
	}
}

static void text_spf_node(struct buf *out, const struct dns_spf_node *n, int depth)
{
	bprintf(out, "%*s", 4 + 2 * depth, "");
	put_safe(out, n->domain);
	bprintf(out, ": %u lookup%s", n->cost, n->cost == 1 ? "" : "s");
	if (n->status != DNS_SPF_NODE_OK)
		bprintf(out, " (%s)", dns_spf_node_status_name(n->status));
	bputc(out, '\n');
	for (size_t i = 0; i < n->n_terms; i++)
		if (n->terms[i].child)
			text_spf_node(out, n->terms[i].child, depth + 1);
}

static const enum dns_sev text_order[] = {SEV_CRITICAL, SEV_WARN, SEV_UNKNOWN, SEV_INFO, SEV_OK};

/* One domain in text: a blank line between domains, the headline, findings worst first. */
static void text_domain(struct buf *out, struct dns_posture *p, bool first, bool explain)
{
	const struct dns_findings *f = dns_posture_findings(p);
	int cnt[5], code = daemon_render_exit_code(f);
	char dn[512];

	count_sev(f, cnt);
	if (!first)
		bputc(out, '\n');
	text_headline(out, display_name(dns_posture_domain(p), dn, sizeof dn), code, cnt);
	for (size_t s = 0; s < sizeof text_order / sizeof text_order[0]; s++)
		for (size_t j = 0; j < f->n; j++)
			if (f->v[j].sev == text_order[s])
				text_finding(out, &f->v[j]);
	if (explain && dns_posture_spf_tree(p) && dns_posture_spf_tree(p)->root) {
		bputs(out, "  spf lookups by include:\n");
		text_spf_node(out, dns_posture_spf_tree(p)->root, 0);
	}
	if (explain)
		text_trace(out, dns_posture_book(p));
}

static void json_finding(struct common_jsonw *w, const struct dns_finding *d)
{
	common_jsonw_obj_begin(w);
	common_jsonw_kstr(w, "check", d->check);
	common_jsonw_kstr(w, "code", d->code);
	common_jsonw_kstr(w, "severity", dns_sev_name(d->sev));
	common_jsonw_kstr(w, "message", d->message);
	common_jsonw_kstr(w, "fix", d->fix);
	common_jsonw_kstrn(w, "evidence", d->evidence, d->evidence_len);
	common_jsonw_obj_end(w);
}

static void json_rdata(struct common_jsonw *w, uint16_t type, const struct dns_rr *rr)
{
	char addr[INET6_ADDRSTRLEN];

	if (type == DNS_T_A && rr->len == 4 && inet_ntop(AF_INET, rr->data, addr, sizeof addr))
		common_jsonw_str(w, addr, (size_t)-1);
	else if (type == DNS_T_AAAA && rr->len == 16 &&
		 inet_ntop(AF_INET6, rr->data, addr, sizeof addr))
		common_jsonw_str(w, addr, (size_t)-1);
	else if (type == DNS_T_MX) {
		char *s = xasprintf("%u %s", (unsigned)rr->pref, rr->data);

		common_jsonw_str(w, s, (size_t)-1);
		free(s);
	} else
		common_jsonw_str(w, rr->data, rr->len);
}

static void json_trace(struct common_jsonw *w, const struct dns_book *book)
{
	common_jsonw_arr_begin(w);
	for (size_t i = 0; i < dns_book_count(book); i++) {
		const char *name;
		uint16_t type;
		char tb[12];
		const struct dns_answer *a = dns_book_at(book, i, &name, &type);

		common_jsonw_obj_begin(w);
		common_jsonw_kstr(w, "name", name);
		common_jsonw_kstr(w, "type", dns_type_name(type, tb));
		common_jsonw_kstr(w, "outcome", a ? dns_outcome_name(a->outcome) : "unanswered");
		if (a && a->why)
			common_jsonw_kstr(w, "why", a->why);
		if (a && a->cname)
			common_jsonw_kstr(w, "cname", a->cname);
		common_jsonw_key(w, "records");
		common_jsonw_arr_begin(w);
		for (size_t r = 0; a && r < a->n; r++)
			json_rdata(w, type, &a->rr[r]);
		common_jsonw_arr_end(w);
		if (a)
			common_jsonw_kint(w, "ms", a->elapsed_ms);
		common_jsonw_obj_end(w);
	}
	common_jsonw_arr_end(w);
}

/* The SPF lookup tree: what each include costs (depth bounded by the walker). */
static void json_spf_node(struct common_jsonw *w, const struct dns_spf_node *n)
{
	common_jsonw_obj_begin(w);
	common_jsonw_kstr(w, "domain", n->domain);
	common_jsonw_kstr(w, "status", dns_spf_node_status_name(n->status));
	common_jsonw_kstrn(w, "record", n->record, n->record_len);
	if (n->error)
		common_jsonw_kstr(w, "error", n->error);
	common_jsonw_kint(w, "lookups", n->cost);
	common_jsonw_kint(w, "void_lookups", n->voids);
	common_jsonw_key(w, "terms");
	common_jsonw_arr_begin(w);
	for (size_t i = 0; i < n->n_terms; i++) {
		const struct dns_spf_wterm *t = &n->terms[i];

		common_jsonw_obj_begin(w);
		common_jsonw_kstr(w, "term", t->text);
		common_jsonw_kint(w, "lookups", t->cost);
		if (t->note)
			common_jsonw_kstr(w, "note", t->note);
		if (t->child) {
			common_jsonw_key(w, "include");
			json_spf_node(w, t->child);
		}
		common_jsonw_obj_end(w);
	}
	common_jsonw_arr_end(w);
	common_jsonw_obj_end(w);
}

/*
 * One domain as an element of the "domains" array, compact on a line of its
 * own: the report streams domain by domain and stays line-oriented for
 * grep (`jq .` pretty-prints).  Written with common/jsonw, not a jansson
 * tree: for 10,000 domains the tree cost more than the checks
 * (bench/README.md).  Appended to b, which the report reuses from domain
 * to domain.
 */
static void json_domain_text(struct buf *b, struct dns_posture *p, bool first, bool explain)
{
	const struct dns_findings *f = dns_posture_findings(p);
	const struct dns_spf_tree *t = dns_posture_spf_tree(p);
	struct common_jsonw w;
	char dn[512];

	if (!first && common_buf_append(b, ",\n", 2) != ERR_OK)
		fatal("render: size");
	common_jsonw_init(&w, b);
	common_jsonw_obj_begin(&w);
	common_jsonw_kstr(&w, "domain", dns_posture_domain(p));
	common_jsonw_kstr(&w, "display", display_name(dns_posture_domain(p), dn, sizeof dn));
	common_jsonw_kstr(&w, "status", dns_sev_name(dns_findings_worst(f)));
	common_jsonw_kint(&w, "exit_code", daemon_render_exit_code(f));
	common_jsonw_key(&w, "spf");
	common_jsonw_obj_begin(&w);
	common_jsonw_kint(&w, "lookups", dns_posture_spf_lookups(p));
	common_jsonw_kint(&w, "void_lookups", dns_posture_spf_void_lookups(p));
	if (t && t->root) {
		common_jsonw_key(&w, "tree");
		json_spf_node(&w, t->root);
	}
	common_jsonw_obj_end(&w);
	common_jsonw_kint(&w, "dkim_keys", dns_posture_dkim_keys(p));
	common_jsonw_key(&w, "findings");
	common_jsonw_arr_begin(&w);
	for (size_t i = 0; i < f->n; i++)
		json_finding(&w, &f->v[i]);
	common_jsonw_arr_end(&w);
	if (explain) {
		common_jsonw_key(&w, "dns");
		json_trace(&w, dns_posture_book(p));
	}
	common_jsonw_obj_end(&w);
}

/*
 * Perfdata labels, quoted (Nagios plugin guidelines).  Domains are checked
 * host names and labels fixed words, so no quote needs doubling.
 */
static void perf(struct buf *pd, size_t n, const char *domain, const char *label, int v,
		 const char *warncrit)
{
	/* " '%s%s%s'=%d%s" without printf: six of these per domain */
	char d[16];
	size_t k = sizeof d;
	unsigned u = v < 0 ? 0U - (unsigned)v : (unsigned)v;

	do
		d[--k] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[--k] = '-';
	bput(pd, " '", 2);
	if (n > 1) {
		bputs(pd, domain);
		bputc(pd, '_');
	}
	bputs(pd, label);
	bput(pd, "'=", 2);
	bput(pd, d + k, sizeof d - k);
	bputs(pd, warncrit);
}

/* One domain's parts of the Nagios output: summary, perfdata and long text. */
static void nagios_domain(struct buf *sum, struct buf *pd, struct buf *lng, struct dns_posture *p,
			  bool first, size_t n)
{
	const struct dns_findings *f = dns_posture_findings(p);
	const char *dom = dns_posture_domain(p);
	int cnt[5], code = daemon_render_exit_code(f);
	bool none = true;

	count_sev(f, cnt);
	bprintf(sum, "%s%s %s", first ? "" : "; ", dom, status_word[code]);
	for (size_t j = 0; j < f->n; j++) {
		const struct dns_finding *d = &f->v[j];

		if (d->sev != SEV_CRITICAL && d->sev != SEV_WARN && d->sev != SEV_UNKNOWN)
			continue;
		bprintf(sum, "%s%s", none ? " (" : ", ", d->code);
		bprintf(lng, "%s %s: %s %s\n", dom, dns_sev_name(d->sev), d->code, d->message);
		none = false;
	}
	if (!none)
		bputc(sum, ')');
	perf(pd, n, dom, "spf_lookups", dns_posture_spf_lookups(p), ";;10");
	perf(pd, n, dom, "spf_void_lookups", dns_posture_spf_void_lookups(p), ";;2");
	perf(pd, n, dom, "dkim_keys", dns_posture_dkim_keys(p), "");
	perf(pd, n, dom, "critical", cnt[SEV_CRITICAL], "");
	perf(pd, n, dom, "warnings", cnt[SEV_WARN], "");
	perf(pd, n, dom, "unknown", cnt[SEV_UNKNOWN], "");
}

/*
 * A domain's rendered text, kept while an earlier domain is still being
 * checked (the report keeps the order the domains were given in).  Nagios
 * fills all three parts; text and JSON only part[0].
 */
struct chunk {
	struct buf *part[3]; /* from the report's pool */
	bool ready;
};

/* The most any buffer of a report may hold: a limit never meant to be reached. */
#define REPORT_MAX ((size_t)1 << 30)

struct daemon_render {
	FILE *out;
	enum daemon_render_format fmt;
	bool explain;
	size_t n, next; /* domains in the report; the next one to write */
	struct chunk *c;
	int overall;
	struct buf nag[3]; /* Nagios summary, perfdata and long output, in order */
	/*
	 * Buffers for one domain's text, reused from domain to domain.  Why:
	 * a fresh buffer (or memory stream) per domain cost an allocation and
	 * a series of doublings each time, and most domains complete out of
	 * order, so their text is kept a while.  A buffer comes from the pool,
	 * keeps the text until written and goes back with its memory: the
	 * pool holds at most as many buffers as domains ever waited at once.
	 */
	struct buf **pool;
	size_t npool, pool_cap;
};

/* A buffer for one domain's text: from the pool, or a new one with room for hint bytes. */
static struct buf *pool_get(struct daemon_render *r, size_t hint)
{
	struct buf *b;

	if (r->npool > 0)
		return r->pool[--r->npool];
	b = xmalloc(sizeof *b);
	/* Far above what one domain's bounded answers can produce (see jsonw.h). */
	common_buf_init(b, REPORT_MAX);
	/* A typical domain's text in one allocation, not a series of doublings. */
	if (common_buf_reserve(b, hint) != ERR_OK)
		fatal("render: size");
	return b;
}

/* Give b back to the pool, emptied, its memory kept. */
static void pool_put(struct daemon_render *r, struct buf *b)
{
	common_buf_reset(b);
	if (r->npool == r->pool_cap) {
		r->pool_cap = r->pool_cap ? 2 * r->pool_cap : 16;
		r->pool = xreallocarray(r->pool, r->pool_cap, sizeof *r->pool);
	}
	r->pool[r->npool++] = b;
}

/* Free every pooled buffer, every chunk's and the Nagios parts. */
static void pool_free(struct daemon_render *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (int k = 0; k < 3; k++)
			if (r->c[i].part[k] != NULL)
				pool_put(r, r->c[i].part[k]);
	for (size_t k = 0; k < r->npool; k++) {
		common_buf_free(r->pool[k]);
		free(r->pool[k]);
	}
	free(r->pool);
	for (int k = 0; k < 3; k++)
		common_buf_free(&r->nag[k]);
}

struct daemon_render *daemon_render_begin(FILE *out, enum daemon_render_format fmt, bool explain,
					  size_t n)
{
	struct daemon_render *r = xcalloc(1, sizeof *r);

	r->out = out;
	r->fmt = fmt;
	r->explain = explain;
	r->n = n;
	r->c = xcalloc(n ? n : 1, sizeof *r->c);
	if (fmt == RENDER_JSON)
		fputs("{\"version\":1,\"domains\":[\n", out);
	for (int k = 0; k < 3; k++)
		common_buf_init(&r->nag[k], REPORT_MAX);
	return r;
}

/* Write every ready chunk from r->next on, in order, and pool its buffers. */
static void flush_ready(struct daemon_render *r)
{
	while (r->next < r->n && r->c[r->next].ready) {
		struct chunk *c = &r->c[r->next++];

		for (int k = 0; k < 3; k++) {
			struct buf *b = c->part[k];

			if (b == NULL)
				continue;
			if (r->fmt == RENDER_NAGIOS)
				bput(&r->nag[k], b->data, b->len);
			else
				fwrite(b->data, 1, b->len, r->out);
			pool_put(r, b);
			c->part[k] = NULL;
		}
	}
}

void daemon_render_put(struct daemon_render *r, size_t i, struct dns_posture *p)
{
	struct chunk *c;

	if (i >= r->n || r->c[i].ready)
		fatal("render: domain %zu reported twice or out of range", i);
	c = &r->c[i];
	r->overall = worse_exit(r->overall, daemon_render_exit_code(dns_posture_findings(p)));
	switch (r->fmt) {
	case RENDER_JSON:
		c->part[0] = pool_get(r, 8192);
		json_domain_text(c->part[0], p, i == 0, r->explain);
		break;
	case RENDER_TEXT:
		c->part[0] = pool_get(r, 4096);
		text_domain(c->part[0], p, i == 0, r->explain);
		break;
	case RENDER_NAGIOS:
		for (int k = 0; k < 3; k++)
			c->part[k] = pool_get(r, 1024);
		nagios_domain(c->part[0], c->part[1], c->part[2], p, i == 0, r->n);
		break;
	}
	c->ready = true;
	flush_ready(r);
}

void daemon_render_abandon(struct daemon_render *r)
{
	if (r == NULL)
		return;
	fflush(r->out);
	pool_free(r);
	free(r->c);
	free(r);
}

int daemon_render_end(struct daemon_render *r)
{
	int overall;

	flush_ready(r);
	if (r->next < r->n)
		fatal("render: %zu of %zu domains were never reported", r->n - r->next, r->n);
	overall = r->overall;
	if (r->fmt == RENDER_JSON) {
		fprintf(r->out, "%s],\"status\":\"%s\",\"exit_code\":%d}\n", r->n ? "\n" : "",
			status_word[overall], overall);
	} else if (r->fmt == RENDER_NAGIOS) {
		struct buf t;

		/* The parts as C strings, as the memory streams they replace gave them. */
		common_buf_init(&t, REPORT_MAX);
		bprintf(&t, "%s: ", status_word[overall]);
		put_safe(&t, common_buf_str(&r->nag[0]));
		bput(&t, " |", 2);
		bputs(&t, common_buf_str(&r->nag[1]));
		bputc(&t, '\n');
		put_safe(&t, common_buf_str(&r->nag[2]));
		fwrite(t.data, 1, t.len, r->out);
		common_buf_free(&t);
	}
	pool_free(r);
	free(r->c);
	free(r);
	return overall;
}

int daemon_render_report(FILE *out, enum daemon_render_format fmt, struct dns_posture *const *p,
			 size_t n, bool explain)
{
	struct daemon_render *r = daemon_render_begin(out, fmt, explain, n);

	for (size_t i = 0; i < n; i++)
		daemon_render_put(r, i, p[i]);
	return daemon_render_end(r);
}

char *daemon_render_spf_tree_json(const struct dns_posture *p)
{
	const struct dns_spf_tree *t = dns_posture_spf_tree(p);
	struct common_jsonw w;
	struct buf b;

	if (t == NULL || t->root == NULL)
		return NULL;
	common_buf_init(&b, (size_t)1 << 30);
	common_jsonw_init(&w, &b);
	json_spf_node(&w, t->root);
	return common_buf_steal(&b, NULL);
}
