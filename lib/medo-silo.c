/* Choosing the silo a treeptr's object is read from or written to. */
#include "silo/medo.h"
#include "silo/silojson.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "error-internal.h"
#include "medo-internal.h"
#include "medo-skip.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load_silos(struct silo_silojson *sj, const char *treeptr_path,
		      const char *silo_option)
{
	if (silo_option)
		return silo_silojson_from_option(sj, silo_option);
	return silo_silojson_for(sj, treeptr_path);
}

static void warn(silo_medo_warn_fn fn, void *payload, const char *fmt, ...)
	SILO_PRINTF(3, 4);

static void warn(silo_medo_warn_fn fn, void *payload, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(payload, msg);
}

char **medo_treeptr_packs(const struct silo_treeptr *tp, size_t *n)
{
	char **names;
	size_t i;

	*n = silo_treeptr_n_packs(tp);
	if (!(names = calloc(*n + 1, sizeof(*names)))) {
		silo_error_oom();
		return NULL;
	}
	for (i = 0; i < *n; i++)
		names[i] = (char *)silo_treeptr_pack(tp, i);
	return names;
}

int medo_prefetch_tree(silo *s, const struct silo_treeptr *tp, int section)
{
	struct silo_prefetch_hints hints;
	char **names;
	size_t n;
	int ret;

	if (!(names = medo_treeptr_packs(tp, &n)))
		return SILO_ENOMEM;
	memset(&hints, 0, sizeof(hints));
	hints.packs = names;
	hints.n_packs = n;
	if (section) {
		hints.section_first = &tp->tree;
		hints.section_last = &tp->object;
	}
	ret = silo_prefetch(s, NULL, 0, &hints);
	free(names);
	return ret;
}

/*
 * ID whole from the cache that silos over HTTP share, through the handle
 * of silo E opened without a request, if the cache holds it: 1 and *OUT
 * set, else 0.  It was checked when it arrived and is checked again as
 * it is read, so no server need be asked: a warm run makes no request,
 * and works with the servers down.
 */
static int open_cached(silo **out, const struct silo_silojson_entry *e, const silo_oid *id)
{
	if (silo_open_if_cached(out, e->location, id) > 0)
		return 1;
	silo_error_clear();	/* the servers are asked instead */
	return 0;
}

/* The silo that holds ID; for a silo over HTTP, TP (if not NULL, of kind
 * tree) names the packs to search first. */
