/*
 * medo fsck (silo/medo-fsck.h): each treeptr against each of its silos,
 * through the one closure of silo/closure.h.  The problems a silo has
 * with a treeptr are held back until its check ends: a silo that holds
 * nothing of the treeptr (a mirror, a silo of other trees) is no
 * problem, one that holds a part of it is.
 */
#include "silo/medo-fsck.h"
#include "medo-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A silo met by this check: opened once, or failed once. */
struct fsck_silo {
	char *location;
	silo *s;			/* NULL when it could not be opened */
	struct silo_closure *c;
	int error;			/* why it could not be */
	char *why;
};

struct silo_medo_fsck {
	struct silo_medo_fsck_options o;
	struct fsck_silo *v;
	size_t n, alloc;
};

/* A problem held back until the silo's check is over. */
struct held {
	int severity;
	int has_id;
	silo_oid id;
	char *path, *message;
};

struct hold {
	struct held *v;
	size_t n, alloc;
	int failed;		/* out of memory while holding one */
};

static void hold_problem(void *payload, int severity, const silo_oid *id, const char *path,
			 const char *message)
{
	struct hold *h = payload;
	struct held *e;

	if (ALLOC_GROW(h->v, h->n + 1, h->alloc) < 0) {
		h->failed = 1;
		return;
	}
	e = &h->v[h->n];
	memset(e, 0, sizeof(*e));
	e->severity = severity;
	if (id) {
		e->has_id = 1;
		e->id = *id;
	}
	if (!(e->path = strdup(path)) || !(e->message = strdup(message))) {
		free(e->path);
		free(e->message);
		h->failed = 1;
		return;
	}
	h->n++;
}

static void hold_release(struct hold *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].path);
		free(h->v[i].message);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}

int silo_medo_fsck_new(silo_medo_fsck **out, const struct silo_medo_fsck_options *opts)
{
	silo_medo_fsck *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return silo__error_oom();
	f->o = *opts;
	*out = f;
	return 0;
}

void silo_medo_fsck_free(silo_medo_fsck *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++) {
		silo_closure_free(f->v[i].c);
		silo_free(f->v[i].s);
		free(f->v[i].location);
		free(f->v[i].why);
	}
	free(f->v);
	free(f);
}

/* The silo of entry E, opened on first use; NULL (after a warning, the
 * first time) when it cannot be. */
static int open_silo(struct fsck_silo **out, silo_medo_fsck *f,
		     const struct silo_silojson_entry *e)
{
	struct fsck_silo *fs;
	size_t i;
	int ret;

	*out = NULL;
	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].location, e->location)) {
			*out = &f->v[i];
			return 0;
		}
	if (ALLOC_GROW(f->v, f->n + 1, f->alloc) < 0)
		return silo__error_oom();
	fs = &f->v[f->n];
	memset(fs, 0, sizeof(*fs));
	if (!(fs->location = strdup(e->location)))
		return silo__error_oom();
	f->n++;
	*out = fs;
	if ((ret = silo_open_location(&fs->s, e->location)) == 0 &&
	    (ret = silo_closure_new(&fs->c, fs->s)) == 0)
		return 0;
	if (ret == SILO_ENOMEM)
		return ret;
	fs->error = ret;
	if (!(fs->why = strdup(silo_error_message())))
		return silo__error_oom();
	if (f->o.on_warning) {
		char msg[1024], reason[512];
		medo_silo_why_not(reason, sizeof(reason), e->location, fs->why);
		snprintf(msg, sizeof(msg), "skipping silo '%s': %s", e->location, reason);
		f->o.on_warning(f->o.payload, msg);
	}
	silo_free(fs->s);
	fs->s = NULL;
	return 0;
}

/* Silo E could not be read for the treeptr (CODE, WHY): what it holds
 * of it is unknown. */
static int unchecked(struct silo_medo_fsck_result *result, const struct silo_silojson_entry *e,
		     int code, const char *why)
{
	char reason[512];

	result->unchecked++;
	result->error = code;
	medo_silo_why_not(reason, sizeof(reason), e->location, why);
	snprintf(result->why, sizeof(result->why), "silo '%s': %s", e->location, reason);
	return 0;
}

