/*
 * tests/daemon/test_config_report: the report sections of mailpulse.conf(5)
 * through daemon/config (issue 5): [reports] and [report_mailbox NAME]:
 * every key and default, each refusal with its "FILE:LINE: [section] key",
 * the cross-section checks (a [reports] address needs a [listener]), the
 * mailbox password never in a dump or an error, the permission refusal of
 * an inline password in a readable file, the recipient lookups, and the
 * documentation naming every key.  Files live under tap_tmpdir().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "common/xmalloc.h"
#include "daemon/config.h"
#include "daemon/config_probe.h"
#include "daemon/config_report.h"
#include "tests/daemon/config_fixture.h"
#include "tests/lib/tap.h"

#define MBPW "mbox-pa55-SECRET-77aa"
#define MBPW2 "cred-pw-SECRET-1234"

static struct daemon_config_env env;
static char err[2048];
static char *dir, *creds;

static struct daemon_config *load(const char *text)
{
	return config_fixture_load(&env, text, err, sizeof err);
}

static char *dump_of(const char *text)
{
	return config_fixture_dump_of(&env, text, err, sizeof err);
}

static void fails(const char *text, const char *want, const char *why)
{
	struct daemon_config *cfg = load(text);

	tap_ok(cfg == NULL && strstr(err, want) != NULL && strstr(err, why) != NULL &&
		   strstr(err, MBPW) == NULL && strstr(err, MBPW2) == NULL,
	       "refused with '%s ... %s': %s", want, why, err);
	daemon_config_free(cfg);
}

/* clang-format off */
static const char full[] =
	"[daemon]\n"					/* 1 */
	"state_dir = /var/lib/mp-test\n"
	"[listener]\n"
	"hostname = mx.mailpulse.example\n"
	"addresses = probe@in.example\n"		/* 5 */
	"[reports]\n"
	"addresses = dmarc@in.example, TLSRPT@In.Example,\n"
	"  ruf@in.example\n"
	"drop_dir = drop\n"
	"drop_interval = 10s\n"				/* 10 */
	"quarantine_dir = /srv/quarantine\n"
	"max_size = 128M\n"
	"max_ratio = 500\n"
	"max_api_body = 2048K\n"
	"compliance_floor = 90%\n"			/* 15 */
	"recommend_threshold = 99.5\n"
	"recommend_days = 14\n"
	"unknown_min_messages = 500\n"
	"new_source_days = 3\n"
	"keep_days = 90\n"				/* 20 */
	"[report_mailbox dmarc]\n"
	"host = imap.example.com\n"
	"username = reports@example.com\n"
	"password = " MBPW "\n"
	"ca_file = /etc/ssl/ca.pem\n"			/* 25 */
	"folder = DMARC/Incoming\n"
	"poll_interval = 10m\n"
	"delete = no\n"
	"timeout = 30s\n"
	"[report_mailbox tls.rpt]\n"			/* 30 */
	"host = 192.0.2.143\n"
	"tls = starttls\n"
	"username = tls\n"
	"password_credential = mbpw\n";
/* clang-format on */

