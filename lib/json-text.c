/* JSON documents as the text of a file: see json-text.h. */
#include "json-text.h"
#include "error-internal.h"

#include <stdlib.h>
#include <string.h>

int json_text(char **out, const json_t *doc, size_t flags)
{
	char *text, *line;
	size_t len;

	*out = NULL;
	if (!doc || !(text = json_dumps(doc, flags)))
		return silo__error_oom();
	len = strlen(text);
	if (!(line = realloc(text, len + 2))) {
		free(text);
		return silo__error_oom();
	}
	memcpy(line + len, "\n", 2);
	*out = line;
	return 0;
}

const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "something else";
}
