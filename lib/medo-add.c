/*
 * medo add: store a directory, an archive or an opaque file in a silo
 * and write the treeptr naming it.
 */
#include "silo/medo.h"
#include "silo/integrity.h"
#include "silo/store.h"
#include "silo/tree.h"
#include "silo/tree-pack.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "fsutil.h"
#include "http.h"
#include "store-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

/* ---- a tar of a directory, streamed into a spool ---- */

/*
 * Progress of a directory: three passes over its tar (writing it,
 * compressing it, reading it back), each counted in its bytes.  TOTAL is
 * an estimate from the file sizes until the tar's size is known.
 */
struct counting_sink {
	silo_spool *sp;
	uint64_t bytes;
	const struct silo_medo_add_options *opts;
	uint64_t files, total;
};

static int counting_write(void *payload, const void *data, size_t len)
{
	struct counting_sink *c = payload;

	c->bytes += len;
	if (c->opts && c->opts->on_bytes)
		c->opts->on_bytes(c->opts->payload, c->files, c->bytes,
				  c->total > c->bytes * 3 ? c->total : c->bytes * 3);
	return silo_spool_write(c->sp, data, len);
}

static void compress_progress(void *payload, uint64_t bytes)
{
	struct counting_sink *c = payload;

	c->opts->on_bytes(c->opts->payload, c->files, c->bytes + bytes, c->bytes * 3);
}

/*
 * The tree id of what object ID unpacks to, read back from the silo: what
 * medo expand will check against, whatever happened to the source since.
 */
static int object_tree_id(silo_oid *out, silo *s, const silo_oid *id,
			  const char *name, const struct counting_sink *c)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct medo_reader src = { 0 };
	silo_stream *st;
	int ret;

	if ((ret = silo_stream_open(&st, s, id)) < 0)
		return ret;
	/* Inflating and checking the object on a second core while this
	 * one lists it and hashes its files, as expand does. */
	if ((ret = silo_stream_prefetch(&st, st)) < 0)
		return ret;
	src.st = st;
	if (c && c->opts && c->opts->on_bytes) {
		src.on_bytes = c->opts->on_bytes;
		src.payload = c->opts->payload;
		src.files = c->files;
		src.base = 2 * c->bytes;
		src.total = 3 * c->bytes;
	}
	ret = silo_tree_list_archive(&l, silo_object_format(s), medo_reader_read, &src, name);
	/* The stream is verified only at its end. */
	if (!ret)
		ret = medo_reader_finish(&src);
	if (!ret)
		ret = silo_tree_list_id(out, &l);
	silo_tree_list_release(&l);
	silo_stream_free(st);
	return ret;
}

static int add_dir(struct silo_treeptr *tp, silo *s, const char *dir,
		   const struct silo_medo_add_options *opts)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct counting_sink sink = { NULL, 0, opts, 0, 0 };
	silo_writer *w = NULL;
	silo_oid from_dir, from_tar;
	int ret;

	if ((ret = silo_tree_list_dir(&l, silo_object_format(s), dir)) < 0 ||
	    (ret = silo_tree_list_id(&from_dir, &l)) < 0)
		goto out;
	sink.files = l.n;
	for (size_t i = 0; i < l.n; i++)	/* a header and whole blocks each */
		sink.total += 512 + (l.v[i].size + 511) / 512 * 512;
	sink.total = 3 * (sink.total + 1024);
	if ((ret = silo_writer_new(&w, s)) < 0 ||
	    (ret = silo_spool_new(&sink.sp, w)) < 0)
		goto out;
	if (opts && opts->on_bytes)
		silo_writer_set_progress(w, compress_progress, &sink);
	if ((ret = silo_tree_tar(dir, counting_write, &sink)) < 0) {
		silo__error_wrap("cannot write a tar of '%s'", dir);
		goto out;
	}
	if ((ret = silo_spool_put(&tp->object, sink.sp)) < 0 ||
	    (ret = silo_writer_commit(w, NULL)) < 0)
		goto out;
	if ((ret = object_tree_id(&from_tar, s, &tp->object, dir, &sink)) < 0)
		goto out;
	if (!silo_oid_equal(&from_dir, &from_tar)) {
		ret = silo__error_set(SILO_EIO, "'%s' changed while it was being added", dir);
		goto out;
	}
	tp->kind = SILO_TREEPTR_TAR;
	tp->size = sink.bytes;
	tp->tree = from_dir;
