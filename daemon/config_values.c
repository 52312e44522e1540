/*
 * daemon/config_values: value syntaxes of mailpulse.conf(5) (see the header).
 * Every parser takes a NUL-terminated value that inih already trimmed; none
 * of them echoes the value in its "why" text.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common/buf.h"
#include "common/crypto.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "daemon/config_values.h"
#include "dns/name.h"

#define DURATION_MAX_MS (400ULL * 86400 * 1000)
#define URL_MAX 2048

static uint64_t unit_ms(const char *u, size_t n)
{
	if (n == 2 && memcmp(u, "ms", 2) == 0)
		return 1;
	if (n != 1)
		return 0;
	switch (u[0]) {
	case 's':
		return 1000;
	case 'm':
		return 60 * 1000;
	case 'h':
		return 3600 * 1000;
	case 'd':
		return 86400 * 1000;
	}
	return 0;
}

enum mp_err daemon_config_values_duration(const char *s, uint64_t *ms, const char **why)
{
	uint64_t total = 0, v;
	size_t i = 0, len = strlen(s);

	*why = "is not a duration (use e.g. 90, 30s, 5m, 1h30m, 2d)";
	if (len == 0)
		return ERR_INVAL;
	if (common_str_to_u64(s, len, DURATION_MAX_MS / 1000, &v) == ERR_OK) {
		*ms = v * 1000; /* plain seconds */
		return ERR_OK;
	}
	while (i < len) {
		size_t d = i, u;
		uint64_t mult;

		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		u = i;
		while (i < len && s[i] >= 'a' && s[i] <= 'z')
			i++;
		mult = unit_ms(s + u, i - u);
		if (u == d || mult == 0)
			return ERR_INVAL;
		if (common_str_to_u64(s + d, u - d, DURATION_MAX_MS, &v) != ERR_OK ||
		    v > (DURATION_MAX_MS - total) / mult) {
			*why = "is longer than 400 days";
			return ERR_INVAL;
		}
		total += v * mult;
	}
	*ms = total;
	return ERR_OK;
}

const char *daemon_config_values_duration_text(uint64_t ms, char buf[32])
{
	static const struct {
		uint64_t ms;
		char unit;
	} units[] = {{86400000, 'd'}, {3600000, 'h'}, {60000, 'm'}, {1000, 's'}};

	for (size_t i = 0; i < 4 && ms > 0; i++) {
		if (ms % units[i].ms == 0) {
			snprintf(buf, 32, "%llu%c", (unsigned long long)(ms / units[i].ms),
				 units[i].unit);
			return buf;
		}
	}
	if (ms == 0)
		snprintf(buf, 32, "0s");
	else
		snprintf(buf, 32, "%llums", (unsigned long long)ms);
	return buf;
}

enum mp_err daemon_config_values_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t len = strlen(s);

	for (size_t i = 0; i < 4; i++) {
		if (common_str_ieqz(s, len, yes[i])) {
			*out = true;
			return ERR_OK;
		}
		if (common_str_ieqz(s, len, no[i])) {
			*out = false;
			return ERR_OK;
		}
	}
	return ERR_INVAL;
}

enum mp_err daemon_config_values_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out,
				      const char **why)
{
	uint64_t v;

	if (common_str_to_u64(s, strlen(s), UINT64_MAX, &v) != ERR_OK) {
		*why = "is not a whole number";
		return ERR_INVAL;
	}
	if (v < min || v > max) {
		*why = "is out of range";
		return ERR_INVAL;
	}
	*out = v;
	return ERR_OK;
}

static enum mp_err parse_port(const char *p, unsigned *port, const char **why)
{
	uint64_t v;

	if (common_str_to_u64(p, strlen(p), 65535, &v) != ERR_OK || v == 0) {
		*why = "has a port that is not a number from 1 to 65535";
		return ERR_INVAL;
	}
	*port = (unsigned)v;
	return ERR_OK;
}

