/*
 * tests/daemon/test_config_values: the value syntaxes of mailpulse.conf(5)
 * (daemon/config_values), one table per parser, good and bad values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/crypto.h"
#include "common/xmalloc.h"
#include "daemon/config_values.h"
#include "tests/lib/tap.h"

static void test_duration(void)
{
	static const struct {
		const char *in;
		long long ms; /* -1: refused */
	} t[] = {
	    {"90", 90000},    {"0", 0},
	    {"30s", 30000},   {"5m", 300000},
	    {"1h", 3600000},  {"2d", 172800000},
	    {"500ms", 500},   {"1h30m", 5400000},
	    {"1m30s", 90000}, {"400d", 400LL * 86400000},
	    {"", -1},	      {"5x", -1},
	    {"m", -1},	      {"-1", -1},
	    {"1.5s", -1},     {"401d", -1},
	    {"5 m", -1},      {" 5m", -1},
	    {"5M", -1},	      {"99999999999999999999s", -1},
	    {"1h-", -1},      {"s5", -1},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t ms = 0;
		const char *why = NULL;
		enum mp_err rc = daemon_config_values_duration(t[i].in, &ms, &why);

		if (t[i].ms < 0)
			tap_ok(rc == ERR_INVAL && why != NULL, "duration '%s' refused", t[i].in);
		else
			tap_ok(rc == ERR_OK && ms == (uint64_t)t[i].ms, "duration '%s' = %lld ms",
			       t[i].in, t[i].ms);
	}
	tap_is_str(daemon_config_values_duration_text(120000, buf), "2m", "text of 2 minutes");
	tap_is_str(daemon_config_values_duration_text(90000, buf), "90s", "text of 90 s");
	tap_is_str(daemon_config_values_duration_text(1500, buf), "1500ms", "text of 1.5 s");
	tap_is_str(daemon_config_values_duration_text(0, buf), "0s", "text of 0");
	tap_is_str(daemon_config_values_duration_text(86400000, buf), "1d", "text of a day");
}

static void test_bool_uint(void)
{
	bool b = false;
	uint64_t v = 0;
	const char *why;

	tap_ok(daemon_config_values_bool("Yes", &b) == ERR_OK && b, "bool Yes");
	tap_ok(daemon_config_values_bool("off", &b) == ERR_OK && !b, "bool off");
	tap_ok(daemon_config_values_bool("1", &b) == ERR_OK && b, "bool 1");
	tap_ok(daemon_config_values_bool("nope", &b) == ERR_INVAL, "bool nope refused");
	tap_ok(daemon_config_values_uint("42", 1, 100, &v, &why) == ERR_OK && v == 42, "uint 42");
	tap_ok(daemon_config_values_uint("0", 1, 100, &v, &why) == ERR_INVAL, "uint below min");
	tap_ok(daemon_config_values_uint("101", 1, 100, &v, &why) == ERR_INVAL, "uint above max");
	tap_ok(daemon_config_values_uint("+5", 0, 100, &v, &why) == ERR_INVAL, "uint with sign");
	tap_ok(daemon_config_values_uint("5 ", 0, 100, &v, &why) == ERR_INVAL, "uint with space");
}

static void test_ipport(void)
{
	static const struct {
		const char *in, *host;
		unsigned port;
	} good[] = {{"192.0.2.1", "192.0.2.1", 0},
		    {"192.0.2.1:53", "192.0.2.1", 53},
		    {"[2001:db8::1]:5353", "2001:db8::1", 5353},
		    {"[2001:db8::1]", "2001:db8::1", 0},
		    {"2001:db8::1", "2001:db8::1", 0},
		    {"127.0.0.1:8025", "127.0.0.1", 8025}};
	static const char *const bad[] = {"ns.example.com",  "ns.example.com:53",  "192.0.2.1:0",
					  "192.0.2.1:65536", "192.0.2.1:",	   "[2001:db8::1",
					  "[2001:db8::1]x",  "[192.0.2.1]:53",	   "",
					  "192.0.2.256",     "[2001:db8::1]:53:53"};
	char host[DAEMON_CONFIG_IP_BUFSZ];
	const char *why;
	unsigned port;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		tap_ok(daemon_config_values_ipport(good[i].in, host, &port, &why) == ERR_OK &&
			   strcmp(host, good[i].host) == 0 && port == good[i].port,
		       "ip[:port] '%s'", good[i].in);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_ok(daemon_config_values_ipport(bad[i], host, &port, &why) == ERR_INVAL,
		       "ip[:port] '%s' refused", bad[i]);
}

