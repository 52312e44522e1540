/*
 * tests/daemon/test_config_errors: what daemon/config refuses, and how it
 * says so: "FILE:LINE: [section] key: why" for syntax, unknown and
 * duplicate keys and sections, bad bytes, bad values and incomplete alerts,
 * and never a secret value in the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "tests/lib/tap.h"

#define TOKEN "tok-Ab3dE5gH7jK9mN1pQ3sT5v"
#define SLACK "https://hooks.slack.com/services/T0SECRET/B0SECRET/slackSECRETxyz"
#define HOOK "https://hooks.example.net/in/hookSECRET42"

static struct daemon_config_env env;
static char err[2048];

/* Load text as "t.conf" with env; NULL (and err set) on failure. */
static struct daemon_config *load(const char *text)
{
	struct daemon_config *cfg = NULL;

	err[0] = 'x';
	if (daemon_config_load_string(text, strlen(text), "t.conf", &env, &cfg, err, sizeof err) !=
	    ERR_OK)
		return NULL;
	return cfg;
}

/* text must fail with a message containing want (file:line and key) and why. */
static void fails(const char *text, const char *want, const char *why)
{
	struct daemon_config *cfg = load(text);

	tap_ok(cfg == NULL && strstr(err, want) != NULL && strstr(err, why) != NULL,
	       "refused with '%s ... %s': %s", want, why, err);
	daemon_config_free(cfg);
}

static void test_secret_errors(void)
{
	static const char *const bad[] = {
	    "[alert s]\ntype = slack\nurl = http://" TOKEN ".example/x\n",
	    "[alert s]\ntype = slack\nurl = " TOKEN "\n",
	    "[alert w]\ntype = webhook\nurl = http://" TOKEN ".example/\n",
	    "[alert w]\ntype = webhook\nurl = " HOOK "\nsecret = whsec_" TOKEN "\n",
	    "[alert s]\ntype = slack\npasword = " TOKEN "\n",
	    "[alert s]\ntype = slack\nurl = " SLACK "\npassword = " TOKEN "\n",
	    "[alert m]\ntype = email\nurl = " TOKEN "\n",
	    "[web]\ntoken = " TOKEN " " TOKEN "\n",
	    "[web]\ntoken = " TOKEN "\n  " TOKEN "\n",
	    "[daemon]\nstate_dir = x\n[web]\ntoken = " TOKEN "\n[web]\n",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct daemon_config *cfg = load(bad[i]);

		tap_ok(cfg == NULL && strstr(err, "t.conf:") == err && strstr(err, TOKEN) == NULL &&
			   strstr(err, "tok-Ab3") == NULL,
		       "secret error %zu does not echo the secret: %s", i, err);
		daemon_config_free(cfg);
	}
	fails("[alert w]\ntype = webhook\nurl = http://192.0.2.9/x\n", "t.conf:3: [alert w] url",
	      "allow_insecure = yes");
}

static void test_errors_syntax(void)
{
	fails("[domain example.com]\nselector = s1\n", "t.conf:2: [domain example.com] selector",
	      "did you mean 'selectors'");
	fails("[daemon]\nfoo = 1\n", "t.conf:2: [daemon] foo", "unknown key");
	fails("[daemons]\n", "t.conf:1: [daemons]", "unknown section");
	fails("[daemon]\nlog_level = info\nlog_level = debug\n", "t.conf:3: [daemon] log_level",
	      "duplicate key (first at line 2)");
	fails("[web]\n\n[web]\n", "t.conf:3: [web]", "duplicate section (first at line 1)");
	fails("[domain example.com]\n[domain EXAMPLE.com.]\n",
	      "t.conf:2: [domain example.com]: ", "duplicate section (first at line 1)");
	fails("[alert a]\ntype = slack\nurl = " SLACK "\n[alert a]\ntype = slack\n",
	      "t.conf:4: [alert a]", "duplicate section");
	fails("state_dir = /x\n", "t.conf:1:", "outside any section");
	fails("[daemon]\njust words\n", "t.conf:2:", "expected 'key = value'");
	fails("[domain]\n", "t.conf:1: [domain]", "needs a name");
	fails("[daemon main]\n", "t.conf:1: [daemon main]", "takes no name");
	fails("[daemon] ; main\n", "t.conf:1:", "text after ']'");
	fails("[daemon\n", "t.conf:1:", "without a closing ']'");
	fails("[ ]\n", "t.conf:1:", "empty section name");
	fails("[daemon]\n  [web]\n", "t.conf:2:", "must start at the beginning");
	fails("[daemon]\nlog_level = info\n   jitter = 5s\n", "t.conf:2: [daemon] log_level",
	      "only lists continue");
	fails("[daemon]\n= 5\n", "t.conf:2:", "key name before '=' is missing");
	fails("[domain ex ample.com]\n", "t.conf:1: [domain ex ample.com]", "not a domain name");
	fails("[domain _dmarc.example.com]\n", "t.conf:1:", "letters, digits and hyphens");
	fails("[alert ops slack]\n", "t.conf:1:", "needs a name of letters");
	fails("[daemon]\nlog_level = info\n[bad\n", "t.conf:3:", "closing ']'");
	fails("[daemon]\nlog_level =\n", "t.conf:2: [daemon] log_level", "no value");
}

