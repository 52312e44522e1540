/*
 * daemon/render: text, JSON and Nagios output of posture checks (see
 * render.h).  Ordering: worst first, so the first lines say what to fix.
 */
#include <arpa/inet.h>
#include <string.h>
#include "common/buf.h"
#include "common/json.h"
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

static int render_text(FILE *out, struct dns_posture *const *p, size_t n, bool explain)
{
	int overall = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dns_findings *f = dns_posture_findings(p[i]);
		int cnt[5], code = daemon_render_exit_code(f);
		char dn[512];

		count_sev(f, cnt);
		overall = worse_exit(overall, code);
		if (i)
			fputc('\n', out);
		text_headline(out, display_name(dns_posture_domain(p[i]), dn, sizeof dn), code,
			      cnt);
		for (size_t s = 0; s < sizeof text_order / sizeof text_order[0]; s++)
			for (size_t j = 0; j < f->n; j++)
				if (f->v[j].sev == text_order[s])
					text_finding(out, &f->v[j]);
		if (explain && dns_posture_spf_tree(p[i]) && dns_posture_spf_tree(p[i])->root) {
			fputs("  spf lookups by include:\n", out);
			text_spf_node(out, dns_posture_spf_tree(p[i])->root, 0);
		}
		if (explain)
			text_trace(out, dns_posture_book(p[i]));
	}
	return overall;
}

static struct common_json *json_finding(const struct dns_finding *d)
{
	struct common_json *o = common_json_object();

	common_json_set_str(o, "check", d->check);
	common_json_set_str(o, "code", d->code);
	common_json_set_str(o, "severity", dns_sev_name(d->sev));
	common_json_set_str(o, "message", d->message);
	common_json_set(o, "fix", common_json_string(d->fix, (size_t)-1));
	common_json_set(o, "evidence", common_json_string(d->evidence, d->evidence_len));
	return o;
}

static struct common_json *json_rdata(uint16_t type, const struct dns_rr *rr)
{
	char addr[INET6_ADDRSTRLEN];

	if (type == DNS_T_A && rr->len == 4 && inet_ntop(AF_INET, rr->data, addr, sizeof addr))
		return common_json_string(addr, (size_t)-1);
	if (type == DNS_T_AAAA && rr->len == 16 && inet_ntop(AF_INET6, rr->data, addr, sizeof addr))
		return common_json_string(addr, (size_t)-1);
	if (type == DNS_T_MX) {
		char *s = xasprintf("%u %s", (unsigned)rr->pref, rr->data);
		struct common_json *j = common_json_string(s, (size_t)-1);

		free(s);
		return j;
	}
	return common_json_string(rr->data, rr->len);
}

static struct common_json *json_trace(const struct dns_book *book)
{
	struct common_json *arr = common_json_array();

	for (size_t i = 0; i < dns_book_count(book); i++) {
		const char *name;
		uint16_t type;
		char tb[12];
		const struct dns_answer *a = dns_book_at(book, i, &name, &type);
		struct common_json *q = common_json_object(), *recs = common_json_array();

		common_json_set_str(q, "name", name);
		common_json_set_str(q, "type", dns_type_name(type, tb));
		common_json_set_str(q, "outcome", a ? dns_outcome_name(a->outcome) : "unanswered");
		if (a && a->why)
			common_json_set_str(q, "why", a->why);
		if (a && a->cname)
			common_json_set_str(q, "cname", a->cname);
		for (size_t r = 0; a && r < a->n; r++)
			common_json_push(recs, json_rdata(type, &a->rr[r]));
		common_json_set(q, "records", recs);
		if (a)
			common_json_set_int(q, "ms", a->elapsed_ms);
		common_json_push(arr, q);
	}
	return arr;
}

/* The SPF lookup tree: what each include costs (depth bounded by the walker). */
static struct common_json *json_spf_node(const struct dns_spf_node *n)
{
	struct common_json *o = common_json_object(), *terms = common_json_array();

	common_json_set_str(o, "domain", n->domain);
	common_json_set_str(o, "status", dns_spf_node_status_name(n->status));
	common_json_set(o, "record", common_json_string(n->record, n->record_len));
	if (n->error)
		common_json_set_str(o, "error", n->error);
	common_json_set_int(o, "lookups", n->cost);
	common_json_set_int(o, "void_lookups", n->voids);
	for (size_t i = 0; i < n->n_terms; i++) {
		const struct dns_spf_wterm *t = &n->terms[i];
		struct common_json *j = common_json_object();

		common_json_set_str(j, "term", t->text);
		common_json_set_int(j, "lookups", t->cost);
		if (t->note)
			common_json_set_str(j, "note", t->note);
		if (t->child)
			common_json_set(j, "include", json_spf_node(t->child));
		common_json_push(terms, j);
	}
	common_json_set(o, "terms", terms);
	return o;
}

static struct common_json *json_domain(struct dns_posture *p, bool explain)
{
	const struct dns_findings *f = dns_posture_findings(p);
	struct common_json *d = common_json_object(), *arr = common_json_array();
	struct common_json *spf = common_json_object();
	int code = daemon_render_exit_code(f);
	char dn[512];

