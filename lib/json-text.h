/*
 * JSON documents as the text of a file (json-text.c).
 *
 * Every JSON file the library writes (a silo's config, a treeptr,
 * SILO.json, the record of expanded trees) ends with a newline, which
 * json_dumps() leaves out.
 */
#ifndef SILO_JSON_TEXT_H
#define SILO_JSON_TEXT_H

#include <stddef.h>
#include <jansson.h>

/*
 * Set *out to DOC as json_dumps() writes it with FLAGS, followed by a
 * newline and the NUL; *out is owned by the caller.  Returns 0, or
 * SILO_ENOMEM (a NULL DOC too, so that a failed constructor can be
 * passed in) and leaves *out NULL.
 */
int json_text(char **out, const json_t *doc, size_t flags);

/* What V is, for messages about a value of the wrong type: "an object",
 * "an array", "a string", "an integer", "a real number", "a boolean" or
 * "null" (a static string). */
const char *json_type_name(const json_t *v);

#endif