out:
	silo_tree_list_release(&l);
	silo_spool_free(sink.sp);
	silo_writer_free(w);
	return ret;
}

/* The tree kind: git tree objects and blobs in one new pack. */
static int add_tree(struct silo_treeptr *tp, silo *s, const char *dir,
		    const struct silo_medo_add_options *opts)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct silo_tree_attrs attrs = SILO_TREE_ATTRS_INIT;
	struct silo_tree_pack_result r;
	silo_oid from_dir, attrs_id;
	char *record = NULL;
	size_t record_len;
	int ret;

	memset(&r, 0, sizeof(r));
	/* What git's tree does not hold goes into the attribute record,
	 * written even when it records nothing: a treeptr with one keeps
	 * modes and empty directories exactly (one without was written
	 * before records were). */
	if ((ret = silo_tree_list_dir_attrs(&l, &attrs, silo_object_format(s), dir)) < 0 ||
	    (ret = silo_tree_list_id(&from_dir, &l)) < 0 ||
	    (ret = silo_tree_attrs_format(&record, &record_len, &attrs, &from_dir)) < 0 ||
	    (ret = silo_oid_hash_buffer(&attrs_id, silo_object_format(s), SILO_OBJ_BLOB, record,
					record_len)) < 0 ||
	    (ret = silo_tree_pack_write_attrs(&r, s, dir, &l, record, record_len,
					      opts ? opts->on_bytes : NULL,
					      opts ? opts->payload : NULL)) < 0)
		goto out;
	if (!silo_oid_equal(&from_dir, &r.root)) {
		ret = silo__error_set(SILO_EIO, "'%s' changed while it was being added", dir);
		goto out;
	}
	tp->kind = SILO_TREEPTR_TREE;
	tp->object = r.sizes;
	tp->size = r.sizes_len;
	tp->tree = r.root;
	if ((ret = silo_treeptr_set_packs(tp, r.packs, r.n_packs)) == 0)
		ret = silo_treeptr_set_attrs(tp, &attrs_id, record_len);
out:
	free(record);
	silo_tree_attrs_release(&attrs);
	silo_tree_pack_result_release(&r);
	silo_tree_list_release(&l);
	return ret;
}

/* The packs and the attribute record FROM names, as those of TP. */
static int copy_packs(struct silo_treeptr *tp, const struct silo_treeptr *from)
{
	size_t n;
	char **names = medo_treeptr_packs(from, &n);
	silo_oid id;
	uint64_t size = 0;
	int ret, has;

	if (!names)
		return SILO_ENOMEM;
	ret = silo_treeptr_set_packs(tp, names, n);
	free(names);
	has = silo_treeptr_attrs(from, &id, &size);
	if (!ret)
		ret = silo_treeptr_set_attrs(tp, has ? &id : NULL, size);
	return ret;
}

/* ---- a file: an archive or an opaque object ---- */

struct file_source {
	int fd;
	const char *name;
	silo_integrity_hasher *hash;
	unsigned char *buf;
	int failed;
};

