/*
 * medo web: a static site of medo directories.  The steps:
 *
 *  1. every treeptr below the directories is read, with its provenance
 *     and the state of its signature; with history, its earlier versions
 *     in git (git log and git show of the file);
 *  2. sequences are formed: the versions of one name in one directory
 *     (name-1.2, name-1.10, by version order) and each treeptr's history,
 *     oldest first; each pair of neighbours gets a difference;
 *  3. each tree whose pages are not there yet is opened and its pages
 *     written (medo-web-tree.c), sequence by sequence, so that each tree
 *     is opened once for its pages and its differences;
 *  4. the pages of treeptrs (p/), the index, site.json (the silos the
 *     pages read from) and the assets are written again.
 */
#include "silo/medo-web.h"
#include "silo/silojson.h"
#include "silo/sshsig.h"
#include "silo/tree.h"
#include "medo-web-internal.h"
#include "error-internal.h"
#include "git-run.h"
#include "fsutil.h"
#include "alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREEPTR_MAX_BYTES (1024 * 1024)
#define NONE ((size_t)-1)

enum sig_state { SIG_NONE, SIG_UNCHECKED, SIG_GOOD, SIG_BAD };

struct wptr {
	char *path;		/* on disk: the file; history: "<path>@<commit>" */
	char *rel;		/* relative to its medo directory */
	size_t medo;		/* its directory, in the arguments */
	size_t owner;		/* history: the treeptr on disk it is a version of */
	char *text;		/* its bytes */
	size_t len;
	struct silo_treeptr tp;
	int parsed;
	json_t *prov;		/* its provenance object, or NULL */
	char *name, *version;	/* for sequences of versions; version may be NULL */
	int sig;
	char *sig_text;		/* the principal, or why it failed */
	size_t tree;		/* in w->trees, or NONE */
	char *error;		/* why it cannot be shown */
	char *commit, *date;	/* history only */
	size_t *history;	/* on disk: its versions in history, newest first */
	size_t n_history;
};

struct wtree {
	struct web_tree_info info;
	size_t ptr;		/* a treeptr naming it, to open it with */
	int state;		/* 0 to write, 1 there, -1 failed */
};

struct wdiff {
	size_t a, b;		/* treeptrs, older and newer */
	struct web_diff_info info;
	int state;		/* as for trees */
};

struct web {
	const char *out;
	const char *const *dirs;
	size_t n_dirs;
	char **labels;		/* of each directory: p/<label>/ */
	const struct silo_medo_web_options *o;
	struct silo_medo_web_result *res;
	struct web_writer wr;
	struct wptr *ptrs;
	size_t n_ptrs, alloc_ptrs, n_disk;
	struct wtree *trees;
	size_t n_trees, alloc_trees;
	struct wdiff *diffs;
	size_t n_diffs, alloc_diffs;
	size_t **seqs;		/* sequences of treeptrs, each ending in NONE */
	size_t n_seqs, alloc_seqs;
	/* Open trees: at most two, the current one and the one before. */
	silo_medo_tree *open_t[2];
	size_t open_tree[2];
	uint64_t done, total;
};

static void report(struct web *w, struct wptr *p, int code)
{
	if (!p->error && !(p->error = strdup(silo_error_message())))
		return;
	/* An earlier version whose tree is gone from the silo: shown as
	 * not readable, a warning. */
	if (p->owner != NONE) {
		if (w->o->on_warning)
			w->o->on_warning(w->o->payload, p->error);
		return;
	}
	w->res->failed++;
	if (w->o->on_error)
		w->o->on_error(w->o->payload, p->path, code, p->error);
}

/* ---- 1. the treeptrs ---- */

/* Name and version from the file name: "typescript-5.4.2" is
 * typescript 5.4.2 (the first '-' before a digit, or 'v' and a digit);
 * knot's provenance names them itself. */
static int name_version(struct wptr *p)
{
	const char *base = strrchr(p->rel, '/'), *end, *s;
	const char *pn = p->prov ? json_string_value(json_object_get(p->prov, "name")) : NULL;
	const char *pv = p->prov ? json_string_value(json_object_get(p->prov, "version")) : NULL;

	base = base ? base + 1 : p->rel;
	end = base + strlen(base);
	if (end - base > (long)strlen(SILO_TREEPTR_SUFFIX) &&
	    !strcmp(end - strlen(SILO_TREEPTR_SUFFIX), SILO_TREEPTR_SUFFIX))
		end -= strlen(SILO_TREEPTR_SUFFIX);
	if (pn && pv) {
		p->name = strdup(pn);
		p->version = strdup(pv);
		return p->name && p->version ? 0 : silo__error_oom();
	}
	for (s = base; s < end; s++)
		if (*s == '-' && s > base && s + 1 < end &&
		    ((s[1] >= '0' && s[1] <= '9') ||
		     (s[1] == 'v' && s + 2 < end && s[2] >= '0' && s[2] <= '9')))
			break;
	if (s < end) {
		p->name = strndup(base, (size_t)(s - base));
		p->version = strndup(s + 1, (size_t)(end - s - 1));
		return p->name && p->version ? 0 : silo__error_oom();
	}
	p->name = strndup(base, (size_t)(end - base));
	return p->name ? 0 : silo__error_oom();
}

/* Parse P's text: its treeptr and provenance. */
static int parse_ptr(struct web *w, struct wptr *p)
{
	json_t *doc;
	int ret;

	if ((ret = silo_treeptr_parse(&p->tp, p->text, p->len, p->path)) < 0) {
		report(w, p, ret);
		return 0;
	}
	p->parsed = 1;
	if ((doc = json_loadb(p->text, p->len, 0, NULL))) {
		json_t *prov = json_object_get(doc, "provenance");
		if (json_is_object(prov))
			p->prov = json_incref(prov);
		json_decref(doc);
	}
	return 0;
}

static int add_ptr(struct web *w, size_t *at)
{
	if (ALLOC_GROW(w->ptrs, w->n_ptrs + 1, w->alloc_ptrs) < 0)
		return silo__error_oom();
	memset(&w->ptrs[w->n_ptrs], 0, sizeof(w->ptrs[0]));
	w->ptrs[w->n_ptrs].tp = (struct silo_treeptr)SILO_TREEPTR_INIT;
	w->ptrs[w->n_ptrs].tree = NONE;
	w->ptrs[w->n_ptrs].owner = NONE;
	*at = w->n_ptrs++;
	return 0;
}

static int signature(struct web *w, struct wptr *p)
{
	struct strbuf sig = STRBUF_INIT;
	char *principal = NULL;
	int ret;

	if ((ret = strbuf_addf(&sig, "%s%s", p->path, SILO_SSHSIG_SUFFIX)) < 0)
		return ret;
	if (!fs_exists(sig.buf)) {
		p->sig = SIG_NONE;
	} else if (!w->o->signers) {
		p->sig = SIG_UNCHECKED;
	} else if (silo_medo_check_signature(&principal, w->o->signers, p->path) == 0) {
		p->sig = SIG_GOOD;
		p->sig_text = principal;
	} else {
		p->sig = SIG_BAD;
		p->sig_text = strdup(silo_error_message());
		w->res->bad_signatures++;
		if (w->o->on_warning) {
			struct strbuf m = STRBUF_INIT;
			if (strbuf_addf(&m, "bad signature: %s", silo_error_message()) == 0)
				w->o->on_warning(w->o->payload, m.buf);
			strbuf_release(&m);
		}
		silo_error_clear();
	}
	strbuf_release(&sig);
	return 0;
}

static int read_dir(struct web *w, size_t d)
{
	char **names;
	size_t n, i, at;
	int ret;

	if ((ret = silo_medo_find_treeptrs(&names, &n, w->dirs[d])) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		struct wptr *p;
		if ((ret = add_ptr(w, &at)) < 0)
			break;
		p = &w->ptrs[at];
		p->medo = d;
		if (!(p->rel = strdup(names[i])) || !(p->path = fs_join(w->dirs[d], names[i]))) {
			ret = silo__error_oom();
			break;
		}
		if ((ret = fs_read_file(&p->text, &p->len, p->path, TREEPTR_MAX_BYTES)) < 0) {
			report(w, p, ret);
			ret = 0;
		} else if ((ret = parse_ptr(w, p)) < 0) {
			break;
		}
		if ((ret = name_version(p)) < 0 || (ret = signature(w, p)) < 0)
			break;
	}
	silo_medo_list_free(names, n);
	return ret;
}

