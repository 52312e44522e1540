/*
 * tests/fuzz/fuzz_probe_received: the client address of the topmost
 * Received field (daemon/probe_received, RFC 5321 4.4 and 4.1.3) over any
 * bytes, NULs and unterminated headers included.  The message is given
 * without a terminating NUL, so ASan sees any read past its end.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/probe_received.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = xmalloc(size ? size : 1);
	char ip[64];
	unsigned char bin[16];

	memcpy(msg, data, size);
	if (daemon_probe_received_ip(msg, size, ip, sizeof ip) &&
	    inet_pton(AF_INET, ip, bin) != 1 && inet_pton(AF_INET6, ip, bin) != 1)
		abort(); /* what it returns is always an address */
	(void)daemon_probe_received_ip(msg, size, ip,
				       8); /* a small buffer is refused, not overrun */
	free(msg);
	return 0;
}
