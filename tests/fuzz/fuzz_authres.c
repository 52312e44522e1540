/*
 * tests/fuzz/fuzz_authres: the RFC 8601 Authentication-Results parser
 * (mail/authres).  Every input that parses must respect the bounds, and
 * what the writer makes of it must parse again (unfolded) with the same
 * number of results: the writer never emits a field our parser refuses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mail/authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Drop CR and LF (RFC 5322 2.2.3 unfolding) in place; returns the new length. */
static size_t unfold(char *s)
{
	size_t w = 0;

	for (size_t r = 0; s[r]; r++)
		if (s[r] != '\r' && s[r] != '\n')
			s[w++] = s[r];
	s[w] = '\0';
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_authres ar, back;
	char why[256];
	char *out;
	size_t n;
	const char *colon;

	if (mail_authres_parse((const char *)data, size, &ar, why, sizeof why) != ERR_OK)
		return 0;
	if (ar.n_results > MAIL_AUTHRES_MAX_RESULTS || (ar.none && ar.n_results != 0))
		__builtin_trap();
	for (size_t i = 0; i < ar.n_results; i++)
		if (ar.results[i].n_props > MAIL_AUTHRES_MAX_PROPS ||
		    ar.results[i].method[0] == '\0' || ar.results[i].result[0] == '\0')
			__builtin_trap();
	out = mail_authres_write(&ar);
	n = unfold(out);
	colon = memchr(out, ':', n);
	if (colon == NULL)
		__builtin_trap();
	if (mail_authres_parse(colon + 1, n - (size_t)(colon + 1 - out), &back, why, sizeof why) !=
	    ERR_OK) {
		/* Only a field longer than the parser's bound may fail to come back. */
		if (n - (size_t)(colon + 1 - out) <= MAIL_AUTHRES_MAX_LEN)
			__builtin_trap();
	} else {
		if (back.n_results != ar.n_results)
			__builtin_trap();
		mail_authres_free(&back);
	}
	free(out);
	mail_authres_free(&ar);
	return 0;
}
