/*
 * tests/daemon/test_config: mailpulse.conf(5) through daemon/config: every
 * key and its default, ${VAR} and $$, secrets from *_file and systemd
 * credentials, the permission refusals on real files, lines longer than
 * inih's 200-byte default, the dump never showing a secret, the readiness
 * findings, and the documentation naming every key.  The errors are in
 * test_config_errors.c.  Each test writes its files under tap_tmpdir().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "tests/daemon/config_fixture.h"
#include "tests/lib/tap.h"

#define TOKEN "tok-Ab3dE5gH7jK9mN1pQ3sT5v"
#define SLACK "https://hooks.slack.com/services/T0SECRET/B0SECRET/slackSECRETxyz"
#define HOOK "https://hooks.example.net/in/hookSECRET42"
#define WHSEC "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define PASSWORD "smtp-pa55;word-SECRET"

static struct daemon_config_env env;
static char err[2048];
static char *dir, *creds;

/* Load text as "t.conf" with env; NULL (and err set) on failure. */
static struct daemon_config *load(const char *text)
{
	return config_fixture_load(&env, text, err, sizeof err);
}

/* The dump of text (NULL when it does not load); caller frees. */
static char *dump_of(const char *text)
{
	return config_fixture_dump_of(&env, text, err, sizeof err);
}

/* Write text as a config file of this mode in dir and load it for real. */
static enum mp_err load_file(const char *text, mode_t mode, struct daemon_config **out)
{
	return config_fixture_load_file(dir, text, mode, out, err, sizeof err);
}

static const char *getvar(void *ctx, const char *name)
{
	static const char *const vars[][2] = {{"STATE", "/srv/mp"},
					      {"TOKEN", TOKEN},
					      {"RESOLVER2", "198.51.100.53:5353"},
					      {"DOLLAR", "${TOKEN}-is-not-expanded"}};

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (strcmp(name, vars[i][0]) == 0)
			return vars[i][1];
	return NULL;
}

/* text must fail with a message containing want (file:line and key) and why. */
static void fails(const char *text, const char *want, const char *why)
{
	struct daemon_config *cfg = load(text);

	tap_ok(cfg == NULL && strstr(err, want) != NULL && strstr(err, why) != NULL,
	       "refused with '%s ... %s': %s", want, why, err);
	daemon_config_free(cfg);
}

static void test_defaults(void)
{
	struct daemon_config *cfg = load("[domain example.com]\n");
	const struct daemon_config_domain *d;

	if (!tap_ok(cfg != NULL, "a domain alone loads: %s", err))
		return;
	tap_is_str(cfg->source, "t.conf", "source");
	tap_is_str(cfg->daemon.state_dir, "/var/lib/mailpulse", "state_dir default");
	tap_is_int(cfg->daemon.log_level, LOG_LVL_INFO, "log_level default");
	tap_ok(cfg->daemon.trace == NULL, "no trace by default");
	tap_is_int(cfg->daemon.check_interval_s, 120, "check_interval default 2m");
	tap_is_int(cfg->daemon.jitter_s, 10, "jitter default");
	tap_is_int(cfg->daemon.failure_threshold, 2, "failure_threshold default");
	tap_is_int(cfg->daemon.success_threshold, 2, "success_threshold default");
	tap_is_int(cfg->daemon.group_wait_s, 30, "group_wait default 30s");
	tap_is_int((long long)cfg->dns.n_resolvers, 0, "resolv.conf by default");
	tap_is_int(cfg->dns.opts.timeout_ms, 2000, "dns timeout default");
	tap_is_int(cfg->dns.opts.tries, 2, "dns tries default");
	tap_is_int(cfg->dns.opts.max_qps, 200, "qps default");
	tap_is_int(cfg->dns.opts.max_in_flight, 256, "max_in_flight default");
	tap_is_int(cfg->dns.opts.cache_entries, 10000, "cache_size default");
	tap_is_int(cfg->dns.opts.cache_max_ttl, 300, "cache_max_ttl default");
	tap_is_str(cfg->web.listen_addr, "127.0.0.1", "listen address default");
	tap_is_int(cfg->web.listen_port, 8025, "listen port default");
	tap_ok(cfg->web.token.value == NULL && cfg->web.token.src == DAEMON_CONFIG_SRC_NONE,
	       "no token by default");
	tap_ok(cfg->web.public_url == NULL, "no public_url by default");
	tap_is_int(cfg->web.refresh_s, 60, "refresh default");
	tap_is_int(cfg->web.max_connections, 64, "max_connections default");
	tap_is_int(cfg->web.max_connections_per_ip, 16, "max_connections_per_ip default");
	tap_is_int(cfg->web.connection_timeout_s, 30, "connection_timeout default");
	tap_is_int((long long)cfg->n_domains, 1, "one domain");
	d = &cfg->domains[0];
	tap_is_str(d->name, "example.com", "domain name");
	tap_is_int(d->interval_s, 120, "domain interval inherits check_interval");
	tap_ok(d->discover_selectors && d->enabled && d->expect_dmarc == NULL &&
		   d->n_selectors == 0 && d->n_dkim_keys == 0,
	       "domain defaults");
	tap_is_int(d->line, 1, "domain line");
	daemon_config_free(cfg);
	cfg = load("");
	tap_ok(cfg != NULL && cfg->n_domains == 0 && cfg->n_alerts == 0, "an empty file loads");
	daemon_config_free(cfg);
}

