/*
 * common/err: names for the error enum.  Nothing else lives here.
 */
#include "common/err.h"

static const char *const names[ERR__COUNT] = {
    [ERR_OK] = "ok",
    [ERR_INVAL] = "invalid argument",
    [ERR_PARSE] = "parse error",
    [ERR_LIMIT] = "limit reached",
    [ERR_IO] = "i/o error",
    [ERR_TIMEOUT] = "timed out",
    [ERR_AGAIN] = "try again",
    [ERR_NOTFOUND] = "not found",
    [ERR_NET] = "network error",
    [ERR_TLS] = "tls error",
    [ERR_UNSUPPORTED] = "unsupported",
};

const char *common_err_str(enum mp_err err)
{
	if ((unsigned)err >= ERR__COUNT)
		return "unknown error";
	return names[err];
}
