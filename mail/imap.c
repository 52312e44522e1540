/*
 * mail/imap: seed boxes (see imap.h for the contract).  One poll is one
 * IMAP session (common/fetch, libcurl): CAPABILITY, then per folder
 * UID SEARCH HEADER X-Mailpulse-Probe "" (RFC 9051 6.4.4: an empty string
 * matches every message that has the field; UID SEARCH ALL for a report
 * mailbox, all_messages, where no token is looked for), UID FETCH of the RFC822.SIZE
 * of what matched, UID FETCH BODY[] of each message that fits, then
 * UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE (RFC 4315 2.1, or
 * IMAP4rev2) or EXPUNGE for the ones kept when delete_found is set.
 * mail_imap_delete() is a session of its own that runs just that deletion
 * (the same code) for UIDs a caller has stored meanwhile.
 *
 * The response parsers are pure functions over the untagged lines and are
 * fuzzed (tests/fuzz/fuzz_imap_resp.c).  What it does not: parse MIME,
 * verify the message, resolve names, or talk to libcurl (common/fetch).
 *
 * RFC 9051 (IMAP4rev2), RFC 3501 (IMAP4rev1), RFC 4315 (UIDPLUS),
 * RFC 7162 3.1.5 (MODSEQ in SEARCH results).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/buf.h"
#include "common/cursor.h"
#include "common/fetch.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/imap.h"
#include "mail/probe.h"

#define DEFAULT_MAX_MESSAGE (1024 * 1024)
#define MAX_MAX_MESSAGE (64 * 1024 * 1024)
#define DEFAULT_TIMEOUT_MS 60000
#define SEARCH_MAX (1024 * 1024) /* a SEARCH reply: ~11 bytes per UID */
#define SMALL_MAX (256 * 1024)	 /* CAPABILITY, sizes, STORE, EXPUNGE replies */
#define UID_MAX 4294967295UL	 /* RFC 9051 9: nz-number is 32 bits */
#define NESTING_MAX 16

/* ---- parsers ---------------------------------------------------------- */

/* The next line of [p, p+len) from *pos, without its CR LF. */
static bool next_line(const char *p, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;
	size_t k;

	if (*pos >= len)
		return false;
	*line = p + *pos;
	nl = memchr(*line, '\n', len - *pos);
	k = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += k + (nl != NULL);
	if (k > 0 && (*line)[k - 1] == '\r')
		k--;
	*n = k;
	return true;
}

/* A run of characters up to a space or the end. */
static size_t word(struct cursor *c, const char **w)
{
	size_t n = 0;

	*w = (const char *)common_cursor_ptr(c);
	while (!common_cursor_eof(c) && common_cursor_peek(c) != ' ') {
		(void)common_cursor_get(c);
		n++;
	}
	return n;
}

/* "* NAME" (case-insensitive): the cursor is after NAME, at a space or the end. */
static bool untagged(struct cursor *c, const char *line, size_t n, const char *name)
{
	const char *w;
	size_t k;

	common_cursor_init(c, line, n);
	if (!common_cursor_accept(c, '*') || !common_cursor_accept(c, ' '))
		return false;
	k = word(c, &w);
	return common_str_ieqz(w, k, name);
}

/* A decimal number of at most 20 digits and at most max. */
static bool number(struct cursor *c, uint64_t max, uint64_t *v)
{
	const char *d = (const char *)common_cursor_ptr(c);
	size_t k = 0;

	while (k < 21 && common_cursor_peek(c) >= '0' && common_cursor_peek(c) <= '9') {
		(void)common_cursor_get(c);
		k++;
	}
	return common_str_to_u64(d, k, max, v) == ERR_OK;
}

/* Add uid to the sorted, distinct set in uids (n of max); counts distinct ones in *total. */
static void add_uid(unsigned long *uids, size_t max, size_t *n, size_t *total, unsigned long uid)
{
	size_t lo = 0, hi = *n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (uids[mid] == uid)
			return;
		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Beyond max the count may include repeats of UIDs not kept: an upper bound. */
	(*total)++;
	if (*n < max) {
		memmove(uids + lo + 1, uids + lo, (*n - lo) * sizeof *uids);
		uids[lo] = uid;
		(*n)++;
	} else if (lo < max) {
		/* Keep the lowest (oldest) UIDs: drop the highest. */
		memmove(uids + lo + 1, uids + lo, (max - lo - 1) * sizeof *uids);
		uids[lo] = uid;
	}
}

