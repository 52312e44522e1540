/*
 * mail/report: sniff, unwrap and dispatch every kind of report mailpulse
 * ingests (issue 5): DMARC aggregate XML (RFC 7489 appendix C, RFC 9990),
 * TLS-RPT JSON (RFC 8460 4), DMARC failure reports (RFC 6591 ARF), raw,
 * gzipped, zipped or carried by an e-mail (RFC 7489 7.2.1.1, RFC 8460 5.3).
 *
 * How: every input becomes a byte source (memory or a file descriptor,
 * optionally through mail/report_archive when it starts with gzip or zip
 * magic bytes).  The first decompressed bytes are kept in a small peek
 * buffer and sniffed (magic bytes, never labels): "<" is aggregate XML and
 * is streamed straight into mail/report_agg (peek buffer first, then the
 * rest of the source), so memory stays flat for a file of any size; "{" is
 * TLS-RPT JSON, read whole within the caps; a header block is an e-mail,
 * parsed with mail/mime and walked for a feedback report or for report
 * attachments, each of which goes through the same path once more (one
 * archive level only: an archive inside an archive is refused).
 *
 * An input that cannot be unwrapped before its kind is known (a corrupt or
 * nested archive, a bomb in the first bytes, an attachment over the cap)
 * is "unreadable": counted in the outcome, no sink call.
 *
 * What it does not: store, deduplicate, judge, or touch the network.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/mime.h"
#include "mail/report.h"

#define RP_PEEK 4096			     /* bytes sniffed before choosing a parser */
#define RP_MESSAGE_MAX (32u * 1024u * 1024u) /* default max_message */
#define RP_ARCHIVE_MAX (64u * 1024u * 1024u) /* mail/report_archive's max_out default */
#define RP_WHY 256

/* One whole input being read. */
struct rp_ctx {
	const struct mail_report_limits *lim;
	const struct mail_report_sink *sink;
	struct mail_report_outcome *out;
	enum mp_err first_err; /* first rejection or unreadable part */
	char notfound[RP_WHY]; /* first reason something was not a report */
};

/* A byte source: memory or a descriptor, maybe through an archive. */
struct rp_src {
	const char *mem; /* borrowed; NULL when reading fd */
	size_t memlen, mempos;
	int fd;
	struct mail_report_archive *ar; /* owned, NULL for raw bytes */
	char peek[RP_PEEK];
	size_t npeek, peekpos;
	enum mp_err err; /* sticky read error */
	char why[RP_WHY];
};

enum rp_sniff { RP_NONE, RP_XML, RP_JSON, RP_EMAIL, RP_ARCHIVE };

void mail_report_limits_default(struct mail_report_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->agg.max_bytes = 64u * 1024u * 1024u;
	lim->agg.max_depth = 16;
	lim->agg.max_text = 4096;
	lim->agg.max_records = 1000000;
	lim->archive.max_out = RP_ARCHIVE_MAX;
	lim->archive.max_ratio = 100;
	lim->max_message = RP_MESSAGE_MAX;
}

const char *mail_report_kind_name(enum mail_report_kind k)
{
	switch (k) {
	case MAIL_REPORT_AGGREGATE:
		return "aggregate";
	case MAIL_REPORT_TLSRPT:
		return "tlsrpt";
	case MAIL_REPORT_FAILURE:
		return "failure";
	case MAIL_REPORT_NONE:
		break;
	}
	return "none";
}

/* ---- byte sources ------------------------------------------------------ */

/* Read up to len bytes past the peek buffer; *got 0 at the end. */
static enum mp_err rp_read_raw(struct rp_src *s, char *buf, size_t len, size_t *got)
{
	*got = 0;
	if (s->err != ERR_OK)
		return s->err;
	if (s->ar) {
		s->err = mail_report_archive_read(s->ar, buf, len, got, s->why, sizeof(s->why));
	} else if (s->mem) {
		size_t n = s->memlen - s->mempos < len ? s->memlen - s->mempos : len;
		memcpy(buf, s->mem + s->mempos, n);
		s->mempos += n;
		*got = n;
	} else {
		ssize_t r;
		do
			r = read(s->fd, buf, len);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			snprintf(s->why, sizeof(s->why), "read: %s", strerror(errno));
			s->err = ERR_IO;
		} else {
			*got = (size_t)r;
		}
	}
	if (s->err != ERR_OK)
		*got = 0;
	return s->err;
}