static void test_defaults(void)
{
	struct daemon_config *cfg = load("[daemon]\nstate_dir = /var/lib/x\n");

	if (!tap_ok(cfg != NULL, "a config without [reports] loads: %s", err))
		return;
	tap_ok(cfg->reports.line == 0 && cfg->reports.n_addresses == 0 &&
		   cfg->reports.drop_dir == NULL && cfg->n_report_mailboxes == 0,
	       "no section: no addresses, no drop dir, no mailboxes");
	tap_is_str(cfg->reports.quarantine_dir, "/var/lib/x/quarantine",
		   "quarantine_dir defaults to <state_dir>/quarantine");
	tap_is_int(cfg->reports.drop_interval_s, 30, "drop_interval 30s");
	tap_is_int((long long)cfg->reports.max_size, 64LL << 20, "max_size 64 MiB");
	tap_is_int(cfg->reports.max_ratio, 100, "max_ratio 100");
	tap_is_int((long long)cfg->reports.max_api_body, 16LL << 20, "max_api_body 16 MiB");
	tap_ok(cfg->reports.compliance_floor > 0.9499 && cfg->reports.compliance_floor < 0.9501,
	       "compliance_floor 0.95");
	tap_ok(cfg->reports.recommend_threshold > 0.9899 &&
		   cfg->reports.recommend_threshold < 0.9901,
	       "recommend_threshold 0.99");
	tap_is_int(cfg->reports.recommend_days, 30, "recommend_days 30");
	tap_is_int((long long)cfg->reports.unknown_min_messages, 50, "unknown_min_messages 50");
	tap_is_int(cfg->reports.new_source_days, 7, "new_source_days 7");
	tap_is_int(cfg->reports.keep_days, 400, "keep_days 400");
	daemon_config_free(cfg);
}

static void check_full_reports(const struct daemon_config *cfg)
{
	char *drop = xasprintf("%s/drop", dir);

	tap_ok(cfg->reports.line == 6 && cfg->reports.n_addresses == 3 &&
		   strcmp(cfg->reports.addresses[1], "TLSRPT@in.example") == 0 &&
		   strcmp(cfg->reports.addresses[2], "ruf@in.example") == 0,
	       "addresses over a continuation line (domain lower-cased)");
	tap_is_str(cfg->reports.drop_dir, drop, "drop_dir relative to the config directory");
	tap_is_str(cfg->reports.quarantine_dir, "/srv/quarantine", "quarantine_dir");
	tap_is_int(cfg->reports.drop_interval_s, 10, "drop_interval");
	tap_is_int((long long)cfg->reports.max_size, 128LL << 20, "max_size 128M");
	tap_is_int(cfg->reports.max_ratio, 500, "max_ratio");
	tap_is_int((long long)cfg->reports.max_api_body, 2048LL * 1024, "max_api_body 2048K");
	tap_ok(cfg->reports.compliance_floor > 0.8999 && cfg->reports.compliance_floor < 0.9001,
	       "compliance_floor 90%% = 0.90");
	tap_ok(cfg->reports.recommend_threshold > 0.99499 &&
		   cfg->reports.recommend_threshold < 0.99501,
	       "recommend_threshold 99.5 = 0.995");
	tap_ok(cfg->reports.recommend_days == 14 && cfg->reports.unknown_min_messages == 500 &&
		   cfg->reports.new_source_days == 3 && cfg->reports.keep_days == 90,
	       "recommend_days, unknown_min_messages, new_source_days, keep_days");
	free(drop);
}

static void check_full_mailboxes(const struct daemon_config *cfg)
{
	const struct daemon_config_report_mailbox *a =
	    daemon_config_find_report_mailbox(cfg, "dmarc");
	const struct daemon_config_report_mailbox *b =
	    daemon_config_find_report_mailbox(cfg, "tls.rpt");

	if (!tap_ok(cfg->n_report_mailboxes == 2 && a && b &&
			daemon_config_find_report_mailbox(cfg, "x") == NULL,
		    "two mailboxes, found by name"))
		return;
	tap_ok(strcmp(a->host, "imap.example.com") == 0 && a->port == 993 &&
		   a->tls == DAEMON_SMTP_IMPLICIT && a->line == 21,
	       "mailbox dmarc: implicit TLS on 993 by default");
	tap_ok(strcmp(a->password.value, MBPW) == 0 &&
		   a->password.src == DAEMON_CONFIG_SRC_INLINE && a->password.line == 24,
	       "inline password");
	tap_ok(strcmp(a->username, "reports@example.com") == 0 &&
		   strcmp(a->ca_file, "/etc/ssl/ca.pem") == 0 &&
		   strcmp(a->folder, "DMARC/Incoming") == 0 && a->poll_interval_s == 600 &&
		   !a->delete_read && a->timeout_ms == 30000,
	       "username, ca_file, folder, poll_interval, delete, timeout");
	tap_ok(strcmp(b->host, "192.0.2.143") == 0 && b->tls == DAEMON_SMTP_STARTTLS &&
		   b->port == 143 && strcmp(b->folder, "INBOX") == 0 && b->poll_interval_s == 300 &&
		   b->delete_read && b->timeout_ms == 60000 && b->ca_file == NULL,
	       "mailbox tls.rpt: starttls on 143, defaults");
	tap_ok(b->password.value && strcmp(b->password.value, MBPW2) == 0 &&
		   b->password.src == DAEMON_CONFIG_SRC_CREDENTIAL,
	       "password from a credential");
}

