/*
 * Writing loose objects.  Each put hashes its input, and only if the silo
 * lacks the object compresses it into a temporary file.  The commit makes
 * all temporary files durable with one flush of the file system (not one
 * fsync per object, which made peers many times slower on large batches),
 * then links each to its final name, never replacing an existing file,
 * and flushes again so that the names are durable too.
 */
#include "store-internal.h"
#include "alloc.h"
#include "byteorder.h"
#include "deflate.h"
#include "error-internal.h"
#include "fsutil.h"
#include "source.h"
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

/*
 * Large objects are compressed on several threads: the content is cut
 * into members of MEMBER bytes, each compressed alone into its own gzip
 * member, and the members are written one after another.  The result is
 * still one gzip file to zcat; each member costs a few bytes and loses
 * the 32 KiB of history at its start, far under 1% at this size.  Members
 * are compressed whole with libdeflate (deflate.c), also for small
 * objects and on one thread.
 */
#define MEMBER (1024 * 1024)
#define MAX_THREADS 8

struct pending {
	char *tmp;
	silo_oid id;
};

struct silo_writer {
	silo *s;
	int level;
	int threads;
	silo_hasher *hasher;
	struct pending *pending;
	size_t n_pending, alloc_pending;
	void (*progress)(void *payload, uint64_t bytes);
	void *progress_payload;
	unsigned char *in;	/* CHUNK bytes */
};

int silo_writer_new(silo_writer **out, silo *s)
{
	struct silo_source *remote = silo__remote_source(s);
	silo_writer *w;
	int ret;

	*out = NULL;
	if (remote)
		return silo__error_set(SILO_EINVALID,
			"cannot write to '%s': a silo served over HTTP is written "
			"where it is stored, then copied (rsync, rclone)",
			remote->name);
	w = calloc(1, sizeof(*w));
	if (!w)
		return silo__error_oom();
	w->s = s;
	w->level = SILO_DEFAULT_LEVEL;
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		w->threads = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
	}
	w->in = malloc(CHUNK);
	if (!w->in) {
		silo_writer_free(w);
		return silo__error_oom();
	}
	if ((ret = silo_hasher_new(&w->hasher, s->format)) < 0) {
		silo_writer_free(w);
		return ret;
	}
	*out = w;
	return 0;
}

void silo_writer_set_level(silo_writer *w, int level)
{
	if (level >= 1 && level <= 9)
		w->level = level;
}

void silo_writer_set_threads(silo_writer *w, int threads)
{
	w->threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
}

void silo_writer_set_progress(silo_writer *w,
			      void (*fn)(void *payload, uint64_t bytes), void *payload)
{
	w->progress = fn;
	w->progress_payload = payload;
}

/* BYTES of an object are compressed and written. */
static void tell_progress(silo_writer *w, uint64_t bytes)
{
	if (w->progress)
		w->progress(w->progress_payload, bytes);
}

static void drop_pending(silo_writer *w)
{
	size_t i;

	for (i = 0; i < w->n_pending; i++) {
		unlink(w->pending[i].tmp);
		free(w->pending[i].tmp);
	}
	w->n_pending = 0;
}

void silo_writer_free(silo_writer *w)
{
	if (!w)
		return;
	drop_pending(w);
	free(w->pending);
	silo_hasher_free(w->hasher);
	free(w->in);
	free(w);
}

static int add_pending(silo_writer *w, char *tmp, const silo_oid *id)
{
	if (ALLOC_GROW(w->pending, w->n_pending + 1, w->alloc_pending) < 0)
		return silo__error_oom();
	w->pending[w->n_pending].tmp = tmp;
	w->pending[w->n_pending].id = *id;
	w->n_pending++;
	return 0;
}

/*
 * Read exactly LEN bytes of FD at OFF into BUF.  The file is being stored
 * under an id computed from its size: running short means it changed.
 */
