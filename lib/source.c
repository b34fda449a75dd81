/*
 * What every object source shares (source.h): its type, and the checked
 * downcast from the generic header to a source's own struct.  The store
 * (store.c) creates and uses sources; sources use this file, never the
 * store.
 */
#include "source.h"
#include "error-internal.h"

static const char *source_type_name(enum silo_source_type type)
{
	switch (type) {
	case SILO_SOURCE_LOOSE:
		return "loose";
	case SILO_SOURCE_PACKS:
		return "packs";
	case SILO_SOURCE_REMOTE:
		return "remote";
	}
	return "unknown";
}

int silo__source_check(const struct silo_source *src, enum silo_source_type type)
{
	if (src->type == type)
		return 0;
	return silo__error_set(SILO_ERROR, "BUG: source '%s' is a %s source, used as a %s one",
			      src->name ? src->name : "?", source_type_name(src->type),
			      source_type_name(type));
}
