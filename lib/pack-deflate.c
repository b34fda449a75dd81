/*
 * The output stream of a repack: a pack or an index written through a
 * buffer into a temporary file, hashed for its trailer as it goes, with
 * the CRC-32 of each entry.  A large whole object is deflated in chunks
 * on several threads, as pigz does.
 */
#include "repack-internal.h"
#include "byteorder.h"
#include "deflate.h"
#include "error-internal.h"
#include "fsutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int pack_out_flush(struct pack_out *o)
{
	int ret = fs_write_all(o->fd, o->buf, o->len, o->path);

	o->len = 0;
	return ret;
}

int pack_out_write(struct pack_out *o, const void *data, size_t len)
{
	const unsigned char *p = data;
	int ret;

	if (silo_hasher_update(o->h, data, len) < 0)
		return SILO_ERROR;
	o->crc = crc32_z(o->crc, p, len);
	o->off += len;
	while (len) {
		size_t k = WBUF - o->len < len ? WBUF - o->len : len;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		len -= k;
		if (o->len == WBUF && (ret = pack_out_flush(o)) < 0)
			return ret;
	}
	return 0;
}

/*
 * Entries up to this size are deflated whole by libdeflate, in about a
 * third of zlib's time at the same size; larger ones stream through zlib
 * so that memory stays bounded.
 */
#define WHOLE_MAX (8u << 20)

static int pack_out_deflate_whole(struct pack_out *o, const unsigned char *data,
				  size_t len, int level)
{
	size_t bound, n;
	int ret;

	if (o->d && o->d_level != level) {
		silo__deflater_free(o->d);
		o->d = NULL;
	}
	if (!o->d) {
		if ((ret = silo__deflater_new(&o->d, level)) < 0)
			return ret;
		o->d_level = level;
	}
	bound = silo__deflate_bound(o->d, len, 0);
	if (bound > o->dbuf_cap) {
		unsigned char *b = realloc(o->dbuf, bound);
		if (!b)
			return silo__error_oom();
		o->dbuf = b;
		o->dbuf_cap = bound;
	}
	if (!(n = silo__deflate_zlib(o->d, data, len, o->dbuf, o->dbuf_cap)))
		return silo__error_set(SILO_ERROR, "libdeflate: deflate failed");
	return pack_out_write(o, o->dbuf, n);
}

int pack_out_deflate(struct pack_out *o, const unsigned char *data, uint64_t len,
		       int level, int drop)
{
	unsigned char chunk[64 * 1024];
	uint64_t done = 0, dropped = 0;
	z_stream zs;
	int zret, ret = 0;

	if (len <= WHOLE_MAX)
		return pack_out_deflate_whole(o, data, (size_t)len, level);
	memset(&zs, 0, sizeof(zs));
	if (deflateInit(&zs, level) != Z_OK)
		return silo__error_oom();
	do {
		uInt in = len - done > (1u << 20) ? (1u << 20) : (uInt)(len - done);
		int flush = done + in == len ? Z_FINISH : Z_NO_FLUSH;
		zs.next_in = (unsigned char *)data + done;
		zs.avail_in = in;
		do {
			zs.next_out = chunk;
			zs.avail_out = sizeof(chunk);
			zret = deflate(&zs, flush);
			if (zret == Z_STREAM_ERROR) {
				ret = silo__error_set(SILO_ERROR, "zlib: deflate failed");
				goto out;
			}
			if ((ret = pack_out_write(o, chunk, sizeof(chunk) - zs.avail_out)) < 0)
				goto out;
		} while (zs.avail_out == 0);
		done += in;
		if (drop && done - dropped >= (32u << 20)) {
			long pg = sysconf(_SC_PAGESIZE);
			uintptr_t a = ((uintptr_t)(data + dropped) + pg - 1) & ~((uintptr_t)pg - 1);
			uintptr_t e = (uintptr_t)(data + done) & ~((uintptr_t)pg - 1);
			if (e > a)
				madvise((void *)a, e - a, MADV_DONTNEED);
			dropped = done;
		}
	} while (zret != Z_STREAM_END);
out:
	deflateEnd(&zs);
	return ret;
}

/*
 * Deflate a large object on several threads, as pigz does: the input is
 * cut into chunks, each compressed alone (raw deflate, primed with the
 * 32 KiB before it as dictionary, ended with a sync flush), and the
 * pieces joined under one zlib header and one Adler-32 of the whole.
 * The result is a single ordinary zlib stream, barely larger than a
 * serial one.  Chunks go in batches, so memory stays bounded.
 */
#define PZ_CHUNK (1u << 20)
#define PZ_BATCH 8
#define PZ_DICT 32768

struct pz_chunk {
	const unsigned char *in;
	size_t len;
	const unsigned char *dict;
	size_t dict_len;
	int last;
	unsigned char *out;
	size_t out_len;
	int ret;
};

struct pz_batch {
	struct pz_chunk c[PZ_BATCH];
	int n;
	int level;
	atomic_int next;
};

