/*
 * Objects packed in a silo served over HTTP(S), read without any program
 * on the server.  The remote's pack/packs lists its packs (git's
 * objects/info/packs format: "P pack-<hex>.pack" lines).  For each pack,
 * the index is fetched once, checked against its own checksum and the
 * pack's name, and kept beside the cache.  An object is then read with
 * range requests: its entry, and the entries of its delta bases, are
 * written at their offsets into a sparse local copy of the pack, which
 * the ordinary, bounds-checked pack reader maps and resolves.  The result
 * is checked against its id and stored in the cache as a loose object, so
 * that the next read needs no network.  The pack's header and trailer are
 * not fetched: the index gives its object count and its name is its
 * trailer, so an object with no delta base is one request.  A server that
 * ignores ranges sends the whole pack instead: the transfer stops at the
 * end of the range, and only the range is written.
 */
#include "remote-internal.h"
#include "alloc.h"
#include "pack.h"
#include "byteorder.h"
#include "http.h"
#include "error-internal.h"
#include "fsutil.h"
#include "silo/tree.h"
#include "tree-pack-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CHAIN 10000

/*
 * A .moved file names the packs a repack spread a removed pack over, the
 * one holding most of its objects first (silo-layout(5)).  A reader
 * follows at most MOVED_NAMES_MAX names of one (reading at most
 * MOVED_BYTES_MAX bytes of it), and a handle spends at most
 * MOVED_LOOKUPS_MAX requests on .moved files and on the indexes of the
 * packs they name; past that it reads pack/packs instead, once.  A
 * pack's index that is not there is asked for once.  So a .moved file
 * naming thousands of packs, or a chain of them, costs a bounded number
 * of requests, not several for every name.
 */
#define MOVED_NAMES_MAX 16
#define MOVED_BYTES_MAX 4096
#define MOVED_LOOKUPS_MAX 32

struct remote_pack {
	char name[96];		/* "pack-<hex>" */
	unsigned char *idx;	/* the verified index, whole */
	size_t idx_size;
	uint64_t *sorted;	/* entry offsets, sorted: where entries end */
	uint32_t nr;
	uint64_t pack_size;	/* the pack's size, once learned; 0 before */
	int size_kept;		/* pack_size is the one kept in the cache, which
				 * no answer has confirmed yet */
	int hinted;		/* a treeptr named it, or a .moved file */
	int via_moved;		/* a .moved file named it */
	int gone;		/* its index is not on the server */
	int moved_read;		/* its .moved file was asked for */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void remote_packs_free(silo_remote *r)
{
	size_t i;

	for (i = 0; i < r->n_packs; i++) {
		free(r->packs[i].idx);
		free(r->packs[i].sorted);
	}
	free(r->packs);
	r->packs = NULL;
	r->n_packs = r->alloc_packs = 0;
}

static int known_pack(const silo_remote *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_packs; i++)
		if (!strcmp(r->packs[i].name, name))
			return 1;
	return 0;
}

/* "pack-<hex>" of FORMAT? */
static int pack_name_is_base(const char *name, int format)
{
	char file[128];

	snprintf(file, sizeof(file), "%s.pack", name);
	return strlen(name) < 100 && pack_name_is(file, format, "pack");
}

/* Read pack/packs; a silo without one has no packs to offer. */
static int load_pack_list(silo_remote *r)
{
	enum http_result result;
	char error[512], *text = NULL, *url, *line, *save = NULL;
	size_t len;
	int ret;

	if (r->packs_loaded)
		return 0;
	if (!(url = fs_join(r->url, "pack/packs")))
		return silo__error_oom();
	ret = http_get_buffer(url, &text, &len, &result, error, sizeof(error));
	if (ret == 0 && result == HTTP_FAILED)
		ret = silo__error_set(SILO_ENET, "cannot fetch '%s': %s", url, error);
	if (ret == 0 && result == HTTP_OK) {
		for (line = strtok_r(text, "\n", &save); line && !ret;
		     line = strtok_r(NULL, "\n", &save)) {
			struct remote_pack *v;
			char name[96];
			if (line[0] != 'P' || line[1] != ' ' ||
			    !pack_name_is(line + 2, r->format, "pack"))
				continue;	/* other kinds of lines are for others */
			snprintf(name, sizeof(name), "%.*s", (int)(strlen(line + 2) - 5), line + 2);
			if (known_pack(r, name))
				continue;
			if (ALLOC_GROW(r->packs, r->n_packs + 1, r->alloc_packs) < 0) {
				ret = silo__error_oom();
				break;
			}
			v = r->packs;
			memset(&v[r->n_packs], 0, sizeof(*v));
			memcpy(v[r->n_packs].name, name, sizeof(name));
			r->n_packs++;
		}
	}
	free(text);
	free(url);
	if (!ret)
		r->packs_loaded = 1;
	return ret;
}

/* Check an index's trailer checksum and that it names pack NAME. */
static int check_index(const unsigned char *idx, size_t size, int format,
		       const char *name, const char *url)
{
	size_t rawsz = silo_oid_rawsz(format);
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_hasher *h;
	silo_oid sum, named;
	int ret;

	if (size < 8 + 256 * 4 + 2 * rawsz)
		return silo__error_set(SILO_ECORRUPT, "'%s': index is truncated", url);
	if ((ret = silo_hasher_new(&h, format)) < 0)
		return ret;
	if ((ret = silo_hasher_begin_raw(h)) == 0 &&
	    (ret = silo_hasher_update(h, idx, size - rawsz)) == 0)
		ret = silo_hasher_final(&sum, h);
	silo_hasher_free(h);
	if (ret < 0)
		return ret;
	if (memcmp(sum.hash, idx + size - rawsz, rawsz))
		return silo__error_set(SILO_ECORRUPT, "'%s': index checksum mismatch", url);
	silo_oid_from_raw(&named, format, idx + size - 2 * rawsz);
	if (strcmp(name + 5, silo_oid_to_hex(hex, &named)))
		return silo__error_set(SILO_ECORRUPT,
			"'%s': index belongs to pack-%s, not %s", url, hex, name);
	return 0;
}

