/*
 * daemon/probe_sign: DKIM-signs a composed probe message with the domain's
 * own key (probe_sign names the selector among its dkim_key entries), so
 * that the probe's DKIM verdict says whether the published key and the
 * key on disk agree (issue 4; DESIGN.md 2.2).
 *
 * What it does not: compose the message (mail/probe), sign with anything
 * but the configured key, or keep the key: it is read per probe and wiped
 * after use.  The signing itself is mail/dkim's.
 *
 * RFCs: 6376 (DKIM signatures), 8463 (Ed25519 keys).
 */
#ifndef MAILPULSE_DAEMON_PROBE_SIGN_H
#define MAILPULSE_DAEMON_PROBE_SIGN_H

#include <stddef.h>
#include "common/err.h"
#include "daemon/config.h"
#include "mail/dkim.h"

/*
 * Prepend a DKIM-Signature header field to the message [*msg, *msg+*len)
 * made with d's key for selector d->probe.sign (RSA or Ed25519, whichever
 * the key file holds).  *dkim is the signer, created on first use (caller
 * frees it with mail_dkim_free()).
 * ERR_OK: *msg is replaced by the signed message (the old one is freed;
 * caller frees the new one), *len updated.  ERR_NOTFOUND: no dkim_key of
 * that selector, or its file cannot be read; ERR_IO: no signer; other
 * errors from mail_dkim_sign().  On an error why (whysz bytes) says why
 * when known and *msg is untouched.
 */
enum mp_err daemon_probe_sign_msg(struct mail_dkim **dkim, const struct daemon_config_domain *d,
				  char **msg, size_t *len, char *why, size_t whysz) MP_WUR;

#endif
