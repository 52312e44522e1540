/*
 * daemon/config_probe_dump: dump and free the probe configuration (see the
 * header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/config_probe.h"
#include "daemon/config_probe_dump.h"
#include "daemon/config_values.h"

/* ---- dump ---- */

static const char *dur(unsigned long long ms, char buf[32])
{
	return daemon_config_values_duration_text(ms, buf);
}

static void dump_list(FILE *f, const char *key, char *const *v, size_t n)
{
	fprintf(f, "%s =", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %s", i ? "," : "", v[i]);
	fputc('\n', f);
}

void daemon_config_probe_dump_domain(FILE *f, const struct daemon_config_domain *d)
{
	char b[32];

	if (d->probe.interval_s == 0)
		return;
	fprintf(f, "probe_interval = %s\nprobe_relay = %s\nprobe_from = %s\nprobe_to =",
		dur(d->probe.interval_s * 1000ULL, b), d->probe.relay, d->probe.from);
	for (size_t i = 0; i < d->probe.n_to; i++) {
		if (d->probe.to[i].seed != NULL)
			fprintf(f, "%s seed:%s", i ? "," : "", d->probe.to[i].seed);
		else
			fprintf(f, "%s %s", i ? "," : "", d->probe.to[i].address);
	}
	fputc('\n', f);
	if (d->probe.sign != NULL)
		fprintf(f, "probe_sign = %s\n", d->probe.sign);
	else
		fprintf(f, "# probe_sign: not set (probes are sent unsigned)\n");
}

static void dump_listener(FILE *f, const struct daemon_config *cfg)
{
	bool v6 = strchr(cfg->listener.listen_addr, ':') != NULL;
	char b[32];

	fprintf(f, "\n[listener]\nlisten = %s%s%s:%u\nhostname = %s\n", v6 ? "[" : "",
		cfg->listener.listen_addr, v6 ? "]" : "", cfg->listener.listen_port,
		cfg->listener.hostname);
	if (cfg->listener.tls_cert != NULL)
		fprintf(f, "tls_cert = %s\ntls_key = %s\n", cfg->listener.tls_cert,
			cfg->listener.tls_key);
	else
		fprintf(f, "# tls_cert, tls_key: not set (no STARTTLS)\n");
	fprintf(f, "max_message = %zu\nmax_connections = %u\nmax_per_ip = %u\n",
		cfg->listener.max_message, cfg->listener.max_connections, cfg->listener.max_per_ip);
	fprintf(f, "idle_timeout = %s\n", dur(cfg->listener.idle_timeout_s * 1000ULL, b));
	if (cfg->listener.n_addresses > 0)
		dump_list(f, "addresses", cfg->listener.addresses, cfg->listener.n_addresses);
	fprintf(f, "authserv_id = %s\n", cfg->listener.authserv_id);
	if (cfg->listener.n_trusted_authserv_ids > 0)
		dump_list(f, "trusted_authserv_ids", cfg->listener.trusted_authserv_ids,
			  cfg->listener.n_trusted_authserv_ids);
}

static void dump_relay(FILE *f, const struct daemon_config_relay *r)
{
	static const char *const tls[] = {"starttls", "implicit", "none"};
	char b[32];

	fprintf(f, "\n[relay %s]\nhost = %s\nport = %u\ntls = %s\n", r->name, r->host, r->port,
		tls[r->tls]);
	if (r->username != NULL)
		fprintf(f, "username = %s\n", r->username);
	daemon_config_dump_secret(f, "password", &r->password);
	if (r->ca_file != NULL)
		fprintf(f, "ca_file = %s\n", r->ca_file);
	fprintf(f, "allow_insecure = %s\n", r->allow_insecure ? "yes" : "no");
	if (r->helo != NULL)
		fprintf(f, "helo = %s\n", r->helo);
	fprintf(f, "timeout = %s\n", dur(r->timeout_ms, b));
}

static void dump_seed(FILE *f, const struct daemon_config_seed *s)
{
	char b[32];

	fprintf(f, "\n[seed %s]\nhost = %s\nport = %u\ntls = %s\nusername = %s\n", s->name, s->host,
		s->port, s->tls == DAEMON_SMTP_STARTTLS ? "starttls" : "implicit", s->username);
	daemon_config_dump_secret(f, "password", &s->password);
	if (s->ca_file != NULL)
		fprintf(f, "ca_file = %s\n", s->ca_file);
	fprintf(f, "address = %s\ninbox = %s\nspam = %s\npoll_interval = %s\n", s->address,
		s->inbox, s->spam, dur(s->poll_interval_s * 1000ULL, b));
	fprintf(f, "delete = %s\ntimeout = %s\n", s->delete_found ? "yes" : "no",
		dur(s->timeout_ms, b));
}

void daemon_config_probe_dump(FILE *f, const struct daemon_config *cfg)
{
	char b[32];

	if (cfg->listener.enabled)
		dump_listener(f, cfg);
	if (cfg->probe.line != 0 || daemon_config_any_probes(cfg)) {
		fprintf(f, "\n[probe]\n");
		if (cfg->probe.bounce_domain != NULL)
			fprintf(f, "bounce_domain = %s\n", cfg->probe.bounce_domain);
		fprintf(f, "verp_local = %s\ntimeout = %s\nkeep = %u\n", cfg->probe.verp_local,
			dur(cfg->probe.timeout_s * 1000ULL, b), cfg->probe.keep);
	}
	for (size_t i = 0; i < cfg->n_relays; i++)
		dump_relay(f, &cfg->relays[i]);
	for (size_t i = 0; i < cfg->n_seeds; i++)
		dump_seed(f, &cfg->seeds[i]);
}

/* ---- free ---- */

static void secret_free(struct daemon_config_secret *s)
{
	if (s->value != NULL)
		explicit_bzero(s->value, s->len);
	free(s->value);
	free(s->from);
}

void daemon_config_probe_free_domain(struct daemon_config_domain *d)
{
	free(d->probe.relay);
	free(d->probe.from);
	for (size_t i = 0; i < d->probe.n_to; i++) {
		free(d->probe.to[i].address);
		free(d->probe.to[i].seed);
	}
	free(d->probe.to);
	free(d->probe.sign);
}

void daemon_config_probe_free(struct daemon_config *cfg)
{
	free(cfg->listener.listen_addr);
	free(cfg->listener.hostname);
	free(cfg->listener.tls_cert);
	free(cfg->listener.tls_key);
	daemon_config_values_strv_free(cfg->listener.addresses, cfg->listener.n_addresses);
	free(cfg->listener.authserv_id);
	daemon_config_values_strv_free(cfg->listener.trusted_authserv_ids,
				       cfg->listener.n_trusted_authserv_ids);
	free(cfg->probe.bounce_domain);
	free(cfg->probe.verp_local);
	for (size_t i = 0; i < cfg->n_relays; i++) {
		struct daemon_config_relay *r = &cfg->relays[i];

		free(r->name);
		free(r->host);
		free(r->username);
		secret_free(&r->password);
		free(r->ca_file);
		free(r->helo);
	}
	free(cfg->relays);
	for (size_t i = 0; i < cfg->n_seeds; i++) {
		struct daemon_config_seed *s = &cfg->seeds[i];

		free(s->name);
		free(s->host);
		free(s->username);
		secret_free(&s->password);
		free(s->ca_file);
		free(s->address);
		free(s->inbox);
		free(s->spam);
	}
	free(cfg->seeds);
}
