/*
 * web/style: the status page's stylesheet, web/style.css compiled into the
 * program (the build turns it into web/style_css.h), served at
 * /static/style.css so that the CSP can say style-src 'self' with no inline
 * style anywhere.
 *
 * What it does not: serve it (web/http) or decide the markup (web/html).
 */
#ifndef MAILPULSE_WEB_STYLE_H
#define MAILPULSE_WEB_STYLE_H

#include <stddef.h>

/* The stylesheet bytes (static, never freed); *len gets their number. */
const char *web_style_css(size_t *len);

/*
 * A tag that changes whenever the stylesheet does (8 hex digits of its
 * FNV-1a hash), written into buf (size >= 9) and returned: pages link
 * /static/style.css?v=TAG, so the stylesheet can be cached for a year.
 */
const char *web_style_tag(char *buf, size_t bufsz);

#endif