/*
 * "<DIR>/<name>.size": the size of pack P, as a range response gave it
 * (Content-Range), kept beside its index so that a later read of its
 * last entry needs no request for the pack's frame.  Only a hint, used
 * while it is consistent: with P's index when it is read (the pack must
 * hold every entry the index lists, and its trailer), and with the first
 * answer of the next read of P, whose Content-Range gives the size
 * again.  A contradiction drops it (the read starts over without it):
 * one lying answer cannot make every later read of the pack fail.
 */
static char *size_path(const struct remote_pack *p, const char *dir)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s.size", p->name);
	return fs_join(dir, rel);
}

/* 1 if a pack of SIZE bytes can hold the entries P's index lists and
 * the trailer (RAWSZ bytes) after them. */
static int size_fits(const struct remote_pack *p, uint64_t size, size_t rawsz)
{
	if (size < 12 + rawsz)
		return 0;
	if (!p->nr)
		return size == 12 + rawsz;
	return size - rawsz > p->sorted[p->nr - 1];
}

static void load_size(struct remote_pack *p, const char *dir, size_t rawsz)
{
	char *path = size_path(p, dir), *text = NULL, *end;
	unsigned long long v;
	size_t len;

	if (path && fs_read_file(&text, &len, path, 32) == 0) {
		errno = 0;
		v = len && text[len - 1] == '\n' ? strtoull(text, &end, 10) : 0;
		if (!errno && v && end == text + len - 1 && size_fits(p, v, rawsz)) {
			p->pack_size = v;
			p->size_kept = 1;
		} else {
			unlink(path);	/* damaged, or not this pack's */
		}
	}
	silo_error_clear();
	free(text);
	free(path);
}

/* Keep SIZE, which an answer gave and P's index allows, as P's size. */
static void remember_size(struct remote_pack *p, silo_remote *r, uint64_t size)
{
	char *dir = NULL, *path = NULL, text[32];

	p->size_kept = 0;
	if (!size || p->pack_size == size)
		return;
	p->pack_size = size;
	if (remote_index_dir(&dir, r->format) == 0 && (path = size_path(p, dir))) {
		snprintf(text, sizeof(text), "%llu\n", (unsigned long long)size);
		fs_write_file_atomic(path, text, strlen(text));
	}
	silo_error_clear();
	free(path);
	free(dir);
}

/* Drop the size of P kept in the cache: an answer contradicted it. */
static void forget_size(struct remote_pack *p, silo_remote *r)
{
	char *dir = NULL, *path = NULL;

	p->pack_size = 0;
	p->size_kept = 0;
	if (remote_index_dir(&dir, r->format) == 0 && (path = size_path(p, dir)))
		unlink(path);
	free(path);
	free(dir);
}

/* Load (from beside the cache, or the server) and check P's index. */
static int load_index(silo_remote *r, struct remote_pack *p, silo *cache)
{
	char *dir = NULL, *path = NULL, *url = NULL, *tmp = NULL, *text = NULL;
	char rel[128], error[512];
	enum http_result result;
	size_t len = 0, rawsz = silo_oid_rawsz(r->format), i, ofs_end;
	int fd = -1, ret;
	struct stat st;

	if (p->idx)
		return 0;
	(void)cache;
	snprintf(rel, sizeof(rel), "pack/%s.idx", p->name);
	if ((ret = remote_index_dir(&dir, r->format)) < 0)
		return ret;
	if (!(path = fs_join(dir, rel + 5)) || !(url = fs_join(r->url, rel))) {
		ret = silo__error_oom();
		goto out;
	}
	fd = fs_open_regular(path, path, SILO_ECORRUPT);
	if (fd >= 0 && fstat(fd, &st) == 0 && (text = malloc((size_t)st.st_size + 1)) &&
	    fs_read_full(fd, text, (size_t)st.st_size, path) == st.st_size &&
	    check_index((unsigned char *)text, (size_t)st.st_size, r->format, p->name, path) == 0) {
		len = (size_t)st.st_size;
	} else if (p->gone) {
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' is not on the server", url);
	} else if (p->via_moved && r->moved_lookups >= MOVED_LOOKUPS_MAX) {
		/* Not asked for: pack/packs is read instead. */
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' not looked up: %d lookups "
				      "through .moved files already", url, MOVED_LOOKUPS_MAX);
	} else {
		free(text);
		text = NULL;
		if (p->via_moved)
			r->moved_lookups++;
		ret = http_get_buffer(url, &text, &len, &result, error, sizeof(error));
		if (ret == 0 && result == HTTP_NOT_FOUND)
			p->gone = 1;
		if (ret == 0 && result != HTTP_OK)
			ret = silo__error_set(result == HTTP_NOT_FOUND ? SILO_ENOTFOUND : SILO_ENET,
					      "cannot fetch '%s': %s", url, error);
		if (ret == 0)
			ret = check_index((unsigned char *)text, len, r->format, p->name, url);
		/* Keep it for next time: indexes are named by content. */
		if (ret == 0 && fs_mkdir_p(dir, 0777) == 0) {
			int tfd, ok;
			if (fs_tmpfile(&tfd, &tmp, dir, "tmp_idx_") == 0) {
				ok = fs_write_all(tfd, text, len, tmp) == 0 && fsync(tfd) == 0;
				if (close(tfd) < 0)
					ok = 0;
				/* Renamed over a damaged copy: the name is the
				 * content, so replacing is always safe. */
				if (!ok || rename(tmp, path) < 0)
					unlink(tmp);
			}
		}
	}
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		goto out;
	{
		/* The server is not trusted: the index gets every check a
		 * local one gets before anything is looked up in it. */
		struct pack shape;
		memset(&shape, 0, sizeof(shape));
		shape.relidx = url;
		shape.idx = (unsigned char *)text;
		shape.idx_size = len;
		shape.format = r->format;
		shape.rawsz = rawsz;
		if ((ret = pack_index_check(&shape)) < 0)
			goto out;
	}
	p->idx = (unsigned char *)text;
	p->idx_size = len;
	text = NULL;
	p->nr = get_be32(p->idx + 8 + 255 * 4);
	ofs_end = 8 + 256 * 4 + (size_t)p->nr * (rawsz + 8);
	/* Offsets, sorted, tell where each entry ends. */
	if (!(p->sorted = malloc(((size_t)p->nr + 1) * sizeof(*p->sorted)))) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < p->nr; i++) {
		const unsigned char *o = p->idx + 8 + 256 * 4 + (size_t)p->nr * (rawsz + 4) + 4 * i;
		uint32_t v = get_be32(o);
		if (v & 0x80000000u) {
			size_t k = v & 0x7fffffffu;
			const unsigned char *o64 = p->idx + ofs_end + 8 * k;
			if (ofs_end + 8 * k + 8 + 2 * rawsz > len) {
				ret = silo__error_set(SILO_ECORRUPT, "'%s': bad 64-bit offset", url);
				goto out;
			}
			p->sorted[i] = get_be64(o64);
		} else {
			p->sorted[i] = v;
		}
	}
	qsort(p->sorted, p->nr, sizeof(*p->sorted), cmp_u64);
	load_size(p, dir, rawsz);
