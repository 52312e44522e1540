/*
 * mail/dsn_reason: bounce reasons in Sisimai's vocabulary from RFC 3463
 * status codes, RFC 5321 reply codes, the failed SMTP command and the
 * diagnostic text.
 *
 * The decision follows the order Sisimai uses (its Reason.pm): a reason the
 * bounce's shape already fixed wins unless it is a vague one; 2.x.x is
 * "delivered"; then a first pass over the reasons whose status code or text
 * are specific (mailbox full, message too big, user unknown, filtered,
 * rejected, host unknown, spam, blocked ...); then, when the status code says
 * nothing precise, a second pass over the text for policy, security, system
 * and network trouble; then class fallbacks (X.6.X content, X.7.X security,
 * 50X syntax) and finally expired / onhold / undefined.
 *
 * The phrase tables are ours, written from the messages MTAs really send (as
 * collected in Sisimai's rules); phrases use '*' for one non-space word and
 * '#' for a number (mail_dsn_reason_match), no regex engine.
 *
 * What it does not: parse messages, or know vendor-specific reply tables by
 * remote host beyond the phrases below.
 */
#include "config.h"

#include "mail/dsn_reason.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"
#include "mail/dsn_reason_tab.h"

/* Diagnostics longer than this are classified on their first bytes only. */
#define REASON_DIAG_MAX 4096

/* ---- phrase matcher ------------------------------------------------------ */

static bool is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Match pattern p at exactly text t (bounded by e); backtracks over the
   wildcards, which patterns use sparingly. */
static bool match_here(const char *t, const char *e, const char *p)
{
	while (*p) {
		if (*p == '*' || *p == '#') {
			bool digits = *p == '#';
			const char *q = t;
			while (q < e && (digits ? is_digit((unsigned char)*q) : !is_space(*q)))
				q++;
			/* one or more: try the longest first, back down to one */
			for (const char *r = q; r > t; r--)
				if (match_here(r, e, p + 1))
					return true;
			return false;
		}
		if (*p == ' ') {
			/* one space in a phrase matches any run of white space:
			   texts are folded at arbitrary places */
			if (t >= e || !is_space(*t))
				return false;
			while (t < e && is_space(*t))
				t++;
			p++;
			continue;
		}
		if (t >= e || common_str_lc((unsigned char)*t) != (unsigned char)*p)
			return false;
		t++;
		p++;
	}
	return true;
}

/* The next byte equal to lo or up at or after t, using the cached hits. */
static const char *next_hit(const char *t, const char *e, int lo, int up, const char **a,
			    const char **b)
{
	if (*a && *a < t)
		*a = memchr(t, lo, (size_t)(e - t));
	if (up != lo && *b && *b < t)
		*b = memchr(t, up, (size_t)(e - t));
	const char *x = *a, *y = up != lo ? *b : NULL;
	if (!x)
		return y;
	if (!y)
		return x;
	return x < y ? x : y;
}

bool mail_dsn_reason_match(const char *text, size_t len, const char *pattern)
{
	if (!text || !pattern || !*pattern)
		return false;
	const char *e = text + len;
	int first = (unsigned char)pattern[0];
	if (first == '*' || first == '#' || first == ' ') {
		for (const char *t = text; t < e; t++)
			if (match_here(t, e, pattern))
				return true;
		return false;
	}
	/* memchr finds candidate starts fast; phrases are lower case */
	int up = (first >= 'a' && first <= 'z') ? first - 32 : first;
	const char *a = memchr(text, first, len);
	const char *b = up != first ? memchr(text, up, len) : NULL;
	for (const char *t = text; t < e;) {
		const char *c = next_hit(t, e, first, up, &a, &b);
		if (!c)
			return false;
		if (match_here(c, e, pattern))
			return true;
		t = c + 1;
	}
	return false;
}

/* ---- reason tables ------------------------------------------------------- */

