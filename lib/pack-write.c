/*
 * silo_repack(): pack objects into one new git pack.
 *
 * Every object is first copied, verified, into one temporary spool file
 * in pack/, which is then mapped: the delta search needs random access to
 * bases, and a mapping lets the system page huge objects in and out
 * instead of holding them in our memory (pages are given back as soon as
 * an object has been used).
 *
 * Delta bases are chosen as git's pack-objects chooses them: objects
 * sorted by type and decreasing size, each tried against the WINDOW
 * objects before it, nearest first, a delta kept only if it beats half
 * the object's size (less as its base's chain grows deeper).  A hinted
 * base is tried first, whatever its size, and placed before its target.
 * Each object is written as soon as its base is chosen, in that same
 * order, so every base is in the pack before its deltas, as OFS_DELTA
 * requires, and only the delta being chosen is held in memory.
 *
 * The two costly steps use every CPU: a large target is encoded in
 * parts on several threads (delta.c), and a large whole object is
 * deflated in chunks on several threads, as pigz does.
 */
#include "pack.h"
#include "alloc.h"
#include "byteorder.h"
#include "delta.h"
#include "silo/pack.h"
#include "error-internal.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define INDEX_MAX_ENTRIES (1u << 21)	/* at most about 12 MiB an index */
#define INDEX_CACHE_BYTES (64u << 20)	/* indexes of recent candidates */
#define IDX_SLOTS 256
#define BIG_OBJECT (64u << 20)		/* above this, give pages back early */
#define DROP_OBJECT (1u << 20)		/* above this, give pages back after use */
#define WBUF (1u << 20)

struct obj {
	silo_oid id;
	int type;
	uint64_t size;
	uint64_t spool_off;	/* where its content is in the spool */
	char *loose;		/* relpath of its loose file, if any */
	/* the search */
	int hint_base;		/* index (in objs) of a hinted base, or -1 */
	int base;		/* chosen base (index in objs), or -1 */
	int depth;
	unsigned char *delta;
	size_t delta_size;
	/* the pack */
	uint64_t offset;
	uint32_t crc;
	int gone;		/* vanished before it could be read */
};

static void drop_range(const unsigned char *p, uint64_t len);

struct pack_out {
	int fd;
	char *path;
	unsigned char *buf;
	size_t len;
	uint64_t off;
	silo_hasher *h;
	uLong crc;
};

static int out_flush(struct pack_out *o)
{
	int ret = fs_write_all(o->fd, o->buf, o->len, o->path);

	o->len = 0;
	return ret;
}

static int out_write(struct pack_out *o, const void *data, size_t len)
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
		if (o->len == WBUF && (ret = out_flush(o)) < 0)
			return ret;
	}
	return 0;
}

static int out_deflate(struct pack_out *o, const unsigned char *data, uint64_t len,
		       int level, int drop)
{
	unsigned char chunk[64 * 1024];
	uint64_t done = 0, dropped = 0;
	z_stream zs;
	int zret, ret = 0;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit(&zs, level) != Z_OK)
		return silo_error_oom();
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
				ret = silo_error_set(SILO_ERROR, "zlib: deflate failed");
				goto out;
			}
			if ((ret = out_write(o, chunk, sizeof(chunk) - zs.avail_out)) < 0)
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

static int out_deflate_parallel(struct pack_out *o, const unsigned char *data,
				uint64_t len, int level, int threads)
{
	static const unsigned char head[2] = { 0x78, 0xda };
	struct pz_batch b;
	uLong adler = adler32(0L, Z_NULL, 0);
	uint64_t done = 0;
	unsigned char tail[4];
	int ret = 0, i;

	if ((ret = out_write(o, head, 2)) < 0)
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
				ret = b.c[i].ret == SILO_ENOMEM ? silo_error_oom() :
					silo_error_set(SILO_ERROR, "zlib: deflate failed");
			if (!ret)
				ret = out_write(o, b.c[i].out, b.c[i].out_len);
			free(b.c[i].out);
		}
		for (i = 0; i < b.n && !ret; i++)
			adler = adler32_z(adler, b.c[i].in, b.c[i].len);
		if (len > BIG_OBJECT)
			drop_range(b.c[0].in, (uint64_t)(b.c[b.n - 1].in + b.c[b.n - 1].len - b.c[0].in));
	}
	if (ret)
		return ret;
	put_be32(tail, (uint32_t)adler);
	return out_write(o, tail, 4);
}