/* Read up to len bytes of s, the peek buffer first; *got 0 at the end. */
static enum mp_err rp_read(struct rp_src *s, char *buf, size_t len, size_t *got)
{
	if (s->peekpos < s->npeek) {
		size_t n = s->npeek - s->peekpos < len ? s->npeek - s->peekpos : len;
		memcpy(buf, s->peek + s->peekpos, n);
		s->peekpos += n;
		*got = n;
		return ERR_OK;
	}
	return rp_read_raw(s, buf, len, got);
}

/* Fill the peek buffer with the source's first bytes (fewer at the end). */
static enum mp_err rp_fill_peek(struct rp_src *s)
{
	while (s->npeek < sizeof(s->peek)) {
		size_t got = 0;
		enum mp_err err =
		    rp_read_raw(s, s->peek + s->npeek, sizeof(s->peek) - s->npeek, &got);
		if (err != ERR_OK)
			return err;
		if (got == 0)
			break;
		s->npeek += got;
	}
	s->peekpos = 0;
	return ERR_OK;
}

/* mail_agg_read_fn over a source: errors are kept in the source. */
static ssize_t rp_agg_read(void *ctx, char *buf, size_t len)
{
	size_t got = 0;
	if (rp_read(ctx, buf, len, &got) != ERR_OK)
		return -1;
	return (ssize_t)got;
}

/* The rest of the source as one buffer of at most cap bytes (ERR_LIMIT past it). */
static enum mp_err rp_slurp(struct rp_src *s, size_t cap, char **out, size_t *outlen)
{
	size_t n = 0, sz = 8192;
	char *b = xmalloc(sz);
	enum mp_err err = ERR_OK;
	for (;;) {
		size_t got = 0;
		if (sz - n < 4097) {
			sz *= 2;
			b = xreallocarray(b, sz, 1);
		}
		size_t want = sz - n - 1;
		if (want > cap + 1 - n)
			want = cap + 1 - n; /* one byte past the cap tells "too big" */
		err = rp_read(s, b + n, want, &got);
		if (err != ERR_OK || got == 0)
			break;
		n += got;
		if (n > cap) {
			err = s->err = ERR_LIMIT;
			snprintf(s->why, sizeof(s->why), "larger than %zu bytes", cap);
			break;
		}
	}
	if (err != ERR_OK) {
		free(b);
		return err;
	}
	b[n] = '\0';
	*out = b;
	*outlen = n;
	return ERR_OK;
}

static bool rp_archive_magic(const unsigned char *p, size_t n)
{
	/* RFC 1952 2.3.1 ID1 ID2; PKWARE APPNOTE 4.3.7 local header, 4.3.16 empty zip */
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return true;
	return n >= 4 && p[0] == 'P' && p[1] == 'K' &&
	       ((p[2] == 3 && p[3] == 4) || (p[2] == 5 && p[3] == 6) || (p[2] == 7 && p[3] == 8));
}

/* Whether [p, p+n) starts like an RFC 5322 header block (an mbox "From "
   line allowed first); a last line cut by the peek buffer is accepted. */
static bool rp_looks_email(const char *p, size_t n)
{
	size_t i = 0, fields = 0;
	if (n >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', n);
		i = nl ? (size_t)(nl - p) + 1 : n;
	}
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - p) : n, l = e - i;
		if (l && p[i + l - 1] == '\r')
			l--;
		if (l == 0)
			break; /* RFC 5322 2.1: the header ends at the first empty line */
		if (p[i] == ' ' || p[i] == '\t') {
			if (fields == 0)
				return false;
		} else {
			size_t k = i;
			while (k < i + l && (unsigned char)p[k] > 32 && (unsigned char)p[k] < 127 &&
			       p[k] != ':')
				k++;
			if (k == i || k >= i + l || p[k] != ':')
				return nl == NULL && fields > 0; /* cut mid-line by the peek */
			fields++;
		}
		i = e + 1;
	}
	return fields > 0;
}

static enum rp_sniff rp_sniff(const char *p, size_t n)
{
	size_t i = 0;
	if (rp_archive_magic((const unsigned char *)p, n))
		return RP_ARCHIVE;
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* UTF-8 byte order mark */
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i < n && p[i] == '<')
		return RP_XML;
	if (i < n && p[i] == '{')
		return RP_JSON;
	if (rp_looks_email(p, n))
		return RP_EMAIL;
	return RP_NONE;
}

/* ---- outcome bookkeeping ----------------------------------------------- */

/* Control bytes (from names or messages in the input) as '?': one printable line. */
static void rp_one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void rp_first_error(struct rp_ctx *x, enum mp_err err, const char *label, const char *why)
{
	if (x->first_err != ERR_OK)
		return;
	x->first_err = err;
	snprintf(x->out->why, sizeof(x->out->why), "%s%s%s", label, *label ? ": " : "",
		 *why ? why : common_err_str(err));
	rp_one_line(x->out->why);
}

