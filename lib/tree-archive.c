/*
 * The tree inside an archive, read through a pull callback without
 * unpacking it.  One walk serves both listing and extraction (see
 * tree_archive_walk in tree-internal.h): it normalises and checks every
 * path, follows what extraction would leave on disk (later entries
 * replace earlier ones, hard links share their target's content) and
 * hashes content as it streams by.
 *
 * A zip keeps its file modes and symlinks only in its central directory
 * at the end, which a reader that cannot seek never sees; so a zip is
 * first copied to an unlinked temporary file and read from there.  Every
 * other format is read as it arrives.
 */
#include "tree-internal.h"
#include "hash-file.h"
#include "error-internal.h"
#include "strbuf.h"
#include "fsutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the source ---- */

struct src_state {
	silo_read_fn fn;
	void *payload;
	struct strbuf head;	/* the first bytes, read to recognise a zip */
	int head_given, eof;
	int code;		/* the source's own failure */
	char message[1024];
};

static int src_pull(struct src_state *s, const void **data, size_t *len)
{
	for (;;) {
		int r = s->fn(s->payload, data, len);
		if (r < 0) {
			s->code = r;
			snprintf(s->message, sizeof(s->message), "%s", silo_error_message());
			return r;
		}
		if (r == 0) {
			s->eof = 1;
			return 0;
		}
		if (*len)
			return 1;
	}
}

static la_ssize_t src_read(struct archive *a, void *client, const void **buf)
{
	struct src_state *s = client;
	size_t len;
	int r;

	if (!s->head_given) {
		s->head_given = 1;
		if (s->head.len) {
			*buf = s->head.buf;
			return (la_ssize_t)s->head.len;
		}
	}
	if (s->eof)
		return 0;
	r = src_pull(s, buf, &len);
	if (r < 0) {
		archive_set_error(a, EIO, "%s", s->message);
		return -1;
	}
	return r ? (la_ssize_t)len : 0;
}

/*
 * After the archive was found bad: read the rest of the source, so that
 * a stored object whose bytes do not match its id (which its reader
 * finds at the end) is reported as corrupt rather than as a bad archive.
 * Returns the source's failure, or 0.
 */
static int src_drain(struct src_state *s)
{
	const void *data;
	size_t len;
	int r;

	while (!s->eof && !s->code)
		if ((r = src_pull(s, &data, &len)) < 0)
			return r;
	return 0;
}

/* Read at least 4 bytes (unless the source is shorter) into s->head. */
static int src_sniff(struct src_state *s)
{
	int ret;

	while (s->head.len < 4 && !s->eof) {
		const void *data;
		size_t len;
		int r = src_pull(s, &data, &len);
		if (r < 0)
			return r;
		if (r && (ret = strbuf_add(&s->head, data, len)) < 0)
			return ret;
	}
	return 0;
}

static int is_zip(const struct strbuf *head)
{
	return head->len >= 4 && head->buf[0] == 'P' && head->buf[1] == 'K' &&
	       ((head->buf[2] == 3 && head->buf[3] == 4) ||
		(head->buf[2] == 5 && head->buf[3] == 6));
}

/* Copy the whole source into an unlinked temporary file. */
static int src_spool(struct src_state *s, int *fd_out, const char *name)
{
	const char *tmpdir = getenv("TMPDIR");
	struct strbuf path = STRBUF_INIT;
	int fd, ret;

	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if ((ret = strbuf_addf(&path, "%s/silo-zip-XXXXXX", tmpdir)) < 0)
		return ret;
	fd = mkostemp(path.buf, O_CLOEXEC);
	if (fd < 0) {
		ret = silo__error_errno("cannot create a temporary file in '%s' for '%s'",
				        tmpdir, name);
		strbuf_release(&path);
		return ret;
	}
	unlink(path.buf);
	ret = 0;
	if (s->head.len)
		ret = fs_write_all(fd, s->head.buf, s->head.len, path.buf);
	while (!ret && !s->eof) {
		const void *data;
		size_t len;
		int r = src_pull(s, &data, &len);
		if (r < 0)
			ret = r;
		else if (r)
			ret = fs_write_all(fd, data, len, path.buf);
	}
	if (!ret && lseek(fd, 0, SEEK_SET) < 0)
		ret = silo__error_errno("cannot seek in '%s'", path.buf);
	strbuf_release(&path);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	*fd_out = fd;
	return 0;
}

