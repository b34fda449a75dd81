/* Fuzz the loose-object reader (lib/loose-read.c): the input is the
 * gzip file of a loose object, read to its end and checked. */
#include "fuzz.h"
#include "store-internal.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_scratch_file(data, size);
	silo_stream *st;
	silo_oid id;

	if (!path)
		return 0;
	memset(&id, 0, sizeof(id));
	id.format = size && (data[0] & 1) ? SILO_OID_SHA256 : SILO_OID_SHA1;
	if (silo__loose_stream_open(&st, path, "fuzz", &id) == 0) {
		const void *buf;
		size_t len;
		while (silo_stream_read(st, &buf, &len) > 0)
			;
		silo_stream_free(st);
	}
	return 0;
}
