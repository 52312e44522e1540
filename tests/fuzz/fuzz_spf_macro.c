/*
 * tests/fuzz/fuzz_spf_macro: macro-string checking and expansion
 * (dns/spf_macro) with a fixed context.  The first byte picks the mode and
 * the client family; the rest is the string.  Checks that the checker and
 * the expander agree, that expansion is bounded, and that names come out
 * at most 253 octets whenever they can be cut.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expand_name(const struct dns_spf_macro_ctx *ctx, const char *s, size_t len)
{
	char *name = NULL;
	const char *why;
	size_t pos;
	enum mp_err e = dns_spf_macro_domain(ctx, s, len, &name);

	if (e == ERR_OK) {
		if (strlen(name) > DNS_SPF_NAME_MAX && strchr(name, '.') != NULL)
			abort(); /* 7.3: cut on the left while a label can go */
		(void)dns_spf_macro_name_ok(name);
		free(name);
	}
	if (dns_spf_macro_check_domain(s, len, &why, &pos) == ERR_OK &&
	    dns_spf_macro_check(s, len, DNS_SPF_MACRO_DOMAIN, &why, &pos) != ERR_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_spf_ip ip;
	struct dns_spf_macro_ctx ctx = {
	    .sender = "strong-bad@email.example.com",
	    .local = "strong-bad",
	    .sender_domain = "email.example.com",
	    .domain = "email.example.com",
	    .helo = "JUMPIN' JUPITER",
	    .ip = &ip,
	    .now = 1234567890,
	};
	enum dns_spf_macro_mode mode;
	const char *s, *why;
	size_t len, pos;
	struct buf out;
	enum mp_err checked, e;

	if (size == 0)
		return 0;
	mode = data[0] & 1 ? DNS_SPF_MACRO_EXPLAIN : DNS_SPF_MACRO_DOMAIN;
	ctx.hex_upper = data[0] & 4;
	if (dns_spf_ip_parse(data[0] & 2 ? "2001:db8::cb01" : "192.0.2.3", &ip) != ERR_OK)
		abort();
	s = (const char *)data + 1;
	len = size - 1;
	checked = dns_spf_macro_check(s, len, mode, &why, &pos);
	if (checked != ERR_OK && (why == NULL || pos > len))
		abort();
	common_buf_init(&out, DNS_SPF_MACRO_MAX);
	e = dns_spf_macro_expand(&ctx, s, len, mode, &out);
	/*
	 * Checker and expander agree: a valid string never fails on syntax,
	 * an expanded one was valid.  (Expansion stops at its first error, so
	 * "%{p}" without a book may fail before a later syntax error.)
	 */
	if ((checked == ERR_OK && e == ERR_PARSE) || (e == ERR_OK && checked != ERR_OK))
		abort();
	if (out.len > DNS_SPF_MACRO_MAX)
		abort();
	common_buf_free(&out);
	(void)dns_spf_macro_letters(s, len);
	if (mode == DNS_SPF_MACRO_DOMAIN)
		expand_name(&ctx, s, len);
	return 0;
}
