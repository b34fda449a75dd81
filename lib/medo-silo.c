/* Choosing the silo a treeptr's object is read from or written to. */
#include "silo/medo.h"
#include "silo/silojson.h"
#include "silo/store.h"
#include "silo/treeptr.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "http.h"
#include "pack.h"
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

void medo_silo_why_not(char *buf, size_t size, const char *location, const char *msg)
{
	size_t len = strlen(location);

	if (msg[0] == '\'' && !strncmp(msg + 1, location, len) && msg[len + 1] == '\'' &&
	    msg[len + 2] == ' ')
		msg += len + 3;
	snprintf(buf, size, "%s", msg);
}

/* Where the silos of SJ come from, for messages: a SILO.json, or --silo. */
static const char *silos_source(const struct silo_silojson *sj)
{
	return sj->path ? sj->path : "--silo";
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
		silo__error_oom();
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
	ret = silo_prefetch(s, NULL, NULL, 0, &hints);
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

/* What a reader wants from the silos of a treeptr: it decides how much
 * is transferred to choose one. */
enum want {
	WANT_OBJECT,	/* one whole object, fetched; the cache first */
	WANT_SECTION,	/* a tree kind: its packs, its tree section, its object */
	WANT_TREE	/* a tree kind: its packs, its root tree looked up */
};

struct reading {
	enum want want;
	const silo_oid *id;		/* what is read (named in errors) */
	uint64_t size;			/* its size; UINT64_MAX: not known */
	const struct silo_treeptr *tp;	/* of kind tree; NULL for WANT_OBJECT */
	silo_medo_warn_fn on_warning;
	void *payload;
};

/*
 * The explicit transfer step: a silo is chosen by what can really be
 * read from it, so that a server that lacks the object or offers a
 * damaged copy (or one of another size: RD's size bounds the transfer)
 * is skipped for the next silo.  For a local silo this only looks.  A
 * tree kept as git objects has its packs searched first
 * (prefetch); with its section, the root tree to the size table comes
 * in one request and the object is fetched; without it (a reader of a
 * few tree objects), the root tree is looked up: its pack's index, no
 * object.  1 when S has what RD wants, 0 when not, negative on error.
 */
static int transfer(silo *s, const struct reading *rd)
{
	int ret;

	if (rd->want == WANT_TREE)
		return silo_has_object(s, &rd->tp->tree);
	if ((ret = silo_fetch_object(s, rd->id, rd->size)) == 0)
		return 1;
	return ret == SILO_ENOTFOUND ? 0 : ret;
}

/*
 * Silo E asked for what RD wants: 1 and *OUT set when it has it, 0 when
 * not, negative when it cannot tell.  *SKIP says whether that failure
 * is one of the silo rather than of its copy (it cannot be opened, its
 * transfers fail: down, stalled, too slow, after their retries), which
 * the skip list remembers so that no other treeptr tries it again;
 * *UNOPENED, whether the silo itself could not be used.  A silo skipped
 * already leaves its error as the last one.
 */
static int try_silo(silo **out, const struct reading *rd,
		    const struct silo_silojson_entry *e, int *skip, int *unopened)
{
	silo *s;
	int ret;

	*out = NULL;
	*skip = 1;
	*unopened = 1;
	if (medo_skip_known(e->location))
		return silo_error_last();
	if ((ret = silo_open_location(&s, e->location)) < 0)
		return ret;
	*unopened = 0;
	if (rd->want != WANT_OBJECT &&
	    (ret = medo_prefetch_tree(s, rd->tp, rd->want == WANT_SECTION)) < 0) {
		silo_free(s);
		return ret;
	}
	ret = transfer(s, rd);
	*skip = ret == SILO_ENET;
	if (ret > 0)
		*out = s;
	else
		silo_free(s);
	return ret;
}

/* The error when no silo gave RD's object: CODE (a corrupt copy is worse
 * news than a missing one), and what each silo said (WHY). */
static int none_had(const struct reading *rd, const struct silo_silojson *sj,
		    const char *silo_option, int code, const char *why)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];

	silo_oid_to_hex(hex, rd->id);
	if (silo_option)
		return silo__error_set(code, "object %s is not in silo '%s'%s", hex, silo_option,
				      sj->n == 1 && code == SILO_ENOTFOUND ? "" : why);
	if (code != SILO_ENOTFOUND)
		return silo__error_set(code, "cannot read object %s from any silo of '%s'%s",
				      hex, sj->path, why);
	return silo__error_set(code, "object %s is not in any silo of '%s'%s", hex, sj->path,
			      why);
}

