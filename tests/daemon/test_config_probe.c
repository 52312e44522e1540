/*
 * tests/daemon/test_config_probe: the probe sections of mailpulse.conf(5)
 * through daemon/config (issue 4): [listener], [probe], [relay NAME],
 * [seed NAME] and the probe_* keys of [domain NAME]: every key and default,
 * each refusal with its "FILE:LINE: [section] key", the cross-section
 * checks, relay and seed passwords never in a dump or an error, the
 * permission refusals (inline password in a readable file, a TLS key
 * readable by others), the listener's accepted addresses, and the
 * documentation naming every key.  Files live under tap_tmpdir().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/config_probe.h"
#include "tests/daemon/config_fixture.h"
#include "tests/lib/tap.h"

#define PASSWORD "relay-pa55;word-SECRET"
#define SEEDPW "seed-app-pw-SECRET-9f8e"

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

static void fails(const char *text, const char *want, const char *why)
{
	struct daemon_config *cfg = load(text);

	tap_ok(cfg == NULL && strstr(err, want) != NULL && strstr(err, why) != NULL &&
		   strstr(err, PASSWORD) == NULL && strstr(err, SEEDPW) == NULL,
	       "refused with '%s ... %s': %s", want, why, err);
	daemon_config_free(cfg);
}

/* clang-format off */
static const char full[] =
	"[listener]\n"					/* 1 */
	"listen = [2001:db8::25]:2525\n"
	"hostname = mx.mailpulse.example\n"
	"tls_cert = cert.pem\n"
	"tls_key = key.pem\n"				/* 5 */
	"max_message = 20M\n"
	"max_connections = 40\n"
	"max_per_ip = 4\n"
	"idle_timeout = 2m\n"
	"addresses = probe@in.example, DMARC@In.Example\n"	/* 10 */
	"authserv_id = MX.mailpulse.example\n"
	"trusted_authserv_ids = mx.google.com,\n"
	"  Mx.Microsoft.com\n"
	"[probe]\n"
	"bounce_domain = bounces.example\n"		/* 15 */
	"verp_local = bnc\n"
	"timeout = 20m\n"
	"keep = 50\n"
	"[relay main]\n"
	"host = smtp.example.com\n"			/* 20 */
	"tls = implicit\n"
	"username = probe-user\n"
	"password = " PASSWORD "\n"
	"ca_file = /etc/ssl/ca.pem\n"
	"helo = probe.example.com\n"			/* 25 */
	"timeout = 30s\n"
	"[relay esp]\n"
	"host = 192.0.2.25\n"
	"port = 2525\n"
	"tls = none\n"					/* 30 */
	"allow_insecure = yes\n"
	"[seed gmail]\n"
	"host = imap.gmail.example\n"
	"username = seed@gmail.example\n"
	"password_credential = seedpw\n"		/* 35 */
	"address = seed@gmail.example\n"
	"spam = [Gmail]/Spam\n"
	"poll_interval = 5m\n"
	"delete = no\n"
	"[domain example.com]\n"			/* 40 */
	"dkim_key = s1=dkim.pem\n"
	"probe_interval = 1h\n"
	"probe_relay = main\n"
	"probe_from = probe@mail.example.com\n"
	"probe_to = probe@in.example, seed:gmail\n"	/* 45 */
	"probe_sign = s1\n"
	"[domain other.example]\n"
	"probe_interval = 30m\n"
	"probe_relay = esp\n"
	"probe_to = seed:gmail\n"			/* 50 */
	"[domain quiet.example]\n";
/* clang-format on */