/* A source that could not be unwrapped before its kind was known. */
static void rp_unreadable(struct rp_ctx *x, enum mp_err err, const char *label, const char *why)
{
	x->out->unreadable++;
	rp_first_error(x, err, label, why);
}

static void rp_not_report(struct rp_ctx *x, const char *label, const char *why)
{
	if (!x->notfound[0]) {
		snprintf(x->notfound, sizeof(x->notfound), "%s%s%s", label, *label ? ": " : "",
			 why);
		rp_one_line(x->notfound);
	}
}

static enum mp_err rp_begin(struct rp_ctx *x, struct mail_report_where *w)
{
	w->index = x->out->reports++;
	if (x->out->first_kind == MAIL_REPORT_NONE)
		x->out->first_kind = w->kind;
	if (x->sink->begin)
		return x->sink->begin(x->sink->arg, w);
	return ERR_OK;
}

static void rp_end(struct rp_ctx *x, const struct mail_report_where *w, enum mp_err verdict,
		   const char *why, const struct mail_agg_summary *sum)
{
	if (verdict == ERR_OK) {
		x->out->accepted++;
	} else {
		x->out->rejected++;
		if (!*why)
			why = common_err_str(verdict);
		rp_first_error(x, verdict, *w->filename ? w->filename : "", why);
	}
	if (x->sink->end)
		x->sink->end(x->sink->arg, w, verdict, why, sum);
}

/* ---- the three kinds ---------------------------------------------------- */

static void rp_aggregate(struct rp_ctx *x, struct rp_src *s, struct mail_report_where *w)
{
	struct mail_agg_summary sum;
	char why[RP_WHY] = "";
	memset(&sum, 0, sizeof(sum));
	enum mp_err err = rp_begin(x, w);
	if (err == ERR_OK)
		err = mail_report_agg_parse(rp_agg_read, s, &x->lim->agg, x->sink->agg_meta,
					    x->sink->agg_record, x->sink->arg, &sum, why,
					    sizeof(why));
	if (s->err != ERR_OK) { /* the archive's or the descriptor's reason is the real one */
		err = s->err;
		snprintf(why, sizeof(why), "%s", s->why);
	}
	rp_end(x, w, err, why, &sum);
}

/* The TLS-RPT JSON cap: the module's own and the decompressed-size limit. */
static size_t rp_json_cap(const struct mail_report_limits *lim)
{
	uint64_t cap = lim->archive.max_out ? lim->archive.max_out : RP_ARCHIVE_MAX;
	return cap < MAIL_TLSRPT_MAX_BYTES ? (size_t)cap : MAIL_TLSRPT_MAX_BYTES;
}

static void rp_tlsrpt(struct rp_ctx *x, struct rp_src *s, struct mail_report_where *w)
{
	char why[RP_WHY] = "";
	char *buf = NULL;
	size_t len = 0;
	struct mail_tlsrpt t;
	memset(&t, 0, sizeof(t));
	enum mp_err err = rp_begin(x, w);
	if (err == ERR_OK && (err = rp_slurp(s, rp_json_cap(x->lim), &buf, &len)) != ERR_OK)
		snprintf(why, sizeof(why), "%s", s->why);
	if (err == ERR_OK &&
	    (err = mail_report_tlsrpt_parse(buf, len, &t, why, sizeof(why))) == ERR_OK) {
		if (x->sink->tlsrpt)
			err = x->sink->tlsrpt(x->sink->arg, &t);
		mail_tlsrpt_free(&t);
	}
	free(buf);
	rp_end(x, w, err, why, NULL);
}

static void rp_email(struct rp_ctx *x, const char *p, size_t len);

/*
 * One source whose outer wrapper (if any) is open: sniff the content and
 * hand it to the right reader.  prefix is the container chain so far
 * ("" or "email>"), name the attachment's file name ("" when none), label
 * what to call the source in reasons.
 */