/*
 * A position index of a text by its first two bytes: every phrase is then
 * tried only where its first two bytes occur, so checking hundreds of
 * phrases costs one pass over the text plus a few probes each, instead of
 * one scan per phrase.  Bytes are folded to lower case and white space to
 * ' ' (a phrase's space matches any run of it).
 */
#define IDX_BUCKETS 1024u

struct text_index {
	const char *t;
	size_t len;
	uint32_t start[IDX_BUCKETS + 1]; /* bucket b holds pos[start[b] .. start[b+1]) */
	uint32_t *pos;
	uint32_t small[512]; /* pos for short texts, no allocation */
};

/* fold() as a table: A-Z to a-z, white space to ' ', the rest as is. */
#define F4(c) F1(c), F1(c + 1), F1(c + 2), F1(c + 3)
#define F16(c) F4(c), F4(c + 4), F4(c + 8), F4(c + 12)
#define F64(c) F16(c), F16(c + 16), F16(c + 32), F16(c + 48)
#define F1(c)                                                                                      \
	(unsigned char)(((c) == '\t' || (c) == '\n' || (c) == '\r') ? ' '                          \
			: ((c) >= 'A' && (c) <= 'Z')		    ? (c) + 32                     \
								    : (c))
static const unsigned char fold_tab[256] = {F64(0), F64(64), F64(128), F64(192)};
#undef F1
#undef F4
#undef F16
#undef F64

static unsigned char fold(unsigned char c)
{
	return fold_tab[c];
}

static unsigned bucket(unsigned char a, unsigned char b)
{
	return ((unsigned)a * 31u + b) & (IDX_BUCKETS - 1);
}

static void index_build(struct text_index *x, const char *t, size_t len)
{
	if (len > UINT32_MAX - 1)
		len = UINT32_MAX - 1;
	x->t = t;
	x->len = len;
	x->pos = len <= sizeof(x->small) / sizeof(x->small[0])
		     ? x->small
		     : xreallocarray(NULL, len, sizeof(uint32_t));
	memset(x->start, 0, sizeof(x->start));
	for (size_t i = 0; i + 1 < len; i++)
		x->start[bucket(fold((unsigned char)t[i]), fold((unsigned char)t[i + 1])) + 1]++;
	for (size_t b = 0; b < IDX_BUCKETS; b++)
		x->start[b + 1] += x->start[b];
	/* fill by a moving cursor per bucket: start[b] advances, then is restored */
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned h = bucket(fold((unsigned char)t[i]), fold((unsigned char)t[i + 1]));
		x->pos[x->start[h]++] = (uint32_t)i;
	}
	for (size_t b = IDX_BUCKETS; b > 0; b--)
		x->start[b] = x->start[b - 1];
	x->start[0] = 0;
}

static void index_free(struct text_index *x)
{
	if (x->pos != x->small)
		free(x->pos);
	x->pos = NULL;
}

/* mail_dsn_reason_match(x->t, x->len, p), through the index. */
static bool index_match(const struct text_index *x, const char *p)
{
	unsigned char a = (unsigned char)p[0], b = a ? (unsigned char)p[1] : 0;
	if (!a || !b || a == '*' || a == '#' || b == '*' || b == '#')
		return mail_dsn_reason_match(x->t, x->len, p);
	const char *e = x->t + x->len;
	unsigned h = bucket(a, b);
	for (uint32_t k = x->start[h]; k < x->start[h + 1]; k++) {
		const char *at = x->t + x->pos[k];
		if (fold((unsigned char)at[0]) == a && fold((unsigned char)at[1]) == b &&
		    match_here(at, e, p))
			return true;
	}
	return false;
}

static bool match_any(const struct text_index *x, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (index_match(x, list[i]))
			return true;
	return false;
}

/* Index of reason in the phrase tables, or -1. */
static int phrases_at(const char *reason)
{
	for (size_t i = 0; mail_dsn_reason_tab_phrases[i].reason; i++)
		if (strcmp(mail_dsn_reason_tab_phrases[i].reason, reason) == 0)
			return (int)i;
	return -1;
}