/* ---- what the archive has put where so far ---- */

enum { K_DIR = 1, K_FILE, K_LINK };

struct slot {
	char *key;
	int kind;
	size_t leaf;	/* index in the list, for K_FILE and K_LINK */
};

struct pathmap {
	struct slot *v;
	size_t cap, n;
};

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct slot *map_find(struct pathmap *m, const char *key, size_t len)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = hash_bytes(key, len) & (m->cap - 1); m->v[i].key; i = (i + 1) & (m->cap - 1))
		if (!strncmp(m->v[i].key, key, len) && !m->v[i].key[len])
			return &m->v[i];
	return NULL;
}

static int map_grow(struct pathmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 1024, i;
	struct slot *v = calloc(cap, sizeof(*v));

	if (!v)
		return silo__error_oom();
	for (i = 0; i < m->cap; i++) {
		size_t j;
		if (!m->v[i].key)
			continue;
		for (j = hash_bytes(m->v[i].key, strlen(m->v[i].key)) & (cap - 1); v[j].key;
		     j = (j + 1) & (cap - 1))
			;
		v[j] = m->v[i];
	}
	free(m->v);
	m->v = v;
	m->cap = cap;
	return 0;
}

/* Add KEY (not yet present); returns the new slot or NULL (error set). */
static struct slot *map_add(struct pathmap *m, const char *key, size_t len, int kind)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap && map_grow(m) < 0)
		return NULL;
	for (i = hash_bytes(key, len) & (m->cap - 1); m->v[i].key; i = (i + 1) & (m->cap - 1))
		;
	if (!(m->v[i].key = strndup(key, len))) {
		silo__error_oom();
		return NULL;
	}
	m->v[i].kind = kind;
	m->n++;
	return &m->v[i];
}

static void map_release(struct pathmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->v[i].key);
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}

/* ---- the walk ---- */

struct walk {
	struct archive *a;
	const char *name;
	const struct tree_archive_hooks *hooks;
	struct src_state src;
	struct pathmap map;
	struct silo_tree_list list;
	silo_hasher *h;
	uint64_t holes;		/* hole bytes hashed so far */
	struct strbuf path, target;
};

/* A libarchive failure, or the source's if that is what failed. */
static int arc_error(struct walk *w, const char *entry)
{
	if (w->src.code)
		return silo__error_set(w->src.code, "%s", w->src.message);
	if (entry)
		return silo__error_set(SILO_EINVALID, "cannot read '%s' in archive '%s': %s",
				       entry, w->name, archive_error_string(w->a) ?
				       archive_error_string(w->a) : "unknown error");
	return silo__error_set(SILO_EINVALID, "cannot read archive '%s': %s", w->name,
			       archive_error_string(w->a) ? archive_error_string(w->a) :
			       "unknown error");
}

static int unsafe(struct walk *w, const char *entry, const char *why)
{
	return silo__error_set(SILO_EUNSAFE, "refusing entry '%s' of archive '%s': %s",
			       entry, w->name, why);
}

/*
 * The limits of a tree on disk: a name of more than 255 bytes cannot be
 * created, and a tree deeper than 4096 levels can be neither walked nor
 * removed (tree-walk.c, rmtree.c).  Checked while listing, so that medo
 * add refuses such an archive before storing it, and expand before
 * writing anything.
 */
#define TREE_NAME_MAX 255
#define TREE_DEPTH_MAX 4096

static int too_big(struct walk *w, const char *entry, const char *why)
{
	size_t len = strlen(entry);

	/* A deep path is long: its end says most. */
	return silo__error_set(SILO_EINVALID, "refusing entry '%s%.120s' of archive '%s': %s",
			       len > 120 ? "..." : "", len > 120 ? entry + len - 120 : entry,
			       w->name, why);
}

/*
 * Normalise RAW into OUT: no empty or "." components, no trailing '/'.
 * Absolute paths are refused, and every component git would refuse
 * (silo_tree_name_refused(): "..", ".git" and its aliases): an entry
 * must stay inside, and never be a repository's.
 */
