/* --json output shared by the front ends (see fe-json.h). */
#include "fe-json.h"
#include "fe.h"
#include "silo/oid.h"

#include <stdio.h>

int fe_json_print(json_t *doc)
{
	int ret;

	if (!doc)
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	ret = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	if (ret < 0)
		return fe_error(FE_EXIT_IO, "cannot write to standard output");
	putchar('\n');
	return 0;
}

int fe_json_append(json_t *arr, json_t *v)
{
	if (!v)
		return -1;
	return json_array_append_new(arr, v);
}

int fe_json_set(json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return -1;
	return json_object_set_new(obj, key, v);
}

json_t *fe_json_oid(const struct silo_oid *id)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];

	if (!id->format)
		return json_null();
	return json_string(silo_oid_to_hex(hex, id));
}