static void rp_content(struct rp_ctx *x, struct rp_src *s, const char *prefix, const char *name,
		       const char *label)
{
	char container[64];
	if (rp_fill_peek(s) != ERR_OK) {
		rp_unreadable(x, s->err, label, s->why);
		return;
	}
	enum rp_sniff k = rp_sniff(s->peek, s->npeek);
	const char *arname = s->ar ? mail_report_archive_name(s->ar) : "";
	const char *wrap = s->ar ? mail_archive_kind_name(mail_report_archive_kind(s->ar)) : "";
	struct mail_report_where w = {.filename = *arname ? arname : name};
	if (k == RP_ARCHIVE) {
		rp_unreadable(x, ERR_PARSE, label, "an archive inside an archive is refused");
		return;
	}
	if (k == RP_EMAIL && !s->ar && !*prefix) {
		char *buf = NULL;
		size_t len = 0;
		size_t cap = x->lim->max_message ? x->lim->max_message : RP_MESSAGE_MAX;
		if (s->mem && s->memlen > cap)
			rp_unreadable(x, ERR_LIMIT, "e-mail", "larger than the message size limit");
		else if (s->mem)
			rp_email(x, s->mem, s->memlen);
		else if (rp_slurp(s, cap, &buf, &len) != ERR_OK)
			rp_unreadable(x, s->err, "e-mail", s->why);
		else
			rp_email(x, buf, len);
		free(buf);
		return;
	}
	if (k != RP_XML && k != RP_JSON) {
		rp_not_report(x, label,
			      s->npeek == 0 ? "empty"
			      : s->ar	    ? "the archive holds neither XML nor JSON"
					    : "neither XML, JSON, gzip, zip nor an e-mail");
		return;
	}
	snprintf(container, sizeof(container), "%s%s%s%s", prefix, wrap, *wrap ? ">" : "",
		 k == RP_XML ? "xml" : "json");
	w.container = container;
	w.kind = k == RP_XML ? MAIL_REPORT_AGGREGATE : MAIL_REPORT_TLSRPT;
	if (k == RP_XML)
		rp_aggregate(x, s, &w);
	else
		rp_tlsrpt(x, s, &w);
}

/* Memory bytes [p, p+len) through the archive reader when they start with its magic. */
static void rp_mem(struct rp_ctx *x, const char *p, size_t len, const char *prefix,
		   const char *name, const char *label)
{
	struct rp_src *s = xcalloc(1, sizeof(*s));
	s->fd = -1;
	s->mem = p;
	s->memlen = len;
	if (rp_archive_magic((const unsigned char *)p, len) &&
	    mail_report_archive_open_mem(p, len, &x->lim->archive, &s->ar, s->why,
					 sizeof(s->why)) != ERR_OK)
		rp_unreadable(x, ERR_PARSE, label, s->why);
	else
		rp_content(x, s, prefix, name, label);
	if (s->ar)
		mail_report_archive_close(s->ar);
	free(s);
}

/* ---- e-mail -------------------------------------------------------------- */

/* Whether the name ends with suffix, ignoring case. */
static bool rp_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);
	return n >= k && common_str_ieqz(name + n - k, k, suffix);
}

/* RFC 7489 7.2.1.1, RFC 8460 5.3: the parts that may carry a report. */
static bool rp_candidate(const struct mail_mime_part *pt)
{
	static const char *const types[] = {
	    "application/gzip",	 "application/x-gzip",		 "application/zip",
	    "application/x-zip", "application/x-zip-compressed", "text/xml",
	    "application/xml",	 "application/tlsrpt+json",	 "application/tlsrpt+gzip",
	    "application/json",
	};
	static const char *const ext[] = {".gz", ".zip", ".xml", ".json"};
	if (strncmp(pt->type, "multipart/", 10) == 0 || strncmp(pt->type, "message/", 8) == 0)
		return false;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(pt->type, types[i]) == 0)
			return true;
	for (size_t i = 0; pt->filename && i < sizeof(ext) / sizeof(ext[0]); i++)
		if (rp_ends(pt->filename, ext[i]))
			return true;
	/* trust magic bytes, not labels: an unnamed octet-stream holding gzip/zip */
	return strcmp(pt->type, "application/octet-stream") == 0 &&
	       rp_archive_magic((const unsigned char *)pt->body, pt->body_len);
}

/* RFC 6591: a message/feedback-report part is a failure report. */
static bool rp_arf(struct rp_ctx *x, const struct mail_mime *m)
{
	struct mail_arf a;
	char why[RP_WHY] = "";
	struct mail_report_where w = {
	    .kind = MAIL_REPORT_FAILURE, .container = "email>arf", .filename = ""};
	size_t i = 0;
	while (i < m->n_parts && strcmp(m->parts[i].type, "message/feedback-report") != 0)
		i++;
	if (i == m->n_parts)
		return false;
	enum mp_err err = mail_report_arf_parse(m, &a, why, sizeof(why));
	if (err == ERR_NOTFOUND) {
		rp_not_report(x, "e-mail", why);
		return false;
	}
	enum mp_err e2 = rp_begin(x, &w);
	if (e2 == ERR_OK && err == ERR_OK && x->sink->failure)
		e2 = x->sink->failure(x->sink->arg, &a);
	if (err == ERR_OK) {
		err = e2;
		mail_arf_free(&a);
	}
	rp_end(x, &w, err, why, NULL);
	return true;
}

