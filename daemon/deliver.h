/*
 * daemon/deliver: sends what the outbox holds (daemon/store_outbox).  Due
 * rows are claimed with a lease, rebuilt into their exact bytes by
 * daemon/notify (a webhook is re-signed with a fresh timestamp on every
 * attempt) and sent: Slack and webhooks over common/fetch from the main
 * loop, e-mail through the SMTP worker (daemon/mailq).  Each outcome is
 * written back (sent, retry later, failed) and the FIRING/REMINDER outcomes
 * are reported to the channel's alert engine (daemon/engine).
 *
 * Names (DESIGN.md 3: all DNS through our resolver, never getaddrinfo): the
 * host of a Slack or webhook URL and an e-mail relay (smtp_host) are
 * resolved, A and AAAA, through the engine's dns/resolver on the main loop
 * before each attempt; the connection is then pinned to those addresses
 * (common/fetch's CURLOPT_RESOLVE, which tries them in order; the mailq
 * job's addr, one per SMTP session, the next one on each retry) while TLS
 * still verifies the certificate against the host name.  The resolver's cache
 * answers retries within the records' TTL, so a retry does not re-ask the
 * wire needlessly, and a changed record is seen once its TTL runs out.  IP
 * literals need no DNS; "localhost" and names under it are the loopback
 * addresses (RFC 6761 6.3) without a query.  A name that does not exist
 * (NXDOMAIN) or has no address (NODATA) fails the row with a reason naming
 * the host (never the URL: its path is a credential); a temporary DNS
 * failure retries like a 5xx.
 *
 * Transport rules (daemon/notify.h): Slack succeeds on 200 with body "ok";
 * webhooks on any 2xx; 5xx, 408, 429 and timeouts retry with exponential
 * backoff (Retry-After honoured), other 4xx fail for good; SMTP temporary
 * and network failures retry, the rest fail.  A row that keeps failing is
 * marked failed after DAEMON_DELIVER_MAX_ATTEMPTS: nothing waits forever,
 * nothing is dropped silently.
 *
 * What it does not: decide what to send (the alert engine did), own a
 * resolver (the engine's is borrowed), or cache addresses itself.
 *
 * RFCs: 6761 6.3 (localhost), 9110 10.2.3 (Retry-After), 8305 (several
 * addresses, tried in order).
 */
#ifndef MAILPULSE_DAEMON_DELIVER_H
#define MAILPULSE_DAEMON_DELIVER_H

#include <stdbool.h>
#include <stdint.h>
#include "common/err.h"
#include "common/fetch.h"
#include "daemon/config.h"
#include "daemon/engine.h"
#include "daemon/mailq.h"
#include "daemon/store.h"
#include "dns/book.h"

#define DAEMON_DELIVER_MAX_ATTEMPTS 20
#define DAEMON_DELIVER_BACKOFF_BASE 5	/* seconds before the first retry */
#define DAEMON_DELIVER_BACKOFF_MAX 3600 /* longest wait between two attempts */

struct daemon_deliver;

/*
 * A sender for cfg's channels over store st, reporting to eng, e-mail
 * through mq (all borrowed; they outlive it).  A webhook whose signing
 * secret does not decode never sends unsigned: its rows fail with a clear
 * error instead.
 */
struct daemon_deliver *daemon_deliver_new(const struct daemon_config *cfg, struct daemon_store *st,
					  struct daemon_engine *eng, struct daemon_mailq *mq);
/* Cancel HTTP requests in flight (their rows come due again after the lease). */
void daemon_deliver_free(struct daemon_deliver *d);

/* Claim and start the rows due at now; drive the HTTP requests in flight. */
void daemon_deliver_run(struct daemon_deliver *d, int64_t now);
/* Requests in flight: HTTP, e-mail, and rows waiting for their host's addresses. */
unsigned daemon_deliver_inflight(const struct daemon_deliver *d);
/* Record an SMTP worker outcome at now. */
void daemon_deliver_mail_done(struct daemon_deliver *d, const struct daemon_mailq_done *r,
			      int64_t now);
/* True (once) when an outcome was recorded since the last call. */
bool daemon_deliver_changed(struct daemon_deliver *d);