out:
	if (ret < 0) {
		free(p->idx);
		p->idx = NULL;
		free(p->sorted);
		p->sorted = NULL;
	}
	free(text);
	free(tmp);
	free(dir);
	free(path);
	free(url);
	return ret;
}

/* The offset of the POS-th entry of RP's index. */
static uint64_t idx_offset(const struct remote_pack *rp, uint32_t pos, size_t rawsz)
{
	size_t ofs = 8 + 256 * 4 + (size_t)rp->nr * (rawsz + 4) + 4 * (size_t)pos;
	uint32_t v = get_be32(rp->idx + ofs);

	if (v & 0x80000000u)
		return get_be64(rp->idx + 8 + 256 * 4 + (size_t)rp->nr * (rawsz + 8) +
				8 * (size_t)(v & 0x7fffffffu));
	return v;
}

/* The offset of the entry after the one at OFF: 1 and *next set, or 0
 * when OFF is the last entry. */
static int next_offset(const struct remote_pack *p, uint64_t off, uint64_t *next)
{
	size_t lo = 0, hi = p->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->sorted[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	*next = lo < p->nr ? p->sorted[lo] : 0;
	return lo < p->nr;
}

/* The work area: WORK/pack/<name>.idx and a sparse WORK/pack/<name>.pack. */
struct sparse {
	const struct remote_pack *rp;
	size_t rawsz;
	char *work;
	char *pack_path;
	int fd;
	uint64_t size;		/* the pack's size; 0 while unknown */
	int size_kept;		/* SIZE is the one kept in the cache, unconfirmed */
	int contradicted;	/* an answer gave another size than the kept one */
	uint64_t *have;		/* entry offsets fetched */
	size_t n_have, alloc_have;
};

#define SPARSE_INIT { NULL, 0, NULL, NULL, -1, 0, 0, 0, NULL, 0, 0 }

static int sparse_has(const struct sparse *sp, uint64_t off)
{
	size_t i;

	for (i = 0; i < sp->n_have; i++)
		if (sp->have[i] == off)
			return 1;
	return 0;
}

static int fetch_span(struct sparse *sp, const char *url, uint64_t off, uint64_t len)
{
	enum http_result result;
	char error[512];
	uint64_t total;
	int ret;

	if (len == 0)
		return 0;
	ret = http_get_range(url, off, len, sp->fd, &total, &result,
			     error, sizeof(error));
	if (ret < 0)
		return ret;
	/* The size kept in the cache, not the server's: the range was
	 * planned with it, maybe past the end.  The caller starts over. */
	if (sp->size_kept && total && total != sp->size) {
		sp->contradicted = 1;
		return silo__error_set(SILO_ENET, "'%s' is %llu bytes, not the %llu kept in the cache",
				       url, (unsigned long long)total,
				       (unsigned long long)sp->size);
	}
	if (result != HTTP_OK)
		return silo__error_set(result == HTTP_NOT_FOUND ? SILO_ENOTFOUND : SILO_ENET,
				       "cannot fetch '%s': %s", url, error);
	if (!sp->size && !total)
		return silo__error_set(SILO_ENET,
			"cannot fetch '%s': the server sent neither the range asked for nor the file's size",
			url);
	if (total && !size_fits(sp->rp, total, sp->rawsz))
		return silo__error_set(SILO_ECORRUPT,
				       "'%s' is %llu bytes, too small for the entries its index lists",
				       url, (unsigned long long)total);
	if (!sp->size)
		sp->size = total;
	else if (total && total != sp->size)
		return silo__error_set(SILO_ECORRUPT, "'%s' changed size while being read", url);
	if (total)
		sp->size_kept = 0;	/* confirmed */
	return 0;
}

static void sparse_free(struct sparse *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->work)
		silo_tree_remove(sp->work);
	free(sp->work);
	free(sp->pack_path);
	free(sp->have);
}

/* Make the work area of SP in DIR: a new WORK directory holding
 * pack/NAME.idx (RP's index, durable) and an empty pack/NAME.pack. */
