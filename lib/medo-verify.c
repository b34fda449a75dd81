/* medo verify: compare trees on disk with their treeptrs. */
#include "silo/medo.h"
#include "silo/store.h"
#include "silo/tree.h"
#include "silo/tree-pack.h"
#include "error-internal.h"
#include "fsutil.h"
#include "medo-internal.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct diff_state {
	const struct silo_medo_verify_options *opts;
	const char *dir;
	size_t reported;
};

static int report(void *payload, int change, const char *path)
{
	struct diff_state *ds = payload;
	char *full = fs_join(ds->dir, path);

	if (!full)
		return silo__error_oom();
	ds->reported++;
	if (ds->opts->on_diff)
		ds->opts->on_diff(ds->opts->payload, change, full);
	free(full);
	return 0;
}

static void differs(const struct silo_medo_verify_options *opts, int what,
		    const char *dir)
{
	if (opts->on_diff)
		opts->on_diff(opts->payload, what, dir);
}

/* The listing of the treeptr's object (for the tree kind, of its tree
 * objects and size table, and its attribute record into ATTRS), when a
 * silo at hand holds it. */
int medo_object_list(struct silo_tree_list *l, struct silo_tree_attrs *attrs,
		     const char *treeptr_path, const struct silo_treeptr *tp,
		     const char *silo_option, silo_medo_warn_fn on_warning, void *payload)
{
	silo *s = NULL;
	silo_stream *st = NULL;
	struct medo_reader src = { 0 };
	silo_oid attrs_id;
	uint64_t attrs_size;
	int ret;

	if (tp->kind == SILO_TREEPTR_TREE) {
		if ((ret = silo_medo_open_treeptr(&s, treeptr_path, silo_option, tp,
						  on_warning, payload)) == 0)
			ret = silo_tree_load(l, s, &tp->tree, &tp->object, tp->size);
		if (!ret && silo_treeptr_attrs(tp, &attrs_id, &attrs_size))
			ret = silo_tree_attrs_read(attrs, s, &attrs_id, attrs_size, &tp->tree, l);
		goto out;
	}
	if ((ret = silo_medo_open_reading(&s, treeptr_path, silo_option, &tp->object, tp->size,
					  on_warning, payload)) < 0 ||
	    (ret = silo_stream_open(&st, s, &tp->object)) < 0)
		goto out;
	src.st = st;
	ret = silo_tree_list_archive(l, tp->object.format, medo_reader_read, &src, treeptr_path);
	if (!ret)
		ret = medo_reader_finish(&src);
out:
	silo_stream_free(st);
	silo_free(s);
	return ret;
}

/* 1 if GOT (GOT_SIZE bytes), the id of the record of a directory whose
 * leaves L are those of TP's tree, is the id of TP's record (WANT) as
 * medo expand writes it under the umask, 0 if not. */
static int record_matches(const struct silo_treeptr *tp, const char *treeptr_path,
			  const char *silo_option, const struct silo_tree_list *l,
			  const silo_oid *want, uint64_t want_size, const silo_oid *got,
			  uint64_t got_size)
{
	struct silo_tree_attrs recorded = SILO_TREE_ATTRS_INIT;
	struct silo_tree_attrs expanded = SILO_TREE_ATTRS_INIT;
	unsigned umask = (unsigned)fs_umask() & 0777;
	silo *s = NULL;
	silo_oid id;
	uint64_t size;
	int ret;

	if (got_size == want_size && silo_oid_equal(got, want))
		return 1;
	if (!umask)
		return 0;
	/* The leaves are the tree's: the record reads against them. */
	if ((ret = silo_medo_open_treeptr(&s, treeptr_path, silo_option, tp, NULL, NULL)) < 0 ||
	    (ret = silo_tree_attrs_read(&recorded, s, want, want_size, &tp->tree, l)) < 0 ||
	    (ret = silo_tree_attrs_expanded(&expanded, &recorded, l, umask)) < 0 ||
	    (ret = silo_tree_attrs_id(&id, &size, &expanded, &tp->tree)) < 0)
		silo__error_wrap("'%s'", treeptr_path);
	else
		ret = size == got_size && silo_oid_equal(&id, got);
	silo_tree_attrs_release(&recorded);
	silo_tree_attrs_release(&expanded);
	silo_free(s);
	return ret;
}