static void test_full(void)
{
	struct daemon_config *cfg = load(full);

	if (!tap_ok(cfg != NULL, "the full report config loads: %s", err))
		return;
	check_full_reports(cfg);
	check_full_mailboxes(cfg);
	tap_ok(daemon_config_report_is_address(cfg, "Dmarc@IN.example") &&
		   !daemon_config_report_is_address(cfg, "probe@in.example") &&
		   !daemon_config_report_is_address(cfg, "dmarc@in.example.org"),
	       "is_address: case-insensitive, exact");
	tap_ok(
	    daemon_config_report_rcpts_match(cfg, "x@y.example,<tlsrpt@in.example>") &&
		daemon_config_report_rcpts_match(cfg, "ruf@in.example") &&
		!daemon_config_report_rcpts_match(cfg, "probe@in.example,dmarc@in.example.org") &&
		!daemon_config_report_rcpts_match(cfg, "") &&
		!daemon_config_report_rcpts_match(cfg, "mdmarc@in.example"),
	    "rcpts_match over a recipient list");
	tap_ok(daemon_config_listener_accepts(cfg, "DMARC@in.example") &&
		   daemon_config_listener_accepts(cfg, "probe@in.example") &&
		   !daemon_config_listener_accepts(cfg, "other@in.example"),
	       "the listener accepts the report addresses");
	daemon_config_free(cfg);
}

#define LST "[listener]\nhostname = mx.example.net\n"
#define MB "[report_mailbox m]\nhost = imap.example.com\nusername = u\n"

