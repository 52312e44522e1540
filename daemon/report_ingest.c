/*
 * daemon/report_ingest: one input in, its reports stored or quarantined
 * (see the header).  RFC 7489 7.2 (aggregate reports), RFC 8460 4
 * (TLS-RPT), RFC 6591 (failure reports; they carry no report id, so the
 * input's SHA-256 stands for one and a copy received twice counts once).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "daemon/report_ingest.h"
#include "daemon/store_report.h"
#include "mail/report.h"

#define HEAD_SCAN_MAX 65536		/* bytes of an e-mail header block looked at for From */
#define DEFAULT_MAX (64u * 1024 * 1024) /* max_size when the caller gave none */

/* The state of one ingest, shared by the sink callbacks. */
struct ing {
	struct daemon_store *st;
	const struct daemon_report_ingest_opts *o;
	struct daemon_report_ingest_result *res;
	const char *mem; /* the input: in memory, or */
	size_t len;
	int fd; /* ... a file (-1 for memory) */
	/* the report between begin() and end() */
	const struct mail_report_where *w;
	int64_t id;
	bool txn, dup, io;
	char reporter[256], report_id[96], domain[256];
	uint64_t records, messages;
	/* the whole input */
	bool any_io;
	enum mp_err first_reject;
};

/* ---- the input's bytes (for failure reports and the quarantine copy) ---- */

/* Up to sz bytes of the input from off into buf; the count, or -1. */
static ssize_t input_read(const struct ing *g, size_t off, char *buf, size_t sz)
{
	if (g->fd < 0) {
		size_t n = off < g->len ? g->len - off : 0;

		n = n < sz ? n : sz;
		memcpy(buf, g->mem + off, n);
		return (ssize_t)n;
	}
	for (;;) {
		ssize_t n = pread(g->fd, buf, sz, (off_t)off);

		if (n >= 0 || errno != EINTR)
			return n;
	}
}

/* RFC 6591 reports have no id: the SHA-256 of the input, in hex.  ERR_IO
   when the file cannot be read, ERR_LIMIT beyond max_size. */
static enum mp_err input_sha256_hex(const struct ing *g, char out[65])
{
	unsigned char md[32];

	if (g->fd < 0) {
		common_crypto_sha256(g->mem, g->len, md);
	} else {
		struct buf b;
		char *chunk = xmalloc(65536);
		size_t off = 0;
		ssize_t n;
		enum mp_err rc = ERR_OK;

		/* Failure reports are e-mails read whole within max_size anyway. */
		common_buf_init(&b, (g->o->max_size ? g->o->max_size : DEFAULT_MAX) + 1);
		while (rc == ERR_OK && (n = input_read(g, off, chunk, 65536)) > 0) {
			rc = common_buf_append(&b, chunk, (size_t)n) == ERR_OK ? ERR_OK : ERR_LIMIT;
			off += (size_t)n;
		}
		if (rc == ERR_OK && n < 0)
			rc = ERR_IO;
		if (rc == ERR_OK)
			common_crypto_sha256(b.data ? b.data : "", b.len, md);
		common_buf_free(&b);
		free(chunk);
		if (rc != ERR_OK)
			return rc;
	}
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return ERR_OK;
}

static bool is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* The domain of the From field of the input's header block ("" when none). */
static void input_from_domain(const struct ing *g, char *out, size_t outsz)
{
	char *h = xmalloc(HEAD_SCAN_MAX + 1);
	ssize_t n = input_read(g, 0, h, HEAD_SCAN_MAX);
	size_t len = n > 0 ? (size_t)n : 0;

	out[0] = '\0';
	for (size_t i = 0; i < len;) {
		const char *l = h + i, *nl = memchr(l, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - l) : len - i;

		if (ll == 0 || (ll == 1 && l[0] == '\r'))
			break; /* RFC 5322 2.1: the header ends at the first empty line */
		if (ll > 5 && strncasecmp(l, "From:", 5) == 0) {
			const char *at = memchr(l, '@', ll);
			size_t k = 0;

			for (const char *c = at ? at + 1 : l + ll; c < l + ll && k + 1 < outsz;
			     c++) {
				if (!is_ldh(*c))
					break;
				out[k++] = lower(*c);
			}
			out[k] = '\0';
			break;
		}
		i += ll + 1;
	}
	free(h);
}