static int open_reading(silo **out, const char *treeptr_path,
			const char *silo_option, const silo_oid *id,
			const struct silo_treeptr *tp, int section,
			silo_medo_warn_fn on_warning, void *payload)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	struct strbuf why = STRBUF_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	int ret, code = SILO_ENOTFOUND, tried_cache = 0;
	size_t i;

	*out = NULL;
	if ((ret = load_silos(&sj, treeptr_path, silo_option)) < 0)
		return ret;
	silo_oid_to_hex(hex, id);
	/* Each silo in turn; what each said goes into the final error. */
	for (i = 0; i < sj.n; i++) {
		struct silo_silojson_entry *e = &sj.v[i];
		silo *s;
		int have, known;

		/* A whole object (a tree kind's objects are read piece by
		 * piece) before the first server. */
		if (e->kind == SILO_SILOJSON_HTTP && !tp && !tried_cache++ &&
		    open_cached(out, e, id)) {
			silo_silojson_release(&sj);
			strbuf_release(&why);
			return 0;
		}
		/* After the cache: a silo skipped already leaves its error
		 * as the last one, which ret takes below. */
		known = medo_skip_known(e->location);
		if (known)
			ret = silo_error_last();
		else
			ret = silo_open_location(&s, e->location);
		/* The explicit transfer step: a silo is chosen by what can
		 * really be read from it, so that a server that lacks the
		 * object or offers a damaged copy is skipped for the next
		 * silo.  For a local silo this only looks. */
		/* A tree kept as git objects: the treeptr's packs first, and
		 * its tree section (size table included) in one request. */
		/* Without the section (a reader of a few tree objects), the
		 * root tree is looked up: its pack's index, no object. */
		if (ret == 0 && tp && (ret = medo_prefetch_tree(s, tp, section)) < 0)
			silo_free(s);
		if (ret < 0)
			have = ret;
		else if (tp && !section)
			have = silo_has_object(s, &tp->tree);
		else if ((have = silo_fetch_object(s, id)) == 0)
			have = 1;
		else if (have == SILO_ENOTFOUND)
			have = 0;
		if (have > 0) {
			*out = s;
			silo_silojson_release(&sj);
			strbuf_release(&why);
			silo_error_clear();
			return 0;
		}
		if (have < 0) {
			/* A failing silo is worth a warning even when a later
			 * one has the object: a mirror may be down.  One that
			 * cannot be opened, or whose transfers fail (down,
			 * stalled, too slow: after their retries), is
			 * remembered, not tried again, and warned about once:
			 * a slow silo costs one deadline a run, not one a
			 * treeptr. */
			if (!known && ((ret == 0 && have != SILO_ENET) ||
				       medo_skip_add(e->location) != 0))
				warn(on_warning, payload, "skipping silo '%s': %s", e->spec,
				     silo_error_message());
			strbuf_addf(&why, "; '%s': %s", e->spec, silo_error_message());
			if (have != SILO_ENOTFOUND)
				code = have;
		} else {
			strbuf_addf(&why, "; '%s': not there", e->spec);
		}
		if (ret == 0)
			silo_free(s);
	}
	/* A corrupt copy is worse news than a missing one: keep its code. */
	if (silo_option)
		ret = silo_error_set(code, "object %s is not in silo '%s'%s", hex,
				     silo_option, sj.n == 1 && code == SILO_ENOTFOUND ? "" :
				     why.buf ? why.buf : "");
	else if (code != SILO_ENOTFOUND)
		ret = silo_error_set(code, "cannot read object %s from any silo of '%s'%s",
				     hex, sj.path, why.buf ? why.buf : "");
	else
		ret = silo_error_set(code, "object %s is not in any silo of '%s'%s",
				     hex, sj.path, why.buf ? why.buf : "");
	silo_silojson_release(&sj);
	strbuf_release(&why);
	return ret;
}

int silo_medo_open_writing(silo **out, const char *treeptr_path,
			   const char *silo_option)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	size_t i;
	int ret;

	*out = NULL;
	if ((ret = load_silos(&sj, treeptr_path, silo_option)) < 0)
		return ret;
	for (i = 0; i < sj.n; i++)
		if (sj.v[i].kind == SILO_SILOJSON_LOCAL)
			break;
	if (i == sj.n)
		ret = silo_error_set(SILO_ENOTFOUND, "no local silo to write to in '%s'",
				     sj.path ? sj.path : silo_option);
	else if ((ret = silo_open(out, sj.v[i].location)) < 0)
		silo_error_wrap("silo '%s' of '%s'", sj.v[i].spec,
				sj.path ? sj.path : "--silo");
	silo_silojson_release(&sj);
	return ret;
}

int silo_medo_open_reading(silo **out, const char *treeptr_path,
			   const char *silo_option, const silo_oid *id,
			   silo_medo_warn_fn on_warning, void *payload)
{
	return open_reading(out, treeptr_path, silo_option, id, NULL, 0, on_warning, payload);
}

int silo_medo_open_treeptr(silo **out, const char *treeptr_path,
			   const char *silo_option, const struct silo_treeptr *tp,
			   silo_medo_warn_fn on_warning, void *payload)
{
	return open_reading(out, treeptr_path, silo_option, &tp->object,
			    tp->kind == SILO_TREEPTR_TREE ? tp : NULL, 1, on_warning, payload);
}

int silo_medo_open_tree_objects(silo **out, const char *treeptr_path,
				const char *silo_option, const struct silo_treeptr *tp,
				silo_medo_warn_fn on_warning, void *payload)
{
	if (tp->kind != SILO_TREEPTR_TREE)
		return silo_medo_open_treeptr(out, treeptr_path, silo_option, tp, on_warning,
					      payload);
	return open_reading(out, treeptr_path, silo_option, &tp->tree, tp, 0, on_warning,
			    payload);
}