static int normalise(struct walk *w, struct strbuf *out, const char *raw,
		     const char *entry)
{
	const char *p = raw;
	size_t depth = 0;
	int ret;

	strbuf_reset(out);
	if ((ret = strbuf_adds(out, "")) < 0)
		return ret;
	if (*p == '/')
		return unsafe(w, entry, "absolute path");
	while (*p) {
		const char *slash = strchr(p, '/'), *why;
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n && !(n == 1 && p[0] == '.')) {
			if ((why = silo_tree_name_refused(p, n, 040000)))
				return unsafe(w, entry, why);
			if (n > TREE_NAME_MAX)
				return too_big(w, entry,
					       "a name in its path is longer than 255 bytes");
			if (++depth > TREE_DEPTH_MAX)
				return too_big(w, entry, "nested deeper than 4096 levels");
			if (out->len && (ret = strbuf_addch(out, '/')) < 0)
				return ret;
			if ((ret = strbuf_add(out, p, n)) < 0)
				return ret;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (out->len > TREE_PATH_MAX)
		return too_big(w, entry, "a path longer than 4095 bytes");
	return 0;
}

/* The name of a symlink at PATH (its last component), as git checks it. */
static int check_link_name(struct walk *w, const char *path, const char *entry)
{
	const char *base = strrchr(path, '/'), *why;

	base = base ? base + 1 : path;
	if ((why = silo_tree_name_refused(base, strlen(base), SILO_MODE_SYMLINK)))
		return unsafe(w, entry, why);
	return 0;
}

/* Refuse PATH if a directory above it is a symlink or a file of the archive. */
static int check_parents(struct walk *w, const char *path, const char *entry)
{
	const char *p;

	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		struct slot *s = map_find(&w->map, path, (size_t)(p - path));
		if (!s || s->kind == K_DIR)
			continue;
		if (s->kind == K_LINK) {
			char why[256];
			snprintf(why, sizeof(why), "goes through the symlink '%.*s'",
				 (int)(p - path) > 200 ? 200 : (int)(p - path), path);
			return unsafe(w, entry, why);
		}
		return silo__error_set(SILO_EINVALID,
			"archive '%s' has '%.*s' both as a file and as a directory",
			w->name, (int)(p - path), path);
	}
	return 0;
}

/* Record the directories above PATH, and PATH itself if IS_DIR. */
static int add_dirs(struct walk *w, const char *path, int is_dir)
{
	const char *p = path;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);

		if (!slash && !is_dir)
			return 0;
		if (!map_find(&w->map, path, len) && !map_add(&w->map, path, len, K_DIR))
			return silo_error_last();
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

/*
 * Holes of sparse files cost nothing to store and a lot to hash: a few
 * kilobytes of archive could declare exabytes of zeros.  An archive's
 * holes are limited to this, far above what real trees hold.
 */
#define MAX_HOLE_BYTES (64ULL << 30)

static int hash_zeros(struct walk *w, uint64_t n)
{
	if (n > MAX_HOLE_BYTES - w->holes)
		return silo__error_set(SILO_EINVALID,
			"archive '%s' declares more than %llu GiB of sparse holes",
			w->name, (unsigned long long)(MAX_HOLE_BYTES >> 30));
	w->holes += n;
	return hasher_zeros(w->h, n);
}

/* Content whose size the archive does not announce ahead (a streamed entry
 * of some formats): spool it, then hash it, as the size comes first. */
static int hash_unsized(struct walk *w, const char *entry, silo_oid *id, uint64_t *size)
{
	unsigned char *buf = NULL;
	uint64_t end = 0, pos;
	FILE *f = tmpfile();
	int ret = 0;

	if (!f)
		return silo__error_errno("cannot create a temporary file for '%s'", entry);
	for (;;) {
		const void *data;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(w->a, &data, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			ret = arc_error(w, entry);
			goto out;
		}
		if (off < 0 || fseeko(f, off, SEEK_SET) < 0 || fwrite(data, 1, len, f) != len) {
			ret = silo__error_errno("cannot write a temporary file for '%s'", entry);
			goto out;
		}
		if (w->hooks->data && (ret = w->hooks->data(w->hooks->payload, data, len, off)) < 0)
			goto out;
		if ((uint64_t)off + len > end)
			end = (uint64_t)off + len;
	}
	if (!(buf = malloc(TREE_READ_CHUNK))) {
		ret = silo__error_oom();
		goto out;
	}
	if (fflush(f) || fseeko(f, 0, SEEK_SET) < 0) {
		ret = silo__error_errno("cannot read a temporary file for '%s'", entry);
		goto out;
	}
	if ((ret = silo_hasher_begin(w->h, SILO_OBJ_BLOB, end)) < 0)
		goto out;
	for (pos = 0; pos < end;) {
		size_t want = end - pos < TREE_READ_CHUNK ? (size_t)(end - pos) : TREE_READ_CHUNK;
		size_t n = fread(buf, 1, want, f);
		if (n == 0) {
			ret = silo__error_errno("cannot read a temporary file for '%s'", entry);
			goto out;
		}
		if ((ret = silo_hasher_update(w->h, buf, n)) < 0)
			goto out;
		pos += n;
	}
	*size = end;
	ret = silo_hasher_final(id, w->h);
out:
	free(buf);
	fclose(f);
	return ret;
}