/* ---- the quarantine ---- */

/* mkdir -p dir, 0700. */
static bool mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	bool ok = true;

	for (char *s = p + 1; ok && *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		ok = mkdir(p, 0700) == 0 || errno == EEXIST;
		*s = '/';
	}
	ok = ok && (mkdir(p, 0700) == 0 || errno == EEXIST);
	free(p);
	return ok;
}

/* Create path (never an existing file, never through a link), write it whole, fsync. */
static bool write_new(const char *path, const struct ing *g, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	char chunk[65536];
	size_t off = 0, tlen = text ? strlen(text) : 0;
	bool ok = fd >= 0;

	while (ok) {
		ssize_t n = text ? (ssize_t)(tlen - off < sizeof chunk ? tlen - off : sizeof chunk)
				 : input_read(g, off, chunk, sizeof chunk);

		if (n <= 0) {
			ok = n == 0;
			break;
		}
		if (text)
			memcpy(chunk, text + off, (size_t)n);
		for (ssize_t w = 0; ok && w < n;) {
			ssize_t k = write(fd, chunk + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			ok = k > 0;
			w += k > 0 ? k : 0;
		}
		off += (size_t)n;
	}
	ok = ok && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (!ok && fd >= 0)
		unlink(path);
	return ok;
}

/* why made one printable line (it may quote the input). */
static void clean_line(const char *in, char *out, size_t outsz)
{
	size_t k = 0;

	for (size_t i = 0; in[i] != '\0' && k + 1 < outsz; i++)
		out[k++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[k] = '\0';
}

/* Keep the input in the quarantine with a .reason file; res->quarantined set. */
static enum mp_err quarantine(struct ing *g, const char *why)
{
	const struct daemon_report_ingest_opts *o = g->o;
	unsigned char rnd[8];
	char src[40], hex[17], line[300], *path, *rpath, *text;
	size_t k = 0;
	bool ok;

	for (const char *s = o->source; *s != '\0' && k + 1 < sizeof src; s++)
		src[k++] =
		    strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			   *s) != NULL
			? *s
			: '_';
	src[k] = '\0';
	if (common_crypto_random(rnd, sizeof rnd) != ERR_OK || !mkdirs(o->quarantine_dir)) {
		log_err("report", "quarantine-failed dir=%s errno=%d", o->quarantine_dir, errno);
		return ERR_IO;
	}
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	path = xasprintf("%s/%lld-%s-%s.bin", o->quarantine_dir, (long long)o->now, src, hex);
	rpath = xasprintf("%s.reason", path);
	clean_line(why, line, sizeof line);
	text = xasprintf("source: %s\nreceived: %lld\nreason: %s\n", o->source, (long long)o->now,
			 line);
	ok = write_new(path, g, NULL) && write_new(rpath, NULL, text);
	if (!ok) {
		log_err("report", "quarantine-failed path=%s errno=%d", path, errno);
		unlink(path);
	} else {
		snprintf(g->res->quarantined, sizeof g->res->quarantined, "%s", path);
		if (daemon_store_report_reject_add(g->st, o->now, o->source, path, line) != ERR_OK)
			log_warn("report", "reject-index-failed file=%s reason=%s", path,
				 daemon_store_errmsg(g->st));
		log_warn("report", "rejected source=%s file=%s reason=\"%s\"", o->source, path,
			 line);
	}
	free(text);
	free(rpath);
	free(path);
	return ok ? ERR_OK : ERR_IO;
}

/* ---- the sink ---- */

static void add_domain(struct daemon_report_ingest_result *res, const char *d)
{
	size_t dl = strlen(d), have = strlen(res->domains);
	const char *p = res->domains;

	while (*p != '\0') {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);

		if (l == dl && strncmp(p, d, l) == 0)
			return;
		p += l + (c != NULL);
	}
	if (have + dl + 2 > sizeof res->domains)
		return; /* cut: the list is a hint for what to analyse */
	if (have > 0)
		res->domains[have++] = ',';
	memcpy(res->domains + have, d, dl + 1);
}

