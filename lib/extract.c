/*
 * Safe extraction of an archive into a new directory, computing the git
 * tree id of what is written on the way.
 *
 * Two layers keep every write inside DEST.  The archive walk (see
 * tree-archive.c) refuses absolute paths, "..", entries and hard link
 * targets through a symlink of the archive, and rewrites each entry to
 * its normalised relative path.  The writer below then creates every
 * file relative to a descriptor of DEST, one path component at a time,
 * never following a symlink (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW): DEST is
 * new, so every directory in it was made here.
 *
 * It is written over directory descriptors rather than with libarchive's
 * disk writer because that one resolves paths against the working
 * directory (so a library call would have to change the process's
 * working directory, which threads share) and checks each component of
 * each path again with lstat(), which made extraction twice as slow as
 * tar's.  Permissions (less the umask) and modification times are
 * restored, owners never.
 *
 * Creating many small files is bound by the kernel, so it is spread over
 * writer threads: this thread reads the archive, hashes contents and
 * makes directories; files up to SMALL_FILE bytes are gathered, with
 * their content, in batches of one directory each, and a writer creates
 * them relative to the batch's own descriptor of that directory (four
 * system calls a file: openat with O_EXCL and O_NOFOLLOW and the final
 * mode, pwrite, futimens, close).  Writers only ever create new names in
 * directories this thread made; whatever depends on order (an entry that
 * replaces an earlier one, a hard link to an earlier file) first waits
 * for every queued file, then is done here as before.
 */
#include "tree-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"
#include "strvec.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* A directory whose mode and time are set once its content is written. */
struct dir_fixup {
	char *path;
	mode_t mode;
	struct timespec mtime;
};

/* Files up to this size go to the writer threads with their content. */
#define SMALL_FILE (1024 * 1024)
/* A batch is handed over when it holds this many bytes or files. */
#define BATCH_BYTES (512 * 1024)
#define BATCH_FILES 256
/* At most this many bytes and batches (each holding a descriptor) wait:
 * memory and descriptors stay bounded. */
#define QUEUE_BYTES (16 * 1024 * 1024)
#define QUEUE_BATCHES 64	/* or a quarter of the descriptors allowed */
#define MAX_WRITERS 4

struct small_file {
	size_t name;		/* offset of its name in the batch's names */
	size_t data;		/* offset of its content in the batch's data */
	size_t len;
	mode_t perm;
	struct timespec mtime;
};

/* Small files of one directory, for a writer. */
struct batch {
	struct batch *next;
	int dirfd;		/* owned by the batch */
	struct strbuf dir;	/* relative to DEST, for messages */
	struct strbuf names;	/* NUL-terminated names */
	struct strbuf data;
	struct small_file *files;
	size_t n, alloc;
};

struct writers {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a batch was queued, or stop */
	pthread_cond_t idle;	/* a batch was done */
	pthread_t threads[MAX_WRITERS];
	int n_threads;
	struct batch *head, *tail;
	size_t queued_bytes, queued_batches;	/* waiting or being written */
	size_t max_batches;
	int busy;		/* batches being written */
	int stop;
	/* the first failure */
	int failed, err;
	char *err_path;
	const char *err_what;
};

struct extract_state {
	const char *name;	/* the archive, for messages */
	const char *dest;
	int destfd;
	/* the directory of the last entry, kept open: tar entries come
	 * sorted, so most entries share their predecessor's directory */
	struct strbuf dir;
	int dirfd;
	/* the regular file being written */
	int fd;
	const char *path;
	mode_t perm;		/* the archive's, before the umask */
	mode_t umask;
	struct dir_fixup *fixups;
	size_t n_fixups, alloc_fixups;
	/* the small file being gathered into CUR, if QUEUED */
	int queued;
	int replaces;		/* set by the walk before on_header */
	struct batch *cur;	/* small files of the directory x->dir */
	struct writers *w;	/* NULL: everything is written here */
	tree_extract_want_fn *want;	/* NULL: every entry */
	void *want_payload;
	struct strvec *links;	/* with WANT: hard links to entries not written */
};

