/*
 * tests/fuzz/fuzz_notify: daemon/notify and daemon/notify_mail on hostile
 * text.  The input is split at NUL bytes into: domain, check, finding code,
 * message, fix, sender display name, dashboard URL; the first byte picks
 * the event kinds and severities.  Every builder runs; the e-mail must keep
 * its promises: CRLF line ends only, 7-bit, no line over 998 octets, no
 * line that is a lone "." (SMTP end of data), and nothing after the header
 * block that looks like a header of ours injected by a CR or LF; the status
 * page link holds URI characters only, whatever the configured base.  Also feeds
 * the findings through the engine so its text caps run.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "common/xmalloc.h"
#include "daemon/alert.h"
#include "daemon/notify.h"
#include "daemon/notify_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 7

static void check_mail(const struct daemon_notify_msg *m)
{
	size_t col = 0, headers_end = 0;

	if (m->body_len < 4 || memcmp(m->body + m->body_len - 2, "\r\n", 2) != 0)
		abort();
	for (size_t i = 0; i < m->body_len; i++) {
		unsigned char c = (unsigned char)m->body[i];

		if (c == 0 || c > 127)
			abort();
		if (c == '\r') {
			if (i + 1 >= m->body_len || m->body[i + 1] != '\n')
				abort();
			if (col == 1 && m->body[i - 1] == '.')
				abort();
			if (col == 0 && headers_end == 0)
				headers_end = i;
			col = 0;
			i++;
			continue;
		}
		if (c == '\n' || ++col > 998)
			abort();
	}
	/* Every header line is a continuation or one of ours: nothing was injected. */
	for (size_t i = 0; i < headers_end; i++) {
		static const char *const ours[] = {"From:",
						   "To:",
						   "Subject:",
						   "Date:",
						   "Message-ID:",
						   "In-Reply-To:",
						   "References:",
						   "List-Id:",
						   "Auto-Submitted:",
						   "X-Auto-Response-Suppress:",
						   "X-Mailpulse-Event:",
						   "MIME-Version:",
						   "Content-Type:"};
		bool known = m->body[i] == ' ';

		if (i > 0 && m->body[i - 1] != '\n')
			continue;
		for (size_t k = 0; k < sizeof ours / sizeof ours[0] && !known; k++)
			known = strncmp(m->body + i, ours[k], strlen(ours[k])) == 0;
		if (!known)
			abort();
	}
}

/* A link is URI characters only (daemon_notify_link): safe in JSON, HTML and Slack as is. */
static void check_link(const struct daemon_notify_opts *o, const char *domain)
{
	char *l = daemon_notify_link(o, domain);

	for (const char *p = l; p != NULL && *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"<>|\\^`{}", *p) != NULL ||
		    (p[0] == '%' &&
		     !(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]))))
			abort();
	if (l != NULL && strlen(l) > DAEMON_NOTIFY_MAX_LINK)
		abort();
	free(l);
}

static void build(const struct daemon_alert_group *g, const char *from_name, const char *url)
{
	static const char *const to[] = {"alice@example.org", "bob@example.org"};
	struct daemon_notify_opts o = {.dashboard_url = url, .version = "fuzz"};
	struct daemon_notify_mail_opts mo = {
	    .from = "alerts@example.net", .from_name = from_name, .to = to, .nto = 2};
	static const unsigned char key[16] = "0123456789abcdef";
	struct daemon_notify_msg m;

	check_link(&o, g->domain);
	if (daemon_notify_slack(g, &o, &m) != ERR_OK)
		abort();
	daemon_notify_msg_free(&m);
	for (size_t i = 0; i < g->nevents; i++) {
		if (daemon_notify_webhook(&g->events[i], &o, "fuzz-1", 1787407380, key, sizeof key,
					  &m) != ERR_OK)
			abort();
		daemon_notify_msg_free(&m);
	}
	if (daemon_notify_mail(g, &o, &mo, "fuzz-1", 1787407380, &m) != ERR_OK)
		abort();
	check_mail(&m);
	daemon_notify_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[NFIELDS] = {"example.com", "dkim", "DKIM_KEY_MISSING", "", NULL, NULL, NULL};
	char *copy;
	struct daemon_alert_config c;
	struct daemon_alert *a;
	struct dns_findings fs;
	struct daemon_alert_batch b;
	unsigned mode;

	if (size < 1 || size > 65536)
		return 0;
	mode = data[0];
	copy = xmemdup0(data + 1, size - 1);
	for (size_t i = 0, k = 0, start = 0; i <= size - 1 && k < NFIELDS; i++) {
		if (i == size - 1 || copy[i] == '\0') {
			f[k++] = copy + start;
			start = i + 1;
		}
	}
	daemon_alert_config_default(&c);
	c.failures = 1;
	c.successes = 1;
	c.group_wait = 0;
	if (daemon_alert_new(&c, &a, NULL, 0) != ERR_OK)
		abort();
	dns_findings_init(&fs);
	dns_findings_add(&fs, f[1][0] ? f[1] : "dkim", f[2], (mode & 1) ? SEV_CRITICAL : SEV_WARN,
			 f[4], NULL, 0, "%s", f[3]);
	daemon_alert_observe(a, f[0][0] ? f[0] : "example.com", &fs, 1000, NULL);
	daemon_alert_tick(a, 1000, &b);
	for (size_t i = 0; i < b.ngroups; i++)
		build(&b.groups[i], f[5], f[6]);
	daemon_alert_batch_free(&b);
	if (mode & 2) {
		/* Resolve it: a delivered firing owes a RESOLVED message. */
		struct daemon_alert_record *v;
		size_t n;

		daemon_alert_export(a, &v, &n);
		for (size_t i = 0; i < n; i++)
			daemon_alert_delivery(a, v[i].episode_id, DAEMON_ALERT_FIRING_EV, true,
					      1001);
		daemon_alert_records_free(v, n);
		dns_findings_clear(&fs);
		dns_findings_add(&fs, f[1][0] ? f[1] : "dkim", "OK", SEV_OK, NULL, NULL, 0, "ok");
		daemon_alert_observe(a, f[0][0] ? f[0] : "example.com", &fs, 5000, NULL);
		daemon_alert_tick(a, 5000, &b);
		for (size_t i = 0; i < b.ngroups; i++)
			build(&b.groups[i], f[5], f[6]);
		daemon_alert_batch_free(&b);
	}
	dns_findings_clear(&fs);
	daemon_alert_free(a);
	free(copy);
	return 0;
}
