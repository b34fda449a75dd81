/*
 * A pack and its index as mapped files: opening and checking the two
 * together, and finding an object through the index's fan-out table and
 * binary search.  Reading the entries is pack-entry.c.
 */
#include "pack.h"
#include "byteorder.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDX_MAGIC "\377tOc"

static int map_file(const char *path, const char *rel, const unsigned char **map,
		    size_t *size)
{
	struct stat st;
	void *m;
	int fd = fs_open_regular(path, rel, SILO_ECORRUPT);

	*map = NULL;
	*size = 0;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return silo__error_errno("cannot stat '%s'", rel);
	}
	if (st.st_size == 0) {
		close(fd);
		return silo__error_set(SILO_ECORRUPT, "'%s': empty file", rel);
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return silo__error_errno("cannot map '%s'", rel);
	*map = m;
	*size = (size_t)st.st_size;
	return 0;
}

void pack_close(struct pack *p)
{
	if (!p)
		return;
	if (p->map)
		munmap((void *)p->map, p->size);
	if (p->idx)
		munmap((void *)p->idx, p->idx_size);
	free(p->relpack);
	free(p->relidx);
	free(p);
}

void pack_drop_pages(const struct pack *p)
{
	if (p->map)
		madvise((void *)p->map, p->size, MADV_DONTNEED);
}

int pack_index_check(struct pack *p)
{
	const unsigned char *m = p->idx;
	size_t need, i, rawsz = p->rawsz;
	uint32_t prev = 0;

	if (p->idx_size < 8 + 256 * 4 + 2 * rawsz)
		return silo__error_set(SILO_ECORRUPT, "'%s': index is truncated (%zu bytes)",
				      p->relidx, p->idx_size);
	if (memcmp(m, IDX_MAGIC, 4) || get_be32(m + 4) != 2)
		return silo__error_set(SILO_ECORRUPT,
				      "'%s': not a version 2 pack index", p->relidx);
	for (i = 0; i < 256; i++) {
		uint32_t v = get_be32(m + 8 + 4 * i);
		if (v < prev)
			return silo__error_set(SILO_ECORRUPT,
				"'%s': fan-out table is not monotonic at entry %zu",
				p->relidx, i);
		prev = v;
	}
	p->nr = prev;
	/* Size with no 64-bit offsets; the exact size follows from them. */
	need = 8 + 256 * 4 + (size_t)p->nr * (rawsz + 8) + 2 * rawsz;
	if (p->idx_size < need)
		return silo__error_set(SILO_ECORRUPT,
			"'%s': index is truncated: %u objects need %zu bytes, file has %zu",
			p->relidx, p->nr, need, p->idx_size);
	p->names = m + 8 + 256 * 4;
	p->crcs = p->names + (size_t)p->nr * rawsz;
	p->offs = p->crcs + (size_t)p->nr * 4;
	p->offs64 = p->offs + (size_t)p->nr * 4;
	for (i = 0; i < p->nr; i++)
		if (get_be32(p->offs + 4 * i) & 0x80000000u) {
			uint32_t k = get_be32(p->offs + 4 * i) & 0x7fffffffu;
			if (k + 1 > p->n64)
				p->n64 = k + 1;
		}
	if (p->idx_size != need + (size_t)p->n64 * 8)
		return silo__error_set(SILO_ECORRUPT,
			"'%s': index is %zu bytes, expected %zu", p->relidx,
			p->idx_size, need + (size_t)p->n64 * 8);
	for (i = 1; i < p->nr; i++)
		if (memcmp(p->names + (i - 1) * rawsz, p->names + i * rawsz, rawsz) >= 0)
			return silo__error_set(SILO_ECORRUPT,
				"'%s': object names are not sorted at entry %zu", p->relidx, i);
	for (i = 0; i < p->nr; i++) {
		unsigned first = p->names[i * rawsz];
		uint32_t lo = first ? get_be32(m + 8 + 4 * (first - 1)) : 0;
		uint32_t hi = get_be32(m + 8 + 4 * first);
		if (i < lo || i >= hi)
			return silo__error_set(SILO_ECORRUPT,
				"'%s': fan-out table does not match entry %zu", p->relidx, i);
	}
	return 0;
}

