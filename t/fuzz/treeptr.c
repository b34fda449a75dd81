/* Fuzz the treeptr parser and writer (lib/treeptr.c): what parses must
 * format and parse again to the same data. */
#include "fuzz.h"
#include "silo/treeptr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT, again = SILO_TREEPTR_INIT;
	char *text = NULL;

	if (silo_treeptr_parse(&tp, (const char *)data, size, "fuzz.treeptr") == 0) {
		silo_treeptr_provenance(&tp, "url");
		if (silo_treeptr_format(&text, &tp) == 0) {
			if (silo_treeptr_parse(&again, text, strlen(text), "again") < 0 ||
			    !silo_treeptr_same_data(&tp, &again))
				__builtin_trap();	/* the writer's output must read back */
			free(text);
		}
	}
	silo_treeptr_release(&again);
	silo_treeptr_release(&tp);
	return 0;
}
