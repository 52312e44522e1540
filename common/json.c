/*
 * common/json: jansson behind a small facade (see json.h).
 */
#include <jansson.h>
#include <string.h>
#include "common/buf.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xmalloc.h"

#define J(v) ((json_t *)(v))
#define W(v) ((struct common_json *)(v))

static json_t *must(json_t *v)
{
	if (v == NULL)
		fatal("jansson: out of memory");
	return v;
}

struct common_json *common_json_object(void)
{
	return W(must(json_object()));
}

struct common_json *common_json_array(void)
{
	return W(must(json_array()));
}

static bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len && (n = common_str_utf8_seq(p + i, len - i)) != 0)
		i += n;
	return i == len;
}

char *common_json_utf8_clean(const char *s, size_t len, size_t *outlen)
{
	struct buf b;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	/* Valid text (nearly always) is copied in runs, not sequence by sequence. */
	common_buf_init(&b, len * 3 + 1);
	while (i < len) {
		size_t run = i, n;

		while (run < len && (n = common_str_utf8_seq(p + run, len - run)) != 0)
			run += n;
		if (run > i && common_buf_append(&b, p + i, run - i) != ERR_OK)
			fatal("utf8_clean: size");
		i = run;
		if (i < len) {
			/* The limit allows the worst case (every byte -> 3 bytes of U+FFFD). */
			if (common_buf_append(&b, "\xef\xbf\xbd", 3) != ERR_OK)
				fatal("utf8_clean: size");
			i++;
		}
	}
	return common_buf_steal(&b, outlen);
}

struct common_json *common_json_string(const char *s, size_t len)
{
	char *clean;
	size_t n;
	json_t *v;

	if (s == NULL)
		return common_json_null();
	if (len == (size_t)-1)
		len = strlen(s);
	if (utf8_valid(s, len))
		return W(must(json_stringn_nocheck(s, len)));
	clean = common_json_utf8_clean(s, len, &n);
	v = must(json_stringn_nocheck(clean, n));
	free(clean);
	return W(v);
}

struct common_json *common_json_int(long long v)
{
	return W(must(json_integer(v)));
}

struct common_json *common_json_real(double v)
{
	return W(must(json_real(v)));
}

struct common_json *common_json_bool(bool v)
{
	return W(must(json_boolean(v)));
}

struct common_json *common_json_null(void)
{
	return W(json_null());
}

void common_json_set(struct common_json *obj, const char *key, struct common_json *val)
{
	if (json_object_set_new(J(obj), key, J(val)) != 0)
		fatal("jansson: object set failed");
}

void common_json_set_str(struct common_json *obj, const char *key, const char *s)
{
	common_json_set(obj, key, common_json_string(s, (size_t)-1));
}

void common_json_set_strn(struct common_json *obj, const char *key, const char *s, size_t len)
{
	common_json_set(obj, key, common_json_string(s, len));
}

void common_json_set_int(struct common_json *obj, const char *key, long long v)
{
	common_json_set(obj, key, common_json_int(v));
}

void common_json_set_bool(struct common_json *obj, const char *key, bool v)
{
	common_json_set(obj, key, common_json_bool(v));
}

void common_json_push(struct common_json *arr, struct common_json *val)
{
	if (json_array_append_new(J(arr), J(val)) != 0)
		fatal("jansson: array append failed");
}

char *common_json_dump(const struct common_json *v, bool pretty)
{
	char *s = json_dumps(J(v), (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER |
				       JSON_ENCODE_ANY);
	char *r;

	if (s == NULL)
		fatal("jansson: dump failed");
	r = xstrdup(s);
	free(s);
	return r;
}

void common_json_free(struct common_json *v)
{
	if (v)
		json_decref(J(v));
}

enum mp_err common_json_parse(const char *s, size_t len, struct common_json **out)
{
	json_error_t e;
	json_t *v =
	    json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (v == NULL)
		return ERR_PARSE;
	*out = W(v);
	return ERR_OK;
}

const struct common_json *common_json_get(const struct common_json *obj, const char *key)
{
	return json_is_object(J(obj)) ? W(json_object_get(J(obj), key)) : NULL;
}

size_t common_json_array_len(const struct common_json *arr)
{
	return json_is_array(J(arr)) ? json_array_size(J(arr)) : 0;
}

const struct common_json *common_json_array_at(const struct common_json *arr, size_t i)
{
	return json_is_array(J(arr)) ? W(json_array_get(J(arr), i)) : NULL;
}

const char *common_json_str_value(const struct common_json *v, size_t *len)
{
	if (!json_is_string(J(v)))
		return NULL;
	*len = json_string_length(J(v));
	return json_string_value(J(v));
}

bool common_json_int_value(const struct common_json *v, long long *out)
{
	if (!json_is_integer(J(v)))
		return false;
	*out = (long long)json_integer_value(J(v));
	return true;
}

enum mp_err common_json_parse_at(const char *s, size_t len, struct common_json **out,
				 size_t *errpos)
{
	json_error_t e;
	json_t *v =
	    json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (v == NULL) {
		if (errpos != NULL)
			*errpos = e.position > 0 ? (size_t)e.position : 0;
		return ERR_PARSE;
	}
	*out = W(v);
	return ERR_OK;
}

bool common_json_is_object(const struct common_json *v)
{
	return v != NULL && json_is_object(J(v));
}

bool common_json_is_array(const struct common_json *v)
{
	return v != NULL && json_is_array(J(v));
}

bool common_json_is_null(const struct common_json *v)
{
	return v != NULL && json_is_null(J(v));
}