static void test_host(void)
{
	char *a = NULL;
	const char *why;

	tap_ok(daemon_config_values_host("SMTP.Example.NET", &a, &why) == ERR_OK &&
		   strcmp(a, "smtp.example.net") == 0,
	       "host name lower-cased");
	free(a);
	a = NULL;
	tap_ok(daemon_config_values_host("b\xc3\xbc"
					 "cher.example",
					 &a, &why) == ERR_OK &&
		   strcmp(a, "xn--bcher-kva.example") == 0,
	       "IDN host name to A-labels");
	free(a);
	a = NULL;
	tap_ok(daemon_config_values_host("2001:db8::25", &a, &why) == ERR_OK, "IPv6 host");
	free(a);
	a = NULL;
	tap_ok(daemon_config_values_host("smtp_relay.example", &a, &why) == ERR_INVAL,
	       "underscore host refused");
	tap_ok(daemon_config_values_host("a..b", &a, &why) == ERR_INVAL, "empty label refused");
	tap_ok(daemon_config_values_host("", &a, &why) == ERR_INVAL, "empty host refused");
}

static void test_url(void)
{
	static const char *const good[] = {"https://hooks.slack.com/services/T000/B000/XXXX",
					   "HTTPS://example.com",
					   "https://192.0.2.10:8443/hook?x=1#frag",
					   "https://[2001:db8::1]:443/x",
					   "https://user:pa%40ss@example.com/x",
					   "https://xn--bcher-kva.example/"};
	static const char *const bad[] = {"http://example.com/x",
					  "ftp://example.com/",
					  "https://",
					  "https:///path",
					  "https://exa mple.com/",
					  "https://example.com:0/",
					  "https://example.com:99999/",
					  "https://[2001:db8::1/",
					  "https://[2001:db8::1]x/",
					  "https://ex_ample.com/",
					  "hooks.slack.com/services/x",
					  "https://example.com/\x7f",
					  ("https://b\xc3\xbc"
					   "cher.example/")};
	const char *why = NULL;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		tap_ok(daemon_config_values_url(good[i], false, &why) == ERR_OK, "url %zu ok", i);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_ok(daemon_config_values_url(bad[i], false, &why) == ERR_INVAL && why != NULL &&
			   strstr(why, "example") == NULL,
		       "url %zu refused without echoing it", i);
	tap_ok(daemon_config_values_url("http://127.0.0.1:9000/hook", true, &why) == ERR_OK,
	       "http:// allowed when asked");
	tap_ok(daemon_config_values_url("ftp://127.0.0.1/", true, &why) == ERR_INVAL,
	       "ftp:// refused even then");
}

static void test_email(void)
{
	static const struct {
		const char *in, *norm;
	} good[] = {{"ops@example.com", "ops@example.com"},
		    {"Ops.Team+alerts@Example.COM", "Ops.Team+alerts@example.com"},
		    {"x@b\xc3\xbc"
		     "cher.example",
		     "x@xn--bcher-kva.example"},
		    {"a!#$%&'*+-/=?^_`{|}~@example.com", "a!#$%&'*+-/=?^_`{|}~@example.com"}};
	static const char *const bad[] = {
	    "ops",
	    "@example.com",
	    "ops@",
	    "ops@@example.com",
	    "o ps@example.com",
	    ".ops@example.com",
	    "ops.@example.com",
	    "o..ps@example.com",
	    "ops@example..com",
	    "\"q\"@example.com",
	    "ops@[192.0.2.1]",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com"};
	const char *why;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char *n = NULL;

		tap_ok(daemon_config_values_email(good[i].in, &n, &why) == ERR_OK &&
			   strcmp(n, good[i].norm) == 0,
		       "address %s -> %s", good[i].in, good[i].norm);
		free(n);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *n = NULL;

		tap_ok(daemon_config_values_email(bad[i], &n, &why) == ERR_INVAL,
		       "address '%s' refused", bad[i]);
		free(n);
	}
	tap_is_str(daemon_config_values_email_domain("a@example.org"), "example.org",
		   "domain of an address");
}

static void test_whsec(void)
{
	unsigned char key[32];
	char *b64, *s;
	const char *why;

	memset(key, 0xa5, sizeof key);
	b64 = common_crypto_b64_encode(key, sizeof key);
	s = xasprintf("whsec_%s", b64);
	tap_ok(daemon_config_values_whsec(s, &why) == ERR_OK, "whsec_ with 32 bytes");
	tap_ok(daemon_config_values_whsec(b64, &why) == ERR_INVAL, "no whsec_ prefix refused");
	free(s);
	free(b64);
	b64 = common_crypto_b64_encode(key, 16);
	s = xasprintf("whsec_%s", b64);
	tap_ok(daemon_config_values_whsec(s, &why) == ERR_INVAL, "16 bytes is too short");
	free(s);
	free(b64);
	tap_ok(daemon_config_values_whsec("whsec_not*base64", &why) == ERR_INVAL,
	       "not base64 refused");
	tap_ok(daemon_config_values_whsec("whsec_", &why) == ERR_INVAL, "empty refused");
}