static int file_read(void *payload, const void **data, size_t *len)
{
	struct file_source *fs = payload;
	ssize_t n;
	int ret;

	do
		n = read(fs->fd, fs->buf, CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return silo__error_errno("cannot read '%s'", fs->name);
	if (n == 0)
		return 0;
	if ((ret = silo_integrity_hasher_update(fs->hash, fs->buf, (size_t)n)) < 0)
		return ret;
	*data = fs->buf;
	*len = (size_t)n;
	return 1;
}

/*
 * Store the file at PATH (NAME in messages) as an archive or, with
 * OPAQUE, as is.  Its sha256 goes to SHA256_HEX; if it differs from
 * OPTS->sha256, or the data does not match OPTS->integrity, nothing is
 * stored.
 */
static int add_file(struct silo_treeptr *tp, silo *s, const char *path,
		    const char *name, const struct silo_medo_add_options *opts,
		    char sha256_hex[65])
{
	int opaque = opts->opaque;
	const char *expect = opts->sha256;
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct file_source src = { -1, name, NULL, NULL, 0 };
	silo_writer *w = NULL;
	struct stat st, before;
	const void *d;
	size_t n;
	int ret;

	src.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src.fd < 0)
		return silo__error_errno("cannot open '%s'", name);
	if (fstat(src.fd, &before) < 0) {
		ret = silo__error_errno("cannot stat '%s'", name);
		goto out;
	}
	if (!(src.buf = malloc(CHUNK))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = silo_integrity_hasher_new(&src.hash, opts->integrity)) < 0)
		goto out;
	/* One pass gives the upstream checksum and, for an archive, its
	 * tree: the listing reads what it needs, the rest is drained. */
	if (!opaque) {
		ret = silo_tree_list_archive(&l, silo_object_format(s), file_read, &src, name);
		/* Not an archive at all (a .deb is an ar archive): say what
		 * trees are made of.  A bad entry of a real archive: say so. */
		if (ret == SILO_EINVALID && !strncmp(silo_error_message(), "cannot read archive ",
						      strlen("cannot read archive ")))
			silo__error_wrap("cannot add '%s' as a tree: trees are made of directories "
					"and of tar and zip archives, compressed or not "
					"(gzip, bzip2, xz, lzma, lzip, zstd, lz4); "
					"use --opaque to store the file as it is",
					name);
		else if (ret == SILO_EINVALID)
			silo__error_wrap("cannot add '%s' as a tree (--opaque stores it as it is)",
					name);
		if (ret < 0)
			goto out;
		if ((ret = silo_tree_list_id(&tp->tree, &l)) < 0)
			goto out;
	}
	while ((ret = file_read(&src, &d, &n)) > 0)
		;
	if (ret < 0)
		goto out;
	if ((ret = silo_integrity_hasher_finish(src.hash, sha256_hex, name)) < 0)
		goto out;
	if (expect && strcasecmp(expect, sha256_hex)) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s' has sha256 %s, not the expected %s: nothing stored",
			name, sha256_hex, expect);
		goto out;
	}
	if ((ret = silo_writer_new(&w, s)) < 0 ||
	    (ret = silo_writer_put_fd(&tp->object, w, src.fd, name)) < 0)
		goto out;
	/* The checksum and tree id came from the first read; the object was
	 * stored from a second.  Unless the file stayed the same through
	 * both, nothing is committed. */
	if (fstat(src.fd, &st) < 0) {
		ret = silo__error_errno("cannot stat '%s'", name);
		goto out;
	}
	if (!fs_same_state(&st, &before)) {
		ret = silo__error_set(SILO_EIO, "'%s' changed while being added", name);
		goto out;
	}
	if ((ret = silo_writer_commit(w, NULL)) < 0)
		goto out;
	tp->kind = opaque ? SILO_TREEPTR_OPAQUE : SILO_TREEPTR_ARCHIVE;
	tp->size = (uint64_t)st.st_size;
out:
	silo_writer_free(w);
	silo_tree_list_release(&l);
	silo_integrity_hasher_free(src.hash);
	free(src.buf);
	close(src.fd);
	return ret;
}

/* ---- a URL: downloaded first, then added as a file ---- */

/*
 * Download URL into a scratch file of silo S (a writer's temporary file,
 * which verify and prune know); *path_out names it.  The download is
 * checked as a file is: add_file() reads it for its sha256 and tree.
 */
static int download(char **path_out, silo *s, const char *url)
{
	silo_writer *w;
	int fd, ret;

	*path_out = NULL;
	if ((ret = silo_writer_new(&w, s)) < 0)
		return ret;
	ret = silo__writer_tmpfile(w, &fd, path_out, "download");
	silo_writer_free(w);
	if (ret < 0)
		return ret;
	ret = http_download(url, fd);
	close(fd);
	if (ret < 0) {
		unlink(*path_out);
		free(*path_out);
		*path_out = NULL;
	}
	return ret;
}

