/* The provenance of a built wedge's treeptr, for knot show. */
#include "knot-internal.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "fsutil.h"
#include "strbuf.h"
#include "silo/treeptr.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int silo_knot_provenance(char **json_out, char **text_out, const char *path)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	struct strbuf sb = STRBUF_INIT;
	json_t *doc = NULL, *prov, *out = NULL, *v;
	const char *k, *kind;
	char *text = NULL, hex[SILO_OID_MAX_HEXSZ + 1];
	size_t len;
	int ret;

	/* The strict parse names what is malformed. */
	if ((ret = silo_treeptr_load(&tp, path)) < 0)
		return ret;
	if ((ret = fs_read_file(&text, &len, path, 16 << 20)) < 0)
		goto done;
	if (!(doc = json_loadb(text, len, 0, NULL))) {
		ret = silo__error_set(SILO_EINVALID, "'%s': not JSON", path);
		goto done;
	}
	prov = json_object_get(doc, "provenance");
	if (!json_is_object(prov) || !json_object_get(prov, "key")) {
		ret = silo__error_set(SILO_EINVALID,
				      "'%s' is not a wedge built by knot: its provenance has no 'key'", path);
		goto done;
	}
	if (!(out = json_deep_copy(prov))) {
		ret = silo__error_oom();
		goto done;
	}
	kind = silo_treeptr_kind_name(tp.kind);
	if (json_object_set_new(out, "object", json_string(silo_oid_to_hex(hex, &tp.object))) < 0 ||
	    json_object_set_new(out, "tree", json_string(silo_oid_to_hex(hex, &tp.tree))) < 0 ||
	    json_object_set_new(out, "kind", json_string(kind ? kind : "")) < 0 ||
	    json_object_set_new(out, "size", json_integer((json_int_t)tp.size)) < 0) {
		ret = silo__error_oom();
		goto done;
	}
	if (json_out && !(*json_out = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS))) {
		ret = silo__error_oom();
		goto done;
	}
	if (text_out) {
		void *iter;
		struct strvec keys = STRVEC_INIT;
		size_t i;

		for (iter = json_object_iter(out); iter && !ret; iter = json_object_iter_next(out, iter))
			ret = knot_strv_push(&keys, json_object_iter_key(iter));
		if (keys.n)
			qsort(keys.v, keys.n, sizeof(*keys.v), cmp_str);
		for (i = 0; i < keys.n && !ret; i++) {
			k = keys.v[i];
			v = json_object_get(out, k);
			if (json_is_string(v))
				ret = strbuf_addf(&sb, "%s\t%s\n", k, json_string_value(v));
			else if (json_is_integer(v))
				ret = strbuf_addf(&sb, "%s\t%lld\n", k, (long long)json_integer_value(v));
			else {
				char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
				ret = d ? strbuf_addf(&sb, "%s\t%s\n", k, d) : silo__error_oom();
				free(d);
			}
		}
		strvec_clear(&keys);
		if (!ret && !(ret = strbuf_grow(&sb, 0)))
			*text_out = strbuf_detach(&sb);
		if (ret < 0 && json_out) {
			free(*json_out);
			*json_out = NULL;
		}
	}
done:
	strbuf_release(&sb);
	json_decref(out);
	json_decref(doc);
	free(text);
	silo_treeptr_release(&tp);
	return ret;
}
