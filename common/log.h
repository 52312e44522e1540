/*
 * common/log: the one log module (STYLE.md 22).
 *
 * Lines go to stderr (the journal under systemd) as
 *   "<level> <subsystem> <event> key=value ..."
 * Values from the network are passed through common_log_quote() by the
 * caller.  Never log a password, token, private key, webhook URL or a full
 * message body.
 *
 * The sink's settings (minimum level, traced subsystems) are the one piece of
 * process-wide state below daemon/: they are set once by main() before any
 * thread starts and only read afterwards.
 */
#ifndef MAILPULSE_COMMON_LOG_H
#define MAILPULSE_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include "common/err.h"

enum log_level { LOG_LVL_TRACE, LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERR };

/* Set the minimum level printed (default INFO). */
void common_log_set_level(enum log_level lvl);
/* Enable trace lines for a comma-separated list of subsystems ("dns,spf" or "all"). */
void common_log_set_trace(const char *subsystems);
/* True when trace lines for subsys would be printed. */
bool common_log_tracing(const char *subsys);
void common_log(enum log_level lvl, const char *subsys, const char *fmt, ...) MP_PRINTF(3, 4);

#define log_err(sub, ...) common_log(LOG_LVL_ERR, sub, __VA_ARGS__)
#define log_warn(sub, ...) common_log(LOG_LVL_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...) common_log(LOG_LVL_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) common_log(LOG_LVL_DEBUG, sub, __VA_ARGS__)
#define log_trace(sub, ...)                                                                        \
	do {                                                                                       \
		if (common_log_tracing(sub))                                                       \
			common_log(LOG_LVL_TRACE, sub, __VA_ARGS__);                               \
	} while (0)

/*
 * Render untrusted bytes for a log line: printable ASCII kept, everything else
 * as \xNN, cut at max bytes of output with "...".  Writes a NUL-terminated
 * string into out (size outsz >= 8) and returns out.
 */
const char *common_log_quote(char *out, size_t outsz, const char *s, size_t len);

#endif