	common_json_set_str(d, "domain", dns_posture_domain(p));
	common_json_set_str(d, "display", display_name(dns_posture_domain(p), dn, sizeof dn));
	common_json_set_str(d, "status", dns_sev_name(dns_findings_worst(f)));
	common_json_set_int(d, "exit_code", code);
	common_json_set_int(spf, "lookups", dns_posture_spf_lookups(p));
	common_json_set_int(spf, "void_lookups", dns_posture_spf_void_lookups(p));
	if (dns_posture_spf_tree(p) && dns_posture_spf_tree(p)->root)
		common_json_set(spf, "tree", json_spf_node(dns_posture_spf_tree(p)->root));
	common_json_set(d, "spf", spf);
	common_json_set_int(d, "dkim_keys", dns_posture_dkim_keys(p));
	for (size_t i = 0; i < f->n; i++)
		common_json_push(arr, json_finding(&f->v[i]));
	common_json_set(d, "findings", arr);
	if (explain)
		common_json_set(d, "dns", json_trace(dns_posture_book(p)));
	return d;
}

static int render_json(FILE *out, struct dns_posture *const *p, size_t n, bool explain)
{
	struct common_json *root = common_json_object(), *arr = common_json_array();
	int overall = 0;
	char *s;

	for (size_t i = 0; i < n; i++) {
		overall = worse_exit(overall, daemon_render_exit_code(dns_posture_findings(p[i])));
		common_json_push(arr, json_domain(p[i], explain));
	}
	common_json_set_int(root, "version", 1);
	common_json_set_str(root, "status", status_word[overall]);
	common_json_set_int(root, "exit_code", overall);
	common_json_set(root, "domains", arr);
	s = common_json_dump(root, true);
	fprintf(out, "%s\n", s);
	free(s);
	common_json_free(root);
	return overall;
}

/* Perfdata labels: quoted, and a quote inside is doubled (Nagios plugin guidelines). */
static void perf(struct buf *b, size_t n, const char *domain, const char *label, int v,
		 const char *warncrit)
{
	bool ok = common_buf_printf(b, " '%s%s%s'=%d%s", n > 1 ? domain : "", n > 1 ? "_" : "",
				    label, v, warncrit) == ERR_OK;

	if (!ok)
		fatal("render: perfdata size");
}

static int render_nagios(FILE *out, struct dns_posture *const *p, size_t n)
{
	struct buf sum, pd, lng;
	int overall = 0;

	common_buf_init(&sum, 1 << 20);
	common_buf_init(&pd, 1 << 20);
	common_buf_init(&lng, 1 << 24);
	for (size_t i = 0; i < n; i++) {
		const struct dns_findings *f = dns_posture_findings(p[i]);
		const char *dom = dns_posture_domain(p[i]);
		int cnt[5], code = daemon_render_exit_code(f);
		bool first = true;

		count_sev(f, cnt);
		overall = worse_exit(overall, code);
		if (common_buf_printf(&sum, "%s%s %s", i ? "; " : "", dom, status_word[code]) !=
		    ERR_OK)
			fatal("render: size");
		for (size_t j = 0; j < f->n; j++) {
			const struct dns_finding *d = &f->v[j];

			if (d->sev != SEV_CRITICAL && d->sev != SEV_WARN && d->sev != SEV_UNKNOWN)
				continue;
			if (common_buf_printf(&sum, "%s%s", first ? " (" : ", ", d->code) !=
				ERR_OK ||
			    common_buf_printf(&lng, "%s %s: %s %s\n", dom, dns_sev_name(d->sev),
					      d->code, d->message) != ERR_OK)
				fatal("render: size");
			first = false;
		}
		if (!first && common_buf_putc(&sum, ')') != ERR_OK)
			fatal("render: size");
		perf(&pd, n, dom, "spf_lookups", dns_posture_spf_lookups(p[i]), ";;10");
		perf(&pd, n, dom, "spf_void_lookups", dns_posture_spf_void_lookups(p[i]), ";;2");
		perf(&pd, n, dom, "dkim_keys", dns_posture_dkim_keys(p[i]), "");
		perf(&pd, n, dom, "critical", cnt[SEV_CRITICAL], "");
		perf(&pd, n, dom, "warnings", cnt[SEV_WARN], "");
		perf(&pd, n, dom, "unknown", cnt[SEV_UNKNOWN], "");
	}
	fprintf(out, "%s: ", status_word[overall]);
	put_safe(out, common_buf_str(&sum));
	fprintf(out, " |%s\n", common_buf_str(&pd));
	put_safe(out, common_buf_str(&lng));
	common_buf_free(&sum);
	common_buf_free(&pd);
	common_buf_free(&lng);
	return overall;
}

int daemon_render_report(FILE *out, enum daemon_render_format fmt, struct dns_posture *const *p,
			 size_t n, bool explain)
{
	switch (fmt) {
	case RENDER_JSON:
		return render_json(out, p, n, explain);
	case RENDER_NAGIOS:
		return render_nagios(out, p, n);
	case RENDER_TEXT:
		break;
	}
	return render_text(out, p, n, explain);
}
