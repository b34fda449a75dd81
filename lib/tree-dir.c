/*
 * The leaves of a directory on disk as 'git add -A' records them.  The
 * walk is quick; hashing the content is the cost, so files are hashed by
 * a few threads, each with its own hasher and read buffer, pulling files
 * from a shared counter.  Content is streamed: memory does not grow with
 * file sizes.
 */
#include "tree-internal.h"
#include "error-internal.h"
#include "hash-file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_THREADS 8

struct hash_job {
	const struct tree_walk *w;
	struct silo_tree_list *l;
	size_t *files;		/* indexes into l of the regular files */
	size_t n_files;
	atomic_size_t next;
	atomic_int failed;
	pthread_mutex_t lock;
	size_t err_index;	/* the failing file that comes first */
	int err_code;
	char err_message[1024];
};

static int hash_file(silo_hasher *h, unsigned char *buf, int rootfd,
		     const char *root, struct silo_tree_entry *e)
{
	struct stat st;
	int fd, ret = 0;

	fd = openat(rootfd, e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return silo__error_errno("cannot open '%s/%s'", root, e->path);
	if (fstat(fd, &st) < 0) {
		ret = silo__error_errno("cannot stat '%s/%s'", root, e->path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = silo__error_set(SILO_EIO, "'%s/%s' changed while being read", root, e->path);
		goto out;
	}
	e->size = (uint64_t)st.st_size;
	if (e->size > 4 * TREE_READ_CHUNK)	/* worth a syscall only for large files */
		posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if ((ret = silo_hasher_begin(h, SILO_OBJ_BLOB, e->size)) < 0)
		goto out;
	if ((ret = hasher_fd(h, fd, &st, buf, TREE_READ_CHUNK, root, e->path)) < 0)
		goto out;
	ret = silo_hasher_final(&e->id, h);
out:
	close(fd);
	return ret;
}

/* Errors are per thread: a worker's failure is copied for the caller. */
static void record_error(struct hash_job *job, size_t index, int code)
{
	pthread_mutex_lock(&job->lock);
	if (!job->err_code || index < job->err_index) {
		job->err_index = index;
		job->err_code = code;
		snprintf(job->err_message, sizeof(job->err_message), "%s",
			 silo_error_message());
	}
	pthread_mutex_unlock(&job->lock);
	atomic_store(&job->failed, 1);
}

static void *hash_worker(void *arg)
{
	struct hash_job *job = arg;
	unsigned char *buf = malloc(TREE_READ_CHUNK);
	silo_hasher *h = NULL;
	int ret;

	if (!buf) {
		record_error(job, 0, silo__error_oom());
		return NULL;
	}
	if ((ret = silo_hasher_new(&h, job->l->format)) < 0) {
		record_error(job, 0, ret);
		free(buf);
		return NULL;
	}
	while (!atomic_load(&job->failed)) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->n_files)
			break;
		ret = hash_file(h, buf, job->w->rootfd, job->w->root,
				&job->l->v[job->files[i]]);
		if (ret < 0)
			record_error(job, i, ret);
	}
	silo_hasher_free(h);
	free(buf);
	return NULL;
}

static int hash_files(struct hash_job *job)
{
	pthread_t threads[MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n_threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (int)cpus;
	int started = 0, i;

	if (job->n_files < 16)
		n_threads = 1;
	/* The calling thread is one of the workers. */
	for (i = 1; i < n_threads; i++) {
		if (pthread_create(&threads[started], NULL, hash_worker, job))
			break;	/* fewer threads is still correct */
		started++;
	}
	hash_worker(job);
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	if (job->err_code)
		return silo__error_set(job->err_code, "%s", job->err_message);
	return 0;
}

static int list_dir(struct silo_tree_list *out, struct silo_tree_attrs *attrs, int format,
		    const char *dir)
{
	struct tree_walk w = TREE_WALK_INIT;
	struct silo_tree_list l = SILO_TREE_LIST_INIT;
	struct hash_job job;
	size_t i;
	int ret;

	if (!silo_oid_rawsz(format))
		return silo__error_set(SILO_EINVALID, "unknown object format %d", format);
	l.format = format;
	memset(&job, 0, sizeof(job));
	if ((ret = tree_walk_dir(&w, dir, attrs != NULL)) < 0 ||
	    (attrs && (ret = tree_attrs_from_walk(attrs, &w)) < 0))
		goto out;
	for (i = 0; i < w.n; i++) {
		struct tree_walk_entry *e = &w.v[i];
		silo_oid id;
		unsigned mode;

		if (S_ISDIR(e->mode))
			continue;
		if (S_ISLNK(e->mode)) {
			mode = SILO_MODE_SYMLINK;
			if ((ret = silo_oid_hash_buffer(&id, format, SILO_OBJ_BLOB,
							e->target, e->size)) < 0)
				goto out;
		} else {
			/* git records only the owner's execute bit. */
			mode = (e->mode & S_IXUSR) ? SILO_MODE_EXEC : SILO_MODE_FILE;
			memset(&id, 0, sizeof(id));
			id.format = (unsigned char)format;
		}
		ret = tree_list_push(&l, e->path, mode, &id, e->size);
		e->path = NULL;	/* the list owns it now */
		if (ret < 0)
			goto out;
	}
	job.files = malloc((l.n ? l.n : 1) * sizeof(*job.files));
	if (!job.files) {
		ret = silo__error_oom();
		goto out;
	}
	for (i = 0; i < l.n; i++)
		if (l.v[i].mode != SILO_MODE_SYMLINK)
			job.files[job.n_files++] = i;
	job.w = &w;
	job.l = &l;
	atomic_init(&job.next, 0);
	atomic_init(&job.failed, 0);
	pthread_mutex_init(&job.lock, NULL);
	ret = hash_files(&job);
	pthread_mutex_destroy(&job.lock);
out:
	free(job.files);
	tree_walk_release(&w);
	if (ret < 0) {
		silo_tree_list_release(&l);
		return ret;
	}
	silo_tree_list_release(out);
	*out = l;
	return 0;
}

int silo_tree_list_dir(struct silo_tree_list *out, int format, const char *dir)
{
	return list_dir(out, NULL, format, dir);
}

int silo_tree_list_dir_attrs(struct silo_tree_list *out, struct silo_tree_attrs *attrs,
			     int format, const char *dir)
{
	return list_dir(out, attrs, format, dir);
}
