/*
 * tests/fuzz/fuzz_smtp_reply: mail/smtp_reply on hostile server bytes.
 * Parses reply after reply the way the client's reader does (each complete
 * reply consumed, the rest parsed again), and runs the EHLO and queue id
 * readers over every reply parsed.  Checks the parser's promises: used is
 * within the input and non-zero, the text is a NUL-free printable string of
 * text_len bytes, the code is 200..599, line counts respect the cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct mail_smtp_reply *r, size_t used, size_t left)
{
	char id[MAIL_SMTP_QUEUE_ID_MAX];
	struct mail_smtp_ehlo x;

	if (used == 0 || used > left || r->code < 200 || r->code > 599)
		abort();
	if (r->n_lines == 0 || r->n_lines > MAIL_SMTP_REPLY_MAX_LINES)
		abort();
	if (r->text == NULL || strlen(r->text) != r->text_len)
		abort();
	for (size_t i = 0; i < r->text_len; i++)
		if (r->text[i] != '\n' && r->text[i] != '\t' &&
		    ((unsigned char)r->text[i] < 0x20 || (unsigned char)r->text[i] > 0x7e))
			abort();
	if (strlen(r->esc) >= sizeof r->esc)
		abort();
	mail_smtp_reply_ehlo(r, &x);
	if (mail_smtp_reply_queue_id(r, id, sizeof id) &&
	    (id[0] == '\0' || strlen(id) >= sizeof id))
		abort();
	/* A tiny output buffer must be cut, never overrun. */
	(void)mail_smtp_reply_queue_id(r, id, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;

	while (left > 0) {
		struct mail_smtp_reply r;
		size_t used = 0;

		if (mail_smtp_reply_parse(p, left, &r, &used) != ERR_OK)
			break;
		check(&r, used, left);
		mail_smtp_reply_free(&r);
		p += used;
		left -= used;
	}
	return 0;
}