static size_t entry_header(unsigned char *h, int type, uint64_t size)
{
	size_t n = 0;
	unsigned char c = (unsigned char)(type << 4 | (size & 15));

	size >>= 4;
	while (size) {
		h[n++] = c | 0x80;
		c = size & 0x7f;
		size >>= 7;
	}
	h[n++] = c;
	return n;
}

static size_t ofs_encode(unsigned char *h, uint64_t rel)
{
	unsigned char tmp[16];
	size_t pos = sizeof(tmp) - 1, n;

	tmp[pos] = rel & 0x7f;
	while (rel >>= 7)
		tmp[--pos] = 0x80 | (--rel & 0x7f);
	n = sizeof(tmp) - pos;
	memcpy(h, tmp + pos, n);
	return n;
}

struct repack {
	silo *s;
	const struct silo_repack_options *o;
	struct obj *objs;
	size_t n;
	size_t *order;		/* indexes into objs, in pack order */
	const unsigned char *map;
	size_t map_size;
	int spool_fd;
	char *spool_path;
	int threads;
	char **old;		/* relbases of the packs repacked with -a */
	size_t n_old;
	struct idx_slot {
		size_t obj;
		struct delta_index *idx;
		size_t mem;
		uint64_t used;
	} icache[IDX_SLOTS];
	size_t imem;
};

static void progress(struct repack *r, const char *phase, uint64_t done, uint64_t total)
{
	if (r->o->on_progress)
		r->o->on_progress(r->o->payload, phase, done, total);
}

static int by_id(const void *a, const void *b)
{
	return silo_oid_cmp(&((const struct obj *)a)->id, &((const struct obj *)b)->id);
}

static int add_obj(struct repack *r, size_t *alloc, const silo_oid *id, const char *loose)
{
	struct obj *o;

	if (ALLOC_GROW(r->objs, r->n + 1, *alloc) < 0)
		return silo_error_oom();
	o = &r->objs[r->n];
	memset(o, 0, sizeof(*o));
	o->id = *id;
	o->base = -1;
	o->hint_base = -1;
	if (loose && !(o->loose = strdup(loose)))
		return silo_error_oom();
	r->n++;
	return 0;
}

/* Loose objects, and with -a the objects of every pack, each once. */
static int collect(struct repack *r)
{
	struct loose_entry *v;
	size_t n, i, alloc = 0, k;
	int ret;

	if ((ret = loose_scan(&v, &n, r->s)) < 0)
		return ret;
	for (i = 0; i < n && !ret; i++)
		if (v[i].kind == LOOSE_OBJECT)
			ret = add_obj(r, &alloc, &v[i].id, v[i].relpath);
	loose_entries_free(v, n);
	if (ret)
		return ret;
	if (r->o->all) {
		/* Only these packs may be removed later: a pack that appears
		 * meanwhile may hold objects this repack never saw. */
		if (!(r->old = calloc(r->s->packs->n + 1, sizeof(*r->old))))
			return silo_error_oom();
		for (i = 0; i < r->s->packs->n; i++) {
			const char *rp = r->s->packs->v[i]->relpack;
			if (!(r->old[i] = strndup(rp, strlen(rp) - 5)))
				return silo_error_oom();
			r->n_old++;
		}
	}
	if (r->o->all)
		for (i = 0; i < r->s->packs->n && !ret; i++) {
			uint32_t j;
			for (j = 0; j < r->s->packs->v[i]->nr && !ret; j++) {
				silo_oid id;
				pack_oid_at(r->s->packs->v[i], j, &id);
				ret = add_obj(r, &alloc, &id, NULL);
			}
		}
	if (ret)
		return ret;
	if (r->n)
		qsort(r->objs, r->n, sizeof(*r->objs), by_id);
	/* Keep one of each id, the loose one if there is one. */
	for (i = k = 0; i < r->n; i++) {
		if (k && silo_oid_equal(&r->objs[k - 1].id, &r->objs[i].id)) {
			if (!r->objs[k - 1].loose) {
				r->objs[k - 1].loose = r->objs[i].loose;
				r->objs[i].loose = NULL;
			}
			free(r->objs[i].loose);
			continue;
		}
		r->objs[k++] = r->objs[i];
	}
	r->n = k;
	return 0;
}