static const char full[] = "; every key set\n"
			   "[daemon]\n"
			   "state_dir = ${STATE}/state\n"
			   "log_level = debug\n"
			   "trace = dns, spf\n"
			   "check_interval = 5m\n"
			   "jitter = 20s\n"
			   "failure_threshold = 3\n"
			   "success_threshold = 4\n"
			   "group_wait = 1m\n"
			   "\n"
			   "[dns]\n"
			   "resolvers = 192.0.2.53, ${RESOLVER2}\n"
			   "    [2001:db8::53]:53\n"
			   "timeout = 1500ms\n"
			   "tries = 3\n"
			   "qps = 50\n"
			   "max_in_flight = 10\n"
			   "cache_size = 0\n"
			   "cache_max_ttl = 1m\n"
			   "[web]\n"
			   "listen = [::1]:9000\n"
			   "token = ${TOKEN}\n"
			   "public_url = https://status.example.com/mp/\n"
			   "refresh = 30s\n"
			   "max_connections = 100\n"
			   "max_connections_per_ip = 5\n"
			   "connection_timeout = 15s\n"
			   "[domain Example.COM.]\n"
			   "selectors = s1, s2\n"
			   "dkim_key = s1=keys/s1.pem\n"
			   "interval = 1h\n"
			   "expect_dmarc = reject\n"
			   "discover_selectors = no\n"
			   "enabled = false\n"
			   "[domain b\xc3\xbc"
			   "cher.example]\n"
			   "[alert ops-slack]\n"
			   "type = slack\n"
			   "url_credential = slack\n"
			   "people = 3\n"
			   "min_severity = critical\n"
			   "reminder = 4h\n"
			   "timeout = 5s\n"
			   "ca_file = /etc/ssl/test-ca.pem\n"
			   "[alert pager]\n"
			   "type = webhook\n"
			   "url_file = hook-url\n"
			   "secret_credential = whsec\n"
			   "allow_insecure = no\n"
			   "people = 0\n"
			   "[alert ops-mail]\n"
			   "type = email\n"
			   "smtp_host = SMTP.example.net\n"
			   "smtp_port = 2525\n"
			   "tls = implicit\n"
			   "username = alerts\n"
			   "password_file = smtp-password\n"
			   "from = mailpulse@example.net\n"
			   "to = ops@example.net,\n"
			   "  Founder@Example.org\n"
			   "allow_insecure = yes\n";