static void test_split(void)
{
	char **v = NULL;
	size_t n = 0;

	tap_ok(daemon_config_values_split(" a, b\tc,\n  d,,", 10, &v, &n) == ERR_OK && n == 4 &&
		   strcmp(v[0], "a") == 0 && strcmp(v[3], "d") == 0,
	       "list split on commas, blanks and newlines");
	daemon_config_values_strv_free(v, n);
	tap_ok(daemon_config_values_split(" , ", 10, &v, &n) == ERR_INVAL, "empty list refused");
	tap_ok(daemon_config_values_split("a b c", 2, &v, &n) == ERR_LIMIT, "list over its cap");
}

static const char *getvar(void *ctx, const char *name)
{
	if (strcmp(name, "HOME") == 0)
		return "/home/mp";
	if (strcmp(name, "LOOP") == 0)
		return "${HOME}";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

static void test_expand(void)
{
	char *out = NULL, why[200];
	bool used = true;

	tap_ok(daemon_config_values_expand("plain", getvar, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_OK &&
		   strcmp(out, "plain") == 0 && !used,
	       "no variable");
	free(out);
	tap_ok(daemon_config_values_expand("${HOME}/x$$y${EMPTY}", getvar, NULL, 100, &out, &used,
					   why, sizeof why) == ERR_OK &&
		   strcmp(out, "/home/mp/x$y") == 0 && used,
	       "${HOME}, $$ and an empty variable");
	free(out);
	tap_ok(daemon_config_values_expand("${LOOP}", getvar, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_OK &&
		   strcmp(out, "${HOME}") == 0,
	       "values are not expanded again");
	free(out);
	tap_ok(daemon_config_values_expand("a${NOPE}b", getvar, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_INVAL &&
		   strstr(why, "NOPE") != NULL,
	       "undefined variable named: %s", why);
	tap_ok(daemon_config_values_expand("pa$word", getvar, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_INVAL &&
		   strstr(why, "$$") != NULL && strstr(why, "word") == NULL,
	       "lone $ refused without echoing the value: %s", why);
	tap_ok(daemon_config_values_expand("${HOME", getvar, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_INVAL,
	       "unterminated ${ refused");
	tap_ok(daemon_config_values_expand("${1X}", getvar, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_INVAL,
	       "bad variable name refused");
	tap_ok(daemon_config_values_expand("${HOME}${HOME}", getvar, NULL, 10, &out, &used, why,
					   sizeof why) == ERR_LIMIT,
	       "result over the cap");
	tap_ok(daemon_config_values_expand("${HOME}", NULL, NULL, 100, &out, &used, why,
					   sizeof why) == ERR_INVAL,
	       "nothing defined without a lookup");
}

static void test_read_file(void)
{
	char *path = xasprintf("%s/f", tap_tmpdir()), *data = NULL, why[600];
	size_t len = 0;
	mode_t mode = 0;
	FILE *f = fopen(path, "w");

	fputs("content\n", f);
	fclose(f);
	chmod(path, 0640);
	tap_ok(daemon_config_values_read_file(path, 100, true, &data, &len, &mode, why,
					      sizeof why) == ERR_OK &&
		   len == 8 && strcmp(data, "content\n") == 0 && (mode & 0777) == 0640,
	       "file read with its mode");
	free(data);
	chmod(path, 0644);
	tap_ok(daemon_config_values_read_file(path, 100, true, &data, &len, &mode, why,
					      sizeof why) == ERR_INVAL &&
		   strstr(why, "chmod o-rwx") != NULL && strstr(why, "content") == NULL,
	       "others-readable secret file refused: %s", why);
	tap_ok(daemon_config_values_read_file(path, 4, false, &data, &len, NULL, why, sizeof why) ==
		   ERR_LIMIT,
	       "file over the cap");
	tap_ok(daemon_config_values_read_file(tap_tmpdir(), 100, false, &data, &len, NULL, why,
					      sizeof why) == ERR_INVAL,
	       "a directory is refused");
	tap_ok(daemon_config_values_read_file("/nonexistent/x", 100, false, &data, &len, NULL, why,
					      sizeof why) == ERR_IO &&
		   strstr(why, "/nonexistent/x") != NULL,
	       "missing file named");
	tap_ok(daemon_config_values_read_file("/dev/null", 100, false, &data, &len, NULL, why,
					      sizeof why) == ERR_INVAL,
	       "a device is refused");
	free(path);
}

int main(void)
{
	test_duration();
	test_bool_uint();
	test_ipport();
	test_host();
	test_url();
	test_email();
	test_whsec();
	test_split();
	test_expand();
	test_read_file();
	tap_is_int(daemon_config_values_distance("selector", "selectors"), 1, "distance 1");
	tap_is_int(daemon_config_values_distance("intreval", "interval"), 2, "distance 2");
	tap_is_int(daemon_config_values_distance("a", "zzzzzzzzzzzzzz"), 9, "distance capped");
	return tap_done();
}
