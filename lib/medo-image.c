/*
 * Container images as values: a docker-archive or OCI archive (what
 * docker save and podman save write) stored with each layer as a tree of
 * the tree kind, and written again byte for byte (treeptr(5), kind
 * "image"; the records: silo-image-record(5)).
 *
 * Adding reads the archive (mapped) with tar-header.c: its small files
 * (manifests, configs, index.json, oci-layout) become blobs; each layer
 * that is an uncompressed tar is extracted (extract.c, with all its
 * refusals), stored with silo_tree_pack_write() and described by a tar
 * record: the bytes of its tar that are not file content (headers, pax
 * and long-name data, padding, end blocks) and, for each file, which leaf
 * of the tree holds its content.  A compressed layer is kept as one
 * blob.  The archive's own record says the same of the outer tar, its
 * layers named by number.  Before the treeptr is written the archive is
 * written again from the silo into a hash: it must be the archive added,
 * byte for byte.
 */
#include "silo/medo.h"
#include "silo/store.h"
#include "silo/tree.h"
#include "silo/tree-pack.h"
#include "silo/treeptr.h"
#include "error-internal.h"
#include "cleanup-internal.h"
#include "fsutil.h"
#include "alloc.h"
#include "medo-internal.h"
#include "strbuf.h"
#include "tar-header.h"
#include "tree-internal.h"
#include "tree-pack-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define RECORD_MAGIC "silo-tar-record 1 "
#define IMAGE_MAGIC "silo-image-record"
/* Bounds on what a record may ask of a reader. */
#define RECORD_MAX_OPS (256u * 1024 * 1024)
#define IMAGE_RECORD_MAX (64u * 1024 * 1024)
#define IMAGE_MAX_LAYERS 4096
/* The longest gzip header kept (with a file name or comment). */
#define GZ_HEAD_MAX 256

enum op {
	OP_END = 0,
	OP_LIT = 1,	/* n, then n bytes */
	OP_ZERO = 2,	/* n zero bytes */
	OP_HDR = 3,	/* a 512-byte header, checksum field as 8 spaces */
	OP_LEAF = 4,	/* zigzag(index - previous - 1), size: a leaf's blob */
	OP_BLOB = 5,	/* raw id, size: a blob */
	OP_LAYER = 6	/* k: layer k, written from its own record */
};

struct image_layer {
	uint64_t size;
	char sha256[65];
	int has_tree;		/* 0: the layer has no record (never written) */
	silo_oid tree, sizes, record;
	uint64_t sizes_len, record_len;
	const unsigned char *bytes;	/* while adding: its tar */
	unsigned char *owned;		/* BYTES, when uncompressed here */
	/* A layer compressed with zlib's deflate at GZ_LEVEL (1-9; 0: not
	 * compressed): its gzip header, kept as it is. */
	int gz_level;
	unsigned char gz_head[GZ_HEAD_MAX];
	size_t gz_head_len;
};

static void layers_release(struct image_layer *v, size_t n)
{
	for (size_t i = 0; i < n && v; i++)
		free(v[i].owned);
	free(v);
}

/* ---- hashing ---- */

static int sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return silo__error_set(SILO_ERROR, "sha256 failed");
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int ctx_hex(char out[65], EVP_MD_CTX *c)
{
	unsigned char md[32];
	unsigned n = 0;

	if (!EVP_DigestFinal_ex(c, md, &n) || n != 32)
		return silo__error_set(SILO_ERROR, "sha256 failed");
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* ---- tar records: writing ---- */

static int put_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = v & 0x7f;
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	return strbuf_add(sb, b, n);
}

static int put_op(struct strbuf *sb, enum op op, uint64_t n)
{
	int ret = strbuf_addch(sb, (char)op);
	return ret < 0 ? ret : put_varint(sb, n);
}

/* BYTES as runs of zeros (ZERO) and of anything else (LIT). */
static int put_bytes(struct strbuf *sb, const unsigned char *d, uint64_t n)
{
	uint64_t i = 0;
	int ret = 0;

	while (i < n && !ret) {
		uint64_t j = i;
		if (!d[i]) {
			while (j < n && !d[j])
				j++;
			ret = put_op(sb, OP_ZERO, j - i);
		} else {
			/* Up to a run of 32 zeros, or the end. */
			while (j < n) {
				uint64_t z = j;
				while (z < n && !d[z] && z - j < 32)
					z++;
				if (z > j && (z - j >= 32 || z == n))
					break;
				j = z > j ? z : j + 1;
			}
			if ((ret = put_op(sb, OP_LIT, j - i)) == 0)
				ret = strbuf_add(sb, d + i, (size_t)(j - i));
		}
		i = j;
	}
	return ret;
}

static void chksum_field(char out[8], unsigned sum)
{
	char f[9];

	snprintf(f, sizeof(f), "%06o", sum & 0777777);
	memcpy(out, f, 6);
	out[6] = '\0';
	out[7] = ' ';
}

/* A header block: HDR when its checksum field is the usual "%06o\0 " of
 * its sum (the reader writes it back), else its bytes. */
static int put_header(struct strbuf *sb, const unsigned char *b)
{
	char f[8];
	unsigned char copy[TAR_BLOCK];
	int ret;

	chksum_field(f, tar_header_sum(b));
	if (memcmp(b + 148, f, 8))
		return put_bytes(sb, b, TAR_BLOCK);
	memcpy(copy, b, TAR_BLOCK);
	memset(copy + 148, ' ', 8);
	if ((ret = strbuf_addch(sb, OP_HDR)) < 0)
		return ret;
	return strbuf_add(sb, copy, TAR_BLOCK);
}

/* The headers of member M, extended ones included, as ops. */
static int put_headers(struct strbuf *sb, const unsigned char *d, const struct tar_member *m)
{
	uint64_t at = m->start;
	int ret;

	while (at < m->header) {
		uint64_t size = 0, padded;
		const unsigned char *b = d + at;
		/* Read before, by tar_reader_next(): an extended header and
		 * its data, within the member. */
		for (int i = 124; i < 136 && b[i] >= '0' && b[i] <= '7'; i++)
			size = size << 3 | (uint64_t)(b[i] - '0');
		padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
		if (padded > m->header - at - TAR_BLOCK)
			return silo__error_set(SILO_ERROR, "BUG: extended header beyond its entry");
		if ((ret = put_header(sb, b)) < 0 ||
		    (ret = put_bytes(sb, b + TAR_BLOCK, padded)) < 0)
			return ret;
		at += TAR_BLOCK + padded;
	}
	return put_header(sb, d + m->header);
}

/* The record's bytes: its magic line, then the ops deflated. */
static int record_finish(char **out, size_t *len, const struct strbuf *ops)
{
	uLongf clen = compressBound(ops->len);
	char head[64];
	int hl = snprintf(head, sizeof(head), RECORD_MAGIC "%zu\n", ops->len);
	char *buf = malloc((size_t)hl + clen);

	if (!buf)
		return silo__error_oom();
	memcpy(buf, head, (size_t)hl);
	if (compress2((Bytef *)buf + hl, &clen, (const Bytef *)ops->buf, ops->len, 9) != Z_OK) {
		free(buf);
		return silo__error_set(SILO_ERROR, "cannot compress a tar record");
	}
	*out = buf;
	*len = (size_t)hl + clen;
	return 0;
}

/* ---- adding ---- */

struct image_add {
	silo *s;
	silo_writer *w;
	const char *name;	/* the archive, for messages */
	const unsigned char *d;
	uint64_t len;
	struct image_layer *layers;
	size_t n_layers, alloc_layers;
	uint64_t opaque_layers;
	uint64_t record_bytes;	/* the tar records' sizes, for --verbose */
	silo_oid *blobs;	/* every blob a record names */
	size_t n_blobs, alloc_blobs;
	long *layer_of;		/* each member's layer, or -1 */
	size_t *rootfs;		/* the first image's layers, in order */
	size_t n_rootfs;
	int has_rootfs;
};

/* Store D (N bytes) as a blob the image keeps. */
static int put_blob(struct image_add *a, silo_oid *id, const void *d, size_t n)
{
	int ret = silo_writer_put_buffer(id, a->w, d, n);

	if (ret < 0)
		return ret;
	if (ALLOC_GROW(a->blobs, a->n_blobs + 1, a->alloc_blobs) < 0)
		return silo__error_oom();
	a->blobs[a->n_blobs++] = *id;
	return 0;
}

struct mem_src {
	const unsigned char *d;
	uint64_t n;
	int done;
};

static int mem_read(void *payload, const void **data, size_t *len)
{
	struct mem_src *m = payload;

	if (m->done || !m->n)
		return 0;
	m->done = 1;
	*data = m->d;
	*len = (size_t)m->n;
	return 1;
}

struct leaf_index {
	const struct silo_tree_list *l;
	size_t *by_path;	/* indexes of l->v, by strcmp of paths */
};

static const struct silo_tree_list *cmp_list;
static int by_path(const void *a, const void *b)
{
	return strcmp(cmp_list->v[*(const size_t *)a].path, cmp_list->v[*(const size_t *)b].path);
}

