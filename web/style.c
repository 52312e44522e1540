/*
 * web/style: the compiled-in stylesheet (see style.h).
 */
#include <stdint.h>
#include <stdio.h>
#include "web/style.h"
#include "web/style_css.h" /* generated from web/style.css: web_style_css_text[] */

const char *web_style_css(size_t *len)
{
	*len = sizeof web_style_css_text - 1;
	return web_style_css_text;
}

const char *web_style_tag(char *buf, size_t bufsz)
{
	uint32_t h = 2166136261u; /* FNV-1a, 32 bits */

	for (size_t i = 0; i + 1 < sizeof web_style_css_text; i++) {
		h ^= (unsigned char)web_style_css_text[i];
		h *= 16777619u;
	}
	snprintf(buf, bufsz, "%08x", (unsigned)h);
	return buf;
}
