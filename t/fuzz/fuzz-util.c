/* Helpers of the fuzz harnesses (fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[64];

static void remove_scratch(void)
{
	if (scratch[0])
		unlink(scratch);
}

const char *fuzz_scratch_file(const uint8_t *data, size_t size)
{
	FILE *f;

	if (!scratch[0]) {
		const char *tmp = getenv("TMPDIR");
		int fd;

		snprintf(scratch, sizeof(scratch), "%s/silo-fuzz-XXXXXX",
			 tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		if ((fd = mkstemp(scratch)) < 0) {
			scratch[0] = '\0';
			return NULL;
		}
		close(fd);
		atexit(remove_scratch);
	}
	if (!(f = fopen(scratch, "wb")))
		return NULL;
	if ((size && fwrite(data, 1, size, f) != size) || fclose(f)) {
		return NULL;
	}
	return scratch;
}

void fuzz_split(const uint8_t *data, size_t size, const uint8_t **a, size_t *alen,
		const uint8_t **b, size_t *blen)
{
	size_t n;

	if (!size) {
		*a = *b = data;
		*alen = *blen = 0;
		return;
	}
	n = (size_t)data[0] * 4;
	if (n > size - 1)
		n = size - 1;
	*a = data + 1;
	*alen = n;
	*b = data + 1 + n;
	*blen = size - 1 - n;
}