static int fail_errno(struct extract_state *x, const char *path, const char *what)
{
	return silo__error_errno("cannot %s '%s' of archive '%s' in '%s'", what, path,
				 x->name, x->dest);
}

static void batch_free(struct batch *b)
{
	if (!b)
		return;
	if (b->dirfd >= 0)
		close(b->dirfd);
	strbuf_release(&b->dir);
	strbuf_release(&b->names);
	strbuf_release(&b->data);
	free(b->files);
	free(b);
}

/* Write one small file of B; returns 0 or an errno, *WHAT saying what failed. */
static int write_small(struct batch *b, struct small_file *f, const char **what)
{
	const char *name = b->names.buf + f->name;
	const char *p = b->data.buf + f->data;
	size_t len = f->len;
	off_t off = 0;
	int fd, err;

	*what = "create";
	fd = openat(b->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    f->perm);
	if (fd < 0)
		return errno;
	*what = "write";
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	*what = "finish";
	if (f->mtime.tv_nsec != UTIME_OMIT) {
		struct timespec times[2] = { f->mtime, f->mtime };
		if (futimens(fd, times) < 0)
			goto fail;
	}
	*what = "write";
	if (close(fd) < 0)
		return errno;
	return 0;
fail:
	err = errno;
	close(fd);
	return err;
}

static void *writer_main(void *arg)
{
	struct writers *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct batch *b;
		size_t bytes, i;
		int failed;

		while (!w->head && !w->stop)
			pthread_cond_wait(&w->work, &w->lock);
		if (!w->head)
			break;
		b = w->head;
		if (!(w->head = b->next))
			w->tail = NULL;
		w->busy++;
		failed = w->failed || w->stop;	/* after a failure, nothing more */
		pthread_mutex_unlock(&w->lock);

		bytes = b->data.len;
		for (i = 0; i < b->n && !failed; i++) {
			const char *what;
			int err = write_small(b, &b->files[i], &what);
			if (!err)
				continue;
			failed = 1;
			pthread_mutex_lock(&w->lock);
			if (!w->failed) {
				struct strbuf path = STRBUF_INIT;
				w->failed = 1;
				w->err = err;
				w->err_what = what;
				if ((!b->dir.len || (strbuf_add(&path, b->dir.buf, b->dir.len) == 0 &&
						     strbuf_add(&path, "/", 1) == 0)) &&
				    strbuf_add(&path, b->names.buf + b->files[i].name,
					       strlen(b->names.buf + b->files[i].name)) == 0)
					w->err_path = strbuf_detach(&path);
				strbuf_release(&path);
			}
			pthread_mutex_unlock(&w->lock);
		}
		batch_free(b);

		pthread_mutex_lock(&w->lock);
		w->busy--;
		w->queued_bytes -= bytes;
		w->queued_batches--;
		pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Start the writers, or leave x->w NULL where threads cannot start. */
static void writers_start(struct extract_state *x)
{
	struct writers *w = calloc(1, sizeof(*w));
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cpus < 1 ? 1 : cpus > MAX_WRITERS ? MAX_WRITERS : (int)cpus;
	struct rlimit rl;

	if (!w)
		return;
	w->max_batches = QUEUE_BATCHES;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < QUEUE_BATCHES)
		w->max_batches = rl.rlim_cur >= 8 ? (size_t)rl.rlim_cur / 4 : 1;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	while (w->n_threads < n &&
	       pthread_create(&w->threads[w->n_threads], NULL, writer_main, w) == 0)
		w->n_threads++;
	if (!w->n_threads) {
		pthread_cond_destroy(&w->idle);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return;
	}
	x->w = w;
}

/* The first writer's failure, as this thread's error. */
static int writers_error(struct extract_state *x)
{
	struct writers *w = x->w;
	int ret;

	errno = w->err;
	ret = fail_errno(x, w->err_path ? w->err_path : "a file", w->err_what);
	return ret;
}

/* Hand the current batch to the writers.  KEEP_DIR: this thread goes on
 * writing into x->dirfd, so the batch takes a copy of it. */
