/*
 * mail/mime: RFC 5322 / MIME (RFC 2045-2049) messages into plain structs,
 * through GMime 3 (the only file that includes <gmime/gmime.h>, STYLE.md 6).
 *
 * What it does: one GMime parse per call, then a depth-first walk that copies
 * header fields (unfolded, RFC 5322 2.2.3), content types, transfer-decoded
 * bodies (RFC 2045 6: base64, quoted-printable) and embedded messages
 * (RFC 2046 5.2.1 message/rfc822) into struct mail_mime, after which every
 * GObject is released.  Address lists (RFC 5322 3.4) and encoded words
 * (RFC 2047) are decoded by GMime too.  mail_mime_parse_opts() flags skip
 * bodies a reader does not need (binary parts, parts inside a returned
 * message) and keep only a returned message's header block.  Cheap paths:
 * the input buffer is handed to GMime's stream (no copy), 7bit/8bit/binary
 * bodies are read straight from the parser's window on it.
 *
 * What it does not: convert body charsets, verify signatures, or write MIME.
 *
 * Hostile input: NUL bytes and lone CRs are replaced before GMime sees them,
 * the walk stops at MAIL_MIME_MAX_PARTS parts and MAIL_MIME_MAX_DEPTH levels,
 * and each body is cut at max_body bytes; every cut sets truncated.
 * g_mime_init() is not thread-safe, so it runs once under pthread_once.
 */
#include "config.h"

#include "mail/mime.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "common/str.h"
#include "common/xmalloc.h"

#define MIME_DEFAULT_MAX_BODY (1024u * 1024u)

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void mime_init_once(void)
{
	g_mime_init();
}

/* Collects the walk's output and its bounds. */
struct mime_walk {
	struct mail_mime *m;
	size_t cap;
	size_t max_body;
	unsigned flags; /* MAIL_MIME_* */
	unsigned inner; /* how many embedded messages enclose the current part */
};

/*
 * Copy of the input that GMime can parse safely: NUL bytes become spaces (a
 * header value must never hold NUL), a lone CR becomes LF (old Mac line
 * ends), and a leading mbox "From " line is dropped (it is not a header and
 * would end GMime's header block at once).
 */
static char *mime_clean_input(const char *p, size_t len, size_t *outlen)
{
	size_t start = 0;
	if (len >= 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', len);
		start = nl ? (size_t)(nl - p) + 1 : len;
	}
	size_t n = len - start;
	char *c = xmalloc(n + 1);
	memcpy(c, p + start, n);
	c[n] = '\0';
	/* fix-ups in place: one fast scan for each special byte */
	for (char *z = memchr(c, '\0', n); z; z = memchr(z, '\0', n - (size_t)(z - c)))
		*z = ' ';
	for (char *r = memchr(c, '\r', n); r; r = memchr(r, '\r', n - (size_t)(r - c))) {
		if ((size_t)(r - c) + 1 >= n || r[1] != '\n')
			*r = '\n';
		r++;
	}
	*outlen = n;
	return c;
}

static bool mime_fold_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 5322 2.2.3: unfold (drop CR and LF), trim both ends, never NUL; one
   allocation (the same result as dropping CR/LF first, then trimming). */
static char *mime_unfold(const char *raw)
{
	if (!raw)
		return xstrdup("");
	size_t len = strlen(raw);
	while (len && mime_fold_ws(raw[0])) {
		raw++;
		len--;
	}
	while (len && mime_fold_ws(raw[len - 1]))
		len--;
	if (!memchr(raw, '\n', len) && !memchr(raw, '\r', len))
		return xmemdup0(raw, len);
	char *o = xmalloc(len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (raw[i] != '\r' && raw[i] != '\n')
			o[n++] = raw[i];
	o[n] = '\0';
	return o;
}

/* Copy an object's header list into owned structs. */
static void mime_copy_headers(GMimeObject *obj, struct mail_mime_header **out, size_t *n)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int cnt = hl ? g_mime_header_list_get_count(hl) : 0;
	*out = NULL;
	*n = 0;
	if (cnt <= 0)
		return;
	*out = xcalloc((size_t)cnt, sizeof(**out));
	for (int i = 0; i < cnt; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = h ? g_mime_header_get_name(h) : NULL;
		if (!name)
			continue;
		(*out)[*n].name = xstrdup(name);
		(*out)[*n].value = mime_unfold(g_mime_header_get_raw_value(h));
		(*n)++;
	}
}

