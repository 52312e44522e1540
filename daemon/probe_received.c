/*
 * daemon/probe_received: the client address in a Received field (see the
 * header).  RFC 5321 4.4 (trace fields), 4.1.3 (address literals).
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include "daemon/probe_received.h"

static bool ip_literal(const char *s, size_t n, char *buf, size_t bufsz)
{
	char tmp[64];
	unsigned char bin[16];

	if (n >= 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		s += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof tmp || n >= bufsz)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, bin) != 1 && inet_pton(AF_INET6, tmp, bin) != 1)
		return false;
	memcpy(buf, tmp, n + 1);
	return true;
}

bool daemon_probe_received_ip(const char *msg, size_t len, char *buf, size_t bufsz)
{
	size_t i = 0;

	/* RFC 5321 4.4: the topmost Received field is the last hop's, added by the receiver. */
	while (i < len) {
		size_t eol = i;

		while (eol < len && msg[eol] != '\n')
			eol++;
		if (eol == i || (eol == i + 1 && msg[i] == '\r'))
			return false; /* end of the header block */
		if (eol - i > 9 && strncasecmp(msg + i, "Received:", 9) == 0) {
			size_t end = i + 9;

			/* the field with its folded continuation lines */
			while (end < len) {
				while (end < len && msg[end] != '\n')
					end++;
				if (end + 1 < len && (msg[end + 1] == ' ' || msg[end + 1] == '\t'))
					end++;
				else
					break;
			}
			for (size_t k = i + 9; k < end; k++) {
				const char *close;

				if (msg[k] != '[')
					continue;
				close = memchr(msg + k + 1, ']', end - k - 1);
				if (close != NULL &&
				    ip_literal(msg + k + 1, (size_t)(close - msg - k - 1), buf,
					       bufsz))
					return true;
			}
			return false;
		}
		i = eol + 1;
	}
	return false;
}