static int read_exactly(int fd, void *buf, size_t len, off_t off, const char *name)
{
	ssize_t n = fs_pread_full(fd, buf, len, off, name);

	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return silo__error_set(SILO_EIO, "'%s' shrank while being stored", name);
	return 0;
}

/* Hash SIZE bytes of FD from the start; the file must not change size. */
static int hash_fd(silo_writer *w, silo_oid *id, int fd, uint64_t size,
		   const char *name)
{
	uint64_t left = size;
	off_t off = 0;
	int ret;

	if ((ret = silo_hasher_begin(w->hasher, SILO_OBJ_BLOB, size)) < 0)
		return ret;
	while (left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;
		if ((ret = read_exactly(fd, w->in, n, off, name)) < 0 ||
		    (ret = silo_hasher_update(w->hasher, w->in, n)) < 0)
			return ret;
		off += (off_t)n;
		left -= n;
	}
	return silo_hasher_final(id, w->hasher);
}

/* Our gzip extra field: the content size, so that a reader knows it
 * before inflating. */
static void make_extra(unsigned char *extra, uint64_t size)
{
	extra[0] = SILO_GZ_EXTRA_ID1;
	extra[1] = SILO_GZ_EXTRA_ID2;
	extra[2] = 8;
	extra[3] = 0;
	put_le64(extra + 4, size);
}

/* One member compressed by one thread. */
struct member_job {
	int fd;
	off_t off;
	size_t len;
	uint64_t total_size;	/* for the first member's header */
	unsigned char *in, *out;
	size_t out_cap, out_len;
	int failed;		/* 0, or errno of a failed read, or -1 */
};

/* Compress J with D: one gzip member (libdeflate), mtime 0 so that equal
 * content gives equal files, the first member with our size field. */
static void compress_member(struct member_job *j, struct silo_deflater *d)
{
	unsigned char extra[SILO_GZ_EXTRA_LEN];
	/* The message of a failed read stays in this thread: the caller
	 * only learns errno (or -1 for a short read). */
	ssize_t got = fs_pread_full(j->fd, j->in, j->len, j->off, "");

	if (got < 0 || (size_t)got != j->len) {
		j->failed = got < 0 ? errno : -1;
		return;
	}
	make_extra(extra, j->total_size);
	j->out_len = silo__deflate_gzip(d, j->in, j->len, extra,
				        j->off == 0 ? SILO_GZ_EXTRA_LEN : 0,
				        j->out, j->out_cap);
	if (!j->out_len)
		j->failed = -1;
}

/* Fill J for member I of an object of SIZE bytes in FD. */
static void member_at(struct member_job *j, int fd, uint64_t i, uint64_t size)
{
	j->fd = fd;
	j->off = (off_t)(i * MEMBER);
	j->len = size - i * MEMBER < MEMBER ? (size_t)(size - i * MEMBER) : MEMBER;
	j->total_size = size;
	j->failed = 0;
}

/* The error for the failed member J of NAME. */
static int member_error(const struct member_job *j, const char *name)
{
	if (j->failed > 0) {
		errno = j->failed;
		return silo__error_errno("cannot read '%s'", name);
	}
	return silo__error_set(SILO_EIO,
		"'%s' shrank while being stored, or compressing it failed", name);
}

/* Compress SIZE bytes of FD into the new temporary file TMP_FD, member
 * after member on this thread. */