/* "name=value; name=value" from the Content-Type parameter list. */
static char *mime_params(GMimeContentType *ct)
{
	GMimeParamList *pl = ct ? g_mime_content_type_get_parameters(ct) : NULL;
	int cnt = pl ? g_mime_param_list_length(pl) : 0;
	size_t total = 1;
	for (int pass = 0; pass < 2; pass++) {
		char *acc = pass ? xmalloc(total) : NULL;
		size_t n = 0;
		for (int i = 0; i < cnt; i++) {
			GMimeParam *pa = g_mime_param_list_get_parameter_at(pl, i);
			const char *k = pa ? g_mime_param_get_name(pa) : NULL;
			const char *v = pa ? g_mime_param_get_value(pa) : NULL;
			if (!k)
				continue;
			size_t kl = strlen(k), vl = v ? strlen(v) : 0;
			if (!pass) {
				total += (n ? 2 : 0) + kl + 1 + vl;
				n = 1;
				continue;
			}
			if (n) {
				memcpy(acc + n, "; ", 2);
				n += 2;
			}
			memcpy(acc + n, k, kl);
			acc[n + kl] = '=';
			memcpy(acc + n + kl + 1, v ? v : "", vl);
			n += kl + 1 + vl;
		}
		if (pass) {
			acc[n] = '\0';
			return acc;
		}
	}
	return NULL; /* not reached */
}

/* Take a GMime memory stream's bytes, cut at max; sets *cut. */
static void mime_take_stream(GMimeStream *ms, size_t max, struct mail_mime_part *pt)
{
	GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	size_t len = ba ? ba->len : 0;
	if (len > max) {
		len = max;
		pt->body_cut = true;
	}
	pt->body = xmemdup0(ba && len ? (const char *)ba->data : "", len);
	pt->body_len = len;
}

/*
 * RFC 2045 6.2: 7bit, 8bit and binary content is its own decoding; read it
 * straight from the parser's stream (a window on the input, no mem stream in
 * between).  False when the content needs decoding or has no known length.
 */
static bool mime_identity_body(GMimeDataWrapper *dw, size_t max, struct mail_mime_part *pt)
{
	GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(dw);
	if (enc != GMIME_CONTENT_ENCODING_DEFAULT && enc != GMIME_CONTENT_ENCODING_7BIT &&
	    enc != GMIME_CONTENT_ENCODING_8BIT && enc != GMIME_CONTENT_ENCODING_BINARY)
		return false;
	GMimeStream *src = g_mime_data_wrapper_get_stream(dw);
	gint64 total = src ? g_mime_stream_length(src) : -1;
	if (total < 0 || g_mime_stream_reset(src) != 0)
		return false;
	size_t want = (uint64_t)total > max ? max : (size_t)total;
	char *b = xmalloc(want + 1);
	size_t n = 0;
	while (n < want) {
		ssize_t got = g_mime_stream_read(src, b + n, want - n);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	b[n] = '\0';
	pt->body = b;
	pt->body_len = n;
	pt->body_cut = (uint64_t)total > max;
	return true;
}

/* A leaf part's transfer-decoded content (RFC 2045 6). */
static void mime_leaf_body(GMimePart *part, size_t max, struct mail_mime_part *pt)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	if (dw && mime_identity_body(dw, max, pt))
		return;
	GMimeStream *ms = g_mime_stream_mem_new();
	if (dw)
		(void)g_mime_data_wrapper_write_to_stream(dw, ms);
	mime_take_stream(ms, max, pt);
	g_object_unref(ms);
}

/*
 * An object's header block as written ("Name:" and the raw value, folding
 * kept, one field a line), cut at max: what g_mime_object_get_headers()
 * gives, without its stream and filter machinery.
 */
