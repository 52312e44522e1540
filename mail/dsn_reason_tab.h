/*
 * mail/dsn_reason_tab: the data behind mail/dsn_reason: what each RFC 3463
 * status code means in Sisimai's vocabulary, and per reason the phrases MTAs
 * write for it (lower case; '*' one non-space word, '#' a number).  Tables
 * only, no logic.
 */
#ifndef MAILPULSE_MAIL_DSN_REASON_TAB_H
#define MAILPULSE_MAIL_DSN_REASON_TAB_H

struct mail_dsn_reason_tab_code {
	const char *code;   /* "5.1.1" */
	const char *reason; /* "userunknown" */
};

struct mail_dsn_reason_tab_list {
	const char *reason;
	const char *const *phrases; /* NULL-terminated */
};

/* Status code to reason, terminated by {NULL, NULL}. */
extern const struct mail_dsn_reason_tab_code mail_dsn_reason_tab_status[];
/* Reason to phrases, terminated by {NULL, NULL}. */
extern const struct mail_dsn_reason_tab_list mail_dsn_reason_tab_phrases[];
/* Phrases that look like "rejected" but are not (NULL-terminated). */
extern const char *const mail_dsn_reason_tab_rejected_not[];

#endif
