/*
 * common/json: building JSON documents (the ONLY module including
 * jansson.h; DESIGN.md 4).  A thin facade so that the CLI, the HTTP API and
 * later the report parsers share one library behind one header.
 *
 * Strings are byte ranges from anywhere, DNS included: invalid UTF-8 is
 * replaced by U+FFFD so a hostile record can never make the output invalid
 * JSON; NUL bytes survive as \u0000.
 *
 * Setters take ownership of the value they are given ("steal").
 */
#ifndef MAILPULSE_COMMON_JSON_H
#define MAILPULSE_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

struct common_json;

struct common_json *common_json_object(void);
struct common_json *common_json_array(void);
/* len bytes at s ((size_t)-1: C string); s NULL gives JSON null. */
struct common_json *common_json_string(const char *s, size_t len);
struct common_json *common_json_int(long long v);
struct common_json *common_json_real(double v);
struct common_json *common_json_bool(bool v);
struct common_json *common_json_null(void);

/* obj[key] = val (val stolen). */
void common_json_set(struct common_json *obj, const char *key, struct common_json *val);
/* Shorthands for common_json_set with a fresh value. */
void common_json_set_str(struct common_json *obj, const char *key, const char *s);
void common_json_set_strn(struct common_json *obj, const char *key, const char *s, size_t len);
void common_json_set_int(struct common_json *obj, const char *key, long long v);
void common_json_set_bool(struct common_json *obj, const char *key, bool v);
/* arr.push(val) (val stolen). */
void common_json_push(struct common_json *arr, struct common_json *val);

/* Serialise; caller frees.  pretty: indented, else compact.  Keys keep insertion order. */
char *common_json_dump(const struct common_json *v, bool pretty);
/* NULL is a no-op. */
void common_json_free(struct common_json *v);

/*
 * Reading (added for web/, which gets the SPF lookup tree as JSON text).
 * Parse [s, s+len) as one JSON value (\u0000 allowed in strings, duplicate
 * keys refused, nesting bounded by jansson's parser depth limit).  ERR_OK:
 * *out is a new value (free with common_json_free()).  ERR_PARSE: not JSON.
 */
enum mp_err common_json_parse(const char *s, size_t len, struct common_json **out) MP_WUR;
/* obj[key], or NULL when obj is not an object or has no such key; borrowed from obj. */
const struct common_json *common_json_get(const struct common_json *obj, const char *key);
/* Number of elements of arr (0 when it is not an array). */
size_t common_json_array_len(const struct common_json *arr);
/* Element i of arr, NULL when out of range or not an array; borrowed. */
const struct common_json *common_json_array_at(const struct common_json *arr, size_t i);
/* The bytes of a string value (*len of them, may hold NUL), NULL when v is not a string; borrowed. */
const char *common_json_str_value(const struct common_json *v, size_t *len);
/* True, with *out set, when v is an integer. */
bool common_json_int_value(const struct common_json *v, long long *out);

/*
 * Reading helpers (added for mail/report_tlsrpt).  common_json_parse_at is
 * common_json_parse that also tells where a parse failed: *errpos (may be
 * NULL) gets the byte offset jansson stopped at, set only on ERR_PARSE.
 */
enum mp_err common_json_parse_at(const char *s, size_t len, struct common_json **out,
				 size_t *errpos) MP_WUR;
/* Whether v is an object / an array / JSON null (false for a NULL pointer). */
bool common_json_is_object(const struct common_json *v);
bool common_json_is_array(const struct common_json *v);
bool common_json_is_null(const struct common_json *v);

/*
 * Copy len bytes as valid UTF-8 (invalid sequences become U+FFFD); caller
 * frees; *outlen gets the length.  Shared with renderers that need the same
 * guarantee (HTML).
 */
char *common_json_utf8_clean(const char *s, size_t len, size_t *outlen);

#endif