static int open_pack(struct pack **out, const char *root, const char *relbase,
		     int format, int lenient)
{
	struct pack *p;
	char *path = NULL;
	size_t len = strlen(relbase);
	int ret;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return silo__error_oom();
	p->format = format;
	p->rawsz = silo_oid_rawsz(format);
	p->relpack = malloc(len + 6);
	p->relidx = malloc(len + 5);
	if (!p->relpack || !p->relidx) {
		ret = silo__error_oom();
		goto fail;
	}
	snprintf(p->relpack, len + 6, "%s.pack", relbase);
	snprintf(p->relidx, len + 5, "%s.idx", relbase);
	if (!(path = fs_join(root, p->relidx))) {
		ret = silo__error_oom();
		goto fail;
	}
	if ((ret = map_file(path, p->relidx, &p->idx, &p->idx_size)) < 0)
		goto fail;
	if ((ret = pack_index_check(p)) < 0)
		goto fail;
	free(path);
	if (!(path = fs_join(root, p->relpack))) {
		ret = silo__error_oom();
		goto fail;
	}
	if ((ret = map_file(path, p->relpack, &p->map, &p->size)) < 0)
		goto fail;
	if (p->size < 12 + p->rawsz || memcmp(p->map, "PACK", 4) ||
	    (get_be32(p->map + 4) != 2 && get_be32(p->map + 4) != 3)) {
		ret = silo__error_set(SILO_ECORRUPT, "'%s': not a version 2 pack (or truncated)",
				     p->relpack);
		goto fail;
	}
	if (get_be32(p->map + 8) != p->nr) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s': pack holds %u objects, its index lists %u",
			p->relpack, get_be32(p->map + 8), p->nr);
		goto fail;
	}
	/* The index records the pack's trailer: a cheap test that the two
	 * belong together and that the pack is whole. */
	if (!lenient &&
	    memcmp(p->map + p->size - p->rawsz, p->idx + p->idx_size - 2 * p->rawsz,
		   p->rawsz)) {
		ret = silo__error_set(SILO_ECORRUPT,
			"'%s': its checksum is not the one its index records "
			"(truncated, damaged or mismatched)", p->relpack);
		goto fail;
	}
	free(path);
	*out = p;
	return 0;
fail:
	free(path);
	pack_close(p);
	return ret;
}

int pack_open(struct pack **out, const char *root, const char *relbase, int format)
{
	return open_pack(out, root, relbase, format, 0);
}

int pack_open_lenient(struct pack **out, const char *root, const char *relbase,
		      int format)
{
	return open_pack(out, root, relbase, format, 1);
}

int pack_lookup(const struct pack *p, const silo_oid *id, uint32_t *pos)
{
	if (id->format != p->format)
		return 0;
	return pack_index_lookup(p->idx, p->rawsz, id, pos);
}

int pack_index_lookup(const unsigned char *idx, size_t rawsz, const silo_oid *id,
		      uint32_t *pos)
{
	const unsigned char *fan = idx + 8, *names = idx + 8 + 256 * 4;
	uint32_t lo, hi;
	unsigned first = id->hash[0];

	lo = first ? get_be32(fan + 4 * (first - 1)) : 0;
	hi = get_be32(fan + 4 * first);
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = memcmp(names + (size_t)mid * rawsz, id->hash, rawsz);
		if (!c) {
			*pos = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void pack_oid_at(const struct pack *p, uint32_t pos, silo_oid *out)
{
	silo_oid_from_raw(out, p->format, p->names + (size_t)pos * p->rawsz);
}

uint64_t pack_offset_at(const struct pack *p, uint32_t pos)
{
	uint32_t v = get_be32(p->offs + 4 * (size_t)pos);

	if (v & 0x80000000u) {
		const unsigned char *q = p->offs64 + 8 * (size_t)(v & 0x7fffffffu);
		return get_be64(q);
	}
	return v;
}

uint32_t pack_crc_at(const struct pack *p, uint32_t pos)
{
	return get_be32(p->crcs + 4 * (size_t)pos);
}

int pack_name_is(const char *name, int format, const char *ext)
{
	size_t hexsz = silo_oid_hexsz(format), i;

	if (strncmp(name, "pack-", 5) || strlen(name) != 5 + hexsz + 1 + strlen(ext))
		return 0;
	for (i = 0; i < hexsz; i++) {
		char c = name[5 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return name[5 + hexsz] == '.' && !strcmp(name + 6 + hexsz, ext);
}
