/*
 * tests/fuzz/fuzz_spf_ip: client address and ip4:/ip6: literal parsing
 * (RFC 7208 5.6, 4.3), and every spelling of a parsed address (the %{i},
 * %{c} macros and the reverse name).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "dns/spf_ip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup0(data, size);
	unsigned char b4[4], b16[16];
	struct dns_spf_ip ip;
	char buf[DNS_SPF_IP_TEXT_MAX];

	if (dns_spf_ip_parse(text, &ip) == ERR_OK) {
		dns_spf_ip_text(&ip, buf);
		dns_spf_ip_dotted(&ip, true, buf);
		dns_spf_ip_dotted(&ip, false, buf);
		dns_spf_ip_reverse_name(&ip, buf);
	}
	if (dns_spf_ip_parse4((const char *)data, size, b4) != ERR_OK)
		memset(b4, 0, sizeof b4);
	if (dns_spf_ip_parse6((const char *)data, size, b16) != ERR_OK)
		memset(b16, 0, sizeof b16);
	free(text);
	return 0;
}
