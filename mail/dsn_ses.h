/*
 * mail/dsn_ses: Amazon SES notifications (bounce, complaint, delivery)
 * delivered by mail through Amazon SNS: a JSON document in the body whose
 * "Message" member is itself JSON (notificationType, bouncedRecipients with
 * action, status and diagnosticCode ...).  Folded lines ("!" at a line end,
 * the next line indented by one space) are joined first.
 *
 * What it does not: fetch from SNS or verify its signature; decide reasons
 * (mail/dsn_reason does, from the status and diagnostic).
 */
#ifndef MAILPULSE_MAIL_DSN_SES_H
#define MAILPULSE_MAIL_DSN_SES_H

#include <stddef.h>
#include "mail/dsn.h"

/*
 * Read body (len bytes, the message's text) as an SES notification and add
 * its recipients to d: kind BOUNCE for "Bounce" and "Delivery" (recipients
 * with action "delivered", status 2.x.x), kind FEEDBACK for "Complaint".
 * Each recipient's reason is left "" for the caller, except "feedback" and
 * a preset from bounceSubType (MailboxFull, MessageTooLarge).  Returns how
 * many recipients it added; 0 (d untouched) when body is not one.
 */
size_t mail_dsn_ses_parse(const char *body, size_t len, struct mail_dsn *d);

#endif