static void check_full_listener(const struct daemon_config *cfg)
{
	tap_ok(cfg->listener.enabled && cfg->listener.line == 1, "listener enabled");
	tap_is_str(cfg->listener.listen_addr, "2001:db8::25", "listener address");
	tap_is_int(cfg->listener.listen_port, 2525, "listener port");
	tap_is_str(cfg->listener.hostname, "mx.mailpulse.example", "hostname");
	tap_ok(cfg->listener.tls_cert && strstr(cfg->listener.tls_cert, "/cert.pem") &&
		   cfg->listener.tls_cert[0] == '/',
	       "tls_cert made absolute");
	tap_ok(cfg->listener.tls_key && strstr(cfg->listener.tls_key, "/key.pem"), "tls_key");
	tap_is_int((long long)cfg->listener.max_message, 20LL * 1024 * 1024, "max_message 20M");
	tap_is_int(cfg->listener.max_connections, 40, "max_connections");
	tap_is_int(cfg->listener.max_per_ip, 4, "max_per_ip");
	tap_is_int(cfg->listener.idle_timeout_s, 120, "idle_timeout");
	tap_ok(cfg->listener.n_addresses == 2 &&
		   strcmp(cfg->listener.addresses[1], "DMARC@in.example") == 0,
	       "addresses (domain lower-cased)");
	tap_is_str(cfg->listener.authserv_id, "mx.mailpulse.example", "authserv_id lower-cased");
	tap_ok(cfg->listener.n_trusted_authserv_ids == 2 &&
		   strcmp(cfg->listener.trusted_authserv_ids[1], "mx.microsoft.com") == 0,
	       "trusted_authserv_ids over a continuation line, lower-cased");
	tap_is_str(cfg->probe.bounce_domain, "bounces.example", "bounce_domain");
	tap_is_str(cfg->probe.verp_local, "bnc", "verp_local");
	tap_is_int(cfg->probe.timeout_s, 1200, "probe timeout");
	tap_is_int(cfg->probe.keep, 50, "keep");
}

static void check_full_relays(const struct daemon_config *cfg)
{
	const struct daemon_config_relay *r = daemon_config_find_relay(cfg, "main");
	const struct daemon_config_relay *e = daemon_config_find_relay(cfg, "esp");
	const struct daemon_config_seed *s = daemon_config_find_seed(cfg, "gmail");

	tap_ok(cfg->n_relays == 2 && r && e && daemon_config_find_relay(cfg, "x") == NULL,
	       "two relays, found by name");
	if (r == NULL || e == NULL || s == NULL)
		return;
	tap_ok(strcmp(r->host, "smtp.example.com") == 0 && r->tls == DAEMON_SMTP_IMPLICIT &&
		   r->port == 465 && r->line == 19,
	       "relay main: host, implicit TLS, port 465 by default");
	tap_ok(r->password.value && strcmp(r->password.value, PASSWORD) == 0 &&
		   r->password.src == DAEMON_CONFIG_SRC_INLINE && r->password.line == 23,
	       "relay password inline");
	tap_ok(strcmp(r->username, "probe-user") == 0 &&
		   strcmp(r->ca_file, "/etc/ssl/ca.pem") == 0 &&
		   strcmp(r->helo, "probe.example.com") == 0 && r->timeout_ms == 30000,
	       "relay username, ca_file, helo, timeout");
	tap_ok(e->tls == DAEMON_SMTP_NONE && e->allow_insecure && e->port == 2525 &&
		   e->username == NULL && e->password.value == NULL && e->timeout_ms == 60000,
	       "relay esp: none with allow_insecure, no AUTH, default timeout");
	tap_ok(strcmp(s->host, "imap.gmail.example") == 0 && s->port == 993 &&
		   s->tls == DAEMON_SMTP_IMPLICIT,
	       "seed: implicit TLS on 993 by default");
	tap_ok(s->password.value && strcmp(s->password.value, SEEDPW) == 0 &&
		   s->password.src == DAEMON_CONFIG_SRC_CREDENTIAL,
	       "seed password from a credential");
	tap_ok(strcmp(s->address, "seed@gmail.example") == 0 && strcmp(s->inbox, "INBOX") == 0 &&
		   strcmp(s->spam, "[Gmail]/Spam") == 0 && s->poll_interval_s == 300 &&
		   !s->delete_found,
	       "seed address, folders, poll_interval, delete");
}

