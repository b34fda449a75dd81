/*
 * pack/packs: the list of a silo's packs, in git's objects/info/packs
 * format ("P pack-<hex>.pack" lines and an empty line), so that a reader
 * over plain HTTP, which cannot list directories, finds them.  It is the
 * one file of a silo that is replaced rather than written once: it is
 * derived from the directory, rewritten whole under a temporary name and
 * renamed over the old one, so that a reader or an rsync sees either list
 * and never half of one.
 */
#include "pack.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pack_list_names(silo *s, char ***out, size_t *count)
{
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	struct dirent *de;
	int ret = 0;
	DIR *d;

	*out = NULL;
	*count = 0;
	if (!(d = opendir(s->pack_dir)))
		return errno == ENOENT ? 0 : silo__error_errno("cannot read '%s'", s->pack_dir);
	while ((errno = 0, de = readdir(d))) {
		char base[128], *idx;
		int have;
		if (!pack_name_is(de->d_name, s->format, "pack"))
			continue;
		/* Only packs whose index is in place are readable. */
		snprintf(base, sizeof(base), "%.*s.idx", (int)(strlen(de->d_name) - 5), de->d_name);
		if (!(idx = fs_join(s->pack_dir, base))) {
			ret = silo__error_oom();
			break;
		}
		have = fs_exists(idx);
		free(idx);
		if (have <= 0)
			continue;
		if (ALLOC_GROW(names, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = silo__error_oom();
			break;
		}
		n++;
	}
	if (!ret && errno)
		ret = silo__error_errno("cannot read '%s'", s->pack_dir);
	closedir(d);
	if (ret) {
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return ret;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	*out = names;
	*count = n;
	return 0;
}

int silo__pack_list_write(silo *s)
{
	struct strbuf text = STRBUF_INIT;
	char **names = NULL, *tmp = NULL, *dest = NULL;
	size_t n = 0, i;
	int fd = -1, lock = -1, ret = 0;

	/* Two repacks at once must not write their lists out of order (the
	 * older list last, missing the newer pack): listing and renaming
	 * happen under a lock on pack/ itself. */
	lock = open(s->pack_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0)
		return errno == ENOENT ? 0 : silo__error_errno("cannot open '%s'", s->pack_dir);
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR) {
			ret = silo__error_errno("cannot lock '%s'", s->pack_dir);
			close(lock);
			return ret;
		}
	if ((ret = pack_list_names(s, &names, &n)) < 0)
		goto out;
	for (i = 0; i < n && !ret; i++)
		ret = strbuf_addf(&text, "P %s\n", names[i]);
	if (!ret)
		ret = strbuf_addch(&text, '\n');
	if (ret)
		goto out;
	if (!(dest = fs_join(s->pack_dir, "packs"))) {
		ret = silo__error_oom();
		goto out;
	}
	if ((ret = fs_tmpfile(&fd, &tmp, s->pack_dir, SILO_TMP_PREFIX "packs_")) < 0)
		goto out;
	if ((ret = fs_write_all(fd, text.buf, text.len, tmp)) < 0)
		goto out;
	if (fsync(fd) < 0) {
		ret = silo__error_errno("cannot fsync '%s'", tmp);
		goto out;
	}
	if (rename(tmp, dest) < 0) {
		ret = silo__error_errno("cannot rename '%s' to '%s'", tmp, dest);
		goto out;
	}
	ret = fs_fsync_path(s->pack_dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		if (ret)
			unlink(tmp);
		free(tmp);
	}
	free(dest);
	close(lock);	/* releases the lock */
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	strbuf_release(&text);
	return ret;
}
