/*
 * web/badge: SVG status badges (see badge.h).
 */
#include <stdlib.h>
#include <string.h>
#include "common/json.h"
#include "common/xmalloc.h"
#include "web/badge.h"
#include "web/out.h"

struct text {
	char *s; /* valid UTF-8, cut to WEB_BADGE_TEXT_MAX characters; owned */
	size_t len, chars;
};

/* Clean and cut: at most WEB_BADGE_TEXT_MAX characters, "..." marking a cut. */
static void text_init(struct text *t, const char *s, size_t len)
{
	size_t n, i = 0, chars = 0;
	char *u = common_json_utf8_clean(s, len, &n);

	while (i < n && chars < WEB_BADGE_TEXT_MAX) {
		i++;
		while (i < n && ((unsigned char)u[i] & 0xc0) == 0x80)
			i++;
		chars++;
	}
	if (i < n) {
		t->s = xasprintf("%.*s...", (int)i, u);
		t->len = i + 3;
		t->chars = chars + 3;
		free(u);
	} else {
		t->s = u;
		t->len = n;
		t->chars = chars;
	}
}

static const char *color(enum web_sev sev)
{
	switch (sev) {
	case WEB_SEV_OK:
	case WEB_SEV_INFO:
		return "#2da44e";
	case WEB_SEV_WARN:
		return "#dfb317";
	case WEB_SEV_CRITICAL:
		return "#e05d44";
	case WEB_SEV_UNKNOWN:
		break;
	}
	return "#9f9f9f";
}

/* A text drawn twice, shadow then face, centred at x. */
static void text_pair(struct web_out *o, unsigned x, const struct text *t)
{
	web_out_printf(o, "<text x=\"%u\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">", x);
	web_out_html(o, t->s, t->len);
	web_out_printf(o, "</text><text x=\"%u\" y=\"14\">", x);
	web_out_html(o, t->s, t->len);
	web_out_put(o, "</text>");
}

enum mp_err web_badge_render(const char *label, size_t label_len, const char *msg, size_t msg_len,
			     enum web_sev sev, char **out, size_t *len)
{
	struct web_out o;
	struct text l, m;
	unsigned lw, mw;
	enum mp_err e;

	if (label == NULL) {
		label = "mail";
		label_len = 4;
	}
	text_init(&l, label, label_len);
	text_init(&m, msg, msg_len);
	/* Verdana 11 px averages about 7 px a character; 10 px of padding. */
	lw = (unsigned)l.chars * 7 + 10;
	mw = (unsigned)m.chars * 7 + 10;
	web_out_init(&o, 64 * 1024);
	web_out_printf(&o,
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"20\" "
		       "role=\"img\" aria-label=\"",
		       lw + mw);
	web_out_html(&o, l.s, l.len);
	web_out_put(&o, ": ");
	web_out_html(&o, m.s, m.len);
	web_out_put(&o, "\"><title>");
	web_out_html(&o, l.s, l.len);
	web_out_put(&o, ": ");
	web_out_html(&o, m.s, m.len);
	web_out_printf(
	    &o,
	    "</title><linearGradient id=\"s\" x2=\"0\" y2=\"100%%\"><stop offset=\"0\" "
	    "stop-color=\"#bbb\" stop-opacity=\".1\"/><stop offset=\"1\" "
	    "stop-opacity=\".1\"/></linearGradient><clipPath id=\"r\"><rect width=\"%u\" "
	    "height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath><g clip-path=\"url(#r)\">"
	    "<rect width=\"%u\" height=\"20\" fill=\"#555\"/><rect x=\"%u\" width=\"%u\" "
	    "height=\"20\" fill=\"%s\"/><rect width=\"%u\" height=\"20\" fill=\"url(#s)\"/>"
	    "</g><g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,"
	    "DejaVu Sans,sans-serif\" font-size=\"11\">",
	    lw + mw, lw, lw, mw, color(sev), lw + mw);
	text_pair(&o, lw / 2, &l);
	text_pair(&o, lw + mw / 2, &m);
	web_out_put(&o, "</g></svg>\n");
	free(l.s);
	free(m.s);
	e = web_out_finish(&o, out, len);
	return e;
}

enum mp_err web_badge_domain(const struct web_domain *d, const char *label, size_t label_len,
			     char **out, size_t *len)
{
	enum web_sev sev = web_sev_parse(d->status);
	const char *msg = sev == WEB_SEV_OK || sev == WEB_SEV_INFO ? "passing"
			  : sev == WEB_SEV_WARN			   ? "warning"
			  : sev == WEB_SEV_CRITICAL		   ? "failing"
								   : "unknown";

	return web_badge_render(label, label_len, msg, strlen(msg), sev, out, len);
}
