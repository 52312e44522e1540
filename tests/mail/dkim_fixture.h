/*
 * tests/mail/dkim_fixture: shared by the DKIM tests (test_dkim,
 * test_dkim_fast): the test message, the fixture keys of
 * tests/fixtures/keys/ as PEM text and as the DKIM record publishing their
 * public half, signing a message with one of them, and the LeakSanitizer
 * suppression for libopendkim's ed25519 leak (linking this file in brings it).
 *
 * What it does not: publish records (tests use tests/lib/fakezone) or verify.
 */
#ifndef MAILPULSE_TESTS_DKIM_FIXTURE_H
#define MAILPULSE_TESTS_DKIM_FIXTURE_H

#include <stddef.h>
#include "mail/dkim.h"

/* The domain the fixture signs for (the d= of every signature). */
#define DKIM_FIXTURE_DOMAIN "dkim.test"

/* A small well-formed message from DKIM_FIXTURE_DOMAIN (CRLF line ends). */
#define DKIM_FIXTURE_MSG                                                                           \
	"From: Probe <probe@dkim.test>\r\n"                                                        \
	"To: <seed@example.net>\r\n"                                                               \
	"Subject: hello\r\n"                                                                       \
	"Date: Sun, 29 Nov 2026 11:53:13 +0000\r\n"                                                \
	"Message-ID: <mp1@dkim.test>\r\n"                                                          \
	"\r\n"                                                                                     \
	"Body line one.\r\n"                                                                       \
	"Body line two.\r\n"

/*
 * The text of fixture key file name (at most 16 KB), NUL-terminated, with
 * its length in *len; NULL when it cannot be read.  Caller frees.
 */
char *dkim_fixture_key(const char *name, size_t *len);

/*
 * "v=DKIM1; k=TYPE; <extra>p=<the public half of fixture key name>", or
 * "v=DKIM1; p=broken" when the key does not load.  Caller frees.
 */
char *dkim_fixture_record(const char *name, const char *extra);

/*
 * Sign msg with lib for DKIM_FIXTURE_DOMAIN, fixture key file key as
 * selector sel with alg: the DKIM-Signature header followed by msg (caller
 * frees), or NULL after a TAP diagnostic saying why.
 */
char *dkim_fixture_sign(struct mail_dkim *lib, const char *key, const char *sel,
			enum mail_dkim_alg alg, const char *msg);

#endif