/* Seconds to wait before retry number attempts+1 (attempts >= 1): 5, 10, 20 ... 3600. */
int64_t daemon_deliver_backoff(uint32_t attempts, long retry_after);

/* What one attempt came to. */
enum daemon_deliver_verdict {
	DAEMON_DELIVER_SENT,
	DAEMON_DELIVER_RETRY, /* transient: try again after the backoff */
	DAEMON_DELIVER_FAIL,  /* permanent: mark the row failed */
};

/*
 * The verdict on an HTTP attempt of channel type t with result r: no
 * response (timeout, refused, TLS) retries; Slack is sent on 200 with body
 * exactly "ok" (a 200 with another body retries); a webhook on any 2xx;
 * 5xx, 408 and 429 retry; anything else fails.
 */
enum daemon_deliver_verdict daemon_deliver_http_verdict(enum daemon_alert_type t,
							const struct common_fetch_result *r);
/* The verdict on an SMTP session: OK sent, TEMPORARY and NETWORK retry, the rest fail. */
enum daemon_deliver_verdict daemon_deliver_mail_verdict(enum mail_smtp_class cls);

/* Most addresses one target keeps: at most half of them A, half AAAA. */
#define DAEMON_DELIVER_MAX_ADDRS 8
/* An IPv6 literal's text plus its NUL (INET6_ADDRSTRLEN). */
#define DAEMON_DELIVER_ADDRSTRLEN 46

/* The addresses of a target host, or why there are none. */
struct daemon_deliver_addrs {
	enum daemon_deliver_verdict verdict; /* SENT: n addresses to use; else why says it */
	size_t n;			     /* 1..DAEMON_DELIVER_MAX_ADDRS when SENT */
	/* IP literals, IPv6 without brackets; A first, then AAAA, in answer order. */
	char addr[DAEMON_DELIVER_MAX_ADDRS][DAEMON_DELIVER_ADDRSTRLEN];
	bool literal; /* host was an IP literal or a localhost name: no DNS asked */
	/* RETRY/FAIL: "the webhook host nxhost.test does not exist (DNS NXDOMAIN)". */
	char why[384];
};

/*
 * The host channel a connects to: the URL's host (IPv6 without brackets)
 * for Slack and webhooks, smtp_host for e-mail, into host (hostsz bytes);
 * *what gets how reasons name it ("the Slack host", "the webhook host",
 * "the SMTP relay", static).  ERR_INVAL when the URL does not parse or the
 * host does not fit.  Outputs are set only on success.
 */
enum mp_err daemon_deliver_target(const struct daemon_config_alert *a, char *host, size_t hostsz,
				  const char **what) MP_WUR;

/*
 * Where to connect for host (a name or an IP literal, IPv6 with or without
 * brackets), a pure function over book (dns/book.h contract): an IP
 * literal or a localhost name answers at once without a question; a name
 * asks A and AAAA and returns ERR_AGAIN until both are in the book (re-run
 * it then).  ERR_OK: *out says the verdict: SENT with the addresses (when
 * either type has some, even if the other failed), FAIL when the name is
 * not a valid DNS name, does not exist (NXDOMAIN) or has neither A nor AAAA
 * (NODATA), RETRY for a temporary failure (timeout, SERVFAIL, malformed
 * reply, a full book).  what names the target in why ("the webhook host");
 * why holds the host but nothing else of a URL.  *out is set only on ERR_OK.
 */
enum mp_err daemon_deliver_resolve(struct dns_book *book, const char *host, const char *what,
				   struct daemon_deliver_addrs *out) MP_WUR;

/*
 * Tests: answer the DNS questions of deliveries with fn(arg, book), which
 * must answer every needed question at once (e.g. a wrapper around
 * fakezone_answer()), instead of the engine's resolver.  fn NULL goes back
 * to the resolver.  Call before the first daemon_deliver_run().
 */
typedef size_t daemon_deliver_answer_fn(void *arg, struct dns_book *book);
void daemon_deliver_set_answerer(struct daemon_deliver *d, daemon_deliver_answer_fn *fn, void *arg);

#endif