static void test_errors_reports(void)
{
	fails("[reports]\naddresses = dmarc@example.com\n", "t.conf:2: [reports] addresses",
	      "reports address dmarc@example.com needs a [listener] to receive it");
	fails("[reports]\naddresses = not-an-address\n" LST, "t.conf:2: [reports] addresses", "");
	fails(LST "[reports]\naddresses = a@x.example, A@X.example\n",
	      "t.conf:4: [reports] addresses", "twice");
	fails(LST "addresses = d@x.example\n[reports]\naddresses = d@x.example\n",
	      "t.conf:5: [reports] addresses", "also a [listener] address");
	fails(LST "[probe]\nbounce_domain = b.example\n[reports]\naddresses = bounce@b.example\n",
	      "t.conf:6: [reports] addresses", "bounce (VERP) address");
	fails("[reports]\ndrop_interval = 0s\n", "t.conf:2: [reports] drop_interval", "");
	fails("[reports]\ndrop_interval = 2d\n", "t.conf:2: [reports] drop_interval", "");
	fails("[reports]\nmax_size = 2G\n", "t.conf:2: [reports] max_size", "1K to 1G");
	fails("[reports]\nmax_size = 100\n", "t.conf:2: [reports] max_size", "1K to 1G");
	fails("[reports]\nmax_size = 12X\n", "t.conf:2: [reports] max_size", "1K to 1G");
	fails("[reports]\nmax_api_body = -1\n", "t.conf:2: [reports] max_api_body", "1K to 1G");
	fails("[reports]\nmax_ratio = 9\n", "t.conf:2: [reports] max_ratio", "");
	fails("[reports]\nmax_ratio = 10001\n", "t.conf:2: [reports] max_ratio", "");
	fails("[reports]\ncompliance_floor = 101\n", "t.conf:2: [reports] compliance_floor",
	      "percentage from 0 to 100");
	fails("[reports]\ncompliance_floor = 0.9.5\n", "t.conf:2: [reports] compliance_floor",
	      "percentage");
	fails("[reports]\ncompliance_floor = 95.123\n", "t.conf:2: [reports] compliance_floor",
	      "percentage");
	fails("[reports]\nrecommend_threshold = 100.5\n", "t.conf:2: [reports] recommend_threshold",
	      "percentage");
	fails("[reports]\nrecommend_threshold = .5\n", "t.conf:2: [reports] recommend_threshold",
	      "percentage");
	fails("[reports]\nrecommend_days = 6\n", "t.conf:2: [reports] recommend_days", "");
	fails("[reports]\nrecommend_days = 366\n", "t.conf:2: [reports] recommend_days", "");
	fails("[reports]\nunknown_min_messages = 0\n", "t.conf:2: [reports] unknown_min_messages",
	      "from 1");
	fails("[reports]\nnew_source_days = 0\n", "t.conf:2: [reports] new_source_days", "");
	fails("[reports]\nkeep_days = 20\n", "t.conf:2: [reports] keep_days",
	      "shorter than recommend_days 30");
	fails("[reports]\nkeep_dayz = 20\n", "t.conf:2: [reports] keep_dayz", "did you mean");
	fails("[reports]\nkeep_days = 40\nkeep_days = 50\n", "t.conf:3: [reports] keep_days",
	      "duplicate key");
	fails("[reports]\n[reports]\n", "t.conf:2: [reports]",
	      "duplicate section (first at line 1)");
	fails("[reports x]\n", "t.conf:1: [reports x]", "takes no name");
	fails("[reports]\ndrop_dir =\n", "t.conf:2: [reports] drop_dir", "no value");
}

static void test_errors_mailboxes(void)
{
	fails("[report_mailbox]\n", "t.conf:1: [report_mailbox]", "needs a name");
	fails("[report_mailbox a/b]\n", "t.conf:1: [report_mailbox", "needs a name");
	fails(MB "password = " MBPW "\n" MB "password = " MBPW "\n", "t.conf:5: [report_mailbox m]",
	      "duplicate section (first at line 1)");
	fails("[report_mailbox m]\nusername = u\npassword = " MBPW "\n",
	      "t.conf:1: [report_mailbox m]", "host is missing");
	fails(MB, "t.conf:1: [report_mailbox m]", "username and password");
	fails("[report_mailbox m]\nhost = imap.example.com\npassword = " MBPW "\n",
	      "t.conf:1: [report_mailbox m]", "username and password");
	fails(MB "password = " MBPW "\ntls = none\n", "t.conf:5: [report_mailbox m] tls", "");
	fails(MB "password = " MBPW "\nport = 0\n", "t.conf:5: [report_mailbox m] port", "");
	fails(MB "password = " MBPW "\npoll_interval = 10s\n",
	      "t.conf:5: [report_mailbox m] poll_interval", "");
	fails(MB "password = " MBPW "\nfolder = a*b\n", "t.conf:5: [report_mailbox m] folder",
	      "folder name");
	fails(MB "password = " MBPW "\ndelete = maybe\n", "t.conf:5: [report_mailbox m] delete",
	      "yes or no");
	fails(MB "password = " MBPW "\ntimeout = 0s\n", "t.conf:5: [report_mailbox m] timeout", "");
	fails(MB "password = " MBPW "\npassword_file = pw\n",
	      "t.conf:5: [report_mailbox m] password_file", "already given");
	fails(MB "password = " MBPW "\nhost = -bad-\n", "t.conf:5: [report_mailbox m] host", "");
	fails(MB "password_credential = nope\n", "t.conf:4: [report_mailbox m] password_credential",
	      "");
	fails(MB "password = " MBPW "\naddress = x@y.example\n",
	      "t.conf:5: [report_mailbox m] address", "unknown key");
	fails("[report_mailboxes m]\n", "t.conf:1: [report_mailboxes m]", "unknown section");
}

