/*
 * common/err: the one error enum every fallible function returns.
 *
 * STYLE.md 7/8: a function returns ERR_OK (0) or a reason it could not do its
 * job; a verdict ("example.com fails SPF") is never an error.  Outputs go
 * through out-parameters that are set only on success.
 */
#ifndef MAILPULSE_COMMON_ERR_H
#define MAILPULSE_COMMON_ERR_H

#define MP_WUR __attribute__((warn_unused_result))
#define MP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MP_NORETURN __attribute__((noreturn))

enum mp_err {
	ERR_OK = 0,
	ERR_INVAL,   /* bad argument or bad input syntax */
	ERR_PARSE,   /* input could not be parsed */
	ERR_LIMIT,   /* a configured bound (size, count, depth) was reached */
	ERR_IO,	     /* a system call failed */
	ERR_TIMEOUT, /* the peer did not answer in time */
	ERR_AGAIN,   /* data is not there yet: ask again once it is */
	ERR_NOTFOUND,
	ERR_NET, /* network or protocol trouble with a peer */
	ERR_TLS, /* TLS handshake or certificate failure */
	ERR_UNSUPPORTED,
	ERR__COUNT
};

/* Short stable English text for err; never NULL. */
const char *common_err_str(enum mp_err err);

#endif
