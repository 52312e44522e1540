/*
 * tests/web/fixture_net: the client side of the HTTP server tests
 * (tests/web/test_http, tests/web/test_http_report): a TCP connection to a
 * port on 127.0.0.1 and a send that writes everything.  Raw sockets on
 * purpose, so a test can send bytes no HTTP client library would.
 *
 * What it does not: parse answers (each test reads what it needs).
 *
 * RFC 9112 (HTTP/1.1 over the connection these give).
 */
#ifndef MAILPULSE_TESTS_WEB_FIXTURE_NET_H
#define MAILPULSE_TESTS_WEB_FIXTURE_NET_H

#include <stdbool.h>
#include <stddef.h>

/* A blocking TCP connection to 127.0.0.1:port; -1 when refused.  Caller closes. */
int fixture_net_connect(unsigned port);

/* Send p[0..n) whole (no SIGPIPE); false when the peer closed on us (its answer may
   still be readable). */
bool fixture_net_send_all(int fd, const char *p, size_t n);

#endif