static int short_data(struct walk *w, const char *entry, uint64_t got, uint64_t size)
{
	return silo__error_set(SILO_EINVALID,
		"'%s' in archive '%s' has %llu bytes of data where its header declares %llu",
		entry, w->name, (unsigned long long)got, (unsigned long long)size);
}

/* Hash a regular file's content as it streams by, handing it to the hook. */
static int hash_content(struct walk *w, struct archive_entry *e, const char *entry,
			silo_oid *id, uint64_t *size_out)
{
	uint64_t size, pos = 0;
	/* Only a sparse entry may skip bytes: in any other, data short of
	 * the declared size is a lie (a few bytes of zip could declare 4 GB
	 * that would be hashed as zeros). */
	int sparse = archive_entry_sparse_count(e) > 0;
	int ret;

	if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
		return hash_unsized(w, entry, id, size_out);
	size = (uint64_t)archive_entry_size(e);
	if ((ret = silo_hasher_begin(w->h, SILO_OBJ_BLOB, size)) < 0)
		return ret;
	for (;;) {
		const void *data;
		size_t len;
		la_int64_t off;
		int r = archive_read_data_block(w->a, &data, &len, &off);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return arc_error(w, entry);
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off + len > size)
			return silo__error_set(SILO_EINVALID,
				"'%s' in archive '%s' has data outside its size", entry, w->name);
		if ((uint64_t)off > pos && !sparse)
			return short_data(w, entry, pos, size);
		if ((uint64_t)off > pos && (ret = hash_zeros(w, (uint64_t)off - pos)) < 0)
			return ret;
		if ((ret = silo_hasher_update(w->h, data, len)) < 0)
			return ret;
		if (w->hooks->data && (ret = w->hooks->data(w->hooks->payload, data, len, off)) < 0)
			return ret;
		pos = (uint64_t)off + len;
	}
	if (pos < size && !sparse)
		return short_data(w, entry, pos, size);
	if (pos < size && (ret = hash_zeros(w, size - pos)) < 0)	/* a trailing hole */
		return ret;
	*size_out = size;
	return silo_hasher_final(id, w->h);
}

static int set_leaf(struct walk *w, struct slot *s, const char *path, int kind,
		    unsigned mode, const silo_oid *id, uint64_t size)
{
	struct silo_tree_entry *le;
	char *copy;
	int ret;

	if (s) {
		/* A later entry replaces an earlier one, as on extraction. */
		le = &w->list.v[s->leaf];
		le->mode = mode;
		le->id = *id;
		le->size = size;
		s->kind = kind;
		return 0;
	}
	if ((ret = add_dirs(w, path, 0)) < 0)
		return ret;
	if (!(copy = strdup(path)))
		return silo__error_oom();
	if ((ret = tree_list_push(&w->list, copy, mode, id, size)) < 0)
		return ret;
	if (!(s = map_add(&w->map, path, strlen(path), kind)))
		return silo_error_last();
	s->leaf = w->list.n - 1;
	return 0;
}

static const char *type_name(unsigned type)
{
	switch (type) {
	case AE_IFIFO: return "a fifo";
	case AE_IFSOCK: return "a socket";
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	default: return "of an unknown type";
	}
}

/*
 * Zip compressions whose decoders take as much memory as the entry's own
 * header asks: libarchive gives liblzma no limit, so a few bytes of
 * lzma or xz data could claim gigabytes (and PPMd up to 256 MB).  Source
 * trees are stored, deflated, or else bzip2 or zstd compressed.
 */
