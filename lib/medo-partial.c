/*
 * Partial expansions: the paths asked for (literal paths and shell
 * globs, matched against the tree's paths), the record a partial
 * expansion leaves in its destination, and the comparison of such a
 * destination with its treeptr, limited to what was asked for.
 */
#include "silo/tree.h"
#include "silo/treeptr.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "json-text.h"
#include "medo-internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MATCH_FLAGS (FNM_PATHNAME | FNM_PERIOD)

void medo_select_release(struct medo_select *sel)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		free(sel->pats[i]);
	free(sel->pats);
	free(sel->used);
	memset(sel, 0, sizeof(*sel));
}

/* RAW normalised into *OUT (owned): no "." or empty component, no
 * trailing '/'; absolute paths and components git refuses ("..",
 * ".git") refused. */
static int normalise(char **out, const char *raw)
{
	size_t len = strlen(raw), at = 0;
	const char *p = raw;
	char *n;

	*out = NULL;
	if (*raw == '/')
		return silo__error_set(SILO_EUNSAFE, "refusing the path '%s': absolute path", raw);
	if (!(n = malloc(len + 1)))
		return silo__error_oom();
	while (*p) {
		const char *slash = strchr(p, '/'), *why;
		size_t c = slash ? (size_t)(slash - p) : strlen(p);

		if (c && !(c == 1 && p[0] == '.')) {
			if ((why = silo_tree_name_refused(p, c, 040000))) {
				free(n);
				return silo__error_set(SILO_EUNSAFE, "refusing the path '%s': %s",
						       raw, why);
			}
			if (at)
				n[at++] = '/';
			memcpy(n + at, p, c);
			at += c;
		}
		p += c;
		if (*p == '/')
			p++;
	}
	n[at] = '\0';
	if (!at) {
		free(n);
		return silo__error_set(SILO_EINVALID, "the path '%s' names the whole tree: "
				       "give no path to expand it all", raw);
	}
	*out = n;
	return 0;
}

int medo_select_init(struct medo_select *sel, const char *const *paths, size_t n)
{
	size_t i;
	int ret;

	memset(sel, 0, sizeof(*sel));
	if (!(sel->pats = calloc(n ? n : 1, sizeof(*sel->pats))) ||
	    !(sel->used = calloc(n ? n : 1, 1)))
		goto oom;
	for (i = 0; i < n; i++) {
		if ((ret = normalise(&sel->pats[sel->n], paths[i])) < 0) {
			medo_select_release(sel);
			return ret;
		}
		sel->n++;
	}
	return 0;
oom:
	medo_select_release(sel);
	return silo__error_oom();
}

int medo_select_match(struct medo_select *sel, const char *path, int is_dir)
{
	size_t len = strlen(path), i;
	int result = 0;
	char *buf;

	if (!(buf = malloc(len + 1)))
		return silo__error_oom();
	for (i = 0; i < sel->n; i++) {
		const char *pat = sel->pats[i];
		size_t depth = 1, k;
		const char *s;
		/* PATH, or a directory above it, matches: selected. */
		memcpy(buf, path, len + 1);
		for (k = len;;) {
			buf[k] = '\0';
			if (!fnmatch(pat, buf, MATCH_FLAGS)) {
				sel->used[i] = 1;
				result = 2;
				break;
			}
			while (k > 0 && path[k - 1] != '/')
				k--;
			if (!k)
				break;
			k--;
		}
		if (result || !is_dir)
			continue;
		/* A directory whose components match the pattern's first
		 * ones: what the pattern names may be below it. */
		for (s = path; *s; s++)
			depth += *s == '/';
		for (s = pat, k = 0; *s && k < depth; s++)
			k += *s == '/';
		if (k == depth) {
			size_t plen = (size_t)(s - pat) - 1;
			char *prefix = strndup(pat, plen);
			if (!prefix) {
				free(buf);
				return silo__error_oom();
			}
			if (!fnmatch(prefix, path, MATCH_FLAGS))
				result = 1;
			free(prefix);
		}
	}
	free(buf);
	return result;
}

static int all_used(const struct medo_select *sel)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (!sel->used[i])
			return 0;
	return 1;
}