static void test_errors_bytes(void)
{
	static const char nul[] = "[daemon]\nlog_level = in\0fo\n";
	struct daemon_config *cfg = NULL;
	char *big;

	tap_ok(daemon_config_load_string(nul, sizeof nul - 1, "t.conf", &env, &cfg, err,
					 sizeof err) == ERR_INVAL &&
		   strstr(err, "t.conf:2: the line holds a NUL byte") != NULL,
	       "NUL byte refused: %s", err);
	fails("[daemon]\nlog_level = in\x1b[31mfo\n", "t.conf:2:", "control character (0x1b)");
	fails("[daemon]\r\nlog_level = loud\r\n", "t.conf:2: [daemon] log_level",
	      "'loud' is not one of");
	cfg = load("\xef\xbb\xbf[daemon]\r\nlog_level = warn\r\n");
	tap_ok(cfg && cfg->daemon.log_level == LOG_LVL_WARN, "BOM and CRLF accepted");
	daemon_config_free(cfg);
	cfg = NULL;
	big = xcalloc(DAEMON_CONFIG_FILE_MAX + 2, 1);
	memset(big, '#', DAEMON_CONFIG_FILE_MAX + 1);
	tap_ok(daemon_config_load_string(big, DAEMON_CONFIG_FILE_MAX + 1, "t.conf", &env, &cfg, err,
					 sizeof err) == ERR_LIMIT &&
		   strstr(err, "larger than") != NULL,
	       "file over 1 MiB refused: %s", err);
	for (size_t i = 0; i < 65536; i++)
		big[i] = (char)(0x80 + (i * 7) % 0x80);
	tap_ok(daemon_config_load_string(big, 65536, "t.conf", &env, &cfg, err, sizeof err) ==
		   ERR_INVAL,
	       "64 KB of invalid UTF-8 refused: %s", err);
	free(big);
}

