/*
 * silo_tree_pack_write(): a directory's tree objects, its size table and
 * the blobs the silo lacks, in one new git pack (version 2, no deltas)
 * with its index, in that order: a reader finds the whole listing at the
 * start of the pack, and files in path order after it.
 */
#include "silo/tree-pack.h"
#include "repack-internal.h"
#include "tree-pack-internal.h"
#include "tree-internal.h"
#include "alloc.h"
#include "byteorder.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"
#include "strvec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * libdeflate's level for the entries of a tree's pack.  Each file is
 * deflated alone, without the dictionary a tar stream shares across
 * files: level 7 instead of the default 5 wins most of that back at
 * about the same time (the npm tree of make bench: 1.017x the tar kind's
 * size instead of 1.031x; level 8 takes twice the time for 0.4% less).
 * Entries over TREE_PACK_BIG go through zlib instead, in parts on every
 * CPU, at the default level: zlib's level 7 took 1.6x the time of the
 * tar kind on 100 MB files for the same size.
 */
#define TREE_PACK_LEVEL 7
#define TREE_PACK_BIG (8u << 20)

struct tp {
	struct tp_obj *v;
	size_t n, alloc;
	silo *s;
	const char *dir;
	int dirfd;		/* DIR, which leaves are opened from */
	const struct silo_tree_list *l;
	struct strvec packs;	/* base names of the packs written or used */
	int threads;		/* for deflating large files */
	void (*on_bytes)(void *payload, uint64_t files, uint64_t bytes, uint64_t total);
	void *payload;
	uint64_t files_done, bytes_done, bytes_total;
	const void *attrs;	/* the attribute record, or NULL */
	size_t attrs_len;
};

void silo_tree_pack_result_release(struct silo_tree_pack_result *r)
{
	size_t i;

	for (i = 0; i < r->n_packs; i++)
		free(r->packs[i]);
	free(r->packs);
	r->packs = NULL;
	r->n_packs = 0;
}

static int push(struct tp *t, const silo_oid *id, int type, const void *data,
		size_t len, size_t leaf)
{
	struct tp_obj *o;

	if (ALLOC_GROW(t->v, t->n + 1, t->alloc) < 0)
		return silo__error_oom();
	o = &t->v[t->n];
	memset(o, 0, sizeof(*o));
	o->id = *id;
	o->type = type;
	o->leaf = leaf;
	o->len = len;
	if (data) {
		if (!(o->data = malloc(len ? len : 1)))
			return silo__error_oom();
		memcpy(o->data, data, len);
	}
	t->n++;
	return 0;
}

static int on_tree(void *payload, const silo_oid *id, const void *data, size_t len,
		   const char *path, size_t plen)
{
	(void)path;
	(void)plen;
	return push(payload, id, SILO_OBJ_TREE, data, len, 0);
}

static int note_pack(struct tp *t, const char *relpack)
{
	const char *base = strrchr(relpack, '/');
	size_t n;

	base = base ? base + 1 : relpack;
	n = strlen(base) - strlen(".pack");
	if (strvec_findn(&t->packs, base, n) >= 0)
		return 0;
	return strvec_pushn(&t->packs, base, n) < 0 ? silo__error_oom() : 0;
}