static void test_dump(void)
{
	char *out = dump_of(full), *again;

	if (!tap_ok(out != NULL, "the full report config dumps: %s", err))
		return;
	tap_ok(strstr(out, MBPW) == NULL && strstr(out, MBPW2) == NULL &&
		   strstr(out, "SECRET") == NULL,
	       "no password in the dump");
	tap_ok(strstr(out, "password = <secret>") != NULL && strstr(out, "mbpw") != NULL,
	       "the dump says where the password came from");
	tap_ok(strstr(out, "\n[reports]\naddresses = dmarc@in.example, TLSRPT@in.example, "
			   "ruf@in.example\n") != NULL &&
		   strstr(out, "compliance_floor = 90\n") &&
		   strstr(out, "recommend_threshold = 99.5\n") &&
		   strstr(out, "max_size = 134217728\n") && strstr(out, "keep_days = 90\n") &&
		   strstr(out, "\n[report_mailbox tls.rpt]\n") && strstr(out, "port = 143\n"),
	       "the dump shows values and defaults");
	/* The dump is itself a valid config (its passwords now the placeholder). */
	again = dump_of(out);
	tap_ok(again != NULL && strstr(again, "\n[reports]\naddresses = dmarc@in.example") &&
		   strstr(again, "# password: written in the config file\npassword = <secret>"),
	       "the dump loads again: %s", again ? "" : err);
	free(again);
	free(out);
	out = dump_of("[daemon]\nstate_dir = /s\n");
	tap_ok(out && strstr(out, "\n[reports]\n# addresses: not set") &&
		   strstr(out, "quarantine_dir = /s/quarantine\n") &&
		   strstr(out, "compliance_floor = 95\n") &&
		   strstr(out, "unknown_min_messages = 50\n"),
	       "without the section the dump shows the defaults");
	again = out ? dump_of(out) : NULL;
	tap_ok(again != NULL, "a default dump loads again: %s", err);
	free(again);
	free(out);
}

static void test_permissions(void)
{
	struct daemon_config *cfg = NULL;

	tap_ok(config_fixture_load_file(dir, MB "password = " MBPW "\n", 0644, &cfg, err,
					sizeof err) == ERR_INVAL &&
		   cfg == NULL && strstr(err, "real.conf:4: [report_mailbox m] password:") &&
		   strstr(err, "chmod 600") && !strstr(err, MBPW),
	       "an inline mailbox password in a readable file is refused: %s", err);
	tap_ok(config_fixture_load_file(dir, MB "password_file = mb-pw\n", 0644, &cfg, err,
					sizeof err) == ERR_OK &&
		   cfg && strcmp(cfg->report_mailboxes[0].password.value, MBPW) == 0 &&
		   cfg->report_mailboxes[0].password.src == DAEMON_CONFIG_SRC_FILE,
	       "password_file in a readable config is fine: %s", err);
	daemon_config_free(cfg);
}

static void test_docs(void)
{
	static const char *const sections[] = {"[reports]", "[report_mailbox"};
	char *dump = dump_of(full);

	config_fixture_check_docs(dump, "\n[reports]", 20, "report keys", sections,
				  sizeof sections / sizeof sections[0]);
	free(dump);
}

int main(void)
{
	config_fixture_env_init(&env, &dir, &creds);
	config_fixture_write_in(creds, "mbpw", MBPW2 "\n", 0400);
	config_fixture_write_in(dir, "mb-pw", MBPW "\n", 0600);
	test_defaults();
	test_full();
	test_errors_reports();
	test_errors_mailboxes();
	test_dump();
	test_permissions();
	test_docs();
	free(creds);
	free(dir);
	return tap_done();
}
