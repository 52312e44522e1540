/*
 * tests/fuzz/fuzz_dkim_verify: DKIM verification of whole messages
 * (mail/dkim over libopendkim) with the fixture keys of
 * tests/fixtures/keys/ published in a fake zone, as tests/mail/test_dkim
 * does: ok (RSA 2048), ed (ed25519), test (t=y), gone (revoked), two (two
 * records), slow (times out).  The seed corpus holds messages signed with
 * them, and mangled ones.  Any input must give a clean verdict or a clean
 * error, within the bounds, and leak nothing.
 */
#include <stdint.h>
#include <string.h>
#include "mail/dkim.h"
#include "tests/lib/fakezone.h"

#define OK_P                                                                                       \
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArHbdeXxbXFixumnGb4XGf8Duqx0cnHsnJzj7U8PT54tt" \
	"HWjLPHjo+mhLAXCmE/aSUrL4yCAEVULJBj/"                                                      \
	"fw9gPYn5rkJXJY+Zqh+tTWHLZYzq+UZvzjGWnF+oAOe8KF4Eog5Uupn+"                                 \
	"Dx63o3qcJP6nlgiWQ3tBmYiQEma4Z9kTgqSYN8Fbo+"                                               \
	"tDoiI5sC6UGxAZ10XWef9sFDzvYK8f9V5iqh3jDcizidThqDM+Xe/"                                    \
	"OXwzZxptp2jyS+7ERdat4hzSjV8ds0sCBCRtQ+Z03KV//"                                            \
	"czPX3uNzijfZR0vKNITlV++UE9khTiWaGNnGhTwaQmhsUuO9XJK9F1YqH6lJ3vmM5GwIDAQAB"
#define ED_P "oPENxc3Zg/8s9Y35N3mN8+pcc3Wt9IsqKnM6zIH/Bd8="
#define TEST_P                                                                                     \
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjzTuDcczQrHFNkhTAi6zFpsCVjy2cmXajl3nWTX5C6fc" \
	"1JyAmNIl7LWvgC450xDkFF85T8m0MwnbSpIpwTSsLflaIAhEDeEnrBCjBKgGsjdrprupx+"                   \
	"jRLibEvJqY1oA1REN30mej/rMXYZqHpNJ9I9VIexJ/f3BGM1igQI9H+0/"                                \
	"w+oIYyRRXLdIVG2uTNkeG3Njy1XWmwP86Wm2h4h3LnM0tQajrjPzoG29Uw7HlaS60LbzbOSHOrO/vRs9/"        \
	"DbkK1CZkBGtXt2JeGJViI4/"                                                                  \
	"EfMjkrRe9tye4v4Pn1Bs0TG7RLZBCKsSLJxOpEZSuVSo1Nwrm39X9awjZQlEsDIaR9wIDAQAB"

struct arg {
	struct mail_dkim *d;
	struct dns_book *book;
	const uint8_t *data;
	size_t size;
	struct mail_dkim_verdict v;
};

static enum mp_err step(void *p)
{
	struct arg *a = p;

	return mail_dkim_verify(a->d, a->book, (const char *)a->data, a->size, &a->v);
}

static struct fakezone *make_zone(void)
{
	struct fakezone *z = fakezone_new();

	fakezone_add_txt(z, "ok._domainkey.dkim.test", "v=DKIM1; k=rsa; p=" OK_P);
	fakezone_add_txt(z, "ed._domainkey.dkim.test", "v=DKIM1; k=ed25519; p=" ED_P);
	fakezone_add_txt(z, "test._domainkey.dkim.test", "v=DKIM1; t=y; p=" TEST_P);
	fakezone_add_txt(z, "gone._domainkey.dkim.test", "v=DKIM1; k=rsa; p=");
	fakezone_add_txt(z, "two._domainkey.dkim.test", "v=DKIM1; p=" OK_P);
	fakezone_add_txt(z, "two._domainkey.dkim.test", "v=DKIM1; k=ed25519; p=" ED_P);
	fakezone_add_txt(z, "junk._domainkey.dkim.test", "v=DKIM1; k=rsa; h=md5; p=@@@;");
	fakezone_set_timeout(z, "slow._domainkey.dkim.test");
	return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fakezone *z = make_zone();
	static struct mail_dkim *lib; /* one handle for the process, like the daemon */
	struct arg a = {.data = data, .size = size};
	enum mp_err e;

	if (lib == NULL)
		lib = mail_dkim_new();
	if (lib == NULL)
		__builtin_trap();
	a.d = lib;
	a.book = dns_book_new(64);
	e = fakezone_run(z, a.book, step, &a);
	if (e == ERR_AGAIN)
		__builtin_trap(); /* the zone answers everything: a re-run must finish */
	if (e == ERR_OK) {
		if (a.v.n_sigs > MAIL_DKIM_MAX_SIGS)
			__builtin_trap();
		for (size_t i = 0; i < a.v.n_sigs; i++)
			if (a.v.sigs[i].error == NULL || a.v.sigs[i].domain == NULL ||
			    a.v.sigs[i].header_b == NULL ||
			    (a.v.sigs[i].result == MAIL_DKIM_PASS) !=
				(a.v.sigs[i].error[0] == '\0'))
				__builtin_trap();
		mail_dkim_verdict_free(&a.v);
	}
	dns_book_free(a.book);
	fakezone_free(z);
	return 0;
}