static int pwrite_all(int fd, const void *data, size_t len, uint64_t off,
		      const char *path)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return silo_error_errno("cannot write '%s'", path);
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

struct spooler {
	struct repack *r;
	pthread_mutex_t lock;	/* the silo's list of packs, progress */
	atomic_size_t next, done;
	_Atomic uint64_t end;	/* of the spool: space is taken as sizes are learnt */
	atomic_int failed;
	int ret;
	char message[4200];
};

/* Copy object I, verified, to its own place in the spool. */
static int spool_one(struct spooler *sp, struct pack_cache *cache, size_t i)
{
	struct repack *r = sp->r;
	struct obj *o = &r->objs[i];
	silo_stream *st = NULL;
	struct pack *p;
	uint64_t poff, off;
	const void *data;
	size_t len;
	int ret = SILO_ENOTFOUND, found;

	if (o->loose) {
		char *path = fs_join(r->s->root, o->loose);
		if (!path)
			return silo_error_oom();
		ret = silo_loose_stream_open(&st, path, o->loose, &o->id);
		free(path);
		if (ret == SILO_ENOTFOUND) {
			/* Another repack packed it meanwhile: read it from
			 * there, and leave the removal to that one. */
			free(o->loose);
			o->loose = NULL;
		} else if (ret < 0) {
			return ret;
		}
	}
	if (ret == SILO_ENOTFOUND) {
		pthread_mutex_lock(&sp->lock);
		found = pack_set_find(r->s->packs, &o->id, &p, &poff);
		if (!found && (ret = pack_set_load(r->s->packs, 1)) == 0)
			found = pack_set_find(r->s->packs, &o->id, &p, &poff);
		pthread_mutex_unlock(&sp->lock);
		if (ret < 0 && ret != SILO_ENOTFOUND)
			return ret;
		if (!found) {
			/* Removed on purpose (a prune) since the scan. */
			o->gone = 1;
			return 0;
		}
		if ((ret = pack_stream_open(&st, p, cache, poff, &o->id)) < 0)
			return ret;
	}
	o->type = silo_stream_type(st);
	o->size = silo_stream_size(st);
	o->spool_off = off = atomic_fetch_add(&sp->end, o->size);
	while ((ret = silo_stream_read(st, &data, &len)) > 0) {
		if ((ret = pwrite_all(r->spool_fd, data, len, off, r->spool_path)) < 0)
			break;
		off += len;
	}
	silo_stream_free(st);
	return ret;
}

static void *spool_worker(void *arg)
{
	struct spooler *sp = arg;
	struct pack_cache *cache = NULL;
	size_t i;
	int ret = pack_cache_new(&cache, 0);

	while (!ret && !atomic_load(&sp->failed) &&
	       (i = atomic_fetch_add(&sp->next, 1)) < sp->r->n) {
		if ((ret = spool_one(sp, cache, i)) < 0)
			break;
		i = atomic_fetch_add(&sp->done, 1) + 1;
		pthread_mutex_lock(&sp->lock);
		progress(sp->r, "reading", i, sp->r->n);
		pthread_mutex_unlock(&sp->lock);
	}
	pack_cache_free(cache);
	if (ret < 0) {
		pthread_mutex_lock(&sp->lock);
		if (!atomic_exchange(&sp->failed, 1)) {
			sp->ret = ret;
			snprintf(sp->message, sizeof(sp->message), "%s", silo_error_message());
		}
		pthread_mutex_unlock(&sp->lock);
	}
	return NULL;
}

/* Copy every object, verified, into the spool, and map it.  Inflating
 * and hashing are the cost: objects are read on every CPU. */