static void check_full_main(const struct daemon_config *cfg)
{
	tap_is_str(cfg->daemon.state_dir, "/srv/mp/state", "state_dir with ${STATE}");
	tap_is_int(cfg->daemon.log_level, LOG_LVL_DEBUG, "log_level");
	tap_is_str(cfg->daemon.trace, "dns,spf", "trace");
	tap_is_int(cfg->daemon.check_interval_s, 300, "check_interval");
	tap_is_int(cfg->daemon.jitter_s, 20, "jitter");
	tap_is_int(cfg->daemon.failure_threshold, 3, "failure_threshold");
	tap_is_int(cfg->daemon.success_threshold, 4, "success_threshold");
	tap_is_int(cfg->daemon.group_wait_s, 60, "group_wait");
	tap_ok(cfg->dns.n_resolvers == 3 &&
		   strcmp(cfg->dns.resolvers[1], "198.51.100.53:5353") == 0 &&
		   strcmp(cfg->dns.resolvers[2], "[2001:db8::53]:53") == 0,
	       "resolvers over a continuation line, with ${}");
	tap_ok(cfg->dns.opts.n_servers == 3 && cfg->dns.opts.servers[0] == cfg->dns.resolvers[0],
	       "resolver opts point at the resolvers");
	tap_is_int(cfg->dns.opts.timeout_ms, 1500, "dns timeout");
	tap_is_int(cfg->dns.opts.tries, 3, "tries");
	tap_is_int(cfg->dns.opts.max_qps, 50, "qps");
	tap_is_int(cfg->dns.opts.max_in_flight, 10, "max_in_flight");
	tap_is_int(cfg->dns.opts.cache_entries, 0, "cache_size 0");
	tap_is_int(cfg->dns.opts.cache_max_ttl, 60, "cache_max_ttl");
	tap_ok(strcmp(cfg->web.listen_addr, "::1") == 0 && cfg->web.listen_port == 9000, "listen");
	tap_ok(cfg->web.token.value && strcmp(cfg->web.token.value, TOKEN) == 0 &&
		   cfg->web.token.src == DAEMON_CONFIG_SRC_ENV && cfg->web.token.line == 23,
	       "token from ${TOKEN}");
	tap_is_str(cfg->web.public_url, "https://status.example.com/mp/", "public_url");
	tap_is_int(cfg->web.refresh_s, 30, "refresh");
	tap_is_int(cfg->web.max_connections, 100, "max_connections");
	tap_is_int(cfg->web.max_connections_per_ip, 5, "max_connections_per_ip");
	tap_is_int(cfg->web.connection_timeout_s, 15, "connection_timeout");
}

static void check_full_domains(const struct daemon_config *cfg)
{
	const struct daemon_config_domain *d = &cfg->domains[0], *u = &cfg->domains[1];
	char *key = xasprintf("%s/keys/s1.pem", dir);

	tap_is_str(d->name, "example.com", "domain name lower-cased, trailing dot dropped");
	tap_ok(d->n_selectors == 2 && strcmp(d->selectors[1], "s2") == 0, "selectors");
	tap_ok(d->n_dkim_keys == 1 && strcmp(d->dkim_keys[0].selector, "s1") == 0 &&
		   strcmp(d->dkim_keys[0].path, key) == 0,
	       "dkim_key, relative path resolved");
	tap_is_int(d->interval_s, 3600, "interval");
	tap_is_str(d->expect_dmarc, "reject", "expect_dmarc");
	tap_ok(!d->discover_selectors && !d->enabled, "discover_selectors and enabled");
	tap_is_str(u->name, "xn--bcher-kva.example", "IDN domain in A-labels");
	tap_is_str(u->display,
		   "b\xc3\xbc"
		   "cher.example",
		   "IDN domain for display");
	tap_is_int(u->interval_s, 300, "second domain inherits check_interval");
	tap_ok(daemon_config_find_domain(cfg, "EXAMPLE.com") == d, "find_domain");
	tap_ok(daemon_config_find_domain(cfg, "other.example") == NULL, "find_domain miss");
	free(key);
}

