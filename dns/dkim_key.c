/*
 * dns/dkim_key: DKIM key records and the DKIM posture check (see
 * dkim_key.h).  RFC 6376 3.6.1 (tags), 3.6.2.2 (TXT), 6.1.2 (key lookup);
 * RFC 8463 (ed25519); RFC 8301 (key sizes, sha1 gone).
 */
#include <stdio.h>
#include <string.h>
#include "common/buf.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xmalloc.h"
#include "dns/dkim_key.h"
#include "dns/tags.h"
#include "dns/txtrec.h"

#define CHECK "dkim"

/*
 * Common provider selectors.  Sources: Google Workspace (google), Microsoft
 * 365 (selector1, selector2), Mailchimp/Mandrill (k1, k2, k3, mandrill),
 * SendGrid (s1, s2), Postmark (pm), cPanel and many MTAs (default, dkim,
 * mail), Mailgun (mx, smtp), MXroute (x), Everlytic, Zendesk, Mailjet,
 * Fastmail (fm1-3), Proton (protonmail, protonmail2-3), iCloud custom
 * domains (sig1), Campaign Monitor (cm), mxvault.
 */
static const char *const discovery[] = {
    "google",	     "selector1",  "selector2",	  "k1",		 "k2",	    "k3",
    "mandrill",	     "s1",	   "s2",	  "pm",		 "default", "dkim",
    "mail",	     "smtp",	   "mx",	  "x",		 "mxvault", "everlytickey1",
    "everlytickey2", "zendesk1",   "zendesk2",	  "mailjet",	 "fm1",	    "fm2",
    "fm3",	     "protonmail", "protonmail2", "protonmail3", "sig1",    "cm",
};

const char *const *dns_dkim_key_discovery(size_t *n)
{
	*n = sizeof discovery / sizeof discovery[0];
	return discovery;
}

/* True when the colon-separated list in tag holds item (ignoring case and spaces). */
static bool list_has(const struct dns_tag *t, const char *item)
{
	size_t i = 0;

	while (i <= t->value_len) {
		size_t j = i;
		const char *s;
		size_t n;

		while (j < t->value_len && t->value[j] != ':')
			j++;
		s = t->value + i;
		n = j - i;
		common_str_trim(&s, &n);
		if (common_str_ieqz(s, n, item))
			return true;
		i = j + 1;
	}
	return false;
}

/* why = pre + the tag's value (escaped, cut) + post. */
static void say(char *why, size_t whysz, const char *pre, const struct dns_tag *t, const char *post)
{
	char q[64];

	common_log_quote(q, sizeof q, t->value, t->value_len);
	snprintf(why, whysz, "%s%s%s", pre, q, post);
}

/* v=, k=, h=, s=, t=: everything but p=.  false with why set on a problem. */
static bool parse_meta(const struct dns_tags *tags, struct dns_dkim_key *k, char *why, size_t whysz)
{
	const struct dns_tag *t;

	t = dns_tags_find(tags, "v");
	if (t != NULL) {
		/* RFC 6376 3.6.1: v= MUST be the first tag and MUST be DKIM1. */
		if (t != &tags->v[0]) {
			snprintf(why, whysz, "v=DKIM1 must be the first tag of the record");
			return false;
		}
		if (!dns_tags_value_is(t, "DKIM1", false)) {
			say(why, whysz, "v= must be DKIM1, found \"", t, "\"");
			return false;
		}
		k->has_v = true;
	}
	k->type = COMMON_CRYPTO_RSA;
	t = dns_tags_find(tags, "k");
	if (t != NULL) {
		if (dns_tags_value_is(t, "ed25519", true))
			k->type = COMMON_CRYPTO_ED25519;
		else if (!dns_tags_value_is(t, "rsa", true)) {
			say(why, whysz, "k=", t,
			    " is not a key type receivers support (rsa or ed25519)");
			return false;
		}
	}
	t = dns_tags_find(tags, "h");
	if (t != NULL) {
		k->h_present = true;
		k->h_sha256 = list_has(t, "sha256");
		if (!k->h_sha256) {
			say(why, whysz, "h=", t,
			    " does not allow sha256, and sha1 must not be used (RFC 8301), so "
			    "receivers cannot use this key");
			return false;
		}
	}
	t = dns_tags_find(tags, "s");
	if (t != NULL && !list_has(t, "email") && !list_has(t, "*")) {
		say(why, whysz, "s=", t,
		    " does not include email or *, so the key is not for email");
		return false;
	}
	t = dns_tags_find(tags, "t");
	if (t != NULL) {
		k->testing = list_has(t, "y");
		k->strict = list_has(t, "s");
	}
	return true;
}

