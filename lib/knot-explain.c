/*
 * Why a task is built: what its derived treeptr's provenance recorded of
 * the inputs of its key, against the inputs of the key now
 * (Documentation/knot-explain.1.scd).
 */
#include "knot-internal.h"
#include "error-internal.h"
#include "strbuf.h"
#include "silo/treeptr.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int knot_env_text(struct strbuf *sb, const struct silo_knot_recipe *r)
{
	size_t i;
	int ret = 0;

	for (i = 0; knot_base_env[i] && !ret; i++)
		ret = strbuf_addf(sb, "%s%s", i ? " " : "", knot_base_env[i]);
	for (i = 0; i < r->n_env && !ret; i++) {
		const char *v = knot_env_value(r->env[i]);
		if (v)
			ret = strbuf_addf(sb, " %s=%s", r->env[i], v);
	}
	return ret < 0 ? ret : strbuf_grow(sb, 0);
}

/* A copy of S, a value of a provenance that anyone may have written, with its
 * control characters as '?': it must not drive the terminal that shows
 * it, nor make a line of its own. */
static char *printable(const char *s)
{
	char *q = strdup(s), *p;

	for (p = q; p && *p; p++)
		if (iscntrl((unsigned char)*p))
			*p = '?';
	return q;
}

/* One input of the key as the provenance records it. */
static int compare(struct strbuf *why, struct strbuf *detail, const char *field,
		   const char *was, const char *now)
{
	char *shown;
	int ret;

	if (was && !strcmp(was, now))
		return 0;
	if ((ret = strbuf_addf(why, "%s%s", why->len ? ", " : "", field)) < 0)
		return ret;
	if (!(shown = printable(was ? was : "(not recorded)")))
		return silo__error_oom();
	ret = strbuf_addf(detail, "changed %s: %s -> %s\n", field, shown, now);
	free(shown);
	return ret;
}

/* The dependencies: "name/version key tree" words, separated by ", ". */
static int compare_deps(struct strbuf *why, struct strbuf *detail, const char *was,
			const struct silo_knot_task *t)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < t->n_deps && !ret; i++) {
		char *nv = knot_format("%s/%s ", t->deps[i]->recipe->name, t->deps[i]->version);
		const char *p = NULL, *s;
		char old[65] = "";

		if (!nv)
			return silo__error_oom();
		/* its entry: at the start or after ", " */
		for (s = was ? was : ""; (s = strstr(s, nv)); s++)
			if (s == was || (s - was >= 2 && s[-2] == ',' && s[-1] == ' ')) {
				p = s + strlen(nv);
				break;
			}
		if (p)
			snprintf(old, sizeof(old), "%.*s", (int)strcspn(p, " ,"), p);
		nv[strlen(nv) - 1] = '\0';
		if (strcmp(old, t->deps[i]->key)) {
			char *field = knot_format("dep %s", nv);
			ret = field ? compare(why, detail, field, p ? old : NULL, t->deps[i]->key)
				    : silo__error_oom();
			free(field);
		}
		free(nv);
	}
	return ret;
}

int silo_knot_explain(char **why_out, char **detail_out, const struct silo_knot_task *t,
		      const silo_knot_set *set)
{
	const struct silo_knot_platform *pl = t->platform ? t->platform : silo_knot_set_platform(set);
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct strbuf why = STRBUF_INIT, detail = STRBUF_INIT, env = STRBUF_INIT;
	char *platform = NULL, *shown_key = NULL, fmt[16], tree[SILO_OID_MAX_HEXSZ + 1];
	const char *key;
	int ret;

	*why_out = NULL;
	if (detail_out)
		*detail_out = NULL;
	ret = silo_treeptr_load(&tp, t->derived_treeptr);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		if ((ret = strbuf_adds(&why, "new")) < 0 ||
		    (ret = strbuf_addf(&detail, "state missing: no build published (no '%s')\n",
				       t->derived_treeptr)) < 0)
			goto out;
		goto done;
	}
	if (ret < 0)
		goto out;
	key = silo_treeptr_provenance(&tp, "key");
	silo_oid_to_hex(tree, &tp.tree);
	if (!(shown_key = printable(key ? key : "(none)"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = strbuf_addf(&detail, "state %s: %s, tree %s, %llu bytes, key %s\n",
			       key && !strcmp(key, t->key) ? "published" : "stale", t->derived_treeptr,
			       tree, (unsigned long long)tp.size, shown_key)) < 0)
		goto out;
	if (key && !strcmp(key, t->key)) {
		ret = strbuf_adds(&why, "published");
		goto done;
	}
	/* The inputs of the key (Documentation/knot-key.1.scd) that the
	 * provenance records, in the key's order. */
	snprintf(fmt, sizeof(fmt), "%d", SILO_KNOT_KEY_FORMAT);
	if ((ret = knot_env_text(&env, t->recipe)) < 0)
		goto out;
	if (!(platform = knot_format("%s %s %s", pl->id, pl->version_id, pl->arch))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = compare(&why, &detail, "key-format", silo_treeptr_provenance(&tp, "key-format"), fmt)) < 0 ||
	    (ret = compare(&why, &detail, "wedge-path", silo_treeptr_provenance(&tp, "wedge-path"),
			   t->wedge_path)) < 0 ||
	    (ret = compare(&why, &detail, "absolute", silo_treeptr_provenance(&tp, "absolute"),
			   t->recipe->is_absolute ? "1" : "0")) < 0 ||
	    (ret = compare(&why, &detail, "recipe-tree", silo_treeptr_provenance(&tp, "recipe-tree"),
			   t->recipe_tree)) < 0 ||
	    (ret = compare(&why, &detail, "source-object",
			   silo_treeptr_provenance(&tp, "source-object"), t->source_object)) < 0 ||
	    (ret = compare_deps(&why, &detail, silo_treeptr_provenance(&tp, "deps"), t)) < 0 ||
	    (ret = compare(&why, &detail, "platform", silo_treeptr_provenance(&tp, "platform"),
			   platform)) < 0 ||
	    (t->base && (ret = compare(&why, &detail, "base", silo_treeptr_provenance(&tp, "base"),
				       t->base_tree)) < 0) ||
	    (ret = compare(&why, &detail, "box", silo_treeptr_provenance(&tp, "box"), t->box)) < 0 ||
	    (ret = compare(&why, &detail, "env", silo_treeptr_provenance(&tp, "env"), env.buf)) < 0 ||
	    (t->build_deps &&
	     (ret = compare(&why, &detail, "build-deps", silo_treeptr_provenance(&tp, "build-deps"),
			    t->build_deps)) < 0))
		goto out;
	if (!why.len && (ret = strbuf_adds(&why, "an input the provenance does not record")) < 0)
		goto out;
done:
	if ((ret = strbuf_grow(&why, 0)) < 0 || (ret = strbuf_grow(&detail, 0)) < 0)
		goto out;
	*why_out = strbuf_detach(&why);
	if (detail_out)
		*detail_out = strbuf_detach(&detail);
	ret = 0;
out:
	silo_treeptr_release(&tp);
	strbuf_release(&why);
	strbuf_release(&detail);
	strbuf_release(&env);
	free(platform);
	free(shown_key);
	return ret;
}
