/*
 * medo status: a destination compared with a medo directory, and the
 * record of expanded trees that lets leftovers be removed safely (see
 * silo/medo-status.h).
 */
#include "silo/medo-status.h"
#include "silo/medo.h"
#include "silo/tree.h"
#include "silo/treeptr.h"
#include "alloc.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "fsutil.h"
#include "json-text.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *silo_medo_state_name(int state)
{
	switch (state) {
	case SILO_MEDO_STATE_SAME: return "same";
	case SILO_MEDO_STATE_DIFFERS: return "differs";
	case SILO_MEDO_STATE_MISSING: return "missing";
	case SILO_MEDO_STATE_EXTRA: return "extra";
	case SILO_MEDO_STATE_OTHER: return "other";
	default: return "error";
	}
}

/* "a/b" of the treeptr "a/b.treeptr", owned by the caller. */
static char *key_of(const char *rel)
{
	size_t len = strlen(rel), sl = strlen(SILO_TREEPTR_SUFFIX);
	char *k = strdup(rel);

	if (k && len > sl && !strcmp(k + len - sl, SILO_TREEPTR_SUFFIX))
		k[len - sl] = '\0';
	return k;
}

/*
 * What PATH holds against WANT, the tree id (IS_TREE) or object id of a
 * treeptr: SILO_MEDO_STATE_SAME, _DIFFERS or _MISSING in *state.  With
 * TP (the treeptr, read from TREEPTR_PATH), a tree's modes and empty
 * directories too, when TP has an attribute record.
 */
static int compare(int *state, const char *path, int is_tree, const silo_oid *want,
		   const struct silo_treeptr *tp, const char *treeptr_path)
{
	struct stat st;
	silo_oid id;
	int ret;

	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return silo__error_errno("cannot stat '%s'", path);
		*state = SILO_MEDO_STATE_MISSING;
		return 0;
	}
	*state = SILO_MEDO_STATE_DIFFERS;
	if (is_tree && S_ISDIR(st.st_mode)) {
		struct silo_tree_list l = SILO_TREE_LIST_INIT;
		struct medo_select sel;
		if (tp && (ret = medo_partial_read_record(&sel, &id, path)) > 0) {
			/* A partial expansion: what was asked for. */
			ret = silo_oid_equal(&id, &tp->tree) ?
			      medo_partial_matches(tp, path, treeptr_path, NULL, &sel, 0, NULL, NULL,
						   NULL, NULL) : 0;
			medo_select_release(&sel);
			if (ret > 0)
				*state = SILO_MEDO_STATE_SAME;
		} else if (tp && !ret) {
			ret = medo_dir_matches(tp, path, treeptr_path, NULL, NULL, NULL);
			if (ret > 0)
				*state = SILO_MEDO_STATE_SAME;
		} else if (!tp) {
			ret = silo_tree_list_dir(&l, want->format, path);
			if (!ret)
				ret = silo_tree_list_id(&id, &l);
			silo_tree_list_release(&l);
		}
		if (ret == SILO_EINVALID) {
			/* A fifo or a device: not a tree medo wrote. */
			silo_error_clear();
			return 0;
		}
		if (tp)
			return ret < 0 ? ret : 0;
	} else if (!is_tree && S_ISREG(st.st_mode) && tp && tp->kind == SILO_TREEPTR_IMAGE) {
		/* An image: the archive its provenance's sha256 names. */
		if ((ret = medo_image_matches(tp, path)) > 0)
			*state = SILO_MEDO_STATE_SAME;
		return ret < 0 ? ret : 0;
	} else if (!is_tree && S_ISREG(st.st_mode)) {
		ret = medo_file_blob_id(&id, want->format, path);
	} else {
		return 0;
	}
	if (ret < 0)
		return ret;
	if (silo_oid_equal(&id, want))
		*state = SILO_MEDO_STATE_SAME;
	return 0;
}

/* ---- the record ---- */