enum mp_err dns_dkim_key_parse(const char *txt, size_t len, struct dns_dkim_key *out, char *why,
			       size_t whysz)
{
	struct dns_tags tags;
	struct dns_dkim_key k = {0};
	const struct dns_tag *p;
	unsigned char *der = NULL;
	size_t derlen = 0, plen = 0;
	enum mp_err e;

	e = dns_tags_parse(txt, len, 0, &tags, why, whysz);
	if (e != ERR_OK)
		return e;
	if (!parse_meta(&tags, &k, why, whysz))
		return ERR_PARSE;
	p = dns_tags_find(&tags, "p");
	if (p == NULL) {
		snprintf(why, whysz, "there is no p= tag (the public key)");
		return ERR_PARSE;
	}
	/* RFC 6376 3.6.1: FWS inside p= is ignored; an empty p= means revoked. */
	k.p = dns_tags_value_nows(p, &plen);
	if (plen == 0) {
		k.revoked = true;
		*out = k;
		return ERR_OK;
	}
	e = common_crypto_b64_decode(k.p, plen, &der, &derlen);
	if (e != ERR_OK) {
		snprintf(why, whysz, "%s",
			 e == ERR_LIMIT
			     ? "p= is far too long to be a public key"
			     : "p= is not valid base64 (truncated or mangled when copied?)");
		free(k.p);
		return ERR_PARSE;
	}
	e = common_crypto_dkim_pubkey(der, derlen, k.type, &k.pub, why, whysz);
	free(der);
	if (e != ERR_OK) {
		free(k.p);
		return e;
	}
	*out = k;
	return ERR_OK;
}

void dns_dkim_key_free(struct dns_dkim_key *k)
{
	if (k == NULL)
		return;
	free(k->p);
	common_crypto_pubkey_free(&k->pub);
	memset(k, 0, sizeof *k);
}

bool dns_dkim_key_looks_like(const char *txt, size_t len)
{
	struct dns_tags tags;
	char why[128];

	if (dns_txtrec_starts(txt, len, "v", "DKIM1", true))
		return true;
	if (dns_tags_parse(txt, len, 0, &tags, why, sizeof why) == ERR_OK)
		return dns_tags_find(&tags, "p") != NULL || dns_tags_find(&tags, "k") != NULL;
	return dns_txtrec_starts(txt, len, "p", "", false) ||
	       dns_txtrec_starts(txt, len, "k", "", false) || memmem(txt, len, "; p=", 4) != NULL ||
	       memmem(txt, len, ";p=", 3) != NULL;
}

/* ---- the posture check ---- */

struct plan {
	const char *selector;
	const char *keyfile; /* path or NULL */
	bool configured;
	char *qname;
	const struct dns_answer *ans;
};

/* RFC 6376 3.1: selector = sub-domain *( "." sub-domain ). */
static bool valid_selector(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

static struct plan *plan_find(struct plan *p, size_t n, const char *sel)
{
	for (size_t i = 0; i < n; i++)
		if (common_str_ieqz(p[i].selector, strlen(p[i].selector), sel))
			return &p[i];
	return NULL;
}

static struct plan *plan_add(struct plan *p, size_t *n, const char *sel, bool configured,
			     const char *domain)
{
	struct plan *q = plan_find(p, *n, sel);

	if (q != NULL) {
		q->configured |= configured;
		return q;
	}
	q = &p[(*n)++]; /* plan_build sized the array (xcalloc: zeroed) */
	q->selector = sel;
	q->configured = configured;
	q->qname = common_str_cat3(sel, "._domainkey.", domain);
	return q;
}

/* Configured selectors first (in order), then the discovery list. */
static enum mp_err plan_build(const struct dns_dkim_key_opts *o, const char *domain,
			      struct plan **p, size_t *n)
{
	for (size_t i = 0; o && i < o->n_selectors; i++)
		if (!valid_selector(o->selectors[i]))
			return ERR_INVAL;
	for (size_t i = 0; o && i < o->n_keyfiles; i++)
		if (!valid_selector(o->keyfiles[i].selector) || o->keyfiles[i].path == NULL)
			return ERR_INVAL;
	*p =
	    xcalloc((o ? o->n_selectors + o->n_keyfiles : 0) + sizeof discovery / sizeof *discovery,
		    sizeof **p);
	for (size_t i = 0; o && i < o->n_selectors; i++)
		plan_add(*p, n, o->selectors[i], true, domain);
	for (size_t i = 0; o && i < o->n_keyfiles; i++)
		plan_add(*p, n, o->keyfiles[i].selector, true, domain)->keyfile =
		    o->keyfiles[i].path;
	for (size_t i = 0; !(o && o->no_discovery) && i < sizeof discovery / sizeof *discovery; i++)
		plan_add(*p, n, discovery[i], false, domain);
	return ERR_OK;
}

static void plan_free(struct plan *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].qname);
	free(p);
}