/* The leaf at PATH (a tar name: "./" and a final "/" ignored), or -1. */
static long leaf_find(const struct leaf_index *x, const char *path)
{
	size_t lo = 0, hi = x->l->n, plen;
	char *p;
	long found = -1;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	plen = strlen(path);
	if (!(p = strdup(path)))
		return -1;
	while (plen && p[plen - 1] == '/')
		p[--plen] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->l->v[x->by_path[mid]].path, p);
		if (!c) {
			found = (long)x->by_path[mid];
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	free(p);
	return found;
}

/* The tree of the layer extracted at DIR (L its leaves): into a pack of
 * A's silo, unless the silo holds its root and size table already. */
static int layer_tree(struct image_add *a, struct image_layer *ly, const char *dir,
		      const struct silo_tree_list *l)
{
	struct silo_tree_pack_result r;
	char *table = NULL;
	size_t table_len = 0;
	int ret;

	if ((ret = silo_tree_list_id(&ly->tree, l)) < 0 ||
	    (ret = silo_tree_sizes_format(&table, &table_len, l)) < 0 ||
	    (ret = silo_oid_hash_buffer(&ly->sizes, silo_object_format(a->s), SILO_OBJ_BLOB,
					table, table_len)) < 0)
		goto out;
	ly->sizes_len = table_len;
	if (silo_has_object(a->s, &ly->tree) == 1 && silo_has_object(a->s, &ly->sizes) == 1)
		goto out;	/* stored before: every blob is there too */
	silo_error_clear();
	memset(&r, 0, sizeof(r));
	ret = silo_tree_pack_write(&r, a->s, dir, l, NULL, NULL);
	if (!ret && (!silo_oid_equal(&r.root, &ly->tree) || !silo_oid_equal(&r.sizes, &ly->sizes)))
		ret = silo__error_set(SILO_EIO, "'%s': a layer's tree changed while it was added",
				      a->name);
	silo_tree_pack_result_release(&r);
out:
	free(table);
	return ret;
}

/* The record of the layer tar D (N bytes) whose tree is L. */
static int layer_record(struct image_add *a, struct image_layer *ly, const unsigned char *d,
			uint64_t n, const struct silo_tree_list *l, const char *member)
{
	struct strbuf ops = STRBUF_INIT;
	struct tar_reader r;
	struct tar_member m = TAR_MEMBER_INIT;
	struct leaf_index x = { l, NULL };
	char *rec = NULL;
	size_t rec_len = 0;
	long last = -1;
	int ret;

	if (!(x.by_path = malloc((l->n ? l->n : 1) * sizeof(*x.by_path))))
		return silo__error_oom();
	for (size_t i = 0; i < l->n; i++)
		x.by_path[i] = i;
	cmp_list = l;
	qsort(x.by_path, l->n, sizeof(*x.by_path), by_path);

	tar_reader_init(&r, d, n, member);
	while ((ret = tar_reader_next(&r, &m)) > 0) {
		const unsigned char *c = d + m.data;
		long i = -1;
		silo_oid id;

		if ((ret = put_headers(&ops, d, &m)) < 0)
			break;
		if (m.size && (m.type == '0' || m.type == '7')) {
			if ((ret = silo_oid_hash_buffer(&id, silo_object_format(a->s),
							SILO_OBJ_BLOB, c, (size_t)m.size)) < 0)
				break;
			i = leaf_find(&x, m.path);
			if (i >= 0 && (l->v[i].mode == SILO_MODE_SYMLINK ||
				       !silo_oid_equal(&l->v[i].id, &id)))
				i = -1;		/* replaced later in the tar */
			if (i >= 0) {
				int64_t delta = (int64_t)i - last - 1;
				if ((ret = strbuf_addch(&ops, OP_LEAF)) < 0 ||
				    (ret = put_varint(&ops, delta >= 0 ? (uint64_t)delta * 2 :
							    (uint64_t)(-delta) * 2 - 1)) < 0 ||
				    (ret = put_varint(&ops, m.size)) < 0)
					break;
				last = i;
			} else {
				silo_oid stored;
				if ((ret = put_blob(a, &stored, c, (size_t)m.size)) < 0 ||
				    (ret = strbuf_addch(&ops, OP_BLOB)) < 0 ||
				    (ret = strbuf_add(&ops, stored.hash,
						      silo_oid_rawsz(stored.format))) < 0 ||
				    (ret = put_varint(&ops, m.size)) < 0)
					break;
			}
		} else if ((ret = put_bytes(&ops, c, m.size)) < 0) {
			break;
		}
		if ((ret = put_bytes(&ops, c + m.size, m.end - m.data - m.size)) < 0)
			break;
	}
	tar_member_release(&m);
	if (!ret)
		ret = put_bytes(&ops, d + r.at, n - r.at);
	if (!ret)
		ret = strbuf_addch(&ops, OP_END);
	if (!ret && (ret = record_finish(&rec, &rec_len, &ops)) == 0 &&
	    (ret = silo_writer_put_buffer(&ly->record, a->w, rec, rec_len)) == 0) {
		ly->record_len = rec_len;
		a->record_bytes += rec_len;
	}
	free(rec);
	free(x.by_path);
	strbuf_release(&ops);
	return ret;
}

/* A layer: the tar D of N bytes, member MEMBER of the archive. */
static int add_layer(struct image_add *a, struct image_layer *ly, const unsigned char *d,
		     uint64_t n, const char *member)
{
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct tar_reader r;
	struct tar_member m = TAR_MEMBER_INIT;
	struct mem_src src = { d, n, 0 };
	const char *tmp = getenv("TMPDIR");
	char *scratch = NULL, *root = NULL, *what = NULL;
	silo_oid got;
	int ret;

	if (asprintf(&what, "%s: %s", a->name, member) < 0)
		return silo__error_oom();
	/* The strict reading first: a layer the records cannot describe
	 * stores nothing. */
	tar_reader_init(&r, d, n, what);
	while ((ret = tar_reader_next(&r, &m)) > 0)
		;
	tar_member_release(&m);
	if (ret < 0) {
		free(what);
		return ret;
	}
	if (asprintf(&scratch, "%s/medo-image-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
		free(what);
		return silo__error_oom();
	}
	if ((ret = cleanup_mkdtemp(scratch)) < 0) {
		silo__error_wrap("cannot make a scratch directory for '%s'", a->name);
		free(scratch);
		free(what);
		return ret;
	}
	if (!(root = fs_join(scratch, "layer"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = silo_tree_extract(&got, root, mem_read, &src, what,
				     silo_object_format(a->s))) < 0 ||
	    (ret = silo_tree_list_dir(&l, silo_object_format(a->s), root)) < 0 ||
	    (ret = layer_tree(a, ly, root, &l)) < 0)
		goto out;
	if (!silo_oid_equal(&got, &ly->tree)) {
		ret = silo__error_set(SILO_EIO, "'%s': the layer's tree changed while it was added",
				      what);
		goto out;
	}
	if ((ret = layer_record(a, ly, d, n, &l, what)) < 0)
		goto out;
	ly->has_tree = 1;
out:
	silo_tree_list_release(&l);
	if (silo_tree_remove(scratch) < 0 && !ret)
		ret = silo_error_last();
	cleanup_release(scratch);
	free(scratch);
	free(root);
	free(what);
	return ret;
}

/* ---- the archive's own checks ---- */

struct names {
	struct tar_member *v;	/* the outer tar's members */
	size_t n, alloc;
};

static const struct tar_member *member_named(const struct names *nm, const char *name)
{
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	for (size_t i = 0; i < nm->n; i++) {
		const char *p = nm->v[i].path;
		if (!p)
			continue;
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		if (!strcmp(p, name))
			return &nm->v[i];
	}
	return NULL;
}

/* The regular member NAME, following one symlink within the archive's
 * top directories (docker save links a layer seen twice). */
static const struct tar_member *file_named(const struct names *nm, const char *name)
{
	const struct tar_member *m = member_named(nm, name);
	char buf[1024];

	if (m && m->type == '2' && m->link) {
		const char *slash = strrchr(name, '/'), *t = m->link;
		size_t dl = slash ? (size_t)(slash - name) : 0;
		if (!strncmp(t, "../", 3) && dl) {
			t += 3;
			dl = 0;
		}
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)dl, name, dl ? "/" : "", t) >=
		    (int)sizeof(buf))
			return NULL;
		m = member_named(nm, buf);
	}
	return m && (m->type == '0' || m->type == '7') ? m : NULL;
}

static int json_member(json_t **out, const struct image_add *a, const struct names *nm,
		       const char *name, const char *why)
{
	const struct tar_member *m = file_named(nm, name);
	json_error_t jerr;

	if (!m)
		return silo__error_set(SILO_EINVALID, "'%s': %s names '%s', which it does not hold",
				       a->name, why, name);
	*out = json_loadb((const char *)a->d + m->data, (size_t)m->size, 0, &jerr);
	if (!*out)
		return silo__error_set(SILO_EINVALID, "'%s': '%s' is not valid JSON: line %d: %s",
				       a->name, name, jerr.line, jerr.text);
	return 0;
}

static int check_member_digest(const struct image_add *a, const struct tar_member *m,
			       const char *hex, const char *why)
{
	char got[65];
	int ret;

	if ((ret = sha256_hex(got, a->d + m->data, (size_t)m->size)) < 0)
		return ret;
	if (strcmp(got, hex))
		return silo__error_set(SILO_ECORRUPT,
			"'%s': '%s' has sha256 %s, not the %s %s says (wrong digest)",
			a->name, m->path, got, hex, why);
	return 0;
}