static void check_full_domains(const struct daemon_config *cfg)
{
	const struct daemon_config_domain *d = daemon_config_find_domain(cfg, "example.com");
	const struct daemon_config_domain *o = daemon_config_find_domain(cfg, "other.example");
	const struct daemon_config_domain *q = daemon_config_find_domain(cfg, "quiet.example");

	if (!tap_ok(d && o && q, "three domains"))
		return;
	tap_ok(d->probe.interval_s == 3600 && strcmp(d->probe.relay, "main") == 0 &&
		   strcmp(d->probe.from, "probe@mail.example.com") == 0,
	       "probe_interval, probe_relay, probe_from in a subdomain");
	tap_ok(d->probe.n_to == 2 && d->probe.to[0].seed == NULL &&
		   strcmp(d->probe.to[0].address, "probe@in.example") == 0 &&
		   strcmp(d->probe.to[1].seed, "gmail") == 0 &&
		   strcmp(d->probe.to[1].address, "seed@gmail.example") == 0,
	       "probe_to: a listener address and a seed (its address filled in)");
	tap_is_str(d->probe.sign, "s1", "probe_sign");
	tap_is_str(o->probe.from, "mailpulse-probe@other.example", "probe_from default");
	tap_ok(o->probe.sign == NULL && o->probe.n_to == 1, "unsigned, one seed");
	tap_ok(q->probe.interval_s == 0 && q->probe.relay == NULL && q->probe.n_to == 0,
	       "a domain without probes");
	tap_ok(daemon_config_any_probes(cfg), "any_probes");
}

static void test_full(void)
{
	struct daemon_config *cfg = load(full);

	if (!tap_ok(cfg != NULL, "the full probe config loads: %s", err))
		return;
	check_full_listener(cfg);
	check_full_relays(cfg);
	check_full_domains(cfg);
	tap_ok(daemon_config_listener_accepts(cfg, "probe@in.example"), "accepts a listed address");
	tap_ok(daemon_config_listener_accepts(cfg, "Probe@IN.example"), "case-insensitively");
	tap_ok(daemon_config_listener_accepts(cfg, "bnc+mpabc@bounces.example") &&
		   daemon_config_listener_accepts(cfg, "BNC@Bounces.Example"),
	       "accepts VERP bounce addresses");
	tap_ok(!daemon_config_listener_accepts(cfg, "bncx+a@bounces.example") &&
		   !daemon_config_listener_accepts(cfg, "bnc+a@other.example") &&
		   !daemon_config_listener_accepts(cfg, "someone@in.example") &&
		   !daemon_config_listener_accepts(cfg, "nobody") &&
		   !daemon_config_listener_accepts(cfg, "bnc@bounces.example.evil"),
	       "refuses everything else (never a relay)");
	daemon_config_free(cfg);
}