/* ---- provenance ---- */

static int set_prov(struct silo_treeptr *tp, const char *key, const char *value)
{
	return value ? silo_treeptr_set_provenance(tp, key, value) : 0;
}

/* The time of the addition; SOURCE_DATE_EPOCH pins it for reproducible
 * treeptrs (https://reproducible-builds.org/specs/source-date-epoch/). */
static void format_time(char out[32])
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	time_t t = time(NULL);
	struct tm tm;

	if (env && *env) {
		char *end;
		long long v = strtoll(env, &end, 10);
		if (!*end && v >= 0)
			t = (time_t)v;
	}
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int record_provenance(struct silo_treeptr *tp, const char *src,
			     const struct silo_medo_add_options *opts,
			     const char *sha256, const struct medo_git_tree *git)
{
	char when[32], host[256], *real, *base = NULL;
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];
	const char *user = NULL;
	int ret;

	format_time(when);
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		user = pw.pw_name;
	else
		user = getenv("USER");
	real = http_is_url(src) ? NULL : realpath(src, NULL);
	if (sha256 && !(base = fs_basename(src))) {
		free(real);
		return silo__error_oom();
	}
	if ((ret = silo_treeptr_clear_provenance(tp)) < 0 ||
	    (ret = set_prov(tp, "source", real ? real : src)) < 0 ||
	    (ret = set_prov(tp, "time", when)) < 0 ||
	    (ret = set_prov(tp, "host", host[0] ? host : NULL)) < 0 ||
	    (ret = set_prov(tp, "user", user)) < 0 ||
	    (ret = set_prov(tp, "tool", opts->tool)) < 0 ||
	    (ret = set_prov(tp, "note", opts->note)) < 0 ||
	    (ret = set_prov(tp, "url", opts->url ? opts->url :
				    http_is_url(src) ? src : NULL)) < 0 ||
	    (ret = set_prov(tp, "file", base)) < 0 ||
	    (ret = set_prov(tp, "sha256", sha256)) < 0 ||
	    (ret = set_prov(tp, "integrity", opts->integrity)) < 0 ||
	    (git && (ret = set_prov(tp, "git-rev", git->rev)) < 0) ||
	    (git && (ret = set_prov(tp, "git-path", git->path)) < 0) ||
	    (git && (ret = set_prov(tp, "git-commit", git->commit)) < 0) ||
	    (git && (ret = set_prov(tp, "git-submodules", git->submodules)) < 0)) {
		/* ret says why */
	}
	free(real);
	free(base);
	return ret;
}

/* ---- the command ---- */