/* p/<label>/ of each directory: its base name, made unique. */
static int make_labels(struct web *w)
{
	size_t i, j;

	if (!(w->labels = calloc(w->n_dirs, sizeof(*w->labels))))
		return silo__error_oom();
	for (i = 0; i < w->n_dirs; i++) {
		struct strbuf sb = STRBUF_INIT;
		char *base = fs_basename(w->dirs[i]);
		unsigned k = 1;
		int clash;

		if (!base)
			return silo__error_oom();
		if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/")) {
			free(base);
			if (!(base = strdup("medo")))
				return silo__error_oom();
		}
		do {
			strbuf_reset(&sb);
			if ((k > 1 ? strbuf_addf(&sb, "%s-%u", base, k) : strbuf_adds(&sb, base)) < 0) {
				free(base);
				return silo__error_oom();
			}
			for (clash = 0, j = 0; j < i && !clash; j++)
				clash = !strcmp(w->labels[j], sb.buf);
			k++;
		} while (clash);
		free(base);
		w->labels[i] = strbuf_detach(&sb);
	}
	return 0;
}

/* ---- history ---- */

static void ptr_release(struct wptr *p)
{
	free(p->path);
	free(p->rel);
	free(p->text);
	silo_treeptr_release(&p->tp);
	json_decref(p->prov);
	free(p->name);
	free(p->version);
	free(p->sig_text);
	free(p->error);
	free(p->commit);
	free(p->date);
	free(p->history);
}

/* Forget the last treeptr added (a version of history not kept). */
static void drop_last(struct web *w)
{
	ptr_release(&w->ptrs[--w->n_ptrs]);
}

/* The earlier versions of treeptr I in git, newest first, each with
 * other data than the one after it. */
static int read_history(struct web *w, size_t i)
{
	struct strbuf log = STRBUF_INIT, show = STRBUF_INIT, spec = STRBUF_INIT;
	char *dir = fs_dirname(w->ptrs[i].path), *base = fs_basename(w->ptrs[i].path);
	char count[32], *line, *nl;
	size_t last = i, found = 0;
	int ret = 0;

	if (!dir || !base) {
		ret = silo__error_oom();
		goto out;
	}
	snprintf(count, sizeof(count), "-n%u", w->o->history + 1);
	{
		const char *args[] = { "log", count, "--format=%H %cI", "--", base, NULL };
		if (git_capture(&log, dir, args) < 0) {
			/* Not in a git repository: no history. */
			silo_error_clear();
			goto out;
		}
	}
	for (line = log.buf; line && *line && found < w->o->history; line = nl ? nl + 1 : NULL) {
		struct wptr *p, *newer;
		char *sp;
		size_t at;

		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!(sp = strchr(line, ' ')))
			continue;
		*sp = '\0';
		strbuf_reset(&spec);
		strbuf_reset(&show);
		if ((ret = strbuf_addf(&spec, "%s:./%s", line, base)) < 0)
			break;
		{
			const char *args[] = { "show", spec.buf, NULL };
			if (git_capture(&show, dir, args) < 0) {
				silo_error_clear();	/* not a file in that commit */
				continue;
			}
		}
		if ((ret = add_ptr(w, &at)) < 0)
			break;
		p = &w->ptrs[at];
		newer = &w->ptrs[last];
		p->owner = i;
		p->medo = w->ptrs[i].medo;
		p->len = show.len;
		if (!(p->text = strbuf_detach(&show)) || !(p->commit = strdup(line)) ||
		    !(p->date = strdup(sp + 1)) || !(p->rel = strdup(w->ptrs[i].rel)) ||
		    !(p->name = strdup(w->ptrs[i].name))) {
			ret = silo__error_oom();
			break;
		}
		{
			struct strbuf name = STRBUF_INIT;
			if ((ret = strbuf_addf(&name, "%s@%.12s", w->ptrs[i].path, line)) < 0)
				break;
			p->path = strbuf_detach(&name);
		}
		/* A parse error of an old version is shown, not fatal. */
		if (silo_treeptr_parse(&p->tp, p->text, p->len, p->path) < 0) {
			silo_error_clear();
			drop_last(w);
			continue;
		}
		p->parsed = 1;
		{
			json_t *doc = json_loadb(p->text, p->len, 0, NULL);
			json_t *prov = json_object_get(doc, "provenance");
			if (json_is_object(prov))
				p->prov = json_incref(prov);
			json_decref(doc);
		}
		/* The same data as the newer version: the commit changed
		 * something else (its provenance, a signature). */
		if (newer->parsed && silo_treeptr_same_data(&p->tp, &newer->tp)) {
			drop_last(w);
			continue;
		}
		last = at;
		found++;
	}
	if (!ret && found) {
		size_t k, n = 0;
		if (!(w->ptrs[i].history = calloc(found, sizeof(size_t)))) {
			ret = silo__error_oom();
			goto out;
		}
		for (k = 0; k < w->n_ptrs; k++)
			if (w->ptrs[k].owner == i)
				w->ptrs[i].history[n++] = k;
		w->ptrs[i].n_history = n;
	}
out:
	strbuf_release(&log);
	strbuf_release(&show);
	strbuf_release(&spec);
	free(dir);
	free(base);
	return ret;
}

/* ---- 2. trees, sequences and differences ---- */

static int add_tree(struct web *w, size_t i)
{
	struct wptr *p = &w->ptrs[i];
	char key[SILO_OID_MAX_HEXSZ + 1];
	size_t k;

	if (!p->parsed || !silo_treeptr_is_tree(&p->tp))
		return 0;
	web_tree_key(key, &p->tp);
	for (k = 0; k < w->n_trees; k++)
		if (!strcmp(w->trees[k].info.key, key)) {
			p->tree = k;
			return 0;
		}
	if (ALLOC_GROW(w->trees, w->n_trees + 1, w->alloc_trees) < 0)
		return silo__error_oom();
	memset(&w->trees[k], 0, sizeof(w->trees[k]));
	memcpy(w->trees[k].info.key, key, sizeof(key));
	w->trees[k].ptr = i;
	w->trees[k].state = web_tree_kept(w->out, &w->trees[k].info);
	if (w->trees[k].state)
		w->res->trees_kept++;
	else
		w->total++;
	p->tree = k;
	w->n_trees++;
	return 0;
}

static int add_seq(struct web *w, const size_t *v, size_t n)
{
	size_t *s, i;

	if (ALLOC_GROW(w->seqs, w->n_seqs + 1, w->alloc_seqs) < 0 ||
	    !(s = malloc((n + 1) * sizeof(*s))))
		return silo__error_oom();
	memcpy(s, v, n * sizeof(*s));
	s[n] = NONE;
	w->seqs[w->n_seqs++] = s;
	/* Each pair of neighbours with two different trees: a difference. */
	for (i = 1; i < n; i++) {
		struct wptr *a = &w->ptrs[v[i - 1]], *b = &w->ptrs[v[i]];
		struct wdiff *d;
		size_t k;

		if (a->tree == NONE || b->tree == NONE || a->tree == b->tree)
			continue;
		for (k = 0; k < w->n_diffs; k++)
			if (w->ptrs[w->diffs[k].a].tree == a->tree &&
			    w->ptrs[w->diffs[k].b].tree == b->tree)
				break;
		if (k < w->n_diffs)
			continue;
		if (ALLOC_GROW(w->diffs, w->n_diffs + 1, w->alloc_diffs) < 0)
			return silo__error_oom();
		d = &w->diffs[w->n_diffs++];
		memset(d, 0, sizeof(*d));
		d->a = v[i - 1];
		d->b = v[i];
		web_diff_dir(d->info.dir, w->trees[a->tree].info.key, w->trees[b->tree].info.key);
		d->state = web_diff_kept(w->out, &d->info);
		if (d->state)
			w->res->diffs_kept++;
	}
	return 0;
}