static bool text_says(const char *reason, const struct text_index *x)
{
	int at = phrases_at(reason);
	if (at < 0)
		return false;
	if (strcmp(reason, "rejected") == 0 && match_any(x, mail_dsn_reason_tab_rejected_not))
		return false;
	return match_any(x, mail_dsn_reason_tab_phrases[at].phrases);
}

const char *mail_dsn_reason_of_status(const char *status)
{
	if (!status || !*status)
		return NULL;
	for (size_t i = 0; mail_dsn_reason_tab_status[i].code; i++)
		if (strcmp(mail_dsn_reason_tab_status[i].code, status) == 0)
			return mail_dsn_reason_tab_status[i].reason;
	return NULL;
}

/* ---- the decision -------------------------------------------------------- */

struct reason_ctx {
	struct text_index idx; /* of the lower-cased diagnostic */
	signed char memo[32];  /* per phrase table: -1 not yet, 0 no, 1 yes */
	const struct mail_dsn_reason_in *in;
	const char *code_r; /* reason of the status code, "" when none */
	const char *cmd;
	const char *d; /* lower-cased diagnostic */
	size_t dl;
	char low[REASON_DIAG_MAX + 64];
};

static bool says(const struct reason_ctx *c, const char *reason)
{
	struct reason_ctx *m = (struct reason_ctx *)c; /* the memo only */
	int at = phrases_at(reason);
	if (at < 0 || at >= (int)sizeof(m->memo))
		return text_says(reason, &c->idx);
	if (m->memo[at] < 0)
		m->memo[at] = text_says(reason, &c->idx) ? 1 : 0;
	return m->memo[at] == 1;
}