static void check_full_alerts(const struct daemon_config *cfg)
{
	const struct daemon_config_alert *s = daemon_config_find_alert(cfg, "ops-slack");
	const struct daemon_config_alert *w = daemon_config_find_alert(cfg, "pager");
	const struct daemon_config_alert *m = daemon_config_find_alert(cfg, "ops-mail");

	if (!tap_ok(s && w && m && !daemon_config_find_alert(cfg, "nope"), "find_alert"))
		return;
	tap_ok(s->type == DAEMON_ALERT_SLACK && strcmp(s->url.value, SLACK) == 0 &&
		   s->url.src == DAEMON_CONFIG_SRC_CREDENTIAL && strcmp(s->url.from, "slack") == 0,
	       "slack url from a credential, newline stripped");
	tap_ok(s->people == 3 && s->min_severity == SEV_CRITICAL && s->reminder_s == 4 * 3600 &&
		   s->timeout_ms == 5000 && strcmp(s->ca_file, "/etc/ssl/test-ca.pem") == 0,
	       "slack people, min_severity, reminder, timeout, ca_file");
	tap_ok(w->type == DAEMON_ALERT_WEBHOOK && strcmp(w->url.value, HOOK) == 0 &&
		   w->url.src == DAEMON_CONFIG_SRC_FILE && strstr(w->url.from, "hook-url"),
	       "webhook url from a file");
	tap_ok(strcmp(w->signing_secret.value, WHSEC) == 0 && w->people == 0 &&
		   !w->allow_insecure && w->reminder_s == 0 && w->min_severity == SEV_WARN &&
		   w->timeout_ms == 10000,
	       "webhook secret, people 0, defaults");
	tap_ok(m->type == DAEMON_ALERT_EMAIL && strcmp(m->smtp_host, "smtp.example.net") == 0 &&
		   m->smtp_port == 2525 && m->smtp_tls == DAEMON_SMTP_IMPLICIT,
	       "email host, port, tls");
	tap_ok(strcmp(m->username, "alerts") == 0 && strcmp(m->password.value, PASSWORD) == 0 &&
		   m->password.src == DAEMON_CONFIG_SRC_FILE,
	       "email username and password_file");
	tap_ok(strcmp(m->from, "mailpulse@example.net") == 0 && m->n_to == 2 &&
		   strcmp(m->to[1], "Founder@example.org") == 0 && m->allow_insecure,
	       "email from, to over two lines, allow_insecure");
	tap_is_int(m->line, 51, "alert line");
}

static void test_full(void)
{
	struct daemon_config *cfg;
	char *p;

	p = xasprintf("%s/keys", dir);
	mkdir(p, 0700);
	free(p);
	config_fixture_write_in(dir, "keys/s1.pem", "-----BEGIN PRIVATE KEY-----\n", 0600);
	cfg = load(full);
	if (!tap_ok(cfg != NULL, "every key set loads: %s", err))
		return;
	check_full_main(cfg);
	check_full_domains(cfg);
	check_full_alerts(cfg);
	daemon_config_free(cfg);
}

static void test_secrets(void)
{
	struct daemon_config *cfg;
	char *p = xasprintf("%s/two-lines", dir);

	config_fixture_write(p, "first\nsecond\n", 0600);
	free(p);
	config_fixture_write_in(dir, "empty", "\n", 0600);
	config_fixture_write_in(dir, "loose", TOKEN "\n", 0644);
	cfg = load("[web]\ntoken = pa$$word-1234567890\n");
	tap_ok(cfg && strcmp(cfg->web.token.value, "pa$word-1234567890") == 0 &&
		   cfg->web.token.src == DAEMON_CONFIG_SRC_INLINE,
	       "$$ is a literal $ in an inline secret");
	daemon_config_free(cfg);
	cfg = load("[web]\ntoken = ${DOLLAR}\n");
	tap_ok(cfg && strcmp(cfg->web.token.value, "${TOKEN}-is-not-expanded") == 0,
	       "no second expansion");
	daemon_config_free(cfg);
	fails("[web]\ntoken_file = two-lines\n", "t.conf:2: [web] token_file", "one line");
	fails("[web]\ntoken_file = empty\n", "t.conf:2: [web] token_file", "empty");
	fails("[web]\ntoken_file = loose\n", "t.conf:2: [web] token_file", "chmod o-rwx");
	tap_ok(strstr(err, TOKEN) == NULL && strstr(err, "/loose") != NULL,
	       "the refusal names the file, not the secret");
	fails("[web]\ntoken_file = missing\n", "t.conf:2: [web] token_file", "missing");
	fails("[web]\ntoken = " TOKEN "\ntoken_file = loose\n", "t.conf:3: [web] token_file",
	      "token is already given at line 2");
	fails("[web]\ntoken_credential = web\ntoken = " TOKEN "\n", "t.conf:3: [web] token",
	      "already given");
	fails("[web]\ntoken_credential = nope\n", "t.conf:2: [web] token_credential",
	      "/creds/nope");
	fails("[web]\ntoken_credential = ../web\n", "t.conf:2: [web] token_credential",
	      "one file name");
	fails("[web]\ntoken = short\n", "t.conf:2: [web] token", "16 to 4096");
	fails("[web]\ntoken = ${UNDEFINED_VAR}\n", "t.conf:2: [web] token",
	      "UNDEFINED_VAR is not defined");
	fails("[web]\ntoken = pa$word-1234567890\n", "t.conf:2: [web] token", "lone '$'");
	tap_ok(strstr(err, "word-1234567890") == NULL, "lone $ error does not echo the secret");
	env.credentials_dir = NULL;
	fails("[web]\ntoken_credential = web\n", "t.conf:2: [web] token_credential",
	      "$CREDENTIALS_DIRECTORY is not set");
	env.credentials_dir = creds;
	cfg = load("[web]\ntoken_credential = web\n");
	tap_ok(cfg && strcmp(cfg->web.token.value, TOKEN) == 0 &&
		   cfg->web.token.src == DAEMON_CONFIG_SRC_CREDENTIAL,
	       "token from a credential: %s", err);
	daemon_config_free(cfg);
	env.base_dir = NULL;
	fails("[web]\ntoken_file = loose\n", "t.conf:2: [web] token_file", "absolute path");
	env.base_dir = dir;
}