static void pz_one(struct pz_chunk *c, int level)
{
	z_stream zs;
	size_t cap = deflateBound(NULL, (uLong)c->len) + 64;

	memset(&zs, 0, sizeof(zs));
	c->out = malloc(cap);
	if (!c->out || deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		c->ret = SILO_ENOMEM;
		return;
	}
	if (c->dict_len)
		deflateSetDictionary(&zs, c->dict, (uInt)c->dict_len);
	zs.next_in = (unsigned char *)c->in;
	zs.avail_in = (uInt)c->len;
	zs.next_out = c->out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, c->last ? Z_FINISH : Z_SYNC_FLUSH) == Z_STREAM_ERROR ||
	    zs.avail_in || (c->last && zs.avail_out == 0))
		c->ret = SILO_ERROR;
	c->out_len = cap - zs.avail_out;
	deflateEnd(&zs);
}

static void *pz_worker(void *arg)
{
	struct pz_batch *b = arg;
	int i;

	while ((i = atomic_fetch_add(&b->next, 1)) < b->n)
		pz_one(&b->c[i], b->level);
	return NULL;
}

static int pack_out_deflate_parallel(struct pack_out *o, const unsigned char *data,
				uint64_t len, int level, int threads)
{
	static const unsigned char head[2] = { 0x78, 0xda };
	struct pz_batch b;
	uLong adler = adler32(0L, Z_NULL, 0);
	uint64_t done = 0;
	unsigned char tail[4];
	int ret = 0, i;

	if ((ret = pack_out_write(o, head, 2)) < 0)
		return ret;
	while (done < len && !ret) {
		pthread_t th[PZ_BATCH];
		int started = 0;
		memset(&b, 0, sizeof(b));
		b.level = level;
		for (b.n = 0; b.n < PZ_BATCH && done < len; b.n++) {
			struct pz_chunk *c = &b.c[b.n];
			c->in = data + done;
			c->len = len - done > PZ_CHUNK ? PZ_CHUNK : (size_t)(len - done);
			c->dict_len = done < PZ_DICT ? (size_t)done : PZ_DICT;
			c->dict = data + done - c->dict_len;
			done += c->len;
			c->last = done == len;
		}
		atomic_init(&b.next, 0);
		for (i = 1; i < threads && i < b.n; i++)
			if (pthread_create(&th[started], NULL, pz_worker, &b) == 0)
				started++;
		pz_worker(&b);
		for (i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < b.n; i++) {
			if (!ret && b.c[i].ret)
				ret = b.c[i].ret == SILO_ENOMEM ? silo__error_oom() :
					silo__error_set(SILO_ERROR, "zlib: deflate failed");
			if (!ret)
				ret = pack_out_write(o, b.c[i].out, b.c[i].out_len);
			free(b.c[i].out);
		}
		for (i = 0; i < b.n && !ret; i++)
			adler = adler32_z(adler, b.c[i].in, b.c[i].len);
		if (len > BIG_OBJECT)
			repack_drop_range(b.c[0].in, (uint64_t)(b.c[b.n - 1].in + b.c[b.n - 1].len - b.c[0].in));
	}
	if (ret)
		return ret;
	put_be32(tail, (uint32_t)adler);
	return pack_out_write(o, tail, 4);
}

int pack_out_open(struct pack_out *out, const char *dir, const char *prefix, int format)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!(out->buf = malloc(WBUF)))
		return silo__error_oom();
	if ((ret = silo_hasher_new(&out->h, format)) < 0 ||
	    (ret = silo_hasher_begin_raw(out->h)) < 0)
		return ret;
	return fs_tmpfile(&out->fd, &out->path, dir, prefix);
}

/* Finish OUT: trailer checksum, flush, fsync; the checksum in *sum. */
int pack_out_finish(struct pack_out *out, silo_oid *sum)
{
	int ret;

	if ((ret = silo_hasher_final(sum, out->h)) < 0)
		return ret;
	if ((ret = pack_out_write(out, sum->hash, silo_oid_rawsz(sum->format))) < 0 ||
	    (ret = pack_out_flush(out)) < 0)
		return ret;
	if (fsync(out->fd) < 0)
		return silo__error_errno("cannot fsync '%s'", out->path);
	return 0;
}

void pack_out_discard(struct pack_out *out)
{
	if (out->fd >= 0)
		close(out->fd);
	if (out->path) {
		unlink(out->path);
		free(out->path);
	}
	free(out->buf);
	free(out->dbuf);
	silo__deflater_free(out->d);
	silo_hasher_free(out->h);
	memset(out, 0, sizeof(*out));
	out->fd = -1;
}

int pack_out_deflate_object(struct pack_out *o, const unsigned char *data, uint64_t len,
			    int level, int threads)
{
	if (threads > 1 && len > WHOLE_MAX)
		return pack_out_deflate_parallel(o, data, len, level, threads);
	return pack_out_deflate(o, data, len, level, len > BIG_OBJECT);
}
