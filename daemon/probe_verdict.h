/*
 * daemon/probe_verdict: what a finished probe means (issue 4 "Probe
 * lifecycle"): the final state, the words stored on the probe row and the
 * findings of check "probe" that go through the alert engine like any DNS
 * check's (codes in docs/findings.md):
 *
 *   PROBE_OK           ok        came back, SPF, DKIM and DMARC pass and align
 *   PROBE_SPAM         warn      came back authenticated, but in the spam folder
 *   PROBE_DMARC_NONE   warn      the From domain publishes no DMARC policy
 *   PROBE_SPF_FAIL     critical  SPF did not pass for the envelope sender
 *   PROBE_DKIM_FAIL    critical  no DKIM signature verified
 *   PROBE_MISALIGNED   critical  SPF or DKIM passed, but for another domain
 *   PROBE_DMARC_FAIL   critical  DMARC failed (RFC 7489 3.1, 6.6.2)
 *   PROBE_BOUNCED      critical  a DSN came back (status, reason, diagnostic)
 *   PROBE_LOST         critical  nothing came back within [probe] timeout
 *   PROBE_SEND_FAILED  critical  the relay refused the probe or was unreachable
 *   PROBE_UNVERIFIED   unknown   verification could not finish (our DNS)
 *
 * A relay that cannot be reached is critical, not unknown: it is the
 * operator's real sending path failing, not our monitoring (DESIGN.md 5
 * keeps "unknown" for our own DNS trouble, which PROBE_UNVERIFIED is).
 *
 * Pure: no I/O, no clock, no store.  What it does not: verify (mail/verify)
 * or parse bounces (mail/dsn).
 */
#ifndef MAILPULSE_DAEMON_PROBE_VERDICT_H
#define MAILPULSE_DAEMON_PROBE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include "daemon/store_probe.h"
#include "dns/finding.h"
#include "mail/dsn.h"
#include "mail/verify.h"

#define DAEMON_PROBE_CHECK "probe"

/*
 * Judge a verified return: set r's state (VERIFIED or FAILED), spf, dkim,
 * dmarc, aligned and error (r's old strings are freed), and append the
 * findings to f.  spf_known false: nobody evaluated SPF for the real client
 * (a seed box without a trusted upstream result), so SPF is not held
 * against the probe.  r->folder must be set ("spam" adds PROBE_SPAM).
 */
void daemon_probe_verdict_judge(const struct mail_verify_result *v, bool spf_known,
				struct daemon_probe_row *r, struct dns_findings *f);

/* Verification did not finish (why, plain words): FAILED with PROBE_UNVERIFIED. */
void daemon_probe_verdict_unverified(const char *why, struct daemon_probe_row *r,
				     struct dns_findings *f);

/* A bounce for r: BOUNCED with x's status, code, reason and diagnostic; PROBE_BOUNCED. */
void daemon_probe_verdict_bounce(const struct mail_dsn_rcpt *x, struct daemon_probe_row *r,
				 struct dns_findings *f);

/* Nothing came back after timeout_s: LOST with PROBE_LOST. */
void daemon_probe_verdict_lost(unsigned timeout_s, struct daemon_probe_row *r,
			       struct dns_findings *f);

/* The relay did not take it (error: plain words, reply: its last reply or ""): PROBE_SEND_FAILED.
 */
void daemon_probe_verdict_send_failed(const char *relay, const char *error, const char *reply,
				      struct daemon_probe_row *r, struct dns_findings *f);

/*
 * The detail JSON of a probe (the page's and the API's view), old (a
 * previous detail JSON, may be NULL) with, from in (may be NULL): "source",
 * "client_ip", "helo", "mail_from", "headers" (the header block, at most
 * 16 KB); from v (may be NULL): "spf":{helo,mailfrom,domain},
 * "dkim":[{domain,selector,algorithm,result,key_bits,testing,error}],
 * "dmarc":{result,from_domain,org_domain,policy,spf_aligned,dkim_aligned,
 * aligned_dkim_domain,reason}, "upstream":[{authserv_id,method,result,props}],
 * "authres" (ours).  Members of old are kept.  Caller frees.
 */
char *daemon_probe_verdict_json(const char *old, const struct mail_verify_result *v,
				const struct daemon_inbound_row *in);

/* old with key set to the string val (NULL: removed) or, for the integer form, to n. */
char *daemon_probe_verdict_json_set(const char *old, const char *key, const char *val);
char *daemon_probe_verdict_json_set_int(const char *old, const char *key, long long n);
/* The integer old[key], or false. */
bool daemon_probe_verdict_json_int(const char *old, const char *key, long long *out);

#endif