static void rp_email(struct rp_ctx *x, const char *p, size_t len)
{
	struct mail_mime *m = NULL;
	uint64_t maxb = x->lim->archive.max_out ? x->lim->archive.max_out : RP_ARCHIVE_MAX;
	size_t mm = x->lim->max_message ? x->lim->max_message : RP_MESSAGE_MAX;
	bool any = false;
	/* message/rfc822 parts as their header block: all ARF needs of them */
	if (mail_mime_parse_opts(p, len, maxb < mm ? (size_t)maxb : mm, MAIL_MIME_MSG_HEADERS,
				 &m) != ERR_OK) {
		rp_not_report(x, "e-mail", "unreadable message");
		return;
	}
	if (rp_arf(x, m))
		goto out;
	for (size_t i = 0; i < m->n_parts; i++) {
		const struct mail_mime_part *pt = &m->parts[i];
		char label[96];
		if (!rp_candidate(pt))
			continue;
		any = true;
		if (x->out->reports + x->out->unreadable >= MAIL_REPORT_MAX_PER_MESSAGE) {
			rp_not_report(x, "e-mail", "more report attachments than the limit");
			break;
		}
		snprintf(label, sizeof(label), "attachment %.64s",
			 pt->filename ? pt->filename : pt->type);
		if (pt->body_cut)
			rp_unreadable(x, ERR_LIMIT, label, "larger than the size limit");
		else
			rp_mem(x, pt->body, pt->body_len, "email>",
			       pt->filename ? pt->filename : "", label);
	}
	if (!any)
		rp_not_report(x, "e-mail", "no report attachment and no feedback report");
out:
	mail_mime_free(m);
}

/* ---- entry points -------------------------------------------------------- */

static enum mp_err rp_finish(struct rp_ctx *x)
{
	struct mail_report_outcome *o = x->out;
	if (o->rejected + o->unreadable > 0)
		return x->first_err;
	if (o->accepted > 0)
		return ERR_OK;
	snprintf(o->why, sizeof(o->why), "%s", x->notfound[0] ? x->notfound : "no report found");
	return ERR_NOTFOUND;
}

static void rp_init(struct rp_ctx *x, const struct mail_report_limits *lim,
		    struct mail_report_limits *def, const struct mail_report_sink *sink,
		    struct mail_report_outcome *out)
{
	static const struct mail_report_sink none;
	memset(x, 0, sizeof(*x));
	memset(out, 0, sizeof(*out));
	if (lim == NULL) {
		mail_report_limits_default(def);
		lim = def;
	}
	x->lim = lim;
	x->sink = sink ? sink : &none;
	x->out = out;
}

enum mp_err mail_report_parse_mem(const char *p, size_t len, const struct mail_report_limits *lim,
				  const struct mail_report_sink *sink,
				  struct mail_report_outcome *out)
{
	struct rp_ctx x;
	struct mail_report_limits def;
	rp_init(&x, lim, &def, sink, out);
	rp_mem(&x, p, len, "", "", "input");
	return rp_finish(&x);
}

enum mp_err mail_report_parse_fd(int fd, const struct mail_report_limits *lim,
				 const struct mail_report_sink *sink,
				 struct mail_report_outcome *out)
{
	struct rp_ctx x;
	struct mail_report_limits def;
	struct stat st;
	unsigned char magic[4];
	rp_init(&x, lim, &def, sink, out);
	struct rp_src *s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	off_t at = lseek(fd, 0, SEEK_CUR);
	ssize_t n = at < 0 ? -1 : pread(fd, magic, sizeof(magic), at);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || n < 0) {
		/* a pipe: no peeking at magic bytes, so read it whole, within the caps */
		char *buf = NULL;
		size_t len = 0;
		uint64_t cap = lim && lim->archive.max_out ? lim->archive.max_out : RP_ARCHIVE_MAX;
		if (rp_slurp(s, (size_t)cap, &buf, &len) != ERR_OK)
			rp_unreadable(&x, s->err, "input", s->why);
		else
			rp_mem(&x, buf, len, "", "", "input");
		free(buf);
	} else if (rp_archive_magic(magic, (size_t)n) &&
		   mail_report_archive_open_fd(fd, &x.lim->archive, &s->ar, s->why,
					       sizeof(s->why)) != ERR_OK) {
		rp_unreadable(&x, ERR_PARSE, "input", s->why);
	} else {
		rp_content(&x, s, "", "", "input");
	}
	if (s->ar)
		mail_report_archive_close(s->ar);
	free(s);
	return rp_finish(&x);
}
