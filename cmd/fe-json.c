/* --json output shared by the front ends (see fe-json.h). */
#include "fe-json.h"
#include "fe.h"
#include "silo/oid.h"

#include <stdio.h>
#include <stdlib.h>
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
		json_array_append_new(errors, fe_json_text(msg));
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

/* The length of the UTF-8 character at S (N bytes left), or 0 when it
 * is none: RFC 3629, no overlong forms, no surrogates. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

json_t *fe_json_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0, o = 0, k;
	json_t *v;
	char *buf;

	if (!s)
		return NULL;
	n = strlen(s);
	for (i = 0; i < n && (k = utf8_char(p + i, n - i)); i += k)
		;
	if (i == n)
		return json_stringn(s, n);
	/* Each byte replaced takes at most three. */
	if (n > ((size_t)-1 - 1) / 3 || !(buf = malloc(3 * n + 1)))
		return NULL;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_char(p + i, n - i))) {
			memcpy(buf + o, s + i, k);
			o += k;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		}
	}
	v = json_stringn(buf, o);
	free(buf);
	return v;
}

json_t *fe_json_oid(const struct silo_oid *id)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];

	if (!id->format)
		return json_null();
	return json_string(silo_oid_to_hex(hex, id));
}