static enum mp_err on_begin(void *arg, const struct mail_report_where *w)
{
	struct ing *g = arg;

	g->w = w;
	g->id = 0;
	g->dup = g->io = false;
	g->reporter[0] = g->report_id[0] = g->domain[0] = '\0';
	g->records = g->messages = 0;
	g->res->found++;
	g->txn = daemon_store_begin(g->st, true) == ERR_OK;
	if (!g->txn) {
		g->io = true;
		log_err("store", "report-begin-failed reason=%s", daemon_store_errmsg(g->st));
		return ERR_IO;
	}
	return ERR_OK;
}

/* Insert the head; ERR_AGAIN (our marker: stop reading) for a duplicate. */
static enum mp_err open_head(struct ing *g, const struct daemon_report_head *h)
{
	bool dup = false;
	enum mp_err rc = daemon_store_report_open(g->st, h, &g->id, &dup);

	snprintf(g->reporter, sizeof g->reporter, "%s", h->reporter ? h->reporter : "");
	snprintf(g->report_id, sizeof g->report_id, "%s", h->report_id ? h->report_id : "");
	snprintf(g->domain, sizeof g->domain, "%s", h->domain ? h->domain : "");
	if (rc == ERR_IO)
		g->io = true;
	if (rc != ERR_OK)
		return rc;
	if (dup) {
		g->dup = true;
		return ERR_AGAIN;
	}
	return ERR_OK;
}

static void head_init(const struct ing *g, struct daemon_report_head *h, const char *kind)
{
	memset(h, 0, sizeof *h);
	h->kind = kind;
	h->reporter_email = "";
	h->source = g->o->source;
	h->container = g->w->container;
	h->received = g->o->now;
	h->policy_p = h->policy_sp = "";
	h->pct = -1;
}

static enum mp_err on_agg_meta(void *arg, const struct mail_agg_meta *m)
{
	struct ing *g = arg;
	struct daemon_report_head h;

	head_init(g, &h, "aggregate");
	h.reporter = m->org_name;
	h.reporter_email = m->email ? m->email : "";
	h.report_id = m->report_id;
	h.domain = m->domain;
	h.begin = m->begin;
	h.end = m->end;
	h.policy_p = m->p ? m->p : "";
	h.policy_sp = m->sp ? m->sp : "";
	h.pct = m->pct;
	h.adkim = m->adkim;
	h.aspf = m->aspf;
	return open_head(g, &h);
}

static enum mp_err on_agg_record(void *arg, const struct mail_agg_meta *m,
				 const struct mail_agg_record *r)
{
	struct ing *g = arg;
	enum mp_err rc;

	if (g->id == 0)
		return ERR_INVAL;
	rc = daemon_store_report_add_row(g->st, g->id, m, r);
	if (rc == ERR_IO)
		g->io = true;
	return rc;
}

static enum mp_err on_tlsrpt(void *arg, const struct mail_tlsrpt *t)
{
	struct ing *g = arg;
	struct daemon_report_head h;
	enum mp_err rc;

	head_init(g, &h, "tlsrpt");
	h.reporter = t->org_name;
	h.reporter_email = t->contact_info ? t->contact_info : "";
	h.report_id = t->report_id;
	/* RFC 8460 4.4: every policy names its domain; the first one files the report. */
	h.domain = t->n_policies > 0 ? t->policies[0].policy_domain : "";
	h.begin = t->begin;
	h.end = t->end;
	rc = open_head(g, &h);
	if (rc == ERR_OK)
		rc = daemon_store_report_add_tlsrpt(g->st, g->id, t);
	if (rc == ERR_IO)
		g->io = true;
	if (rc == ERR_OK) {
		g->records = t->n_policies;
		for (size_t i = 0; i < t->n_policies; i++)
			g->messages += t->policies[i].success + t->policies[i].failure;
	}
	return rc;
}

/* The domain of an addr-spec in s ("" when none), lower case. */
static void addr_domain(const char *s, char *out, size_t outsz)
{
	const char *at = s ? strrchr(s, '@') : NULL;
	size_t k = 0;

	for (const char *p = at ? at + 1 : ""; *p != '\0' && *p != '>' && k + 1 < outsz; p++)
		out[k++] = lower(*p);
	out[k] = '\0';
}