/* "sha256:<64 hex>": its hex, else NULL. */
static const char *digest_hex(json_t *v)
{
	const char *s = json_string_value(v);

	if (!s || strncmp(s, "sha256:", 7) || strlen(s) != 71)
		return NULL;
	for (int i = 7; i < 71; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return NULL;
	return s + 7;
}

/* docker-archive: manifest.json, each config's diff_ids against its
 * layers, a config named by its digest against its content. */
static int check_docker(const struct image_add *a, const struct names *nm)
{
	json_t *man = NULL, *cfg = NULL;
	size_t i;
	int ret;

	if ((ret = json_member(&man, a, nm, "manifest.json", "the archive")) < 0)
		return ret;
	if (!json_is_array(man) || !json_array_size(man)) {
		ret = silo__error_set(SILO_EINVALID, "'%s': manifest.json is not a list of images",
				      a->name);
		goto out;
	}
	for (i = 0; i < json_array_size(man) && !ret; i++) {
		json_t *img = json_array_get(man, i), *layers, *ids;
		const char *config = json_string_value(json_object_get(img, "Config"));
		const struct tar_member *cm;
		size_t cl;

		layers = json_object_get(img, "Layers");
		if (!config || !json_is_array(layers)) {
			ret = silo__error_set(SILO_EINVALID,
				"'%s': manifest.json: image %zu without Config or Layers", a->name, i);
			break;
		}
		json_decref(cfg);
		cfg = NULL;
		if ((ret = json_member(&cfg, a, nm, config, "manifest.json")) < 0)
			break;
		cm = file_named(nm, config);
		cl = strlen(config);
		if (cl == 69 && !strcmp(config + 64, ".json")) {
			char hex[65];
			memcpy(hex, config, 64);
			hex[64] = '\0';
			if ((ret = check_member_digest(a, cm, hex, "its name")) < 0)
				break;
		}
		ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
		if (!json_is_array(ids) || json_array_size(ids) != json_array_size(layers)) {
			ret = silo__error_set(SILO_EINVALID,
				"'%s': '%s': rootfs.diff_ids does not list one digest per layer",
				a->name, config);
			break;
		}
		for (size_t k = 0; k < json_array_size(layers) && !ret; k++) {
			const char *ln = json_string_value(json_array_get(layers, k));
			const char *hex = digest_hex(json_array_get(ids, k));
			const struct tar_member *lm = ln ? file_named(nm, ln) : NULL;
			if (!hex)
				ret = silo__error_set(SILO_EINVALID,
					"'%s': '%s': diff_ids[%zu] is not a sha256 digest",
					a->name, config, k);
			else if (!lm)
				ret = silo__error_set(SILO_EINVALID,
					"'%s': manifest.json names layer '%s', which it does not hold",
					a->name, ln ? ln : "(not a string)");
			else
				ret = check_member_digest(a, lm, hex, config);
		}
	}
out:
	json_decref(cfg);
	json_decref(man);
	return ret;
}

/* OCI: every blob against its name, and every descriptor of index.json
 * and of the manifests it names present. */
static int check_oci(const struct image_add *a, const struct names *nm)
{
	json_t *index = NULL, *man = NULL, *list;
	int ret;

	for (size_t i = 0; i < nm->n; i++) {
		const struct tar_member *m = &nm->v[i];
		const char *p = m->path;
		if (!p || (m->type != '0' && m->type != '7'))
			continue;
		while (p[0] == '.' && p[1] == '/')
			p += 2;
		if (!strncmp(p, "blobs/sha256/", 13) &&
		    (ret = check_member_digest(a, m, p + 13, "its name")) < 0)
			return ret;
	}
	if ((ret = json_member(&index, a, nm, "index.json", "the archive")) < 0)
		return ret;
	list = json_object_get(index, "manifests");
	if (!json_is_array(list)) {
		ret = silo__error_set(SILO_EINVALID, "'%s': index.json has no manifests", a->name);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(list) && !ret; i++) {
		const char *hex = digest_hex(json_object_get(json_array_get(list, i), "digest"));
		char name[128];
		json_t *layers;
		if (!hex) {
			ret = silo__error_set(SILO_EINVALID,
				"'%s': index.json: manifests[%zu] without a sha256 digest", a->name, i);
			break;
		}
		snprintf(name, sizeof(name), "blobs/sha256/%s", hex);
		json_decref(man);
		man = NULL;
		if ((ret = json_member(&man, a, nm, name, "index.json")) < 0)
			break;
		layers = json_object_get(man, "layers");
		for (size_t k = 0; k <= json_array_size(layers) && !ret; k++) {
			json_t *desc = k < json_array_size(layers) ? json_array_get(layers, k) :
				       json_object_get(man, "config");
			const char *h = digest_hex(json_object_get(desc, "digest"));
			char bn[128];
			if (!desc)
				continue;
			if (!h) {
				ret = silo__error_set(SILO_EINVALID,
					"'%s': manifest %s: a descriptor without a sha256 digest",
					a->name, hex);
				break;
			}
			snprintf(bn, sizeof(bn), "blobs/sha256/%s", h);
			if (!file_named(nm, bn))
				ret = silo__error_set(SILO_EINVALID,
					"'%s': manifest %s names blob %s, which it does not hold",
					a->name, hex, h);
		}
	}
out:
	json_decref(man);
	json_decref(index);
	return ret;
}

/* ---- the image record ---- */

static json_t *oid_json(const silo_oid *id)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	return json_string(silo_oid_to_hex(hex, id));
}

static int image_record(char **out, size_t *len, const struct image_add *a, const char *sha,
			const char *format, const silo_oid *outer, uint64_t outer_len)
{
	json_t *doc = json_object(), *layers = json_array();
	int bad = !doc || !layers;

	for (size_t i = 0; i < a->n_layers && !bad; i++) {
		const struct image_layer *ly = &a->layers[i];
		json_t *o = json_object();
		bad = !o || json_array_append_new(layers, o) ||
		      json_object_set_new(o, "size", json_integer((json_int_t)ly->size)) ||
		      json_object_set_new(o, "sha256", json_string(ly->sha256)) ||
		      json_object_set_new(o, "tree", oid_json(&ly->tree)) ||
		      json_object_set_new(o, "sizes", oid_json(&ly->sizes)) ||
		      json_object_set_new(o, "sizes-size", json_integer((json_int_t)ly->sizes_len)) ||
		      json_object_set_new(o, "record", oid_json(&ly->record)) ||
		      json_object_set_new(o, "record-size",
					  json_integer((json_int_t)ly->record_len));
		if (!bad && ly->gz_level) {
			char head[2 * GZ_HEAD_MAX + 1];
			for (size_t j = 0; j < ly->gz_head_len; j++)
				snprintf(head + 2 * j, 3, "%02x", ly->gz_head[j]);
			head[2 * ly->gz_head_len] = '\0';
			bad = json_object_set_new(o, "gzip-level", json_integer(ly->gz_level)) ||
			      json_object_set_new(o, "gzip-header", json_string(head));
		}
	}
	if (!bad)
		bad = json_object_set_new(doc, IMAGE_MAGIC, json_integer(1)) ||
		      json_object_set_new(doc, "format", json_string(format)) ||
		      json_object_set_new(doc, "size", json_integer((json_int_t)a->len)) ||
		      json_object_set_new(doc, "sha256", json_string(sha)) ||
		      json_object_set_new(doc, "record", oid_json(outer)) ||
		      json_object_set_new(doc, "record-size", json_integer((json_int_t)outer_len)) ||
		      json_object_set(doc, "layers", layers);
	if (!bad && a->has_rootfs) {
		json_t *rf = json_array();
		bad = !rf || json_object_set_new(doc, "rootfs", rf);
		for (size_t i = 0; i < a->n_rootfs && !bad; i++)
			bad = json_array_append_new(rf, json_integer((json_int_t)a->rootfs[i]));
	}
	json_decref(layers);
	if (!bad) {
		char *text = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(1));
		if (text) {
			*len = strlen(text);
			/* One final newline, as every JSON file of medo. */
			*out = realloc(text, *len + 2);
			if (*out) {
				(*out)[(*len)++] = '\n';
				(*out)[*len] = '\0';
			} else {
				free(text);
			}
		}
		bad = !text || !*out;
	}
	json_decref(doc);
	return bad ? silo__error_oom() : 0;
}


/* ---- the tree of everything an image keeps ---- */

/*
 * So that reachability (closure.c) keeps an image whole by walking one
 * tree, and git can read it, the image's objects are named by a git tree
 * (treeptr(5)):
 *
 *	blobs/<hex>		every blob a tar record names
 *	image			the image record
 *	layers/NNNN/record	a layer's tar record
 *	layers/NNNN/rootfs	its tree (absent when it has no leaf)
 *	layers/NNNN/sizes	its size table
 *	record			the archive's own tar record
 *
 * Names are chosen so that their order is git's.
 */
struct keep {
	struct tp_obj *v;
	size_t n, alloc;
};

