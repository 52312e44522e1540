/*
 * web/spftree: the SPF lookup tree as nested HTML lists (see spftree.h).
 */
#include <string.h>
#include "common/json.h"
#include "web/spftree.h"

/* The SPF walker stops at depth 10 and 100 records; a hostile tree stops here. */
#define TREE_DEPTH_MAX 12
#define TREE_NODES_MAX 200

static void json_text(struct web_out *o, const struct common_json *v, const char *key)
{
	size_t n = 0;
	const char *p = common_json_str_value(common_json_get(v, key), &n);

	if (p != NULL)
		web_out_html(o, p, n);
}

static long long json_num(const struct common_json *v, const char *key)
{
	long long n = 0;

	return common_json_int_value(common_json_get(v, key), &n) ? n : -1;
}

static void tree_node(struct web_out *o, const struct common_json *n, int depth, size_t *budget);

static void tree_terms(struct web_out *o, const struct common_json *n, int depth, size_t *budget)
{
	const struct common_json *terms = common_json_get(n, "terms");
	size_t shown = 0, count = common_json_array_len(terms);

	for (size_t i = 0; i < count; i++) {
		const struct common_json *t = common_json_array_at(terms, i);
		const struct common_json *child = common_json_get(t, "include");
		long long cost = json_num(t, "lookups");

		/* ip4:/ip6:/all cost nothing: the record above already shows them. */
		if (cost <= 0 && child == NULL && common_json_get(t, "note") == NULL)
			continue;
		web_out_put(o, shown++ == 0 ? "<ul>\n<li><code>" : "<li><code>");
		json_text(o, t, "term");
		web_out_put(o, "</code>");
		if (cost >= 0)
			web_out_printf(o, " <span class=\"node-cost\">%lld lookup%s</span>", cost,
				       cost == 1 ? "" : "s");
		if (common_json_get(t, "note") != NULL) {
			web_out_put(o, " <span class=\"term-note\">");
			json_text(o, t, "note");
			web_out_put(o, "</span>");
		}
		if (child != NULL)
			tree_node(o, child, depth + 1, budget);
		web_out_put(o, "</li>\n");
	}
	if (shown > 0)
		web_out_put(o, "</ul>\n");
}

static void tree_node(struct web_out *o, const struct common_json *n, int depth, size_t *budget)
{
	size_t rlen = 0;
	const char *rec = common_json_str_value(common_json_get(n, "record"), &rlen);
	long long cost = json_num(n, "lookups");

	if (depth > TREE_DEPTH_MAX || *budget == 0) {
		web_out_put(o, "<div class=\"muted\">(deeper levels not shown)</div>");
		return;
	}
	(*budget)--;
	web_out_put(o, "<div class=\"node-head\"><span class=\"node-dom\">");
	json_text(o, n, "domain");
	web_out_put(o, "</span>");
	if (cost >= 0)
		web_out_printf(o, "<span class=\"node-cost\">%lld lookup%s in total</span>", cost,
			       cost == 1 ? "" : "s");
	web_out_put(o, "<span class=\"muted\">");
	json_text(o, n, "status");
	web_out_put(o, "</span></div>\n");
	if (rec != NULL) {
		web_out_put(o, "<pre>");
		web_out_html(o, rec, rlen);
		web_out_put(o, "</pre>\n");
	}
	if (common_json_get(n, "error") != NULL) {
		web_out_put(o, "<div class=\"node-err\">");
		json_text(o, n, "error");
		web_out_put(o, "</div>\n");
	}
	tree_terms(o, n, depth, budget);
}

void web_spftree_html(struct web_out *o, const char *json, size_t len)
{
	struct common_json *root = NULL;
	size_t budget = TREE_NODES_MAX;

	if (common_json_parse(json, len, &root) != ERR_OK ||
	    common_json_get(root, "domain") == NULL) {
		web_out_put(o, "<p class=\"muted\">The SPF lookup tree could not be read.</p>\n");
		common_json_free(root);
		return;
	}
	web_out_put(o, "<h3>Lookup tree</h3>\n<ul class=\"tree\"><li>");
	tree_node(o, root, 0, &budget);
	web_out_put(o, "</li></ul>\n");
	common_json_free(root);
}
