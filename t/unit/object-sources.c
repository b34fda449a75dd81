/*
 * Object sources (lib/source.h): the checked downcast, which reports a
 * source of the wrong type as a bug instead of handing out a pointer to
 * the wrong struct.  Prints TAP.
 */
#include "tap.h"
#include "silo/error.h"
#include "../../lib/source.h"

#include <stdlib.h>
#include <string.h>

static void test_checked_downcast(void)
{
	struct silo_source *src, wrong;
	silo_oid id;

	ok(loose_source_new(&src, "/nonexistent/deps.silo", SILO_OID_SHA1) == 0,
	   "make a loose source");
	is_int(silo_source_check(src, SILO_SOURCE_LOOSE), 0, "a loose source is a loose source");
	is_int(silo_source_check(src, SILO_SOURCE_REMOTE), SILO_ERROR,
	       "a loose source used as a remote one is an error");
	is_str(silo_error_message(),
	       "BUG: source '/nonexistent/deps.silo' is a loose source, used as a remote one",
	       "which says it is a bug, and names both types");
	is_int(silo_source_is_local(src), 1, "a loose source is local");

	/* The loose source's own operations take their struct through the
	 * check: handed a source of another type, they refuse. */
	wrong = *src;
	wrong.type = SILO_SOURCE_PACKS;
	silo_oid_from_hex(&id, SILO_OID_SHA1, "ce013625030ba8dba906f756967f9e9ca394464a");
	is_int(src->ops->lookup(&wrong, &id), SILO_ERROR, "lookup refuses a packs source");
	is_str(silo_error_message(),
	       "BUG: source '/nonexistent/deps.silo' is a packs source, used as a loose one",
	       "and says why");
	is_int(src->ops->lookup(src, &id), 0, "lookup of its own source answers");
	src->ops->free(src);
}

int main(void)
{
	test_checked_downcast();
	return done_testing();
}
