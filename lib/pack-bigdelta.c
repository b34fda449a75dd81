/*
 * Huge objects stored as deltas, resolved in bounded memory.  Applying a
 * delta needs random access to its base, so pack_read() holds the base
 * and the result whole: 600 MB for a 300 MB object.  Here the chain's
 * whole base is inflated into an unlinked temporary file, each delta but
 * the last is applied from file to file (delta-stream.c, the base read
 * at the offsets its copies name), and the last one is applied as the
 * object is read.  Memory holds the deltas themselves and a few buffers;
 * the rest lives in the page cache, which the system may reclaim.
 */
#include "pack.h"
#include "delta-stream.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#define BUF (256 * 1024)

struct pack_big_delta {
	struct delta_stream ds;		/* the last delta, being applied */
	unsigned char *delta;		/* its instructions */
	int base_fd;			/* what it applies to */
	int type;
};

/* A temporary file for spooled bases, unlinked at once. */
static int spool_file(int *fd)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int ret;

	if (!dir || !*dir)
		dir = "/var/tmp";
	if ((ret = fs_tmpfile(fd, &path, dir, "silo-delta-base-")) < 0)
		return ret;
	unlink(path);
	free(path);
	return 0;
}

static int pread_base(void *payload, void *buf, size_t len, uint64_t off)
{
	int fd = *(int *)payload;
	ssize_t n = fs_pread_full(fd, buf, len, (off_t)off, "a spooled delta base");

	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return silo__error_set(SILO_EIO, "a spooled delta base is shorter than it was");
	return 0;
}

/* Give back the map's pages of [FROM, TO). */
static void drop_map(const unsigned char *from, const unsigned char *to)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, z;

	if (pg <= 0)
		return;
	a = ((uintptr_t)from + pg - 1) & ~((uintptr_t)pg - 1);
	z = (uintptr_t)to & ~((uintptr_t)pg - 1);
	if (z > a)
		madvise((void *)a, z - a, MADV_DONTNEED);
}

/* Inflate the whole entry E at OFFSET into the temporary file FD. */
static int spool_plain(struct pack *p, uint64_t offset, const struct pack_entry *e,
		       int fd, unsigned char *buf)
{
	const unsigned char *start = p->map + e->data, *dropped = start;
	uint64_t avail = p->size - p->rawsz - e->data;
	z_stream zs;
	int zret, ret = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return silo__error_oom();
	zs.next_in = (unsigned char *)start;
	do {
		if (!zs.avail_in && avail) {
			uInt k = avail > (1u << 30) ? (1u << 30) : (uInt)avail;
			zs.avail_in = k;
			avail -= k;
		}
		zs.next_out = buf;
		zs.avail_out = BUF;
		zret = inflate(&zs, Z_NO_FLUSH);
		if (zret != Z_OK && zret != Z_STREAM_END) {
			ret = silo__error_set(SILO_ECORRUPT, "'%s': entry at offset %llu: %s",
					      p->relpack, (unsigned long long)offset,
					      zs.msg ? zs.msg : "zlib data is corrupt or truncated");
			break;
		}
		if (zs.total_out > e->size) {
			ret = silo__error_set(SILO_ECORRUPT, "'%s': entry at offset %llu: "
					      "inflates to more than the size in its header",
					      p->relpack, (unsigned long long)offset);
			break;
		}
		if ((ret = fs_write_all(fd, buf, BUF - zs.avail_out, "a spooled delta base")) < 0)
			break;
		if (zs.next_in - dropped >= (32 << 20)) {
			drop_map(dropped, zs.next_in);
			dropped = zs.next_in;
		}
	} while (zret != Z_STREAM_END);
	if (!ret && zs.total_out != e->size)
		ret = silo__error_set(SILO_ECORRUPT, "'%s': entry at offset %llu: "
				      "inflates to fewer bytes than its header says",
				      p->relpack, (unsigned long long)offset);
	drop_map(dropped, zs.next_in);
	inflateEnd(&zs);
	return ret;
}