static int sparse_open(struct sparse *sp, const struct remote_pack *rp, int format,
		       const char *dir)
{
	char *packdir = NULL, *idxpath = NULL, rel[128];
	int ifd = -1, ret = 0;

	sp->rp = rp;
	sp->rawsz = silo_oid_rawsz(format);
	if (!(sp->work = fs_join(dir, "tmp_work_XXXXXX")))
		return silo__error_oom();
	if (!mkdtemp(sp->work)) {
		ret = silo__error_errno("cannot create '%s'", sp->work);
		free(sp->work);
		sp->work = NULL;
		return ret;
	}
	snprintf(rel, sizeof(rel), "%s.idx", rp->name);
	if (!(packdir = fs_join(sp->work, "pack")) || mkdir(packdir, 0700) < 0 ||
	    !(idxpath = fs_join(packdir, rel))) {
		ret = silo__error_errno("cannot set up '%s'", sp->work);
		goto out;
	}
	/* The index kept beside the cache, linked: no copy to write and
	 * flush for each object read.  The pack reader checks it again. */
	{
		char *kept = fs_join(dir, rel);
		int linked = kept && link(kept, idxpath) == 0;
		free(kept);
		if (linked)
			goto pack;
	}
	if ((ifd = open(idxpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    fs_write_all(ifd, rp->idx, rp->idx_size, idxpath) < 0 ||
	    /* durable before it may be linked into the cache */
	    fsync(ifd) < 0) {
		ret = silo__error_errno("cannot set up '%s'", sp->work);
		if (ifd >= 0)
			close(ifd);
		goto out;
	}
	if (close(ifd) < 0) {
		ret = silo__error_errno("cannot write '%s'", idxpath);
		goto out;
	}
pack:
	snprintf(rel, sizeof(rel), "%s.pack", rp->name);
	if (!(sp->pack_path = fs_join(packdir, rel))) {
		ret = silo__error_oom();
		goto out;
	}
	sp->fd = open(sp->pack_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sp->fd < 0)
		ret = silo__error_errno("cannot create '%s'", sp->pack_path);
out:
	free(packdir);
	free(idxpath);
	return ret;
}

/* Fetch the header and the trailer of the pack at URL into SP, which
 * pack_open() checks. */
static int fetch_frame(struct sparse *sp, const char *url, size_t rawsz)
{
	int ret;

	if ((ret = fetch_span(sp, url, 0, 12)) < 0)
		return ret;
	if (sp->size < 12 + rawsz)
		return silo__error_set(SILO_ECORRUPT, "'%s' is truncated", url);
	if (ftruncate(sp->fd, (off_t)sp->size) < 0)
		return silo__error_errno("cannot size '%s'", sp->pack_path);
	return fetch_span(sp, url, sp->size - rawsz, rawsz);
}

/*
 * Walk the delta chain of the entry at TARGET, fetching each entry SP
 * lacks.  A fetched entry is seen only by a fresh mapping, so *p (the
 * pack REL of SP's work area) is mapped again after each.
 */
static int fetch_chain(struct sparse *sp, const struct remote_pack *rp, const char *url,
		       const char *rel, int format, struct pack **p, uint64_t target)
{
	size_t rawsz = silo_oid_rawsz(format);
	uint64_t cur = target;
	int ret, steps;

	for (steps = 0; ; steps++) {
		struct pack_entry e;
		if (steps > MAX_CHAIN)
			return silo__error_set(SILO_ECORRUPT,
					       "'%s': delta chain too long or looping", url);
		if (!sparse_has(sp, cur)) {
			uint64_t next;
			int has_next = next_offset(rp, cur, &next);
			uint64_t end = pack_entry_end(has_next, next, sp->size, rawsz);
			if (end <= cur || end > sp->size - rawsz)
				return silo__error_set(SILO_ECORRUPT, "'%s': bad entry offset %llu",
						       url, (unsigned long long)cur);
			if ((ret = fetch_span(sp, url, cur, end - cur)) < 0)
				return ret;
			if (ALLOC_GROW(sp->have, sp->n_have + 1, sp->alloc_have) < 0)
				return silo__error_oom();
			sp->have[sp->n_have++] = cur;
			pack_close(*p);
			*p = NULL;
			if ((ret = pack_open(p, sp->work, rel, format)) < 0)
				return ret;
		}
		if ((ret = pack_entry_at(*p, cur, &e)) < 0)
			return ret;
		if (e.type != PACK_OFS_DELTA && e.type != PACK_REF_DELTA)
			break;
		cur = e.base;
	}
	return 0;
}

/* The object at OFFSET of P, deltas resolved, into a new buffer *out
 * (owned by the caller). */
static int copy_object(struct pack *p, uint64_t offset, unsigned char **out,
		       size_t *out_size, int *out_type)
{
	struct pack_cache *cache = NULL;
	const unsigned char *data;
	size_t size;
	int owned, ret;

	if ((ret = pack_cache_new(&cache, 64u << 20)) < 0)
		return ret;
	if ((ret = pack_read(p, cache, offset, out_type, &data, &size, &owned)) == 0) {
		if ((*out = malloc(size ? size : 1))) {
			memcpy(*out, data, size);
			*out_size = size;
		} else {
			ret = silo__error_oom();
		}
		if (owned)
			free((void *)data);
	}
	pack_cache_free(cache);
	return ret;
}

/* Blobs up to this size are put from memory; larger ones through a spool
 * file, so that memory stays bounded. */
#define SMALL_BLOB (1u << 20)

/*
 * The object at TARGET of P, checked against ID as it streams: a blob
 * goes into CACHE as a loose object, through a spool when larger than
 * SMALL_BLOB (memory stays bounded however large it is; *out is NULL),
 * put into the writer BATCH
 * when not NULL (the caller commits) or committed at once; anything else
 * (a tree object) into *out, owned by the caller.  An object that is not
 * of SIZE bytes (UINT64_MAX: any) is refused before it is read: a delta
 * of a few bytes can declare gigabytes.
 */
static int deliver_object(struct pack *p, uint64_t target, const silo_oid *id, uint64_t size,
			  silo *cache, silo_writer *batch, unsigned char **out,
			  size_t *out_size, int *out_type)
{
	struct pack_cache *pc = NULL;
	silo_stream *st = NULL;
	silo_writer *w = batch;
	silo_spool *spool = NULL;
	unsigned char *buf = NULL;
	size_t have = 0, len;
	const void *d;
	silo_oid got;
	int ret;

	*out = NULL;
	*out_size = 0;
	if ((ret = pack_cache_new(&pc, 64u << 20)) < 0 ||
	    (ret = pack_stream_open(&st, p, pc, target, id)) < 0)
		goto out;
	*out_type = silo_stream_type(st);
	if (size != UINT64_MAX && silo_stream_size(st) != size) {
		ret = silo__error_set(SILO_ECORRUPT, "its entry is a %s of %llu bytes, not %llu",
				      silo_object_type_name(*out_type),
				      (unsigned long long)silo_stream_size(st),
				      (unsigned long long)size);
		goto out;
	}
	if (*out_type == SILO_OBJ_BLOB && silo_stream_size(st) > SMALL_BLOB) {
		if ((!w && (ret = silo_writer_new(&w, cache)) < 0) ||
		    (ret = silo_spool_new(&spool, w)) < 0)
			goto out;
		while ((ret = silo_stream_read(st, &d, &len)) > 0)
			if ((ret = silo_spool_write(spool, d, len)) < 0)
				break;
		if (ret == 0 && (ret = silo_spool_put(&got, spool)) == 0 && !batch)
			ret = silo_writer_commit(w, NULL);
		goto out;
	}
	if (silo_stream_size(st) > (256u << 20)) {
		ret = silo__error_set(SILO_ECORRUPT, "a %s of %llu bytes is too large",
				      silo_object_type_name(*out_type),
				      (unsigned long long)silo_stream_size(st));
		goto out;
	}
	if (!(buf = malloc((size_t)silo_stream_size(st) + 1))) {
		ret = silo__error_oom();
		goto out;
	}
	while ((ret = silo_stream_read(st, &d, &len)) > 0) {
		if (len > silo_stream_size(st) - have) {
			ret = silo__error_set(SILO_ECORRUPT, "object is longer than its header says");
			break;
		}
		memcpy(buf + have, d, len);
		have += len;
	}
	if (ret == 0 && *out_type == SILO_OBJ_BLOB) {
		/* A small blob, whole and checked: stored from memory. */
		if ((!w && (ret = silo_writer_new(&w, cache)) < 0) ||
		    (ret = silo_writer_put_buffer(&got, w, buf, have)) < 0)
			goto out;
		if (!batch)
			ret = silo_writer_commit(w, NULL);
	} else if (ret == 0) {
		*out = buf;
		*out_size = have;
		buf = NULL;
	}
out:
	free(buf);
	silo_spool_free(spool);
	if (w != batch)
		silo_writer_free(w);
	silo_stream_free(st);
	pack_cache_free(pc);
	return ret;
}

/* Make the fetched entries of SP a pack the pack reader opens: its
 * header and trailer are known without asking the server (the object
 * count is the index's, the trailer is the pack's name), so only the
 * size must be known, and every object read is checked against its id
 * anyway. */
static int write_frame(struct sparse *sp, const struct remote_pack *rp, int format)
{
	size_t rawsz = silo_oid_rawsz(format);
	unsigned char head[12];
	silo_oid sum;
	int ret;

	if ((ret = silo_oid_from_hex(&sum, format, rp->name + 5)) < 0)
		return ret;
	memcpy(head, "PACK", 4);
	put_be32(head + 4, 2);
	put_be32(head + 8, rp->nr);
	if (ftruncate(sp->fd, (off_t)sp->size) < 0 ||
	    pwrite(sp->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    pwrite(sp->fd, sum.hash, rawsz, (off_t)(sp->size - rawsz)) != (ssize_t)rawsz)
		return silo__error_errno("cannot write '%s'", sp->pack_path);
	return 0;
}

/* ---- many objects of one pack: adjacent entries in one request ---- */

#define RUN_MAX (64u << 20)	/* bytes one request may bring at most */

/* One object to read: its offset and id; ITEM (a batch's, its status
 * set) or DATA, SIZE and TYPE (a single read: any type, deliver_object()
 * says where it goes) or neither; RET, how it went. */
struct want {
	uint64_t off;
	const silo_oid *id;
	uint64_t want;		/* its size; UINT64_MAX: not known */
	struct silo_fetch_item *item;
	unsigned char **data;
	size_t *size;
	int *type;
	int ret;
};

static int by_offset(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static void item_failed(struct silo_fetch_item *item, int ret)
{
	item->status = ret;
	snprintf(item->message, sizeof(item->message), "%s", silo_error_message());
}

/*
 * The N wanted objects V of pack RP, sorted by offset, through a sparse
 * copy of the pack (*CONTRADICTED set if an answer gave another size than
 * the one kept in the cache, which was used): each run of adjacent entries in one range request
 * (the pack's frame written locally: write_frame(); fetched first only
 * when the last entry is wanted and the pack's size is not known yet),
 * then each object, its delta bases fetched as needed, delivered
 * (deliver_object(), BATCH its writer).  A server that ignores ranges
 * sends the whole pack from its start: only each range is kept.
 */
static int read_run_objects(silo_remote *r, struct remote_pack *rp, silo *cache,
			    struct want *v, size_t n, silo_writer *batch, int *contradicted)
{
	size_t rawsz = silo_oid_rawsz(r->format), i, j;
	struct sparse sp = SPARSE_INIT;
	struct pack *p = NULL;
	char *dir = NULL, *url = NULL, rel[128];
	int ret, framed = 0;

	snprintf(rel, sizeof(rel), "pack/%s.pack", rp->name);
	if (!(url = fs_join(r->url, rel)))
		return silo__error_oom();
	if ((ret = remote_index_dir(&dir, r->format)) < 0 ||
	    (ret = sparse_open(&sp, rp, r->format, dir)) < 0)
		goto out;
	sp.size = rp->pack_size;
	sp.size_kept = rp->size_kept;
	for (i = 0; i < n; i = j) {
		uint64_t start = v[i].off, end = start;
		for (j = i; j < n; j++) {
			if (j > i && v[j].off != end)
				break;
			if (!next_offset(rp, v[j].off, &end)) {
				if (!sp.size) {
					if ((ret = fetch_frame(&sp, url, rawsz)) < 0)
						goto out;
					framed = 1;
				}
				end = sp.size - rawsz;
			}
			if (end <= v[j].off || v[j].off < 12) {
				ret = silo__error_set(SILO_ECORRUPT, "'%s': bad entry offset %llu",
						      url, (unsigned long long)v[j].off);
				goto out;
			}
			if (ALLOC_GROW(sp.have, sp.n_have + 1, sp.alloc_have) < 0) {
				ret = silo__error_oom();
				goto out;
			}
			sp.have[sp.n_have++] = v[j].off;
			if (end - start >= RUN_MAX) {
				j++;
				break;
			}
		}
		if ((ret = fetch_span(&sp, url, start, end - start)) < 0)
			goto out;
		if (r->progress) {
			r->progress_bytes += end - start;
			r->progress_done += j - i;
			r->progress(r->progress_payload, r->progress_bytes, r->progress_done);
		}
	}
	if (sp.size < rawsz + 12) {
		ret = silo__error_set(SILO_ECORRUPT, "'%s' is truncated", url);
		goto out;
	}
	if (!framed && (ret = write_frame(&sp, rp, r->format)) < 0)
		goto out;
	remember_size(rp, r, sp.size);
	snprintf(rel, sizeof(rel), "pack/%s", rp->name);
	if ((ret = pack_open(&p, sp.work, rel, r->format)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned char *data = NULL, **dp = v[i].data ? v[i].data : &data;
		size_t size, *sz = v[i].size ? v[i].size : &size;
		int type, *tp = v[i].type ? v[i].type : &type, one;
		if ((one = fetch_chain(&sp, rp, url, rel, r->format, &p, v[i].off)) == 0 &&
		    (one = deliver_object(p, v[i].off, v[i].id, v[i].want, cache, batch, dp, sz,
					  tp)) == 0 &&
		    !v[i].data && *tp != SILO_OBJ_BLOB)
			one = silo__error_set(SILO_EINVALID, "object in '%s' is a %s, not a blob",
					      url, silo_object_type_name(*tp));
		free(data);
		v[i].ret = one;
		if (one < 0 && v[i].item) {
			char hex[SILO_OID_MAX_HEXSZ + 1];
			silo__error_wrap("object %s from '%s'", silo_oid_to_hex(hex, v[i].id), url);
			item_failed(v[i].item, one);
		}
		if (!p) {	/* fetch_chain could not map it again */
			ret = one;
			goto out;
		}
	}
out:
	*contradicted = sp.contradicted;
	pack_close(p);
	sparse_free(&sp);
	free(dir);
	free(url);
	return ret;
}

/* read_run_objects(), once more without the pack size kept in the cache
 * if an answer contradicted it: no object was delivered then. */
static int fetch_run_objects(silo_remote *r, struct remote_pack *rp, silo *cache,
			     struct want *v, size_t n, silo_writer *batch)
{
	int contradicted = 0, ret;

	qsort(v, n, sizeof(*v), by_offset);
	ret = read_run_objects(r, rp, cache, v, n, batch, &contradicted);
	if (ret < 0 && contradicted) {
		forget_size(rp, r);
		silo_error_clear();
		ret = read_run_objects(r, rp, cache, v, n, batch, &contradicted);
	}
	return ret;
}

/* The object ID of pack RP, as fetch_run_objects() reads it. */
static int read_remote_object(silo_remote *r, struct remote_pack *rp,
			      silo *cache_silo, const silo_oid *id, uint64_t size,
			      silo_writer *batch, unsigned char **out, size_t *out_size,
			      int *out_type)
{
	size_t rawsz = silo_oid_rawsz(r->format);
	struct want w;
	uint32_t pos;
	int ret;

	if (!pack_index_lookup(rp->idx, rawsz, id, &pos))
		return silo__error_set(SILO_ENOTFOUND, "not in '%s/pack/%s.pack'", r->url, rp->name);
	memset(&w, 0, sizeof(w));
	w.off = idx_offset(rp, pos, rawsz);
	w.id = id;
	w.want = size;
	w.data = out;
	w.size = out_size;
	w.type = out_type;
	ret = fetch_run_objects(r, rp, cache_silo, &w, 1, batch);
	return ret < 0 ? ret : w.ret;
}

static int add_pack(silo_remote *r, const char *name, int via_moved);

/*
 * Read the .moved file of R's pack I, whose index is gone, if the server
 * has it, and make the packs it names known (they are searched after
 * those known now): at most MOVED_NAMES_MAX of them, and nothing once
 * the handle has spent MOVED_LOOKUPS_MAX requests on such lookups.
 */
static int follow_redirect(silo_remote *r, size_t i)
{
	enum http_result result;
	char error[512], rel[128], *url, *text = NULL, *nl, *line;
	size_t len = 0, names = 0;
	int ret;

	if (!r->packs[i].gone || r->packs[i].moved_read ||
	    r->moved_lookups >= MOVED_LOOKUPS_MAX)
		return 0;
	r->packs[i].moved_read = 1;
	r->moved_lookups++;
	snprintf(rel, sizeof(rel), "pack/%s" PACK_MOVED_SUFFIX, r->packs[i].name);
	if (!(url = fs_join(r->url, rel)))
		return silo__error_oom();
	ret = http_get_start(url, MOVED_BYTES_MAX, &text, &len, &result, error, sizeof(error));
	free(url);
	/* One pack a line: a repack may have spread the objects of one
	 * pack over several (silo-layout(5)).  A line cut off by
	 * MOVED_BYTES_MAX has no newline and is not read. */
	for (line = text; ret == 0 && result == HTTP_OK && line && names < MOVED_NAMES_MAX &&
	     (nl = memchr(line, '\n', len - (size_t)(line - text))); line = nl + 1, names++) {
		*nl = '\0';
		ret = add_pack(r, line, 1);
	}
	free(text);
	return ret < 0 ? ret : 0;
}

/* The first of R's known packs from FROM on whose index lists ID. */
static int search_packs(struct remote_pack **out, silo_remote *r, silo *cache,
			const silo_oid *id, size_t from)
{
	size_t i, rawsz = silo_oid_rawsz(r->format);
	uint32_t pos;
	int ret;

	for (i = from; i < r->n_packs; i++) {
		/* A pack listed but gone (the server is repacking) is
		 * skipped: a later pack of the list may hold the object, and
		 * its redirect, if any, names the pack that replaced it. */
		if ((ret = load_index(r, &r->packs[i], cache)) == SILO_ENOTFOUND) {
			silo_error_clear();
			if ((ret = follow_redirect(r, i)) < 0)
				return ret;
			continue;
		}
		if (ret < 0)
			return ret;
		if (pack_index_lookup(r->packs[i].idx, rawsz, id, &pos)) {
			*out = &r->packs[i];
			return 1;
		}
	}
	return 0;
}

/*
 * The first pack of R whose index lists ID: 1 and *out set, 0 if none,
 * negative on error.  The planning step: only pack/packs and indexes
 * are read, never an object.  The packs already known (those a treeptr
 * names) come first: pack/packs and every index it lists are read only
 * when none of them has ID.
 */
static int find_pack(struct remote_pack **out, silo_remote *r, silo *cache,
		     const silo_oid *id)
{
	size_t known = r->n_packs;
	int ret = search_packs(out, r, cache, id, 0);

	if (ret || r->packs_loaded)
		return ret;
	if ((ret = load_pack_list(r)) < 0)
		return ret;
	return search_packs(out, r, cache, id, known);
}

int remote_pack_has(silo_remote *r, silo *cache, const silo_oid *id)
{
	struct remote_pack *rp;

	return find_pack(&rp, r, cache, id);
}

int remote_pack_read(silo_remote *r, silo *cache, const silo_oid *id, uint64_t want,
		     silo_writer *batch, unsigned char **data, size_t *size, int *type)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct remote_pack *rp;
	int ret;

	*data = NULL;
	*size = 0;
	if ((ret = find_pack(&rp, r, cache, id)) < 0)
		return ret;
	if (!ret)
		return silo__error_set(SILO_ENOTFOUND, "object %s is not in '%s'",
				       silo_oid_to_hex(hex, id), r->url);
	if ((ret = read_remote_object(r, rp, cache, id, want, batch, data, size, type)) < 0)
		silo__error_wrap("object %s from '%s/pack/%s.pack'", silo_oid_to_hex(hex, id),
				 r->url, rp->name);
	return ret;
}


int remote_pack_fetch(silo_remote *r, silo *cache, const silo_oid *id, uint64_t want)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	unsigned char *data = NULL;
	size_t size = 0;
	int type, ret;

	if ((ret = remote_pack_read(r, cache, id, want, NULL, &data, &size, &type)) < 0)
		return ret;
	if (type != SILO_OBJ_BLOB)
		ret = silo__error_set(SILO_EINVALID, "object %s in '%s' is a %s, not a blob",
				      silo_oid_to_hex(hex, id), r->url,
				      silo_object_type_name(type));
	free(data);
	return ret;
}

int remote_pack_fetch_many(silo_remote *r, silo *cache, struct silo_fetch_item **items,
			   size_t n, silo_writer *batch)
{
	size_t rawsz = silo_oid_rawsz(r->format), i, k, m;
	struct want *v;
	char *done;
	int ret = 0;

	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	done = calloc(n, 1);
	if (!v || !done) {
		free(v);
		free(done);
		return silo__error_oom();
	}
	for (i = 0; i < n; i++) {
		items[i]->status = SILO_ENOTFOUND;
		snprintf(items[i]->message, sizeof(items[i]->message), "not in a known pack of '%s'",
			 r->url);
	}
	/* Pack by pack, the objects its index lists that no earlier pack
	 * took; remote_pack_known() loaded the indexes. */
	for (k = 0; k < r->n_packs && !ret; k++) {
		struct remote_pack *rp = &r->packs[k];
		uint32_t pos;
		if (!rp->idx)
			continue;
		for (i = 0, m = 0; i < n; i++)
			if (!done[i] && pack_index_lookup(rp->idx, rawsz, &items[i]->id, &pos)) {
				done[i] = 1;
				items[i]->status = 0;
				items[i]->message[0] = '\0';
				memset(&v[m], 0, sizeof(v[m]));
				v[m].off = idx_offset(rp, pos, rawsz);
				v[m].id = &items[i]->id;
				v[m].want = items[i]->size_plus_one ?
					    items[i]->size_plus_one - 1 : UINT64_MAX;
				v[m++].item = items[i];
			}
		if (m && (ret = fetch_run_objects(r, rp, cache, v, m, batch)) < 0)
			for (i = 0; i < m; i++)
				if (!v[i].item->status)
					item_failed(v[i].item, ret);
	}
	free(v);
	free(done);
	return 0;
}


int remote_pack_known(silo_remote *r, const silo_oid *id)
{
	size_t i, rawsz = silo_oid_rawsz(r->format);
	char *dir = NULL, *path = NULL, rel[128];
	uint32_t pos;
	int ret = 0;

	for (i = 0; i < r->n_packs && !ret; i++) {
		struct remote_pack *p = &r->packs[i];
		if (!p->idx) {
			/* A pack a treeptr named, or one whose index is kept
			 * beside the cache: no other index is fetched. */
			if (!dir && remote_index_dir(&dir, r->format) < 0)
				break;
			snprintf(rel, sizeof(rel), "%s.idx", p->name);
			free(path);
			if (!(path = fs_join(dir, rel)) ||
			    (!p->hinted && access(path, F_OK) < 0) ||
			    load_index(r, p, NULL) < 0)
				continue;
		}
		if (pack_index_lookup(p->idx, rawsz, id, &pos))
			ret = 1;
	}
	silo_error_clear();
	free(path);
	free(dir);
	return ret;
}

/* ---- hints and tree sections (the tree kind, treeptr(5)) ---- */

/* Make NAME ("pack-<hex>", else ignored) a known pack of R, searched
 * after those known now, unless it is known already. */
static int add_pack(silo_remote *r, const char *name, int via_moved)
{
	struct remote_pack *p;

	if (!pack_name_is_base(name, r->format) || known_pack(r, name))
		return 0;
	if (ALLOC_GROW(r->packs, r->n_packs + 1, r->alloc_packs) < 0)
		return silo__error_oom();
	p = &r->packs[r->n_packs++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->hinted = 1;
	p->via_moved = via_moved;
	return 0;
}

int remote_pack_hint(silo_remote *r, char *const *names, size_t n)
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		if ((ret = add_pack(r, names[i], 0)) < 0)
			return ret;
	return 0;
}


/*
 * Copy every entry of the sparse pack P that starts before END, each
 * checked against the id its index gives, into a new pack of CACHE.
 */
static int keep_section(struct remote_pack *rp, struct pack *p, uint64_t end,
			silo *cache, const char *url)
{
	size_t rawsz = silo_oid_rawsz(cache->format), n = 0, alloc = 0, i;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	struct tp_obj *v = NULL;
	uint32_t pos;
	int ret = 0;

	for (pos = 0; pos < rp->nr && !ret; pos++) {
		uint64_t off = idx_offset(rp, pos, rawsz);
		silo_oid id, got;
		struct tp_obj *o;

		if (off >= end)
			continue;
		silo_oid_from_raw(&id, cache->format, rp->idx + 8 + 256 * 4 + (size_t)pos * rawsz);
		if (ALLOC_GROW(v, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		o = &v[n];
		memset(o, 0, sizeof(*o));
		o->id = id;
		if ((ret = copy_object(p, off, &o->data, &o->len, &o->type)) < 0)
			break;
		n++;
		if ((ret = silo_oid_hash_buffer(&got, cache->format, o->type, o->data, o->len)) == 0 &&
		    !silo_oid_equal(&got, &id))
			ret = silo__error_set(SILO_ECORRUPT,
				"object %s from '%s' hashes to something else",
				silo_oid_to_hex(hex, &id), url);
	}
	if (!ret && n)
		ret = pack_write_objects(cache, v, n);
	for (i = 0; i < n; i++)
		free(v[i].data);
	free(v);
	return ret;
}

int remote_pack_fetch_section(silo_remote *r, silo *cache, const silo_oid *last)
{
	size_t rawsz = silo_oid_rawsz(r->format);
	struct sparse sp = SPARSE_INIT;
	char *dir = NULL, *url = NULL, rel[128];
	unsigned char trailer[SILO_OID_MAX_RAWSZ];
	struct remote_pack *rp;
	struct pack *p = NULL;
	uint64_t off, end;
	uint32_t pos;
	silo_oid sum;
	int ret;

	if ((ret = find_pack(&rp, r, cache, last)) <= 0)
		return ret;
	if (!pack_index_lookup(rp->idx, rawsz, last, &pos))
		return 0;
	off = idx_offset(rp, pos, rawsz);
	snprintf(rel, sizeof(rel), "pack/%s.pack", rp->name);
	if (!(url = fs_join(r->url, rel)))
		return silo__error_oom();
	if ((ret = remote_index_dir(&dir, r->format)) < 0 ||
	    (ret = sparse_open(&sp, rp, r->format, dir)) < 0)
		goto out;
	/* One request from the start of the pack to the end of LAST: the
	 * pack's trailer is its name, so it need not be fetched. */
	if (next_offset(rp, off, &end) == 0) {
		ret = fetch_frame(&sp, url, rawsz);
		end = sp.size - rawsz;
	}
	if (!ret)
		ret = fetch_span(&sp, url, 0, end);
	if (ret < 0)
		goto out;
	remember_size(rp, r, sp.size);
	if ((ret = silo_oid_from_hex(&sum, r->format, rp->name + 5)) < 0)
		goto out;
	memcpy(trailer, sum.hash, rawsz);
	if (sp.size < end + rawsz) {
		ret = silo__error_set(SILO_ECORRUPT, "'%s' is truncated", url);
		goto out;
	}
	if (ftruncate(sp.fd, (off_t)sp.size) < 0 ||
	    pwrite(sp.fd, trailer, rawsz, (off_t)(sp.size - rawsz)) != (ssize_t)rawsz) {
		ret = silo__error_errno("cannot write '%s'", sp.pack_path);
		goto out;
	}
	snprintf(rel, sizeof(rel), "pack/%s", rp->name);
	if ((ret = pack_open(&p, sp.work, rel, r->format)) < 0)
		goto out;
	ret = keep_section(rp, p, end, cache, url);
out:
	pack_close(p);
	sparse_free(&sp);
	free(dir);
	free(url);
	return ret;
}
