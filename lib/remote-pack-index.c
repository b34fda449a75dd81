/*
 * The index of a pack served over HTTP(S): fetched once, checked against
 * its own checksum and the pack's name, given every check a local index
 * gets, and kept beside the cache (remote-cache.c), named by its content.
 * From it come the offsets of the pack's entries and where each ends;
 * beside it is kept the pack's size, once an answer gave it.
 */
#include "remote-internal.h"
#include "pack.h"
#include "byteorder.h"
#include "http.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
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
int remote_pack_size_fits(const struct remote_pack *p, uint64_t size, size_t rawsz)
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
		if (!errno && v && end == text + len - 1 && remote_pack_size_fits(p, v, rawsz)) {
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
void remote_pack_size_keep(struct remote_pack *p, silo_remote *r, uint64_t size)
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
void remote_pack_size_forget(struct remote_pack *p, silo_remote *r)
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
int remote_pack_index_load(silo_remote *r, struct remote_pack *p)
{
	char *dir = NULL, *path = NULL, *url = NULL, *tmp = NULL, *text = NULL;
	char rel[128], error[512];
	enum http_result result;
	size_t len = 0, rawsz = silo_oid_rawsz(r->format), i, ofs_end;
	int fd = -1, ret;
	struct stat st;

	if (p->idx)
		return 0;
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
		fs_mark_used(path);
	} else if (p->gone) {
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' is not on the server", url);
	} else if (p->via_moved && r->moved_lookups >= REMOTE_MOVED_LOOKUPS_MAX) {
		/* Not asked for: pack/packs is read instead. */
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' not looked up: %d lookups "
				     "through .moved files already", url, REMOTE_MOVED_LOOKUPS_MAX);
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
uint64_t remote_pack_offset(const struct remote_pack *rp, uint32_t pos, size_t rawsz)
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
int remote_pack_next_offset(const struct remote_pack *p, uint64_t off, uint64_t *next)
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
