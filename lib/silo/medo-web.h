/*
 * A static web site of medo directories (medo web): an index of their
 * treeptrs, a page per treeptr (its provenance and signature), the file
 * listing of each tree by directory and the differences between versions,
 * as plain files that any web server serves beside the silo.  The bytes
 * of files are not copied: the pages read them from the silo itself over
 * HTTP, with the JavaScript and CSS written beside them.
 *
 *	struct silo_medo_web_options o = SILO_MEDO_WEB_OPTIONS_INIT;
 *	silo_medo_web("site", dirs, n, &o, &result);
 *
 * The pages of a tree (t/<key>/) and of a difference (d/<a>-<b>/) depend on
 * the trees alone, which never change: they are written once, into a
 * staging directory renamed into place, and kept by later runs.  The
 * index, the treeptr pages and site.json (where the silos are) are written
 * again by each run, each replacing the old one atomically.
 */
#ifndef SILO_MEDO_WEB_H
#define SILO_MEDO_WEB_H

#include <stddef.h>
#include <stdint.h>
#include "silo/medo.h"

struct silo_sshsig_signers;

struct silo_medo_web_options {
	const char *silo;	/* a silo to read trees from instead of SILO.json's */
	/* The silos the pages read from, as URLs (absolute, or relative to
	 * the site's top directory), tried in order; none: those of the
	 * treeptrs' SILO.json files, a local silo as the path from the
	 * site to it. */
	const char *const *silo_urls;
	size_t n_silo_urls;
	/* Check each treeptr's .sig against these; NULL: a signature is
	 * shown as present, not checked. */
	const struct silo_sshsig_signers *signers;
	/* How many earlier versions of each treeptr in git history get a
	 * page and a difference (0: none). */
	unsigned history;
	silo_medo_warn_fn on_warning;
	/* A treeptr that cannot be read: its path and the message; the
	 * site lists it as unreadable and goes on.  May be NULL. */
	void (*on_error)(void *payload, const char *treeptr, int code, const char *message);
	/* Trees done of trees to write; may be NULL. */
	void (*on_progress)(void *payload, uint64_t done, uint64_t total);
	void *payload;
};

#define SILO_MEDO_WEB_OPTIONS_INIT { NULL, NULL, 0, NULL, 5, NULL, NULL, NULL, NULL }

struct silo_medo_web_result {
	size_t treeptrs;	/* in the index */
	size_t failed;		/* treeptrs that could not be read */
	size_t bad_signatures;	/* signatures that did not verify */
	size_t trees_written, trees_kept;
	size_t diffs_written, diffs_kept;
	size_t pages;		/* HTML pages written by this run */
	uint64_t bytes;		/* their bytes, with the assets */
};

/*
 * Write the site of the treeptrs below the N medo directories DIRS into
 * OUT, which must not exist, be empty, or hold a site written before
 * (its site.json): anything else is SILO_EEXISTS.  A treeptr that
 * cannot be read is reported through on_error and counted; the rest of
 * the site is written.  Returns 0 or a negative error that stopped the
 * whole run.
 */
int silo_medo_web(const char *out, const char *const *dirs, size_t n,
		  const struct silo_medo_web_options *opts,
		  struct silo_medo_web_result *result);

#endif
