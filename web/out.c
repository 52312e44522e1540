/*
 * web/out: sticky output buffer and HTML escaping (see out.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "web/out.h"

void web_out_init(struct web_out *o, size_t max)
{
	common_buf_init(&o->b, max);
	o->err = ERR_OK;
}

void web_out_free(struct web_out *o)
{
	common_buf_free(&o->b);
}

static void note(struct web_out *o, enum mp_err e)
{
	if (e != ERR_OK && o->err == ERR_OK)
		o->err = e;
}

void web_out_putn(struct web_out *o, const char *s, size_t n)
{
	if (o->err == ERR_OK && n > 0)
		note(o, common_buf_append(&o->b, s, n));
}

void web_out_put(struct web_out *o, const char *s)
{
	web_out_putn(o, s, strlen(s));
}

void web_out_printf(struct web_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err != ERR_OK)
		return;
	va_start(ap, fmt);
	note(o, common_buf_vprintf(&o->b, fmt, ap));
	va_end(ap);
}

/*
 * Unicode bidirectional embedding/override/isolate controls (U+202A..U+202E,
 * U+2066..U+2069): shown as text so a record cannot reorder what surrounds it.
 */
static bool is_bidi(const unsigned char *p, size_t left)
{
	if (left < 3 || p[0] != 0xe2)
		return false;
	return (p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
	       (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
}

/* Escape valid UTF-8 [s, s+len). */
static void html_clean(struct web_out *o, const unsigned char *s, size_t len)
{
	size_t run = 0, i = 0;

	while (i < len) {
		unsigned char c = s[i];
		const char *rep = NULL;
		char tmp[16];

		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"')
			rep = "&quot;";
		else if (c == '\'')
			rep = "&#39;";
		else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			snprintf(tmp, sizeof tmp, "\\x%02X", c);
			rep = tmp;
		} else if (c == 0xe2 && is_bidi(s + i, len - i)) {
			unsigned cp =
			    ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) | (s[i + 2] & 0x3fu);

			snprintf(tmp, sizeof tmp, "\\u%04X", cp);
			web_out_putn(o, (const char *)s + run, i - run);
			web_out_put(o, tmp);
			i += 3;
			run = i;
			continue;
		}
		if (rep != NULL) {
			web_out_putn(o, (const char *)s + run, i - run);
			web_out_put(o, rep);
			run = i + 1;
		}
		i++;
	}
	web_out_putn(o, (const char *)s + run, len - run);
}

void web_out_html(struct web_out *o, const char *s, size_t len)
{
	bool ascii = true;

	if (s == NULL || o->err != ERR_OK)
		return;
	if (len == (size_t)-1)
		len = strlen(s);
	for (size_t i = 0; i < len && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	if (ascii) {
		html_clean(o, (const unsigned char *)s, len);
	} else {
		size_t n;
		char *u = common_json_utf8_clean(s, len, &n);

		html_clean(o, (const unsigned char *)u, n);
		free(u);
	}
}

static bool utc(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	/* Years past 9999 do not fit the fixed formats; they are garbage anyway. */
	if (t <= 0 || t > 253402300799LL || (int64_t)tt != t)
		return false;
	return gmtime_r(&tt, tm) != NULL;
}

void web_out_time(struct web_out *o, int64_t t, const char *never_text)
{
	struct tm tm;
	char buf[64];

	if (!utc(t, &tm)) {
		web_out_put(o, never_text);
		return;
	}
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
	web_out_put(o, buf);
}

void web_out_duration(struct web_out *o, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		web_out_printf(o, "%lld s", (long long)secs);
	else if (secs < 3600)
		web_out_printf(o, "%lld min", (long long)(secs / 60));
	else if (secs < 86400)
		web_out_printf(o, "%lld h %lld min", (long long)(secs / 3600),
			       (long long)(secs % 3600 / 60));
	else
		web_out_printf(o, "%lld d %lld h", (long long)(secs / 86400),
			       (long long)(secs % 86400 / 3600));
}

const char *web_out_rfc3339(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (!utc(t, &tm) || strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return buf;
}

const char *web_out_date(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (!utc(t, &tm) || strftime(buf, bufsz, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, bufsz, "?");
	return buf;
}

enum mp_err web_out_finish(struct web_out *o, char **data, size_t *len)
{
	enum mp_err e = o->err;

	if (e != ERR_OK) {
		common_buf_free(&o->b);
		return e;
	}
	*data = common_buf_steal(&o->b, len);
	return ERR_OK;
}