int medo_dir_matches(const struct silo_treeptr *tp, const char *dir, const char *treeptr_path,
		     const char *silo_option, struct silo_tree_list *disk,
		     struct silo_tree_attrs *attrs)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct silo_tree_attrs a = SILO_TREE_ATTRS_INIT;
	int format = tp->object.format, exact, ret;
	silo_oid id, want_attrs, got_attrs;
	uint64_t want_size, got_size;

	exact = silo_treeptr_attrs(tp, &want_attrs, &want_size);
	if ((ret = exact ? silo_tree_list_dir_attrs(&l, &a, format, dir) :
			   silo_tree_list_dir(&l, format, dir)) < 0 ||
	    (ret = silo_tree_list_id(&id, &l)) < 0)
		goto out;
	ret = silo_oid_equal(&id, &tp->tree);
	if (ret && exact &&
	    ((ret = silo_tree_attrs_id(&got_attrs, &got_size, &a, &id)) < 0 ||
	     (ret = record_matches(tp, treeptr_path, silo_option, &l, &want_attrs, want_size,
				   &got_attrs, got_size)) < 0))
		goto out;
	if (disk) {
		silo_tree_list_release(disk);
		*disk = l;
		memset(&l, 0, sizeof(l));
	}
	if (attrs) {
		silo_tree_attrs_release(attrs);
		*attrs = a;
		memset(&a, 0, sizeof(a));
	}
out:
	silo_tree_list_release(&l);
	silo_tree_attrs_release(&a);
	return ret;
}

static int verify_opaque(const char *treeptr_path, const struct silo_treeptr *tp,
			 const char *path, const struct silo_medo_verify_options *opts)
{
	struct stat st;
	silo_oid id;
	int ret;

	(void)treeptr_path;
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT)
			return silo__error_errno("cannot stat '%s'", path);
		differs(opts, SILO_MEDO_MISSING, path);
		return SILO_EDIFFERS;
	}
	if (!S_ISREG(st.st_mode)) {
		differs(opts, SILO_TREE_CHANGED, path);
		return SILO_EDIFFERS;
	}
	if (tp->kind == SILO_TREEPTR_IMAGE) {
		/* The archive, by the sha256 its provenance records. */
		if ((ret = medo_image_matches(tp, path)) < 0)
			return ret;
		if (!ret) {
			differs(opts, SILO_TREE_CHANGED, path);
			return SILO_EDIFFERS;
		}
		return 0;
	}
	if ((ret = medo_file_blob_id(&id, tp->object.format, path)) < 0)
		return ret;
	if (!silo_oid_equal(&id, &tp->object)) {
		differs(opts, SILO_TREE_CHANGED, path);
		return SILO_EDIFFERS;
	}
	return 0;
}

/* A partial expansion at DIR (its record, medo-partial.c): what was
 * asked for compared, differences reported into DS; 1 when DIR is one,
 * 0 when not, negative on error. */
static int verify_partial(const struct silo_treeptr *tp, const char *dir,
			  const char *treeptr_path, const struct silo_medo_verify_options *opts,
			  struct diff_state *ds)
{
	struct medo_select sel;
	silo_oid tree;
	int ret;