/* Fill s from the answer: the DKIM records there, parsed. */
static void eval_records(const struct plan *pl, struct dns_dkim_selector *s)
{
	const struct dns_answer *a = pl->ans;
	char why[256];

	s->outcome = a->outcome;
	s->cname = a->cname ? xstrdup(a->cname) : NULL;
	if (a->outcome != DNS_DATA)
		return;
	for (size_t i = 0; i < a->n; i++) {
		const struct dns_rr *rr = &a->rr[i];
		bool dkim = dns_dkim_key_looks_like(rr->data, rr->len);

		/* A configured selector's lone TXT is taken as its key, whatever it says. */
		if (!dkim && !(pl->configured && a->n == 1))
			continue;
		if (s->n_records++ == 0) {
			s->record = xmemdup0(rr->data, rr->len);
			s->record_len = rr->len;
		}
	}
	s->found = s->n_records > 0;
	if (!s->found)
		return;
	why[0] = '\0';
	if (dns_dkim_key_parse(s->record, s->record_len, &s->key, why, sizeof why) == ERR_OK)
		s->valid = true;
	else
		s->error = xstrdup(why[0] ? why : "unusable record");
}

/* "<qname> [CNAME -> x] TXT: <raw record>|<outcome>" with its length (may hold NULs). */
static char *evidence_for(const struct dns_dkim_selector *s, size_t *lenp)
{
	struct buf b;
	enum mp_err e;

	common_buf_init(&b, (size_t)1 << 20);
	e = dns_finding_buf_printf(&b, "%s%s%s TXT: ", s->qname, s->cname ? " CNAME -> " : "",
				   s->cname ? s->cname : "");
	if (e == ERR_OK && s->record != NULL)
		e = common_buf_append(&b, s->record, s->record_len);
	else if (e == ERR_OK)
		e = common_buf_puts(&b, dns_outcome_name(s->outcome));
	(void)e; /* a cut evidence text is still evidence */
	return common_buf_steal(&b, lenp);
}

static void emit(struct dns_findings *f, const struct dns_dkim_selector *s, const char *code,
		 enum dns_sev sev, const char *fix, char *msg)
{
	size_t elen = 0;
	char *ev = evidence_for(s, &elen);

	dns_findings_add_msg(f, CHECK, code, sev, fix, ev, elen, msg);
	free(ev);
}

/* "s1._domainkey.example.com" or "... (a CNAME to X)"; caller frees. */
static char *where(const struct dns_dkim_selector *s)
{
	if (s->cname)
		return dns_finding_fmt("%s (a CNAME to %s, run by your mail provider)", s->qname,
				       s->cname);
	return xstrdup(s->qname);
}

/* The record to publish: exact when the key file is known. */
static char *record_fix(const struct dns_dkim_selector *s, const struct common_crypto_pubkey *fk,
			const char *lead)
{
	char *p, *r;

	if (fk == NULL || fk->spki == NULL)
		return dns_finding_fmt(
		    "%s `%s. TXT \"v=DKIM1; k=rsa; p=<base64 public key>\"` with the "
		    "public key exactly as your mail provider or key tool gives it "
		    "(DNS providers split values longer than 255 characters into "
		    "several strings; that is fine).",
		    lead, s->qname);
	p = common_crypto_dkim_p_value(fk);
	r = dns_finding_fmt(
	    "%s `%s. TXT \"v=DKIM1; k=%s; p=%s\"` (the public half of the configured key "
	    "file; DNS providers split values longer than 255 characters into several "
	    "strings; that is fine).",
	    lead, s->qname, common_crypto_keytype_name(fk->type), p);
	free(p);
	return r;
}