static int keep_add(struct keep *k, int format, const struct strbuf *data, silo_oid *id)
{
	struct tp_obj *o;
	int ret;

	if ((ret = silo_oid_hash_buffer(id, format, SILO_OBJ_TREE, data->buf, data->len)) < 0)
		return ret;
	for (size_t i = 0; i < k->n; i++)
		if (silo_oid_equal(&k->v[i].id, id))
			return 0;
	if (ALLOC_GROW(k->v, k->n + 1, k->alloc) < 0)
		return silo__error_oom();
	o = &k->v[k->n];
	memset(o, 0, sizeof(*o));
	if (!(o->data = malloc(data->len ? data->len : 1)))
		return silo__error_oom();
	memcpy(o->data, data->buf, data->len);
	o->len = data->len;
	o->id = *id;
	o->type = SILO_OBJ_TREE;
	k->n++;
	return 0;
}

static int tree_entry(struct strbuf *t, int is_tree, const char *name, const silo_oid *id)
{
	int ret = strbuf_addf(t, "%s %s", is_tree ? "40000" : "100644", name);

	if (!ret)
		ret = strbuf_addch(t, '\0');
	return ret < 0 ? ret : strbuf_add(t, id->hash, silo_oid_rawsz(id->format));
}

static int by_oid(const void *a, const void *b)
{
	return memcmp(((const silo_oid *)a)->hash, ((const silo_oid *)b)->hash,
		      SILO_OID_MAX_RAWSZ);
}

static int keep_tree(silo_oid *root, struct image_add *a, const silo_oid *image,
		     const silo_oid *outer)
{
	int format = silo_object_format(a->s);
	struct keep k = { NULL, 0, 0 };
	struct strbuf t = STRBUF_INIT, layers = STRBUF_INIT;
	silo_oid blobs_id, layers_id, sub, empty;
	char hex[SILO_OID_MAX_HEXSZ + 1], name[24];
	int ret;

	if ((ret = silo_oid_hash_buffer(&empty, format, SILO_OBJ_TREE, "", 0)) < 0)
		return ret;
	qsort(a->blobs, a->n_blobs, sizeof(*a->blobs), by_oid);
	for (size_t i = 0; i < a->n_blobs && !ret; i++)
		if (!i || !silo_oid_equal(&a->blobs[i], &a->blobs[i - 1]))
			ret = tree_entry(&t, 0, silo_oid_to_hex(hex, &a->blobs[i]), &a->blobs[i]);
	if (!ret && t.len)
		ret = keep_add(&k, format, &t, &blobs_id);
	for (size_t i = 0; i < a->n_layers && !ret; i++) {
		const struct image_layer *ly = &a->layers[i];
		strbuf_reset(&t);
		snprintf(name, sizeof(name), "%04zu", i);
		if ((ret = tree_entry(&t, 0, "record", &ly->record)) < 0 ||
		    (!silo_oid_equal(&ly->tree, &empty) &&
		     (ret = tree_entry(&t, 1, "rootfs", &ly->tree)) < 0) ||
		    (ret = tree_entry(&t, 0, "sizes", &ly->sizes)) < 0 ||
		    (ret = keep_add(&k, format, &t, &sub)) < 0)
			break;
		ret = tree_entry(&layers, 1, name, &sub);
	}
	if (!ret && layers.len)
		ret = keep_add(&k, format, &layers, &layers_id);
	strbuf_reset(&t);
	if (!ret && a->n_blobs)
		ret = tree_entry(&t, 1, "blobs", &blobs_id);
	if (!ret)
		ret = tree_entry(&t, 0, "image", image);
	if (!ret && layers.len)
		ret = tree_entry(&t, 1, "layers", &layers_id);
	if (!ret && (ret = tree_entry(&t, 0, "record", outer)) == 0)
		ret = keep_add(&k, format, &t, root);
	if (!ret && silo_has_object(a->s, root) != 1) {
		silo_error_clear();
		ret = pack_write_objects(a->s, k.v, k.n);
	}
	for (size_t i = 0; i < k.n; i++)
		free(k.v[i].data);
	free(k.v);
	strbuf_release(&t);
	strbuf_release(&layers);
	return ret;
}

/* ---- reading a record back ---- */

struct image_info {
	int format;
	uint64_t size;
	char sha256[65];
	silo_oid record;
	uint64_t record_len;
	struct image_layer *layers;
	size_t n_layers;
	size_t *rootfs;		/* the first image's layers, bottom first */
	size_t n_rootfs;
	int has_rootfs;
};

static int read_object(unsigned char **out, size_t *len, silo *s, const silo_oid *id,
		       uint64_t size, uint64_t max, const char *what)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_stream *st = NULL;
	const void *d;
	size_t n, got = 0;
	unsigned char *buf;
	int ret;

	if (size > max)
		return silo__error_set(SILO_ECORRUPT, "%s %s: %llu bytes is too large", what,
				       silo_oid_to_hex(hex, id), (unsigned long long)size);
	if ((ret = silo_stream_open_sized(&st, s, id, size)) < 0)
		return silo__error_wrap("%s %s", what, silo_oid_to_hex(hex, id));
	if (silo_stream_size(st) != size) {
		uint64_t has = silo_stream_size(st);
		silo_stream_free(st);
		return silo__error_set(SILO_ECORRUPT, "%s %s has %llu bytes, not %llu", what,
				       silo_oid_to_hex(hex, id), (unsigned long long)has,
				       (unsigned long long)size);
	}
	if (!(buf = malloc(size ? (size_t)size : 1))) {
		silo_stream_free(st);
		return silo__error_oom();
	}
	while ((ret = silo_stream_read(st, &d, &n)) > 0) {
		if (n > size - got) {
			ret = silo__error_set(SILO_ECORRUPT, "%s %s is longer than it says", what,
					      silo_oid_to_hex(hex, id));
			break;
		}
		memcpy(buf + got, d, n);
		got += n;
	}
	silo_stream_free(st);
	if (ret < 0) {
		free(buf);
		return ret;
	}
	*out = buf;
	*len = got;
	return 0;
}

static int json_oid(silo_oid *out, json_t *o, const char *key, int format, const char *what)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || silo_oid_from_hex(out, format, s) < 0)
		return silo__error_set(SILO_ECORRUPT, "%s: field '%s': expected an object id",
				       what, key);
	return 0;
}

