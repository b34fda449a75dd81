/* Git's delta format: encoder and decoder (see delta.h). */
#include "delta.h"
#include "error-internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define WINDOW 16		/* bytes hashed per sample */
#define BUCKET_CAP 64		/* samples kept per bucket: repetitive data
				   (zero padding) would otherwise make a
				   lookup scan the whole source */
#define GOOD_ENOUGH 4096	/* a match this long ends the search */
#define MAX_COPY 0xffffff	/* the size field of a copy has 3 bytes */
#define HASH_MUL 0x01000193u
#define PREFETCH 16		/* samples ahead */

/* ---- decoding ---- */

static int read_varint(const unsigned char **p, const unsigned char *end,
		       uint64_t *v)
{
	uint64_t r = 0;
	int shift = 0;
	unsigned char c;

	do {
		if (*p >= end || shift > 63)
			return -1;
		c = *(*p)++;
		r |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*v = r;
	return 0;
}

int delta_sizes(const unsigned char *delta, size_t len, uint64_t *src_size,
		uint64_t *dst_size, size_t *header_len)
{
	const unsigned char *p = delta, *end = delta + len;

	if (read_varint(&p, end, src_size) < 0 || read_varint(&p, end, dst_size) < 0)
		return silo__error_set(SILO_ECORRUPT, "delta header is truncated");
	if (header_len)
		*header_len = (size_t)(p - delta);
	return 0;
}

int delta_decode_copy(unsigned char c, const unsigned char **pp,
		      const unsigned char *end, uint64_t *off_out, uint64_t *size_out)
{
	const unsigned char *p = *pp;
	uint64_t off = 0, size = 0;
	int i;

	for (i = 0; i < 4; i++)
		if (c & (1u << i)) {
			if (p >= end)
				return -1;
			off |= (uint64_t)*p++ << (8 * i);
		}
	for (i = 0; i < 3; i++)
		if (c & (0x10u << i)) {
			if (p >= end)
				return -1;
			size |= (uint64_t)*p++ << (8 * i);
		}
	*pp = p;
	*off_out = off;
	*size_out = size ? size : 0x10000;
	return 0;
}

int delta_apply(const unsigned char *base, size_t base_size,
		const unsigned char *delta, size_t delta_size,
		unsigned char **out, size_t *out_size)
{
	const unsigned char *p, *end = delta + delta_size;
	uint64_t src_size, dst_size;
	unsigned char *dst, *d, *dend;
	size_t hlen;
	int ret;

	*out = NULL;
	*out_size = 0;
	if ((ret = delta_sizes(delta, delta_size, &src_size, &dst_size, &hlen)) < 0)
		return ret;
	if (src_size != base_size)
		return silo__error_set(SILO_ECORRUPT,
			"delta expects a base of %llu bytes, not %zu",
			(unsigned long long)src_size, base_size);
	/* Each instruction byte yields at most one byte (a literal) or what
	 * one copy can take from this base (all of it, and never more than
	 * 2^24 - 1 bytes): a larger claim is a lie, refused before it costs
	 * memory.  An empty base allows one byte per byte of delta. */
	if (dst_size > (uint64_t)(delta_size - hlen) *
		       (base_size > MAX_COPY ? MAX_COPY : base_size ? base_size : 1) ||
	    dst_size > SIZE_MAX - 1)
		return silo__error_set(SILO_ECORRUPT,
			"delta claims a result of %llu bytes from %zu bytes of delta",
			(unsigned long long)dst_size, delta_size);
	dst = malloc(dst_size ? (size_t)dst_size : 1);
	if (!dst)
		return silo__error_oom();
	d = dst;
	dend = dst + dst_size;
	p = delta + hlen;
	while (p < end) {
		unsigned char c = *p++;
		if (c & 0x80) {
			uint64_t off, size;
			if (delta_decode_copy(c, &p, end, &off, &size) < 0)
				goto truncated;
			if (off > base_size || size > base_size - off) {
				free(dst);
				return silo__error_set(SILO_ECORRUPT,
					"delta copies bytes %llu..%llu from a base of %zu bytes",
					(unsigned long long)off,
					(unsigned long long)(off + size), base_size);
			}
			if (size > (uint64_t)(dend - d))
				goto overflow;
			memcpy(d, base + off, (size_t)size);
			d += size;
		} else if (c) {
			if (c > end - p)
				goto truncated;
			if (c > dend - d)
				goto overflow;
			memcpy(d, p, c);
			d += c;
			p += c;
		} else {
			free(dst);
			return silo__error_set(SILO_ECORRUPT, "delta has a reserved instruction 0");
		}
	}
	if (d != dend) {
		size_t made = (size_t)(d - dst);
		free(dst);
		return silo__error_set(SILO_ECORRUPT,
			"delta result is %zu bytes, its header says %llu",
			made, (unsigned long long)dst_size);
	}
	*out = dst;
	*out_size = (size_t)dst_size;
	return 0;
truncated:
	free(dst);
	return silo__error_set(SILO_ECORRUPT, "delta is truncated");
overflow:
	free(dst);
	return silo__error_set(SILO_ECORRUPT,
		"delta result exceeds the %llu bytes its header says",
		(unsigned long long)dst_size);
}

/* ---- encoding ---- */

#define DROP_EVERY (16u << 20)
#define DROP_PROBES 256	/* each may map 64 KiB (fault-around): 16 MiB */

static void drop_pages(const unsigned char *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a, e;

	if (pg <= 0 || !len)
		return;
	a = ((uintptr_t)p + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	e = ((uintptr_t)p + len) & ~((uintptr_t)pg - 1);
	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

struct delta_index {
	const unsigned char *src;
	size_t size;
	uint32_t mask;		/* buckets - 1 */
	uint32_t *start;	/* buckets + 1 prefix offsets into pos */
	uint32_t *pos;		/* sampled source offsets, grouped by bucket */
};

static uint32_t pow_mul(void)
{
	uint32_t r = 1;
	int i;

	for (i = 0; i < WINDOW - 1; i++)
		r *= HASH_MUL;
	return r;
}

static uint32_t hash_window(const unsigned char *p)
{
	uint32_t h = 0;
	int i;

	for (i = 0; i < WINDOW; i++)
		h = h * HASH_MUL + p[i] + 1;
	return h;
}

/* The polynomial hash's low bits are weak: mix before taking a bucket. */
static uint32_t bucket_of(uint32_t h, uint32_t mask)
{
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & mask;
}

int delta_index_new(struct delta_index **out, const unsigned char *src,
		    size_t size, size_t max_entries, unsigned flags)
{
	struct delta_index *idx;
	size_t stride = WINDOW, n = 0, i, nb = 16;
	uint32_t *hashes = NULL, *fill = NULL;
	size_t limit = size;

	*out = NULL;
	/* Copy offsets have 32 bits: only the first 4 GiB can be a source. */
	if (limit > 0xffffffffu - WINDOW)
		limit = 0xffffffffu - WINDOW;
	if (max_entries < 16)
		max_entries = 16;
	if (limit >= WINDOW && (limit - WINDOW) / stride + 1 > max_entries)
		stride = (limit - WINDOW) / (max_entries - 1) + 1;
	if (limit >= WINDOW)
		n = (limit - WINDOW) / stride + 1;
	/* About two samples a bucket: half the memory of one a bucket, for
	 * a few more candidates to compare. */
	while (nb < n / 2 && nb < (1u << 31))
		nb <<= 1;
	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return silo__error_oom();
	idx->src = src;
	idx->size = size;
	idx->mask = (uint32_t)(nb - 1);
	idx->start = calloc(nb + 1, sizeof(uint32_t));
	idx->pos = malloc((n ? n : 1) * sizeof(uint32_t));
	hashes = malloc((n ? n : 1) * sizeof(uint32_t));
	fill = calloc(nb, sizeof(uint32_t));
	if (!idx->start || !idx->pos || !hashes || !fill) {
		free(hashes);
		free(fill);
		delta_index_free(idx);
		return silo__error_oom();
	}
	/* Buckets first, in one sequential pass over the source; then the
	 * counting and the scattering, whose random accesses to the table
	 * are prefetched a few samples ahead: they, not the hashing, are
	 * what indexing a large source costs. */
	for (i = 0; i < n; i++) {
		if ((flags & DELTA_DROP_PAGES) && i && i * stride % DROP_EVERY < stride)
			drop_pages(src + i * stride - DROP_EVERY, DROP_EVERY);
		hashes[i] = bucket_of(hash_window(src + i * stride), idx->mask);
	}
	for (i = 0; i < n; i++) {
		uint32_t b = hashes[i];
		if (i + PREFETCH < n)
			__builtin_prefetch(&idx->start[hashes[i + PREFETCH] + 1], 1);
		if (idx->start[b + 1] < BUCKET_CAP)
			idx->start[b + 1]++;
		else
			hashes[i] = UINT32_MAX;	/* dropped */
	}
	for (i = 0; i < nb; i++)
		idx->start[i + 1] += idx->start[i];
	for (i = 0; i < n; i++) {
		uint32_t b = hashes[i];
		if (i + PREFETCH < n && hashes[i + PREFETCH] != UINT32_MAX) {
			__builtin_prefetch(&idx->start[hashes[i + PREFETCH]], 0);
			__builtin_prefetch(&fill[hashes[i + PREFETCH]], 1);
		}
		if (b == UINT32_MAX)
			continue;
		idx->pos[idx->start[b] + fill[b]++] = (uint32_t)(i * stride);
	}
	free(hashes);
	free(fill);
	*out = idx;
	return 0;
}

void delta_index_free(struct delta_index *idx)
{
	if (!idx)
		return;
	free(idx->start);
	free(idx->pos);
	free(idx);
}

size_t delta_index_memory(const struct delta_index *idx)
{
	return ((size_t)idx->mask + 2 + idx->start[idx->mask + 1]) * sizeof(uint32_t);
}

/*
 * The output of one part of the target.  Parts encoded on different
 * threads share one running total, so that all stop as soon as their sum
 * passes the maximum.
 */
struct outbuf {
	unsigned char *buf;
	size_t len, alloc, max;
	atomic_size_t *total;
};

/* 0, or 1 when the output would pass its maximum, or SILO_ENOMEM. */
static int out_reserve(struct outbuf *o, size_t more)
{
	if (atomic_load_explicit(o->total, memory_order_relaxed) + more > o->max)
		return 1;
	if (o->len + more > o->alloc) {
		size_t n = o->alloc ? o->alloc * 2 : 4096;
		unsigned char *b;
		while (n < o->len + more)
			n *= 2;
		if (n > o->max + 64)
			n = o->max + 64;
		if (!(b = realloc(o->buf, n)))
			return silo__error_oom();
		o->buf = b;
		o->alloc = n;
	}
	return 0;
}

static void out_done(struct outbuf *o, size_t before)
{
	atomic_fetch_add_explicit(o->total, o->len - before, memory_order_relaxed);
}

static int put_varint(struct outbuf *o, uint64_t v)
{
	size_t before = o->len;
	int ret = out_reserve(o, 10);

	if (ret)
		return ret;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		o->buf[o->len++] = c | (v ? 0x80 : 0);
	} while (v);
	out_done(o, before);
	return 0;
}

static int put_literals(struct outbuf *o, const unsigned char *p, size_t n)
{
	while (n) {
		size_t k = n > 127 ? 127 : n, before = o->len;
		int ret = out_reserve(o, k + 1);
		if (ret)
			return ret;
		o->buf[o->len++] = (unsigned char)k;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p += k;
		n -= k;
		out_done(o, before);
	}
	return 0;
}

static int put_copy(struct outbuf *o, uint64_t off, uint64_t size)
{
	/* The format cannot say more; a longer copy would read elsewhere. */
	if (off + size > 0x100000000ULL)
		return silo__error_set(SILO_ERROR, "delta copy past 4 GiB of its base");
	while (size) {
		uint64_t k = size > MAX_COPY ? MAX_COPY : size;
		size_t before = o->len;
		unsigned char *cmd;
		int ret = out_reserve(o, 8), i;
		if (ret)
			return ret;
		cmd = &o->buf[o->len++];
		*cmd = 0x80;
		for (i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				*cmd |= 1u << i;
				o->buf[o->len++] = (unsigned char)(off >> (8 * i));
			}
		for (i = 0; i < 3; i++)
			if ((k >> (8 * i)) & 0xff) {
				*cmd |= 0x10u << i;
				o->buf[o->len++] = (unsigned char)(k >> (8 * i));
			}
		off += k;
		size -= k;
		out_done(o, before);
	}
	return 0;
}

/* Length of the common prefix of A and B, at most N. */
static size_t match_len(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (size_t)(__builtin_ctzll(x ^ y) >> 3);
		i += 8;
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

struct part {
	const struct delta_index *idx;
	const unsigned char *trg;
	size_t start, end;	/* the part of the target to encode */
	unsigned flags;
	struct outbuf o;
	int ret;
};

/* Encode TRG[start..end) as instructions; matches stop at END. */
static int encode(struct part *pt)
{
	const struct delta_index *idx = pt->idx;
	const unsigned char *src = idx->src, *trg = pt->trg;
	size_t src_size = idx->size, t = pt->start, lit = pt->start, end = pt->end;
	/* Copy offsets have 32 bits: no match may reach past 4 GiB of the
	 * source, even one that starts below. */
	size_t src_limit = src_size > 0xffffffffu ? 0xffffffffu : src_size;
	size_t dropped = pt->start, probes = 0;
	struct outbuf *o = &pt->o;
	uint32_t h = 0, top = pow_mul();
	int ret;

	if (t + WINDOW <= end)
		h = hash_window(trg + t);
	while (t + WINDOW <= end) {
		uint32_t b = bucket_of(h, idx->mask), e;
		size_t best = 0, best_p = 0;

		for (e = idx->start[b]; e < idx->start[b + 1]; e++) {
			size_t p = idx->pos[e], n;
			/* Each candidate touches a page of the source at
			 * random: give them back before they add up. */
			if ((pt->flags & DELTA_DROP_PAGES) && ++probes >= DROP_PROBES) {
				drop_pages(src, src_size);
				probes = 0;
			}
			if (p >= src_limit)
				continue;
			n = match_len(src + p, trg + t,
				      src_limit - p < end - t ? src_limit - p : end - t);
			if (n > best) {
				best = n;
				best_p = p;
				if (n >= GOOD_ENOUGH)
					break;
			}
		}
		if (best >= WINDOW) {
			/* Grow the match backward over pending literals. */
			while (t > lit && best_p > 0 && src[best_p - 1] == trg[t - 1]) {
				t--;
				best_p--;
				best++;
			}
			if ((ret = put_literals(o, trg + lit, t - lit)) ||
			    (ret = put_copy(o, best_p, best)))
				return ret;
			t += best;
			lit = t;
			if (t + WINDOW <= end)
				h = hash_window(trg + t);
		} else {
			if (t + WINDOW < end)
				h = (h - (trg[t] + 1u) * top) * HASH_MUL + trg[t + WINDOW] + 1u;
			t++;
			if (t - lit >= 4096) {
				/* Flush long literal runs so the size check bites. */
				size_t k = (t - lit) / 127 * 127;
				if ((ret = put_literals(o, trg + lit, k)))
					return ret;
				lit += k;
			}
		}
		if ((pt->flags & DELTA_DROP_PAGES) && lit - dropped >= DROP_EVERY) {
			drop_pages(trg + dropped, lit - dropped);
			dropped = lit;
			drop_pages(src, src_size);
		}
	}
	return put_literals(o, trg + lit, end - lit);
}

static void *encode_thread(void *arg)
{
	struct part *pt = arg;

	pt->ret = encode(pt);
	return NULL;
}

#define MAX_PARTS 16
#define PART_MIN (1u << 20)	/* smaller targets are not split */

int delta_create(const struct delta_index *idx, const unsigned char *trg,
		 size_t trg_size, size_t max_size, unsigned flags, int threads,
		 unsigned char **out, size_t *out_size)
{
	struct part parts[MAX_PARTS];
	pthread_t th[MAX_PARTS];
	int started[MAX_PARTS] = { 0 };
	atomic_size_t total = 0;
	struct outbuf head = { NULL, 0, 0, max_size, &total };
	int n = threads < 1 ? 1 : threads > MAX_PARTS ? MAX_PARTS : threads, k, ret = 0;
	size_t len;

	*out = NULL;
	*out_size = 0;
	if (trg_size / PART_MIN < (size_t)n)
		n = (int)(trg_size / PART_MIN) ? (int)(trg_size / PART_MIN) : 1;
	/* Split the target: each part is encoded alone, on its own thread,
	 * and the instructions are joined.  Only matches that would cross
	 * a boundary are cut, which costs a few bytes. */
	for (k = 0; k < n; k++) {
		parts[k].idx = idx;
		parts[k].trg = trg;
		parts[k].start = trg_size / (size_t)n * (size_t)k;
		parts[k].end = k == n - 1 ? trg_size : trg_size / (size_t)n * (size_t)(k + 1);
		parts[k].flags = flags;
		parts[k].o = (struct outbuf){ NULL, 0, 0, max_size, &total };
		parts[k].ret = 0;
	}
	if ((ret = put_varint(&head, idx->size)) || (ret = put_varint(&head, trg_size)))
		goto out;
	for (k = 1; k < n; k++)
		started[k] = pthread_create(&th[k], NULL, encode_thread, &parts[k]) == 0;
	parts[0].ret = encode(&parts[0]);
	for (k = 1; k < n; k++) {
		if (started[k])
			pthread_join(th[k], NULL);
		else
			parts[k].ret = encode(&parts[k]);
	}
	len = head.len;
	for (k = 0; k < n; k++) {
		if (parts[k].ret && (!ret || parts[k].ret < 0))
			ret = parts[k].ret;
		len += parts[k].o.len;
	}
	if (ret < 0)
		ret = silo__error_oom();	/* the only failure of a part, maybe on another thread */
	if (ret)
		goto out;
	if (len > max_size) {
		ret = 1;
		goto out;
	}
	if (!(*out = malloc(len ? len : 1))) {
		ret = silo__error_oom();
		goto out;
	}
	memcpy(*out, head.buf, head.len);
	*out_size = head.len;
	for (k = 0; k < n; k++) {
		if (parts[k].o.len)
			memcpy(*out + *out_size, parts[k].o.buf, parts[k].o.len);
		*out_size += parts[k].o.len;
	}
out:
	free(head.buf);
	for (k = 0; k < n; k++)
		free(parts[k].o.buf);
	if (ret)
		return ret > 0 ? 0 : ret;
	return 1;
}