static void report_missing(struct dns_findings *f, const struct dns_dkim_selector *s,
			   const struct common_crypto_pubkey *fk)
{
	char *w = where(s), *fix = record_fix(s, fk, "Publish the key for this selector:");

	emit(f, s, "DKIM_KEY_MISSING", SEV_CRITICAL, fix,
	     dns_finding_fmt(
		 "No DKIM key is published for the configured selector \"%s\" at %s "
		 "(%s%s). Mail signed with this selector fails DKIM, so DMARC rests on "
		 "SPF alone.",
		 s->selector, w,
		 s->outcome == DNS_DATA ? "TXT records are there, but none is a DKIM key"
					: dns_txtrec_outcome_words(s->outcome),
		 s->cname ? "; the provider side may have been removed or never set up" : ""));
	free(fix);
	free(w);
}

static void report_rsa_size(struct dns_findings *f, const struct dns_dkim_selector *s)
{
	unsigned bits = s->key.pub.bits;
	char *fix;

	/* Most keys are fine: build the fix text only for a finding. */
	if (bits >= 2048 && bits <= 4096)
		return;
	fix = dns_finding_fmt(
	    "Create a 2048-bit key (`openssl genpkey -algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048 -out new.pem`, or ask your mail provider to rotate it), publish "
	    "it under a new selector, switch signing to it, then retire this one with `%s. TXT "
	    "\"v=DKIM1; p=\"`.",
	    s->qname);

	if (bits < 1024)
		emit(f, s, "DKIM_KEY_WEAK", SEV_CRITICAL, fix,
		     dns_finding_fmt(
			 "The DKIM key for selector \"%s\" is only %u-bit RSA. Receivers "
			 "refuse keys under 1024 bits (RFC 8301), so this mail fails DKIM.",
			 s->selector, bits));
	else if (bits < 2048)
		emit(f, s, "DKIM_KEY_WEAK", SEV_WARN, fix,
		     dns_finding_fmt(
			 "The DKIM key for selector \"%s\" is %u-bit RSA. It still works, but "
			 "2048 bits is the recommended minimum (RFC 8301) and shorter keys "
			 "can be broken by a determined attacker.",
			 s->selector, bits));
	else if (bits > 4096)
		emit(f, s, "DKIM_KEY_TOO_LARGE", SEV_WARN, fix,
		     dns_finding_fmt(
			 "The DKIM key for selector \"%s\" is %u-bit RSA. Receivers only have "
			 "to handle keys up to 4096 bits (RFC 8301), so some may fail to "
			 "verify your mail.",
			 s->selector, bits));
	free(fix);
}

static void report_keyfile(struct dns_findings *f, const struct dns_dkim_selector *s,
			   const struct plan *pl, const struct common_crypto_pubkey *fk,
			   const char *fwhy)
{
	char *fix;

	if (s->keyfile == DNS_DKIM_KEYFILE_ERROR) {
		emit(f, s, "DKIM_KEYFILE_UNREADABLE", SEV_CRITICAL,
		     "Check the path and its permissions (the user mailpulse runs as must be able "
		     "to read it) and that it holds an unencrypted PEM private key, as written by "
		     "`openssl genpkey`.",
		     dns_finding_fmt(
			 "The private key file configured for selector \"%s\" could not be "
			 "used, so the key in DNS could not be compared with it: %s.",
			 s->selector, fwhy));
	} else if (s->keyfile == DNS_DKIM_KEYFILE_MISMATCH) {
		fix = record_fix(s, fk,
				 "Either point the signer at the private key that matches DNS, or "
				 "publish the key of the configured file:");
		emit(f, s, "DKIM_KEY_MISMATCH", SEV_CRITICAL, fix,
		     dns_finding_fmt(
			 "The private key file %s configured for selector \"%s\" is not the "
			 "key published in DNS: the key was changed on one side only, so every "
			 "message signed with this file fails DKIM.",
			 pl->keyfile, s->selector));
		free(fix);
	}
}

