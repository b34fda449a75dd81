/*
 * --json output of the front ends: each command that reports or lists
 * builds one JSON document with jansson and hands it to fe_json_print().
 * Field names are lowercase with underscores and stay stable; each
 * command's page documents its shape under OUTPUT.
 *
 *	json_t *doc = json_pack("{s:[]}", "objects");
 *	fe_json_append(json_object_get(doc, "objects"), json_pack(...));
 *	return fe_json_print(doc);
 *
 * A command takes --json with OPT_JSON(&json).  The document is printed
 * when the command returns (fe_json_finish(), called by the dispatcher):
 * with "exit", the exit status, and "errors", the errors reported, added;
 * a command that fails before it made its document gets
 * { "result": "error", "exit": N, "errors": [...] }.  So every run with
 * --json prints exactly one document, also with -q, which silences the
 * other output only.  --json=compact prints it on one line.
 */
#ifndef FE_JSON_H
#define FE_JSON_H

#include <jansson.h>

struct silo_oid;

enum fe_json_style {
	FE_JSON_NONE = 0,
	FE_JSON_PRETTY,		/* sorted keys, two-space indent */
	FE_JSON_COMPACT		/* sorted keys, one line */
};

/* The style --json asked for (FE_JSON_NONE without it). */
extern enum fe_json_style fe_json;

/* Set --json's style from its value ARG (NULL: pretty); -1 if ARG is
 * neither "pretty" nor "compact". */
int fe_json_set_style(const char *arg);

/* A descriptor of the standard output the command started with, kept
 * when -q sends standard output to /dev/null; -1 when not kept. */
extern int fe_json_fd;

/* Keep DOC (taken over; NULL means it could not be built) as the
 * command's document.  Returns 0, or an exit status after reporting the
 * failure. */
int fe_json_print(json_t *doc);

/* Note MSG, an error just reported, for the document's "errors". */
void fe_json_note_error(const char *msg);

/* Print the command's document, which exits with STATUS, if it took
 * --json; returns STATUS, or an exit status if the document cannot be
 * written. */
int fe_json_finish(int status);

/* Append V (taken over) to the array ARR; -1 when V is NULL or on
 * failure, so that a document short of memory is never printed. */
int fe_json_append(json_t *arr, json_t *v);

/* Set KEY of OBJ to V (taken over); -1 when V is NULL or on failure. */
int fe_json_set(json_t *obj, const char *key, json_t *v);

/* S, a file name or a message, as a JSON string: JSON text is UTF-8,
 * so each byte of S that is not part of a UTF-8 character shows as
 * U+FFFD (a name of other bytes still gets its entry).  NULL when out of
 * memory or S is NULL. */
json_t *fe_json_text(const char *s);

/* The hex of ID as a JSON string, or JSON null for an unset id. */
json_t *fe_json_oid(const struct silo_oid *id);

#endif