/* The rest of one "* SEARCH" line: SP nz-number ... [SP "(MODSEQ" SP n ")"]. */
static bool search_line(struct cursor *c, unsigned long *uids, size_t max, size_t *n, size_t *total)
{
	uint64_t v;

	while (common_cursor_accept(c, ' ')) {
		if (common_cursor_eof(c))
			return true; /* a trailing space, seen from some servers */
		if (common_cursor_peek(c) == '(') {
			const char *w;
			size_t k;

			(void)common_cursor_get(c);
			k = word(c, &w);
			/* RFC 7162 3.1.5: "(MODSEQ" SP mod-sequence-value ")" ends the line. */
			if (!common_str_ieqz(w, k, "MODSEQ") || !common_cursor_accept(c, ' ') ||
			    !number(c, UINT64_MAX, &v) || !common_cursor_accept(c, ')'))
				return false;
			return common_cursor_eof(c);
		}
		if (!number(c, UID_MAX, &v) || v == 0)
			return false;
		add_uid(uids, max, n, total, (unsigned long)v);
	}
	return common_cursor_eof(c) && !c->err;
}

enum mp_err mail_imap_parse_search(const char *resp, size_t len, unsigned long *uids, size_t max,
				   size_t *n, size_t *total)
{
	unsigned long *tmp = max ? xreallocarray(NULL, max, sizeof *tmp) : NULL;
	size_t pos = 0, got = 0, all = 0, ln;
	const char *line;
	struct cursor c;
	enum mp_err e = ERR_PARSE;

	while (next_line(resp, len, &pos, &line, &ln)) {
		if (!untagged(&c, line, ln, "SEARCH"))
			continue;
		if (!search_line(&c, tmp, max, &got, &all))
			goto out;
	}
	if (got > 0)
		memcpy(uids, tmp, got * sizeof *tmp);
	*n = got;
	*total = all;
	e = ERR_OK;
out:
	free(tmp);
	return e;
}

enum mp_err mail_imap_parse_caps(const char *resp, size_t len, unsigned *caps)
{
	size_t pos = 0, ln;
	const char *line;
	unsigned got = 0;
	bool seen = false;
	struct cursor c;

	while (next_line(resp, len, &pos, &line, &ln)) {
		if (!untagged(&c, line, ln, "CAPABILITY"))
			continue;
		seen = true;
		while (common_cursor_accept(&c, ' ')) {
			const char *w;
			size_t k = word(&c, &w);

			if (common_str_ieqz(w, k, "UIDPLUS"))
				got |= MAIL_IMAP_CAP_UIDPLUS;
			else if (common_str_ieqz(w, k, "IMAP4rev2"))
				got |= MAIL_IMAP_CAP_IMAP4REV2;
		}
	}
	if (!seen)
		return ERR_PARSE;
	*caps = got;
	return ERR_OK;
}

/* Skip one quoted string (RFC 9051 4.3), the opening quote next. */
static bool skip_quoted(struct cursor *c)
{
	int ch;

	(void)common_cursor_get(c);
	while ((ch = common_cursor_get(c)) != -1) {
		if (ch == '"')
			return true;
		if (ch == '\\' && common_cursor_get(c) == -1)
			return false;
	}
	return false;
}

/* Skip one msg-att value: an atom or number, a quoted string, or a list. */
static bool skip_value(struct cursor *c, int depth)
{
	int ch = common_cursor_peek(c);

	if (depth > NESTING_MAX || ch == -1 || ch == '{')
		return false; /* no literals expected here (we asked for none) */
	if (ch == '"')
		return skip_quoted(c);
	if (ch == '(') {
		(void)common_cursor_get(c);
		while (!common_cursor_accept(c, ')')) {
			if (!skip_value(c, depth + 1))
				return false;
			(void)common_cursor_accept(c, ' ');
		}
		return true;
	}
	while ((ch = common_cursor_peek(c)) != -1 && ch != ' ' && ch != ')' && ch != '(') {
		if (ch == '[') { /* BODY[...] style names hold spaces inside brackets */
			while ((ch = common_cursor_get(c)) != -1 && ch != ']')
				;
			if (ch == -1)
				return false;
			continue;
		}
		(void)common_cursor_get(c);
	}
	return true;
}