static int json_size(uint64_t *out, json_t *o, const char *key, const char *what)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return silo__error_set(SILO_ECORRUPT, "%s: field '%s': expected a size", what, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int json_sha(char out[65], json_t *o, const char *what)
{
	const char *s = json_string_value(json_object_get(o, "sha256"));

	if (!s || strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
		return silo__error_set(SILO_ECORRUPT, "%s: field 'sha256': expected 64 hex digits",
				       what);
	memcpy(out, s, 65);
	return 0;
}

/* The optional gzip fields of layer O into LY. */
static int json_gzip(struct image_layer *ly, json_t *o, const char *what)
{
	json_t *lv = json_object_get(o, "gzip-level");
	const char *h = json_string_value(json_object_get(o, "gzip-header"));
	size_t hl;

	if (!lv && !h)
		return 0;
	hl = h ? strlen(h) : 0;
	if (!json_is_integer(lv) || json_integer_value(lv) < 1 || json_integer_value(lv) > 9 ||
	    !h || hl % 2 || hl < 20 || hl > 2 * GZ_HEAD_MAX || strspn(h, "0123456789abcdef") != hl)
		return silo__error_set(SILO_ECORRUPT,
			"%s: fields 'gzip-level' and 'gzip-header': expected 1 to 9 and hex", what);
	ly->gz_level = (int)json_integer_value(lv);
	ly->gz_head_len = hl / 2;
	for (size_t i = 0; i < hl / 2; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		ly->gz_head[i] = (unsigned char)v;
	}
	return 0;
}

static int image_info_read(struct image_info *info, silo *s, const struct silo_treeptr *tp)
{
	char what[128], hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *text = NULL;
	size_t len;
	json_t *doc = NULL, *layers, *rootfs;
	json_error_t jerr;
	int f = tp->object.format, ret;

	memset(info, 0, sizeof(*info));
	snprintf(what, sizeof(what), "image record %s", silo_oid_to_hex(hex, &tp->object));
	if ((ret = read_object(&text, &len, s, &tp->object, tp->size, IMAGE_RECORD_MAX,
			       "image record")) < 0)
		return ret;
	doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (!doc)
		return silo__error_set(SILO_ECORRUPT, "%s: not valid JSON: line %d: %s", what,
				       jerr.line, jerr.text);
	layers = json_object_get(doc, "layers");
	if (json_integer_value(json_object_get(doc, IMAGE_MAGIC)) != 1 ||
	    !json_is_array(layers) || json_array_size(layers) > IMAGE_MAX_LAYERS) {
		ret = silo__error_set(SILO_ECORRUPT, "%s: not an image record of version 1", what);
		goto out;
	}
	if ((ret = json_size(&info->size, doc, "size", what)) < 0 ||
	    (ret = json_sha(info->sha256, doc, what)) < 0 ||
	    (ret = json_oid(&info->record, doc, "record", f, what)) < 0 ||
	    (ret = json_size(&info->record_len, doc, "record-size", what)) < 0)
		goto out;
	info->n_layers = json_array_size(layers);
	if (!(info->layers = calloc(info->n_layers ? info->n_layers : 1, sizeof(*info->layers)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (size_t i = 0; i < info->n_layers && !ret; i++) {
		json_t *o = json_array_get(layers, i);
		struct image_layer *ly = &info->layers[i];
		if ((ret = json_size(&ly->size, o, "size", what)) < 0 ||
		    (ret = json_sha(ly->sha256, o, what)) < 0 ||
		    (ret = json_oid(&ly->tree, o, "tree", f, what)) < 0 ||
		    (ret = json_oid(&ly->sizes, o, "sizes", f, what)) < 0 ||
		    (ret = json_size(&ly->sizes_len, o, "sizes-size", what)) < 0 ||
		    (ret = json_oid(&ly->record, o, "record", f, what)) < 0 ||
		    (ret = json_size(&ly->record_len, o, "record-size", what)) < 0 ||
		    (ret = json_gzip(ly, o, what)) < 0)
			break;
		ly->has_tree = 1;
	}
	if (!ret && (rootfs = json_object_get(doc, "rootfs"))) {
		info->has_rootfs = 1;
		info->n_rootfs = json_array_size(rootfs);
		if (!json_is_array(rootfs) || info->n_rootfs > IMAGE_MAX_LAYERS ||
		    !(info->rootfs = calloc(info->n_rootfs + 1, sizeof(*info->rootfs)))) {
			ret = json_is_array(rootfs) && info->n_rootfs <= IMAGE_MAX_LAYERS ?
				silo__error_oom() :
				silo__error_set(SILO_ECORRUPT, "%s: field 'rootfs': expected a list",
						what);
			goto out;
		}
		for (size_t i = 0; i < info->n_rootfs && !ret; i++) {
			json_t *v = json_array_get(rootfs, i);
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    (size_t)json_integer_value(v) >= info->n_layers)
				ret = silo__error_set(SILO_ECORRUPT,
					"%s: field 'rootfs': expected numbers of layers", what);
			else
				info->rootfs[i] = (size_t)json_integer_value(v);
		}
	}
out:
	json_decref(doc);
	return ret;
}

static void image_info_release(struct image_info *info)
{
	layers_release(info->layers, 0);
	info->layers = NULL;
	free(info->rootfs);
	info->rootfs = NULL;
}

/* ---- the merged root file system ---- */

/* Sorted sets of paths, for the whiteouts of one layer. */
struct pathset {
	char **v;
	size_t n, alloc;
};

static int pathset_add(struct pathset *p, const char *s, size_t len)
{
	if (ALLOC_GROW(p->v, p->n + 1, p->alloc) < 0 || !(p->v[p->n] = strndup(s, len)))
		return silo__error_oom();
	p->n++;
	return 0;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int pathset_has(const struct pathset *p, const char *s, size_t len)
{
	size_t at;

	return tree_search(p->v, p->n, sizeof(*p->v), s, len, &at);
}

static void pathset_release(struct pathset *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* 1 if the leaf PATH of a lower layer is hidden by the layer whose
 * whiteouts and leaves made GONE (paths removed) and UNDER (directories
 * whose content is removed; "" for all). */
static int hidden(const char *path, const struct pathset *gone, const struct pathset *under)
{
	if (pathset_has(gone, path, strlen(path)) || pathset_has(under, "", 0))
		return 1;
	for (const char *sl = strchr(path, '/'); sl; sl = strchr(sl + 1, '/'))
		if (pathset_has(under, path, (size_t)(sl - path)))
			return 1;
	return 0;
}

#define WH ".wh."
#define WH_OPAQUE ".wh..wh..opq"

/* Apply the layer L over MERGED: its whiteouts remove lower paths, its
 * leaves replace theirs (a file a directory, a directory a file). */
static int apply_layer(struct silo_tree_list *merged, const struct silo_tree_list *l)
{
	struct pathset gone = { NULL, 0, 0 }, under = { NULL, 0, 0 };
	size_t keep = 0;
	int ret = 0;

	for (size_t i = 0; i < l->n && !ret; i++) {
		const char *p = l->v[i].path, *base = strrchr(p, '/');
		size_t dl = base ? (size_t)(base - p) : 0;
		base = base ? base + 1 : p;
		if (!strcmp(base, WH_OPAQUE)) {
			ret = pathset_add(&under, p, dl);
		} else if (!strncmp(base, WH, strlen(WH))) {
			struct strbuf t = STRBUF_INIT;
			if ((dl && ((ret = strbuf_add(&t, p, dl)) < 0 ||
				    (ret = strbuf_addch(&t, '/')) < 0)) ||
			    (ret = strbuf_adds(&t, base + strlen(WH))) < 0 ||
			    (ret = pathset_add(&gone, t.buf, t.len)) < 0 ||
			    (ret = pathset_add(&under, t.buf, t.len)) < 0) {
				/* ret says why */
			}
			strbuf_release(&t);
		} else if ((ret = pathset_add(&gone, p, strlen(p))) == 0 &&
			   (ret = pathset_add(&under, p, strlen(p))) == 0) {
			/* Its directories replace lower files of their names. */
			for (const char *sl = strchr(p, '/'); sl && !ret; sl = strchr(sl + 1, '/'))
				ret = pathset_add(&gone, p, (size_t)(sl - p));
		}
	}
	if (ret < 0)
		goto out;
	qsort(gone.v, gone.n, sizeof(*gone.v), by_str);
	qsort(under.v, under.n, sizeof(*under.v), by_str);
	for (size_t i = 0; i < merged->n; i++) {
		if (hidden(merged->v[i].path, &gone, &under))
			free(merged->v[i].path);
		else
			merged->v[keep++] = merged->v[i];
	}
	merged->n = keep;
	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->v[i].path, *base = strrchr(p, '/');
		base = base ? base + 1 : p;
		if (!strncmp(base, WH, strlen(WH)))
			continue;
		if (ALLOC_GROW(merged->v, merged->n + 1, merged->alloc) < 0) {
			ret = silo__error_oom();
			goto out;
		}
		merged->v[merged->n] = l->v[i];
		if (!(merged->v[merged->n].path = strdup(p))) {
			ret = silo__error_oom();
			goto out;
		}
		merged->n++;
	}
	tree_list_sort(merged);
out:
	pathset_release(&gone);
	pathset_release(&under);
	return ret;
}

int medo_image_rootfs(struct silo_tree_list *out, silo *s, const struct silo_treeptr *tp,
		      const char *name)
{
	struct image_info info;
	silo_oid empty;
	int ret;

	if ((ret = image_info_read(&info, s, tp)) < 0)
		return silo__error_wrap("'%s'", name);
	if (!info.has_rootfs) {
		ret = silo__error_set(SILO_EINVALID,
			"'%s': the image has a layer kept compressed (a blob): no merged tree",
			name);
		goto out;
	}
	out->format = tp->object.format;
	if ((ret = silo_oid_hash_buffer(&empty, tp->object.format, SILO_OBJ_TREE, "", 0)) < 0)
		goto out;
	for (size_t i = 0; i < info.n_rootfs && !ret; i++) {
		const struct image_layer *ly = &info.layers[info.rootfs[i]];
		struct silo_tree_list l = SILO_TREE_LIST_INIT;
		if (!silo_oid_equal(&ly->tree, &empty) &&
		    (ret = silo_tree_load(&l, s, &ly->tree, &ly->sizes, ly->sizes_len)) < 0)
			break;
		ret = apply_layer(out, &l);
		silo_tree_list_release(&l);
	}
out:
	image_info_release(&info);
	return ret;
}

/* ---- writing an archive from its records ---- */

struct sink {
	int fd;			/* -1: only hash */
	const char *path;
	EVP_MD_CTX *all, *layer;
	uint64_t n, layer_n;
	z_stream *z;		/* a gzip layer's deflate, or NULL */
	uLong crc;
	unsigned char buf[1 << 16];
	size_t used;
	unsigned char zbuf[1 << 16];
};

static int sink_flush(struct sink *k)
{
	int ret = 0;

	if (k->fd >= 0 && k->used)
		ret = fs_write_all(k->fd, k->buf, k->used, k->path);
	k->used = 0;
	return ret;
}

/* Bytes of the archive as it is written. */
static int sink_out(struct sink *k, const void *d, size_t n)
{
	const unsigned char *p = d;

	if (!EVP_DigestUpdate(k->all, d, n))
		return silo__error_set(SILO_ERROR, "sha256 failed");
	k->n += n;
	while (n) {
		size_t c = sizeof(k->buf) - k->used;
		int ret;
		if (c > n)
			c = n;
		memcpy(k->buf + k->used, p, c);
		k->used += c;
		p += c;
		n -= c;
		if (k->used == sizeof(k->buf) && (ret = sink_flush(k)) < 0)
			return ret;
	}
	return 0;
}

/* Run K's deflate over its input with FLUSH, its output to the archive. */
static int sink_deflate(struct sink *k, int flush)
{
	int zr, ret;

	do {
		k->z->next_out = k->zbuf;
		k->z->avail_out = sizeof(k->zbuf);
		zr = deflate(k->z, flush);
		if (zr == Z_STREAM_ERROR)
			return silo__error_set(SILO_ERROR, "deflate failed");
		if ((ret = sink_out(k, k->zbuf, sizeof(k->zbuf) - k->z->avail_out)) < 0)
			return ret;
	} while (k->z->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

/* Bytes of a tar: of a layer (hashed as such, and compressed for a gzip
 * layer) or of the archive. */
static int sink_write(struct sink *k, const void *d, size_t n)
{
	if (k->layer && !EVP_DigestUpdate(k->layer, d, n))
		return silo__error_set(SILO_ERROR, "sha256 failed");
	k->layer_n += n;
	if (!k->z)
		return sink_out(k, d, n);
	k->crc = crc32(k->crc, d, (uInt)n);
	k->z->next_in = (Bytef *)d;
	k->z->avail_in = (uInt)n;
	return sink_deflate(k, Z_NO_FLUSH);
}

static int sink_zero(struct sink *k, uint64_t n)
{
	static const unsigned char z[4096];
	int ret = 0;

	while (n && !ret) {
		size_t c = n > sizeof(z) ? sizeof(z) : (size_t)n;
		ret = sink_write(k, z, c);
		n -= c;
	}
	return ret;
}

static int sink_blob(struct sink *k, silo *s, const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_stream *st = NULL;
	const void *d;
	size_t n;
	int ret;

	if ((ret = silo_stream_open_sized(&st, s, id, size)) < 0)
		return silo__error_wrap("blob %s", silo_oid_to_hex(hex, id));
	if (silo_stream_type(st) != SILO_OBJ_BLOB || silo_stream_size(st) != size)
		ret = silo__error_set(SILO_ECORRUPT, "blob %s is not a blob of %llu bytes",
				      silo_oid_to_hex(hex, id), (unsigned long long)size);
	while (!ret && (ret = silo_stream_read(st, &d, &n)) > 0)
		if ((ret = sink_write(k, d, n)) < 0 || (ret = cleanup_check()) < 0)
			break;
	silo_stream_free(st);
	return ret < 0 ? ret : 0;
}

static int get_varint(uint64_t *v, const unsigned char **p, const unsigned char *end)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

static int write_record(struct sink *k, silo *s, const struct image_info *info,
			const silo_oid *id, uint64_t len, const struct silo_tree_list *l);

static int write_layer(struct sink *k, silo *s, const struct image_info *info, uint64_t i)
{
	const struct image_layer *ly;
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	silo_oid empty;
	z_stream zs;
	char got[65];
	int ret;

	if (!info || i >= info->n_layers)
		return silo__error_set(SILO_ECORRUPT, "a tar record names layer %llu of %zu",
				       (unsigned long long)i, info ? info->n_layers : 0);
	ly = &info->layers[i];
	if (k->layer)
		return silo__error_set(SILO_ECORRUPT, "a layer's record names a layer");
	if ((ret = silo_oid_hash_buffer(&empty, ly->tree.format, SILO_OBJ_TREE, "", 0)) < 0 ||
	    (!silo_oid_equal(&ly->tree, &empty) &&
	     (ret = silo_tree_load(&l, s, &ly->tree, &ly->sizes, ly->sizes_len)) < 0))
		return ret;
	if (!(k->layer = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(k->layer, EVP_sha256(), NULL)) {
		ret = silo__error_oom();
		goto out;
	}
	k->layer_n = 0;
	if (ly->gz_level) {
		memset(&zs, 0, sizeof(zs));
		if (deflateInit2(&zs, ly->gz_level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			ret = silo__error_oom();
			goto out;
		}
		k->z = &zs;
		k->crc = crc32(0, NULL, 0);
		if ((ret = sink_out(k, ly->gz_head, ly->gz_head_len)) < 0)
			goto out;
	}
	if ((ret = write_record(k, s, NULL, &ly->record, ly->record_len, &l)) < 0 ||
	    (ret = ctx_hex(got, k->layer)) < 0)
		goto out;
	if (k->z) {
		unsigned char t[8];
		for (int j = 0; j < 4; j++) {
			t[j] = (unsigned char)(k->crc >> (8 * j));
			t[4 + j] = (unsigned char)(k->layer_n >> (8 * j));
		}
		k->z->avail_in = 0;
		if ((ret = sink_deflate(k, Z_FINISH)) < 0 || (ret = sink_out(k, t, 8)) < 0)
			goto out;
	}
	if (k->layer_n != ly->size || strcmp(got, ly->sha256))
		ret = silo__error_set(SILO_ECORRUPT,
			"layer %llu written again has %llu bytes and sha256 %s, not %llu and %s",
			(unsigned long long)i, (unsigned long long)k->layer_n, got,
			(unsigned long long)ly->size, ly->sha256);
out:
	if (k->z) {
		deflateEnd(k->z);
		k->z = NULL;
	}
	EVP_MD_CTX_free(k->layer);
	k->layer = NULL;
	silo_tree_list_release(&l);
	return ret;
}

/* Write the tar of record ID (LEN bytes); L: its layer's leaves, or NULL
 * for the archive's own record (INFO). */
static int write_record(struct sink *k, silo *s, const struct image_info *info,
			const silo_oid *id, uint64_t len, const struct silo_tree_list *l)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *rec = NULL, *ops = NULL;
	const unsigned char *p, *end, *nl;
	size_t rec_len, hl = sizeof(RECORD_MAGIC) - 1;
	uint64_t ops_len = 0;
	uLongf got;
	int64_t last = -1;
	int ret;

	if ((ret = read_object(&rec, &rec_len, s, id, len, RECORD_MAX_OPS, "tar record")) < 0)
		return ret;
	silo_oid_to_hex(hex, id);
	nl = rec_len > hl ? memchr(rec + hl, '\n', rec_len - hl) : NULL;
	if (!nl || memcmp(rec, RECORD_MAGIC, hl)) {
		ret = silo__error_set(SILO_ECORRUPT, "tar record %s: not a tar record", hex);
		goto out;
	}
	for (p = rec + hl; p < nl; p++) {
		if (*p < '0' || *p > '9' || ops_len > RECORD_MAX_OPS) {
			ret = silo__error_set(SILO_ECORRUPT, "tar record %s: bad length", hex);
			goto out;
		}
		ops_len = ops_len * 10 + (uint64_t)(*p - '0');
	}
	if (ops_len > RECORD_MAX_OPS || !(ops = malloc(ops_len ? (size_t)ops_len : 1))) {
		ret = ops_len > RECORD_MAX_OPS ?
			silo__error_set(SILO_ECORRUPT, "tar record %s: too large", hex) :
			silo__error_oom();
		goto out;
	}
	got = (uLongf)ops_len;
	if (uncompress(ops, &got, nl + 1, (uLong)(rec + rec_len - (nl + 1))) != Z_OK ||
	    got != ops_len) {
		ret = silo__error_set(SILO_ECORRUPT, "tar record %s: damaged", hex);
		goto out;
	}
	p = ops;
	end = ops + ops_len;
	for (;;) {
		uint64_t n, v;
		enum op op;
		if (p >= end) {
			ret = silo__error_set(SILO_ECORRUPT, "tar record %s: no end", hex);
			break;
		}
		op = (enum op)*p++;
		if (op == OP_END) {
			if (p != end)
				ret = silo__error_set(SILO_ECORRUPT, "tar record %s: bytes after its end",
						      hex);
			break;
		}
		if ((ret = cleanup_check()) < 0)
			break;
		switch (op) {
		case OP_LIT:
			if (get_varint(&n, &p, end) < 0 || n > (uint64_t)(end - p))
				goto bad;
			ret = sink_write(k, p, (size_t)n);
			p += n;
			break;
		case OP_ZERO:
			if (get_varint(&n, &p, end) < 0)
				goto bad;
			ret = sink_zero(k, n);
			break;
		case OP_HDR: {
			unsigned char b[TAR_BLOCK];
			if ((uint64_t)(end - p) < TAR_BLOCK)
				goto bad;
			memcpy(b, p, TAR_BLOCK);
			p += TAR_BLOCK;
			chksum_field((char *)b + 148, tar_header_sum(b));
			ret = sink_write(k, b, TAR_BLOCK);
			break;
		}
		case OP_LEAF: {
			int64_t i;
			if (!l || get_varint(&v, &p, end) < 0 || get_varint(&n, &p, end) < 0 ||
			    v >> 62)
				goto bad;
			i = last + 1 + (v & 1 ? -(int64_t)((v + 1) / 2) : (int64_t)(v / 2));
			if (i < 0 || (uint64_t)i >= l->n || l->v[i].size != n ||
			    l->v[i].mode == SILO_MODE_SYMLINK)
				goto bad;
			last = i;
			ret = sink_blob(k, s, &l->v[i].id, n);
			break;
		}
		case OP_BLOB: {
			silo_oid bid;
			size_t raw = silo_oid_rawsz(id->format);
			if ((size_t)(end - p) < raw)
				goto bad;
			silo_oid_from_raw(&bid, id->format, p);
			p += raw;
			if (get_varint(&n, &p, end) < 0)
				goto bad;
			ret = sink_blob(k, s, &bid, n);
			break;
		}
		case OP_LAYER:
			if (l || get_varint(&n, &p, end) < 0)
				goto bad;
			ret = write_layer(k, s, info, n);
			break;
		default:
			goto bad;
		}
		if (ret < 0)
			break;
		continue;
bad:
		ret = silo__error_set(SILO_ECORRUPT, "tar record %s: malformed at byte %llu", hex,
				      (unsigned long long)(p - ops));
		break;
	}
out:
	free(rec);
	free(ops);
	return ret;
}

/* Write the archive of INFO to FD (-1: nowhere) and check it. */
static int write_archive(silo *s, const struct image_info *info, int fd, const char *path,
			 const char *treeptr_path)
{
	struct sink *k = calloc(1, sizeof(*k));
	char got[65];
	int ret;

	if (!k)
		return silo__error_oom();
	k->fd = fd;
	k->path = path;
	if (!(k->all = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(k->all, EVP_sha256(), NULL)) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = write_record(k, s, info, &info->record, info->record_len, NULL)) < 0 ||
	    (ret = sink_flush(k)) < 0 || (ret = ctx_hex(got, k->all)) < 0)
		goto out;
	if (k->n != info->size || strcmp(got, info->sha256))
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s': the image written again has %llu bytes and sha256 %s, not %llu and %s",
			treeptr_path, (unsigned long long)k->n, got,
			(unsigned long long)info->size, info->sha256);
out:
	EVP_MD_CTX_free(k->all);
	free(k);
	return ret;
}

int medo_image_write(silo *s, const struct silo_treeptr *tp, const char *new_path,
		     const char *treeptr_path)
{
	struct image_info info;
	int fd, ret;

	if ((ret = image_info_read(&info, s, tp)) < 0) {
		silo__error_wrap("'%s'", treeptr_path);
		goto out;
	}
	fd = open(new_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666 & ~fs_umask());
	if (fd < 0) {
		ret = silo__error_errno("cannot create '%s'", new_path);
		goto out;
	}
	ret = write_archive(s, &info, fd, new_path, treeptr_path);
	if (close(fd) < 0 && !ret)
		ret = silo__error_errno("cannot write '%s'", new_path);
out:
	image_info_release(&info);
	return ret;
}

/* ---- gzip layers ---- */

static int looks_like_tar(const unsigned char *d, uint64_t n)
{
	return n >= 2 * TAR_BLOCK && tar_header_valid(d);
}

/*
 * The digest of a compressed OCI layer is that of its compressed bytes,
 * so a layer is stored as a tree only if zlib gives those bytes again:
 * one gzip member, its deflate data what deflate() at some level writes
 * (windowBits 15, memLevel 8, the default strategy; gzip -n and Python's
 * gzip write such), its CRC and size right.  Levels are tried in the
 * order they are most used, each stopped at its first differing byte.
 */

/* The length of the gzip header at D (N bytes), or 0 if it is none we
 * keep. */
static size_t gz_header_len(const unsigned char *d, uint64_t n)
{
	size_t at = 10;

	if (n < 18 || d[0] != 0x1f || d[1] != 0x8b || d[2] != 8 || (d[3] & 0xe0))
		return 0;
	if (d[3] & 4) {		/* FEXTRA */
		if (n < at + 2)
			return 0;
		at += 2 + (size_t)(d[at] | d[at + 1] << 8);
	}
	for (int flag = 8; flag <= 16; flag += 8)	/* FNAME, FCOMMENT */
		if (d[3] & flag) {
			while (at < n && d[at])
				at++;
			at++;
		}
	if (d[3] & 2)		/* FHCRC */
		at += 2;
	return at <= GZ_HEAD_MAX && at + 8 <= n ? at : 0;
}

/* 1 if deflate at LEVEL of TAR (TLEN bytes) gives exactly the N bytes
 * at Z, else 0. */
static int gz_level_matches(int level, const unsigned char *tar, size_t tlen,
			    const unsigned char *z, size_t n)
{
	unsigned char out[1 << 16];
	z_stream zs;
	size_t done = 0;
	int ret, same = 1;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = (Bytef *)tar;
	zs.avail_in = 0;
	do {
		size_t chunk = tlen - (size_t)zs.total_in;
		if (!zs.avail_in) {
			zs.avail_in = chunk > (1u << 20) ? (1u << 20) : (uInt)chunk;
			zs.next_in = (Bytef *)tar + zs.total_in;
		}
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		ret = deflate(&zs, zs.total_in + zs.avail_in == tlen ? Z_FINISH : Z_NO_FLUSH);
		size_t got = sizeof(out) - zs.avail_out;
		if (got > n - done || memcmp(out, z + done, got))
			same = 0;
		done += got;
	} while (same && ret == Z_OK);
	deflateEnd(&zs);
	return same && ret == Z_STREAM_END && done == n;
}

/*
 * If the N bytes at D are one gzip member that zlib gives again: 1, with
 * *TAR (owned, free()) its content of *TLEN bytes, LY's gzip fields set.
 * 0 if not (kept as a blob), negative on an error.
 */
static int gz_layer(unsigned char **tar, size_t *tlen, struct image_layer *ly,
		    const unsigned char *d, uint64_t n)
{
	static const int levels[] = { 6, 9, 1, 5, 4, 3, 2, 7, 8 };
	size_t hl = gz_header_len(d, n), cap = 1 << 20;
	unsigned char *buf;
	z_stream zs;
	uLong crc;
	int ret;

	*tar = NULL;
	if (!hl)
		return 0;
	if (!(buf = malloc(cap)))
		return silo__error_oom();
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -15) != Z_OK) {
		free(buf);
		return silo__error_oom();
	}
	zs.next_in = (Bytef *)d + hl;
	zs.avail_in = 0;
	do {
		uint64_t left = n - hl - zs.total_in;
		if (!zs.avail_in)
			zs.avail_in = left > (1u << 30) ? (1u << 30) : (uInt)left;
		if (zs.total_out == cap) {
			unsigned char *nb = cap < SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				ret = silo__error_oom();
				goto fail;
			}
			buf = nb;
			cap *= 2;
		}
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out > (1u << 30) ? (1u << 30) :
				      cap - zs.total_out);
		ret = inflate(&zs, Z_NO_FLUSH);
	} while (ret == Z_OK);
	if (ret != Z_STREAM_END) {
		ret = 0;	/* not deflate data we can read: a blob */
		goto fail;
	}
	{
		const unsigned char *t = d + hl + zs.total_in;
		size_t dlen = zs.total_in;
		crc = crc32(0, buf, (uInt)0);
		for (size_t at = 0; at < zs.total_out; at += 1u << 30) {
			size_t c = zs.total_out - at > (1u << 30) ? (1u << 30) : zs.total_out - at;
			crc = crc32(crc, buf + at, (uInt)c);
		}
		ret = 0;
		if ((uint64_t)(t - d) + 8 != n ||
		    (t[0] | t[1] << 8 | t[2] << 16 | (uLong)t[3] << 24) != crc ||
		    (t[4] | t[5] << 8 | t[6] << 16 | (uint64_t)t[7] << 24) !=
			    (zs.total_out & 0xffffffff) ||
		    !looks_like_tar(buf, zs.total_out))
			goto fail;
		for (size_t i = 0; i < sizeof(levels) / sizeof(*levels); i++)
			if (gz_level_matches(levels[i], buf, zs.total_out, d + hl, dlen)) {
				ly->gz_level = levels[i];
				memcpy(ly->gz_head, d, hl);
				ly->gz_head_len = hl;
				*tar = buf;
				*tlen = zs.total_out;
				inflateEnd(&zs);
				return 1;
			}
	}
fail:
	inflateEnd(&zs);
	free(buf);
	return ret;
}

/*
 * The member D (N bytes) named NAME of the archive, if it is a layer (a
 * tar, or a gzip of one that zlib gives again): stored (or found stored
 * by an earlier member), its LAYER operation added to OPS, 1.  0 if it is
 * no layer.
 */
static int member_layer(struct image_add *a, struct strbuf *ops, const unsigned char *d,
			uint64_t n, const char *name, long *index)
{
	struct image_layer gz, *ly;
	unsigned char *plain = NULL;
	size_t plen = 0, k;
	int ret;

	memset(&gz, 0, sizeof(gz));
	if (!looks_like_tar(d, n)) {
		if ((ret = gz_layer(&plain, &plen, &gz, d, n)) <= 0)
			return ret;
		d = plain;
		n = plen;
	}
	for (k = 0; k < a->n_layers; k++) {	/* the same layer twice */
		const struct image_layer *o = &a->layers[k];
		if (o->size == n && o->gz_level == gz.gz_level &&
		    o->gz_head_len == gz.gz_head_len &&
		    !memcmp(o->gz_head, gz.gz_head, gz.gz_head_len) && !memcmp(o->bytes, d, (size_t)n))
			break;
	}
	if (k == a->n_layers) {
		if (a->n_layers >= IMAGE_MAX_LAYERS ||
		    ALLOC_GROW(a->layers, a->n_layers + 1, a->alloc_layers) < 0) {
			free(plain);
			return a->n_layers >= IMAGE_MAX_LAYERS ?
				silo__error_set(SILO_EINVALID, "'%s': too many layers", a->name) :
				silo__error_oom();
		}
		ly = &a->layers[a->n_layers++];
		*ly = gz;
		ly->size = n;
		ly->bytes = d;
		ly->owned = plain;
		plain = NULL;
		if ((ret = sha256_hex(ly->sha256, d, (size_t)n)) < 0 ||
		    (ret = add_layer(a, ly, d, n, name)) < 0)
			return ret;
	}
	free(plain);
	*index = (long)k;
	ret = put_op(ops, OP_LAYER, k);
	return ret < 0 ? ret : 1;
}

/* ---- the first image's root file system ---- */

/* The layer the member named NAME holds, or -1. */
static long layer_named(const struct image_add *a, const struct names *nm, const char *name)
{
	const struct tar_member *m = name ? file_named(nm, name) : NULL;

	return m ? a->layer_of[m - nm->v] : -1;
}

static int rootfs_add(struct image_add *a, long k, size_t *alloc)
{
	if (k < 0) {
		a->has_rootfs = 0;	/* a layer kept compressed */
		return 1;
	}
	if (ALLOC_GROW(a->rootfs, a->n_rootfs + 1, *alloc) < 0)
		return silo__error_oom();
	a->rootfs[a->n_rootfs++] = (size_t)k;
	return 0;
}

/*
 * The layers of the archive's first image, bottom first (manifest.json's
 * first entry, else index.json's first manifest), into A->rootfs: what
 * medo ls and medo cat show of it.  None when one of them is no layer of
 * the record (kept compressed).  The archive was checked before.
 */
static int first_image(struct image_add *a, const struct names *nm)
{
	json_t *doc = NULL, *man = NULL, *list;
	size_t alloc = 0;
	int ret = 0;

	a->has_rootfs = 1;
	if (member_named(nm, "manifest.json")) {
		if ((ret = json_member(&doc, a, nm, "manifest.json", "the archive")) < 0)
			return ret;
		list = json_object_get(json_array_get(doc, 0), "Layers");
		for (size_t i = 0; i < json_array_size(list) && !ret; i++)
			ret = rootfs_add(a, layer_named(a, nm,
					 json_string_value(json_array_get(list, i))), &alloc);
	} else {
		const char *hex;
		char name[128];
		if ((ret = json_member(&doc, a, nm, "index.json", "the archive")) < 0)
			return ret;
		hex = digest_hex(json_object_get(json_array_get(json_object_get(doc, "manifests"),
							       0), "digest"));
		snprintf(name, sizeof(name), "blobs/sha256/%s", hex ? hex : "");
		if (hex && (ret = json_member(&man, a, nm, name, "index.json")) == 0) {
			list = json_object_get(man, "layers");
			for (size_t i = 0; i < json_array_size(list) && !ret; i++) {
				const char *h = digest_hex(json_object_get(json_array_get(list, i),
									   "digest"));
				snprintf(name, sizeof(name), "blobs/sha256/%s", h ? h : "");
				ret = rootfs_add(a, h ? layer_named(a, nm, name) : -1, &alloc);
			}
		}
	}
	json_decref(man);
	json_decref(doc);
	return ret < 0 ? ret : 0;
}

/* ---- medo add --kind=image ---- */

int medo_image_add(struct silo_treeptr *tp, silo *s, const char *path, const char *want_sha,
		   char sha[65])
{
	struct image_add a;
	struct names nm = { NULL, 0, 0 };
	struct tar_reader r;
	struct strbuf ops = STRBUF_INIT;
	struct image_info info;
	const char *format = NULL;
	char *rec = NULL, *img = NULL;
	size_t rec_len = 0, img_len = 0;
	silo_oid outer;
	void *map = MAP_FAILED;
	struct stat st;
	int fd, ret;

	memset(&a, 0, sizeof(a));
	memset(&info, 0, sizeof(info));
	a.s = s;
	a.name = path;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return silo__error_errno("cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		ret = silo__error_errno("cannot stat '%s'", path);
		close(fd);
		return ret;
	}
	if (st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (st.st_size > 0 && map == MAP_FAILED)
		return silo__error_errno("cannot map '%s'", path);
	a.d = map == MAP_FAILED ? (const unsigned char *)"" : map;
	a.len = (uint64_t)st.st_size;

	/* The outer tar, every member read strictly. */
	if (!looks_like_tar(a.d, a.len)) {
		ret = silo__error_set(SILO_EINVALID,
			"cannot add '%s' as an image: not a tar (a docker-archive or OCI archive)",
			path);
		goto out;
	}
	tar_reader_init(&r, a.d, a.len, path);
	for (;;) {
		struct tar_member m = TAR_MEMBER_INIT;
		if ((ret = tar_reader_next(&r, &m)) <= 0)
			break;
		if (ALLOC_GROW(nm.v, nm.n + 1, nm.alloc) < 0) {
			tar_member_release(&m);
			ret = silo__error_oom();
			break;
		}
		nm.v[nm.n++] = m;
	}
	if (ret < 0)
		goto out;
	if (member_named(&nm, "oci-layout")) {
		format = "oci-archive";
		ret = check_oci(&a, &nm);
	} else if (member_named(&nm, "manifest.json")) {
		format = "docker-archive";
		ret = check_docker(&a, &nm);
	} else {
		ret = silo__error_set(SILO_EINVALID,
			"cannot add '%s' as an image: it has neither manifest.json nor oci-layout",
			path);
	}
	if (ret < 0)
		goto out;
	if (member_named(&nm, "oci-layout") && member_named(&nm, "manifest.json") &&
	    (ret = check_docker(&a, &nm)) < 0)
		goto out;
	if ((ret = sha256_hex(sha, a.d, (size_t)a.len)) < 0)
		goto out;
	if (want_sha && strcasecmp(want_sha, sha)) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s' has sha256 %s, not the expected %s: nothing stored",
			path, sha, want_sha);
		goto out;
	}
	if ((ret = silo_writer_new(&a.w, s)) < 0)
		goto out;

	if (!(a.layer_of = malloc((nm.n ? nm.n : 1) * sizeof(*a.layer_of)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (size_t i = 0; i < nm.n; i++)
		a.layer_of[i] = -1;
	/* Each member: a layer, a blob, or headers only. */
	for (size_t i = 0; i < nm.n; i++) {
		const struct tar_member *m = &nm.v[i];
		const unsigned char *c = a.d + m->data;
		silo_oid id;

		if ((ret = put_headers(&ops, a.d, m)) < 0)
			break;
		if (m->type != '0' && m->type != '7') {
			ret = put_bytes(&ops, c, m->size);
		} else if ((ret = member_layer(&a, &ops, c, m->size, m->path,
					       &a.layer_of[i])) > 0) {
			ret = 0;
		} else if (ret == 0) {
			if (m->size >= 2 && c[0] == 0x1f && c[1] == 0x8b)
				a.opaque_layers++;	/* a gzip layer: kept as it is */
			if ((ret = put_blob(&a, &id, c, (size_t)m->size)) == 0 &&
			    (ret = strbuf_addch(&ops, OP_BLOB)) == 0 &&
			    (ret = strbuf_add(&ops, id.hash, silo_oid_rawsz(id.format))) == 0)
				ret = put_varint(&ops, m->size);
		}
		if (ret < 0 || (ret = put_bytes(&ops, c + m->size, m->end - m->data - m->size)) < 0)
			break;
	}
	if (ret < 0 || (ret = first_image(&a, &nm)) < 0)
		goto out;
	if ((ret = put_bytes(&ops, a.d + r.at, a.len - r.at)) < 0 ||
	    (ret = strbuf_addch(&ops, OP_END)) < 0 ||
	    (ret = record_finish(&rec, &rec_len, &ops)) < 0 ||
	    (ret = silo_writer_put_buffer(&outer, a.w, rec, rec_len)) < 0 ||
	    (ret = image_record(&img, &img_len, &a, sha, format, &outer, rec_len)) < 0 ||
	    (ret = silo_writer_put_buffer(&tp->object, a.w, img, img_len)) < 0 ||
	    (ret = silo_writer_commit(a.w, NULL)) < 0 ||
	    (ret = keep_tree(&tp->tree, &a, &tp->object, &outer)) < 0)
		goto out;
	tp->kind = SILO_TREEPTR_IMAGE;
	tp->size = img_len;

	/* The check: the archive, written again from the silo, is the one
	 * added. */
	if ((ret = image_info_read(&info, s, tp)) < 0 ||
	    (ret = write_archive(s, &info, -1, NULL, path)) < 0)
		silo__error_wrap("'%s' cannot be written again from the silo", path);
out:
	image_info_release(&info);
	for (size_t i = 0; i < nm.n; i++)
		tar_member_release(&nm.v[i]);
	free(nm.v);
	free(a.blobs);
	free(a.layer_of);
	free(a.rootfs);
	layers_release(a.layers, a.n_layers);
	silo_writer_free(a.w);
	strbuf_release(&ops);
	free(rec);
	free(img);
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	return ret;
}

/* 1 if the file PATH has the sha256 WANT (hex), 0 if not. */
int medo_file_sha256_is(const char *path, const char *want)
{
	unsigned char buf[1 << 16];
	EVP_MD_CTX *c;
	char got[65];
	ssize_t n;
	int fd, ret = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return silo__error_errno("cannot open '%s'", path);
	if (!(c = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		close(fd);
		EVP_MD_CTX_free(c);
		return silo__error_oom();
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(c, buf, (size_t)n)) {
			n = -1;
			errno = EIO;
			break;
		}
	if (n < 0)
		ret = silo__error_errno("cannot read '%s'", path);
	else if ((ret = ctx_hex(got, c)) == 0)
		ret = !strcmp(got, want);
	close(fd);
	EVP_MD_CTX_free(c);
	return ret;
}

/* 1 if the file PATH is the archive of TP (the sha256 the treeptr's
 * provenance records), 0 if not. */
int medo_image_matches(const struct silo_treeptr *tp, const char *path)
{
	const char *want = silo_treeptr_provenance(tp, "sha256");

	return want ? medo_file_sha256_is(path, want) : 0;
}