/* The "trees" object of DEST's record, a new reference: empty when there
 * is no record, or one that cannot be read (nothing is then removable). */
static json_t *load_record(const char *dest)
{
	char *path = fs_join(dest, SILO_MEDO_RECORD);
	json_t *doc = path ? json_load_file(path, 0, NULL) : NULL;
	json_t *trees = json_object_get(doc, "trees");

	free(path);
	if (json_is_object(trees))
		json_incref(trees);
	else
		trees = json_object();
	json_decref(doc);
	return trees;
}

static int save_record(const char *dest, json_t *trees)
{
	char *path = fs_join(dest, SILO_MEDO_RECORD), *text = NULL;
	json_t *doc = json_pack("{s:i,s:O}", "version", 1, "trees", trees);
	int ret;

	if (!path || json_text(&text, doc, JSON_INDENT(2) | JSON_SORT_KEYS) < 0)
		ret = silo__error_oom();
	else if (!json_object_size(trees))
		ret = unlink(path) < 0 && errno != ENOENT ?
			silo__error_errno("cannot remove '%s'", path) : 0;
	else
		ret = fs_write_file_atomic(path, text, strlen(text));
	free(text);
	json_decref(doc);
	free(path);
	return ret;
}

/* The recorded id of KEY in TREES: 1 and *id, *is_tree set, or 0. */
static int recorded(json_t *trees, const char *key, silo_oid *id, int *is_tree)
{
	json_t *e = json_object_get(trees, key);
	const char *hex = json_string_value(json_object_get(e, "id"));
	const char *kind = json_string_value(json_object_get(e, "kind"));

	if (!hex || !kind || silo_oid_from_hex_any(id, hex) < 0) {
		silo_error_clear();
		return 0;
	}
	*is_tree = !strcmp(kind, "tree");
	return 1;
}

/* 1 if DEST/KEY holds what TREES records for it, unchanged. */
static int is_expanded(const char *dest, json_t *trees, const char *key)
{
	char *path;
	silo_oid id;
	int is_tree, state, ret;
	json_t *e = json_object_get(trees, key);
	const char *sha = json_string_value(json_object_get(e, "sha256"));
	const char *kind = json_string_value(json_object_get(e, "kind"));

	if (sha && kind && !strcmp(kind, "image")) {
		/* An image is known by its archive's sha256. */
		struct stat st;
		if (!(path = fs_join(dest, key)))
			return silo__error_oom();
		ret = lstat(path, &st) == 0 && S_ISREG(st.st_mode) ?
			medo_file_sha256_is(path, sha) : 0;
		free(path);
		return ret;
	}
	if (!recorded(trees, key, &id, &is_tree))
		return 0;
	if (!(path = fs_join(dest, key)))
		return silo__error_oom();
	ret = compare(&state, path, is_tree, &id, NULL, NULL);
	free(path);
	return ret < 0 ? ret : state == SILO_MEDO_STATE_SAME;
}

