/*
 * tests/fuzz/fuzz_web_url: the request-target parser of the status server
 * (web/url).  Any bytes: no crash, no read past the input, and on success
 * the invariants the HTTP layer relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "web/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_url u;
	/* A private copy, so that reading one byte too far is caught by ASan. */
	char *t = malloc(size ? size : 1);
	size_t n = 0;

	if (t == NULL)
		return 0;
	memcpy(t, data, size);
	if (web_url_parse(t, size, &u) == ERR_OK) {
		size_t dl = strnlen(u.domain, sizeof u.domain);

		if (dl == sizeof u.domain)
			abort(); /* domain not terminated */
		if (dl > 0 && u.name_problem != NULL)
			abort(); /* both a name and a problem */
		for (size_t i = 0; i < dl; i++)
			if ((unsigned char)u.domain[i] <= 0x20 ||
			    (unsigned char)u.domain[i] >= 0x7f ||
			    (u.domain[i] >= 'A' && u.domain[i] <= 'Z'))
				abort(); /* not lower-case printable ASCII */
		if (u.n_params > WEB_URL_PARAMS)
			abort();
		for (size_t i = 0; i < u.n_params; i++) {
			if (u.params[i].value_len > WEB_URL_VALUE_MAX ||
			    strnlen(u.params[i].key, sizeof u.params[i].key) ==
				sizeof u.params[i].key)
				abort();
			if (web_url_param(&u, u.params[i].key, &n) == NULL)
				abort();
		}
		if (web_url_route_name(u.route) == NULL)
			abort();
	}
	free(t);
	return 0;
}
