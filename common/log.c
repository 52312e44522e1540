/*
 * common/log: stderr logging with per-subsystem tracing.  One fprintf per
 * line (stdio locks the stream), so lines from threads do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"

static enum log_level min_level = LOG_LVL_INFO;
static char trace_list[256];

static const char *const level_names[] = {"trace", "debug", "info", "warn", "error"};

void common_log_set_level(enum log_level lvl)
{
	min_level = lvl;
}

void common_log_set_trace(const char *subsystems)
{
	if (common_str_copy(trace_list, sizeof trace_list, subsystems ? subsystems : "") != ERR_OK)
		trace_list[0] = '\0';
}

bool common_log_tracing(const char *subsys)
{
	size_t n = strlen(subsys);
	const char *p = trace_list;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);

		if ((l == 3 && memcmp(p, "all", 3) == 0) || (l == n && memcmp(p, subsys, n) == 0))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

void common_log(enum log_level lvl, const char *subsys, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	bool cut = false;

	if (lvl < min_level && !(lvl == LOG_LVL_TRACE && common_log_tracing(subsys)))
		return;
	common_buf_init(&b, 8192);
	va_start(ap, fmt);
	if (common_buf_printf(&b, "%s %s ", level_names[lvl], subsys) != ERR_OK ||
	    common_buf_vprintf(&b, fmt, ap) != ERR_OK)
		cut = true;
	va_end(ap);
	fprintf(stderr, "%s%s\n", common_buf_str(&b), cut ? " [truncated]" : "");
	common_buf_free(&b);
}

const char *common_log_quote(char *out, size_t outsz, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 5 >= outsz - 3) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