enum mp_err daemon_config_values_ipport(const char *s, char host[DAEMON_CONFIG_IP_BUFSZ],
					unsigned *port, const char **why)
{
	const char *colon = strrchr(s, ':'), *h = s, *p = NULL;
	unsigned char bin[16];
	size_t hlen = strlen(s);
	int af = AF_INET;

	*why = "is not an IP address with an optional port (192.0.2.1:53, [2001:db8::1]:53)";
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return ERR_INVAL;
		h = s + 1;
		hlen = (size_t)(end - h);
		p = end[1] == ':' ? end + 2 : NULL;
		af = AF_INET6;
	} else if (colon != NULL && strchr(s, ':') == colon) {
		hlen = (size_t)(colon - s);
		p = colon + 1;
	} else if (colon != NULL) {
		af = AF_INET6; /* a bare IPv6 literal: no port */
	}
	if (hlen == 0 || hlen >= DAEMON_CONFIG_IP_BUFSZ)
		return ERR_INVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (inet_pton(af, host, bin) != 1)
		return ERR_INVAL;
	*port = 0;
	return p ? parse_port(p, port, why) : ERR_OK;
}

/* True when [s, s+len) is an IPv4 or IPv6 literal. */
static bool is_ip(const char *s, size_t len, bool v6)
{
	char buf[DAEMON_CONFIG_IP_BUFSZ];
	unsigned char bin[16];

	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) == 1;
}

/* A host name (IDN allowed) [s, s+len) to A-labels in out; NULL reason on success. */
static const char *hostname_ascii(const char *s, size_t len, char out[DNS_NAME_BUFSZ])
{
	const char *why = NULL;

	if (len == 0)
		return "has an empty host name";
	if (len > DNS_NAME_INPUT_MAX || dns_name_to_ascii(s, len, out, &why) != ERR_OK)
		return "has a host name that is not a valid domain name";
	if (strcmp(out, ".") == 0 || !dns_name_is_hostname(out, strlen(out)))
		return "has a host name with characters other than letters, digits and hyphens";
	return NULL;
}

enum mp_err daemon_config_values_host(const char *s, char **ascii, const char **why)
{
	char name[DNS_NAME_BUFSZ];
	size_t len = strlen(s);

	if (is_ip(s, len, false) || is_ip(s, len, true)) {
		*ascii = xstrdup(s);
		return ERR_OK;
	}
	*why = hostname_ascii(s, len, name);
	if (*why != NULL)
		return ERR_INVAL;
	*ascii = xstrdup(name);
	return ERR_OK;
}

/* The authority of a URL, [a, a+len): [userinfo@]host[:port]. */
static enum mp_err url_authority(const char *a, size_t len, const char **why)
{
	const char *at = memrchr(a, '@', len), *h, *colon = NULL;
	char name[DNS_NAME_BUFSZ], port[8];
	size_t hlen;

	h = at ? at + 1 : a;
	hlen = len - (size_t)(h - a);
	if (hlen > 0 && h[0] == '[') {
		const char *end = memchr(h, ']', hlen);

		if (end == NULL || !is_ip(h + 1, (size_t)(end - h - 1), true)) {
			*why = "has a bad [IPv6] host";
			return ERR_INVAL;
		}
		colon = end + 1 < h + hlen ? end + 1 : NULL;
		if (colon != NULL && *colon != ':') {
			*why = "has junk after the [IPv6] host";
			return ERR_INVAL;
		}
	} else {
		colon = memchr(h, ':', hlen);
		if (colon != NULL)
			hlen = (size_t)(colon - h);
		if (!is_ip(h, hlen, false)) {
			*why = hostname_ascii(h, hlen, name);
			if (*why != NULL)
				return ERR_INVAL;
		}
	}
	if (colon != NULL) {
		size_t plen = len - (size_t)(colon + 1 - a);

		if (plen == 0 || plen >= sizeof port) {
			*why = "has a port that is not a number from 1 to 65535";
			return ERR_INVAL;
		}
		memcpy(port, colon + 1, plen);
		port[plen] = '\0';
		unsigned p;
		return parse_port(port, &p, why);
	}
	return ERR_OK;
}

enum mp_err daemon_config_values_url(const char *s, bool allow_http, const char **why)
{
	size_t len = strlen(s), skip, alen;