static int check_zip_method(struct walk *w, const char *raw)
{
	static const char *const refused[] = { "(lzma)", "(xz)", "(ppmd" };
	const char *f = archive_format_name(w->a), *p;
	size_t i;

	if (!f || strncmp(f, "ZIP ", 4))
		return 0;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if ((p = strstr(f, refused[i])))
			return silo__error_set(SILO_EINVALID,
				"'%s' in archive '%s' is compressed with %.*s, which is not read: "
				"its decoder takes as much memory as the archive asks",
				raw, w->name, (int)strcspn(p + 1, ")"), p + 1);
	return 0;
}

static int do_entry(struct walk *w, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e), *hardlink = archive_entry_hardlink(e);
	unsigned type = archive_entry_filetype(e);
	const char *path;
	struct slot *s;
	silo_oid id;
	uint64_t size = 0;
	unsigned mode;
	int kind, ret;

	if (!raw)
		return silo__error_set(SILO_EINVALID, "archive '%s' has an entry without a name",
				       w->name);
	if ((ret = check_zip_method(w, raw)) < 0 ||
	    (ret = normalise(w, &w->path, raw, raw)) < 0)
		return ret;
	path = w->path.buf;
	if (!hardlink && type != AE_IFDIR && type != AE_IFREG && type != AE_IFLNK)
		return silo__error_set(SILO_EINVALID,
			"'%s' in archive '%s' is %s: a tree holds only files, symlinks and directories",
			raw, w->name, type_name(type));
	if (!*path) {
		if (type == AE_IFDIR && !hardlink)
			return 0;	/* the top directory itself */
		return silo__error_set(SILO_EINVALID, "archive '%s' has a file named '%s'",
				       w->name, raw);
	}
	if ((ret = check_parents(w, path, raw)) < 0)
		return ret;
	s = map_find(&w->map, path, strlen(path));
	if (type == AE_IFDIR && !hardlink) {
		if (s && s->kind == K_LINK)
			return unsafe(w, raw, "a directory over a symlink of the archive");
		if (s && s->kind == K_FILE)
			return silo__error_set(SILO_EINVALID,
				"archive '%s' has '%s' both as a file and as a directory", w->name, path);
		archive_entry_copy_pathname(e, path);
		if (w->hooks->header && (ret = w->hooks->header(w->hooks->payload, e, path)) < 0)
			return ret;
		if (w->hooks->finish && (ret = w->hooks->finish(w->hooks->payload, e, path)) < 0)
			return ret;
		return add_dirs(w, path, 1);
	}
	if (s && s->kind == K_DIR)
		return silo__error_set(SILO_EINVALID,
			"archive '%s' has '%s' both as a directory and as a file", w->name, path);
	archive_entry_copy_pathname(e, path);
	if (w->hooks->replaces)
		*w->hooks->replaces = s != NULL;
	if (hardlink) {
		struct slot *t;

		if ((ret = normalise(w, &w->target, hardlink, raw)) < 0)
			return ret;
		if ((ret = check_parents(w, w->target.buf, raw)) < 0)
			return ret;
		t = map_find(&w->map, w->target.buf, w->target.len);
		if (!t || t->kind == K_DIR || !strcmp(w->target.buf, path))
			return silo__error_set(SILO_EINVALID,
				"'%s' in archive '%s' is a hard link to '%s', not to a file before it",
				raw, w->name, hardlink);
		kind = t->kind;
		mode = w->list.v[t->leaf].mode;
		if (mode == SILO_MODE_SYMLINK && (ret = check_link_name(w, path, raw)) < 0)
			return ret;
		id = w->list.v[t->leaf].id;
		size = w->list.v[t->leaf].size;
		archive_entry_copy_hardlink(e, w->target.buf);
		/* A link shares its target's content: any data it carries is ignored. */
		archive_entry_set_size(e, 0);
		if (w->hooks->header && (ret = w->hooks->header(w->hooks->payload, e, path)) < 0)
			return ret;
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);

		if (!target)
			return silo__error_set(SILO_EINVALID,
				"symlink '%s' in archive '%s' has no target", raw, w->name);
		kind = K_LINK;
		mode = SILO_MODE_SYMLINK;
		if ((ret = check_link_name(w, path, raw)) < 0)
			return ret;
		size = strlen(target);
		if ((ret = silo_oid_hash_buffer(&id, w->list.format, SILO_OBJ_BLOB,
						target, size)) < 0)
			return ret;
		if (w->hooks->header && (ret = w->hooks->header(w->hooks->payload, e, path)) < 0)
			return ret;
	} else {
		kind = K_FILE;
		/* git records only the owner's execute bit. */
		mode = (archive_entry_perm(e) & 0100) ? SILO_MODE_EXEC : SILO_MODE_FILE;
		if (w->hooks->header && (ret = w->hooks->header(w->hooks->payload, e, path)) < 0)
			return ret;
		if ((ret = hash_content(w, e, raw, &id, &size)) < 0)
			return ret;
	}
	if (w->hooks->finish && (ret = w->hooks->finish(w->hooks->payload, e, path)) < 0)
		return ret;
	/* The hooks may have changed the buffer's address, not its content. */
	return set_leaf(w, s, w->path.buf, kind, mode, &id, size);
}

