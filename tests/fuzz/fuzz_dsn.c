/*
 * tests/fuzz/fuzz_dsn: mail/dsn (and through it mail/mime, mail/dsn_vendor,
 * mail/dsn_reason) on hostile messages.  Checks the promises of the result:
 * the kind is one of four, is_bounce matches it, at most MAIL_DSN_MAX_RCPTS
 * recipients, every string present, one line (no control bytes), valid
 * status shape, and the token NUL-terminated within its array.
 * Seeds: tests/fixtures/bounces plus a few real bounces from Sisimai's
 * set-of-emails (BSD 2-clause, (C) azumakuniyuki; lhost-*, rfc3464-*, rfc3834-*).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *s)
{
	if (!s)
		abort();
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_dsn d;

	if (size > 256 * 1024)
		return 0;
	memset(&d, 0, sizeof(d));
	if (mail_dsn_parse((const char *)data, size, NULL, &d) != ERR_OK)
		return 0;
	if (d.kind > MAIL_DSN_FEEDBACK || d.is_bounce != (d.kind == MAIL_DSN_BOUNCE))
		abort();
	if (d.n_rcpts > MAIL_DSN_MAX_RCPTS || memchr(d.token, 0, sizeof(d.token)) == NULL)
		abort();
	for (size_t i = 0; i < d.n_rcpts; i++) {
		const struct mail_dsn_rcpt *r = &d.rcpts[i];
		one_line(r->address);
		one_line(r->action);
		one_line(r->reason);
		one_line(r->diagnostic);
		one_line(r->remote_host);
		if (!*r->address || !*r->reason || memchr(r->status, 0, sizeof(r->status)) == NULL)
			abort();
		if (r->status[0] && (r->status[1] != '.' || strchr("245", r->status[0]) == NULL))
			abort();
		if (r->reply_code != 0 && (r->reply_code < 200 || r->reply_code > 599))
			abort();
	}
	mail_dsn_free(&d);
	return 0;
}