	if (len > URL_MAX) {
		*why = "is longer than 2048 bytes";
		return ERR_INVAL;
	}
	if (common_str_iprefix(s, len, "https://")) {
		skip = 8;
	} else if (common_str_iprefix(s, len, "http://")) {
		if (!allow_http) {
			*why = "must start with https:// (http:// sends it in clear text)";
			return ERR_INVAL;
		}
		skip = 7;
	} else {
		*why =
		    allow_http ? "must start with https:// or http://" : "must start with https://";
		return ERR_INVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
			*why = "has a space, a control character or a non-ASCII byte";
			return ERR_INVAL;
		}
	}
	alen = strcspn(s + skip, "/?#");
	return url_authority(s + skip, alen, why);
}

/* RFC 5322 3.2.3 atext. */
static bool is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

enum mp_err daemon_config_values_email(const char *s, char **norm, const char **why)
{
	const char *at = strrchr(s, '@');
	char name[DNS_NAME_BUFSZ];
	size_t llen;

	if (at == NULL || at == s) {
		*why = "is not an e-mail address (local@domain)";
		return ERR_INVAL;
	}
	llen = (size_t)(at - s);
	/* RFC 5321 4.5.3.1.1: a local part of at most 64 octets. */
	if (llen > 64) {
		*why = "has a local part longer than 64 octets";
		return ERR_INVAL;
	}
	/* RFC 5322 3.2.3 dot-atom: atext runs separated by single dots. */
	for (size_t i = 0; i < llen; i++) {
		bool dot_ok = i > 0 && i + 1 < llen && s[i - 1] != '.';

		if (!(is_atext((unsigned char)s[i]) || (s[i] == '.' && dot_ok))) {
			*why = "has a local part that is not a plain dot-atom (no quotes, "
			       "spaces or non-ASCII)";
			return ERR_INVAL;
		}
	}
	*why = hostname_ascii(at + 1, strlen(at + 1), name);
	if (*why != NULL)
		return ERR_INVAL;
	*norm = xasprintf("%.*s@%s", (int)llen, s, name);
	return ERR_OK;
}

const char *daemon_config_values_email_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : addr;
}

enum mp_err daemon_config_values_whsec(const char *s, const char **why)
{
	unsigned char *key = NULL;
	size_t klen = 0, len = strlen(s);
	enum mp_err rc = ERR_INVAL;

	*why = "must be a Standard Webhooks secret: whsec_ then base64 of 24 to 64 random bytes";
	if (len <= 6 || memcmp(s, "whsec_", 6) != 0 || len - 6 > 200)
		return ERR_INVAL;
	if (common_crypto_b64_decode(s + 6, len - 6, &key, &klen) != ERR_OK)
		return ERR_INVAL;
	if (klen >= 24 && klen <= 64)
		rc = ERR_OK;
	explicit_bzero(key, klen);
	free(key);
	return rc;
}

enum mp_err daemon_config_values_split(const char *s, size_t max, char ***items, size_t *n)
{
	const char *sep = ", \t\r\n";
	char **v = NULL;
	size_t k = 0;

	for (const char *p = s + strspn(s, sep); *p != '\0'; p += strspn(p, sep)) {
		size_t len = strcspn(p, sep);

		if (k == max) {
			daemon_config_values_strv_free(v, k);
			return ERR_LIMIT;
		}
		v = xreallocarray(v, k + 1, sizeof *v);
		v[k++] = xmemdup0(p, len);
		p += len;
	}
	if (k == 0)
		return ERR_INVAL;
	*items = v;
	*n = k;
	return ERR_OK;
}

void daemon_config_values_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static bool name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/* One "${NAME}" at raw (which starts with "${"): its value appended to b. */
static enum mp_err expand_var(const char **rawp, daemon_config_getvar_fn getvar, void *ctx,
			      struct buf *b, char *why, size_t whysz)
{
	const char *name = *rawp + 2, *end = name, *val;
	char var[128];