/* 1 if A and B are versions of one name in one directory. */
static int same_name(const struct wptr *a, const struct wptr *b)
{
	const char *sa = strrchr(a->rel, '/'), *sb = strrchr(b->rel, '/');
	size_t la = sa ? (size_t)(sa - a->rel) : 0, lb = sb ? (size_t)(sb - b->rel) : 0;

	return a->version && b->version && a->medo == b->medo && la == lb &&
	       !strncmp(a->rel, b->rel, la) && !strcmp(a->name, b->name);
}

/* In one directory, by name, then by version (strverscmp). */
static int by_version(const void *x, const void *y, void *payload)
{
	const struct web *sort_web = payload;
	const struct wptr *a = &sort_web->ptrs[*(const size_t *)x];
	const struct wptr *b = &sort_web->ptrs[*(const size_t *)y];
	const char *sa = strrchr(a->rel, '/'), *sb = strrchr(b->rel, '/');
	size_t la = sa ? (size_t)(sa - a->rel) : 0, lb = sb ? (size_t)(sb - b->rel) : 0;
	int c;

	if (a->medo != b->medo)
		return a->medo < b->medo ? -1 : 1;
	if ((c = strncmp(a->rel, b->rel, la < lb ? la : lb)) || la != lb)
		return c ? c : la < lb ? -1 : 1;
	if ((c = strcmp(a->name, b->name)))
		return c;
	return strverscmp(a->version ? a->version : "", b->version ? b->version : "");
}

static int make_seqs(struct web *w)
{
	size_t *v, i, j, n = 0;
	int ret = 0;

	if (!(v = malloc((w->n_ptrs + 1) * sizeof(*v))))
		return silo__error_oom();
	for (i = 0; i < w->n_disk; i++)
		if (w->ptrs[i].version && w->ptrs[i].tree != NONE)
			v[n++] = i;
	qsort_r(v, n, sizeof(*v), by_version, w);
	/* Runs of one name in one directory. */
	for (i = 0; i < n && !ret; i = j) {
		for (j = i + 1; j < n; j++)
			if (!same_name(&w->ptrs[v[i]], &w->ptrs[v[j]]))
				break;
		if (j - i > 1)
			ret = add_seq(w, v + i, j - i);
	}
	/* Each history, oldest first, ending with the file on disk. */
	for (i = 0; i < w->n_disk && !ret; i++) {
		struct wptr *p = &w->ptrs[i];
		if (!p->n_history)
			continue;
		for (n = 0, j = p->n_history; j-- > 0;)
			v[n++] = p->history[j];
		v[n++] = i;
		ret = add_seq(w, v, n);
	}
	/* And every tree alone, so that each gets its pages. */
	for (i = 0; i < w->n_ptrs && !ret; i++)
		if (w->ptrs[i].tree != NONE)
			ret = add_seq(w, &i, 1);
	free(v);
	return ret;
}

/* ---- 3. the pages of trees and differences ---- */

/* Tree I of the treeptr P, opened (kept among the two open ones). */
static int open_tree(struct web *w, size_t i, size_t keep, silo_medo_tree **out)
{
	struct wptr *p = &w->ptrs[i];
	size_t slot, tree = p->tree;
	int ret;

	for (slot = 0; slot < 2; slot++)
		if (w->open_t[slot] && w->open_tree[slot] == tree) {
			*out = w->open_t[slot];
			return 0;
		}
	/* The slot not holding KEEP's tree. */
	slot = w->open_t[0] && w->open_tree[0] == keep ? 1 : 0;
	silo_medo_tree_free(w->open_t[slot]);
	w->open_t[slot] = NULL;
	if (p->owner == NONE)
		ret = silo_medo_tree_open(out, p->path, w->o->silo, w->o->on_warning,
					  w->o->payload);
	else
		ret = silo_medo_tree_open_text(out, p->path, p->text, p->len,
					       w->ptrs[p->owner].path, w->o->silo,
					       w->o->on_warning, w->o->payload);
	if (ret < 0)
		return ret;
	w->open_t[slot] = *out;
	w->open_tree[slot] = tree;
	return 0;
}

static void progress(struct web *w)
{
	if (w->o->on_progress)
		w->o->on_progress(w->o->payload, w->done, w->total);
}

/* A label for treeptr P in titles: its name, and the commit for history. */
static char *label_of(const struct wptr *p)
{
	struct strbuf sb = STRBUF_INIT;

	if (p->commit)
		strbuf_addf(&sb, "%s (%.10s, %.10s)", p->rel, p->date, p->commit);
	else
		strbuf_adds(&sb, p->rel);
	return strbuf_detach(&sb);
}

static int write_diff(struct web *w, struct wdiff *d, silo_medo_tree *a, silo_medo_tree *b)
{
	char *la = label_of(&w->ptrs[d->a]), *lb = label_of(&w->ptrs[d->b]);
	int ret;

	if (!la || !lb)
		ret = silo__error_oom();
	else
		ret = web_diff_write(&w->wr, w->out, a, b, la, lb, &d->info);
	free(la);
	free(lb);
	return ret;
}

/* The trees and differences of sequence S. */
static int visit_seq(struct web *w, const size_t *s)
{
	size_t prev = NONE, k;
	int ret;

	for (; *s != NONE; prev = *s, s++) {
		struct wptr *p = &w->ptrs[*s];
		struct wtree *t = &w->trees[p->tree];
		struct wdiff *d = NULL;
		silo_medo_tree *cur = NULL, *before = NULL;

		if (prev != NONE)
			for (k = 0; k < w->n_diffs; k++)
				if (w->ptrs[w->diffs[k].a].tree == w->ptrs[prev].tree &&
				    w->ptrs[w->diffs[k].b].tree == p->tree && !w->diffs[k].state) {
					d = &w->diffs[k];
					break;
				}
		if (d && (w->trees[w->ptrs[prev].tree].state < 0 || t->state < 0)) {
			d->state = -1;
			d = NULL;
		}
		if (t->state)	/* there, or failed */
			goto diff;
		if ((ret = open_tree(w, *s, prev == NONE ? NONE : w->ptrs[prev].tree, &cur)) < 0) {
			report(w, p, ret);
			t->state = -1;
			if (d)
				d->state = -1;
			w->done++;
			progress(w);
			continue;
		}
		if ((ret = web_tree_write(&w->wr, w->out, cur, &t->info)) < 0)
			return ret;
		t->state = 1;
		w->res->trees_written++;
		w->done++;
		progress(w);
diff:
		if (!d)
			continue;
		if ((!cur && (ret = open_tree(w, *s, w->ptrs[prev].tree, &cur)) < 0) ||
		    (ret = open_tree(w, prev, p->tree, &before)) < 0) {
			report(w, cur ? &w->ptrs[prev] : p, ret);
			d->state = -1;
			continue;
		}
		if ((ret = write_diff(w, d, before, cur)) < 0)
			return ret;
		d->state = 1;
		w->res->diffs_written++;
	}
	return 0;
}

/* ---- 4. the pages of treeptrs and the index ---- */

/* The page of treeptr P below p/: "<label>/<rel without .treeptr>.html". */
static int ptr_page(struct web *w, struct strbuf *sb, const struct wptr *p)
{
	size_t len = strlen(p->rel), sl = strlen(SILO_TREEPTR_SUFFIX);

	if (len > sl && !strcmp(p->rel + len - sl, SILO_TREEPTR_SUFFIX))
		len -= sl;
	return strbuf_addf(sb, "%s/%.*s.html", w->labels[p->medo], (int)len, p->rel);
}