static void test_defaults(void)
{
	struct daemon_config *cfg = load("[domain example.com]\n");

	if (!tap_ok(cfg != NULL, "no probe sections loads: %s", err))
		return;
	tap_ok(!cfg->listener.enabled && cfg->listener.line == 0, "no listener by default");
	tap_ok(!daemon_config_listener_accepts(cfg, "bounce+x@example.com"),
	       "no listener accepts nothing");
	tap_ok(cfg->probe.bounce_domain == NULL && strcmp(cfg->probe.verp_local, "bounce") == 0 &&
		   cfg->probe.timeout_s == 900 && cfg->probe.keep == 200,
	       "[probe] defaults: verp_local bounce, timeout 15m, keep 200");
	tap_ok(cfg->n_relays == 0 && cfg->n_seeds == 0 && !daemon_config_any_probes(cfg),
	       "no relays, seeds or probes");
	daemon_config_free(cfg);
	cfg = load("[listener]\nhostname = mx.example.net\n[relay r]\nhost = smtp.example.net\n"
		   "[seed s]\nhost = imap.example.net\nusername = u\npassword_credential = seedpw\n"
		   "address = s@example.net\ntls = starttls\n");
	if (!tap_ok(cfg != NULL, "minimal listener, relay and seed load: %s", err))
		return;
	tap_ok(strcmp(cfg->listener.listen_addr, "127.0.0.1") == 0 &&
		   cfg->listener.listen_port == 25,
	       "listen default 127.0.0.1:25");
	tap_ok(cfg->listener.max_message == 10u * 1024 * 1024 &&
		   cfg->listener.max_connections == 32 && cfg->listener.max_per_ip == 8 &&
		   cfg->listener.idle_timeout_s == 300,
	       "listener limits default 10M, 32, 8, 5m");
	tap_is_str(cfg->listener.authserv_id, "mx.example.net", "authserv_id defaults to hostname");
	tap_ok(cfg->listener.tls_cert == NULL && cfg->listener.n_addresses == 0 &&
		   cfg->listener.n_trusted_authserv_ids == 0,
	       "no TLS, no extra addresses, no trusted ids");
	tap_ok(cfg->relays[0].port == 587 && cfg->relays[0].tls == DAEMON_SMTP_STARTTLS &&
		   cfg->relays[0].username == NULL,
	       "relay: STARTTLS on 587 by default");
	tap_ok(cfg->seeds[0].port == 143 && cfg->seeds[0].delete_found &&
		   strcmp(cfg->seeds[0].spam, "Junk") == 0 && cfg->seeds[0].poll_interval_s == 120,
	       "seed: starttls on 143, delete yes, Junk, 2m");
	daemon_config_free(cfg);
}

#define LST "[listener]\nhostname = mx.example.net\naddresses = p@in.example\n"
#define PRB "[probe]\nbounce_domain = b.example\n"
#define RLY "[relay r]\nhost = smtp.example.net\n"