static void tell(silo_medo_fsck *f, const char *name, const char *spec, const struct held *e)
{
	if (f->o.on_problem)
		f->o.on_problem(f->o.payload, name, spec, e->severity, e->has_id ? &e->id : NULL,
				e->path, e->message);
}

/* Check TP in the silo of entry E; count into RESULT. */
static int check_one(struct silo_medo_fsck_result *result, silo_medo_fsck *f,
		     const struct silo_treeptr *tp, const char *name,
		     const struct silo_silojson_entry *e)
{
	struct silo_closure_check_result r;
	struct hold h = { NULL, 0, 0, 0 };
	struct fsck_silo *fs;
	size_t i;
	int ret;

	if ((ret = open_silo(&fs, f, e)) < 0)
		return ret;
	if (!fs->s)
		return unchecked(result, e, fs->error, fs->why);
	/* Over HTTP: the packs the treeptr names first, and its tree
	 * section (tree objects, size table) in one request, as a reader
	 * does (nothing to do for a local silo). */
	if (tp->kind == SILO_TREEPTR_TREE &&
	    (ret = medo_prefetch_tree(fs->s, tp, 1)) < 0 && ret != SILO_ENOTFOUND) {
		if (ret == SILO_ENOMEM)
			return ret;
		if (f->o.on_warning) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "skipping silo '%s' for '%s': %s", e->location,
				 name, silo_error_message());
			f->o.on_warning(f->o.payload, msg);
		}
		return unchecked(result, e, ret, silo_error_message());
	}
	if ((ret = silo_closure_check(&r, fs->c, tp, hold_problem, &h)) < 0)
		goto out;
	if (h.failed) {
		ret = silo__error_oom();
		goto out;
	}
	result->objects += r.objects;
	/* A part held and a part missing is incomplete, whatever could not
	 * be looked at; nothing missing but something not looked at is
	 * not known; nothing held and nothing failing is absent. */
	if (r.roots_held && r.bad) {
		result->incomplete++;
	} else if (r.unreadable) {
		for (i = 0; i < h.n; i++)
			tell(f, name, e->spec, &h.v[i]);
		ret = unchecked(result, e, r.error, "objects could not be looked at");
		goto out;
	} else if (!r.roots_held) {
		result->absent++;
		goto out;
	} else {
		result->complete++;
	}
	result->bad += r.bad;
	result->warnings += r.warnings;
	for (i = 0; i < h.n; i++)
		tell(f, name, e->spec, &h.v[i]);
out:
	hold_release(&h);
	return ret;
}

int silo_medo_fsck_treeptr(struct silo_medo_fsck_result *result, silo_medo_fsck *f,
			   const struct silo_treeptr *tp, const char *treeptr_path,
			   const char *name, const struct silo_silojson *sj)
{
	struct silo_silojson own = SILO_SILOJSON_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	size_t i;
	int ret = 0;

	memset(result, 0, sizeof(*result));
	if (f->o.silo)
		ret = silo_silojson_from_option(&own, f->o.silo);
	else if (!sj)
		ret = silo_silojson_for(&own, treeptr_path);
	if (ret < 0)
		return ret;
	if (!sj)
		sj = &own;
	for (i = 0; i < sj->n && ret >= 0; i++)
		ret = check_one(result, f, tp, name, &sj->v[i]);
	if (ret >= 0 && !result->complete && !result->incomplete &&
	    (result->unchecked || !f->o.skip_absent)) {
		struct held e;
		char msg[sizeof(result->why) + 128];

		memset(&e, 0, sizeof(e));
		e.severity = SILO_CLOSURE_BAD;
		e.path = (char *)"";
		e.message = msg;
		if (result->unchecked) {
			/* Not known: perhaps the silo that could not be read
			 * holds it.  A failure (a transfer, a read), not a
			 * finding. */
			snprintf(msg, sizeof(msg), "could not be checked: %s", result->why);
		} else {
			e.has_id = 1;
			e.id = tp->object;
			if (f->o.silo)
				snprintf(msg, sizeof(msg), "object %s is not in silo '%s'",
					 silo_oid_to_hex(hex, &tp->object), f->o.silo);
			else
				snprintf(msg, sizeof(msg), "no silo of its SILO.json holds its "
					 "object %s", silo_oid_to_hex(hex, &tp->object));
			result->bad++;
		}
		tell(f, name, NULL, &e);
	}
	silo_silojson_release(&own);
	return ret;
}