static unsigned depth_of(const char *path)
{
	unsigned n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

static const char *prov_str(const struct wptr *p, const char *key)
{
	return p->prov ? json_string_value(json_object_get(p->prov, key)) : NULL;
}

/* "2026-11-22 13:33 · medo add by ci@ci-7" */
static int made_text(struct strbuf *sb, const struct wptr *p)
{
	const char *time = prov_str(p, "end") ? prov_str(p, "end") : prov_str(p, "time");
	const char *tool = prov_str(p, "tool"), *builder = prov_str(p, "builder");
	const char *user = prov_str(p, "user"), *host = prov_str(p, "host");
	int ret = 0;

	if (!p->prov)
		return strbuf_adds(sb, "<span class=\"none\">no provenance</span>");
	/* "2026-11-22T13:33:40Z" as "2026-11-22 13:33" */
	if (time && strlen(time) >= 16 && time[10] == 'T') {
		if ((ret = html_esc_len(sb, time, 10)) == 0 && (ret = strbuf_addch(sb, ' ')) == 0 &&
		    (ret = html_esc_len(sb, time + 11, 5)) == 0)
			ret = strbuf_adds(sb, " · ");
	} else if (time && (ret = html_esc(sb, time)) == 0) {
		ret = strbuf_adds(sb, " · ");
	}
	if (!ret && prov_str(p, "key"))
		ret = strbuf_adds(sb, "knot build");
	else if (!ret)
		ret = strbuf_adds(sb, "medo add");
	if (!ret && builder) {
		if ((ret = strbuf_adds(sb, " by ")) == 0)
			ret = html_esc(sb, builder);
	} else if (!ret && (user || host)) {
		if ((ret = strbuf_adds(sb, " by ")) == 0 && user && (ret = html_esc(sb, user)) == 0 &&
		    host)
			ret = strbuf_addch(sb, '@');
		if (!ret && host)
			ret = html_esc(sb, host);
	}
	if (!ret && tool && (ret = strbuf_adds(sb, " (")) == 0 && (ret = html_esc(sb, tool)) == 0)
		ret = strbuf_addch(sb, ')');
	return ret;
}

static int sig_text(struct strbuf *sb, const struct wptr *p)
{
	int ret;

	switch (p->sig) {
	case SIG_UNCHECKED:
		return strbuf_adds(sb, "<span class=\"sig-unchecked\">signed, not checked</span>");
	case SIG_GOOD:
		if ((ret = strbuf_adds(sb, "<span class=\"sig-good\">signed by ")) == 0 &&
		    (ret = html_esc(sb, p->sig_text ? p->sig_text : "?")) == 0)
			ret = strbuf_adds(sb, "</span>");
		return ret;
	case SIG_BAD:
		return strbuf_adds(sb, "<span class=\"sig-bad\">bad signature</span>");
	default:
		return strbuf_adds(sb, "<span class=\"none\">unsigned</span>");
	}
}

/* The treeptr whose object (or, with KEY, knot key) is ID, or NONE. */
static size_t find_ptr(struct web *w, const char *hex, int key)
{
	char h[SILO_OID_MAX_HEXSZ + 1];
	size_t i;

	if (!hex)
		return NONE;
	for (i = 0; i < w->n_disk; i++) {
		const struct wptr *p = &w->ptrs[i];
		if (!p->parsed)
			continue;
		if (key ? (prov_str(p, "key") && !strcmp(prov_str(p, "key"), hex)) :
			  !strcmp(silo_oid_to_hex(h, &p->tp.object), hex))
			return i;
	}
	return NONE;
}

/* The address of P's page below p/, percent-encoded. */
static int html_url_ptr(struct web *w, struct strbuf *sb, const struct wptr *p)
{
	struct strbuf page = STRBUF_INIT;
	int ret;

	if ((ret = ptr_page(w, &page, p)) == 0)
		ret = html_url(sb, page.buf, 1);
	strbuf_release(&page);
	return ret;
}

static int link_ptr(struct web *w, struct strbuf *sb, const char *root, size_t i,
		    const char *text)
{
	int ret;

	if ((ret = strbuf_addf(sb, "<a href=\"%sp/", root)) ||
	    (ret = html_url_ptr(w, sb, &w->ptrs[i])) || (ret = strbuf_adds(sb, "\">")) ||
	    (ret = html_esc(sb, text ? text : w->ptrs[i].rel)))
		return ret;
	return strbuf_adds(sb, "</a>");
}

/* The difference of trees A and B, written or kept, or NONE. */
static size_t find_diff(struct web *w, size_t a, size_t b)
{
	size_t k;

	for (k = 0; k < w->n_diffs; k++)
		if (w->diffs[k].state > 0 && w->ptrs[w->diffs[k].a].tree == a &&
		    w->ptrs[w->diffs[k].b].tree == b)
			return k;
	return NONE;
}

static int diff_link(struct web *w, struct strbuf *sb, const char *root, size_t a, size_t b)
{
	size_t k;
	struct wdiff *d;

	if (a == NONE || b == NONE || w->ptrs[a].tree == NONE || w->ptrs[b].tree == NONE)
		return 0;
	if (w->ptrs[a].tree == w->ptrs[b].tree)
		return strbuf_adds(sb, "same tree");
	if ((k = find_diff(w, w->ptrs[a].tree, w->ptrs[b].tree)) == NONE)
		return strbuf_adds(sb, "<span class=\"none\">not readable</span>");
	d = &w->diffs[k];
	return strbuf_addf(sb, "<a href=\"%sd/%s/index.html\">%llu added, %llu removed, "
			   "%llu changed</a>", root, d->info.dir,
			   (unsigned long long)d->info.added, (unsigned long long)d->info.removed,
			   (unsigned long long)d->info.changed);
}

static int fact(struct strbuf *sb, const char *term)
{
	return strbuf_addf(sb, "<dt>%s</dt><dd>", term);
}

/* What the browser can do with the object of a tree of kind tar or
 * archive. */
static const char *archive_note(const char *archive)
{
	if (!strcmp(archive, "tar"))
		return "a tar archive: the browser reads its files";
	if (!strcmp(archive, "tar.gz"))
		return "a gzip-compressed archive: the browser reads its files (gzip)";
	if (!strcmp(archive, "zip"))
		return "a zip archive: the browser reads its files (stored or deflated)";
	if (!strcmp(archive, "xz"))
		return "an xz-compressed archive: a browser cannot decompress xz, "
		       "so its files cannot be shown here; download the whole archive";
	if (!strcmp(archive, "bzip2"))
		return "a bzip2-compressed archive: a browser cannot decompress bzip2, "
		       "so its files cannot be shown here; download the whole archive";
	if (!strcmp(archive, "zstd"))
		return "a zstd-compressed archive: a browser cannot decompress zstd, "
		       "so its files cannot be shown here; download the whole archive";
	return "an archive this site cannot read in the browser; download the whole archive";
}

static int object_link(struct strbuf *sb, const char *root, const struct wptr *p,
		       const char *text)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	const char *file = prov_str(p, "file");
	int ret;

	if ((ret = strbuf_addf(sb, "<a href=\"%sobject.html#o=%s&amp;s=%llu&amp;f=%s", root,
			       silo_oid_to_hex(hex, &p->tp.object), (unsigned long long)p->tp.size,
			       silo_oid_format_name(p->tp.object.format))))
		return ret;
	if (file && ((ret = strbuf_adds(sb, "&amp;n=")) || (ret = html_url(sb, file, 0))))
		return ret;
	if ((ret = strbuf_adds(sb, "\">")) || (ret = strbuf_adds(sb, text)))
		return ret;
	return strbuf_adds(sb, "</a>");
}

/* One provenance value, with links where it names something the site
 * has: the source treeptr of a wedge, its dependencies, its build log. */