int silo_medo_record_expanded(const char *dest, const char *medo_dir,
			      char *const *names, const int *results, size_t n)
{
	json_t *trees = load_record(dest);
	const char *key;
	json_t *value;
	void *tmp;
	size_t i;
	int ret = 0;

	if (!trees)
		return silo__error_oom();
	/* Entries whose paths are gone are forgotten. */
	json_object_foreach_safe(trees, tmp, key, value) {
		char *path = fs_join(dest, key);
		struct stat st;
		if (!path) {
			ret = silo__error_oom();
			goto out;
		}
		if (lstat(path, &st) < 0 && errno == ENOENT)
			json_object_del(trees, key);
		free(path);
	}
	for (i = 0; i < n; i++) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		char *tpath, *k, hex[SILO_OID_MAX_HEXSZ + 1];
		int is_tree;

		if (results[i] < 0)
			continue;
		if (!(tpath = fs_join(medo_dir, names[i])) || !(k = key_of(names[i]))) {
			free(tpath);
			ret = silo__error_oom();
			goto out;
		}
		ret = silo_treeptr_load(&tp, tpath);
		free(tpath);
		if (ret == 0) {
			is_tree = silo_treeptr_is_tree(&tp);
			silo_oid_to_hex(hex, is_tree ? &tp.tree : &tp.object);
			if (tp.kind == SILO_TREEPTR_IMAGE &&
			    silo_treeptr_provenance(&tp, "sha256")) {
				if (json_object_set_new(trees, k, json_pack("{s:s,s:s,s:s}",
						"kind", "image", "id", hex, "sha256",
						silo_treeptr_provenance(&tp, "sha256"))) < 0)
					ret = silo__error_oom();
			} else if (json_object_set_new(trees, k, json_pack("{s:s,s:s}",
					"kind", is_tree ? "tree" : "opaque", "id", hex)) < 0)
				ret = silo__error_oom();
		}
		silo_treeptr_release(&tp);
		free(k);
		if (ret < 0)
			goto out;
	}
	ret = save_record(dest, trees);
out:
	json_decref(trees);
	return ret;
}

/* ---- status ---- */

static int add_entry(struct silo_medo_status *st, char *path, char *treeptr,
		     int state, int error)
{
	struct silo_medo_status_entry *e;

	if (ALLOC_GROW(st->v, st->n + 1, st->alloc) < 0)
		goto oom;
	e = &st->v[st->n];
	e->path = path;
	e->treeptr = treeptr;
	e->state = state;
	e->message = NULL;
	e->error = error;
	if (error && !(e->message = strdup(silo_error_message())))
		goto oom;
	st->n++;
	return 0;
oom:
	free(path);
	free(treeptr);
	return silo__error_oom();
}

/* 1 if P is KEY or a directory on the way to it. */
static int leads_to(const char *p, const char *key)
{
	size_t len = strlen(p);

	return !strncmp(key, p, len) && (key[len] == '/' || key[len] == '\0');
}

struct walk {
	const char *dest;
	char **keys;		/* the treeptrs' destinations */
	size_t n_keys;
	json_t *trees;		/* the record */
	struct silo_medo_status *out;
};

static int on_the_way(struct walk *w, const char *p, int *is_key)
{
	const char *k;
	json_t *v;
	size_t i;

	*is_key = 0;
	for (i = 0; i < w->n_keys; i++)
		if (leads_to(p, w->keys[i])) {
			*is_key = !strcmp(p, w->keys[i]);
			return 1;
		}
	json_object_foreach(w->trees, k, v)
		if (strcmp(p, k) && leads_to(p, k))
			return 1;
	return 0;
}

/* Everything below DEST/REL ("" for DEST) that no treeptr names. */
static int walk_extra(struct walk *w, const char *rel)
{
	char *dir = *rel ? fs_join(w->dest, rel) : strdup(w->dest);
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (!dir)
		return silo__error_oom();
	if (!(d = opendir(dir))) {
		ret = errno == ENOENT && !*rel ? 0 : silo__error_errno("cannot read directory '%s'", dir);
		free(dir);
		return ret;
	}
	while (!ret && (errno = 0, de = readdir(d))) {
		char *p;
		struct stat st;
		int is_key;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (!*rel && !strcmp(de->d_name, SILO_MEDO_RECORD)))
			continue;
		if (!(p = *rel ? fs_join(rel, de->d_name) : strdup(de->d_name))) {
			ret = silo__error_oom();
			break;
		}
		if (on_the_way(w, p, &is_key)) {
			char *full = fs_join(w->dest, p);
			if (!full)
				ret = silo__error_oom();
			else if (!is_key && lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
				ret = walk_extra(w, p);
			free(full);
			free(p);
			continue;
		}
		ret = is_expanded(w->dest, w->trees, p);
		if (ret >= 0)
			ret = add_entry(w->out, p, NULL, ret ? SILO_MEDO_STATE_EXTRA :
					SILO_MEDO_STATE_OTHER, 0);
		else
			free(p);
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read directory '%s'", dir);
	closedir(d);
	free(dir);
	return ret;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct silo_medo_status_entry *)a)->path,
		      ((const struct silo_medo_status_entry *)b)->path);
}

