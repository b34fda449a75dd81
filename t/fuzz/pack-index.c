/* Fuzz the pack index check and lookups (lib/pack-read.c): the input is
 * a .idx, for both object formats. */
#include "fuzz.h"
#include "pack.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int format;

	for (format = SILO_OID_SHA1; format <= SILO_OID_SHA256; format++) {
		struct pack p;
		silo_oid id;
		uint32_t pos, i;

		memset(&p, 0, sizeof(p));
		p.relidx = "fuzz.idx";
		p.relpack = "fuzz.pack";
		p.format = format;
		p.rawsz = format == SILO_OID_SHA1 ? 20 : 32;
		p.idx = data;
		p.idx_size = size;
		if (pack_index_check(&p) < 0)
			continue;
		for (i = 0; i < p.nr && i < 64; i++) {
			pack_oid_at(&p, i, &id);
			if (pack_lookup(&p, &id, &pos) != 1 || pos != i)
				__builtin_trap();	/* a checked index finds its own names */
			pack_offset_at(&p, i);
			pack_crc_at(&p, i);
		}
		memset(&id, 0xff, sizeof(id));
		id.format = (unsigned char)format;
		pack_lookup(&p, &id, &pos);
		pack_index_lookup(data, p.rawsz, &id, &pos);
	}
	return 0;
}