static int prov_value(struct web *w, struct strbuf *sb, const char *root, const struct wptr *p,
		      const char *key, json_t *v)
{
	const char *s = json_string_value(v);
	size_t i;
	int ret;

	if (!s) {
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!text)
			return silo__error_oom();
		ret = strbuf_adds(sb, "<code>");
		if (!ret)
			ret = html_esc(sb, text);
		free(text);
		return ret ? ret : strbuf_adds(sb, "</code>");
	}
	if (!strcmp(key, "source-object") && (i = find_ptr(w, s, 0)) != NONE) {
		if ((ret = strbuf_adds(sb, "<code>")) || (ret = html_esc(sb, s)) ||
		    (ret = strbuf_adds(sb, "</code> (")) || (ret = link_ptr(w, sb, root, i, NULL)))
			return ret;
		return strbuf_adds(sb, ")");
	}
	if (!strcmp(key, "log") && p->prov) {
		struct wptr log = *p;
		/* The log is a silo object of its own: the object viewer. */
		if (silo_oid_from_hex(&log.tp.object, p->tp.object.format, s) == 0) {
			log.tp.size = 0;
			log.prov = NULL;
			if ((ret = strbuf_adds(sb, "<code>")) || (ret = html_esc(sb, s)) ||
			    (ret = strbuf_adds(sb, "</code> (")) ||
			    (ret = object_link(sb, root, &log, "read the build log")))
				return ret;
			return strbuf_adds(sb, ")");
		}
		silo_error_clear();
	}
	if (!strcmp(key, "deps") && s[0]) {
		/* "name/version key tree, name/version key tree" */
		const char *d = s;
		while (*d) {
			const char *end = strstr(d, ", "), *sp1, *sp2;
			size_t len = end ? (size_t)(end - d) : strlen(d);
			char keyhex[65];
			if ((ret = strbuf_adds(sb, d == s ? "" : "<br>")))
				return ret;
			sp1 = memchr(d, ' ', len);
			sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - d)) : NULL;
			if (sp1 && sp2 && (size_t)(sp2 - sp1 - 1) < sizeof(keyhex)) {
				memcpy(keyhex, sp1 + 1, (size_t)(sp2 - sp1 - 1));
				keyhex[sp2 - sp1 - 1] = '\0';
				if ((i = find_ptr(w, keyhex, 1)) != NONE) {
					if ((ret = link_ptr(w, sb, root, i, NULL)) ||
					    (ret = strbuf_adds(sb, " ")))
						return ret;
				}
			}
			if ((ret = strbuf_adds(sb, "<code>")) || (ret = html_esc_len(sb, d, len)) ||
			    (ret = strbuf_adds(sb, "</code>")))
				return ret;
			d += len;
			if (end)
				d += 2;
		}
		return 0;
	}
	if ((ret = strbuf_adds(sb, strlen(s) == 40 || strlen(s) == 64 ? "<code>" : "")) ||
	    (ret = html_esc(sb, s)))
		return ret;
	return strbuf_adds(sb, strlen(s) == 40 || strlen(s) == 64 ? "</code>" : "");
}

static int ptr_page_write(struct web *w, const char *stage, size_t i)
{
	struct wptr *p = &w->ptrs[i];
	struct wtree *t = p->tree != NONE ? &w->trees[p->tree] : NULL;
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT, crumb = STRBUF_INIT;
	char root[3 * 256 + 1], hex[SILO_OID_MAX_HEXSZ + 1], num[32], size[32];
	const char *key;
	json_t *v;
	size_t k;
	int ret;

	if ((ret = ptr_page(w, &path, p)) < 0)
		goto out;
	if (depth_of(path.buf) + 1 > 256) {
		ret = silo__error_set(SILO_EINVALID, "'%s': too deep a path for a page", p->path);
		goto out;
	}
	web_root(root, sizeof(root), depth_of(path.buf) + 1);
	if ((ret = strbuf_adds(&crumb, "<li>")) || (ret = html_esc(&crumb, w->labels[p->medo])) ||
	    (ret = strbuf_adds(&crumb, "</li><li class=\"here\">")) ||
	    (ret = html_esc(&crumb, p->rel)) || (ret = strbuf_adds(&crumb, "</li>")) ||
	    (ret = html_head(&sb, root, p->rel, crumb.buf, "class=\"treeptr\"")) ||
	    (ret = strbuf_adds(&sb, "<h1>")) || (ret = html_esc(&sb, p->rel)) ||
	    (ret = strbuf_adds(&sb, "</h1>\n<p class=\"meta\">In <code>")) ||
	    (ret = html_esc(&sb, w->dirs[p->medo])) ||
	    (ret = strbuf_adds(&sb, "</code>.</p>\n")))
		goto out;
	if (p->error) {
		if ((ret = strbuf_adds(&sb, "<p class=\"error\" role=\"alert\">Cannot be shown: ")) ||
		    (ret = html_esc(&sb, p->error)) || (ret = strbuf_adds(&sb, "</p>\n")))
			goto out;
	}
	if (!p->parsed)
		goto foot;
	if ((ret = strbuf_adds(&sb, "<dl class=\"facts\">\n")) || (ret = fact(&sb, "Kind")) ||
	    (ret = strbuf_adds(&sb, silo_treeptr_kind_name(p->tp.kind))) ||
	    (ret = strbuf_adds(&sb, p->tp.kind == SILO_TREEPTR_TREE ?
			       ": git tree and blob objects in packs of the silo</dd>\n" :
			       p->tp.kind == SILO_TREEPTR_TAR ? ": a tar archive written by medo</dd>\n" :
			       p->tp.kind == SILO_TREEPTR_ARCHIVE ? ": an archive kept byte for byte</dd>\n" :
			       p->tp.kind == SILO_TREEPTR_IMAGE ?
			       ": a container image, its layers stored as trees</dd>\n" :
			       ": a file kept as it is</dd>\n")))
		goto out;
	if (t && t->state > 0) {
		web_fmt_count(num, sizeof(num), t->info.files);
		web_fmt_size(size, sizeof(size), t->info.bytes);
		if ((ret = fact(&sb, "Files")) ||
		    (ret = strbuf_addf(&sb, "%s</dd>\n<dt>Size</dt><dd>%s in its files</dd>\n", num, size)))
			goto out;
	}
	if (silo_treeptr_is_tree(&p->tp) &&
	    ((ret = fact(&sb, "Tree")) ||
	     (ret = (t && t->state > 0) ?
		    strbuf_addf(&sb, "<a href=\"%st/%s/index.html\"><code>%s</code> "
				"<span class=\"hint\">browse its files</span></a></dd>\n", root,
				t->info.key, silo_oid_to_hex(hex, &p->tp.tree)) :
		    strbuf_addf(&sb, "<code>%s</code></dd>\n", silo_oid_to_hex(hex, &p->tp.tree)))))
		goto out;
	web_fmt_size(size, sizeof(size), p->tp.size);
	if ((ret = fact(&sb, "Object")) ||
	    (ret = strbuf_addf(&sb, "<code>%s</code>, %s%s", silo_oid_to_hex(hex, &p->tp.object),
			       size, p->tp.kind == SILO_TREEPTR_TREE ? " (the size table)" : "")))
		goto out;
	if (p->tp.kind == SILO_TREEPTR_OPAQUE || p->tp.kind == SILO_TREEPTR_ARCHIVE) {
		if ((ret = strbuf_adds(&sb, " · ")) ||
		    (ret = object_link(&sb, root, p, "download it")))
			goto out;
	}
	if ((ret = strbuf_adds(&sb, "</dd>\n")))
		goto out;
	if (t && t->state > 0 && t->info.archive[0] && p->tp.kind == SILO_TREEPTR_ARCHIVE &&
	    ((ret = fact(&sb, "Archive")) || (ret = strbuf_adds(&sb, archive_note(t->info.archive))) ||
	     (ret = strbuf_adds(&sb, "</dd>\n"))))
		goto out;
	for (k = 0; k < silo_treeptr_n_packs(&p->tp) && !ret; k++)
		ret = strbuf_addf(&sb, "%s<code>%s</code>%s", k ? "<br>" : "<dt>Packs</dt><dd>",
				  silo_treeptr_pack(&p->tp, k),
				  k + 1 == silo_treeptr_n_packs(&p->tp) ? "</dd>\n" : "");
	if (ret || (ret = fact(&sb, "Signature")) || (ret = sig_text(&sb, p)))
		goto out;
	if (p->sig == SIG_BAD && ((ret = strbuf_adds(&sb, ": ")) ||
				  (ret = html_esc(&sb, p->sig_text ? p->sig_text : ""))))
		goto out;
	if ((ret = strbuf_adds(&sb, "</dd>\n</dl>\n")))
		goto out;

	/* How it was made. */
	if ((ret = strbuf_adds(&sb, "<h2>Provenance</h2>\n")))
		goto out;
	if (!p->prov || !json_object_size(p->prov)) {
		ret = strbuf_adds(&sb, "<p>None recorded.</p>\n");
	} else {
		ret = strbuf_addf(&sb, "<p class=\"meta\">%s</p>\n<div class=\"scroll\">"
				  "<table class=\"prov\"><caption>How it was made</caption><tbody>\n",
				  prov_str(p, "key") ? "Built by knot: its key, and the inputs "
				  "that went into it." : "Stored by medo add.");
		json_object_foreach(p->prov, key, v) {
			if (ret || (ret = strbuf_adds(&sb, "<tr><th scope=\"row\">")) ||
			    (ret = html_esc(&sb, key)) || (ret = strbuf_adds(&sb, "</th><td>")) ||
			    (ret = prov_value(w, &sb, root, p, key, v)) ||
			    (ret = strbuf_adds(&sb, "</td></tr>\n")))
				break;
		}
		if (!ret)
			ret = strbuf_adds(&sb, "</tbody></table></div>\n");
	}
	if (ret)
		goto out;

	/* The other versions of its name. */
	if (p->version) {
		size_t n = 0, prev = NONE;
		for (k = 0; k < w->n_disk; k++)
			if (k != i && same_name(&w->ptrs[k], p))
				n++;
		if (n) {
			size_t *order = malloc((n + 1) * sizeof(*order)), m = 0, j;
			if (!order) {
				ret = silo__error_oom();
				goto out;
			}
			for (k = 0; k < w->n_disk; k++)
				if (same_name(&w->ptrs[k], p))
					order[m++] = k;
			qsort_r(order, m, sizeof(*order), by_version, w);
			ret = strbuf_adds(&sb, "<h2>Versions</h2>\n<div class=\"scroll\"><table class=\"versions\">"
					  "<caption>Versions of this name</caption><thead><tr>"
					  "<th scope=\"col\">Version</th><th scope=\"col\">Changes from the "
					  "version before</th></tr></thead><tbody>\n");
			for (j = 0; j < m && !ret; prev = order[j], j++) {
				if ((ret = strbuf_adds(&sb, "<tr><td>")))
					break;
				ret = order[j] == i ? strbuf_adds(&sb, "<strong>") : 0;
				if (!ret)
					ret = order[j] == i ? html_esc(&sb, p->version) :
					      link_ptr(w, &sb, root, order[j], w->ptrs[order[j]].version);
				if (!ret && order[j] == i)
					ret = strbuf_adds(&sb, "</strong> (this one)");
				if (!ret)
					ret = strbuf_adds(&sb, "</td><td>");
				if (!ret && prev != NONE)
					ret = diff_link(w, &sb, root, prev, order[j]);
				if (!ret)
					ret = strbuf_adds(&sb, "</td></tr>\n");
			}
			free(order);
			if (!ret)
				ret = strbuf_adds(&sb, "</tbody></table></div>\n");
			if (ret)
				goto out;
		}
	}

	/* Its history in git. */
	if (p->n_history) {
		size_t newer = i;
		ret = strbuf_adds(&sb, "<h2>History</h2>\n<div class=\"scroll\"><table class=\"history\">"
				  "<caption>Earlier versions in git</caption><thead><tr>"
				  "<th scope=\"col\">Commit</th><th scope=\"col\">Date</th>"
				  "<th scope=\"col\">Tree</th><th scope=\"col\">Changes to the version "
				  "after it</th></tr></thead><tbody>\n");
		for (k = 0; k < p->n_history && !ret; newer = p->history[k], k++) {
			struct wptr *h = &w->ptrs[p->history[k]];
			struct wtree *ht = h->tree != NONE ? &w->trees[h->tree] : NULL;
			if ((ret = strbuf_addf(&sb, "<tr><td><code>%.12s</code></td><td>", h->commit)) ||
			    (ret = html_esc_len(&sb, h->date, strlen(h->date) > 10 ? 10 : strlen(h->date))) ||
			    (ret = strbuf_adds(&sb, "</td><td>")))
				break;
			if (ht && ht->state > 0)
				ret = strbuf_addf(&sb, "<a href=\"%st/%s/index.html\"><code>%.12s</code></a>",
						  root, ht->info.key, silo_oid_to_hex(hex, &h->tp.tree));
			else if (silo_treeptr_is_tree(&h->tp))
				ret = strbuf_addf(&sb, "<code>%.12s</code> <span class=\"none\">not "
						  "readable</span>", silo_oid_to_hex(hex, &h->tp.tree));
			if (!ret && (ret = strbuf_adds(&sb, "</td><td>")) == 0)
				ret = diff_link(w, &sb, root, p->history[k], newer);
			if (!ret)
				ret = strbuf_adds(&sb, "</td></tr>\n");
		}
		if (!ret)
			ret = strbuf_adds(&sb, "</tbody></table></div>\n");
		if (ret)
			goto out;
	}
foot:
	if ((ret = html_foot(&sb)) < 0)
		goto out;
	strbuf_reset(&crumb);
	if ((ret = strbuf_addf(&crumb, "%s/%s", stage, path.buf)) < 0)
		goto out;
	{
		char *dir = fs_dirname(crumb.buf);
		ret = dir ? fs_mkdir_p(dir, 0777) : silo__error_oom();
		free(dir);
	}
	if (!ret)
		ret = web_write_new(&w->wr, crumb.buf, &sb, 1);
out:
	strbuf_release(&sb);
	strbuf_release(&path);
	strbuf_release(&crumb);
	return ret;
}

