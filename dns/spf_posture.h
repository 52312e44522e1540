/*
 * dns/spf_posture: the SPF posture check: findings for a domain (DESIGN.md
 * 2.1), check name "spf".
 *
 * What it does: walks the domain's SPF tree (dns/spf_walk) and turns it
 * into findings with these stable codes:
 *   SPF_MISSING               critical  no v=spf1 record (the fix suggests one)
 *   SPF_MULTIPLE              critical  more than one record (RFC 7208 4.5)
 *   SPF_SYNTAX                critical  a record does not parse
 *   SPF_TOO_MANY_LOOKUPS      critical  more than 10 DNS-querying terms, or
 *                                       an include/redirect loop (RFC 7208 4.6.4)
 *   SPF_TOO_MANY_VOID_LOOKUPS warn      more than 2 void lookups; critical when
 *                                       a sender listed after the third can
 *                                       no longer pass
 *   SPF_PASS_ALL              critical  +all reachable from the domain
 *   SPF_NEUTRAL_ALL           warn      ?all ends the domain's record
 *   SPF_NO_ALL                warn      no all and no redirect
 *   SPF_PTR                   warn      ptr is used (RFC 7208 5.5)
 *   SPF_INCLUDE_NO_SPF        critical  an include (or redirect) target has no
 *                                       SPF record: permerror for everyone
 *   DNS_TEMPFAIL              unknown   a needed answer failed for now; never
 *                                       critical (DESIGN.md 5)
 *   SPF_OK                    ok        none of the above: the lookup count
 * Messages are plain words; fixes say what to publish; evidence is the
 * record text.
 *
 * What it does not: evaluate mail (dns/spf_eval), talk to the network.
 */
#ifndef MAILPULSE_DNS_SPF_POSTURE_H
#define MAILPULSE_DNS_SPF_POSTURE_H

#include "common/err.h"
#include "dns/book.h"
#include "dns/finding.h"
#include "dns/spf_walk.h"

/*
 * Check the SPF posture of domain.  ERR_AGAIN until the book holds every
 * answer, and then out is untouched.  ERR_OK: the findings are appended to
 * out, and *tree (when tree is not NULL) is the walked tree, freed by the
 * caller with dns_spf_tree_free().
 */
enum mp_err dns_spf_posture(struct dns_book *book, const char *domain, struct dns_findings *out,
			    struct dns_spf_tree **tree) MP_WUR;

#endif
