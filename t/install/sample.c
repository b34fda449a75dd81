/* Built by 'make check-install' against the installed header, library and
 * pkg-config file: prints git's id of the empty blob. */
#include <silo.h>
#include <stdio.h>

int main(void)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_oid id;

	if (silo_oid_hash_buffer(&id, SILO_OID_SHA1, SILO_OBJ_BLOB, "", 0) < 0) {
		fprintf(stderr, "sample: %s\n", silo_error_message());
		return 1;
	}
	puts(silo_oid_to_hex(hex, &id));
	return 0;
}