/* Finish SB, a page of the site's top directory, and put it at NAME. */
static int write_top_page(struct web *w, const char *name, struct strbuf *sb)
{
	struct strbuf path = STRBUF_INIT;
	int ret;

	if ((ret = html_foot(sb)) == 0 && (ret = strbuf_addf(&path, "%s/%s", w->out, name)) == 0)
		ret = web_replace(&w->wr, path.buf, sb->buf, sb->len, 1);
	strbuf_release(&path);
	return ret;
}

static int index_write(struct web *w, const json_t *silos)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1], num[32], size[32];
	size_t d, i, n;
	json_t *v;
	int ret;

	if ((ret = html_head(&sb, "", "Treeptrs", NULL, "class=\"index\"")) ||
	    (ret = strbuf_adds(&sb, "<h1>Treeptrs</h1>\n<p class=\"meta\">")))
		goto out;
	web_fmt_count(num, sizeof(num), w->n_disk);
	if ((ret = strbuf_addf(&sb, "%s treeptr%s in %zu medo director%s. The pages read files "
			       "from the silo", num, w->n_disk == 1 ? "" : "s", w->n_dirs,
			       w->n_dirs == 1 ? "y" : "ies")))
		goto out;
	n = json_array_size(silos);
	json_array_foreach(silos, i, v) {
		if ((ret = strbuf_adds(&sb, i ? (i + 1 == n ? " or " : ", ") : " at ")) ||
		    (ret = strbuf_adds(&sb, "<code>")) || (ret = html_esc(&sb, json_string_value(v))) ||
		    (ret = strbuf_adds(&sb, "</code>")))
			goto out;
	}
	if ((ret = strbuf_adds(&sb, n > 1 ? " (the first that answers).</p>\n" : ".</p>\n")))
		goto out;
	for (d = 0; d < w->n_dirs; d++) {
		if ((ret = strbuf_addf(&sb, "<section aria-labelledby=\"medo-%zu\">\n<h2 id=\"medo-%zu\">",
				       d, d)) || (ret = html_esc(&sb, w->labels[d])) ||
		    (ret = strbuf_adds(&sb, "</h2>\n")))
			goto out;
		/* Where it is, when its name does not say. */
		if (strcmp(w->labels[d], w->dirs[d]) &&
		    ((ret = strbuf_adds(&sb, "<p class=\"meta\"><code>")) ||
		     (ret = html_esc(&sb, w->dirs[d])) || (ret = strbuf_adds(&sb, "</code></p>\n"))))
			goto out;
		if ((ret = strbuf_adds(&sb, "<div class=\"scroll\"><table class=\"ptrs\">"
				       "<caption>Treeptrs of ")) ||
		    (ret = html_esc(&sb, w->labels[d])) ||
		    (ret = strbuf_adds(&sb, "</caption>\n<thead><tr><th scope=\"col\">Treeptr</th>"
				       "<th scope=\"col\">Kind</th><th scope=\"col\" class=\"n\">Files</th>"
				       "<th scope=\"col\" class=\"n\">Size</th><th scope=\"col\">Tree</th>"
				       "<th scope=\"col\">Made</th><th scope=\"col\">Signature</th>"
				       "</tr></thead>\n<tbody>\n")))
			goto out;
		for (i = 0; i < w->n_disk; i++) {
			struct wptr *p = &w->ptrs[i];
			struct wtree *t = p->tree != NONE ? &w->trees[p->tree] : NULL;
			if (p->medo != d)
				continue;
			if ((ret = strbuf_adds(&sb, "<tr><th scope=\"row\" data-label=\"Treeptr\">")) ||
			    (ret = link_ptr(w, &sb, "", i, NULL)) ||
			    (ret = strbuf_addf(&sb, "</th><td data-label=\"Kind\">%s</td>",
					       p->parsed ? silo_treeptr_kind_name(p->tp.kind) : "?")))
				goto out;
			if (t && t->state > 0) {
				web_fmt_count(num, sizeof(num), t->info.files);
				web_fmt_size(size, sizeof(size), t->info.bytes);
				ret = strbuf_addf(&sb, "<td data-label=\"Files\" class=\"n\">%s</td>"
						  "<td data-label=\"Size\" class=\"n\" title=\"%llu bytes\">%s</td>"
						  "<td data-label=\"Tree\"><a href=\"t/%s/index.html\"><code>%.12s</code>"
						  "</a></td>", num, (unsigned long long)t->info.bytes, size,
						  t->info.key, silo_oid_to_hex(hex, &p->tp.tree));
			} else if (p->parsed && !p->error) {
				web_fmt_size(size, sizeof(size), p->tp.size);
				ret = strbuf_addf(&sb, "<td data-label=\"Files\" class=\"n\">—</td>"
						  "<td data-label=\"Size\" class=\"n\">%s</td>"
						  "<td data-label=\"Tree\">—</td>", size);
			} else {
				ret = strbuf_adds(&sb, "<td data-label=\"Files\" class=\"n\">—</td>"
						  "<td data-label=\"Size\" class=\"n\">—</td>"
						  "<td data-label=\"Tree\"><span class=\"error\">not readable</span></td>");
			}
			if (ret || (ret = strbuf_adds(&sb, "<td data-label=\"Made\">")) ||
			    (ret = made_text(&sb, p)) ||
			    (ret = strbuf_adds(&sb, "</td><td data-label=\"Signature\">")) ||
			    (ret = sig_text(&sb, p)) || (ret = strbuf_adds(&sb, "</td></tr>\n")))
				goto out;
		}
		if ((ret = strbuf_adds(&sb, "</tbody>\n</table></div>\n</section>\n")))
			goto out;
	}
	ret = write_top_page(w, "index.html", &sb);
