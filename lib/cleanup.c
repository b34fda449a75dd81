/*
 * The registry of directories to remove on interruption
 * (silo/cleanup.h): a list under a mutex, and a flag.
 */
#include "cleanup-internal.h"
#include "silo/tree.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static char **paths;
static size_t n_paths, alloc_paths;
static atomic_int interrupted;

int silo_cleanup_interrupted(void)
{
	return atomic_load(&interrupted);
}

int cleanup_check(void)
{
	return atomic_load(&interrupted) ? silo__error_set(SILO_ERROR, "interrupted") : 0;
}

int cleanup_mkdtemp(char *template)
{
	char *copy = NULL;
	int ret = 0;

	pthread_mutex_lock(&lock);
	if ((ret = cleanup_check()) < 0)
		goto out;
	if (ALLOC_GROW(paths, n_paths + 1, alloc_paths) < 0) {
		ret = silo__error_oom();
		goto out;
	}
	if (!mkdtemp(template)) {
		ret = silo__error_errno("cannot create the directory '%s'", template);
		goto out;
	}
	if (!(copy = strdup(template))) {
		rmdir(template);
		ret = silo__error_oom();
		goto out;
	}
	paths[n_paths++] = copy;
out:
	pthread_mutex_unlock(&lock);
	return ret;
}

void cleanup_release(const char *path)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < n_paths; i++)
		if (!strcmp(paths[i], path)) {
			free(paths[i]);
			paths[i] = paths[--n_paths];
			break;
		}
	if (!n_paths)
		pthread_cond_broadcast(&released);
	pthread_mutex_unlock(&lock);
}

/* Remove PATH: again while its owner, still running, creates in it. */
static void remove_dir(const char *path)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		struct stat st;
		char *old = fs_join(path, "old");
		int keep = old && lstat(old, &st) == 0;

		free(old);
		if (keep || (lstat(path, &st) < 0 && errno == ENOENT))
			return;
		silo_tree_remove(path);
	}
}

void silo_cleanup_interrupt(int timeout_ms)
{
	struct timespec until;
	size_t i;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	atomic_store(&interrupted, 1);
	for (i = 0; i < n_paths; i++)
		remove_dir(paths[i]);
	/* Their owners stop at their next step and remove what they may
	 * have made since: wait for them, within reason. */
	while (n_paths && pthread_cond_timedwait(&released, &lock, &until) == 0)
		;
	pthread_mutex_unlock(&lock);
	silo_error_clear();
}