int tree_archive_walk(struct silo_tree_list *out, int format,
		      silo_read_fn src, void *payload, const char *name,
		      const struct tree_archive_hooks *hooks)
{
	static const struct tree_archive_hooks no_hooks;
	locale_t old_locale;
	struct walk w;
	int ret, spool_fd = -1;

	if (!silo_oid_rawsz(format))
		return silo__error_set(SILO_EINVALID, "unknown object format %d", format);
	old_locale = tree_locale_enter();
	memset(&w, 0, sizeof(w));
	w.name = name;
	w.hooks = hooks ? hooks : &no_hooks;
	w.src.fn = src;
	w.src.payload = payload;
	w.list.format = format;
	if ((ret = silo_hasher_new(&w.h, format)) < 0)
		goto out;
	if (!(w.a = archive_read_new())) {
		ret = silo__error_oom();
		goto out;
	}
	/*
	 * Only the formats and compressions of source trees, each decoded
	 * in this process.  libarchive's "all" would also take mtree, a
	 * list of files that it reads from the local disk (so an object
	 * could name a file of the machine that expands it), and filters
	 * that run external programs chosen by the first bytes of the data.
	 * A compression whose library libarchive lacks would make it fall
	 * back to a program (ARCHIVE_WARN): that is refused too.
	 */
	if (archive_read_support_format_tar(w.a) != ARCHIVE_OK ||
	    archive_read_support_format_zip(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_lzma(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_lzip(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(w.a) != ARCHIVE_OK ||
	    archive_read_support_filter_lz4(w.a) != ARCHIVE_OK) {
		ret = arc_error(&w, NULL);
		goto out;
	}
	if ((ret = src_sniff(&w.src)) < 0)
		goto out;
	if (!w.src.head.len) {
		/* Most likely a failed download: no format reads as an empty tree. */
		ret = silo__error_set(SILO_EINVALID, "archive '%s' is empty", name);
		goto out;
	}
	if (is_zip(&w.src.head)) {
		if ((ret = src_spool(&w.src, &spool_fd, name)) < 0)
			goto out;
		if (archive_read_open_fd(w.a, spool_fd, 128 * 1024) != ARCHIVE_OK) {
			ret = arc_error(&w, NULL);
			goto out;
		}
	} else if (archive_read_open(w.a, &w.src, NULL, src_read, NULL) != ARCHIVE_OK) {
		ret = arc_error(&w, NULL);
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(w.a, &e);

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			ret = arc_error(&w, NULL);
			goto out;
		}
		if ((ret = do_entry(&w, e)) < 0)
			goto out;
	}
	tree_list_sort(&w.list);
	silo_tree_list_release(out);
	*out = w.list;
	w.list.v = NULL;
	w.list.n = w.list.alloc = 0;
	ret = 0;
out:
	if ((ret == SILO_EINVALID || ret == SILO_EUNSAFE) && !w.src.code) {
		int r = src_drain(&w.src);
		if (r == SILO_ECORRUPT)
			ret = r;
	}
	if (w.a)
		archive_read_free(w.a);
	if (spool_fd >= 0)
		close(spool_fd);
	silo_tree_list_release(&w.list);
	map_release(&w.map);
	silo_hasher_free(w.h);
	strbuf_release(&w.path);
	strbuf_release(&w.target);
	strbuf_release(&w.src.head);
	tree_locale_leave(old_locale);
	return ret;
}

int silo_tree_list_archive(struct silo_tree_list *out, int format,
			   silo_read_fn src, void *payload, const char *name)
{
	return tree_archive_walk(out, format, src, payload, name, NULL);
}
