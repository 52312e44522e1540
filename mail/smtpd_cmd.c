/*
 * mail/smtpd_cmd: SMTP server command-line parser (see smtpd_cmd.h).
 *
 * RFC 5321 4.1.1 (commands), 4.1.2 (Path, Mailbox, Domain, address-literal),
 * 4.1.3 (address literals), 4.5.3.1 (size limits); RFC 1870 (SIZE), RFC 6152
 * (BODY=8BITMIME), RFC 6531 (SMTPUTF8, UTF-8 in atoms and domains).
 *
 * Everything is read through one bounded cursor; the output is copied into a
 * fixed array in struct mail_smtpd_cmd, so there is no allocation at all.
 */
#include <arpa/inet.h>
#include <string.h>
#include "common/cursor.h"
#include "common/str.h"
#include "mail/smtpd_cmd.h"

/* Parse state: the line, what we are building, and the first complaint. */
struct pctx {
	struct cursor c;
	struct mail_smtpd_cmd *cmd;
	struct mail_smtpd_cmd_reject *rej;
	const char *addr_status; /* "5.1.7" (sender) or "5.1.3" (recipient) */
};

static enum mp_err reject(struct mail_smtpd_cmd_reject *rej, unsigned code, const char *enh,
			  const char *text)
{
	rej->code = code;
	rej->enhanced = enh;
	rej->text = text;
	return ERR_PARSE;
}

static enum mp_err bad_addr(struct pctx *p, const char *text)
{
	return reject(p->rej, 501, p->addr_status, text);
}