static void mime_header_block(GMimeObject *obj, size_t max, struct mail_mime_part *pt)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int cnt = hl ? g_mime_header_list_get_count(hl) : 0;
	size_t total = 0;
	for (int i = 0; i < cnt; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *n = h ? g_mime_header_get_name(h) : NULL;
		const char *v = h ? g_mime_header_get_raw_value(h) : NULL;
		size_t vl = v ? strlen(v) : 0;
		if (n)
			total += strlen(n) + 1 + vl + (vl > 0 && v[vl - 1] == '\n' ? 0 : 1);
	}
	size_t cap = total > max ? max : total;
	char *b = xmalloc(cap + 1);
	size_t len = 0;
	for (int i = 0; i < cnt && len < cap; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *n = h ? g_mime_header_get_name(h) : NULL;
		const char *v = h ? g_mime_header_get_raw_value(h) : NULL;
		if (!n)
			continue;
		size_t nl = strlen(n), vl = v ? strlen(v) : 0;
		bool eol = vl > 0 && v[vl - 1] == '\n';
		const char *piece[4] = {n, ":", v ? v : "", "\n"};
		size_t plen[4] = {nl, 1, vl, eol ? 0 : 1};
		for (size_t k = 0; k < 4 && len < cap; k++) {
			size_t take = plen[k] < cap - len ? plen[k] : cap - len;
			memcpy(b + len, piece[k], take);
			len += take;
		}
	}
	b[len] = '\0';
	pt->body = b;
	pt->body_len = len;
	pt->body_cut = total > max;
}

/* An embedded message serialised back (headers + body), for token search;
   only its header block with MAIL_MIME_MSG_HEADERS. */
static void mime_message_body(GMimeMessage *msg, size_t max, unsigned flags,
			      struct mail_mime_part *pt)
{
	if (msg && (flags & MAIL_MIME_MSG_HEADERS)) {
		mime_header_block(GMIME_OBJECT(msg), max, pt);
		return;
	}
	GMimeStream *ms = g_mime_stream_mem_new();
	if (msg)
		(void)g_mime_object_write_to_stream(GMIME_OBJECT(msg), NULL, ms);
	mime_take_stream(ms, max, pt);
	g_object_unref(ms);
}

/* Append one part record for obj; returns its index, or -1 at the bound. */
static int mime_add_part(struct mime_walk *w, GMimeObject *obj, unsigned depth, int parent)
{
	struct mail_mime *m = w->m;
	if (m->n_parts >= MAIL_MIME_MAX_PARTS) {
		m->truncated = true;
		return -1;
	}
	if (m->n_parts == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		m->parts = xreallocarray(m->parts, w->cap, sizeof(*m->parts));
	}
	struct mail_mime_part *pt = &m->parts[m->n_parts];
	memset(pt, 0, sizeof(*pt));
	GMimeContentType *ct = obj ? g_mime_object_get_content_type(obj) : NULL;
	char *mt = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	pt->type = xstrdup(mt ? mt : "text/plain");
	g_free(mt);
	common_str_lower(pt->type);
	pt->params = mime_params(ct);
	pt->depth = depth;
	pt->parent = parent;
	if (obj)
		mime_copy_headers(obj, &pt->headers, &pt->n_headers);
	if (obj && GMIME_IS_PART(obj)) {
		const char *fn = g_mime_part_get_filename(GMIME_PART(obj));
		if (fn)
			pt->filename = mime_unfold(fn);
	}
	return (int)m->n_parts++;
}

static void mime_walk(struct mime_walk *w, GMimeObject *obj, unsigned depth, int parent);

/* Whether the flags say this part's body is not wanted. */
static bool mime_skip_body(const struct mime_walk *w, const char *type)
{
	static const char *const binary[] = {"image/", "audio/", "video/",
					     "font/",  "model/", "application/"};
	if ((w->flags & MAIL_MIME_OUTER_BODIES) && w->inner > 0)
		return true;
	if (!(w->flags & MAIL_MIME_TEXT_BODIES))
		return false;
	for (size_t i = 0; i < sizeof(binary) / sizeof(binary[0]); i++)
		if (strncmp(type, binary[i], strlen(binary[i])) == 0)
			return true;
	return false;
}

/* RFC 2046 5.1: each body part of a multipart, in order. */
static void mime_walk_multipart(struct mime_walk *w, GMimeMultipart *mp, unsigned depth, int self)
{
	int cnt = g_mime_multipart_get_count(mp);
	for (int i = 0; i < cnt; i++)
		mime_walk(w, g_mime_multipart_get_part(mp, i), depth + 1, self);
}

