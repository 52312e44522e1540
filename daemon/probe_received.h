/*
 * daemon/probe_received: where a message that reached a seed box came from.
 * A seed box's message has no envelope, so the address SPF is judged for is
 * the one the receiving provider recorded: the first bracketed IP literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]", RFC 5321 4.1.3) of the topmost
 * Received field (RFC 5321 4.4: each hop prepends its own, so the topmost is
 * the provider's, naming the host that connected to it).
 *
 * A bounded scan of untrusted bytes: only the header block is read, the
 * literal must parse as an address (inet_pton), NUL bytes and any length
 * are fine.  What it does not: parse the rest of the field or trust any
 * field below the topmost one.
 */
#ifndef MAILPULSE_DAEMON_PROBE_RECEIVED_H
#define MAILPULSE_DAEMON_PROBE_RECEIVED_H

#include <stdbool.h>
#include <stddef.h>

/* The address into buf (bufsz >= 46 for any IPv6 text), true; false when
   the topmost Received field has none (or there is no Received field). */
bool daemon_probe_received_ip(const char *msg, size_t len, char *buf, size_t bufsz);

#endif
