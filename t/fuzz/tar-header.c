/* Fuzz the tar header reader (lib/tar-header.c): every member of any
 * input, and the offsets it gives checked against the input. */
#include "fuzz.h"
#include "tar-header.h"
#include "silo/error.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tar_reader r;
	struct tar_member m = TAR_MEMBER_INIT;
	uint64_t last = 0;
	int ret;

	tar_reader_init(&r, data, size, "fuzz");
	while ((ret = tar_reader_next(&r, &m)) > 0) {
		/* Each member lies within the input, after the one before,
		 * its content inside its padded end. */
		if (m.start < last || m.header < m.start || m.data != m.header + TAR_BLOCK ||
		    m.size > m.end - m.data || m.end > size || m.end % TAR_BLOCK ||
		    m.end - m.data - m.size >= TAR_BLOCK || (m.type != 'g' && !m.path))
			abort();
		last = m.end;
	}
	if (ret == 0 && (r.at + TAR_BLOCK > size || r.at % TAR_BLOCK))
		abort();
	tar_member_release(&m);
	silo_error_clear();
	return 0;
}