static void test_errors_values(void)
{
	fails("[domain example.com]\ninterval = 5x\n", "t.conf:2: [domain example.com] interval",
	      "'5x' is not a duration");
	fails("[domain example.com]\ninterval = 10s\n", "t.conf:2: [domain example.com] interval",
	      "from 30s to 1d");
	fails("[domain example.com]\ninterval = 30500ms\n", "interval", "whole seconds");
	fails("[daemon]\nfailure_threshold = 0\n", "t.conf:2: [daemon] failure_threshold",
	      "out of range (1 to 100)");
	fails("[daemon]\ncheck_interval = 30s\njitter = 30s\n", "t.conf:3: [daemon] jitter",
	      "shorter than check_interval");
	fails("[daemon]\njitter = 1m\n[domain example.com]\ninterval = 45s\n",
	      "t.conf:3: [domain example.com] interval: 45s", "longer than [daemon] jitter 1m");
	fails("[dns]\nresolvers = ns1.example.com\n", "t.conf:2: [dns] resolvers",
	      "'ns1.example.com' is not an IP address");
	fails("[dns]\nresolvers = , ,\n", "t.conf:2: [dns] resolvers", "the list is empty");
	fails("[dns]\nresolvers = 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.6\n"
	      "  192.0.2.7 192.0.2.8 192.0.2.9 192.0.2.10 192.0.2.11 192.0.2.12 192.0.2.13\n"
	      "  192.0.2.14 192.0.2.15 192.0.2.16 192.0.2.17\n",
	      "t.conf:2: [dns] resolvers", "at most 16 resolvers");
	fails("[web]\nlisten = 127.0.0.1:0\n", "t.conf:2: [web] listen", "port");
	fails("[web]\nmax_connections = 10\nmax_connections_per_ip = 11\n",
	      "t.conf:3: [web] max_connections_per_ip", "larger than max_connections");
	fails("[web]\npublic_url = status.example.com\n", "t.conf:2: [web] public_url", "https://");
	fails("[domain example.com]\nexpect_dmarc = strict\n", "expect_dmarc",
	      "none, quarantine, reject");
	fails("[domain example.com]\nselectors = s1, bad_sel\n",
	      "t.conf:2: [domain example.com] selectors", "'bad_sel' is not a DKIM selector");
	fails("[domain example.com]\nselectors = s1 s1\n", "selectors", "listed twice");
	fails("[domain example.com]\ndkim_key = s1\n", "dkim_key", "SELECTOR=FILE");
	fails("[domain example.com]\ndkim_key = s1=/nonexistent/k.pem\n",
	      "t.conf:2: [domain example.com] dkim_key", "/nonexistent/k.pem");
	fails("[domain example.com]\nenabled = maybe\n", "enabled", "not yes or no");
	fails("[daemon]\ntrace = dns, SPF!\n", "trace", "not a subsystem");
	fails("[daemon]\nstate_dir = ${NOPE}/x\n", "t.conf:2: [daemon] state_dir",
	      "NOPE is not defined");
}

static void test_errors_alerts(void)
{
	fails("[alert a]\nurl = " SLACK "\n", "t.conf:1: [alert a]", "type is missing");
	fails("[alert a]\ntype = sms\n", "t.conf:2: [alert a] type", "slack, webhook, email");
	fails("[alert a]\ntype = slack\n", "t.conf:1: [alert a]", "url (or url_file");
	fails("[alert a]\ntype = slack\nurl = " SLACK "\nsmtp_host = x.example\n",
	      "t.conf:4: [alert a] smtp_host", "applies to email alerts only");
	fails("[alert a]\ntype = slack\nurl = " SLACK "\nallow_insecure = yes\n",
	      "t.conf:4: [alert a] allow_insecure", "webhook and email");
	fails("[alert a]\ntype = email\nsmtp_host = x.example\nfrom = a@example.com\n",
	      "t.conf:1: [alert a]", "to is missing");
	fails("[alert a]\ntype = email\nsmtp_host = x.example\nfrom = a@example.com\n"
	      "to = b@example.com\nusername = u\n",
	      "t.conf:1: [alert a]", "username needs a password");
	fails("[alert a]\ntype = email\nsmtp_host = x.example\nfrom = a@example.com\n"
	      "to = b@example.com\ntls = none\n",
	      "t.conf:1: [alert a] tls", "allow_insecure = yes");
	fails("[alert a]\ntype = email\nsmtp_host = x.example\nfrom = a@example.com\n"
	      "to = b@example.com, B@EXAMPLE.com\n",
	      "t.conf:5: [alert a] to", "listed twice");
	fails("[alert a]\ntype = email\nfrom = not-an-address\n", "t.conf:3: [alert a] from",
	      "'not-an-address' is not an e-mail address");
	fails("[alert a]\ntype = email\npeople = 2\n", "t.conf:3: [alert a] people",
	      "slack and webhook");
	fails("[alert a]\ntype = slack\nurl = " SLACK "\nreminder = 1m\n",
	      "t.conf:4: [alert a] reminder", "from 5m to 30d");
	fails("[alert a]\ntype = slack\ntype = email\n", "t.conf:3: [alert a] type",
	      "duplicate key");
	fails("[alert a]\ntype = slack\nurl = " SLACK "\nmin_severity = info\n", "min_severity",
	      "warn, critical");
}

int main(void)
{
	env.base_dir = tap_tmpdir();
	test_secret_errors();
	test_errors_syntax();
	test_errors_bytes();
	test_errors_values();
	test_errors_alerts();
	return tap_done();
}