static enum mp_err on_failure(void *arg, const struct mail_arf *f)
{
	struct ing *g = arg;
	struct daemon_report_head h;
	char id[65], from_dom[256], dom[256];
	enum mp_err rc;

	head_init(g, &h, "failure");
	rc = input_sha256_hex(g, id);
	if (rc != ERR_OK) {
		g->io = rc == ERR_IO;
		return rc;
	}
	input_from_domain(g, from_dom, sizeof from_dom);
	/* RFC 6591 3.1: Reporting-MTA is optional, User-Agent required; else who sent it. */
	h.reporter = f->reporting_mta[0]   ? f->reporting_mta
		     : f->user_agent[0]	   ? f->user_agent
		     : from_dom[0] != '\0' ? from_dom
					   : "unknown";
	h.report_id = id;
	addr_domain(f->orig_from, dom, sizeof dom);
	h.domain = f->reported_domain[0] ? f->reported_domain : dom;
	h.begin = h.end = f->arrival > 0 ? f->arrival : g->o->now;
	rc = open_head(g, &h);
	if (rc == ERR_OK)
		rc = daemon_store_report_add_failure(g->st, g->id, f);
	if (rc == ERR_IO)
		g->io = true;
	g->records = g->messages = 1;
	return rc;
}

static void reject(struct ing *g, enum mp_err verdict, const char *why)
{
	g->res->rejected++;
	if (g->first_reject == ERR_OK)
		g->first_reject = verdict == ERR_AGAIN || verdict == ERR_OK ? ERR_PARSE : verdict;
	if (g->res->why[0] == '\0')
		snprintf(g->res->why, sizeof g->res->why, "%s", why && why[0] ? why : "invalid");
}

/* The report was valid: finish and commit it. */
static void keep(struct ing *g, const struct mail_report_where *w,
		 const struct mail_agg_summary *sum)
{
	enum mp_err rc;

	if (sum != NULL) {
		g->records = sum->records;
		g->messages = sum->messages;
	}
	rc = daemon_store_report_finish(g->st, g->id, g->records, g->messages);
	if (rc == ERR_OK)
		rc = daemon_store_commit(g->st);
	else
		daemon_store_rollback(g->st);
	g->txn = false;
	if (rc != ERR_OK) {
		g->io = g->any_io = true;
		log_err("store", "report-store-failed reporter=%s id=%s reason=%s", g->reporter,
			g->report_id, daemon_store_errmsg(g->st));
		return;
	}
	g->res->stored++;
	add_domain(g->res, g->domain);
	log_info("report",
		 "report stored kind=%s reporter=%s id=%s domain=%s source=%s container=%s "
		 "records=%llu messages=%llu",
		 mail_report_kind_name(w->kind), g->reporter, g->report_id, g->domain, g->o->source,
		 w->container, (unsigned long long)g->records, (unsigned long long)g->messages);
}

static void on_end(void *arg, const struct mail_report_where *w, enum mp_err verdict,
		   const char *why, const struct mail_agg_summary *sum)
{
	struct ing *g = arg;

	if (g->txn && (verdict != ERR_OK || g->dup || g->io || g->id == 0)) {
		daemon_store_rollback(g->st);
		g->txn = false;
	}
	if (g->io) {
		g->any_io = true;
	} else if (g->dup) {
		g->res->duplicates++;
		log_info("report", "report duplicate kind=%s reporter=%s id=%s source=%s",
			 mail_report_kind_name(w->kind), g->reporter, g->report_id, g->o->source);
	} else if (verdict != ERR_OK) {
		reject(g, verdict, why);
	} else if (g->id == 0) {
		reject(g, ERR_PARSE, "the report has no header (no reporter or report id)");
	} else {
		keep(g, w, sum);
	}
	g->w = NULL;
}

/* ---- entry points ---- */

void daemon_report_ingest_opts_from(const struct daemon_config *cfg, const char *source,
				    int64_t now, struct daemon_report_ingest_opts *o)
{
	memset(o, 0, sizeof *o);
	o->source = source;
	o->quarantine_dir = cfg->reports.quarantine_dir;
	o->max_size = cfg->reports.max_size;
	o->max_ratio = cfg->reports.max_ratio;
	o->now = now;
}