static void mime_walk(struct mime_walk *w, GMimeObject *obj, unsigned depth, int parent)
{
	if (!obj)
		return;
	if (depth > MAIL_MIME_MAX_DEPTH) {
		w->m->truncated = true;
		return;
	}
	int self = mime_add_part(w, obj, depth, parent);
	if (self < 0)
		return;
	struct mail_mime_part *pt = &w->m->parts[self];
	bool skip = mime_skip_body(w, pt->type);
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		const char *pro = g_mime_multipart_get_prologue(mp);
		/* a multipart without one boundary line: its text is all in the
		   preamble, keep it (bounded) so that readers still see it */
		if (g_mime_multipart_get_count(mp) == 0 && pro && *pro && !skip) {
			size_t pl = strlen(pro);
			if (pl > w->max_body) {
				pl = w->max_body;
				pt->body_cut = true;
			}
			pt->body = xmemdup0(pro, pl);
			pt->body_len = pl;
		} else {
			pt->body = xstrdup("");
		}
		mime_walk_multipart(w, mp, depth, self);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		/* RFC 2046 5.2.1: the embedded message is a message of its own;
		   its body becomes the next level. */
		GMimeMessage *em = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (skip) {
			pt->body = xstrdup("");
			pt->body_skipped = true;
		} else {
			mime_message_body(em, w->max_body, w->flags, pt);
		}
		if (pt->body_cut)
			w->m->truncated = true;
		w->inner++;
		if (em)
			mime_walk(w, g_mime_message_get_mime_part(em), depth + 1, self);
		w->inner--;
	} else if (GMIME_IS_PART(obj) && skip) {
		pt->body = xstrdup("");
		pt->body_skipped = true;
	} else if (GMIME_IS_PART(obj)) {
		mime_leaf_body(GMIME_PART(obj), w->max_body, pt);
		if (pt->body_cut)
			w->m->truncated = true;
	} else {
		pt->body = xstrdup("");
	}
}

/* True when the cleaned input holds anything but white space. */
static bool mime_has_content(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return true;
	return false;
}

enum mp_err mail_mime_parse(const char *p, size_t len, size_t max_body, struct mail_mime **out)
{
	return mail_mime_parse_opts(p, len, max_body, 0, out);
}

enum mp_err mail_mime_parse_discard(const char *p, size_t len)
{
	enum mp_err err = ERR_PARSE;
	size_t clen = 0;
	if (!p)
		return ERR_INVAL;
	pthread_once(&mime_once, mime_init_once);
	char *clean = mime_clean_input(p, len, &clen);
	if (!mime_has_content(clean, clen) || clen > G_MAXUINT) {
		free(clean);
		return ERR_PARSE;
	}
	GMimeStream *st =
	    g_mime_stream_mem_new_with_byte_array(g_byte_array_new_take((guint8 *)clean, clen));
	GMimeParser *parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
	if (msg) {
		err = ERR_OK;
		g_object_unref(msg);
	}
	g_object_unref(parser);
	g_object_unref(st);
	return err;
}

enum mp_err mail_mime_parse_opts(const char *p, size_t len, size_t max_body, unsigned flags,
				 struct mail_mime **out)
{
	enum mp_err err = ERR_PARSE;
	GMimeStream *st = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;
	size_t clen = 0;
	char *clean = NULL;

	if (!p || !out)
		return ERR_INVAL;
	pthread_once(&mime_once, mime_init_once);
	clean = mime_clean_input(p, len, &clen);
	if (!mime_has_content(clean, clen))
		goto done;
	if (clen > G_MAXUINT) {
		err = ERR_LIMIT;
		goto done;
	}
	/* the stream takes the buffer over (no copy; xmalloc is malloc, which
	   g_free() pairs with since GLib 2.46) and frees it with itself */
	st = g_mime_stream_mem_new_with_byte_array(g_byte_array_new_take((guint8 *)clean, clen));
	clean = NULL;
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg)
		goto done;

	struct mail_mime *m = xcalloc(1, sizeof(*m));
	struct mime_walk w = {
	    .m = m, .max_body = max_body ? max_body : MIME_DEFAULT_MAX_BODY, .flags = flags};
	mime_copy_headers(GMIME_OBJECT(msg), &m->headers, &m->n_headers);
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body) {
		mime_walk(&w, body, 0, -1);
	} else {
		(void)mime_add_part(&w, NULL, 0, -1);
		m->parts[0].body = xstrdup("");
	}
	*out = m;
	err = ERR_OK;
