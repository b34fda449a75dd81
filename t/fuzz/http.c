/*
 * Fuzz the handling of HTTP responses that needs no network (lib/http.c):
 * the input is a response's header lines and body as libcurl hands them
 * to the callbacks, one line at a time, then the body in pieces, for a
 * whole-file transfer and a range request.
 */
#include "fuzz.h"
#include "../../lib/http.c"

#include <fcntl.h>

static void feed(const uint8_t *data, size_t size,
		 size_t (*on_head)(char *, size_t, size_t, void *),
		 size_t (*on_body)(char *, size_t, size_t, void *), void *t)
{
	size_t i = 0, start = 0;

	/* Header lines up to an empty line, then the body in 512-byte pieces. */
	while (i < size) {
		if (data[i++] != '\n')
			continue;
		on_head((char *)data + start, 1, i - start, t);
		if (i - start <= 2) {
			start = i;
			break;
		}
		start = i;
	}
	while (start < size) {
		size_t n = size - start < 512 ? size - start : 512;
		if (on_body((char *)data + start, 1, n, t) != n)
			break;
		start += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct http_job job;
	struct transfer t;
	struct range_transfer rt;

	if (fd < 0 && (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		return 0;
	memset(&job, 0, sizeof(job));
	memset(&t, 0, sizeof(t));
	job.fd = fd;
	t.job = &job;
	feed(data, size, on_header, on_data, &t);
	/* A range of 3000 bytes at 100: a 206 must stay inside it, a 200
	 * is cut to it. */
	memset(&rt, 0, sizeof(rt));
	rt.fd = fd;
	rt.pos = rt.start = 100;
	rt.end = 3100;
	feed(data, size, on_range_header, on_range_data, &rt);
	return 0;
}
