/*
 * common/str: small string helpers that take lengths (STYLE.md 12, 14).
 * Replacements for the banned atoi/strncpy family.
 */
#ifndef MAILPULSE_COMMON_STR_H
#define MAILPULSE_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/err.h"

/* ASCII-only case folding; locale never matters for protocol text. */
static inline int common_str_lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* ASCII case-insensitive equality of two byte ranges. */
bool common_str_ieq(const char *a, size_t alen, const char *b, size_t blen);
/* Case-insensitive compare of a byte range with a C string. */
bool common_str_ieqz(const char *a, size_t alen, const char *z);
/* True when [s, s+len) starts with the C string prefix, ignoring case. */
bool common_str_iprefix(const char *s, size_t len, const char *prefix);
/* Lower-case a NUL-terminated string in place (ASCII). */
void common_str_lower(char *s);
/*
 * Parse an unsigned decimal [s, s+len) with no sign, no spaces, at least one
 * digit, value <= max.  *out is set only on success.
 */
enum mp_err common_str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *out) MP_WUR;
/* Copy a C string into dst of size dstsz, always NUL-terminated; ERR_LIMIT if cut. */
enum mp_err common_str_copy(char *dst, size_t dstsz, const char *src) MP_WUR;
/* Trim ASCII spaces and tabs from both ends of a range (pointers updated). */
void common_str_trim(const char **s, size_t *len);
/* True when every byte is printable ASCII (0x20..0x7e). */
bool common_str_is_printable(const char *s, size_t len);

/* a, b and c concatenated into a new string (caller frees); without printf, for hot paths. */
char *common_str_cat3(const char *a, const char *b, const char *c);

/*
 * Length of the well-formed UTF-8 sequence at s (left > 0 bytes available),
 * 1 to 4; 0 when the bytes there are not one (RFC 3629).
 */
size_t common_str_utf8_seq(const unsigned char *s, size_t left);

#endif