/* One "* N FETCH (...)" line: its UID and RFC822.SIZE, when both are there. */
static bool fetch_line(struct cursor *c, uint64_t *uid, uint64_t *size)
{
	bool have_uid = false, have_size = false;
	uint64_t v;

	if (!common_cursor_accept(c, ' ') || !common_cursor_accept(c, '('))
		return false;
	while (!common_cursor_accept(c, ')')) {
		const char *w = (const char *)common_cursor_ptr(c);
		size_t k = 0;

		while (common_cursor_peek(c) != ' ' && common_cursor_peek(c) != -1 &&
		       common_cursor_peek(c) != ')' && common_cursor_peek(c) != '(') {
			(void)common_cursor_get(c);
			k++;
		}
		if (k == 0 || !common_cursor_accept(c, ' '))
			return false;
		if (common_str_ieqz(w, k, "UID") || common_str_ieqz(w, k, "RFC822.SIZE")) {
			bool is_uid = k == 3;

			if (!number(c, is_uid ? UID_MAX : UINT64_MAX - 1, &v) || (is_uid && v == 0))
				return false;
			*(is_uid ? uid : size) = v;
			*(is_uid ? &have_uid : &have_size) = true;
		} else if (!skip_value(c, 0)) {
			return false;
		}
		(void)common_cursor_accept(c, ' ');
	}
	return common_cursor_eof(c) && !c->err && have_uid && have_size;
}

size_t mail_imap_parse_sizes(const char *resp, size_t len, const unsigned long *uids, size_t n,
			     uint64_t *sizes)
{
	size_t pos = 0, ln, found = 0;
	const char *line;

	for (size_t i = 0; i < n; i++)
		sizes[i] = UINT64_MAX;
	while (next_line(resp, len, &pos, &line, &ln)) {
		struct cursor c;
		const char *w;
		uint64_t seq, uid = 0, size = 0;
		size_t k;

		common_cursor_init(&c, line, ln);
		if (!common_cursor_accept(&c, '*') || !common_cursor_accept(&c, ' ') ||
		    !number(&c, UID_MAX, &seq) || !common_cursor_accept(&c, ' '))
			continue;
		k = word(&c, &w);
		if (!common_str_ieqz(w, k, "FETCH") || !fetch_line(&c, &uid, &size))
			continue;
		for (size_t i = 0; i < n; i++) {
			if (uids[i] == uid) {
				found += sizes[i] == UINT64_MAX;
				sizes[i] = size;
			}
		}
	}
	return found;
}

/* ---- the poll --------------------------------------------------------- */

struct poll {
	const struct mail_imap_opts *o;
	struct mail_imap_result *out;
	struct common_fetch_imap *s;
	struct timespec deadline;
	unsigned caps;
	size_t max_message;
	size_t cap_msgs, cap_skipped;
	bool fatal; /* a failure that ends the poll */
};

static unsigned remaining_ms(const struct poll *p)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(p->deadline.tv_sec - now.tv_sec) * 1000 +
	     (p->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : (unsigned)ms;
}

/* Record the first failure in out->error (folder NULL: the session). */
static void fail(struct poll *p, const char *folder, enum mp_err cause, const char *why)
{
	struct mail_imap_result *r = p->out;

	if (cause == ERR_NET || cause == ERR_TLS || cause == ERR_TIMEOUT || cause == ERR_INVAL ||
	    common_fetch_imap_login_failed(p->s))
		p->fatal = true;
	if (common_fetch_imap_login_failed(p->s))
		r->login_failed = true;
	if (r->cause != ERR_OK)
		return;
	r->cause = cause;
	if (folder)
		snprintf(r->error, sizeof r->error, "folder \"%s\": %s", folder, why);
	else
		snprintf(r->error, sizeof r->error, "%s", why);
}

/* One command; ERR_OK with *data (caller frees), else the failure recorded. */
static enum mp_err cmd(struct poll *p, const char *folder, const char *request, unsigned long uid,
		       size_t max, char **data, size_t *len)
{
	struct common_fetch_imap_cmd c = {
	    .folder = folder, .request = request, .uid = uid, .max = max};
	enum mp_err e;

	if (p->o->cancel != NULL && __atomic_load_n(p->o->cancel, __ATOMIC_RELAXED)) {
		fail(p, folder, ERR_NET, "cancelled: the daemon is stopping");
		return ERR_NET;
	}
	c.timeout_ms = remaining_ms(p);
	if (c.timeout_ms == 0) {
		fail(p, folder, ERR_TIMEOUT, "the poll ran out of time");
		return ERR_TIMEOUT;
	}
	e = common_fetch_imap_run(p->s, &c, data, len);
	if (e != ERR_OK && !(request == NULL && (e == ERR_LIMIT || e == ERR_NOTFOUND)))
		fail(p, folder, e, common_fetch_imap_error(p->s));
	return e;
}