static int by_id(const void *a, const void *b)
{
	return silo_oid_cmp(&((const struct tp_obj *)a)->id, &((const struct tp_obj *)b)->id);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_id_then_pos(const void *a, const void *b)
{
	const struct tp_obj *const *x = a, *const *y = b;
	int c = silo_oid_cmp(&(*x)->id, &(*y)->id);

	return c ? c : *x < *y ? -1 : *x > *y;
}

/* Drop the objects of V[0..*N) whose id came earlier, keeping the order
 * of the rest. */
static int dedup(struct tp_obj *v, size_t *n)
{
	struct tp_obj **sorted;
	size_t i, j;

	if (*n < 2)
		return 0;
	if (!(sorted = malloc(*n * sizeof(*sorted))))
		return silo__error_oom();
	for (i = 0; i < *n; i++)
		sorted[i] = &v[i];
	qsort(sorted, *n, sizeof(*sorted), by_id_then_pos);
	for (i = 1; i < *n; i++)
		if (silo_oid_equal(&sorted[i]->id, &sorted[i - 1]->id))
			sorted[i]->type = SILO_OBJ_NONE;
	free(sorted);
	for (i = j = 0; i < *n; i++) {
		if (v[i].type == SILO_OBJ_NONE) {
			free(v[i].data);
			continue;
		}
		v[j++] = v[i];
	}
	*n = j;
	return 0;
}

/* The content of leaf E of DIR (open as DIRFD): mapped (*map, *maplen)
 * or read (*buf). */
static int leaf_content(const char *dir, int dirfd, const struct silo_tree_entry *e,
			const unsigned char **data, void **map, char **buf)
{
	char *path = fs_join(dir, e->path);	/* for messages */
	struct stat st;
	int fd, ret = 0;

	*map = NULL;
	*buf = NULL;
	if (!path)
		return silo__error_oom();
	if (e->mode == SILO_MODE_SYMLINK) {
		ssize_t n;
		if (!(*buf = malloc(e->size + 1))) {
			ret = silo__error_oom();
			goto out;
		}
		n = readlinkat(dirfd, e->path, *buf, e->size + 1);
		if (n < 0)
			ret = silo__error_errno("cannot read the symlink '%s'", path);
		else if ((uint64_t)n != e->size)
			ret = silo__error_set(SILO_EIO, "'%s' changed while it was being added", path);
		*data = (const unsigned char *)*buf;
		goto out;
	}
	fd = openat(dirfd, e->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = silo__error_errno("cannot open '%s'", path);
		goto out;
	}
	if (fstat(fd, &st) < 0)
		ret = silo__error_errno("cannot stat '%s'", path);
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size)
		ret = silo__error_set(SILO_EIO, "'%s' changed while it was being added", path);
	else if (e->size) {
		*map = mmap(NULL, e->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*map == MAP_FAILED) {
			*map = NULL;
			ret = silo__error_errno("cannot map '%s'", path);
		}
	}
	close(fd);
	*data = *map ? *map : (const unsigned char *)"";
out:
	free(path);
	return ret;
}

static int write_one(struct tp *t, struct pack_out *out, struct tp_obj *o)
{
	const struct silo_tree_entry *e = NULL;
	const unsigned char *data = o->data;
	uint64_t len = o->len;
	unsigned char h[32];
	void *map = NULL;
	char *buf = NULL;
	silo_oid got;
	int ret;

	if (!data) {
		e = &t->l->v[o->leaf];
		len = e->size;
		if ((ret = leaf_content(t->dir, t->dirfd, e, &data, &map, &buf)) < 0)
			goto out;
		/* The file was hashed once when listed; what goes into the
		 * pack must be what the tree names. */
		if ((ret = silo_oid_hash_buffer(&got, o->id.format, SILO_OBJ_BLOB, data, len)) < 0)
			goto out;
		if (!silo_oid_equal(&got, &o->id)) {
			ret = silo__error_set(SILO_EIO, "'%s/%s' changed while it was being added",
					      t->dir, e->path);
			goto out;
		}
	}
	o->offset = out->off;
	out->crc = crc32(0L, Z_NULL, 0);
	if ((ret = pack_out_write(out, h, pack_entry_header(h, o->type, len))) < 0 ||
	    (ret = pack_out_deflate_object(out, data, len,
					       len > TREE_PACK_BIG ? SILO_DEFAULT_LEVEL : TREE_PACK_LEVEL,
					       t->threads)) < 0)
		goto out;
	o->crc = (uint32_t)out->crc;
	if (e && t->on_bytes) {
		t->bytes_done += len;
		t->on_bytes(t->payload, ++t->files_done, t->bytes_done, t->bytes_total);
	}
out:
	if (map)
		munmap(map, len);
	free(buf);
	return ret;
}

static void tp_row(void *payload, size_t i, struct pack_index_row *row)
{
	const struct tp_obj *o = &((const struct tp *)payload)->v[i];

	row->id = &o->id;
	row->offset = o->offset;
	row->crc = o->crc;
}

