/*
 * web/html_parts: shared page building blocks (see html_parts.h).
 */
#include "web/html_parts.h"

const char *web_html_parts_sev_word(enum web_sev s)
{
	switch (s) {
	case WEB_SEV_OK:
	case WEB_SEV_INFO:
		return "OK";
	case WEB_SEV_WARN:
		return "Warning";
	case WEB_SEV_CRITICAL:
		return "Failing";
	case WEB_SEV_UNKNOWN:
		break;
	}
	return "Unknown";
}

const char *web_html_parts_plural(size_t n)
{
	return n == 1 ? "" : "s";
}

void web_html_parts_td(struct web_out *o, const char *label)
{
	web_out_printf(o, "<td data-label=\"%s\">", label);
}

void web_html_parts_table_head(struct web_out *o, const char *ths)
{
	web_out_printf(o,
		       "<div class=\"scroll\"><table class=\"stack\"><thead><tr>%s</tr></thead>"
		       "<tbody>\n",
		       ths);
}

void web_html_parts_pill(struct web_out *o, enum web_sev sev, const char *word)
{
	web_out_printf(o, "<span class=\"pill sev-%s\">%s</span>", web_sev_name(sev), word);
}