static void add_skip(struct poll *p, const struct mail_imap_folder *f, unsigned long uid,
		     uint64_t size, enum mail_imap_skip_why why)
{
	struct mail_imap_result *r = p->out;

	if (r->n_skipped == p->cap_skipped) {
		p->cap_skipped = p->cap_skipped ? 2 * p->cap_skipped : 8;
		r->skipped = xreallocarray(r->skipped, p->cap_skipped, sizeof *r->skipped);
	}
	r->skipped[r->n_skipped++] = (struct mail_imap_skip){
	    .folder = xstrdup(f->name),
	    .placement = f->placement,
	    .uid = uid,
	    .size = size,
	    .why = why,
	};
}

static void add_msg(struct poll *p, const struct mail_imap_folder *f, unsigned long uid, char *data,
		    size_t len, const char *tok)
{
	struct mail_imap_result *r = p->out;
	struct mail_imap_msg *m;

	if (r->n_msgs == p->cap_msgs) {
		p->cap_msgs = p->cap_msgs ? 2 * p->cap_msgs : 8;
		r->msgs = xreallocarray(r->msgs, p->cap_msgs, sizeof *r->msgs);
	}
	m = &r->msgs[r->n_msgs++];
	*m = (struct mail_imap_msg){.folder = xstrdup(f->name),
				    .placement = f->placement,
				    .uid = uid,
				    .data = data,
				    .len = len};
	memcpy(m->token, tok, sizeof m->token);
}

/* A UID set "1,5,9" for the n UIDs (RFC 9051 9: sequence-set). */
static char *uid_set(const char *prefix, const unsigned long *uids, size_t n, const char *suffix)
{
	struct buf b;

	common_buf_init(&b, 64 + n * 12 + strlen(prefix) + strlen(suffix));
	if (common_buf_puts(&b, prefix) != ERR_OK)
		fatal("imap: uid set");
	for (size_t i = 0; i < n; i++)
		if (common_buf_printf(&b, "%s%lu", i ? "," : "", uids[i]) != ERR_OK)
			fatal("imap: uid set");
	if (common_buf_puts(&b, suffix) != ERR_OK)
		fatal("imap: uid set");
	return common_buf_steal(&b, NULL);
}

/* The RFC822.SIZE of each UID (UINT64_MAX when the server did not say). */
static enum mp_err sizes_of(struct poll *p, const char *folder, const unsigned long *uids, size_t n,
			    uint64_t *sizes)
{
	char *req = uid_set("UID FETCH ", uids, n, " (UID RFC822.SIZE)");
	char *data = NULL;
	size_t len = 0;
	enum mp_err e = cmd(p, folder, req, 0, SMALL_MAX, &data, &len);

	if (e == ERR_OK)
		(void)mail_imap_parse_sizes(data, len, uids, n, sizes);
	free(data);
	free(req);
	return e;
}

/* Fetch one message whole and keep it when it is a probe; *kept says so. */
static enum mp_err fetch_one(struct poll *p, const struct mail_imap_folder *f, unsigned long uid,
			     uint64_t size, bool *kept)
{
	char tok[MAIL_PROBE_TOKEN_LEN + 1];
	char *data = NULL;
	size_t len = 0;
	enum mp_err e;

	*kept = false;
	if (size != UINT64_MAX && size > p->max_message) {
		add_skip(p, f, uid, size, MAIL_IMAP_SKIP_TOO_BIG);
		return ERR_OK;
	}
	e = cmd(p, f->name, NULL, uid, p->max_message, &data, &len);
	if (e == ERR_LIMIT) { /* the server understated the size */
		add_skip(p, f, uid, size == UINT64_MAX ? 0 : size, MAIL_IMAP_SKIP_TOO_BIG);
		return ERR_OK;
	}
	if (e == ERR_NOTFOUND) /* expunged by someone else meanwhile */
		return ERR_OK;
	if (e != ERR_OK)
		return e;
	tok[0] = '\0';
	if (!p->o->all_messages && !mail_probe_token_find(data, len, tok)) {
		add_skip(p, f, uid, len, MAIL_IMAP_SKIP_NO_TOKEN);
		free(data);
		return ERR_OK;
	}
	add_msg(p, f, uid, data, len, tok);
	*kept = true;
	return ERR_OK;
}

