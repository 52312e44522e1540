/*
 * web/spftree: the SPF lookup tree of a domain page.  The daemon stores the
 * tree the SPF walker built (dns/spf_walk) as JSON text, in the shape
 * `mailpulse check --format json` prints under spf.tree:
 *   {domain, status, record, error?, lookups, void_lookups,
 *    terms: [{term, lookups, note?, include?: <node>}]}
 * and this draws it as nested lists: each record in monospace with the
 * lookups it costs, and below it only the terms that cost lookups or carry
 * a note, each include followed into its own record.
 *
 * The JSON is hostile like any snapshot text: parsed by common/json,
 * every string escaped, depth and node count bounded; text that is not such
 * a tree is reported in words and never echoed.
 *
 * What it does not: walk SPF (dns/spf_walk) or judge it (dns/spf_posture).
 * RFC 7208 4.6.4 (the 10-lookup and 2-void-lookup budgets).
 */
#ifndef MAILPULSE_WEB_SPFTREE_H
#define MAILPULSE_WEB_SPFTREE_H

#include <stddef.h>
#include "web/out.h"

/* Append the tree in [json, json+len) to o as HTML. */
void web_spftree_html(struct web_out *o, const char *json, size_t len);

#endif