out:
	strbuf_release(&sb);
	return ret;
}

/* The site-wide viewer of whole objects: build logs, downloads. */
static int object_page_write(struct web *w)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	if ((ret = html_head(&sb, "", "Object", "<li class=\"here\">Object</li>",
			     "class=\"viewer\" data-kind=\"object\"")) ||
	    (ret = strbuf_adds(&sb,
		"<h1 id=\"file-name\">Object</h1>\n"
		"<dl class=\"facts\" id=\"file-facts\"></dl>\n"
		"<p id=\"status\" role=\"status\" aria-live=\"polite\">"
		"Reading an object from the silo needs JavaScript.</p>\n"
		"<noscript><p>This page reads the object from the silo with JavaScript, which is "
		"off. Without it, <code>silo cat</code> prints the object whose id is in the "
		"address of this page; a loose object is also the file "
		"<code>objects/<var>xx</var>/<var>rest</var>.gz</code> of the silo, gzip-compressed."
		"</p></noscript>\n<div id=\"content\"></div>\n")) == 0)
		ret = write_top_page(w, "object.html", &sb);
	strbuf_release(&sb);
	return ret;
}

/* The path from directory FROM to TO, both absolute and resolved, with
 * a final '/' ("../deps.silo/"). */
static char *relative_path(const char *from, const char *to)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, common = 0;
	const char *f;

	/* The longest common prefix that ends at a component's end. */
	for (;; i++) {
		if ((from[i] == '/' || !from[i]) && (to[i] == '/' || !to[i]))
			common = i;
		if (!from[i] || !to[i] || from[i] != to[i])
			break;
	}
	for (f = from + common; *f; f++)
		if (*f == '/' && f[1])
			strbuf_adds(&sb, "../");
	if (to[common] == '/')
		common++;
	strbuf_adds(&sb, to + common);
	if (!sb.len)
		strbuf_adds(&sb, "./");
	else if (sb.buf[sb.len - 1] != '/')
		strbuf_addch(&sb, '/');
	return strbuf_detach(&sb);
}

static int add_silo(json_t *silos, const char *url)
{
	size_t i;
	json_t *v;

	json_array_foreach(silos, i, v)
		if (!strcmp(json_string_value(v), url))
			return 0;
	return json_array_append_new(silos, json_string(url)) < 0 ? silo__error_oom() : 0;
}

/* Where the pages read from: the options' URLs, or the http(s) silos of
 * the directories' SILO.json files, then their local ones as paths from
 * the site (served beside it). */
static int site_silos(struct web *w, json_t **out)
{
	json_t *silos = json_array();
	char *out_real = NULL;
	size_t d, i;
	int ret = 0, pass;

	*out = NULL;
	if (!silos)
		return silo__error_oom();
	for (i = 0; i < w->o->n_silo_urls && !ret; i++) {
		const char *u = w->o->silo_urls[i];
		size_t len = strlen(u);
		struct strbuf sb = STRBUF_INIT;
		if ((ret = strbuf_adds(&sb, u)) == 0 && (!len || u[len - 1] != '/'))
			ret = strbuf_addch(&sb, '/');
		if (!ret)
			ret = add_silo(silos, sb.buf);
		strbuf_release(&sb);
	}
	if (w->o->n_silo_urls)
		goto done;
	if (!(out_real = realpath(w->out, NULL))) {
		ret = silo__error_errno("cannot resolve '%s'", w->out);
		goto done;
	}
	for (pass = 0; pass < 2 && !ret; pass++) {
		for (d = 0; d < w->n_dirs && !ret; d++) {
			struct silo_silojson sj = SILO_SILOJSON_INIT;
			if (w->o->silo ? silo_silojson_from_option(&sj, w->o->silo) < 0 :
					 silo_silojson_for(&sj, w->dirs[d]) < 0) {
				silo_error_clear();
				continue;
			}
			for (i = 0; i < sj.n && !ret; i++) {
				struct silo_silojson_entry *e = &sj.v[i];
				if (pass == 0 && e->kind == SILO_SILOJSON_HTTP) {
					struct strbuf sb = STRBUF_INIT;
					size_t len = strlen(e->location);
					if ((ret = strbuf_adds(&sb, e->location)) == 0 &&
					    e->location[len - 1] != '/')
						ret = strbuf_addch(&sb, '/');
					if (!ret)
						ret = add_silo(silos, sb.buf);
					strbuf_release(&sb);
				} else if (pass == 1 && e->kind == SILO_SILOJSON_LOCAL) {
					char *real = realpath(e->location, NULL), *rel;
					if (!real)
						continue;
					if (!(rel = relative_path(out_real, real)))
						ret = silo__error_oom();
					else
						ret = add_silo(silos, rel);
					free(rel);
					free(real);
				}
			}
			silo_silojson_release(&sj);
		}
	}
done:
	free(out_real);
	if (ret < 0) {
		json_decref(silos);
		return ret;
	}
	*out = silos;
	return 0;
}