done:
	if (msg)
		g_object_unref(msg);
	if (parser)
		g_object_unref(parser);
	if (st)
		g_object_unref(st);
	free(clean);
	return err;
}

static void mime_free_headers(struct mail_mime_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

void mail_mime_free(struct mail_mime *m)
{
	if (!m)
		return;
	mime_free_headers(m->headers, m->n_headers);
	for (size_t i = 0; i < m->n_parts; i++) {
		struct mail_mime_part *pt = &m->parts[i];
		free(pt->type);
		free(pt->params);
		free(pt->filename);
		free(pt->body);
		mime_free_headers(pt->headers, pt->n_headers);
	}
	free(m->parts);
	free(m);
}

const char *mail_mime_header_get(const struct mail_mime_header *h, size_t n, const char *name,
				 size_t idx)
{
	if (!h || !name)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (h[i].name && strcasecmp(h[i].name, name) == 0) {
			if (idx == 0)
				return h[i].value;
			idx--;
		}
	}
	return NULL;
}

size_t mail_mime_header_count(const struct mail_mime_header *h, size_t n, const char *name)
{
	size_t c = 0;
	if (!h || !name)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (h[i].name && strcasecmp(h[i].name, name) == 0)
			c++;
	return c;
}

char *mail_mime_decode_words(const char *value)
{
	if (!value)
		return xstrdup("");
	pthread_once(&mime_once, mime_init_once);
	/* RFC 2047 6: GMime decodes encoded-words and converts to UTF-8. */
	char *d = g_mime_utils_header_decode_text(NULL, value);
	char *r = xstrdup(d ? d : value);
	g_free(d);
	return r;
}

/* Append one mailbox to the growing array. */
static void mime_addr_push(InternetAddressMailbox *mb, struct mail_mime_addr **a, size_t *n,
			   size_t *cap)
{
	const char *addr = internet_address_mailbox_get_addr(mb);
	if (!addr || !*addr)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*a = xreallocarray(*a, *cap, sizeof(**a));
	}
	const char *name = internet_address_get_name(INTERNET_ADDRESS(mb));
	struct mail_mime_addr *x = &(*a)[*n];
	x->name = mime_unfold(name ? name : "");
	x->addr = mime_unfold(addr);
	const char *at = strrchr(x->addr, '@');
	x->domain = xstrdup(at ? at + 1 : "");
	common_str_lower(x->domain);
	(*n)++;
}

/* RFC 5322 3.4: mailboxes and groups; groups are flattened (bounded depth). */
static void mime_addr_list(InternetAddressList *l, unsigned depth, struct mail_mime_addr **a,
			   size_t *n, size_t *cap)
{
	int cnt = l ? internet_address_list_length(l) : 0;
	if (depth > 4)
		return;
	for (int i = 0; i < cnt && *n < MAIL_MIME_MAX_PARTS; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(ia))
			mime_addr_push(INTERNET_ADDRESS_MAILBOX(ia), a, n, cap);
		else if (INTERNET_ADDRESS_IS_GROUP(ia))
			mime_addr_list(
			    internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
			    depth + 1, a, n, cap);
	}
}

enum mp_err mail_mime_addrs(const char *value, struct mail_mime_addr **out, size_t *n)
{
	struct mail_mime_addr *a = NULL;
	size_t cnt = 0, cap = 0;
	if (!value || !out || !n)
		return ERR_INVAL;
	pthread_once(&mime_once, mime_init_once);
	InternetAddressList *l = internet_address_list_parse(NULL, value);
	if (l) {
		mime_addr_list(l, 0, &a, &cnt, &cap);
		g_object_unref(l);
	}
	if (cnt == 0) {
		free(a);
		return ERR_PARSE;
	}
	*out = a;
	*n = cnt;
	return ERR_OK;
}

void mail_mime_addrs_free(struct mail_mime_addr *a, size_t n)
{
	if (!a)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].addr);
		free(a[i].domain);
	}
	free(a);
}