static const char *const secrets[] = {TOKEN, SLACK, HOOK, WHSEC, PASSWORD};

static const char dumped[] = "[web]\ntoken = " TOKEN "\n"
			     "[domain example.com]\nexpect_dmarc = quarantine\n"
			     "[alert s]\ntype = slack\nurl = " SLACK "\n"
			     "[alert w]\ntype = webhook\nurl = " HOOK "\nsecret = " WHSEC "\n"
			     "[alert m]\ntype = email\nsmtp_host = 192.0.2.25\nusername = u\n"
			     "password = " PASSWORD "\nfrom = a@example.org\nto = b@example.org\n";

static void test_dump(void)
{
	char *out = dump_of(dumped), *again;
	size_t n = 0;

	if (!tap_ok(out != NULL, "config with every secret loads: %s", err))
		return;
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		tap_ok(strstr(out, secrets[i]) == NULL, "dump does not contain secret %zu", i);
	tap_ok(strstr(out, "SECRET") == NULL && strstr(out, "whsec_") == NULL &&
		   strstr(out, "hooks.") == NULL,
	       "dump does not contain any part of a secret");
	for (const char *p = out; (p = strstr(p, "= <secret>")) != NULL; p++)
		n++;
	tap_is_int((long long)n, 5, "five secrets shown as <secret>");
	tap_ok(strstr(out, "# token: written in the config file\n") != NULL,
	       "dump says where a secret came from");
	tap_ok(strstr(out, "expect_dmarc = quarantine\n") && strstr(out, "check_interval = 2m\n") &&
		   strstr(out, "listen = 127.0.0.1:8025\n") && strstr(out, "smtp_port = 587\n"),
	       "dump shows values and defaults");
	/* The dump (secrets aside) is itself a valid config. */
	again = dump_of(out);
	tap_ok(again == NULL && strstr(err, "token") != NULL, "dump reloads up to the secrets: %s",
	       err);
	free(again);
	free(out);
}

