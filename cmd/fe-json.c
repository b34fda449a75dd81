/* --json output shared by the front ends (see fe-json.h). */
#include "fe-json.h"
#include "fe.h"
#include "silo/oid.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum fe_json_style fe_json;
int fe_json_fd = -1;

static json_t *document;	/* the command's, until it returns */
static json_t *errors;		/* the errors reported, with --json */

int fe_json_set_style(const char *arg)
{
	if (!arg || !strcmp(arg, "pretty"))
		fe_json = FE_JSON_PRETTY;
	else if (!strcmp(arg, "compact"))
		fe_json = FE_JSON_COMPACT;
	else
		return -1;
	return 0;
}

int fe_json_print(json_t *doc)
{
	if (!doc)
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	json_decref(document);
	document = doc;
	return 0;
}

void fe_json_note_error(const char *msg)
{
	if (!fe_json)
		return;
	if (!errors)
		errors = json_array();
	if (errors)
		json_array_append_new(errors, json_string(msg));
}

/* DOC, or a new error document, with "exit" and "errors" added. */
static json_t *finish_document(json_t *doc, int status)
{
	json_t *errs = errors ? errors : json_array();
	int made = !doc;

	if (made && !(doc = json_pack("{s:s}", "result", status ? "error" : "ok")))
		goto fail;
	if (json_is_object(doc)) {
		if (json_object_set_new(doc, "exit", json_integer(status)) < 0)
			goto fail;
		if (errs && (made || json_array_size(errs)) && !json_object_get(doc, "errors") &&
		    json_object_set(doc, "errors", errs) < 0)
			goto fail;
	}
	json_decref(errs);
	errors = NULL;
	return doc;
fail:
	json_decref(doc);
	json_decref(errs);
	errors = NULL;
	return NULL;
}

int fe_json_finish(int status)
{
	json_t *doc = document;
	size_t flags = JSON_SORT_KEYS;
	FILE *f = stdout;
	int ret;

	document = NULL;
	if (!fe_json) {
		json_decref(doc);
		return status;
	}
	flags |= fe_json == FE_JSON_COMPACT ? JSON_COMPACT : JSON_INDENT(2);
	fe_json = FE_JSON_NONE;
	if (!(doc = finish_document(doc, status)))
		return fe_error(status ? status : FE_EXIT_FAILURE, "out of memory");
	if (fe_json_fd >= 0 && !(f = fdopen(fe_json_fd, "w"))) {
		close(fe_json_fd);
		fe_json_fd = -1;
		json_decref(doc);
		return fe_error(status ? status : FE_EXIT_IO, "cannot write to standard output");
	}
	ret = json_dumpf(doc, f, flags);
	json_decref(doc);
	if (ret == 0 && fputc('\n', f) == EOF)
		ret = -1;
	if (f != stdout) {
		fe_json_fd = -1;
		if (fclose(f) != 0)
			ret = -1;
	}
	if (ret < 0)
		return fe_error(status ? status : FE_EXIT_IO, "cannot write to standard output");
	return status;
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