static void limits_of(const struct daemon_report_ingest_opts *o, struct mail_report_limits *lim)
{
	mail_report_limits_default(lim);
	if (o->max_size > 0) {
		lim->archive.max_out = o->max_size;
		lim->agg.max_bytes = o->max_size;
		lim->max_message = o->max_size;
	}
	if (o->max_ratio > 0)
		lim->archive.max_ratio = o->max_ratio;
}

/* After the parse: the verdict of the whole input, and its quarantine. */
static enum mp_err conclude(struct ing *g, enum mp_err rc, const struct mail_report_outcome *out)
{
	struct daemon_report_ingest_result *res = g->res;

	if (g->txn) { /* a parser that did not call end(): never leave a batch open */
		daemon_store_rollback(g->st);
		g->txn = false;
	}
	if (g->any_io)
		return ERR_IO;
	res->rejected += out->unreadable;
	if (out->unreadable > 0) {
		if (g->first_reject == ERR_OK)
			g->first_reject = rc != ERR_OK && rc != ERR_NOTFOUND ? rc : ERR_PARSE;
		if (res->why[0] == '\0')
			snprintf(res->why, sizeof res->why, "%s", out->why);
	}
	if (res->found == 0 && res->rejected == 0) {
		snprintf(res->why, sizeof res->why, "not a report: %.200s",
			 out->why[0] ? out->why : "no report found");
		return quarantine(g, res->why) == ERR_OK ? ERR_NOTFOUND : ERR_IO;
	}
	if (res->rejected > 0)
		return quarantine(g, res->why) == ERR_OK ? g->first_reject : ERR_IO;
	return ERR_OK;
}

static void ing_init(struct ing *g, struct daemon_store *st,
		     const struct daemon_report_ingest_opts *o,
		     struct daemon_report_ingest_result *res)
{
	memset(res, 0, sizeof *res);
	memset(g, 0, sizeof *g);
	g->st = st;
	g->o = o;
	g->res = res;
	g->fd = -1;
}

static void sink_init(struct ing *g, struct mail_report_sink *s)
{
	*s = (struct mail_report_sink){.begin = on_begin,
				       .agg_meta = on_agg_meta,
				       .agg_record = on_agg_record,
				       .tlsrpt = on_tlsrpt,
				       .failure = on_failure,
				       .end = on_end,
				       .arg = g};
}

enum mp_err daemon_report_ingest_mem(struct daemon_store *st,
				     const struct daemon_report_ingest_opts *o, const char *p,
				     size_t len, struct daemon_report_ingest_result *res)
{
	struct ing g;
	struct mail_report_sink sink;
	struct mail_report_limits lim;
	struct mail_report_outcome out;
	enum mp_err rc;

	ing_init(&g, st, o, res);
	g.mem = p;
	g.len = len;
	sink_init(&g, &sink);
	limits_of(o, &lim);
	memset(&out, 0, sizeof out);
	rc = mail_report_parse_mem(p, len, &lim, &sink, &out);
	return conclude(&g, rc, &out);
}

enum mp_err daemon_report_ingest_file(struct daemon_store *st,
				      const struct daemon_report_ingest_opts *o, const char *path,
				      struct daemon_report_ingest_result *res)
{
	struct ing g;
	struct mail_report_sink sink;
	struct mail_report_limits lim;
	struct mail_report_outcome out;
	struct stat sb;
	enum mp_err rc;

	ing_init(&g, st, o, res);
	g.fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (g.fd < 0 || fstat(g.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(res->why, sizeof res->why, "cannot read %s: %s", path,
			 g.fd < 0 ? strerror(errno) : "not a regular file");
		if (g.fd >= 0)
			close(g.fd);
		return ERR_IO;
	}
	sink_init(&g, &sink);
	limits_of(o, &lim);
	memset(&out, 0, sizeof out);
	rc = mail_report_parse_fd(g.fd, &lim, &sink, &out);
	rc = conclude(&g, rc, &out);
	close(g.fd);
	return rc;
}