static int spool(struct repack *r)
{
	struct spooler sp;
	pthread_t th[16];
	uint64_t off;
	size_t i, k;
	int ret, t, started = 0;

	if ((ret = fs_tmpfile(&r->spool_fd, &r->spool_path, r->s->pack_dir,
			      SILO_TMP_PREFIX "spool_")) < 0)
		return ret;
	memset(&sp, 0, sizeof(sp));
	sp.r = r;
	pthread_mutex_init(&sp.lock, NULL);
	atomic_init(&sp.next, 0);
	atomic_init(&sp.done, 0);
	atomic_init(&sp.end, 0);
	atomic_init(&sp.failed, 0);
	for (t = 1; t < r->threads && t < 16 && (size_t)t < r->n; t++)
		if (pthread_create(&th[started], NULL, spool_worker, &sp) == 0)
			started++;
	spool_worker(&sp);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&sp.lock);
	if (atomic_load(&sp.failed))
		return silo_error_set(sp.ret, "%s", sp.message);
	off = atomic_load(&sp.end);
	for (i = k = 0; i < r->n; i++) {
		if (r->objs[i].gone) {
			free(r->objs[i].loose);
			continue;
		}
		r->objs[k++] = r->objs[i];
	}
	r->n = k;
	r->map_size = off;
	if (!off) {
		/* Only empty objects: nothing to map, but pointers stay valid. */
		static const unsigned char nothing[1];
		r->map = nothing;
	} else {
		void *m = mmap(NULL, off, PROT_READ, MAP_SHARED, r->spool_fd, 0);
		if (m == MAP_FAILED)
			return silo_error_errno("cannot map '%s'", r->spool_path);
		r->map = m;
	}
	return 0;
}

static int find_obj(struct repack *r, const silo_oid *id)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = silo_oid_cmp(&r->objs[mid].id, id);
		if (!c)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int by_type_size(const void *a, const void *b, void *ctx)
{
	const struct repack *r = ctx;
	const struct obj *x = &r->objs[*(const size_t *)a];
	const struct obj *y = &r->objs[*(const size_t *)b];

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return silo_oid_cmp(&x->id, &y->id);
}

/* Does following hint bases from I ever reach J? */
static int hint_reaches(struct repack *r, int i, int j)
{
	size_t steps = 0;

	for (; i >= 0 && steps <= r->n; i = r->objs[i].hint_base, steps++)
		if (i == j)
			return 1;
	return 0;
}

/*
 * Put I in the pack order after its chain of hinted bases, which
 * hint_reaches() kept free of cycles.  STACK has room for every object:
 * a chain of hints may be long, so no recursion.
 */
static void emit_order(struct repack *r, size_t i, char *placed, size_t *stack,
		       size_t *k)
{
	size_t depth = 0;

	while (!placed[i]) {
		stack[depth++] = i;
		if (r->objs[i].hint_base < 0)
			break;
		i = (size_t)r->objs[i].hint_base;
	}
	while (depth) {
		i = stack[--depth];
		if (placed[i])
			continue;
		placed[i] = 1;
		r->order[(*k)++] = i;
	}
}

static int plan_order(struct repack *r)
{
	size_t *sorted, *stack, i, k = 0;
	char *placed;

	for (i = 0; i < r->o->n_hints; i++) {
		int a = find_obj(r, &r->o->hints[i].old_id);
		int b = find_obj(r, &r->o->hints[i].new_id);
		if (a < 0 || b < 0 || a == b || r->objs[a].type != r->objs[b].type)
			continue;
		if (hint_reaches(r, a, b))
			continue;	/* would make a cycle */
		r->objs[b].hint_base = a;
	}
	sorted = malloc(r->n * sizeof(*sorted));
	stack = malloc(r->n * sizeof(*stack));
	placed = calloc(r->n, 1);
	r->order = malloc(r->n * sizeof(*r->order));
	if (!sorted || !stack || !placed || !r->order) {
		free(sorted);
		free(stack);
		free(placed);
		return silo_error_oom();
	}
	for (i = 0; i < r->n; i++)
		sorted[i] = i;
	qsort_r(sorted, r->n, sizeof(*sorted), by_type_size, r);
	for (i = 0; i < r->n; i++)
		emit_order(r, sorted[i], placed, stack, &k);
	free(sorted);
	free(stack);
	free(placed);
	return 0;
}

/* ---- the delta search ---- */

static void drop_range(const unsigned char *p, uint64_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + pg - 1) & ~((uintptr_t)pg - 1);
	uintptr_t e = (uintptr_t)(p + len) & ~((uintptr_t)pg - 1);

	if (e > a)
		madvise((void *)a, e - a, MADV_DONTNEED);
}

/*
 * The indexes of recent candidates, kept while memory allows: each
 * object is tried as a base for up to WINDOW targets, and indexing it
 * anew each time would cost as much as the search.  RANK is the
 * object's place in pack order; the lowest rank, the first to leave
 * the window, is evicted first (least recently used would evict exactly
 * the index the next target needs first).
 */