static void test_errors_sections(void)
{
	fails("[listener]\nlisten = 127.0.0.1:25\n", "t.conf:1: [listener]", "hostname is missing");
	fails("[listener x]\n", "t.conf:1: [listener x]", "takes no name");
	fails(LST "[listener]\n", "t.conf:4: [listener]", "duplicate section (first at line 1)");
	fails(LST "listen = mx.example.net:25\n", "t.conf:4: [listener] listen", "");
	fails(LST "tls_cert = c.pem\n", "t.conf:1: [listener]", "both or neither");
	fails(LST "max_message = 200M\n", "t.conf:4: [listener] max_message", "1K to 100M");
	fails(LST "max_message = 10G\n", "t.conf:4: [listener] max_message", "1K to 100M");
	fails(LST "max_message = 12\n", "t.conf:4: [listener] max_message", "1K to 100M");
	fails(LST "max_per_ip = 50\n", "t.conf:4: [listener] max_per_ip", "larger than");
	fails(LST "idle_timeout = 1s\n", "t.conf:4: [listener] idle_timeout", "must be from");
	fails(LST "adresses = x@y.example\n", "t.conf:4: [listener] adresses",
	      "did you mean 'addresses'");
	fails("[listener]\nhostname = mx.example.net\naddresses = a@b.example, A@b.example\n",
	      "t.conf:3: [listener] addresses", "listed twice");
	fails("[listener]\nhostname = mx.example.net\naddresses = not-an-address\n",
	      "t.conf:3: [listener] addresses", "");
	fails(LST "authserv_id = mx example\n", "t.conf:4: [listener] authserv_id",
	      "not an authserv-id");
	fails(LST "hostname = localhost\n", "t.conf:4: [listener] hostname", "duplicate key");
	fails("[listener]\nhostname = localhost\n", "t.conf:2: [listener] hostname",
	      "not a host name");
	fails(PRB "verp_local = a+b\n", "t.conf:3: [probe] verp_local", "lower-case letters");
	fails(PRB "timeout = 30s\n", "t.conf:3: [probe] timeout", "must be from 1m");
	fails(PRB "keep = 0\n", "t.conf:3: [probe] keep", "");
	fails("[probe]\nbounce_domain = 192.0.2.1\n", "t.conf:2: [probe] bounce_domain",
	      "not a host name");
	fails("[relay]\nhost = a.example\n", "t.conf:1: [relay]", "needs a name");
	fails("[relay a/b]\nhost = a.example\n", "t.conf:1: [relay", "needs a name");
	fails(RLY RLY, "t.conf:3: [relay r]", "duplicate section (first at line 1)");
	fails("[relay r]\nport = 25\n", "t.conf:1: [relay r]", "host is missing");
	fails(RLY "tls = none\n", "t.conf:1: [relay r] tls", "allow_insecure = yes");
	fails(RLY "tls = ssl\n", "t.conf:3: [relay r] tls", "not one of starttls");
	fails(RLY "username = u\n", "t.conf:1: [relay r]", "username needs a password");
	fails(RLY "password = " PASSWORD "\n", "t.conf:1: [relay r]", "password needs a username");
	fails(RLY "password_file = nope\n", "t.conf:3: [relay r] password_file", "");
	fails(RLY "password_credential = a/b\n", "t.conf:3: [relay r] password_credential",
	      "one file name");
	fails("[seed s]\nhost = i.example\n", "t.conf:1: [seed s]", "are required");
	fails("[seed s]\nhost = i.example\nusername = u\npassword = " SEEDPW "\n",
	      "t.conf:1: [seed s]", "address is missing");
	fails("[seed s]\nhost = i.example\nusername = u\npassword = " SEEDPW
	      "\naddress = s@x.example\ntls = none\n",
	      "t.conf:6: [seed s] tls", "not one of implicit, starttls");
	fails("[seed s]\nhost = i.example\nusername = u\npassword = " SEEDPW
	      "\naddress = s@x.example\nspam = INBOX\n",
	      "t.conf:1: [seed s] spam", "same folder");
	fails("[seed s]\nhost = i.example\nusername = u\npassword = " SEEDPW
	      "\naddress = s@x.example\ninbox = a*b\n",
	      "t.conf:6: [seed s] inbox", "without");
	fails("[seeds x]\n", "t.conf:1: [seeds x]", "[seed NAME]");
}