static int compress_serial(silo_writer *w, int tmp_fd, const char *tmp, int fd,
			   uint64_t size, const char *name)
{
	struct silo_deflater *d;
	struct member_job j;
	size_t in_cap = size < MEMBER ? (size_t)size : MEMBER;
	uint64_t i = 0;
	int ret;

	if ((ret = silo__deflater_new(&d, w->level)) < 0)
		return ret;
	memset(&j, 0, sizeof(j));
	j.out_cap = silo__deflate_bound(d, in_cap, SILO_GZ_EXTRA_LEN);
	j.in = malloc(in_cap ? in_cap : 1);
	j.out = malloc(j.out_cap);
	if (!j.in || !j.out)
		ret = silo__error_oom();
	/* An empty object is still one member. */
	do {
		if (ret)
			break;
		member_at(&j, fd, i, size);
		compress_member(&j, d);
		if (j.failed)
			ret = member_error(&j, name);
		else
			ret = fs_write_all(tmp_fd, j.out, j.out_len, tmp);
		tell_progress(w, (uint64_t)j.off + j.len);
	} while (++i * MEMBER < size);
	free(j.in);
	free(j.out);
	silo__deflater_free(d);
	return ret;
}

/*
 * An ordered pipeline: worker threads take members in turn from a
 * counter and compress each into one of a few buffers; the calling thread
 * writes the buffers out in member order.  A worker runs ahead of the
 * writer by at most two members per thread, which bounds memory.
 */
#define SLOTS (2 * MAX_THREADS)

struct member_pipe {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct member_job slot[SLOTS];
	int ready[SLOTS];
	uint64_t next;		/* the next member a worker takes */
	uint64_t written;	/* members written out so far */
	uint64_t members;
	uint64_t size;
	int fd, level, stop;
	int nslots;		/* slots in use: two per thread */
};

struct pipe_worker_arg {
	struct member_pipe *mp;
	struct silo_deflater *d;
};

static void *pipe_worker(void *arg)
{
	struct member_pipe *mp = ((struct pipe_worker_arg *)arg)->mp;
	struct silo_deflater *d = ((struct pipe_worker_arg *)arg)->d;

	pthread_mutex_lock(&mp->lock);
	for (;;) {
		uint64_t i = mp->next;
		struct member_job *j;

		if (mp->stop || i >= mp->members)
			break;
		if (i - mp->written >= (uint64_t)mp->nslots) {
			pthread_cond_wait(&mp->changed, &mp->lock);
			continue;
		}
		mp->next++;
		pthread_mutex_unlock(&mp->lock);
		j = &mp->slot[i % mp->nslots];
		member_at(j, mp->fd, i, mp->size);
		compress_member(j, d);
		pthread_mutex_lock(&mp->lock);
		mp->ready[i % mp->nslots] = 1;
		pthread_cond_broadcast(&mp->changed);
	}
	pthread_mutex_unlock(&mp->lock);
	return NULL;
}

/* Compress SIZE bytes of FD as MEMBER-sized gzip members on W's threads,
 * written in order to TMP_FD. */