/* Collect what goes into the pack, in pack order. */
static int plan(struct tp *t, struct silo_tree_pack_result *res)
{
	struct tree_object_sink sink = { on_tree, t };
	size_t ntrees, nblobs, i, j;
	char *sizes = NULL;
	size_t sizes_len;
	int ret;

	if ((ret = tree_list_objects(&res->root, t->l, &sink)) < 0)
		return ret;
	/* Root first: the reverse of the order they were built in, each
	 * tree once (the same subtree may occur in several places). */
	for (i = 0, j = t->n; t->n && i < --j; i++) {
		struct tp_obj tmp = t->v[i];
		t->v[i] = t->v[j];
		t->v[j] = tmp;
	}
	if ((ret = dedup(t->v, &t->n)) < 0)
		return ret;
	res->trees = ntrees = t->n;
	/* The attribute record, in the tree section: before the size
	 * table, which ends what a reader over HTTP fetches first. */
	if (t->attrs) {
		silo_oid id;
		if ((ret = silo_oid_hash_buffer(&id, t->l->format, SILO_OBJ_BLOB, t->attrs,
						t->attrs_len)) < 0 ||
		    (ret = push(t, &id, SILO_OBJ_BLOB, t->attrs, t->attrs_len, 0)) < 0)
			return ret;
	}
	if ((ret = silo_tree_sizes_format(&sizes, &sizes_len, t->l)) < 0)
		return ret;
	ret = silo_oid_hash_buffer(&res->sizes, t->l->format, SILO_OBJ_BLOB, sizes, sizes_len);
	if (!ret)
		ret = push(t, &res->sizes, SILO_OBJ_BLOB, sizes, sizes_len, 0);
	free(sizes);
	res->sizes_len = sizes_len;
	if (ret < 0 || (ret = pack_set_load(t->s->packs, 1)) < 0)
		return ret;
	for (i = 0; i < t->l->n; i++) {
		const silo_oid *id = &t->l->v[i].id;
		struct pack *p;

		/* A blob a pack holds is not written again, but that pack is
		 * made young, as storing it would: a prune whose keep list
		 * was taken before this treeptr is committed must spare it. */
		if ((ret = pack_set_freshen(t->s->packs, id, &p)) < 0)
			return ret;
		if (ret) {
			if ((ret = note_pack(t, p->relpack)) < 0)
				return ret;
			t->files_done++;
			t->bytes_done += t->l->v[i].size;
			res->reused++;
			continue;
		}
		if ((ret = push(t, id, SILO_OBJ_BLOB, NULL, 0, i)) < 0)
			return ret;
	}
	nblobs = t->n - ntrees;
	if ((ret = dedup(t->v + ntrees, &nblobs)) < 0)
		return ret;
	t->n = ntrees + nblobs;
	res->blobs = nblobs - 1 - (t->attrs != NULL);
	t->bytes_total = t->bytes_done;
	for (i = ntrees; i < t->n; i++)
		if (!t->v[i].data)
			t->bytes_total += t->l->v[t->v[i].leaf].size;
	return 0;
}

/* Write the objects of T, in order, into one new pack of T->s and its
 * index; the pack's name goes to T's pack list. */