static bool is_(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool cmd_early(const char *cmd)
{
	return is_(cmd, "CONN") || is_(cmd, "EHLO") || is_(cmd, "HELO") || is_(cmd, "MAIL") ||
	       is_(cmd, "RCPT");
}

/* "user unknown" by code, unless the text points at another reason. */
static bool true_userunknown(const struct reason_ctx *c)
{
	static const char *const others[] = {"norelaying", "blocked",  "mailboxfull",
					     "hasmoved",   "rejected", "notaccept"};
	if (is_(c->code_r, "suspend"))
		return false;
	if (is_(c->code_r, "userunknown")) {
		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
			if (says(c, others[i]))
				return false;
		return true;
	}
	return is_(c->cmd, "RCPT") && says(c, "userunknown");
}

static bool true_filtered(const struct reason_ctx *c)
{
	if (is_(c->code_r, "suspend"))
		return false;
	if (is_(c->code_r, "filtered"))
		return says(c, "userunknown") || says(c, "filtered");
	if (cmd_early(c->cmd))
		return false;
	return says(c, "filtered") || says(c, "userunknown");
}

static bool true_rejected(const struct reason_ctx *c)
{
	const char *r = *c->code_r ? c->code_r : "undefined";
	if (is_(r, "rejected"))
		return true;
	if (is_(c->cmd, "MAIL"))
		return says(c, "rejected");
	if (is_(c->cmd, "DATA"))
		return !is_(r, "userunknown") && says(c, "rejected");
	if (is_(r, "onhold") || is_(r, "undefined") || is_(r, "securityerror") ||
	    is_(r, "systemerror"))
		return says(c, "rejected");
	return false;
}

/* Whether the bounce's shape already said r (Sisimai's true() methods all
   start with "the parser set this reason"). */
static bool preset_is(const struct reason_ctx *c, const char *r)
{
	return c->in->preset && strcmp(c->in->preset, r) == 0;
}

/* First pass: reasons with a specific code or a specific text, each tried
   in Sisimai's order; a reason the shape preset wins at its own place. */
static const char *first_pass(const struct reason_ctx *c)
{
	bool st = c->in->status && *c->in->status;
	bool big = is_(c->code_r, "exceedlimit") || is_(c->in->status, "5.2.3");
#define PRESET_OR(r, cond)                                                                         \
	do {                                                                                       \
		if (preset_is(c, r) || (cond))                                                     \
			return r;                                                                  \
	} while (0)
	PRESET_OR("mailboxfull", st && (is_(c->code_r, "mailboxfull") || says(c, "mailboxfull")));
	PRESET_OR("mesgtoobig", is_(c->code_r, "mesgtoobig") || (!big && says(c, "mesgtoobig")));
	PRESET_OR("exceedlimit", says(c, "exceedlimit") || (st && is_(c->code_r, "exceedlimit")));
	PRESET_OR("suspend", says(c, "suspend"));
	PRESET_OR("hasmoved", says(c, "hasmoved"));
	PRESET_OR("norelaying", says(c, "norelaying"));
	PRESET_OR("userunknown", true_userunknown(c));
	PRESET_OR("filtered", true_filtered(c));
	PRESET_OR("rejected", true_rejected(c));
	PRESET_OR("hostunknown", is_(c->code_r, "hostunknown") ? !says(c, "networkerror")
							       : says(c, "hostunknown"));
	PRESET_OR("spamdetected", st && (is_(c->code_r, "spamdetected") ||
					 (!cmd_early(c->cmd) && says(c, "spamdetected"))));
	PRESET_OR("toomanyconn", is_(c->code_r, "toomanyconn") || says(c, "toomanyconn"));
	PRESET_OR("blocked", is_(c->code_r, "blocked") || says(c, "blocked"));
#undef PRESET_OR
	return NULL;
}

/* Second pass, only when the code is vague: the text decides. */
static const char *second_pass(const struct reason_ctx *c)
{
	static const char *const order[] = {
	    "mailboxfull",   "spamdetected", "policyviolation", "virusdetected", "norelaying",
	    "securityerror", "systemerror",  "networkerror",	"suspend",	 "expired",
	    "contenterror",  "systemfull",   "notaccept",	"mailererror"};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (says(c, order[i]))
			return order[i];
	const char *s = c->in->status ? c->in->status : "";
	if ((s[0] == '4' || s[0] == '5') && s[1] == '.' && s[2] == '6')
		return "contenterror";
	if ((s[0] == '4' || s[0] == '5') && s[1] == '.' && s[2] == '7')
		return "securityerror";
	int rc = c->in->reply_code;
	if ((rc >= 500 && rc <= 507) || (rc >= 400 && rc <= 407))
		return "syntaxerror";
	return NULL;
}

/* Sisimai retries these: a vague verdict the text may still sharpen. */
static bool vague(const char *r)
{
	return !r || !*r || is_(r, "undefined") || is_(r, "onhold") || is_(r, "systemerror") ||
	       is_(r, "securityerror") || is_(r, "networkerror") || is_(r, "hostunknown") ||
	       is_(r, "userunknown");
}

/*
 * Postfix ends a diagnostic with "(in reply to RCPT TO command)", and the
 * phrase tables rely on it; when the command came from elsewhere (the
 * report's text, another line), write it the same way so that every MTA's
 * text reads alike.  low has room for 63 more bytes; the new length.
 */
static size_t with_command(char *low, size_t dl, const char *cmd)
{
	const char *t = is_(cmd, "RCPT")   ? " (in reply to rcpt to command)"
			: is_(cmd, "MAIL") ? " (in reply to mail from command)"
			: is_(cmd, "DATA") ? " (in reply to end of data command)"
					   : NULL;
	if (!t || strstr(low, "in reply to "))
		return dl;
	size_t tl = strlen(t);
	memcpy(low + dl, t, tl + 1);
	return dl + tl;
}

/* The decision once the context is ready (Sisimai's Reason->get order). */
static const char *decide(struct reason_ctx *c)
{
	const struct mail_dsn_reason_in *in = c->in;
	const char *r = first_pass(c);
	if (r)
		return r;
	if (in->preset && *in->preset && !is_(in->preset, "undefined"))
		return in->preset;
	r = c->code_r;
	if (!*r || vague(r) || is_(r, "expired")) {
		const char *t = second_pass(c);
		if (t)
			return t;
		if (!*r && is_(in->action, "delayed"))
			return "expired";
		if (!*r && (is_(c->cmd, "EHLO") || is_(c->cmd, "HELO")))
			return "blocked";
	}
	if (*r)
		return r;
	if (is_(in->action, "delayed"))
		return "expired";
	if (says(c, "vacation"))
		return "vacation";
	return c->dl ? "onhold" : "undefined";
}

const char *mail_dsn_reason_classify(const struct mail_dsn_reason_in *in)
{
	if (in->preset && *in->preset && !vague(in->preset))
		return in->preset;
	const char *s = in->status ? in->status : "";
	if (s[0] == '2' && s[1] == '.')
		return "delivered";
	struct reason_ctx *c = xmalloc(sizeof(*c));
	const char *diag = in->diag ? in->diag : "";
	size_t dl = strlen(diag);
	if (dl > REASON_DIAG_MAX)
		dl = REASON_DIAG_MAX;
	for (size_t i = 0; i < dl; i++)
		c->low[i] = (char)common_str_lc((unsigned char)diag[i]);
	c->low[dl] = '\0';
	dl = with_command(c->low, dl, in->command);
	const char *cr = mail_dsn_reason_of_status(s);
	c->in = in;
	c->code_r = cr ? cr : "";
	c->d = c->low;
	c->dl = dl;
	c->cmd = in->command ? in->command : "";
	memset(c->memo, -1, sizeof(c->memo));
	index_build(&c->idx, c->low, dl);
	const char *r = decide(c);
	index_free(&c->idx);
	free(c);
	return r;
}

bool mail_dsn_reason_hard(const char *reason, const char *status, int reply_code)
{
	if (!reason)
		return false;
	bool temp = (status && status[0] == '4') || (reply_code >= 400 && reply_code < 500);
	if (is_(reason, "notaccept"))
		return !temp;
	return is_(reason, "userunknown") || is_(reason, "hostunknown") || is_(reason, "hasmoved");
}

/* ---- code extraction ----------------------------------------------------- */

/* Digits at t (at most max), count returned; 0 when none. */
static size_t digits_at(const char *t, const char *e, size_t max)
{
	size_t n = 0;
	while (t + n < e && n <= max && is_digit((unsigned char)t[n]))
		n++;
	return n > max ? 0 : n;
}

/* An enhanced code at t that is a word of its own, not part of an IPv4
   address or a version number; its length or 0. */
static size_t status_at(const char *text, const char *t, const char *e)
{
	if (!(*t == '2' || *t == '4' || *t == '5'))
		return 0;
	if (t > text && (is_digit((unsigned char)t[-1]) || t[-1] == '.'))
		return 0;
	if (t + 1 >= e || t[1] != '.')
		return 0;
	size_t a = digits_at(t + 2, e, 3);
	if (!a || t + 2 + a >= e || t[2 + a] != '.')
		return 0;
	size_t b = digits_at(t + 3 + a, e, 3);
	if (!b)
		return 0;
	size_t n = 3 + a + b;
	if (t + n < e && (t[n] == '.' && t + n + 1 < e && is_digit((unsigned char)t[n + 1])))
		return 0; /* four dotted numbers: an address */
	if (t + n < e && (is_digit((unsigned char)t[n]) ||
			  ((unsigned char)t[n] >= 'a' && (unsigned char)t[n] <= 'z')))
		return 0;
	return n;
}

bool mail_dsn_reason_find_status(const char *text, size_t len, char out[16])
{
	if (!text)
		return false;
	const char *e = text + len;
	for (const char *t = text; t < e; t++) {
		size_t n = status_at(text, t, e);
		if (n && n < 16) {
			memcpy(out, t, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

int mail_dsn_reason_find_reply(const char *text, size_t len)
{
	if (!text)
		return 0;
	const char *e = text + len;
	for (const char *t = text; t + 3 <= e; t++) {
		if (!(*t == '2' || *t == '4' || *t == '5'))
			continue;
		if (t > text && !(is_space(t[-1]) || t[-1] == ';' || t[-1] == ':' || t[-1] == '<' ||
				  t[-1] == '(' || t[-1] == '"' || t[-1] == '=' || t[-1] == '\''))
			continue;
		if (!is_digit((unsigned char)t[1]) || !is_digit((unsigned char)t[2]))
			continue;
		if (t[1] > '5')
			continue;
		if (t + 3 < e &&
		    !(is_space(t[3]) || t[3] == '-' || t[3] == '.' || t[3] == ')' || t[3] == ','))
			continue;
		if (t + 3 < e && t[3] == '.' && t + 4 < e && is_digit((unsigned char)t[4]))
			continue;
		return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
	}
	return 0;
}

const char *mail_dsn_reason_command(const char *text, size_t len)
{
	static const struct {
		const char *pat, *cmd;
	} cmds[] = {
	    {"in reply to rcpt to", "RCPT"},
	    {"after rcpt to", "RCPT"},
	    {">>> rcpt to", "RCPT"},
	    {"in reply to mail from", "MAIL"},
	    {"after mail from", "MAIL"},
	    {">>> mail from", "MAIL"},
	    {"in reply to end of data", "DATA"},
	    {"after end of data", "DATA"},
	    {"in reply to data", "DATA"},
	    {"after data", "DATA"},
	    {">>> data", "DATA"},
	    {"after pipelined data", "DATA"},
	    {"in reply to ehlo", "EHLO"},
	    {"after ehlo", "EHLO"},
	    {"in reply to helo", "HELO"},
	    {"after helo", "HELO"},
	    {"after initial connection", "CONN"},
	    {"[rcpt_to]", "RCPT"},
	    {"rcpt to response", "RCPT"},
	    {"for rcpt to", "RCPT"},
	    {"[mail_from]", "MAIL"},
	    {"[data]", "DATA"},
	    {"rcpt to:", "RCPT"},
	    {"mail from:", "MAIL"},
	    /* qmail-remote's words */
	    {"but sender was rejected", "MAIL"},
	    {"does not like recipient", "RCPT"},
	    {"but greeting failed", "CONN"},
	    {"but my name was rejected", "EHLO"},
	    {"failed on data command", "DATA"},
	    {"failed after i sent the message", "DATA"},
	    /* Office 365 quotes the remote's RCPT answer this way */
	    {"unknown recipient or mailbox unavailable ->", "RCPT"},
	    /* Postfix: the greeting or HELO was refused */
	    {"refused to talk to me", "HELO"},
	};
	enum { NCMD = sizeof(cmds) / sizeof(cmds[0]) };
	if (!text || !len)
		return "";
	/* One pass: a position is tried only when its two folded bytes start
	   some phrase (second[a] holds a bit per possible second byte); the
	   phrase listed first wins, as if each were searched in turn. */
	uint64_t second[256] = {0};
	for (size_t k = 0; k < NCMD; k++) {
		unsigned char a = (unsigned char)cmds[k].pat[0];
		second[a] |= 1ull << ((unsigned char)cmds[k].pat[1] & 63u);
	}
	size_t best = NCMD;
	const char *e = text + len;
	for (size_t i = 0; i + 1 < len && best > 0; i++) {
		unsigned char a = fold((unsigned char)text[i]);
		if (!second[a])
			continue;
		unsigned char b = fold((unsigned char)text[i + 1]);
		if (!((second[a] >> (b & 63u)) & 1u))
			continue;
		for (size_t k = 0; k < best; k++)
			if ((unsigned char)cmds[k].pat[0] == a &&
			    (unsigned char)cmds[k].pat[1] == b &&
			    match_here(text + i, e, cmds[k].pat))
				best = k;
	}
	return best < NCMD ? cmds[best].cmd : "";
}
