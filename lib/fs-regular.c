/* Opening the files of a silo: regular files only (fsutil.h). */
#include "fsutil.h"
#include "error-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_open_regular(const char *path, const char *display, int not_regular)
{
	struct stat st;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ?
			silo__error_set(SILO_ENOTFOUND, "'%s' does not exist", display) :
			silo__error_errno("cannot open '%s'", display);
	if (fstat(fd, &st) < 0) {
		int ret = silo__error_errno("cannot stat '%s'", display);
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return silo__error_set(not_regular, "'%s' is not a regular file", display);
	}
	if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		int ret = silo__error_errno("cannot open '%s'", display);
		close(fd);
		return ret;
	}
	return fd;
}
