/*
 * tests/fuzz/fuzz_smtpd_cmd: mail/smtpd_cmd on hostile client bytes.  The
 * input is split at LF the way the session splits lines (a CR before the
 * LF dropped), and every line is parsed.  Checks the parser's promises: on
 * success arg is NUL-terminated with arg_len bytes and no NUL inside, a
 * path fits the RFC 5321 4.5.3.1.3 limit and is printable ASCII unless
 * flagged UTF-8, EHLO arguments are printable ASCII; on failure the reply is a 5xx with an enhanced
 * code and text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/smtpd_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ok(const struct mail_smtpd_cmd *c)
{
	size_t i;

	if (c->arg_len > MAIL_SMTPD_CMD_MAX_LINE || c->arg[c->arg_len] != '\0' ||
	    strlen(c->arg) != c->arg_len)
		abort();
	if ((c->verb == MAIL_SMTPD_MAIL || c->verb == MAIL_SMTPD_RCPT) &&
	    c->arg_len > MAIL_SMTPD_CMD_MAX_PATH - 2)
		abort();
	if (c->verb == MAIL_SMTPD_EHLO || c->verb == MAIL_SMTPD_HELO) {
		if (c->arg_len == 0 || c->arg_len > MAIL_SMTPD_CMD_MAX_DOMAIN + 2)
			abort();
		for (i = 0; i < c->arg_len; i++)
			if ((unsigned char)c->arg[i] < 33 || (unsigned char)c->arg[i] > 126)
				abort();
	}
	if (c->verb == MAIL_SMTPD_RCPT && c->arg_len == 0)
		abort();
	/* A path is printable ASCII (SP only inside a quoted local part) unless flagged UTF-8. */
	if (!c->path_utf8 && (c->verb == MAIL_SMTPD_MAIL || c->verb == MAIL_SMTPD_RCPT))
		for (i = 0; i < c->arg_len; i++)
			if ((unsigned char)c->arg[i] < 32 || (unsigned char)c->arg[i] > 126 ||
			    (c->arg[i] == ' ' && c->arg[0] != '"'))
				abort();
	if (mail_smtpd_cmd_verb_name(c->verb) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;

	while (left > 0) {
		const char *nl = memchr(p, '\n', left);
		size_t len = nl ? (size_t)(nl - p) : left;
		size_t used = nl ? len + 1 : len;
		struct mail_smtpd_cmd c;
		struct mail_smtpd_cmd_reject r = {0, NULL, NULL};

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (mail_smtpd_cmd_parse(p, len, &c, &r) == ERR_OK)
			check_ok(&c);
		else if (r.code < 500 || r.code > 559 || r.enhanced == NULL ||
			 r.enhanced[0] != '5' || r.text == NULL || r.text[0] == '\0')
			abort();
		p += used;
		left -= used;
	}
	return 0;
}
