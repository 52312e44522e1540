/*
 * common/jsonw: a streaming JSON writer (RFC 8259) into a common/buf buffer.
 *
 * Why it exists beside common/json (jansson): jansson builds a tree of hash
 * tables and dumps it afterwards; for the `mailpulse check` report of
 * 10,000 domains building, dumping and freeing that tree cost more CPU
 * than checking the domains (bench/README.md).  This writer appends values
 * to a buffer as they are given.  Parsing, and every JSON document
 * that is built as a whole (the API, webhooks), stay with common/json.
 *
 * Strings are written as valid UTF-8 whatever they hold: invalid sequences
 * become U+FFFD (the same rule as common_json_utf8_clean()); '"', '\' and
 * control characters are escaped (RFC 8259 7), NUL as \u0000.
 *
 * What it does not: check the structure beyond nesting depth (a key outside
 * an object is the caller's bug), or pretty-print.  The buffer's limit is
 * the caller's invariant: growing past it is fatal, so size it for the
 * largest document the inputs allow.
 */
#ifndef MAILPULSE_COMMON_JSONW_H
#define MAILPULSE_COMMON_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

/* Deepest nesting of objects and arrays; deeper is a programming error (fatal). */
#define COMMON_JSONW_MAX_DEPTH 64

struct common_jsonw {
	struct buf *out; /* borrowed */
	unsigned depth;
	bool after_key; /* a key was written: no comma before the value */
	uint8_t has_items[COMMON_JSONW_MAX_DEPTH]; /* per level: a value already written */
};

/* Start appending to out (borrowed). */
void common_jsonw_init(struct common_jsonw *w, struct buf *out);

/* Open / close an object or an array (as a value: after a key, in an array, or at top level). */
void common_jsonw_obj_begin(struct common_jsonw *w);
void common_jsonw_obj_end(struct common_jsonw *w);
void common_jsonw_arr_begin(struct common_jsonw *w);
void common_jsonw_arr_end(struct common_jsonw *w);

/* The key of the next member of the current object (NUL-terminated, escaped like a string). */
void common_jsonw_key(struct common_jsonw *w, const char *key);

/* A string value: [s, s+len) (any bytes); len (size_t)-1 means NUL-terminated; NULL writes null. */
void common_jsonw_str(struct common_jsonw *w, const char *s, size_t len);
void common_jsonw_int(struct common_jsonw *w, long long v);
void common_jsonw_null(struct common_jsonw *w);

/* Member shorthands: key then value. */
void common_jsonw_kstr(struct common_jsonw *w, const char *key, const char *s);
void common_jsonw_kstrn(struct common_jsonw *w, const char *key, const char *s, size_t len);
void common_jsonw_kint(struct common_jsonw *w, const char *key, long long v);

#endif