static void test_long_lines(void)
{
	char *text, *list = xstrdup("");
	struct daemon_config *cfg;
	char section[128];

	for (int i = 1; i <= 16; i++) {
		char *n = xasprintf("%s%s198.51.100.%d:53", list, i > 1 ? ", " : "", i);

		free(list);
		list = n;
	}
	tap_ok(strlen(list) > 200, "resolver list is %zu bytes on one line", strlen(list));
	text = xasprintf("[dns]\nresolvers = %s\n[web]\nrefresh = 10s\n", list);
	cfg = load(text);
	tap_ok(cfg && cfg->dns.n_resolvers == 16 &&
		   strcmp(cfg->dns.resolvers[15], "198.51.100.16:53") == 0 &&
		   cfg->web.refresh_s == 10,
	       "16 resolvers on one long line, and the next lines intact: %s", err);
	daemon_config_free(cfg);
	free(text);
	text = xasprintf("[web]\npublic_url = https://status.example.com/%0500d\n", 7);
	cfg = load(text);
	tap_ok(cfg && strlen(cfg->web.public_url) == 27 + 500, "a 527-byte URL kept whole");
	daemon_config_free(cfg);
	free(text);
	snprintf(section, sizeof section, "%s.%s.example.com",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	text = xasprintf("[domain %s]\nselectors = s1\n", section);
	cfg = load(text);
	tap_ok(cfg && strcmp(cfg->domains[0].name, section) == 0 &&
		   cfg->domains[0].n_selectors == 1,
	       "a section name of %zu bytes is not cut (inih keeps 49)", strlen(section) + 9);
	daemon_config_free(cfg);
	free(text);
	/* "[dns]\n" + a line of exactly n bytes: "resolvers = 192.0.2.1<spaces>192.0.2.2". */
	for (size_t n = 7999; n <= 8001; n++) {
		const char *head = "[dns]\nresolvers = 192.0.2.1";
		size_t hl = strlen(head), fill = n - (hl - 6) - 9;

		text = xcalloc(hl + fill + 9 + 2, 1);
		memcpy(text, head, hl);
		memset(text + hl, ' ', fill);
		memcpy(text + hl + fill, "192.0.2.2\n", 10);
		cfg = load(text);
		if (n <= 8000)
			tap_ok(cfg && cfg->dns.n_resolvers == 2,
			       "a line of %zu bytes is read whole: %s", n, err);
		else
			tap_ok(cfg == NULL &&
				   strstr(err, "t.conf:2: the line is longer than 8000 bytes"),
			       "a line of %zu bytes is refused: %s", n, err);
		daemon_config_free(cfg);
		free(text);
	}
	free(list);
}

static void test_docs(void);
static void test_readiness(void);
static void test_files(void);

int main(void)
{
	dir = xstrdup(tap_tmpdir());
	creds = xasprintf("%s/creds", dir);
	mkdir(creds, 0700);
	env.getvar = getvar;
	env.credentials_dir = creds;
	env.base_dir = dir;
	config_fixture_write_in(creds, "slack", SLACK "\n", 0400);
	config_fixture_write_in(creds, "whsec", WHSEC, 0400);
	config_fixture_write_in(creds, "web", TOKEN "\r\n", 0400);
	config_fixture_write_in(dir, "hook-url", HOOK "\n", 0640);
	config_fixture_write_in(dir, "smtp-password", PASSWORD "\n\n", 0600);
	test_defaults();
	test_full();
	test_secrets();
	test_dump();
	test_long_lines();
	test_readiness();
	test_files();
	test_docs();
	free(creds);
	free(dir);
	return tap_done();
}

/* The findings of text for domain (NULL: none); codes joined with spaces into out. */
static void readiness(const char *text, const char *domain, char *out, size_t outsz)
{
	struct daemon_config *cfg = load(text);
	struct dns_findings f;
	size_t n = 0;

	out[0] = '\0';
	if (cfg == NULL) {
		snprintf(out, outsz, "load failed: %.200s", err);
		return;
	}
	dns_findings_init(&f);
	daemon_config_readiness(cfg, domain, &f);
	for (size_t i = 0; i < f.n; i++) {
		bool ok = strcmp(f.v[i].check, "alerts") == 0 && f.v[i].sev == SEV_WARN &&
			  f.v[i].fix != NULL && f.v[i].message[0] != '\0';

		n += (size_t)snprintf(out + n, outsz - n, "%s%s%s", n ? " " : "", f.v[i].code,
				      ok ? "" : "(malformed)");
	}
	dns_findings_clear(&f);
	daemon_config_free(cfg);
}

#define MAIL(name, from, host, to)                                                                 \
	"[alert " name "]\ntype = email\nfrom = " from "\nsmtp_host = " host "\nto = " to "\n"

static void test_readiness(void)
{
	struct daemon_config *cfg;
	char got[256];

	readiness("[domain example.com]\n", "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SINGLE_RECIPIENT", "no alert at all: single recipient");
	readiness(MAIL("a", "mp@other.net", "smtp.other.net", "ops@example.net")
		      MAIL("b", "mp@other.net", "smtp.other.net", "OPS@example.net"),
		  "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SINGLE_RECIPIENT", "one address twice is one person");
	cfg = load(MAIL("a", "mp@other.net", "smtp.other.net", "ops@example.net, b@example.net")
		       MAIL("b", "mp@other.net", "smtp.other.net",
			    "OPS@example.net") "[alert s]\ntype = slack\nurl = " SLACK
					       "\npeople = 4\n");
	tap_ok(cfg && daemon_config_people_reached(cfg) == 6, "2 distinct addresses + 4 people");
	daemon_config_free(cfg);
	readiness(MAIL("a", "alerts@example.com", "smtp.other.net", "a@other.net, b@other.net"),
		  "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SHARES_FATE", "From in the monitored domain shares fate");
	readiness(MAIL("a", "alerts@example.com", "smtp.other.net", "a@other.net, b@other.net"),
		  "other.org", got, sizeof got);
	tap_is_str(got, "", "another monitored domain: all good");
	readiness(MAIL("a", "alerts@other.net", "Mail.Example.com", "a@other.net, b@other.net"),
		  "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SHARES_FATE", "relay under the monitored domain shares fate");
	readiness(MAIL("a", "alerts@mail.example.com", "192.0.2.25", "a@other.net, b@other.net"),
		  "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SHARES_FATE", "From in a subdomain shares fate");
	readiness(MAIL("a", "alerts@other.net", "mail.example.com", "a@other.net, b@other.net"),
		  "sub.example.com", got, sizeof got);
	tap_is_str(got, "", "a parent domain's relay does not share a subdomain's fate");
	readiness(MAIL("a", "alerts@example.com", "smtp.other.net", "a@other.net")
		      MAIL("b", "alerts@other.net", "smtp.other.net", "b@other.net"),
		  "example.com", got, sizeof got);
	tap_is_str(got, "", "one e-mail channel outside the domain is enough");
	readiness(MAIL("a", "alerts@example.com", "smtp.example.com",
		       "a@other.net") "[alert s]\ntype = slack\nurl = " SLACK "\npeople = 0\n",
		  "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SINGLE_RECIPIENT", "a Slack channel breaks shared fate (people 0)");
	readiness(MAIL("a", "alerts@example.com", "smtp.example.com", "a@other.net"), NULL, got,
		  sizeof got);
	tap_is_str(got, "ALERT_SINGLE_RECIPIENT", "no domain: only the global finding");
	readiness("[alert s]\ntype = slack\nurl = " SLACK "\n"
		  "[alert w]\ntype = webhook\nurl = " HOOK "\n",
		  "example.com", got, sizeof got);
	tap_is_str(got, "", "Slack and webhook, one person each: two people");
	readiness("[alert s]\ntype = slack\nurl = " SLACK "\n", "example.com", got, sizeof got);
	tap_is_str(got, "ALERT_SINGLE_RECIPIENT", "one Slack channel of one person");
}

static void test_files(void)
{
	struct daemon_config *cfg = NULL;
	char *p;

	tap_ok(load_file("[web]\ntoken = " TOKEN "\n", 0644, &cfg) == ERR_INVAL && cfg == NULL &&
		   strstr(err, "real.conf:2: [web] token:") && strstr(err, "chmod 600 ") &&
		   strstr(err, "0644") && !strstr(err, TOKEN),
	       "inline secret in a world-readable file refused: %s", err);
	tap_ok(load_file("[web]\ntoken = " TOKEN "\n", 0640, &cfg) == ERR_INVAL,
	       "inline secret in a group-readable file refused: %s", err);
	tap_ok(load_file("# x\n[alert s]\ntype = slack\nurl = " SLACK "\n", 0604, &cfg) ==
		       ERR_INVAL &&
		   strstr(err, ":4: [alert s] url:") && strstr(err, "url_credential") &&
		   !strstr(err, "SECRET"),
	       "inline Slack URL in a readable file refused: %s", err);
	tap_ok(load_file("[web]\ntoken = " TOKEN "\n", 0600, &cfg) == ERR_OK && cfg != NULL &&
		   strcmp(cfg->web.token.value, TOKEN) == 0,
	       "inline secret in a 0600 file loads: %s", err);
	daemon_config_free(cfg);
	tap_ok(load_file("[web]\ntoken_file = web-token\n[domain example.com]\n", 0644, &cfg) ==
		       ERR_INVAL &&
		   strstr(err, "web-token"),
	       "missing token_file named: %s", err);
	p = xasprintf("%s/web-token", dir);
	config_fixture_write(p, TOKEN "\n", 0600);
	tap_ok(load_file("[web]\ntoken_file = web-token\n", 0644, &cfg) == ERR_OK && cfg &&
		   strcmp(cfg->web.token.value, TOKEN) == 0 && strcmp(cfg->web.token.from, p) == 0,
	       "a readable file without inline secrets loads, token_file relative to it: %s", err);
	daemon_config_free(cfg);
	chmod(p, 0604);
	tap_ok(load_file("[web]\ntoken_file = web-token\n", 0600, &cfg) == ERR_INVAL &&
		   strstr(err, "readable by others") && strstr(err, "chmod o-rwx"),
	       "others-readable token_file refused: %s", err);
	free(p);
	setenv("MP_TEST_TOKEN", TOKEN, 1);
	tap_ok(load_file("[web]\ntoken = ${MP_TEST_TOKEN}\n", 0644, &cfg) == ERR_OK && cfg &&
		   cfg->web.token.src == DAEMON_CONFIG_SRC_ENV,
	       "a secret from the environment is not inline: %s", err);
	daemon_config_free(cfg);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);
	tap_ok(load_file("[web]\ntoken_credential = web\n", 0644, &cfg) == ERR_OK && cfg &&
		   strcmp(cfg->web.token.value, TOKEN) == 0,
	       "credential from $CREDENTIALS_DIRECTORY: %s", err);
	daemon_config_free(cfg);
	unsetenv("CREDENTIALS_DIRECTORY");
	tap_ok(load_file("[web]\ntoken_credential = web\n", 0644, &cfg) == ERR_INVAL &&
		   strstr(err, "CREDENTIALS_DIRECTORY"),
	       "no $CREDENTIALS_DIRECTORY: %s", err);
	p = xasprintf("%s/k.pem", dir);
	config_fixture_write(p, "-----BEGIN PRIVATE KEY-----\n", 0644);
	tap_ok(load_file("[domain example.com]\ndkim_key = s1=k.pem\n", 0644, &cfg) == ERR_INVAL &&
		   strstr(err, ":2: [domain example.com] dkim_key:") && strstr(err, "chmod o-rwx"),
	       "others-readable DKIM key refused: %s", err);
	chmod(p, 0600);
	tap_ok(load_file("[domain example.com]\ndkim_key = s1=k.pem\n", 0644, &cfg) == ERR_OK &&
		   cfg && strcmp(cfg->domains[0].dkim_keys[0].path, p) == 0,
	       "DKIM key relative to the config file: %s", err);
	daemon_config_free(cfg);
	free(p);
	tap_ok(daemon_config_load("/nonexistent/mailpulse.conf", &cfg, err, sizeof err) == ERR_IO &&
		   strstr(err, "/nonexistent/mailpulse.conf"),
	       "missing config file: %s", err);
	tap_ok(daemon_config_load(dir, &cfg, err, sizeof err) == ERR_INVAL,
	       "a directory is not a config file: %s", err);
}

