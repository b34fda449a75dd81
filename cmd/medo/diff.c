/* medo diff: what differs between the trees of two treeptrs, from their
 * tree objects: equal subtrees are skipped, no file is read. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo-tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"medo diff [--silo=<dir>] [--json] <treeptr-a> <treeptr-b>",
	NULL
};

struct side {
	const silo_medo_tree *t;
	struct silo_medo_tree_node *v;
	size_t n, alloc;
};

struct diff {
	json_t *changes;
	int differs;
};

static int report(struct diff *d, const char *what, const char *path)
{
	d->differs = 1;
	if (d->changes)
		return fe_json_append(d->changes, json_pack("{s:s,s:s}", "change", what, "path", path));
	printf("%s %s\n", what, path);
	return 0;
}

static int collect(void *payload, const struct silo_medo_tree_node *e)
{
	struct side *s = payload;

	if (s->n == s->alloc) {
		size_t na = s->alloc ? 2 * s->alloc : 16;
		struct silo_medo_tree_node *v = realloc(s->v, na * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->alloc = na;
	}
	s->v[s->n++] = *e;
	return 0;
}

/* Every leaf below node N of T (or N itself), reported as WHAT. */
static int all_of(struct diff *d, const silo_medo_tree *t, const struct silo_medo_tree_node *e,
		  const char *what)
{
	struct side s = { t, NULL, 0, 0 };
	size_t i;
	int ret = 0;

	if (e->mode != 040000)
		return report(d, what, e->path);
	if (silo_medo_tree_list(t, e->node, collect, &s) != 0)
		ret = -1;
	for (i = 0; i < s.n && !ret; i++)
		ret = all_of(d, t, &s.v[i], what);
	free(s.v);
	return ret;
}

/* Git's order of tree entries: a directory sorts as its name and '/'. */
static int entry_cmp(const struct silo_medo_tree_node *a, const struct silo_medo_tree_node *b)
{
	size_t la = strlen(a->name), lb = strlen(b->name), n = la < lb ? la : lb;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = la > n ? (unsigned char)a->name[n] : a->mode == 040000 ? '/' : 0;
	cb = lb > n ? (unsigned char)b->name[n] : b->mode == 040000 ? '/' : 0;
	return ca - cb;
}

static int diff_dirs(struct diff *d, const silo_medo_tree *ta, size_t na,
		     const silo_medo_tree *tb, size_t nb)
{
	struct side a = { ta, NULL, 0, 0 }, b = { tb, NULL, 0, 0 };
	size_t i = 0, j = 0;
	int ret = 0;

	if (silo_medo_tree_list(ta, na, collect, &a) != 0 ||
	    silo_medo_tree_list(tb, nb, collect, &b) != 0)
		ret = -1;
	while (!ret && (i < a.n || j < b.n)) {
		int c = i >= a.n ? 1 : j >= b.n ? -1 : strcmp(a.v[i].name, b.v[j].name);
		const struct silo_medo_tree_node *x = i < a.n ? &a.v[i] : NULL;
		const struct silo_medo_tree_node *y = j < b.n ? &b.v[j] : NULL;

		if (c && x && y)
			c = entry_cmp(x, y);
		if (c < 0) {
			ret = all_of(d, ta, x, "removed");
			i++;
		} else if (c > 0) {
			ret = all_of(d, tb, y, "added");
			j++;
		} else {
			int xd = x->mode == 040000, yd = y->mode == 040000;
			if (silo_oid_equal(&x->id, &y->id) && x->mode == y->mode)
				;	/* the same subtree or file: nothing below differs */
			else if (xd && yd)
				ret = diff_dirs(d, ta, x->node, tb, y->node);
			else if (xd || yd)
				ret = all_of(d, ta, x, "removed") ? -1 : all_of(d, tb, y, "added");
			else
				ret = report(d, silo_oid_equal(&x->id, &y->id) ? "mode" : "changed",
					     x->path);
			i++;
			j++;
		}
	}
	free(a.v);
	free(b.v);
	return ret;
}

int cmd_medo_diff(int argc, const char **argv)
{
	const char *silo_opt = NULL;
	int json = 0, ret, status;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &silo_opt, "dir", "a silo to use instead of SILO.json's"),
		OPT_FLAG(0, "json", &json, "print one JSON document (see OUTPUT in medo-diff(1))"),
		OPT_END()
	};
	silo_medo_tree *ta = NULL, *tb = NULL;
	struct diff d = { NULL, 0 };

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc != 2)
		return fe_usage_error(usage, opts, "expected two treeptrs");
	if ((ret = silo_medo_tree_open(&ta, argv[0], silo_opt, medo_cmd_warn, NULL)) < 0 ||
	    (ret = silo_medo_tree_open(&tb, argv[1], silo_opt, medo_cmd_warn, NULL)) < 0) {
		silo_medo_tree_free(ta);
		return fe_lib_error(ret);
	}
	if (json && !(d.changes = json_array()))
		ret = -1;
	else
		ret = diff_dirs(&d, ta, 0, tb, 0);
	if (ret < 0)
		status = silo_error_message()[0] ? fe_lib_error(ret) :
			 fe_error(FE_EXIT_FAILURE, "out of memory");
	else if (json)
		status = fe_json_print(json_pack("{s:b,s:o}", "differs", d.differs,
						 "changes", d.changes));
	else
		status = 0;
	if (json && ret < 0)
		json_decref(d.changes);
	if (!status && d.differs)
		status = 1;
	silo_medo_tree_free(ta);
	silo_medo_tree_free(tb);
	return status;
}