static void test_errors_domains(void)
{
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 30s\n",
	      "t.conf:9: [domain example.com] probe_interval", "from 1m to 7d");
	fails(LST RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
		      "probe_to = p@in.example\n",
	      "t.conf:7: [domain example.com] probe_interval", "[probe] bounce_domain");
	fails(LST PRB "[domain example.com]\nprobe_interval = 1h\nprobe_to = p@in.example\n",
	      "t.conf:7: [domain example.com] probe_interval", "probe_relay is missing");
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = nope\n"
			  "probe_to = p@in.example\n",
	      "t.conf:10: [domain example.com] probe_relay", "there is no [relay nope]");
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n",
	      "t.conf:9: [domain example.com] probe_interval", "probe_to is missing");
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
			  "probe_to = seed:gmail\n",
	      "t.conf:11: [domain example.com] probe_to", "there is no [seed gmail]");
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
			  "probe_to = not-an-address\n",
	      "t.conf:11: [domain example.com] probe_to", "not-an-address");
	{
		/* Any valid address: an outside mailbox (forwarding to the
		   listener or a seed box), one the listener refuses (its bounce
		   comes back), even without a [listener]. */
		struct daemon_config *cfg =
		    load(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
				     "probe_to = other@in.example, fwd@outside.example\n");

		tap_ok(cfg && cfg->domains[0].probe.n_to == 2 &&
			   strcmp(cfg->domains[0].probe.to[0].address, "other@in.example") == 0 &&
			   strcmp(cfg->domains[0].probe.to[1].address, "fwd@outside.example") ==
			       0 &&
			   cfg->domains[0].probe.to[1].seed == NULL,
		       "probe_to: addresses the listener does not accept are allowed: %s", err);
		daemon_config_free(cfg);
		cfg = load(PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
				   "probe_to = p@in.example\n");
		tap_ok(cfg && cfg->domains[0].probe.n_to == 1 && !cfg->listener.enabled,
		       "probe_to: an address without a [listener] is allowed: %s", err);
		daemon_config_free(cfg);
	}
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
			  "probe_to = p@in.example, p@IN.example\n",
	      "t.conf:11: [domain example.com] probe_to", "listed twice");
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
			  "probe_to = seed:\n",
	      "t.conf:11: [domain example.com] probe_to", "[seed] name");
	fails(LST PRB RLY "[domain example.com]\nprobe_from = p@example.org\n",
	      "t.conf:9: [domain example.com] probe_from", "not in example.com");
	fails(LST PRB RLY "[domain example.com]\nprobe_from = p@badexample.com\n",
	      "t.conf:9: [domain example.com] probe_from", "not in example.com");
	fails(LST PRB RLY "[domain example.com]\nprobe_relay = r\n",
	      "t.conf:9: [domain example.com]", "need probe_interval");
	fails(LST PRB RLY "[domain example.com]\nprobe_interval = 1h\nprobe_relay = r\n"
			  "probe_to = p@in.example\nprobe_sign = s9\n",
	      "t.conf:12: [domain example.com] probe_sign", "selector s9 has no dkim_key");
	fails(LST PRB RLY "[domain example.com]\nprobe_sign = a b\n",
	      "t.conf:9: [domain example.com] probe_sign", "not a DKIM selector");
	fails(LST PRB RLY "[domain example.com]\nprobe_intervall = 1h\n",
	      "t.conf:9: [domain example.com] probe_intervall", "did you mean 'probe_interval'");
	{
		struct daemon_config *cfg =
		    load(LST PRB RLY "[domain example.com]\nprobe_interval = 0\n");

		tap_ok(cfg && cfg->domains[0].probe.interval_s == 0 &&
			   !daemon_config_any_probes(cfg),
		       "probe_interval = 0: no probes: %s", err);
		daemon_config_free(cfg);
	}
}

/* text with every "password = <secret>" read from the seedpw credential instead. */
static char *replace_secrets(const char *text)
{
	static const char from[] = "password = <secret>";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *p;

	while ((p = strstr(text, from)) != NULL) {
		fwrite(text, 1, (size_t)(p - text), f);
		fputs("password_credential = seedpw", f);
		text = p + strlen(from);
	}
	fputs(text, f);
	fclose(f);
	return buf;
}

static void test_dump(void)
{
	char *out = dump_of(full), *again;

	if (!tap_ok(out != NULL, "the full probe config dumps: %s", err))
		return;
	tap_ok(strstr(out, PASSWORD) == NULL && strstr(out, SEEDPW) == NULL &&
		   strstr(out, "pa55") == NULL,
	       "no password in the dump");
	tap_ok(strstr(out, "# password: written in the config file\npassword = <secret>\n") &&
		   strstr(out, "# password: from systemd credential seedpw\npassword = <secret>\n"),
	       "passwords shown as <secret> with their origin");
	tap_ok(strstr(out, "\n[relay main]\n") && strstr(out, "\n[seed gmail]\n") &&
		   strstr(out, "\n[listener]\nlisten = [2001:db8::25]:2525\n") &&
		   strstr(out, "probe_to = probe@in.example, seed:gmail\n") &&
		   strstr(out, "max_message = 20971520\n"),
	       "sections and probe keys dumped");
	/* The dump reads back (passwords replaced by a credential) to the same dump. */
	{
		char *text = replace_secrets(out);

		again = dump_of(text);
		tap_ok(again != NULL, "the dump loads again: %s", err);
		free(again);
		free(text);
	}
	free(out);
}

