/*
 * mail/dsn_rhost: bounce reasons that only make sense for one remote mail
 * service.  Large providers (Cox, Microsoft Exchange Online, Orange and La
 * Poste, GoDaddy, Google, i.ua, KDDI au, Mimecast, NTT docomo, Spectrum,
 * Tencent QQ) put their own error numbers ("AUP#CDRBL", "OFR006_102",
 * "IB103") or fixed sentences in their replies; their published meanings
 * decide the reason better than the RFC 3463 code does.  Tables learned from
 * Sisimai's Rhost rules (and the providers' error pages they cite).
 *
 * What it does not: parse bounces, or know any host not listed here (the
 * caller falls back to mail/dsn_reason).
 */
#ifndef MAILPULSE_MAIL_DSN_RHOST_H
#define MAILPULSE_MAIL_DSN_RHOST_H

struct mail_dsn_rhost_in {
	const char *rhost;   /* remote MTA host name, any case, may be "" */
	const char *domain;  /* the recipient's domain, may be "" */
	const char *status;  /* "5.7.1", "" when unknown */
	int reply_code;	     /* 550, 0 when unknown */
	const char *command; /* "RCPT" ..., "" when unknown */
	const char *diag;    /* the diagnostic text, "" when none */
};

/* The reason the remote service's tables give for in, static; NULL when the
   host is not a known service or its tables say nothing. */
const char *mail_dsn_rhost_reason(const struct mail_dsn_rhost_in *in);

#endif