	if ((ret = medo_partial_read_record(&sel, &tree, dir)) <= 0)
		return ret;
	/* Said, since a record is all it takes to narrow the check. */
	if (opts->on_warning) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "'%s' holds a partial expansion (%s): only the "
			 "paths it records are checked", dir, MEDO_PARTIAL_RECORD);
		opts->on_warning(opts->payload, msg);
	}
	if (!silo_oid_equal(&tree, &tp->tree)) {
		ds->reported++;
		differs(opts, SILO_MEDO_DIFFERS, dir);
	} else if ((ret = medo_partial_matches(tp, dir, treeptr_path, opts->silo, &sel, 0, report,
					       ds, opts->on_warning, opts->payload)) >= 0) {
		/* Not matching, yet no path reported: the record names a
		 * path the tree does not hold. */
		if (!ret && !ds->reported) {
			ds->reported++;
			differs(opts, SILO_MEDO_DIFFERS, dir);
		}
		ret = 1;
	}
	medo_select_release(&sel);
	return ret;
}

int silo_medo_verify(const char *treeptr_path, const char *dir,
		     const struct silo_medo_verify_options *opts)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct silo_tree_list disk = SILO_TREE_LIST_INIT, want = SILO_TREE_LIST_INIT;
	struct silo_tree_attrs disk_attrs = SILO_TREE_ATTRS_INIT, want_attrs = SILO_TREE_ATTRS_INIT;
	struct diff_state ds = { opts, dir, 0 };
	struct stat st;
	silo_oid attrs_id;
	uint64_t attrs_size;
	int ret, exact;

	if ((ret = silo_medo_treeptr_load_signed(&tp, opts->signers, treeptr_path)) < 0)
		return ret;
	if (!silo_treeptr_is_tree(&tp)) {
		ret = verify_opaque(treeptr_path, &tp, dir, opts);
		goto out;
	}
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT) {
			ret = silo__error_errno("cannot stat '%s'", dir);
			goto out;
		}
		differs(opts, SILO_MEDO_MISSING, dir);
		ret = SILO_EDIFFERS;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		differs(opts, SILO_MEDO_DIFFERS, dir);
		ret = SILO_EDIFFERS;
		goto out;
	}
	if ((ret = verify_partial(&tp, dir, treeptr_path, opts, &ds)) != 0) {
		if (ret > 0)
			ret = ds.reported ? SILO_EDIFFERS : 0;
		goto out;
	}
	if ((ret = medo_dir_matches(&tp, dir, treeptr_path, opts->silo, &disk, &disk_attrs)) != 0)
		goto out;	/* the same, or an error */
	ret = SILO_EDIFFERS;
	/* Naming the paths needs the object; without it, say only that the
	 * tree differs. */
	if (medo_object_list(&want, &want_attrs, treeptr_path, &tp, opts->silo, opts->on_warning,
			     opts->payload) < 0) {
		if (opts->on_warning) {
			char msg[4200];
			snprintf(msg, sizeof(msg), "cannot list what differs: %s",
				 silo_error_message());
			opts->on_warning(opts->payload, msg);
		}
		differs(opts, SILO_MEDO_DIFFERS, dir);
		silo_error_clear();
		goto out;
	}
	/* The modes as medo expand writes them here: less the umask. */
	exact = silo_treeptr_attrs(&tp, &attrs_id, &attrs_size);
	if ((exact && silo_tree_attrs_expanded(&want_attrs, &want_attrs, &want,
					       (unsigned)fs_umask() & 0777) < 0) ||
	    silo_tree_exact_diff(&want, exact ? &want_attrs : NULL, &disk,
				 exact ? &disk_attrs : NULL, report, &ds) < 0) {
		ret = silo_error_last() ? silo_error_last() : SILO_ERROR;
		goto out;
	}
	/* The object's listing equals the disk, yet the ids differ: the
	 * treeptr's tree id does not describe its own object. */
	if (!ds.reported)
		differs(opts, SILO_MEDO_DIFFERS, dir);
out:
	silo_tree_list_release(&disk);
	silo_tree_list_release(&want);
	silo_tree_attrs_release(&disk_attrs);
	silo_tree_attrs_release(&want_attrs);
	silo_treeptr_release(&tp);
	return ret;
}