/* The first silo of the treeptr at TREEPTR_PATH (or of SILO_OPTION) that
 * has what RD wants, each silo in turn. */
static int open_reading(silo **out, const char *treeptr_path, const char *silo_option,
			const struct reading *rd)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	struct strbuf why = STRBUF_INIT;
	char reason[512];
	int ret, code = SILO_ENOTFOUND, tried_cache = 0;
	size_t i;

	*out = NULL;
	if ((ret = load_silos(&sj, treeptr_path, silo_option)) < 0)
		return ret;
	for (i = 0; i < sj.n; i++) {
		struct silo_silojson_entry *e = &sj.v[i];
		int have, skip, unopened;

		/* A whole object (a tree kind's objects are read piece by
		 * piece) before the first server. */
		if (e->kind == SILO_SILOJSON_HTTP && rd->want == WANT_OBJECT &&
		    !tried_cache++ && open_cached(out, e, rd->id))
			break;
		if ((have = try_silo(out, rd, e, &skip, &unopened)) > 0)
			break;
		/* The silo --silo names is the only one: not there, it is
		 * the error, not "the object is not in it". */
		if (have < 0 && unopened && silo_option) {
			medo_silo_why_not(reason, sizeof(reason), e->location, silo_error_message());
			ret = silo__error_set(have, "silo '%s' of --silo: %s", e->location, reason);
			goto out;
		}
		if (have == 0) {
			strbuf_addf(&why, "; '%s': not there", e->spec);
			continue;
		}
		/* A failing silo is worth a warning even when a later one
		 * has the object: a mirror may be down.  One the skip list
		 * takes is warned about once: a slow silo costs one deadline
		 * a run, not one a treeptr. */
		if (!skip || medo_skip_add(e->location) != 0) {
			medo_silo_why_not(reason, sizeof(reason), e->location, silo_error_message());
			warn(rd->on_warning, rd->payload, "skipping silo '%s' of '%s': %s",
			     e->location, silos_source(&sj), reason);
		}
		strbuf_addf(&why, "; '%s': %s", e->spec, silo_error_message());
		if (have != SILO_ENOTFOUND)
			code = have;
	}
	if (*out) {
		ret = 0;
		silo_error_clear();
	} else {
		ret = none_had(rd, &sj, silo_option, code, why.buf ? why.buf : "");
	}
out:
	silo_silojson_release(&sj);
	strbuf_release(&why);
	return ret;
}

int silo_medo_open_writing(silo **out, const char *treeptr_path,
			   const char *silo_option)
{
	struct silo_silojson sj = SILO_SILOJSON_INIT;
	char reason[512];
	size_t i;
	int ret;

	*out = NULL;
	if ((ret = load_silos(&sj, treeptr_path, silo_option)) < 0)
		return ret;
	for (i = 0; i < sj.n; i++)
		if (sj.v[i].kind == SILO_SILOJSON_LOCAL)
			break;
	if (i == sj.n)
		ret = silo__error_set(SILO_ENOTFOUND, "no local silo to write to in '%s'",
				      sj.path ? sj.path : silo_option);
	else if ((ret = silo_open(out, sj.v[i].location)) < 0) {
		medo_silo_why_not(reason, sizeof(reason), sj.v[i].location, silo_error_message());
		ret = silo__error_set(ret, "silo '%s' of %s%s%s: %s", sj.v[i].location,
				      sj.path ? "'" : "", silos_source(&sj), sj.path ? "'" : "",
				      reason);
	}
	silo_silojson_release(&sj);
	return ret;
}

int silo_medo_open_reading(silo **out, const char *treeptr_path,
			   const char *silo_option, const silo_oid *id, uint64_t size,
			   silo_medo_warn_fn on_warning, void *payload)
{
	struct reading rd = { WANT_OBJECT, id, size, NULL, on_warning, payload };

	return open_reading(out, treeptr_path, silo_option, &rd);
}

int silo_medo_open_treeptr(silo **out, const char *treeptr_path,
			   const char *silo_option, const struct silo_treeptr *tp,
			   silo_medo_warn_fn on_warning, void *payload)
{
	struct reading rd = { WANT_SECTION, &tp->object, tp->size, tp, on_warning, payload };

	if (tp->kind != SILO_TREEPTR_TREE)
		rd = (struct reading){ WANT_OBJECT, &tp->object, tp->size, NULL, on_warning,
				       payload };
	return open_reading(out, treeptr_path, silo_option, &rd);
}

