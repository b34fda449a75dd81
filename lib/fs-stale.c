/* Removing temporary files of killed writers (fsutil.h). */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void fs_remove_stale_temps(const char *dir, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat a, b;
		int fd;

		/* fs_tmpfile() names: PREFIX and six characters of mkstemp. */
		if (strncmp(de->d_name, prefix, plen) || strlen(de->d_name) != plen + 6)
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Unlocked: its writer is gone.  Still the file of that name
		 * once locked (not renamed away and replaced meanwhile)? */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
		    S_ISREG(a.st_mode) &&
		    fstatat(dirfd(d), de->d_name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			unlinkat(dirfd(d), de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

int fs_temp_is_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), held;

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		held = 0;
	else
		held = errno == EWOULDBLOCK ? 1 : -1;
	close(fd);
	return held;
}

int fs_remove_temp_if_stale(int dirfd, const char *name, time_t older_than, uint64_t *bytes)
{
	struct stat a, b;
	int fd, removed = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	/* Locked while its writer lives, and written to as it goes: an
	 * unlocked file untouched since OLDER_THAN is a killed writer's. */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &a) == 0 &&
	    S_ISREG(a.st_mode) && a.st_mtime < older_than &&
	    fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_ino == b.st_ino && a.st_dev == b.st_dev &&
	    unlinkat(dirfd, name, 0) == 0) {
		*bytes = (uint64_t)a.st_size;
		removed = 1;
	}
	close(fd);
	return removed;
}

void fs_mark_used(const char *path)
{
	/* Explicit, so that it holds on noatime and relatime mounts. */
	const struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };

	(void)utimensat(AT_FDCWD, path, times, 0);
}