int silo_medo_status(struct silo_medo_status *out, const char *medo_dir,
		     const char *dest)
{
	struct walk w = { dest, NULL, 0, NULL, out };
	char **names = NULL;
	size_t n = 0, i;
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = silo_medo_find_treeptrs(&names, &n, medo_dir)) < 0)
		return ret;
	if (!(w.keys = calloc(n ? n : 1, sizeof(*w.keys))) || !(w.trees = load_record(dest))) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		char *tpath = fs_join(medo_dir, names[i]), *path = NULL, *key, *rel;
		int state = SILO_MEDO_STATE_ERROR;

		if (!tpath || !(key = w.keys[w.n_keys++] = key_of(names[i])) ||
		    !(path = fs_join(dest, key)) || !(rel = strdup(names[i]))) {
			free(tpath);
			free(path);
			ret = silo__error_oom();
			goto out;
		}
		ret = silo_treeptr_load(&tp, tpath);
		if (!ret) {
			int is_tree = silo_treeptr_is_tree(&tp);
			ret = compare(&state, path, is_tree, is_tree ? &tp.tree : &tp.object, &tp,
				      tpath);
		}
		silo_treeptr_release(&tp);
		free(tpath);
		free(path);
		if (ret == SILO_ENOMEM || !(key = strdup(key))) {
			free(rel);
			ret = silo__error_oom();
			goto out;
		}
		ret = add_entry(out, key, rel, ret < 0 ? SILO_MEDO_STATE_ERROR : state,
				ret < 0 ? ret : 0);
		if (ret < 0)
			goto out;
	}
	silo_error_clear();
	if ((ret = walk_extra(&w, "")) < 0)
		goto out;
	qsort(out->v, out->n, sizeof(*out->v), by_path);
out:
	for (i = 0; i < w.n_keys; i++)
		free(w.keys[i]);
	free(w.keys);
	json_decref(w.trees);
	silo_medo_list_free(names, n);
	if (ret < 0)
		silo_medo_status_release(out);
	return ret;
}

void silo_medo_status_release(struct silo_medo_status *st)
{
	size_t i;

	for (i = 0; i < st->n; i++) {
		free(st->v[i].path);
		free(st->v[i].treeptr);
		free(st->v[i].message);
	}
	free(st->v);
	memset(st, 0, sizeof(*st));
}

/* ---- removal ---- */

int silo_medo_remove_extra(const char *dest, const char *path)
{
	json_t *trees = load_record(dest);
	char *full = NULL, *slash;
	struct stat st;
	int ret;

	if (!trees)
		return silo__error_oom();
	if ((ret = is_expanded(dest, trees, path)) <= 0) {
		if (ret == 0)
			ret = silo__error_set(SILO_EEXISTS,
				"'%s' is not a tree medo expanded, or changed since: left in place",
				path);
		goto out;
	}
	if (!(full = fs_join(dest, path))) {
		ret = silo__error_oom();
		goto out;
	}
	if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
		ret = silo_tree_remove(full);
	else if (unlink(full) < 0)
		ret = silo__error_errno("cannot remove '%s'", full);
	if (ret < 0)
		goto out;
	json_object_del(trees, path);
	if ((ret = save_record(dest, trees)) < 0)
		goto out;
	/* The directories that held only it go too, up to DEST. */
	while ((slash = strrchr(full + strlen(dest), '/')) && slash > full + strlen(dest) + 1) {
		*slash = '\0';
		if (rmdir(full) < 0)
			break;
	}
out:
	free(full);
	json_decref(trees);
	return ret;
}