static void report_selector(struct dns_findings *f, const struct dns_dkim_selector *s,
			    const struct plan *pl, const struct common_crypto_pubkey *fk,
			    const char *fwhy)
{
	char *fix;

	report_keyfile(f, s, pl, fk, fwhy);
	if (!s->found) {
		if (pl->configured &&
		    !dns_txtrec_failed(f, CHECK, s->qname, DNS_T_TXT, pl->ans, "this DKIM key"))
			report_missing(f, s, fk);
		return;
	}
	if (s->n_records > 1)
		emit(f, s, "DKIM_KEY_MULTIPLE", SEV_WARN,
		     "Keep exactly one DKIM key record at this name and delete the others.",
		     dns_finding_fmt(
			 "There are %zu DKIM key records at %s. Receivers use only one of "
			 "them, so signatures fail whenever they pick the wrong one.",
			 s->n_records, s->qname));
	if (!s->valid) {
		fix = record_fix(s, fk, "Replace the record with a correct one:");
		emit(f, s, "DKIM_KEY_SYNTAX", SEV_CRITICAL, fix,
		     dns_finding_fmt(
			 "The DKIM key record for selector \"%s\" is broken: %s. Receivers "
			 "ignore it, so mail signed with this selector fails DKIM.",
			 s->selector, s->error));
		free(fix);
		return;
	}
	if (s->key.revoked) {
		fix = record_fix(s, fk,
				 pl->configured
				     ? "If this selector still signs mail, publish its key "
				       "again:"
				     : "Nothing to do if this selector is retired (an empty "
				       "p= is the right way to retire a key). If it still "
				       "signs mail, publish its key again:");
		emit(f, s, "DKIM_KEY_REVOKED", pl->configured ? SEV_CRITICAL : SEV_WARN, fix,
		     dns_finding_fmt(
			 "The DKIM key for selector \"%s\" is revoked (its p= is empty). Any "
			 "mail still signed with it fails DKIM.",
			 s->selector));
		free(fix);
		return;
	}
	if (s->key.type == COMMON_CRYPTO_RSA)
		report_rsa_size(f, s);
	if (s->key.testing) {
		fix = dns_finding_fmt(
		    "Remove t=y from the record at %s once signing works, e.g. `%s. TXT "
		    "\"v=DKIM1; k=%s; p=...\"` with the same p=.",
		    s->qname, s->qname, common_crypto_keytype_name(s->key.type));
		emit(f, s, "DKIM_KEY_TESTING", SEV_WARN, fix,
		     dns_finding_fmt(
			 "The DKIM key for selector \"%s\" is in testing mode (t=y): receivers "
			 "may treat failed signatures as if the mail were unsigned, so DKIM "
			 "does not protect this mail yet.",
			 s->selector));
		free(fix);
	}
}

static void selector_free(struct dns_dkim_selector *s)
{
	free(s->selector);
	free(s->qname);
	free(s->cname);
	free(s->record);
	free(s->error);
	dns_dkim_key_free(&s->key);
	memset(s, 0, sizeof *s);
}

/* Load the key file (if any) and compare it with the DNS key. */
static void compare_keyfile(const struct plan *pl, struct dns_dkim_selector *s,
			    struct common_crypto_pubkey *fk, char *fwhy, size_t fwhysz)
{
	if (pl->keyfile == NULL)
		return;
	if (common_crypto_privkey_load(pl->keyfile, fk, fwhy, fwhysz) != ERR_OK) {
		s->keyfile = DNS_DKIM_KEYFILE_ERROR;
		return;
	}
	if (s->valid && !s->key.revoked)
		s->keyfile = common_crypto_pubkey_eq(fk, &s->key.pub) ? DNS_DKIM_KEYFILE_MATCH
								      : DNS_DKIM_KEYFILE_MISMATCH;
}