static void test_permissions(void)
{
	struct daemon_config *cfg = NULL;

	tap_ok(load_file(RLY "username = u\npassword = " PASSWORD "\n", 0644, &cfg) == ERR_INVAL &&
		   cfg == NULL && strstr(err, "real.conf:4: [relay r] password:") &&
		   strstr(err, "chmod 600") && strstr(err, "password_file") &&
		   !strstr(err, PASSWORD),
	       "an inline relay password in a readable file is refused: %s", err);
	tap_ok(load_file("[seed s]\nhost = i.example\nusername = u\npassword = " SEEDPW
			 "\naddress = s@x.example\n",
			 0640, &cfg) == ERR_INVAL &&
		   strstr(err, "real.conf:4: [seed s] password:") && !strstr(err, SEEDPW),
	       "an inline seed password in a group-readable file is refused: %s", err);
	tap_ok(load_file(RLY "username = u\npassword = " PASSWORD "\n", 0600, &cfg) == ERR_OK &&
		   cfg != NULL,
	       "mode 600 is fine: %s", err);
	daemon_config_free(cfg);
	cfg = NULL;
	tap_ok(load_file(RLY "username = u\npassword_file = relay-pw\n", 0644, &cfg) == ERR_OK &&
		   cfg && strcmp(cfg->relays[0].password.value, PASSWORD) == 0,
	       "password_file in a readable config is fine: %s", err);
	daemon_config_free(cfg);
	cfg = NULL;
	config_fixture_write_in(dir, "loose-key.pem",
				"-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n",
				0644);
	tap_ok(load_file("[listener]\nhostname = mx.example.net\ntls_cert = cert.pem\n"
			 "tls_key = loose-key.pem\n",
			 0644, &cfg) == ERR_INVAL &&
		   strstr(err, "real.conf:4: [listener] tls_key") && strstr(err, "chmod"),
	       "a TLS key readable by others is refused: %s", err);
	tap_ok(load_file("[listener]\nhostname = mx.example.net\ntls_cert = cert.pem\n"
			 "tls_key = missing.pem\n",
			 0644, &cfg) == ERR_INVAL &&
		   strstr(err, "real.conf:4: [listener] tls_key"),
	       "a missing TLS key is refused: %s", err);
	tap_ok(load_file("[listener]\nhostname = mx.example.net\ntls_cert = cert.pem\n"
			 "tls_key = key.pem\n",
			 0644, &cfg) == ERR_OK,
	       "a TLS key of mode 600 is fine: %s", err);
	daemon_config_free(cfg);
}

/* Every key of the probe sections is documented in the example and the man page. */
static void test_docs(void)
{
	static const char *const sections[] = {"[listener]", "[probe]", "[relay", "[seed"};
	char *dump = dump_of(full);

	config_fixture_check_docs(dump, "\n[domain example.com]", 40, "keys", sections,
				  sizeof sections / sizeof sections[0]);
	free(dump);
}

int main(void)
{
	config_fixture_env_init(&env, &dir, &creds);
	config_fixture_write_in(creds, "seedpw", SEEDPW "\n", 0400);
	config_fixture_write_in(dir, "relay-pw", PASSWORD "\n", 0600);
	config_fixture_write_in(
	    dir, "dkim.pem", "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n", 0600);
	config_fixture_write_in(
	    dir, "key.pem", "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n", 0600);
	config_fixture_write_in(
	    dir, "cert.pem", "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n", 0644);
	test_defaults();
	test_full();
	test_errors_sections();
	test_errors_domains();
	test_dump();
	test_permissions();
	test_docs();
	free(creds);
	free(dir);
	return tap_done();
}