static int get_index(struct repack *r, size_t obj, uint64_t rank,
		     const struct delta_index **out)
{
	struct idx_slot *victim = NULL;
	struct delta_index *idx;
	size_t i, mem;
	int ret;

	for (i = 0; i < IDX_SLOTS; i++)
		if (r->icache[i].idx && r->icache[i].obj == obj) {
			*out = r->icache[i].idx;
			return 0;
		}
	if ((ret = delta_index_new(&idx, r->map + r->objs[obj].spool_off,
				   (size_t)r->objs[obj].size, INDEX_MAX_ENTRIES,
				   r->objs[obj].size > BIG_OBJECT ? DELTA_DROP_PAGES : 0)) < 0)
		return ret;
	mem = delta_index_memory(idx);
	/* Evict the least recently used until it fits. */
	for (;;) {
		struct idx_slot *free_slot = NULL;
		victim = NULL;
		for (i = 0; i < IDX_SLOTS; i++) {
			if (!r->icache[i].idx) {
				free_slot = &r->icache[i];
				continue;
			}
			if (!victim || r->icache[i].used < victim->used)
				victim = &r->icache[i];
		}
		if (free_slot && (r->imem + mem <= INDEX_CACHE_BYTES || !victim)) {
			victim = free_slot;
			break;
		}
		if (!victim)
			break;
		r->imem -= victim->mem;
		delta_index_free(victim->idx);
		victim->idx = NULL;
	}
	victim->idx = idx;
	victim->obj = obj;
	victim->mem = mem;
	victim->used = rank;
	r->imem += mem;
	*out = idx;
	return 0;
}

/* About what delta_index_new() takes for an object of SIZE bytes. */
static size_t index_estimate(uint64_t size)
{
	size_t n = size / 16 > INDEX_MAX_ENTRIES ? INDEX_MAX_ENTRIES : (size_t)(size / 16);
	size_t nb = 16;

	while (nb < n / 2)
		nb <<= 1;
	return (n + nb) * sizeof(uint32_t);
}

/* Try SRC as the delta base of TRG, as git's try_delta() does. */
static int try_one(struct repack *r, size_t si, uint64_t rank, size_t ti, int hinted)
{
	struct obj *src = &r->objs[si], *trg = &r->objs[ti];
	int max_depth = r->o->depth;
	const struct delta_index *idx;
	uint64_t max_size;
	unsigned char *delta;
	size_t delta_size;
	int ret;

	if (src->depth >= max_depth || src->type != trg->type || src->size < 16)
		return 0;
	if (!hinted) {
		uint64_t sizediff, ref_depth;
		if (trg->size < src->size / 32)
			return 0;
		if (!trg->delta) {
			if (trg->size / 2 <= silo_oid_rawsz(r->s->format))
				return 0;
			max_size = trg->size / 2 - silo_oid_rawsz(r->s->format);
			ref_depth = 1;
		} else {
			max_size = trg->delta_size;
			ref_depth = (uint64_t)trg->depth;
		}
		/* Deeper bases must earn their place with smaller deltas. */
		max_size = max_size * (uint64_t)(max_depth - src->depth) /
			   ((uint64_t)max_depth - ref_depth + 1);
		sizediff = src->size < trg->size ? trg->size - src->size : 0;
		if (!max_size || sizediff >= max_size)
			return 0;
	} else {
		/* A hint is trusted: any delta smaller than the object. */
		max_size = trg->delta ? trg->delta_size : trg->size;
		if (!max_size)
			return 0;
	}
	if ((ret = get_index(r, si, rank, &idx)) < 0)
		return ret;
	ret = delta_create(idx, r->map + trg->spool_off, (size_t)trg->size,
			   (size_t)max_size,
			   trg->size > BIG_OBJECT || src->size > BIG_OBJECT ? DELTA_DROP_PAGES : 0,
			   r->threads, &delta, &delta_size);
	/* The spool's pages come back from the page cache when next
	 * needed; holding them would make memory grow with the window
	 * times the object size. */
	if (src->size >= DROP_OBJECT)
		drop_range(r->map + src->spool_off, src->size);
	if (ret <= 0)
		return ret;
	if (trg->delta && delta_size >= trg->delta_size) {
		free(delta);
		return 0;
	}
	free(trg->delta);
	trg->delta = delta;
	trg->delta_size = delta_size;
	trg->base = (int)si;
	trg->depth = src->depth + 1;
	return 0;
}

/* Choose the base of ORDER[J] among the objects before it, nearest
 * first: a good delta found early makes the later tries stop early. */