static int compress_parallel(silo_writer *w, int tmp_fd, const char *tmp, int fd,
			     uint64_t size, const char *name)
{
	struct member_pipe *mp;
	struct pipe_worker_arg args[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	int t, started = 0, ret = 0;
	size_t bound;
	uint64_t i;

	if (!(mp = calloc(1, sizeof(*mp))))
		return silo__error_oom();
	memset(args, 0, sizeof(args));
	for (t = 0; t < w->threads; t++) {
		args[t].mp = mp;
		if ((ret = silo__deflater_new(&args[t].d, w->level)) < 0)
			goto out;
	}
	/* Room for the worst case and our header. */
	bound = silo__deflate_bound(args[0].d, MEMBER, SILO_GZ_EXTRA_LEN);
	mp->nslots = 2 * w->threads;
	for (t = 0; t < mp->nslots; t++) {
		mp->slot[t].in = malloc(MEMBER);
		mp->slot[t].out = malloc(bound);
		mp->slot[t].out_cap = bound;
		if (!mp->slot[t].in || !mp->slot[t].out) {
			ret = silo__error_oom();
			goto out;
		}
	}
	pthread_mutex_init(&mp->lock, NULL);
	pthread_cond_init(&mp->changed, NULL);
	mp->members = (size + MEMBER - 1) / MEMBER;
	mp->size = size;
	mp->fd = fd;
	mp->level = w->level;
	for (t = 0; t < w->threads; t++) {
		if (pthread_create(&tids[t], NULL, pipe_worker, &args[t]) != 0)
			break;
		started++;
	}
	if (!started) {
		/* No threads to be had: do the work here, in order. */
		ret = compress_serial(w, tmp_fd, tmp, fd, size, name);
		goto done;
	}
	for (i = 0; i < mp->members && !ret; i++) {
		struct member_job *j = &mp->slot[i % mp->nslots];

		pthread_mutex_lock(&mp->lock);
		while (!mp->ready[i % mp->nslots])
			pthread_cond_wait(&mp->changed, &mp->lock);
		pthread_mutex_unlock(&mp->lock);
		if (j->failed) {
			ret = member_error(j, name);
			break;
		}
		ret = fs_write_all(tmp_fd, j->out, j->out_len, tmp);
		tell_progress(w, (uint64_t)j->off + j->len);
		pthread_mutex_lock(&mp->lock);
		mp->ready[i % mp->nslots] = 0;
		mp->written++;
		pthread_cond_broadcast(&mp->changed);
		pthread_mutex_unlock(&mp->lock);
	}
	pthread_mutex_lock(&mp->lock);
	mp->stop = 1;
	pthread_cond_broadcast(&mp->changed);
	pthread_mutex_unlock(&mp->lock);
	for (t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
done:
	pthread_cond_destroy(&mp->changed);
	pthread_mutex_destroy(&mp->lock);
out:
	for (t = 0; t < mp->nslots; t++) {
		free(mp->slot[t].in);
		free(mp->slot[t].out);
	}
	for (t = 0; t < w->threads; t++)
		silo__deflater_free(args[t].d);
	free(mp);
	return ret;
}

static int compress_fd(silo_writer *w, int tmp_fd, const char *tmp, int fd,
		       uint64_t size, const char *name)
{
	if (w->threads > 1 && size >= 2 * (uint64_t)MEMBER)
		return compress_parallel(w, tmp_fd, tmp, fd, size, name);
	return compress_serial(w, tmp_fd, tmp, fd, size, name);
}

int silo__writer_tmpfile(silo_writer *w, int *fd, char **path, const char *what)
{
	char prefix[64];
	int ret;

	snprintf(prefix, sizeof(prefix), SILO_TMP_PREFIX "%s_", what);
	if ((ret = fs_tmpfile(fd, path, w->s->objects_dir, prefix)) < 0)
		return ret;
	if (fchmod(*fd, 0600) < 0) {
		ret = silo__error_errno("cannot set the mode of '%s'", *path);
		close(*fd);
		unlink(*path);
		free(*path);
		*fd = -1;
		*path = NULL;
	}
	return ret;
}

/* Copy a stream of unknown length into a temporary file to learn its size. */
static int spool(silo_writer *w, int *spool_fd, char **spool_path, int fd,
		 const char *name)
{
	int ret;

	if ((ret = fs_tmpfile(spool_fd, spool_path, w->s->objects_dir,
			      SILO_TMP_PREFIX "spool_")) < 0)
		return ret;
	for (;;) {
		ssize_t n = read(fd, w->in, CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return silo__error_errno("cannot read '%s'", name);
		}
		if (n == 0)
			return 0;
		if ((ret = fs_write_all(*spool_fd, w->in, (size_t)n, *spool_path)) < 0)
			return ret;
	}
}


/*
 * ID is stored already: make the file holding it young again, its loose
 * file or else its pack, since prune spares young files (a pack made
 * young while a prune rewrites it is kept).  Returns 1 if the object is
 * still there, 0 if it is gone and must be written again: a prune may
 * have removed the old file between the caller's look and this one.  A
 * silo shared with other users may not let us change their file's time:
 * it is still there, and that is not an error.
 */
static int freshen(silo *s, const silo_oid *id)
{
	char rel[SILO_LOOSE_PATH_MAX];
	struct pack *p;
	char *path;
	int ret;

	silo_loose_relpath(rel, id);
	if (!(path = fs_join(s->root, rel)))
		return silo__error_oom();
	ret = utimensat(AT_FDCWD, path, NULL, 0);
	free(path);
	if (ret == 0 || (errno != ENOENT && errno != ENOTDIR))
		return 1;
	/* No loose file: its pack, or pruned just now (gone). */
	if ((ret = pack_set_load(s->packs, 1)) < 0)
		return ret;
	return pack_set_freshen(s->packs, id, &p);
}

/* Store the regular file FD, whose state before reading is ST. */
static int put_regular(silo_writer *w, silo_oid *out, int fd,
		       const struct stat *st, const char *name)
{
	uint64_t size = (uint64_t)st->st_size;
	struct stat after;
	char *tmp = NULL;
	int tmp_fd = -1, ret, have;

	if ((ret = hash_fd(w, out, fd, size, name)) < 0)
		return ret;
	if ((have = silo__has_object_local(w->s, out)) < 0)
		return have;
	if (have) {
		/* The write-once rule: nothing to write.  But the object is
		 * wanted again, so it is made young again: prune spares young
		 * objects, and one stored long ago may be what a treeptr not
		 * yet committed names (as git freshens objects it finds).
		 * If it went away meanwhile, it is written again. */
		if ((have = freshen(w->s, out)) != 0)
			return have < 0 ? have : 0;
	}
	if ((ret = fs_tmpfile(&tmp_fd, &tmp, w->s->objects_dir,
			      SILO_TMP_PREFIX "obj_")) < 0)
		return ret;
	ret = compress_fd(w, tmp_fd, tmp, fd, size, name);
	if (!ret && close(tmp_fd) < 0)
		ret = silo__error_errno("cannot write '%s'", tmp);
	else if (ret)
		close(tmp_fd);
	/* Hashing and compressing read the file twice: it must not change
	 * in between, or the object would not match its name. */
	if (!ret && fstat(fd, &after) < 0)
		ret = silo__error_errno("cannot stat '%s'", name);
	if (!ret && !fs_same_state(st, &after))
		ret = silo__error_set(SILO_EIO, "'%s' changed while being stored", name);
	if (!ret)
		ret = add_pending(w, tmp, out);
	if (ret) {
		unlink(tmp);
		free(tmp);
	}
	return ret;
}

int silo_writer_put_fd(silo_oid *out, silo_writer *w, int fd, const char *name)
{
	struct stat st;
	char *spool_path = NULL;
	int spool_fd = -1, ret;

	if (fstat(fd, &st) < 0)
		return silo__error_errno("cannot stat '%s'", name);
	if (S_ISDIR(st.st_mode))
		return silo__error_set(SILO_EINVALID, "'%s' is a directory", name);
	if (S_ISREG(st.st_mode))
		return put_regular(w, out, fd, &st, name);
	ret = spool(w, &spool_fd, &spool_path, fd, name);
	if (!ret && fstat(spool_fd, &st) < 0)
		ret = silo__error_errno("cannot stat '%s'", spool_path);
	if (!ret)
		ret = put_regular(w, out, spool_fd, &st, name);
	if (spool_fd >= 0)
		close(spool_fd);
	if (spool_path) {
		unlink(spool_path);
		free(spool_path);
	}
	return ret;
}

int silo_writer_put_file(silo_oid *out, silo_writer *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return silo__error_errno("cannot open '%s'", path);
	ret = silo_writer_put_fd(out, w, fd, path);
	close(fd);
	return ret;
}

struct silo_spool {
	silo_writer *w;
	int fd;
	char *path;
};

int silo_spool_new(silo_spool **out, silo_writer *w)
{
	silo_spool *sp;
	int ret;

	*out = NULL;
	if (!(sp = calloc(1, sizeof(*sp))))
		return silo__error_oom();
	sp->w = w;
	if ((ret = fs_tmpfile(&sp->fd, &sp->path, w->s->objects_dir,
			      SILO_TMP_PREFIX "spool_")) < 0) {
		free(sp);
		return ret;
	}
	*out = sp;
	return 0;
}

int silo_spool_write(void *spool, const void *data, size_t len)
{
	silo_spool *sp = spool;

	return fs_write_all(sp->fd, data, len, sp->path);
}

int silo_spool_put(silo_oid *out, silo_spool *sp)
{
	struct stat st;

	if (fstat(sp->fd, &st) < 0)
		return silo__error_errno("cannot stat '%s'", sp->path);
	return put_regular(sp->w, out, sp->fd, &st, sp->path);
}

void silo_spool_free(silo_spool *sp)
{
	if (!sp)
		return;
	close(sp->fd);
	unlink(sp->path);
	free(sp->path);
	free(sp);
}

int silo_writer_put_buffer(silo_oid *out, silo_writer *w, const void *data, size_t len)
{
	silo_spool *sp;
	int ret;

	if ((ret = silo_spool_new(&sp, w)) < 0)
		return ret;
	if (!(ret = silo_spool_write(sp, data, len)))
		ret = silo_spool_put(out, sp);
	silo_spool_free(sp);
	return ret;
}

int silo_writer_commit(silo_writer *w, size_t *created)
{
	struct fs_sync_set sync;
	size_t i;
	int ret;

	if (!w->n_pending)
		return 0;
	/* 1. The content of every temporary file reaches the disk... */
	fs_sync_set_init(&sync, w->s->objects_dir);
	for (i = 0, ret = 0; i < w->n_pending && !ret; i++)
		ret = fs_sync_set_add(&sync, w->pending[i].tmp);
	if (ret < 0 || (ret = fs_sync_set_run(&sync)) < 0) {
		fs_sync_set_release(&sync);
		return ret;
	}
	/* 2. ...before any of them gets its name.  Each linked object
	 * leaves the list at once, so a failure leaves only what is left
	 * to undo for silo_writer_free(). */
	while (w->n_pending) {
		struct pending *p = &w->pending[w->n_pending - 1];
		char rel[SILO_LOOSE_PATH_MAX];
		char *dest, *dir;
		int made = 0;

		silo_loose_relpath(rel, &p->id);
		dest = fs_join(w->s->root, rel);
		dir = dest ? strdup(dest) : NULL;
		if (!dir) {
			free(dest);
			fs_sync_set_release(&sync);
			return silo__error_oom();
		}
		*strrchr(dir, '/') = '\0';
		/* An object already there is made young again instead (see
		 * freshen()); one that is not, or just went, is linked. */
		ret = freshen(w->s, &p->id);
		if (ret == 1 && unlink(p->tmp) < 0 && errno != ENOENT)
			ret = silo__error_errno("cannot remove '%s'", p->tmp);
		/* A repack removes fan-out directories it emptied: one may
		 * vanish between our mkdir and our link.  Make it again. */
		for (int tries = 0; ret == 0 && tries < 5; ) {
			ret = fs_mkdir_p(dir, 0777);
			if (!ret)
				ret = fs_link_into_place(p->tmp, dest, &made);
			if (ret != SILO_ENOTFOUND || fs_exists(p->tmp) != 1 || ++tries == 5)
				break;
			ret = 0;
		}
		/* The name is in DIR, which may itself be new; one that was
		 * there already may be another writer's, not yet flushed. */
		if (ret >= 0 && (ret = fs_sync_set_add(&sync, dir)) == 0)
			ret = fs_sync_set_add(&sync, w->s->objects_dir);
		free(dir);
		free(dest);
		if (ret < 0) {
			fs_sync_set_release(&sync);
			return ret;
		}
		if (made && created)
			(*created)++;
		free(p->tmp);
		w->n_pending--;
	}
	/* 3. ...and the names reach the disk before commit returns. */
	return fs_sync_set_run(&sync);
}
