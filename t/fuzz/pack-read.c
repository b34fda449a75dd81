/* Fuzz the pack reader (lib/pack-read.c): the input is a .pack, read with
 * an empty index; every entry header is parsed and every object that
 * starts at an offset the headers lead to is read, deltas resolved. */
#include "fuzz.h"
#include "pack.h"
#include "byteorder.h"

#include <stdlib.h>
#include <string.h>

static unsigned char empty_idx[8 + 256 * 4 + 2 * 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pack p;
	struct pack_cache *c = NULL;
	uint64_t off = 12;
	int n = 0;

	memset(&p, 0, sizeof(p));
	memcpy(empty_idx, "\377tOc\0\0\0\2", 8);
	p.relidx = "fuzz.idx";
	p.relpack = "fuzz.pack";
	p.format = SILO_OID_SHA1;
	p.rawsz = 20;
	p.idx = empty_idx;
	p.idx_size = sizeof(empty_idx);
	if (pack_index_check(&p) < 0)
		__builtin_trap();
	p.map = data;
	p.size = size;
	if (size < 12 + 20 || memcmp(data, "PACK", 4))
		return 0;
	if (pack_cache_new(&c, 1 << 20) < 0)
		return 0;
	while (off < size - 20 && n++ < 16) {
		struct pack_entry e;
		const unsigned char *obj;
		size_t len;
		int type, owned;
		silo_oid id;
		silo_stream *st;

		if (pack_entry_at(&p, off, &e) < 0)
			break;
		if (pack_read(&p, c, off, &type, &obj, &len, &owned) == 0 && owned)
			free((void *)obj);
		memset(&id, 0, sizeof(id));
		id.format = SILO_OID_SHA1;
		if (pack_stream_open(&st, &p, c, off, &id) == 0) {
			const void *buf;
			size_t got;
			while (silo_stream_read(st, &buf, &got) > 0)
				;
			silo_stream_free(st);
		}
		/* The next entry: skip a guess of this one's compressed data. */
		if (e.data <= off)
			break;
		off = e.data + 1 + (e.size & 0xff);
	}
	pack_cache_free(c);
	return 0;
}