/*
 * RFC 9051 6.4.6 / RFC 4315 2.1: flag \Deleted, then expunge just those when
 * we can (UID EXPUNGE), else the whole folder's \Deleted (EXPUNGE).  The
 * failure, if any, is recorded through cmd().
 */
static enum mp_err delete_uids(struct poll *p, const char *folder, const unsigned long *uids,
			       size_t n)
{
	char *store = uid_set("UID STORE ", uids, n, " +FLAGS.SILENT (\\Deleted)");
	char *expunge = p->caps ? uid_set("UID EXPUNGE ", uids, n, "") : xstrdup("EXPUNGE");
	char *data = NULL;
	size_t len = 0;
	enum mp_err e = cmd(p, folder, store, 0, SMALL_MAX, &data, &len);

	if (e == ERR_OK) {
		free(data);
		data = NULL;
		e = cmd(p, folder, expunge, 0, SMALL_MAX, &data, &len);
		if (e == ERR_OK)
			p->out->n_deleted += n;
	}
	free(data);
	free(store);
	free(expunge);
	return e;
}

/* Search one folder, fetch what it holds, delete the probes kept. */
static void poll_folder(struct poll *p, const struct mail_imap_folder *f)
{
	unsigned long uids[MAIL_IMAP_MAX_MESSAGES], kept[MAIL_IMAP_MAX_MESSAGES];
	uint64_t sizes[MAIL_IMAP_MAX_MESSAGES];
	size_t n = 0, total = 0, n_kept = 0, len = 0;
	char *data = NULL;
	/* RFC 9051 6.4.4: HEADER field "" matches every message with the field;
	   ALL matches every message (a report mailbox, all_messages). */
	const char *search =
	    p->o->all_messages ? "UID SEARCH ALL" : "UID SEARCH HEADER " MAIL_PROBE_HEADER " \"\"";

	if (cmd(p, f->name, search, 0, SEARCH_MAX, &data, &len) != ERR_OK)
		return;
	if (mail_imap_parse_search(data, len, uids, MAIL_IMAP_MAX_MESSAGES, &n, &total) != ERR_OK) {
		fail(p, f->name, ERR_PARSE, "the server's SEARCH reply does not parse");
		free(data);
		return;
	}
	free(data);
	p->out->n_more += total - n;
	if (n == 0 || sizes_of(p, f->name, uids, n, sizes) != ERR_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		bool k = false;

		if (fetch_one(p, f, uids[i], sizes[i], &k) != ERR_OK)
			break;
		if (k)
			kept[n_kept++] = uids[i];
	}
	if (p->o->delete_found && n_kept > 0 && !p->fatal)
		(void)delete_uids(p, f->name, kept, n_kept);
}

static bool bad_folder(const char *n)
{
	return n == NULL || n[0] == '\0' || strpbrk(n, "\r\n") != NULL || strlen(n) > 1000;
}

/* What is wrong with the session options, or NULL. */
static const char *check_session(const struct mail_imap_opts *o)
{
	if (o->host == NULL || o->host[0] == '\0')
		return "no IMAP server host";
	if (o->user == NULL || o->user[0] == '\0' || o->password == NULL)
		return "no IMAP user name or password";
	return NULL;
}

static const char *check_opts(const struct mail_imap_opts *o)
{
	const char *bad = check_session(o);

	if (bad != NULL)
		return bad;
	if (o->n_folders == 0 || o->n_folders > MAIL_IMAP_MAX_FOLDERS || o->folders == NULL)
		return "between 1 and 8 IMAP folders are needed";
	for (size_t i = 0; i < o->n_folders; i++)
		if (bad_folder(o->folders[i].name))
			return "an IMAP folder name is empty, too long or holds a line break";
	return NULL;
}

/* The whole session's deadline: o->timeout_ms (default 60 s) from now. */
static void set_deadline(struct poll *p)
{
	unsigned t = p->o->timeout_ms ? p->o->timeout_ms : DEFAULT_TIMEOUT_MS;

	clock_gettime(CLOCK_MONOTONIC, &p->deadline);
	p->deadline.tv_sec += t / 1000;
	p->deadline.tv_nsec += (long)(t % 1000) * 1000000;
	if (p->deadline.tv_nsec >= 1000000000) {
		p->deadline.tv_sec++;
		p->deadline.tv_nsec -= 1000000000;
	}
}