static int write_pack(struct tp *t, uint64_t *pack_bytes)
{
	silo *s = t->s;
	char hex[SILO_OID_MAX_HEXSZ + 1], rel[32 + SILO_OID_MAX_HEXSZ], *dest = NULL;
	unsigned char hdr[12];
	struct pack_out out;
	silo_oid sum;
	size_t i;
	int ret;

	memset(&out, 0, sizeof(out));
	out.fd = -1;
	if ((ret = fs_mkdir_p(s->pack_dir, 0777)) < 0 ||
	    (ret = pack_out_open(&out, s->pack_dir, SILO_TMP_PREFIX "pack_", s->format)) < 0)
		goto out;
	memcpy(hdr, "PACK\0\0\0\2", 8);
	put_be32(hdr + 8, (uint32_t)t->n);
	if ((ret = pack_out_write(&out, hdr, 12)) < 0)
		goto out;
	for (i = 0; i < t->n; i++)
		if ((ret = write_one(t, &out, &t->v[i])) < 0)
			goto out;
	if ((ret = pack_out_finish(&out, &sum)) < 0)
		goto out;
	if (pack_bytes)
		*pack_bytes = out.off;
	/* Kept open (locked) until linked: see pack_index_write(). */
	snprintf(rel, sizeof(rel), "pack/pack-%s.pack", silo_oid_to_hex(hex, &sum));
	if (!(dest = fs_join(s->root, rel))) {
		ret = silo__error_oom();
		goto out;
	}
	/* The .pack first: a reader ignores a pack until its index exists. */
	if ((ret = fs_link_into_place(out.path, dest, NULL)) < 0 ||
	    (ret = note_pack(t, rel)) < 0)
		goto out;
	strcpy(dest + strlen(dest) - 4, "idx");
	qsort(t->v, t->n, sizeof(*t->v), by_id);
	if ((ret = pack_index_write(s->pack_dir, s->format, t->n, tp_row, t, &sum, dest)) < 0 ||
	    (ret = fs_fsync_path(s->pack_dir)) < 0 ||
	    (ret = silo__pack_list_write(s)) < 0 ||
	    (ret = pack_set_load(s->packs, 1)) < 0)
		goto out;
out:
	free(dest);
	pack_out_discard(&out);
	return ret;
}

static void tp_release(struct tp *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].data);
	free(t->v);
	strvec_clear(&t->packs);
	if (t->dirfd >= 0)
		close(t->dirfd);
}

int pack_write_objects(silo *s, struct tp_obj *v, size_t n)
{
	struct tp t = { v, n, n, s, NULL, -1, NULL, STRVEC_INIT, 1, NULL, NULL, 0, 0, 0, NULL, 0 };
	int ret = write_pack(&t, NULL);

	strvec_clear(&t.packs);
	return ret;
}

int silo_tree_pack_write(struct silo_tree_pack_result *res, silo *s, const char *dir,
			 const struct silo_tree_list *l,
			 void (*on_bytes)(void *payload, uint64_t files, uint64_t bytes,
					  uint64_t total),
			 void *payload)
{
	return silo_tree_pack_write_attrs(res, s, dir, l, NULL, 0, on_bytes, payload);
}

int silo_tree_pack_write_attrs(struct silo_tree_pack_result *res, silo *s, const char *dir,
			       const struct silo_tree_list *l, const void *attrs, size_t attrs_len,
			       void (*on_bytes)(void *payload, uint64_t files, uint64_t bytes,
						uint64_t total),
			       void *payload)
{
	struct tp t = { NULL, 0, 0, s, dir, -1, l, STRVEC_INIT, 1, on_bytes, payload, 0, 0, 0,
			attrs, attrs_len };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t before;
	int ret;

	t.threads = cpus > 1 ? (int)cpus : 1;
	memset(res, 0, sizeof(*res));
	if ((t.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return silo__error_errno("cannot open '%s'", dir);
	if ((ret = fs_mkdir_p(s->pack_dir, 0777)) < 0 || (ret = plan(&t, res)) < 0)
		goto out;
	before = t.packs.n;
	if ((ret = write_pack(&t, &res->pack_bytes)) < 0)
		goto out;
	/* The new pack, which holds the tree section, first: a reader over
	 * HTTP fetches the indexes in this order, and the tree's own is the
	 * one a listing needs.  The packs of shared blobs follow, sorted. */
	if (t.packs.n > before) {
		char *own = t.packs.v[before];
		memmove(t.packs.v + 1, t.packs.v, before * sizeof(*t.packs.v));
		t.packs.v[0] = own;
		qsort(t.packs.v + 1, t.packs.n - 1, sizeof(*t.packs.v), by_str);
	} else if (t.packs.n) {
		qsort(t.packs.v, t.packs.n, sizeof(*t.packs.v), by_str);
	}
	res->n_packs = t.packs.n;
	res->packs = strvec_detach(&t.packs);
out:
	tp_release(&t);
	return ret;
}
