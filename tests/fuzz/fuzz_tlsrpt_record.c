/* tests/fuzz/fuzz_tlsrpt_record: the TLS-RPT record parser (dns/tlsrpt). */
#include <stdint.h>
#include "dns/tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_tlsrpt_record r;
	char why[256];

	if (dns_tlsrpt_parse((const char *)data, size, &r, why, sizeof why) == ERR_OK)
		dns_tlsrpt_record_free(&r);
	return 0;
}
