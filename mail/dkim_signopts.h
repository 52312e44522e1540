/*
 * mail/dkim_signopts: the checks mail_dkim_sign() makes of its options
 * before libopendkim sees them (libopendkim would sign with a mismatched or
 * weak key, or put a bad d=/s= into the field).  RFC 6376 3.5 (d= s=), RFC
 * 8301 3.2 (RSA keys of at least 1024 bits), RFC 8463 (ed25519).
 *
 * What it does not: sign (mail/dkim), or ever put key text into *why.
 */
#ifndef MAILPULSE_MAIL_DKIM_SIGNOPTS_H
#define MAILPULSE_MAIL_DKIM_SIGNOPTS_H

#include <stdbool.h>
#include "mail/dkim.h"

/* d= and s= are DNS names, key text is present, the algorithm is known; else *why (static). */
bool mail_dkim_signopts_ok(const struct mail_dkim_sign_opts *o, const char **why);

/*
 * The key text is a private key whose type is the algorithm's, and an RSA
 * key has at least 1024 bits; else *why (static, never key bytes).
 */
bool mail_dkim_signopts_key_fits(const struct mail_dkim_sign_opts *o, const char **why);

#endif