static bool is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/* RFC 5322 3.2.3 atext, as RFC 5321 4.1.2 uses it. */
static bool is_atext(int ch)
{
	return is_alpha(ch) || is_digit(ch) ||
	       (ch > 0 && ch < 128 && strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* Append n bytes to the output argument; the caller has checked the room. */
static void put(struct pctx *p, const unsigned char *s, size_t n)
{
	memcpy(p->cmd->arg + p->cmd->arg_len, s, n);
	p->cmd->arg_len += n;
	p->cmd->arg[p->cmd->arg_len] = '\0';
}

/* Consume one well-formed UTF-8 sequence (RFC 6531 UTF8-non-ascii); 0 if none. */
static size_t take_utf8(struct pctx *p)
{
	size_t left = common_cursor_left(&p->c);
	size_t n;

	if (left == 0 || common_cursor_peek(&p->c) < 0x80)
		return 0;
	n = common_str_utf8_seq(common_cursor_ptr(&p->c), left);
	if (n > 0) {
		(void)common_cursor_take(&p->c, n);
		p->cmd->path_utf8 = true;
	}
	return n;
}

/* RFC 5321 4.1.2 Local-part = Dot-string / Quoted-string; copied as given. */
static enum mp_err local_part(struct pctx *p)
{
	const unsigned char *start = common_cursor_ptr(&p->c);
	size_t n;

	if (common_cursor_accept(&p->c, '"')) {
		for (;;) {
			int ch = common_cursor_peek(&p->c);

			if (ch == '"')
				break;
			if (ch == '\\') {
				(void)common_cursor_get(&p->c);
				ch = common_cursor_get(&p->c);
				if (ch < 32 || ch > 126) /* quoted-pairSMTP: %d92 %d32-126 */
					return bad_addr(p, "Bad quoted pair in address");
			} else if (ch >= 32 && ch <= 126) { /* qtextSMTP */
				(void)common_cursor_get(&p->c);
			} else if (take_utf8(p) == 0) {
				return bad_addr(p, "Bad character in quoted local part");
			}
		}
		(void)common_cursor_get(&p->c);
	} else {
		bool need_atom = true;

		for (;;) {
			int ch = common_cursor_peek(&p->c);

			if (is_atext(ch) || (ch >= 0x80 && take_utf8(p) > 0)) {
				if (ch < 0x80)
					(void)common_cursor_get(&p->c);
				need_atom = false;
			} else if (ch == '.' && !need_atom) {
				(void)common_cursor_get(&p->c);
				need_atom = true;
			} else {
				break;
			}
		}
		if (need_atom)
			return bad_addr(p, "Bad local part in address");
	}
	n = (size_t)(common_cursor_ptr(&p->c) - start);
	/* RFC 5321 4.5.3.1.1 */
	if (n > MAIL_SMTPD_CMD_MAX_LOCAL)
		return bad_addr(p, "Local part too long (RFC 5321 4.5.3.1.1: 64 octets)");
	put(p, start, n);
	return ERR_OK;
}

/*
 * RFC 5321 4.1.2 Domain = sub-domain *("." sub-domain), sub-domain = Let-dig
 * [Ldh-str] (or a U-label under RFC 6531); allow_us also accepts '_' (EHLO).
 * Sets *n to the length consumed.
 */
static bool domain_name(struct pctx *p, bool allow_us, size_t *n)
{
	const unsigned char *start = common_cursor_ptr(&p->c);
	size_t label = 0;
	int last = -1;

	for (;;) {
		int ch = common_cursor_peek(&p->c);

		if (is_alpha(ch) || is_digit(ch) || (ch == '_' && allow_us)) {
			(void)common_cursor_get(&p->c);
			label++;
		} else if (ch == '-' && label > 0) {
			(void)common_cursor_get(&p->c);
			label++;
		} else if (ch >= 0x80 && take_utf8(p) > 0) {
			label++;
			ch = 'a';
		} else if (ch == '.' && label > 0 && last != '-') {
			(void)common_cursor_get(&p->c);
			label = 0;
		} else {
			break;
		}
		if (label > 63) /* RFC 1035 2.3.4 */
			return false;
		last = ch;
	}
	*n = (size_t)(common_cursor_ptr(&p->c) - start);
	return label > 0 && last != '-' && *n <= MAIL_SMTPD_CMD_MAX_DOMAIN;
}

/* RFC 5321 4.1.3 address-literal: [IPv4] or [IPv6:...]; general literals refused. */
static bool address_literal(struct pctx *p, size_t *n)
{
	const unsigned char *start = common_cursor_ptr(&p->c);
	char lit[64];
	size_t k = 0;
	unsigned char bin[16];
	int af = AF_INET;
	const char *s = lit;

	if (!common_cursor_accept(&p->c, '['))
		return false;
	for (;;) {
		int ch = common_cursor_get(&p->c);

		if (ch == ']')
			break;
		if (ch < 33 || ch > 126 || ch == '[' || ch == '\\' || k + 1 >= sizeof lit)
			return false;
		lit[k++] = (char)ch;
	}
	lit[k] = '\0';
	if (common_str_iprefix(lit, k, "IPv6:")) {
		af = AF_INET6;
		s = lit + 5;
	}
	if (inet_pton(af, s, bin) != 1)
		return false;
	*n = (size_t)(common_cursor_ptr(&p->c) - start);
	return true;
}

/* Domain or address literal after '@', lower-cased into the argument. */
static enum mp_err mail_domain(struct pctx *p)
{
	const unsigned char *start = common_cursor_ptr(&p->c);
	size_t n = 0, i, at = p->cmd->arg_len;
	bool ok =
	    common_cursor_peek(&p->c) == '[' ? address_literal(p, &n) : domain_name(p, false, &n);

	if (!ok)
		return bad_addr(p, "Bad domain in address");
	put(p, start, n);
	for (i = at; i < p->cmd->arg_len; i++)
		p->cmd->arg[i] = (char)common_str_lc((unsigned char)p->cmd->arg[i]);
	return ERR_OK;
}

/* RFC 5321 4.1.2 A-d-l: "@" Domain *( "," "@" Domain ) ":" -- accepted, ignored. */
static enum mp_err source_route(struct pctx *p)
{
	size_t n;

	do {
		if (!common_cursor_accept(&p->c, '@') || !domain_name(p, false, &n))
			return bad_addr(p, "Bad source route in address");
	} while (common_cursor_accept(&p->c, ','));
	if (!common_cursor_accept(&p->c, ':'))
		return bad_addr(p, "Bad source route in address");
	return ERR_OK;
}

/* Path = "<" [ A-d-l ":" ] Mailbox ">"; also "<>" (null_ok) and <Postmaster> (pm_ok). */
static enum mp_err path(struct pctx *p, bool null_ok, bool pm_ok)
{
	size_t start = p->c.pos;
	enum mp_err e;

	if (!common_cursor_accept(&p->c, '<'))
		return reject(p->rej, 501, "5.5.4", "Syntax: the address must be in <>");
	if (common_cursor_accept(&p->c, '>')) {
		if (!null_ok)
			return bad_addr(p, "The null path <> is not a recipient");
		return ERR_OK;
	}
	if (pm_ok && common_cursor_left(&p->c) >= 11 &&
	    common_str_ieq((const char *)common_cursor_ptr(&p->c), 11, "postmaster>", 11)) {
		(void)common_cursor_take(&p->c, 11);
		p->cmd->postmaster = true;
		put(p, (const unsigned char *)"postmaster", 10);
		return ERR_OK;
	}
	if (common_cursor_peek(&p->c) == '@') {
		e = source_route(p);
		if (e != ERR_OK)
			return e;
	}
	e = local_part(p);
	if (e != ERR_OK)
		return e;
	if (!common_cursor_accept(&p->c, '@'))
		return bad_addr(p, "The address needs a domain");
	put(p, (const unsigned char *)"@", 1);
	e = mail_domain(p);
	if (e != ERR_OK)
		return e;
	if (!common_cursor_accept(&p->c, '>'))
		return bad_addr(p, "Bad character in address");
	/* RFC 5321 4.5.3.1.3 */
	if (p->c.pos - start > MAIL_SMTPD_CMD_MAX_PATH)
		return bad_addr(p, "Address too long (RFC 5321 4.5.3.1.3: 256 octets)");
	return ERR_OK;
}

/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); value = 1*(%d33-60 / %d62-126). */
static bool esmtp_param(struct cursor *c, const char **kw, size_t *kwlen, const char **val,
			size_t *vlen)
{
	*kw = (const char *)common_cursor_ptr(c);
	*kwlen = 0;
	*val = NULL;
	*vlen = 0;
	while (is_alpha(common_cursor_peek(c)) || is_digit(common_cursor_peek(c)) ||
	       (*kwlen > 0 && common_cursor_peek(c) == '-')) {
		(void)common_cursor_get(c);
		(*kwlen)++;
	}
	if (*kwlen == 0)
		return false;
	if (!common_cursor_accept(c, '='))
		return true;
	*val = (const char *)common_cursor_ptr(c);
	for (;;) {
		int ch = common_cursor_peek(c);

		if (ch < 33 || ch > 126 || ch == '=')
			break;
		(void)common_cursor_get(c);
		(*vlen)++;
	}
	return *vlen > 0;
}

/* One MAIL parameter: SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531). */
static enum mp_err mail_param(struct pctx *p, const char *kw, size_t kwlen, const char *val,
			      size_t vlen)
{
	struct mail_smtpd_cmd *cmd = p->cmd;

	if (common_str_ieqz(kw, kwlen, "SIZE")) {
		if (cmd->has_size || val == NULL ||
		    common_str_to_u64(val, vlen, UINT64_MAX, &cmd->size) != ERR_OK)
			return reject(p->rej, 501, "5.5.4", "Syntax: SIZE=<decimal octets>");
		cmd->has_size = true;
	} else if (common_str_ieqz(kw, kwlen, "BODY")) {
		if (cmd->body != MAIL_SMTPD_BODY_NONE || val == NULL)
			return reject(p->rej, 501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME");
		if (common_str_ieqz(val, vlen, "7BIT"))
			cmd->body = MAIL_SMTPD_BODY_7BIT;
		else if (common_str_ieqz(val, vlen, "8BITMIME"))
			cmd->body = MAIL_SMTPD_BODY_8BITMIME;
		else
			return reject(p->rej, 555, "5.5.4", "Unsupported BODY type");
	} else if (common_str_ieqz(kw, kwlen, "SMTPUTF8")) {
		if (cmd->smtputf8 || val != NULL)
			return reject(p->rej, 501, "5.5.4", "Syntax: SMTPUTF8 takes no value");
		cmd->smtputf8 = true;
	} else {
		return reject(p->rej, 555, "5.5.4", "Unsupported parameter");
	}
	return ERR_OK;
}

/* Mail-parameters / Rcpt-parameters: SP-separated esmtp-params to the end. */
static enum mp_err params(struct pctx *p, bool is_mail)
{
	while (!common_cursor_eof(&p->c)) {
		const char *kw, *val;
		size_t kwlen, vlen;
		enum mp_err e;

		if (!common_cursor_accept(&p->c, ' ') ||
		    !esmtp_param(&p->c, &kw, &kwlen, &val, &vlen) ||
		    (!common_cursor_eof(&p->c) && common_cursor_peek(&p->c) != ' '))
			return reject(p->rej, 501, "5.5.4", "Syntax error in parameters");
		if (!is_mail)
			return reject(p->rej, 555, "5.5.4", "Unsupported parameter");
		e = mail_param(p, kw, kwlen, val, vlen);
		if (e != ERR_OK)
			return e;
	}
	return ERR_OK;
}

/* MAIL FROM:<path> [params] and RCPT TO:<path> [params], from after the verb's SP. */
static enum mp_err mail_rcpt(struct pctx *p, bool is_mail)
{
	const char *kw = is_mail ? "FROM:" : "TO:";
	size_t kwlen = is_mail ? 5 : 3;
	enum mp_err e;

	p->addr_status = is_mail ? "5.1.7" : "5.1.3";
	if (common_cursor_left(&p->c) < kwlen ||
	    !common_str_ieq((const char *)common_cursor_ptr(&p->c), kwlen, kw, kwlen))
		return reject(p->rej, 501, "5.5.4",
			      is_mail ? "Syntax: MAIL FROM:<address>"
				      : "Syntax: RCPT TO:<address>");
	(void)common_cursor_take(&p->c, kwlen);
	/* RFC 5321 4.1.1.2/3: no space on either side of the colon. */
	e = path(p, is_mail, !is_mail);
	if (e != ERR_OK)
		return e;
	return params(p, is_mail);
}

/* EHLO/HELO: Domain / address-literal (HELO: Domain, but literals are common). */
static enum mp_err hello(struct pctx *p)
{
	const unsigned char *start = common_cursor_ptr(&p->c);
	size_t n = 0;
	bool ok =
	    common_cursor_peek(&p->c) == '[' ? address_literal(p, &n) : domain_name(p, true, &n);

	if (!ok || !common_cursor_eof(&p->c) || !common_str_is_printable((const char *)start, n))
		return reject(p->rej, 501, "5.5.4", "Syntax: EHLO hostname or [address]");
	put(p, start, n);
	return ERR_OK;
}

static const struct {
	const char *name;
	enum mail_smtpd_verb verb;
} verbs[] = {
    {"EHLO", MAIL_SMTPD_EHLO},	  {"HELO", MAIL_SMTPD_HELO},	     {"MAIL", MAIL_SMTPD_MAIL},
    {"RCPT", MAIL_SMTPD_RCPT},	  {"DATA", MAIL_SMTPD_DATA},	     {"RSET", MAIL_SMTPD_RSET},
    {"NOOP", MAIL_SMTPD_NOOP},	  {"QUIT", MAIL_SMTPD_QUIT},	     {"VRFY", MAIL_SMTPD_VRFY},
    {"HELP", MAIL_SMTPD_HELP},	  {"STARTTLS", MAIL_SMTPD_STARTTLS}, {"AUTH", MAIL_SMTPD_NOTIMPL},
    {"EXPN", MAIL_SMTPD_NOTIMPL}, {"TURN", MAIL_SMTPD_NOTIMPL},	     {"ETRN", MAIL_SMTPD_NOTIMPL},
    {"ATRN", MAIL_SMTPD_NOTIMPL}, {"BDAT", MAIL_SMTPD_NOTIMPL},	     {"SEND", MAIL_SMTPD_NOTIMPL},
    {"SOML", MAIL_SMTPD_NOTIMPL}, {"SAML", MAIL_SMTPD_NOTIMPL},	     {"GET", MAIL_SMTPD_HTTP},
    {"POST", MAIL_SMTPD_HTTP},	  {"HEAD", MAIL_SMTPD_HTTP},	     {"PUT", MAIL_SMTPD_HTTP},
    {"CONNECT", MAIL_SMTPD_HTTP}, {"OPTIONS", MAIL_SMTPD_HTTP},	     {"DELETE", MAIL_SMTPD_HTTP},
};

const char *mail_smtpd_cmd_verb_name(enum mail_smtpd_verb v)
{
	size_t i;

	if (v == MAIL_SMTPD_NOTIMPL)
		return "(not implemented)";
	if (v == MAIL_SMTPD_HTTP)
		return "(HTTP)";
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

/* Everything after the verb, by verb. */
static enum mp_err argument(struct pctx *p, bool has_arg)
{
	struct mail_smtpd_cmd *cmd = p->cmd;
	const char *rest = (const char *)common_cursor_ptr(&p->c);
	size_t restlen = common_cursor_left(&p->c);

	switch (cmd->verb) {
	case MAIL_SMTPD_EHLO:
	case MAIL_SMTPD_HELO:
		if (!has_arg)
			return reject(p->rej, 501, "5.5.4", "Syntax: EHLO hostname or [address]");
		return hello(p);
	case MAIL_SMTPD_MAIL:
	case MAIL_SMTPD_RCPT:
		if (!has_arg)
			return reject(p->rej, 501, "5.5.4",
				      cmd->verb == MAIL_SMTPD_MAIL ? "Syntax: MAIL FROM:<address>"
								   : "Syntax: RCPT TO:<address>");
		return mail_rcpt(p, cmd->verb == MAIL_SMTPD_MAIL);
	case MAIL_SMTPD_DATA:
	case MAIL_SMTPD_RSET:
	case MAIL_SMTPD_QUIT:
	case MAIL_SMTPD_STARTTLS:
		if (has_arg)
			return reject(p->rej, 501, "5.5.4", "This command takes no argument");
		return ERR_OK;
	case MAIL_SMTPD_VRFY:
		if (!has_arg || restlen == 0 || !common_str_is_printable(rest, restlen))
			return reject(p->rej, 501, "5.5.4", "Syntax: VRFY address");
		put(p, (const unsigned char *)rest, restlen);
		return ERR_OK;
	default: /* NOOP and HELP: the argument is ignored; NOTIMPL/HTTP: never copied */
		return ERR_OK;
	}
}

enum mp_err mail_smtpd_cmd_parse(const char *line, size_t len, struct mail_smtpd_cmd *out,
				 struct mail_smtpd_cmd_reject *rej)
{
	struct mail_smtpd_cmd cmd;
	struct pctx p = {.cmd = &cmd, .rej = rej, .addr_status = "5.5.4"};
	size_t i, vlen = 0;
	bool found = false;
	enum mp_err e;

	memset(&cmd, 0, sizeof cmd);
	/* RFC 5321 4.5.3.1.4 */
	if (len > MAIL_SMTPD_CMD_MAX_LINE)
		return reject(rej, 500, "5.5.2", "Line too long (RFC 5321 4.5.3.1.4: 512 octets)");
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 32 && ch != '\t') || ch == 127)
			return reject(rej, 500, "5.5.2", "Control character in command");
	}
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (vlen < len && is_alpha((unsigned char)line[vlen]))
		vlen++;
	for (i = 0; i < sizeof verbs / sizeof verbs[0] && !found; i++) {
		if (common_str_ieqz(line, vlen, verbs[i].name)) {
			cmd.verb = verbs[i].verb;
			found = true;
		}
	}
	if (!found || (vlen < len && line[vlen] != ' '))
		return reject(rej, 500, "5.5.1", "Command unrecognized");
	common_cursor_init(&p.c, line + vlen, len - vlen);
	(void)common_cursor_accept(&p.c, ' ');
	e = argument(&p, vlen < len);
	if (e != ERR_OK)
		return e;
	if (p.c.err)
		return reject(rej, 501, "5.5.4", "Syntax error");
	*out = cmd;
	return ERR_OK;
}