/* Apply DELTA (LEN bytes) to the file BASE_FD of BASE_SIZE bytes into the
 * new temporary file *OUT_FD, whose size goes to *OUT_SIZE. */
static int apply_to_file(const unsigned char *delta, size_t len, int base_fd,
			 uint64_t base_size, int *out_fd, uint64_t *out_size,
			 unsigned char *buf)
{
	struct delta_stream ds;
	size_t got;
	int ret;

	if ((ret = delta_stream_init(&ds, delta, len, base_size, pread_base, &base_fd)) < 0)
		return ret;
	if ((ret = spool_file(out_fd)) < 0)
		return ret;
	do {
		if ((ret = delta_stream_read(&ds, buf, BUF, &got)) < 0 ||
		    (ret = fs_write_all(*out_fd, buf, got, "a spooled delta base")) < 0) {
			close(*out_fd);
			*out_fd = -1;
			return ret;
		}
	} while (got);
	*out_size = ds.size;
	return 0;
}

int pack_big_delta_open(struct pack_big_delta **out, struct pack *p, uint64_t offset,
			int *type, uint64_t *size)
{
	struct pack_chain_link *chain = NULL;
	struct pack_big_delta *bd;
	unsigned char *buf = NULL;
	size_t n = 0, alloc = 0;
	uint64_t cur = offset, base_size = 0;
	int base_fd = -1, ret = 0;

	*out = NULL;
	if (!(bd = calloc(1, sizeof(*bd))) || !(buf = malloc(BUF))) {
		free(bd);
		return silo__error_oom();
	}
	bd->base_fd = -1;
	/* Down to the whole base, remembering the way. */
	for (;;) {
		struct pack_entry e;
		if ((ret = pack_entry_at(p, cur, &e)) < 0)
			goto fail;
		if (e.type < PACK_OFS_DELTA) {
			if ((ret = spool_file(&base_fd)) < 0 ||
			    (ret = spool_plain(p, cur, &e, base_fd, buf)) < 0)
				goto fail;
			base_size = e.size;
			bd->type = e.type;
			break;
		}
		if ((ret = pack_chain_push(p, offset, &chain, &n, &alloc, cur, &e)) < 0)
			goto fail;
		cur = e.base;
	}
	/* Back up, file to file, but for the last delta. */
	while (n) {
		struct pack_chain_link *l = &chain[--n];
		unsigned char *delta;
		int next_fd;
		uint64_t next_size;

		if ((ret = pack_inflate_entry(p, l->offset, &l->e, &delta)) < 0)
			goto fail;
		if (!n) {
			bd->delta = delta;
			bd->base_fd = base_fd;
			base_fd = -1;
			ret = delta_stream_init(&bd->ds, delta, (size_t)l->e.size, base_size,
						pread_base, &bd->base_fd);
			if (ret < 0)
				goto fail;
			break;
		}
		ret = apply_to_file(delta, (size_t)l->e.size, base_fd, base_size,
				    &next_fd, &next_size, buf);
		free(delta);
		if (ret < 0)
			goto fail;
		close(base_fd);
		base_fd = next_fd;
		base_size = next_size;
	}
	free(chain);
	free(buf);
	*type = bd->type;
	*size = bd->ds.size;
	*out = bd;
	return 0;
fail:
	if (ret == SILO_ECORRUPT || ret == SILO_EIO) {
		char msg[600];
		snprintf(msg, sizeof(msg), "%s", silo_error_message());
		if (!strstr(msg, p->relpack))
			silo__error_set(ret, "'%s': object at offset %llu: %s", p->relpack,
				        (unsigned long long)offset, msg);
	}
	if (base_fd >= 0)
		close(base_fd);
	free(chain);
	free(buf);
	pack_big_delta_free(bd);
	return ret;
}

int pack_big_delta_read(struct pack_big_delta *bd, unsigned char *buf, size_t len,
			size_t *got)
{
	return delta_stream_read(&bd->ds, buf, len, got);
}

void pack_big_delta_free(struct pack_big_delta *bd)
{
	if (!bd)
		return;
	if (bd->base_fd >= 0)
		close(bd->base_fd);
	free(bd->delta);
	free(bd);
}
