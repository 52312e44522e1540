/*
 * daemon/render: text, JSON and Nagios output of posture checks (see
 * render.h).  Ordering: worst first, so the first lines say what to fix.
 */
#include <arpa/inet.h>
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

static void put_safe(FILE *out, const char *s)
{
	char *t = safe(s, strlen(s));

	fputs(t, out);
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

static void text_headline(FILE *out, const char *name, int code, const int cnt[5])
{
	fprintf(out, "%s: ", name);
	if (code == 0) {
		fputs("OK - mail authentication is launch-ready", out);
		if (cnt[SEV_INFO])
			fprintf(out, " (%d note%s)", cnt[SEV_INFO], cnt[SEV_INFO] == 1 ? "" : "s");
	} else {
		fprintf(out, "%s -", status_word[code]);
		if (cnt[SEV_CRITICAL])
			fprintf(out, " %d thing%s to fix", cnt[SEV_CRITICAL],
				cnt[SEV_CRITICAL] == 1 ? "" : "s");
		if (cnt[SEV_WARN])
			fprintf(out, "%s %d warning%s", cnt[SEV_CRITICAL] ? "," : "", cnt[SEV_WARN],
				cnt[SEV_WARN] == 1 ? "" : "s");
		if (cnt[SEV_UNKNOWN])
			fprintf(out, "%s %d check%s could not be completed",
				cnt[SEV_CRITICAL] || cnt[SEV_WARN] ? "," : "", cnt[SEV_UNKNOWN],
				cnt[SEV_UNKNOWN] == 1 ? "" : "s");
	}
	fputc('\n', out);
}

static void text_finding(FILE *out, const struct dns_finding *d)
{
	fprintf(out, "  %s %-8s ", sev_tag(d->sev), d->check);
	put_safe(out, d->message);
	fprintf(out, " (%s)\n", d->code);
	if (d->fix && d->sev != SEV_OK) {
		fputs("         fix: ", out);
		put_safe(out, d->fix);
		fputc('\n', out);
	}
}

static void text_trace(FILE *out, const struct dns_book *book)
{
	fputs("  dns questions, in the order asked:\n", out);
	for (size_t i = 0; i < dns_book_count(book); i++) {
		const char *name;
		uint16_t type;
		char tb[12];
		const struct dns_answer *a = dns_book_at(book, i, &name, &type);

		fprintf(out, "    %-5s ", dns_type_name(type, tb));
		put_safe(out, name);
		if (a == NULL) {
			fputs(" -> (not answered)\n", out);
			continue;
		}
		fprintf(out, " -> %s", dns_outcome_name(a->outcome));
		if (a->why)
			fprintf(out, " (%s)", a->why);
		if (a->cname) {
			fputs(" via CNAME ", out);
			put_safe(out, a->cname);
		}
		fprintf(out, " %ums\n", (unsigned)a->elapsed_ms);
	}
}

static void text_spf_node(FILE *out, const struct dns_spf_node *n, int depth)
{
	fprintf(out, "%*s", 4 + 2 * depth, "");
	put_safe(out, n->domain);
	fprintf(out, ": %u lookup%s", n->cost, n->cost == 1 ? "" : "s");
	if (n->status != DNS_SPF_NODE_OK)
		fprintf(out, " (%s)", dns_spf_node_status_name(n->status));
	fputc('\n', out);
	for (size_t i = 0; i < n->n_terms; i++)
		if (n->terms[i].child)
			text_spf_node(out, n->terms[i].child, depth + 1);
}

static const enum dns_sev text_order[] = {SEV_CRITICAL, SEV_WARN, SEV_UNKNOWN, SEV_INFO, SEV_OK};

/* One domain in text: a blank line between domains, the headline, findings worst first. */
static void text_domain(FILE *out, struct dns_posture *p, bool first, bool explain)
{
	const struct dns_findings *f = dns_posture_findings(p);
	int cnt[5], code = daemon_render_exit_code(f);
	char dn[512];

	count_sev(f, cnt);
	if (!first)
		fputc('\n', out);
	text_headline(out, display_name(dns_posture_domain(p), dn, sizeof dn), code, cnt);
	for (size_t s = 0; s < sizeof text_order / sizeof text_order[0]; s++)
		for (size_t j = 0; j < f->n; j++)
			if (f->v[j].sev == text_order[s])
				text_finding(out, &f->v[j]);
	if (explain && dns_posture_spf_tree(p) && dns_posture_spf_tree(p)->root) {
		fputs("  spf lookups by include:\n", out);
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
 * (bench/README.md).
 */
static char *json_domain_text(struct dns_posture *p, bool first, bool explain, size_t *len)
{
	const struct dns_findings *f = dns_posture_findings(p);
	const struct dns_spf_tree *t = dns_posture_spf_tree(p);
	struct common_jsonw w;
	struct buf b;
	char dn[512];

	/* Far above what one domain's bounded answers can produce (see jsonw.h). */
	common_buf_init(&b, (size_t)1 << 30);
	if (!first && common_buf_puts(&b, ",\n") != ERR_OK)
		fatal("render: size");
	common_jsonw_init(&w, &b);
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
	return common_buf_steal(&b, len);
}

/*
 * Perfdata labels, quoted (Nagios plugin guidelines).  Domains are checked
 * host names and labels fixed words, so no quote needs doubling.
 */
static void perf(FILE *pd, size_t n, const char *domain, const char *label, int v,
		 const char *warncrit)
{
	fprintf(pd, " '%s%s%s'=%d%s", n > 1 ? domain : "", n > 1 ? "_" : "", label, v, warncrit);
}

/* One domain's parts of the Nagios output: summary, perfdata and long text. */
static void nagios_domain(FILE *sum, FILE *pd, FILE *lng, struct dns_posture *p, bool first,
			  size_t n)
{
	const struct dns_findings *f = dns_posture_findings(p);
	const char *dom = dns_posture_domain(p);
	int cnt[5], code = daemon_render_exit_code(f);
	bool none = true;

	count_sev(f, cnt);
	fprintf(sum, "%s%s %s", first ? "" : "; ", dom, status_word[code]);
	for (size_t j = 0; j < f->n; j++) {
		const struct dns_finding *d = &f->v[j];

		if (d->sev != SEV_CRITICAL && d->sev != SEV_WARN && d->sev != SEV_UNKNOWN)
			continue;
		fprintf(sum, "%s%s", none ? " (" : ", ", d->code);
		fprintf(lng, "%s %s: %s %s\n", dom, dns_sev_name(d->sev), d->code, d->message);
		none = false;
	}
	if (!none)
		fputc(')', sum);
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
	char *part[3];
	size_t len[3];
	bool ready;
};

struct daemon_render {
	FILE *out;
	enum daemon_render_format fmt;
	bool explain;
	size_t n, next; /* domains in the report; the next one to write */
	struct chunk *c;
	int overall;
	FILE *nag[3]; /* Nagios summary, perfdata and long output, in order */
	char *nagbuf[3];
	size_t naglen[3];
};

static FILE *memstream(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	if (f == NULL)
		fatal("render: cannot open a memory stream");
	return f;
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
	for (int k = 0; fmt == RENDER_NAGIOS && k < 3; k++)
		r->nag[k] = memstream(&r->nagbuf[k], &r->naglen[k]);
	return r;
}

/* Write every ready chunk from r->next on, in order, and free it. */
static void flush_ready(struct daemon_render *r)
{
	while (r->next < r->n && r->c[r->next].ready) {
		struct chunk *c = &r->c[r->next++];

		for (int k = 0; k < 3; k++) {
			if (c->part[k] != NULL)
				fwrite(c->part[k], 1, c->len[k],
				       r->fmt == RENDER_NAGIOS ? r->nag[k] : r->out);
			free(c->part[k]);
			c->part[k] = NULL;
		}
	}
}

void daemon_render_put(struct daemon_render *r, size_t i, struct dns_posture *p)
{
	struct chunk *c;
	FILE *f[3] = {NULL, NULL, NULL};

	if (i >= r->n || r->c[i].ready)
		fatal("render: domain %zu reported twice or out of range", i);
	c = &r->c[i];
	r->overall = worse_exit(r->overall, daemon_render_exit_code(dns_posture_findings(p)));
	if (r->fmt == RENDER_JSON) {
		c->part[0] = json_domain_text(p, i == 0, r->explain, &c->len[0]);
		c->ready = true;
		flush_ready(r);
		return;
	}
	for (int k = 0; k < (r->fmt == RENDER_NAGIOS ? 3 : 1); k++)
		f[k] = memstream(&c->part[k], &c->len[k]);
	if (r->fmt == RENDER_NAGIOS)
		nagios_domain(f[0], f[1], f[2], p, i == 0, r->n);
	else
		text_domain(f[0], p, i == 0, r->explain);
	for (int k = 0; k < 3; k++)
		if (f[k] != NULL && fclose(f[k]) != 0)
			fatal("render: memory stream");
	c->ready = true;
	flush_ready(r);
}

void daemon_render_abandon(struct daemon_render *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		for (int k = 0; k < 3; k++)
			free(r->c[i].part[k]);
	for (int k = 0; k < 3; k++) {
		if (r->nag[k] != NULL && fclose(r->nag[k]) != 0)
			fatal("render: memory stream");
		free(r->nagbuf[k]);
	}
	fflush(r->out);
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
		for (int k = 0; k < 3; k++)
			if (fclose(r->nag[k]) != 0)
				fatal("render: memory stream");
		fprintf(r->out, "%s: ", status_word[overall]);
		put_safe(r->out, r->nagbuf[0]);
		fprintf(r->out, " |%s\n", r->nagbuf[1]);
		put_safe(r->out, r->nagbuf[2]);
		for (int k = 0; k < 3; k++)
			free(r->nagbuf[k]);
	}
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