/* OUT: new (*CREATE set: made once the trees are read), empty, or a
 * site written before. */
static int check_out(const char *out, int *create)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent *de;
	struct stat st;
	int empty = 1, ours = 0, ret = 0;
	DIR *dir;

	*create = 0;
	if (stat(out, &st) < 0) {
		if (errno != ENOENT)
			return silo__error_errno("cannot stat '%s'", out);
		if (lstat(out, &st) == 0)
			return silo__error_set(SILO_EEXISTS, "'%s' is a symbolic link to nothing: "
					      "choose a new directory", out);
		*create = 1;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return silo__error_set(SILO_EEXISTS, "'%s' is not a directory: choose a new directory",
				      out);
	if (!(dir = opendir(out)))
		return silo__error_errno("cannot open '%s'", out);
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(dir);
	if (empty)
		return 0;
	if ((ret = strbuf_addf(&sb, "%s/site.json", out)) < 0)
		return ret;
	{
		json_t *doc = json_load_file(sb.buf, 0, NULL);
		const char *g = json_string_value(json_object_get(doc, "generator"));
		ours = g && !strcmp(g, "medo web");
		json_decref(doc);
	}
	strbuf_release(&sb);
	if (!ours)
		return silo__error_set(SILO_EEXISTS, "'%s' is not empty and holds no site of medo web "
				      "(its site.json): choose a new directory", out);
	return 0;
}

/* Write the pages of treeptrs into a new p/ and swap it with the old. */
static int ptr_pages(struct web *w)
{
	struct strbuf stage = STRBUF_INIT, final = STRBUF_INIT;
	size_t i;
	int ret;

	if ((ret = strbuf_addf(&stage, "%s/.tmp-p-XXXXXX", w->out)) < 0 ||
	    (ret = strbuf_addf(&final, "%s/p", w->out)) < 0)
		goto out;
	fs_remove_stale_temps(w->out, ".tmp-p-");
	if ((ret = fs_mkdtemp_shared(stage.buf)) < 0)
		goto out;
	for (i = 0; i < w->n_disk && !ret; i++)
		ret = ptr_page_write(w, stage.buf, i);
	if (ret < 0) {
		silo_tree_remove(stage.buf);
		goto out;
	}
	if (renameat2(AT_FDCWD, stage.buf, AT_FDCWD, final.buf, RENAME_NOREPLACE) == 0)
		goto out;
	if (renameat2(AT_FDCWD, stage.buf, AT_FDCWD, final.buf, RENAME_EXCHANGE) < 0) {
		ret = silo__error_errno("cannot replace '%s'", final.buf);
		silo_tree_remove(stage.buf);
		goto out;
	}
	ret = silo_tree_remove(stage.buf);
out:
	strbuf_release(&stage);
	strbuf_release(&final);
	return ret;
}

static int write_site(struct web *w)
{
	struct strbuf path = STRBUF_INIT;
	json_t *silos = NULL, *doc;
	char *text = NULL;
	int ret;

	if ((ret = site_silos(w, &silos)) < 0 || (ret = ptr_pages(w)) < 0 ||
	    (ret = object_page_write(w)) < 0)
		goto out;
	if ((ret = strbuf_addf(&path, "%s/silo.css", w->out)) < 0 ||
	    (ret = web_replace(&w->wr, path.buf, silo_web_css, silo_web_css_len, 0)) < 0)
		goto out;
	strbuf_reset(&path);
	if ((ret = strbuf_addf(&path, "%s/silo.js", w->out)) < 0 ||
	    (ret = web_replace(&w->wr, path.buf, silo_web_js, silo_web_js_len, 0)) < 0)
		goto out;
	doc = json_pack("{s:s,s:i,s:O}", "generator", "medo web", "medo-web", WEB_FORMAT,
			"silos", silos);
	if (!doc || !(text = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2)))) {
		json_decref(doc);
		ret = silo__error_oom();
		goto out;
	}
	json_decref(doc);
	strbuf_reset(&path);
	if ((ret = strbuf_addf(&path, "%s/site.json", w->out)) < 0)
		goto out;
	{
		struct strbuf sb = STRBUF_INIT;
		if ((ret = strbuf_adds(&sb, text)) == 0 && (ret = strbuf_addch(&sb, '\n')) == 0)
			ret = web_replace(&w->wr, path.buf, sb.buf, sb.len, 0);
		strbuf_release(&sb);
	}
	if (ret < 0)
		goto out;
	/* The index last: it links to everything else. */
	ret = index_write(w, silos);
out:
	free(text);
	json_decref(silos);
	strbuf_release(&path);
	return ret;
}

static void web_release(struct web *w)
{
	size_t i;

	for (i = 0; i < 2; i++)
		silo_medo_tree_free(w->open_t[i]);
	for (i = 0; i < w->n_ptrs; i++)
		ptr_release(&w->ptrs[i]);
	free(w->ptrs);
	free(w->trees);
	free(w->diffs);
	for (i = 0; i < w->n_seqs; i++)
		free(w->seqs[i]);
	free(w->seqs);
	if (w->labels)
		for (i = 0; i < w->n_dirs; i++)
			free(w->labels[i]);
	free(w->labels);
}

/* Each of DIRS a directory, none named twice (its treeptrs would be). */
static int check_dirs(const char *const *dirs, size_t n)
{
	struct stat *seen = calloc(n ? n : 1, sizeof(*seen));
	size_t i, j;
	int ret = 0;

	if (!seen)
		return silo__error_oom();
	for (i = 0; i < n && !ret; i++) {
		if (stat(dirs[i], &seen[i]) < 0)
			ret = errno == ENOENT ?
				silo__error_set(SILO_ENOTFOUND, "'%s': no such medo directory", dirs[i]) :
				silo__error_errno("cannot stat '%s'", dirs[i]);
		else if (!S_ISDIR(seen[i].st_mode))
			ret = silo__error_set(SILO_EINVALID, "'%s' is not a medo directory", dirs[i]);
		for (j = 0; j < i && !ret; j++)
			if (seen[j].st_dev == seen[i].st_dev && seen[j].st_ino == seen[i].st_ino)
				ret = silo__error_set(SILO_EINVALID, "'%s' and '%s' are the same medo directory",
						     dirs[j], dirs[i]);
	}
	free(seen);
	return ret;
}

int silo_medo_web(const char *out, const char *const *dirs, size_t n,
		  const struct silo_medo_web_options *opts,
		  struct silo_medo_web_result *result)
{
	struct web w;
	size_t i;
	int ret, create;

	memset(&w, 0, sizeof(w));
	memset(result, 0, sizeof(*result));
	w.out = out;
	w.dirs = dirs;
	w.n_dirs = n;
	w.o = opts;
	w.res = result;
	w.wr.res = result;
	w.open_tree[0] = w.open_tree[1] = NONE;
	if ((ret = check_dirs(dirs, n)) < 0 || (ret = check_out(out, &create)) < 0 ||
	    (ret = make_labels(&w)) < 0)
		goto out;
	for (i = 0; i < n && !ret; i++)
		ret = read_dir(&w, i);
	if (ret < 0)
		goto out;
	w.n_disk = w.n_ptrs;
	result->treeptrs = w.n_disk;
	for (i = 0; i < w.n_disk && opts->history && !ret; i++)
		if (w.ptrs[i].parsed)
			ret = read_history(&w, i);
	for (i = 0; i < w.n_ptrs && !ret; i++)
		ret = add_tree(&w, i);
	if (ret < 0 || (ret = make_seqs(&w)) < 0 || (create && (ret = fs_mkdir_p(out, 0777)) < 0))
		goto out;
	for (i = 0; i < w.n_seqs && !ret; i++)
		ret = visit_seq(&w, w.seqs[i]);
	for (i = 0; i < 2; i++) {
		silo_medo_tree_free(w.open_t[i]);
		w.open_t[i] = NULL;
	}
	if (ret < 0)
		goto out;
	ret = write_site(&w);
out:
	web_release(&w);
	return ret;
}
