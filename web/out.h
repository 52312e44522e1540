/*
 * web/out: the output buffer every web/ renderer writes into, with a
 * sticky error (like struct cursor for reading) so that a page is built
 * with plain calls and checked once at the end, plus the escaping every
 * view needs: HTML/XML text and attribute values, times and durations.
 *
 * Every string from a snapshot is hostile (bytes from DNS): it only ever
 * reaches a page through web_out_html(), which yields valid UTF-8 with
 * & < > " ' escaped, control bytes shown as \xNN and bidirectional
 * override characters shown as \u202E (so a record cannot reorder the text
 * around it).  web_out_put()/web_out_printf() are for the renderer's own
 * markup and numbers only.
 *
 * What it does not: JSON (common/json) or Prometheus label escaping
 * (web/metrics).  RFCs: 3339 (timestamps); HTML Living Standard 13.1.2.6
 * (character references), W3C XML 1.0 2.4 (the same five characters).
 */
#ifndef MAILPULSE_WEB_OUT_H
#define MAILPULSE_WEB_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/err.h"

/* The largest body any renderer produces (1,000 domains with history fit easily). */
#define WEB_OUT_MAX ((size_t)64 << 20)

struct web_out {
	struct buf b;
	enum mp_err err; /* sticky: the first failed append */
};

/* Start an empty output that never grows past max bytes. */
void web_out_init(struct web_out *o, size_t max);
/* Release the memory (also after web_out_finish, harmless). */
void web_out_free(struct web_out *o);
/* Append trusted text (the renderer's own markup). */
void web_out_put(struct web_out *o, const char *s);
void web_out_putn(struct web_out *o, const char *s, size_t n);
/* Append trusted formatted text (numbers, literals). */
void web_out_printf(struct web_out *o, const char *fmt, ...) MP_PRINTF(2, 3);
/*
 * Append untrusted bytes [s, s+len) escaped for HTML/XML text or a quoted
 * attribute value; len (size_t)-1 means a C string; s NULL appends nothing.
 */
void web_out_html(struct web_out *o, const char *s, size_t len);
/* Append "2024-05-01 12:03 UTC" for unix seconds t, or never_text when t <= 0. */
void web_out_time(struct web_out *o, int64_t t, const char *never_text);
/* Append a short duration in words: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
void web_out_duration(struct web_out *o, int64_t secs);
/*
 * RFC 3339 UTC time ("2024-05-01T12:03:00Z") of unix seconds t into buf
 * (size >= 32); returns buf, or NULL when t <= 0 or cannot be shown.
 */
const char *web_out_rfc3339(int64_t t, char *buf, size_t bufsz);
/* "2024-05-01" of unix seconds t into buf (size >= 16); returns buf ("?" when impossible). */
const char *web_out_date(int64_t t, char *buf, size_t bufsz);
/*
 * Finish: ERR_OK hands the bytes to the caller (*data, free() it; NUL
 * terminated, *len bytes) and leaves o empty; otherwise the sticky error
 * (ERR_LIMIT when the body passed max) and o is freed.
 */
enum mp_err web_out_finish(struct web_out *o, char **data, size_t *len) MP_WUR;

#endif