/* Every key the dump of the full config shows is documented in both files. */
static void check_documented(const char *dump, const char *ex, const char *man)
{
	static const char *const forms[] = {
	    "token_file",  "token_credential",	"url_file",	 "url_credential",
	    "secret_file", "secret_credential", "password_file", "password_credential"};
	size_t keys = config_fixture_check_keys(dump, ex, man);

	tap_ok(keys >= 50, "the dump shows %zu keys", keys);
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		tap_ok(config_fixture_mentions(ex, forms[i]) &&
			   config_fixture_mentions(man, forms[i]),
		       "%s is documented", forms[i]);
}

static void test_docs(void)
{
	char *ex = config_fixture_slurp("examples/mailpulse.conf"),
	     *man = config_fixture_slurp("man/mailpulse.conf.5");
	char *dump = dump_of(full);
	char *all = xasprintf("%s%s", full, "[alert w2]\ntype = webhook\nurl = " HOOK "\n");
	struct daemon_config *cfg;

	if (ex == NULL || man == NULL || dump == NULL) {
		tap_ok(0, "examples/mailpulse.conf, man/mailpulse.conf.5 and a dump exist");
		free(ex);
		free(man);
		free(dump);
		free(all);
		return;
	}
	free(dump);
	dump = dump_of(all);
	check_documented(dump, ex, man);
	config_fixture_write_in(creds, "slack-webhook", SLACK "\n", 0400);
	cfg = load(ex);
	tap_ok(cfg && cfg->n_domains == 1 && cfg->n_alerts == 1, "the example loads: %s", err);
	daemon_config_free(cfg);
	free(all);
	free(dump);
	free(ex);
	free(man);
}