static int submit(struct extract_state *x, int keep_dir)
{
	struct writers *w = x->w;
	struct batch *b = x->cur;
	int failed;

	if (!b || !b->n)
		return 0;
	if (keep_dir || x->dirfd == x->destfd) {
		if ((b->dirfd = fcntl(x->dirfd, F_DUPFD_CLOEXEC, 0)) < 0)
			return fail_errno(x, x->dir.len ? x->dir.buf : ".", "open directory");
	} else {
		b->dirfd = x->dirfd;
		x->dirfd = -1;
	}
	x->cur = NULL;
	pthread_mutex_lock(&w->lock);
	while ((w->queued_bytes > QUEUE_BYTES || w->queued_batches >= w->max_batches) &&
	       !w->failed)
		pthread_cond_wait(&w->idle, &w->lock);
	b->next = NULL;
	if (w->tail)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	w->queued_bytes += b->data.len;
	w->queued_batches++;
	failed = w->failed;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	return failed ? writers_error(x) : 0;
}

/* Wait until every queued file is written. */
static int drain(struct extract_state *x)
{
	struct writers *w = x->w;
	int ret, failed;

	if (!w)
		return 0;
	if ((ret = submit(x, 1)) < 0)
		return ret;
	pthread_mutex_lock(&w->lock);
	while ((w->head || w->busy) && !w->failed)
		pthread_cond_wait(&w->idle, &w->lock);
	failed = w->failed;
	pthread_mutex_unlock(&w->lock);
	return failed ? writers_error(x) : 0;
}

/* Stop and join the writers; queued batches not yet written are dropped. */
static void writers_stop(struct extract_state *x)
{
	struct writers *w = x->w;
	int i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w->err_path);
	free(w);
	x->w = NULL;
}

/*
 * Open directory REL (relative to DEST, "" for DEST itself), creating
 * missing components, following no symlink.  The result is x->dirfd.
 */
static int enter_dir(struct extract_state *x, const char *rel, size_t len)
{
	char comp[4096];
	size_t i = 0;
	int fd;

	if (x->dirfd >= 0 && x->dir.len == len && !memcmp(x->dir.buf, rel, len))
		return 0;
	/* The small files gathered for the directory left take its
	 * descriptor with them. */
	if (x->cur && x->cur->n) {
		int ret = submit(x, 0);
		if (ret < 0)
			return ret;
	}
	if (x->dirfd >= 0 && x->dirfd != x->destfd)
		close(x->dirfd);
	x->dirfd = -1;
	strbuf_reset(&x->dir);
	fd = x->destfd;
	while (i < len) {
		size_t j = i;
		int next;
		while (j < len && rel[j] != '/')
			j++;
		if (j - i >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			return fail_errno(x, rel, "create directory");
		}
		memcpy(comp, rel + i, j - i);
		comp[j - i] = '\0';
		/* DEST is new: a directory met for the first time is made
		 * (with a plain mode, fixed later if the archive says
		 * otherwise); one made before is simply opened. */
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			if (fd != x->destfd)
				close(fd);
			return fail_errno(x, rel, "create directory");
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != x->destfd)
			close(fd);
		if (next < 0)
			return fail_errno(x, rel, "open directory");
		fd = next;
		i = j + 1;
	}
	x->dirfd = fd;
	return strbuf_add(&x->dir, rel, len);
}

/* Split PATH into its directory (entered) and its last component. */
static int locate(struct extract_state *x, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	return enter_dir(x, path, slash ? (size_t)(slash - path) : 0);
}

/* Make room for a new entry at BASE: a later entry replaces an earlier
 * one of the same path, as tar does. */
