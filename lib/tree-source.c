/* A byte source over a file descriptor, for archives read from files. */
#include "silo/tree.h"
#include "error-internal.h"

#include <errno.h>
#include <unistd.h>

int silo_fd_reader_read(void *payload, const void **data, size_t *len)
{
	struct silo_fd_reader *s = payload;

	for (;;) {
		ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return silo__error_errno("cannot read '%s'", s->name);
		}
		if (n == 0)
			return 0;
		*data = s->buf;
		*len = (size_t)n;
		return 1;
	}
}