int silo_medo_open_tree_objects(silo **out, const char *treeptr_path,
				const char *silo_option, const struct silo_treeptr *tp,
				silo_medo_warn_fn on_warning, void *payload)
{
	struct reading rd = { WANT_TREE, &tp->tree, UINT64_MAX, tp, on_warning, payload };

	if (tp->kind != SILO_TREEPTR_TREE)
		return silo_medo_open_treeptr(out, treeptr_path, silo_option, tp, on_warning,
					      payload);
	return open_reading(out, treeptr_path, silo_option, &rd);
}

#define PACKS_NOW_MAX 64	/* names followed through .moved files */
#define MOVED_READ_MAX 4096	/* bytes of one .moved file read */

/* The text of pack/NAME.moved of the silo at LOCATION into *TEXT, or
 * NULL when it has none (its pack is in place, or unknown). */
static int read_moved(char **text, size_t *len, const char *location, int is_url,
		      const char *name)
{
	char rel[128], *path;
	int ret;

	*text = NULL;
	*len = 0;
	snprintf(rel, sizeof(rel), "pack/%s.pack", name);
	if (!is_url) {
		if (!(path = fs_join(location, rel)))
			return silo__error_oom();
		ret = fs_exists(path);
		free(path);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	snprintf(rel, sizeof(rel), "pack/%s" PACK_MOVED_SUFFIX, name);
	if (!(path = fs_join(location, rel)))
		return silo__error_oom();
	if (is_url) {
		enum http_result result;
		char error[512];
		ret = http_get_start(path, MOVED_READ_MAX, text, len, &result, error,
				     sizeof(error));
		if (ret == 0 && result == HTTP_NOT_FOUND) {
			free(*text);
			*text = NULL;
		} else if (ret == 0 && result != HTTP_OK) {
			free(*text);
			*text = NULL;
			ret = silo__error_set(SILO_ENET, "cannot fetch '%s': %s", path, error);
		}
	} else if ((ret = fs_read_file(text, len, path, MOVED_READ_MAX)) == SILO_ENOTFOUND) {
		silo_error_clear();
		ret = 0;
	}
	free(path);
	return ret;
}

/* Add NAME (LEN bytes) to the N names of *V unless it is there. */
static int add_name(char ***v, size_t *n, size_t *alloc, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && !memcmp((*v)[i], name, len))
			return 0;
	if (ALLOC_GROW(*v, *n + 1, *alloc) < 0 || !((*v)[*n] = strndup(name, len)))
		return silo__error_oom();
	(*n)++;
	return 0;
}

int silo_medo_packs_now(char ***out, size_t *n_out, const char *location, int is_url,
			int format, char *const *names, size_t n)
{
	char **todo = NULL, **now = NULL, *text;
	size_t n_todo = 0, a_todo = 0, n_now = 0, a_now = 0, i, len;
	int ret = 0;

	*out = NULL;
	*n_out = 0;
	for (i = 0; i < n && ret >= 0; i++)
		ret = add_name(&todo, &n_todo, &a_todo, names[i], strlen(names[i]));
	for (i = 0; i < n_todo && ret >= 0; i++) {
		const char *p, *end;

		if ((ret = read_moved(&text, &len, location, is_url, todo[i])) < 0)
			break;
		if (!text) {
			ret = add_name(&now, &n_now, &a_now, todo[i], strlen(todo[i]));
			continue;
		}
		/* One name a line; a line cut off by MOVED_READ_MAX has no
		 * newline and is not read, nor is a name that is not one. */
		for (p = text, end = text + len; ret >= 0 && p < end && n_todo < PACKS_NOW_MAX; ) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			char file[128];
			if (!nl)
				break;
			snprintf(file, sizeof(file), "%.*s.pack", (int)((size_t)(nl - p) < 100 ?
								      nl - p : 100), p);
			if ((size_t)(nl - p) < 100 && pack_name_is(file, format, "pack"))
				ret = add_name(&todo, &n_todo, &a_todo, p, (size_t)(nl - p));
			p = nl + 1;
		}
		free(text);
	}
	silo_medo_list_free(todo, n_todo);
	if (ret < 0) {
		silo_medo_list_free(now, n_now);
		return ret;
	}
	*out = now;
	*n_out = n_now;
	return 0;
}