static int search_for(struct repack *r, size_t j)
{
	size_t ti = r->order[j], k, budget = 0;
	struct obj *trg = &r->objs[ti];
	int ret = 0;

	if (trg->size < 16)
		return 0;
	if (trg->hint_base >= 0 &&
	    (ret = try_one(r, (size_t)trg->hint_base, 0, ti, 1)) < 0)
		return ret;
	/* As git's --window-memory: the window also ends where the indexes
	 * of its candidates would pass the budget, so that memory stays
	 * bounded and no index is built twice for one target. */
	for (k = j; k > 0 && j - k < (size_t)r->o->window && !ret; k--) {
		size_t si = r->order[k - 1];
		budget += index_estimate(r->objs[si].size);
		if (budget > INDEX_CACHE_BYTES && k != j)
			break;
		if ((int)si != trg->hint_base)
			ret = try_one(r, si, k - 1, ti, 0);
	}
	if (trg->size >= DROP_OBJECT)
		drop_range(r->map + trg->spool_off, trg->size);
	return ret;
}

static int write_entry(struct repack *r, struct pack_out *out, struct obj *o)
{
	unsigned char h[32];
	size_t hl;
	int ret;

	o->offset = out->off;
	out->crc = crc32(0L, Z_NULL, 0);
	if (o->delta) {
		struct obj *b = &r->objs[o->base];
		hl = entry_header(h, PACK_OFS_DELTA, o->delta_size);
		hl += ofs_encode(h + hl, o->offset - b->offset);
		if ((ret = out_write(out, h, hl)) < 0 ||
		    (ret = out_deflate(out, o->delta, o->delta_size, r->o->level, 0)) < 0)
			return ret;
		free(o->delta);
		o->delta = NULL;
	} else {
		hl = entry_header(h, o->type, o->size);
		if ((ret = out_write(out, h, hl)) < 0)
			return ret;
		if (r->threads > 1 && o->size >= 2 * PZ_CHUNK)
			ret = out_deflate_parallel(out, r->map + o->spool_off, o->size,
						   r->o->level, r->threads);
		else
			ret = out_deflate(out, r->map + o->spool_off, o->size, r->o->level,
					  o->size > BIG_OBJECT);
		if (ret < 0)
			return ret;
		if (o->size >= DROP_OBJECT)
			drop_range(r->map + o->spool_off, o->size);
	}
	o->crc = (uint32_t)out->crc;
	return 0;
}


static int out_open(struct pack_out *out, const char *dir, const char *prefix, int format)
{
	int ret;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!(out->buf = malloc(WBUF)))
		return silo_error_oom();
	if ((ret = silo_hasher_new(&out->h, format)) < 0 ||
	    (ret = silo_hasher_begin_raw(out->h)) < 0)
		return ret;
	return fs_tmpfile(&out->fd, &out->path, dir, prefix);
}

/* Finish OUT: trailer checksum, flush, fsync; the checksum in *sum. */
static int out_finish(struct pack_out *out, silo_oid *sum)
{
	int ret;

	if ((ret = silo_hasher_final(sum, out->h)) < 0)
		return ret;
	if ((ret = out_write(out, sum->hash, silo_oid_rawsz(sum->format))) < 0 ||
	    (ret = out_flush(out)) < 0)
		return ret;
	if (fsync(out->fd) < 0)
		return silo_error_errno("cannot fsync '%s'", out->path);
	return 0;
}

static void out_discard(struct pack_out *out)
{
	if (out->fd >= 0)
		close(out->fd);
	if (out->path) {
		unlink(out->path);
		free(out->path);
	}
	free(out->buf);
	silo_hasher_free(out->h);
	memset(out, 0, sizeof(*out));
	out->fd = -1;
}

