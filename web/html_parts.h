/*
 * web/html_parts: the small building blocks every page section shares
 * (web/html, web/html_alerts, web/html_probe, web/html_report): table
 * openings and cells, severity pills and words, plural endings.  One
 * place, so every section looks and reads the same.
 *
 * What it does not: escape (web/out does) or render any section.
 */
#ifndef MAILPULSE_WEB_HTML_PARTS_H
#define MAILPULSE_WEB_HTML_PARTS_H

#include <stddef.h>

#include "web/out.h"
#include "web/snapshot.h"

/* "OK" (ok and info), "Warning", "Failing" or "Unknown": words for people. */
const char *web_html_parts_sev_word(enum web_sev s);
/* "" for 1, "s" otherwise. */
const char *web_html_parts_plural(size_t n);
/* Open a cell with its column name (label: a static, already safe string):
   on a phone each row of a `class="stack"` table becomes a card whose
   cells show their column names from data-label (style.css). */
void web_html_parts_td(struct web_out *o, const char *label);
/* Open a scrolling stacked table with the header cells ths (static HTML). */
void web_html_parts_table_head(struct web_out *o, const char *ths);
/* A severity pill holding word (static, already safe text). */
void web_html_parts_pill(struct web_out *o, enum web_sev sev, const char *word);

#endif