int silo_medo_add(struct silo_treeptr *out, const char *src,
		  const char *treeptr_path, const struct silo_medo_add_options *opts)
{
	struct silo_treeptr old = SILO_TREEPTR_INIT, tp = SILO_TREEPTR_INIT;
	struct medo_git_tree git = { 0 };
	char sha256[65] = "", *dir = NULL;
	const char *from = src;
	silo *s = NULL;
	struct stat st;
	int have_old = 0, ret;

	if (out)
		memset(out, 0, sizeof(*out));
	if (opts->git_rev) {
		/* A repository is checked out below, added as a directory. */
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFDIR;
	} else if (http_is_url(src)) {
		/* Checked when the download is at hand. */
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFREG;
	} else if (stat(src, &st) < 0) {
		return silo__error_errno("cannot add '%s'", src);
	}
	if (S_ISDIR(st.st_mode) && opts->opaque)
		return silo__error_set(SILO_EINVALID,
			"cannot add '%s' as an opaque object: it is a directory", src);
	if (opts->kind == SILO_TREEPTR_IMAGE && (!S_ISREG(st.st_mode) || opts->opaque ||
						  opts->git_rev || http_is_url(src)))
		return silo__error_set(SILO_EINVALID,
			"cannot add '%s' as an image: an image is a file (docker-archive or OCI archive)",
			src);
	if (opts->kind == SILO_TREEPTR_IMAGE && opts->integrity)
		return silo__error_set(SILO_EINVALID,
			"cannot add '%s' as an image with --integrity: pin it with --sha256", src);
	if (opts->kind && opts->kind != SILO_TREEPTR_TAR && opts->kind != SILO_TREEPTR_TREE &&
	    opts->kind != SILO_TREEPTR_IMAGE)
		return silo__error_set(SILO_EINVALID, "a directory is added as kind tar or tree");
	if (S_ISDIR(st.st_mode) && (opts->sha256 || opts->integrity))
		return silo__error_set(SILO_EINVALID,
			"cannot pin '%s' with a checksum: it is a directory", src);
	if (opts->integrity && (ret = silo_integrity_check_syntax(opts->integrity)) < 0)
		return ret;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return silo__error_set(SILO_EINVALID,
			"cannot add '%s': not a directory or a regular file", src);

	/* Checked out before anything is written. */
	if (opts->git_rev) {
		if ((ret = medo_git_checkout(&git, src, opts->git_rev)) < 0)
			return ret;
		from = git.dir;
	}

	/* An existing treeptr must be readable: replacing a file we cannot
	 * read would lose what it says.  --force replaces it anyway. */
	ret = silo_treeptr_load(&old, treeptr_path);
	if (ret == 0)
		have_old = 1;
	else if (ret != SILO_ENOTFOUND && !opts->force)
		goto out;
	silo_error_clear();

	if (!(dir = fs_dirname(treeptr_path))) {
		ret = silo__error_oom();
		goto out;
	}
	ret = fs_mkdir_p(dir, 0777);
	free(dir);
	if (ret < 0)
		goto out;
	if ((ret = silo_medo_open_writing(&s, treeptr_path, opts->silo)) < 0)
		goto out;

	if (S_ISDIR(st.st_mode) && opts->kind == SILO_TREEPTR_TREE) {
		ret = add_tree(&tp, s, from, opts);
	} else if (S_ISDIR(st.st_mode)) {
		ret = add_dir(&tp, s, from, opts);
	} else if (opts->kind == SILO_TREEPTR_IMAGE) {
		ret = medo_image_add(&tp, s, src, opts->sha256, sha256);
	} else if (http_is_url(src)) {
		char *tmp = NULL;
		if ((ret = download(&tmp, s, src)) == 0) {
			ret = add_file(&tp, s, tmp, src, opts, sha256);
			unlink(tmp);
			free(tmp);
		}
	} else {
		ret = add_file(&tp, s, src, src, opts, sha256);
	}
	if (ret < 0)
		goto out;

	if (have_old && silo_treeptr_same_data(&old, &tp)) {
		ret = SILO_MEDO_ADD_UNCHANGED;
		if (out) {
			*out = old;
			memset(&old, 0, sizeof(old));
		}
		goto out;
	}
	if (have_old && !opts->force) {
		char hex[SILO_OID_MAX_HEXSZ + 1];
		ret = silo__error_set(SILO_EEXISTS,
			"'%s' already names other data (object %s); use --force to replace it",
			treeptr_path, silo_oid_to_hex(hex, &old.object));
		goto out;
	}
	/* A rewrite keeps the fields of the old file that this version does
	 * not know; its provenance is replaced with the new one, and so are
	 * the packs and record of a tree of kind tree: the old ones may not
	 * hold it. */
	if (have_old) {
		void *doc = tp.doc;
		tp.doc = old.doc;
		old.doc = doc;		/* this write's, freed with OLD */
		if (tp.kind == SILO_TREEPTR_TREE && (ret = copy_packs(&tp, &old)) < 0)
			goto out;
	}
	if ((ret = record_provenance(&tp, src, opts, sha256[0] ? sha256 : NULL,
				     opts->git_rev ? &git : NULL)) < 0)
		goto out;
	if ((ret = silo_treeptr_save(&tp, treeptr_path)) < 0)
		goto out;
	ret = SILO_MEDO_ADD_WRITTEN;
	if (out) {
		*out = tp;
		memset(&tp, 0, sizeof(tp));
	}
out:
	silo_treeptr_release(&old);
	silo_treeptr_release(&tp);
	silo_free(s);
	medo_git_tree_release(&git);
	return ret;
}