/* Open the session and learn whether UID EXPUNGE is there. */
static enum mp_err start(struct poll *p)
{
	const struct mail_imap_opts *o = p->o;
	struct common_fetch_imap_opts so = {
	    .host = o->host,
	    .addr = o->addr,
	    .port = o->port, /* 0: 993 for implicit TLS, 143 for STARTTLS */
	    .implicit_tls = o->implicit_tls,
	    .ca_file = o->ca_file,
	    .no_verify = o->tls_no_verify,
	    .user = o->user,
	    .password = o->password,
	    .connect_ms = remaining_ms(p) < 10000 ? remaining_ms(p) : 10000,
	};
	char *data = NULL;
	size_t len = 0;
	unsigned caps = 0;

	if (common_fetch_imap_new(&so, &p->s) != ERR_OK) {
		snprintf(p->out->error, sizeof p->out->error,
			 "IMAP server %s: not a valid host name or address", o->host);
		p->out->cause = ERR_INVAL;
		return ERR_INVAL;
	}
	if (cmd(p, NULL, "CAPABILITY", 0, SMALL_MAX, &data, &len) != ERR_OK)
		return ERR_NET;
	if (mail_imap_parse_caps(data, len, &caps) == ERR_OK)
		p->caps = caps;
	free(data);
	return ERR_OK;
}

enum mp_err mail_imap_poll(const struct mail_imap_opts *o, struct mail_imap_result *out)
{
	struct poll p = {.o = o, .out = out};
	const char *bad;
	enum mp_err e = ERR_NET;

	memset(out, 0, sizeof *out);
	bad = o == NULL ? "no options" : check_opts(o);
	if (bad != NULL) {
		snprintf(out->error, sizeof out->error, "%s", bad);
		out->cause = ERR_INVAL;
		return ERR_INVAL;
	}
	p.max_message = o->max_message ? o->max_message : DEFAULT_MAX_MESSAGE;
	if (p.max_message > MAX_MAX_MESSAGE)
		p.max_message = MAX_MAX_MESSAGE;
	set_deadline(&p);
	e = start(&p);
	if (e == ERR_INVAL)
		goto out;
	for (size_t i = 0; e == ERR_OK && i < o->n_folders && !p.fatal; i++)
		poll_folder(&p, &o->folders[i]);
	e = out->cause == ERR_OK ? ERR_OK : ERR_NET;
out:
	common_fetch_imap_free(p.s);
	return e;
}

/* What is wrong with a delete request, or NULL. */
static const char *check_delete(const struct mail_imap_opts *o, const char *folder,
				const unsigned long *uids, size_t n)
{
	const char *bad = o == NULL ? "no options" : check_session(o);

	if (bad != NULL)
		return bad;
	if (bad_folder(folder))
		return "the IMAP folder name is empty, too long or holds a line break";
	if (uids == NULL || n == 0 || n > MAIL_IMAP_MAX_MESSAGES)
		return "between 1 and 200 UIDs are needed";
	for (size_t i = 0; i < n; i++)
		if (uids[i] == 0 || uids[i] > UID_MAX)
			return "a UID is outside 1..4294967295";
	return NULL;
}

enum mp_err mail_imap_delete(const struct mail_imap_opts *o, const char *folder,
			     const unsigned long *uids, size_t n, size_t *n_deleted, char *err,
			     size_t errsz)
{
	struct mail_imap_result r = {0};
	struct poll p = {.o = o, .out = &r};
	const char *bad = check_delete(o, folder, uids, n);
	enum mp_err e;

	if (errsz > 0)
		err[0] = '\0';
	if (bad != NULL) {
		snprintf(err, errsz, "%s", bad);
		return ERR_INVAL;
	}
	set_deadline(&p);
	e = start(&p);
	if (e == ERR_OK && !p.fatal)
		e = delete_uids(&p, folder, uids, n);
	if (e == ERR_OK && r.cause != ERR_OK)
		e = r.cause; /* the CAPABILITY step failed but the session went on */
	if (e == ERR_OK)
		*n_deleted = r.n_deleted;
	else
		snprintf(err, errsz, "%s", r.error[0] ? r.error : "the IMAP delete failed");
	common_fetch_imap_free(p.s);
	mail_imap_result_free(&r);
	return e == ERR_OK ? ERR_OK : (e == ERR_INVAL ? ERR_INVAL : ERR_NET);
}

void mail_imap_result_free(struct mail_imap_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_msgs; i++) {
		free(r->msgs[i].folder);
		free(r->msgs[i].data);
	}
	for (size_t i = 0; i < r->n_skipped; i++)
		free(r->skipped[i].folder);
	free(r->msgs);
	free(r->skipped);
	memset(r, 0, sizeof *r);
}