static int write_index(struct repack *r, const silo_oid *pack_sum, const char *dest)
{
	struct pack_out out;
	size_t rawsz = silo_oid_rawsz(r->s->format), i;
	uint32_t fan[256] = { 0 }, n64 = 0;
	unsigned char b[8];
	silo_oid sum;
	int ret;

	if ((ret = out_open(&out, r->s->pack_dir, SILO_TMP_PREFIX "idx_", r->s->format)) < 0)
		goto out;
	/* objs is sorted by id, as the index wants. */
	for (i = 0; i < r->n; i++)
		fan[r->objs[i].id.hash[0]]++;
	for (i = 1; i < 256; i++)
		fan[i] += fan[i - 1];
	if ((ret = out_write(&out, "\377tOc\0\0\0\2", 8)) < 0)
		goto out;
	for (i = 0; i < 256 && !ret; i++) {
		put_be32(b, fan[i]);
		ret = out_write(&out, b, 4);
	}
	for (i = 0; i < r->n && !ret; i++)
		ret = out_write(&out, r->objs[i].id.hash, rawsz);
	for (i = 0; i < r->n && !ret; i++) {
		put_be32(b, r->objs[i].crc);
		ret = out_write(&out, b, 4);
	}
	for (i = 0; i < r->n && !ret; i++) {
		uint64_t off = r->objs[i].offset;
		put_be32(b, off < 0x80000000u ? (uint32_t)off : 0x80000000u | n64++);
		ret = out_write(&out, b, 4);
	}
	for (i = 0; i < r->n && !ret; i++) {
		uint64_t off = r->objs[i].offset;
		if (off < 0x80000000u)
			continue;
		put_be64(b, off);
		ret = out_write(&out, b, 8);
	}
	if (!ret)
		ret = out_write(&out, pack_sum->hash, rawsz);
	if (!ret)
		ret = out_finish(&out, &sum);
	if (!ret && close(out.fd) < 0)
		ret = silo_error_errno("cannot write '%s'", out.path);
	out.fd = -1;
	if (!ret)
		ret = fs_link_into_place(out.path, dest, NULL);
out:
	out_discard(&out);
	return ret;
}

static int write_pack(struct repack *r, struct silo_repack_result *res)
{
	char hex[SILO_OID_MAX_HEXSZ + 1], *dest = NULL;
	int created = 0;
	struct pack_out out;
	unsigned char hdr[12];
	size_t j;
	silo_oid sum;
	int ret;

	if ((ret = out_open(&out, r->s->pack_dir, SILO_TMP_PREFIX "pack_", r->s->format)) < 0)
		goto out;
	memcpy(hdr, "PACK\0\0\0\2", 8);
	put_be32(hdr + 8, (uint32_t)r->n);
	if ((ret = out_write(&out, hdr, 12)) < 0)
		goto out;
	for (j = 0; j < r->n; j++) {
		struct obj *o = &r->objs[r->order[j]];
		/* Every candidate base came earlier and is in the pack. */
		if ((ret = search_for(r, j)) < 0 || (ret = write_entry(r, &out, o)) < 0)
			goto out;
		if (o->base >= 0)
			res->deltas++;
		progress(r, "compressing", j + 1, r->n);
	}
	if ((ret = out_finish(&out, &sum)) < 0)
		goto out;
	if (close(out.fd) < 0) {
		out.fd = -1;
		ret = silo_error_errno("cannot write '%s'", out.path);
		goto out;
	}
	out.fd = -1;
	silo_oid_to_hex(hex, &sum);
	snprintf(res->pack, sizeof(res->pack), "pack/pack-%s.pack", hex);
	if (!(dest = fs_join(r->s->root, res->pack))) {
		ret = silo_error_oom();
		goto out;
	}
	/* The .pack first: a reader ignores a pack until its index exists. */
	if ((ret = fs_link_into_place(out.path, dest, &created)) < 0)
		goto out;
	strcpy(dest + strlen(dest) - 4, "idx");
	if ((ret = write_index(r, &sum, dest)) < 0) {
		/* A pack we just linked, with no index, would only be dead
		 * weight (and a warning of verify's) for good: take it back. */
		if (created) {
			strcpy(dest + strlen(dest) - 3, "pack");
			unlink(dest);
		}
		goto out;
	}
	ret = fs_fsync_path(r->s->pack_dir);
out:
	free(dest);
	out_discard(&out);
	return ret;
}

