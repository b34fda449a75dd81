/*
 * --json output of the front ends: each command that reports or lists
 * builds one JSON document with jansson and prints it with
 * fe_json_print().  Field names are lowercase with underscores and stay
 * stable; each command's page documents its shape under OUTPUT.
 *
 *	json_t *doc = json_pack("{s:[]}", "objects");
 *	fe_json_append(json_object_get(doc, "objects"), json_pack(...));
 *	return fe_json_print(doc);
 */
#ifndef FE_JSON_H
#define FE_JSON_H

#include <jansson.h>

struct silo_oid;

/* Print DOC (taken over; NULL means it could not be built) on standard
 * output: sorted keys, two-space indent, a final newline.  Returns 0 or
 * an exit status after reporting the failure. */
int fe_json_print(json_t *doc);

/* Append V (taken over) to the array ARR; -1 when V is NULL or on
 * failure, so that a document short of memory is never printed. */
int fe_json_append(json_t *arr, json_t *v);

/* Set KEY of OBJ to V (taken over); -1 when V is NULL or on failure. */
int fe_json_set(json_t *obj, const char *key, json_t *v);

/* The hex of ID as a JSON string, or JSON null for an unset id. */
json_t *fe_json_oid(const struct silo_oid *id);

#endif
