/* Fuzz the SILO.json reader (lib/silojson.c): the input is the text of
 * a SILO.json, parsed as the file loader parses what it read. */
#include "fuzz.h"
#include "silo/silojson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;

	if (silo_silojson_parse(&sj, (const char *)data, size, "fuzz/SILO.json") == 0)
		silo_silojson_release(&sj);
	return 0;
}