int medo_select_check_used(const struct medo_select *sel, const char *treeptr_path)
{
	size_t i;

	for (i = 0; i < sel->n; i++)
		if (!sel->used[i])
			return silo__error_set(SILO_ENOTFOUND, "'%s': no path of its tree matches '%s'",
					       treeptr_path, sel->pats[i]);
	return 0;
}

int medo_select_list(struct silo_tree_list *out, struct silo_tree_attrs *out_attrs,
		     const struct silo_tree_list *l, const struct silo_tree_attrs *a,
		     struct medo_select *sel)
{
	size_t i;
	int ret;

	out->format = l->format;
	for (i = 0; i < l->n; i++) {
		struct silo_tree_entry *e;
		if ((ret = medo_select_match(sel, l->v[i].path, 0)) < 0)
			return ret;
		if (ret != 2)
			continue;
		if (ALLOC_GROW(out->v, out->n + 1, out->alloc) < 0)
			return silo__error_oom();
		e = &out->v[out->n];
		*e = l->v[i];
		if (!(e->path = strdup(l->v[i].path)))
			return silo__error_oom();
		out->n++;
	}
	for (i = 0; a && out_attrs && i < a->n; i++) {
		struct silo_tree_attr *r;
		if ((ret = medo_select_match(sel, a->v[i].path, a->v[i].type == SILO_TREE_ATTR_DIR)) < 0)
			return ret;
		if (ret != 2)
			continue;
		if (ALLOC_GROW(out_attrs->v, out_attrs->n + 1, out_attrs->alloc) < 0)
			return silo__error_oom();
		r = &out_attrs->v[out_attrs->n];
		*r = a->v[i];
		if (!(r->path = strdup(a->v[i].path)))
			return silo__error_oom();
		out_attrs->n++;
	}
	return 0;
}

/* ---- the record ---- */

int medo_partial_write_record(const char *dir, const silo_oid *tree,
			      const struct medo_select *sel)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], *path = fs_join(dir, MEDO_PARTIAL_RECORD), *text = NULL;
	json_t *paths = json_array(), *doc = NULL;
	size_t i;
	int ret = 0;

	for (i = 0; paths && i < sel->n; i++)
		if (json_array_append_new(paths, json_string(sel->pats[i])) < 0)
			ret = -1;
	if (paths && !ret)
		doc = json_pack("{s:i,s:s,s:O}", "version", 1, "tree",
				silo_oid_to_hex(hex, tree), "paths", paths);
	if (!path || !doc || json_text(&text, doc, JSON_INDENT(2)) < 0)
		ret = silo__error_oom();
	else
		ret = fs_write_file_atomic(path, text, strlen(text));
	free(text);
	json_decref(doc);
	json_decref(paths);
	free(path);
	return ret;
}