static int remove_old(struct repack *r, struct silo_repack_result *res)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < r->n; i++) {
		char *path;
		if (!r->objs[i].loose)
			continue;
		if (!(path = fs_join(r->s->root, r->objs[i].loose)))
			return silo_error_oom();
		if (unlink(path) == 0)
			res->removed_loose++;
		else if (errno != ENOENT)
			ret = silo_error_errno("cannot remove '%s'", r->objs[i].loose);
		/* Its fan-out directory goes too once empty, as git's
		 * prune-packed does; one still in use stays. */
		*strrchr(path, '/') = '\0';
		if (!ret)
			rmdir(path);
		free(path);
		if (ret)
			return ret;
	}
	for (i = 0; i < r->n_old; i++) {
		char rel[64 + SILO_OID_MAX_HEXSZ], *idx, *pack;
		snprintf(rel, sizeof(rel), "%s.pack", r->old[i]);
		if (!strcmp(rel, res->pack))
			continue;	/* the same content, packed again */
		pack = fs_join(r->s->root, rel);
		snprintf(rel, sizeof(rel), "%s.idx", r->old[i]);
		idx = fs_join(r->s->root, rel);
		if (!idx || !pack) {
			free(idx);
			free(pack);
			return silo_error_oom();
		}
		/* The index goes first: a pack without one is ignored. */
		if (unlink(idx) < 0 && errno != ENOENT)
			ret = silo_error_errno("cannot remove '%s.idx'", r->old[i]);
		else if (unlink(pack) < 0 && errno != ENOENT)
			ret = silo_error_errno("cannot remove '%s.pack'", r->old[i]);
		else
			res->removed_packs++;
		free(idx);
		free(pack);
		if (ret)
			return ret;
	}
	return fs_fsync_path(r->s->pack_dir);
}

/*
 * Remove temporary files in pack/ left by repacks killed long ago: a
 * spool is as large as the objects it held.  A day is far longer than
 * any running repack takes to touch its files again.
 */
#define STALE_SECONDS (24 * 3600)

static void remove_stale_temps(silo *s)
{
	struct dirent *de;
	time_t now = time(NULL);
	DIR *d = opendir(s->pack_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		char *path;
		if (strncmp(de->d_name, SILO_TMP_PREFIX, strlen(SILO_TMP_PREFIX)))
			continue;
		if (!(path = fs_join(s->pack_dir, de->d_name)))
			break;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > STALE_SECONDS)
			unlink(path);
		free(path);
	}
	closedir(d);
}

int silo_repack(struct silo_repack_result *res, silo *s,
		const struct silo_repack_options *opts)
{
	struct repack r;
	size_t i;
	int ret;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.o = opts;
	r.spool_fd = -1;
	if (opts->window < 0 || opts->depth < 0 || opts->level < 1 || opts->level > 9)
		return silo_error_set(SILO_EINVALID, "repack: bad window, depth or level");
	r.threads = opts->threads;
	if (r.threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		r.threads = n > 0 ? (int)n : 1;
	}
	if ((ret = fs_mkdir_p(s->pack_dir, 0777)) < 0)
		return ret;
	remove_stale_temps(s);
	if ((ret = pack_set_load(s->packs, 1)) < 0)
		return ret;
	if (opts->all && s->packs->error) {
		/* Never drop a pack we could not read. */
		return silo_error_set(s->packs->error, "%s", s->packs->error_msg);
	}
	if ((ret = collect(&r)) < 0 || !r.n)
		goto out;
	if (r.n > 0xffffffffu) {
		ret = silo_error_set(SILO_EINVALID, "too many objects for one pack");
		goto out;
	}
	if ((ret = spool(&r)) < 0 || !r.n || (ret = plan_order(&r)) < 0)
		goto out;
	if ((ret = write_pack(&r, res)) < 0)
		goto out;
	res->objects = r.n;
	/* pack/packs tells readers over HTTP, which cannot list pack/, what
	 * is there: first the new pack beside the old, then without them. */
	if ((ret = silo_pack_list_write(s)) < 0)
		goto out;
	if (opts->delete_old && (ret = remove_old(&r, res)) == 0)
		ret = silo_pack_list_write(s);
	/* What this handle knew about packs is stale now. */
	pack_set_close(s->packs);
out:
	if (r.map && r.map_size)
		munmap((void *)r.map, r.map_size);
	if (r.spool_fd >= 0)
		close(r.spool_fd);
	if (r.spool_path) {
		unlink(r.spool_path);
		free(r.spool_path);
	}
	for (i = 0; i < r.n; i++) {
		free(r.objs[i].loose);
		free(r.objs[i].delta);
	}
	free(r.objs);
	free(r.order);
	for (i = 0; i < IDX_SLOTS; i++)
		delta_index_free(r.icache[i].idx);
	for (i = 0; i < r.n_old; i++)
		free(r.old[i]);
	free(r.old);
	return ret;
}
