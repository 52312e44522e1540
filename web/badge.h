/*
 * web/badge: shields.io-style SVG status badges (/badge/NAME.svg), e.g.
 * "mail | passing" in green.  The label may come from the query
 * (?label=...) and is hostile like everything else: the text is cleaned to
 * UTF-8, cut to WEB_BADGE_TEXT_MAX characters and XML-escaped (W3C XML 1.0
 * 2.4); colours come from a closed set.
 *
 * What it does not: HTTP or caching (web/http), or any script: the SVG is
 * plain shapes and text, served with the same strict CSP as the pages.
 */
#ifndef MAILPULSE_WEB_BADGE_H
#define MAILPULSE_WEB_BADGE_H

#include <stddef.h>
#include "common/err.h"
#include "web/snapshot.h"

/* Longest label or message shown, in characters (longer text is cut with "..."). */
#define WEB_BADGE_TEXT_MAX 40

/*
 * A badge with label [label, label+label_len) (NULL: "mail") and message
 * [msg, msg+msg_len), coloured for sev (ok/info green, warn yellow,
 * critical red, unknown grey).  ERR_OK: *out (caller frees) holds *len
 * bytes of SVG.
 */
enum mp_err web_badge_render(const char *label, size_t label_len, const char *msg, size_t msg_len,
			     enum web_sev sev, char **out, size_t *len) MP_WUR;

/* The badge of domain d: "passing", "warning", "failing" or "unknown". */
enum mp_err web_badge_domain(const struct web_domain *d, const char *label, size_t label_len,
			     char **out, size_t *len) MP_WUR;

#endif
