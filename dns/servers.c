/*
 * dns/servers: resolver addresses to c-ares' server CSV syntax (see
 * servers.h).  Moved out of dns/resolver: it is a parser of user input and
 * has nothing to do with c-ares' event loop.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "common/buf.h"
#include "common/str.h"
#include "dns/servers.h"

/* One "host[:port]" / "[v6][:port]" / bare v6 to c-ares CSV syntax. */
static enum mp_err server_csv(struct buf *csv, const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	const char *colon = strrchr(s, ':'), *port = NULL;
	size_t hlen = strlen(s);
	uint64_t p = 53;
	bool v6 = false;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return ERR_INVAL;
		hlen = (size_t)(end - s - 1);
		s++;
		port = end[1] == ':' ? end + 2 : NULL;
		v6 = true;
	} else if (colon != NULL && strchr(s, ':') == colon) {
		hlen = (size_t)(colon - s);
		port = colon + 1;
	} else if (colon != NULL) {
		v6 = true; /* a bare IPv6 literal */
	}
	if (hlen == 0 || hlen >= sizeof host)
		return ERR_INVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
		return ERR_INVAL;
	if (port && (common_str_to_u64(port, strlen(port), 65535, &p) != ERR_OK || p == 0))
		return ERR_INVAL;
	return common_buf_printf(csv, "%s%s%s%s:%u", csv->len ? "," : "", v6 ? "[" : "", host,
				 v6 ? "]" : "", (unsigned)p);
}

enum mp_err dns_servers_csv(const char *const *servers, size_t n, char **out)
{
	struct buf csv;
	enum mp_err e = ERR_OK;

	common_buf_init(&csv, 64 * 1024);
	for (size_t i = 0; i < n && e == ERR_OK; i++)
		e = server_csv(&csv, servers[i]);
	if (e == ERR_OK)
		*out = common_buf_steal(&csv, NULL);
	common_buf_free(&csv);
	return e;
}