	while (name_char(*end, end == name))
		end++;
	if (*end != '}' || end == name || (size_t)(end - name) >= sizeof var) {
		snprintf(why, whysz,
			 "'${' must be followed by a variable name and '}' "
			 "(write $$ for a literal $)");
		return ERR_INVAL;
	}
	memcpy(var, name, (size_t)(end - name));
	var[end - name] = '\0';
	val = getvar ? getvar(ctx, var) : NULL;
	if (val == NULL) {
		snprintf(why, whysz, "environment variable %s is not defined", var);
		return ERR_INVAL;
	}
	*rawp = end + 1;
	if (common_buf_puts(b, val) != ERR_OK) {
		snprintf(why, whysz, "longer than %zu bytes after substituting ${%s}", b->max, var);
		return ERR_LIMIT;
	}
	return ERR_OK;
}

enum mp_err daemon_config_values_expand(const char *raw, daemon_config_getvar_fn getvar, void *ctx,
					size_t max, char **out, bool *used, char *why, size_t whysz)
{
	struct buf b;
	enum mp_err rc = ERR_OK;
	bool any = false;

	common_buf_init(&b, max);
	while (*raw != '\0' && rc == ERR_OK) {
		size_t lit = strcspn(raw, "$");

		if (common_buf_append(&b, raw, lit) != ERR_OK) {
			snprintf(why, whysz, "longer than %zu bytes", max);
			rc = ERR_LIMIT;
			break;
		}
		raw += lit;
		if (*raw == '\0')
			break;
		if (raw[1] == '$') {
			rc = common_buf_putc(&b, '$');
			raw += 2;
		} else if (raw[1] == '{') {
			rc = expand_var(&raw, getvar, ctx, &b, why, whysz);
			any = true;
		} else {
			snprintf(why, whysz,
				 "a lone '$' (write ${NAME} for a variable, $$ for a $)");
			rc = ERR_INVAL;
		}
	}
	if (rc != ERR_OK) {
		if (b.data != NULL)
			explicit_bzero(b.data, b.cap);
		common_buf_free(&b);
		return rc;
	}
	*used = any;
	*out = common_buf_steal(&b, NULL);
	return ERR_OK;
}

/* Read all of fd (at most max bytes) into a fresh buffer. */
static enum mp_err read_all(int fd, size_t max, char **data, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *p = xmalloc(cap + 1);

	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap > max)
				break;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			p = xreallocarray(p, cap + 1, 1);
		}
		r = read(fd, p + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			explicit_bzero(p, n);
			free(p);
			return ERR_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		explicit_bzero(p, n);
		free(p);
		return ERR_LIMIT;
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	return ERR_OK;
}

enum mp_err daemon_config_values_read_file(const char *path, size_t max, bool refuse_others,
					   char **data, size_t *len, mode_t *mode, char *why,
					   size_t whysz)
{
	struct stat st;
	enum mp_err rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		snprintf(why, whysz, "cannot open %s: %s", path, strerror(errno));
		return ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "%s is not a regular file", path);
		rc = ERR_INVAL;
	} else if (refuse_others && (st.st_mode & S_IROTH) != 0) {
		snprintf(
		    why, whysz,
		    "%s holds a secret and is readable by others (mode %04o); run: chmod o-rwx %s",
		    path, (unsigned)(st.st_mode & 07777), path);
		rc = ERR_INVAL;
	} else if ((uint64_t)st.st_size > max) {
		snprintf(why, whysz, "%s is larger than %zu bytes", path, max);
		rc = ERR_LIMIT;
	} else {
		rc = read_all(fd, max, data, len);
		if (rc == ERR_IO)
			snprintf(why, whysz, "cannot read %s: %s", path, strerror(errno));
		else if (rc == ERR_LIMIT)
			snprintf(why, whysz, "%s is larger than %zu bytes", path, max);
		else if (mode != NULL)
			*mode = st.st_mode;
	}
	close(fd);
	return rc;
}

unsigned daemon_config_values_distance(const char *a, const char *b)
{
	unsigned row[33], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la > 32 || lb > 32)
		return 9;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (unsigned j = 1; j <= lb; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}