static void summary(struct dns_findings *f, const char *domain, size_t first,
		    const struct dns_dkim_key_result *r, const struct plan *disc_fail)
{
	struct buf names, ev;
	bool configured = false;

	for (size_t i = 0; i < r->n; i++)
		configured |= r->v[i].configured;
	if (r->n == 0 && !configured) {
		if (disc_fail != NULL &&
		    dns_txtrec_failed(f, CHECK, disc_fail->qname, DNS_T_TXT, disc_fail->ans,
				      "whether any DKIM key is published"))
			return;
		dns_findings_add(
		    f, CHECK, "DKIM_NO_SELECTOR", SEV_WARN,
		    "Open a message sent from this domain, show its original headers (\"Show "
		    "original\" / \"View source\"), find the DKIM-Signature header and its s= "
		    "tag (for example s=mysel), then run `mailpulse check <domain> --selector "
		    "mysel` or add the selector to the configuration. If there is no "
		    "DKIM-Signature header at all, your mail is not signed: turn DKIM on at your "
		    "mail provider.",
		    NULL, 0,
		    "No DKIM key was found for %s: no selector is configured and none of the %zu "
		    "common provider selectors (google, selector1, s1, k1, ...) has a key. "
		    "Without DKIM, DMARC rests on SPF alone and breaks when mail is forwarded.",
		    domain, sizeof discovery / sizeof *discovery);
		return;
	}
	for (size_t i = first; i < f->n; i++)
		if (dns_sev_worse(f->v[i].sev, SEV_INFO))
			return;
	common_buf_init(&names, 1 << 16);
	common_buf_init(&ev, 1 << 20);
	for (size_t i = 0; i < r->n; i++) {
		const struct dns_dkim_selector *s = &r->v[i];
		size_t elen;
		char *e = evidence_for(s, &elen);

		if (dns_finding_buf_printf(
			&names, "%s%s (%s %u-bit%s%s%s)", i ? ", " : "", s->selector,
			common_crypto_keytype_name(s->key.pub.type), s->key.pub.bits,
			s->keyfile == DNS_DKIM_KEYFILE_MATCH ? ", matches the key file" : "",
			s->cname ? ", delegated to " : "", s->cname ? s->cname : "") ||
		    (i && common_buf_putc(&ev, '\n')) || common_buf_append(&ev, e, elen))
			(void)0; /* cut at the buffer cap: still a fine summary */
		free(e);
	}
	dns_findings_add(f, CHECK, "DKIM_OK", SEV_OK, NULL, common_buf_str(&ev), ev.len,
			 "DKIM keys are published and usable for %s: %s.", domain,
			 common_buf_str(&names));
	common_buf_free(&names);
	common_buf_free(&ev);
}

static enum mp_err ask_all(struct dns_book *book, struct plan *p, size_t n)
{
	enum mp_err ret = ERR_OK;

	for (size_t i = 0; i < n; i++) {
		enum mp_err e = dns_txtrec_get(book, p[i].qname, DNS_T_TXT, &p[i].ans);

		if (e != ERR_OK)
			ret = e; /* keep asking: every question goes out in this run */
	}
	return ret;
}

enum mp_err dns_dkim_key_check(struct dns_book *book, const char *domain,
			       const struct dns_dkim_key_opts *opts, struct dns_findings *out,
			       struct dns_dkim_key_result *res)
{
	struct dns_dkim_key_result r = {0};
	struct plan *p = NULL, *disc_fail = NULL;
	size_t n = 0, first = out->n;
	char *dom;
	enum mp_err e;

	if (!dns_txtrec_name_ok(domain))
		return ERR_INVAL;
	dom = dns_txtrec_canon(domain);
	e = plan_build(opts, dom, &p, &n);
	if (e == ERR_OK)
		e = ask_all(book, p, n);
	if (e != ERR_OK)
		goto done;
	r.v = xcalloc(n ? n : 1, sizeof *r.v);
	for (size_t i = 0; i < n; i++) {
		struct dns_dkim_selector *s = &r.v[r.n];
		struct common_crypto_pubkey fk = {0};
		char fwhy[512] = "";

		s->selector = xstrdup(p[i].selector);
		s->qname = xstrdup(p[i].qname);
		s->configured = p[i].configured;
		eval_records(&p[i], s);
		compare_keyfile(&p[i], s, &fk, fwhy, sizeof fwhy);
		report_selector(out, s, &p[i], &fk, fwhy);
		common_crypto_pubkey_free(&fk);
		if (!s->configured && !s->found && disc_fail == NULL &&
		    (p[i].ans->outcome == DNS_TEMPFAIL || p[i].ans->outcome == DNS_MALFORMED))
			disc_fail = &p[i];
		if (s->configured || s->found)
			r.n++;
		else
			selector_free(s);
	}
	summary(out, dom, first, &r, disc_fail);
	if (res != NULL)
		*res = r;
	else
		dns_dkim_key_result_free(&r);
done:
	plan_free(p, n);
	free(dom);
	return e;
}

void dns_dkim_key_result_free(struct dns_dkim_key_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->n; i++)
		selector_free(&res->v[i]);
	free(res->v);
	res->v = NULL;
	res->n = 0;
}
