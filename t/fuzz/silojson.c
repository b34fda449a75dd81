/* Fuzz the SILO.json reader (lib/silojson.c). */
#include "fuzz.h"
#include "silo/silojson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	const char *path = fuzz_scratch_file(data, size);

	if (path && silo_silojson_load(&sj, path) == 0)
		silo_silojson_release(&sj);
	return 0;
}