int medo_partial_read_record(struct medo_select *sel, silo_oid *tree, const char *dir)
{
	char *path = fs_join(dir, MEDO_PARTIAL_RECORD);
	const char **v = NULL;
	json_error_t jerr;
	json_t *doc, *paths;
	const char *hex;
	size_t i, n;
	int ret;

	if (!path)
		return silo__error_oom();
	if (access(path, F_OK) < 0) {
		ret = errno == ENOENT || errno == ENOTDIR ? 0 :
		      silo__error_errno("cannot read '%s'", path);
		free(path);
		return ret;
	}
	doc = json_load_file(path, 0, &jerr);
	paths = json_object_get(doc, "paths");
	hex = json_string_value(json_object_get(doc, "tree"));
	n = json_array_size(paths);
	if (!doc || !hex || !n || silo_oid_from_hex_any(tree, hex) < 0) {
		ret = silo__error_set(SILO_EINVALID, "'%s': not a record of a partial expansion "
				      "(a \"tree\" id and \"paths\" expected)", path);
		goto out;
	}
	if (!(v = calloc(n, sizeof(*v)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < n; i++)
		if (!(v[i] = json_string_value(json_array_get(paths, i)))) {
			ret = silo__error_set(SILO_EINVALID, "'%s': \"paths\" holds a non-string",
					      path);
			goto out;
		}
	if ((ret = medo_select_init(sel, v, n)) < 0)
		silo__error_wrap("'%s'", path);
	else
		ret = 1;
out:
	free(v);
	json_decref(doc);
	free(path);
	return ret;
}

/* ---- comparing ---- */

struct partial_cmp {
	int (*report)(void *payload, int change, const char *path);
	void *payload;
	size_t reported;
};

static int count_report(void *payload, int change, const char *path)
{
	struct partial_cmp *c = payload;

	c->reported++;
	return c->report ? c->report(c->payload, change, path) : 0;
}

/* Leaves of DISK that SEL does not select, the record aside. */
static size_t count_unselected(const struct silo_tree_list *disk, struct medo_select *sel)
{
	size_t i, n = 0;

	for (i = 0; i < disk->n; i++)
		if (strcmp(disk->v[i].path, MEDO_PARTIAL_RECORD) &&
		    medo_select_match(sel, disk->v[i].path, 0) != 2)
			n++;
	return n;
}

int medo_partial_matches(const struct silo_treeptr *tp, const char *dir,
			 const char *treeptr_path, const char *silo_option,
			 struct medo_select *sel, int strict,
			 int (*report)(void *payload, int change, const char *path),
			 void *payload, silo_medo_warn_fn on_warning, void *warn_payload)
{
	struct silo_tree_list want = SILO_TREE_LIST_INIT, disk = SILO_TREE_LIST_INIT;
	struct silo_tree_list want_sel = SILO_TREE_LIST_INIT, disk_sel = SILO_TREE_LIST_INIT;
	struct silo_tree_attrs want_attrs = SILO_TREE_ATTRS_INIT, disk_attrs = SILO_TREE_ATTRS_INIT;
	struct silo_tree_attrs want_attrs_sel = SILO_TREE_ATTRS_INIT;
	struct silo_tree_attrs disk_attrs_sel = SILO_TREE_ATTRS_INIT;
	struct partial_cmp c = { report, payload, 0 };
	silo_oid attrs_id;
	uint64_t attrs_size;
	int exact = silo_treeptr_attrs(tp, &attrs_id, &attrs_size), ret;

	if ((ret = medo_object_list(&want, &want_attrs, treeptr_path, tp, silo_option,
				    on_warning, warn_payload)) < 0) {
		silo__error_wrap("cannot check the partial expansion '%s'", dir);
		goto out;
	}
	if ((ret = exact ? silo_tree_list_dir_attrs(&disk, &disk_attrs, tp->tree.format, dir) :
			   silo_tree_list_dir(&disk, tp->tree.format, dir)) < 0 ||
	    (exact && (ret = silo_tree_attrs_expanded(&want_attrs, &want_attrs, &want,
						      (unsigned)fs_umask() & 0777)) < 0) ||
	    (ret = medo_select_list(&want_sel, &want_attrs_sel, &want, &want_attrs, sel)) < 0)
		goto out;
	/* A path that matches nothing in the tree was never expanded from
	 * it (medo expand refuses it): such a record describes no partial
	 * expansion of TP, and checking it would check nothing.  Only a
	 * tree of kind tree is listed whole (its empty directories are in
	 * its attribute record); an archive's listing has no empty
	 * directory, which a path may have named. */
	if (tp->kind == SILO_TREEPTR_TREE && !all_used(sel)) {
		ret = 0;
		goto out;
	}
	if ((ret = medo_select_list(&disk_sel, &disk_attrs_sel, &disk, &disk_attrs, sel)) < 0 ||
	    (ret = silo_tree_exact_diff(&want_sel, exact ? &want_attrs_sel : NULL, &disk_sel,
					exact ? &disk_attrs_sel : NULL, count_report, &c)) < 0)
		goto out;
	ret = !c.reported && !(strict && count_unselected(&disk, sel));
out:
	silo_tree_list_release(&want);
	silo_tree_list_release(&disk);
	silo_tree_list_release(&want_sel);
	silo_tree_list_release(&disk_sel);
	silo_tree_attrs_release(&want_attrs);
	silo_tree_attrs_release(&disk_attrs);
	silo_tree_attrs_release(&want_attrs_sel);
	silo_tree_attrs_release(&disk_attrs_sel);
	return ret;
}
