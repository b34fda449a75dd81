/* Fuzz git's delta format: delta_sizes() and delta_apply() (lib/delta.c).
 * Input: a length byte, then the base, then the delta (fuzz_split). */
#include "fuzz.h"
#include "delta.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *base, *delta;
	size_t base_len, delta_len, out_len, hl;
	uint64_t src, dst;
	unsigned char *out = NULL;

	fuzz_split(data, size, &base, &base_len, &delta, &delta_len);
	delta_sizes(delta, delta_len, &src, &dst, &hl);
	if (delta_apply(base, base_len, delta, delta_len, &out, &out_len) == 0)
		free(out);
	return 0;
}
