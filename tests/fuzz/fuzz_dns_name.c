/*
 * tests/fuzz/fuzz_dns_name: dns/name on arbitrary bytes.  Invariants: a
 * converted name is valid, lower-case and converts to itself again; its
 * display form always fits DNS_NAME_DISPLAY_BUFSZ; the helpers never read
 * past the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why = NULL, *p;
	char out[DNS_NAME_BUFSZ], again[DNS_NAME_BUFSZ], disp[DNS_NAME_DISPLAY_BUFSZ];
	char *z = xmemdup0(data, size);
	size_t half = size / 2, plen = 0;

	if (dns_name_to_ascii(s, size, out, &why) == ERR_OK) {
		size_t n = strlen(out);

		check(dns_name_valid(out, n));
		for (size_t i = 0; i < n; i++)
			check(!(out[i] >= 'A' && out[i] <= 'Z'));
		check(dns_name_to_ascii(out, n, again, NULL) == ERR_OK && strcmp(out, again) == 0);
		check(dns_name_to_display(out, disp, sizeof disp) == ERR_OK);
	} else {
		check(why != NULL);
	}
	(void)!dns_name_to_display(z, disp, sizeof disp);
	(void)!dns_name_to_display(z, disp, 16);
	(void)dns_name_problem(s, size);
	(void)dns_name_is_hostname(s, size);
	(void)dns_name_equal(s, half, s + half, size - half);
	(void)dns_name_is_under(s, half, s + half, size - half);
	(void)dns_name_label_count(s, size);
	p = dns_name_parent(s, size, &plen);
	check(p == NULL || (p >= s && p + plen <= s + size));
	free(z);
	return 0;
}