static int clear_place(struct extract_state *x, const char *base, const char *path)
{
	struct stat st;

	if (fstatat(x->dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail_errno(x, path, "inspect");
	if (unlinkat(x->dirfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		return fail_errno(x, path, "replace");
	return 0;
}

static int add_fixup(struct extract_state *x, const char *path, mode_t mode,
		     struct timespec mtime)
{
	if (ALLOC_GROW(x->fixups, x->n_fixups + 1, x->alloc_fixups) < 0)
		return silo__error_oom();
	if (!(x->fixups[x->n_fixups].path = strdup(path)))
		return silo__error_oom();
	x->fixups[x->n_fixups].mode = mode;
	x->fixups[x->n_fixups].mtime = mtime;
	x->n_fixups++;
	return 0;
}

static struct timespec entry_mtime(struct archive_entry *e)
{
	struct timespec ts = { 0, UTIME_OMIT };

	if (archive_entry_mtime_is_set(e)) {
		ts.tv_sec = archive_entry_mtime(e);
		ts.tv_nsec = archive_entry_mtime_nsec(e);
	}
	return ts;
}

/* Gather the small regular file E, named BASE in x->dir, into x->cur;
 * its content follows through on_data(). */
static int queue_small(struct extract_state *x, struct archive_entry *e, const char *base)
{
	struct batch *b = x->cur;
	struct small_file *f;
	size_t size = (size_t)archive_entry_size(e);

	if (!b) {
		if (!(b = calloc(1, sizeof(*b))))
			return silo__error_oom();
		b->dirfd = -1;
		if (strbuf_add(&b->dir, x->dir.buf ? x->dir.buf : "", x->dir.len) < 0) {
			batch_free(b);
			return SILO_ENOMEM;
		}
		x->cur = b;
	}
	if (ALLOC_GROW(b->files, b->n + 1, b->alloc) < 0)
		return silo__error_oom();
	f = &b->files[b->n];
	f->name = b->names.len;
	if (strbuf_add(&b->names, base, strlen(base) + 1) < 0 ||
	    strbuf_grow(&b->data, size) < 0)
		return SILO_ENOMEM;
	f->data = b->data.len;
	f->len = size;
	memset(b->data.buf + b->data.len, 0, size);	/* sparse holes stay zero */
	b->data.len += size;
	b->data.buf[b->data.len] = '\0';
	f->perm = archive_entry_perm(e) & 0777;
	f->mtime = entry_mtime(e);
	b->n++;
	x->queued = 1;
	return 0;
}

static int on_header(void *payload, struct archive_entry *e, const char *path)
{
	struct extract_state *x = payload;
	const char *base, *link = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	int ret;

	x->path = path;
	if (!*path)
		return 0;	/* the top directory itself: DEST */
	if (type == AE_IFDIR) {
		size_t len = strlen(path);
		while (len && path[len - 1] == '/')
			len--;
		if (x->want) {
			char *dir = strndup(path, len);
			if (!dir)
				return silo__error_oom();
			ret = x->want(x->want_payload, dir, 1);
			free(dir);
			if (ret <= 0)
				return ret;
			/* On the way: its mode is set if an entry below it
			 * makes it. */
			if (ret == 1)
				return add_fixup(x, path, archive_entry_perm(e), entry_mtime(e));
		}
		if ((ret = enter_dir(x, path, len)) < 0)
			return ret;
		return add_fixup(x, path, archive_entry_perm(e), entry_mtime(e));
	}
	if (x->want && (ret = x->want(x->want_payload, path, 0)) != 2)
		return ret < 0 ? ret : 0;
	if ((ret = locate(x, path, &base)) < 0)
		return ret;
	if (x->want && link && faccessat(x->destfd, link, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (ret = drain(x)) == 0 && faccessat(x->destfd, link, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		/* Its target was not asked for: the caller links it. */
		if ((ret = clear_place(x, base, path)) < 0)
			return ret;
		if (strvec_push(x->links, path) < 0 || strvec_push(x->links, link) < 0)
			return silo__error_oom();
		return 0;
	}
	/* A zip entry may only learn its size after its data: not queued. */
	if (x->w && type == AE_IFREG && !link && !x->replaces && archive_entry_size_is_set(e) &&
	    archive_entry_size(e) >= 0 && archive_entry_size(e) <= SMALL_FILE)
		return queue_small(x, e, base);
	/* What depends on earlier entries waits until they are written. */
	if ((x->replaces || link) && (ret = drain(x)) < 0)
		return ret;
	/* Regular files are created with O_EXCL: only when that fails is
	 * the place looked at, saving a system call per file. */
	if (type != AE_IFREG || link) {
		if ((ret = clear_place(x, base, path)) < 0)
			return ret;
	}
	if (link) {
		/* The walk checked that LINK stays inside and names a file. */
		if (linkat(x->destfd, link, x->dirfd, base, 0) < 0)
			return fail_errno(x, path, "link");
		return 0;
	}
	if (type == AE_IFLNK) {
		struct timespec times[2];
		const char *target = archive_entry_symlink(e);
		if (symlinkat(target ? target : "", x->dirfd, base) < 0)
			return fail_errno(x, path, "create symlink");
		times[0] = times[1] = entry_mtime(e);
		utimensat(x->dirfd, base, times, AT_SYMLINK_NOFOLLOW);	/* best effort */
		return 0;
	}
	if (type != AE_IFREG)
		return 0;	/* devices, fifos: the walk refuses or skips them */
	x->perm = archive_entry_perm(e) & 0777;
	/* Created with its final mode, less the umask, as tar does for
	 * users other than root: an archive's 0666 or 0777 does not make
	 * files that others may change. */
	x->fd = openat(x->dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       x->perm);
	if (x->fd < 0 && errno == EEXIST) {
		/* A later entry of the same path replaces the earlier one. */
		if ((ret = clear_place(x, base, path)) < 0)
			return ret;
		x->fd = openat(x->dirfd, base,
			       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, x->perm);
	}
	if (x->fd < 0)
		return fail_errno(x, path, "create");
	return 0;
}

static int on_data(void *payload, const void *buf, size_t len, int64_t offset)
{
	struct extract_state *x = payload;
	const char *p = buf;

	if (x->queued) {
		struct small_file *f = &x->cur->files[x->cur->n - 1];
		if (offset < 0 || (uint64_t)offset > f->len || len > f->len - (size_t)offset)
			return silo__error_set(SILO_EINVALID,
				"'%s' in archive '%s' has more data than its size", x->path, x->name);
		if (len)
			memcpy(x->cur->data.buf + f->data + (size_t)offset, buf, len);
		return 0;
	}
	if (x->fd < 0)
		return 0;
	/* Zero blocks become holes; on_finish() gives the file its size. */
	if (fs_pwrite_sparse(x->fd, p, len, (uint64_t)offset, x->path) < 0)
		return silo__error_wrap("archive '%s' in '%s'", x->name, x->dest);
	return 0;
}

static int on_finish(void *payload, struct archive_entry *e, const char *path)
{
	struct extract_state *x = payload;
	struct timespec times[2];
	int fd = x->fd;

	if (x->queued) {
		x->queued = 0;
		if (x->cur->data.len >= BATCH_BYTES || x->cur->n >= BATCH_FILES)
			return submit(x, 1);
		return 0;
	}
	if (fd < 0)
		return 0;
	x->fd = -1;
	times[0] = times[1] = entry_mtime(e);
	/* A file ending in a hole (of the archive, or zeros made one) gets
	 * its length from its size. */
	if ((archive_entry_size(e) > 0 &&
	     fs_sparse_finish(fd, (uint64_t)archive_entry_size(e), path) < 0) ||
	    futimens(fd, times) < 0) {
		int ret = fail_errno(x, path, "finish");
		close(fd);
		return ret;
	}
	if (close(fd) < 0)
		return fail_errno(x, path, "write");
	return 0;
}

/* Create DEST, which must not exist, and its missing parents. */
static int make_dest(const char *dest)
{
	struct stat st;
	char *parent, *slash;
	int ret = 0;

	if (lstat(dest, &st) == 0)
		return silo__error_set(SILO_EEXISTS, "cannot extract into '%s': it already exists",
				       dest);
	if (errno != ENOENT)
		return silo__error_errno("cannot extract into '%s'", dest);
	if (!(parent = strdup(dest)))
		return silo__error_oom();
	for (slash = parent + strlen(parent); slash > parent && slash[-1] == '/'; slash--)
		slash[-1] = '\0';
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		ret = fs_mkdir_p(parent, 0777);
	}
	free(parent);
	if (ret < 0)
		return ret;
	if (mkdir(dest, 0777) < 0) {
		if (errno == EEXIST)
			return silo__error_set(SILO_EEXISTS,
					       "cannot extract into '%s': it already exists", dest);
		return silo__error_errno("cannot create directory '%s'", dest);
	}
	return 0;
}

/* Set the modes and times of directories, deepest first, now that
 * nothing more is written into them. */
static int fix_dirs(struct extract_state *x)
{
	size_t i;

	for (i = x->n_fixups; i-- > 0;) {
		struct dir_fixup *f = &x->fixups[i];
		struct timespec times[2] = { f->mtime, f->mtime };
		int fd = openat(x->destfd, f->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* Some entries only: a directory on the way that nothing
		 * written needed was not made. */
		if (fd < 0 && x->want && errno == ENOENT)
			continue;
		if (fd < 0)
			return fail_errno(x, f->path, "open directory");
		mode_t mode = f->mode & 0777 & ~x->umask;
		if ((mode != (0755 & ~x->umask) && fchmod(fd, mode) < 0) ||
		    futimens(fd, times) < 0) {
			int ret = fail_errno(x, f->path, "set the mode of");
			close(fd);
			return ret;
		}
		close(fd);
	}
	return 0;
}

static int by_depth(const void *a, const void *b)
{
	const struct dir_fixup *x = a, *y = b;

	/* Parents before children; fix_dirs walks the list backwards. */
	return strcmp(x->path, y->path);
}

int silo_tree_extract(silo_oid *tree_id, const char *dest, silo_read_fn src,
		      void *payload, const char *name, int format)
{
	return tree_extract_some(tree_id, dest, src, payload, name, format, NULL, NULL, NULL);
}

int tree_extract_some(silo_oid *tree_id, const char *dest, silo_read_fn src, void *payload,
		      const char *name, int format, tree_extract_want_fn *want,
		      void *want_payload, struct strvec *links)
{
	struct silo_tree_list list = SILO_TREE_LIST_INIT;
	struct tree_archive_hooks hooks = { on_header, on_data, on_finish, NULL, NULL };
	struct extract_state x;
	locale_t old_locale;
	size_t i;
	int ret;

	if (!silo_oid_rawsz(format))
		return silo__error_set(SILO_EINVALID, "unknown object format %d", format);
	if ((ret = make_dest(dest)) < 0)
		return ret;
	memset(&x, 0, sizeof(x));
	x.name = name;
	x.dest = dest;
	x.fd = -1;
	x.dirfd = -1;
	x.umask = fs_umask();
	x.want = want;
	x.want_payload = want_payload;
	x.links = links;
	x.destfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (x.destfd < 0)
		return silo__error_errno("cannot open directory '%s'", dest);
	old_locale = tree_locale_enter();
	hooks.payload = &x;
	hooks.replaces = &x.replaces;
	writers_start(&x);
	ret = tree_archive_walk(&list, format, src, payload, name, &hooks);
	if (!ret)
		ret = drain(&x);
	writers_stop(&x);
	batch_free(x.cur);
	if (x.fd >= 0)
		close(x.fd);
	if (x.dirfd >= 0 && x.dirfd != x.destfd)
		close(x.dirfd);
	if (!ret && x.n_fixups) {
		qsort(x.fixups, x.n_fixups, sizeof(*x.fixups), by_depth);
		ret = fix_dirs(&x);
	}
	if (!ret && tree_id)
		ret = silo_tree_list_id(tree_id, &list);
	tree_locale_leave(old_locale);
	close(x.destfd);
	for (i = 0; i < x.n_fixups; i++)
		free(x.fixups[i].path);
	free(x.fixups);
	strbuf_release(&x.dir);
	silo_tree_list_release(&list);
	return ret;
}
