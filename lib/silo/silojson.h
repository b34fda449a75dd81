/*
 * SILO.json: the list of silos that hold a medo directory's objects
 * (Documentation/silo-json.5.scd).
 *
 *	{ "silos": ["../../deps.silo", "https://example.org/deps.silo/"] }
 *
 * Entries are URLs (https://, http://, s3://, file:///) or paths relative
 * to the directory holding SILO.json.  A treeptr uses the nearest
 * SILO.json in its own directory or above it, within its medo tree: the
 * search stops at the directory named *.medo, else at the top of a git
 * work tree (a directory holding .git) or at the root.
 *
 *	struct silo_silojson sj = SILO_SILOJSON_INIT;
 *	silo_silojson_for(&sj, "deps/source.medo/x.treeptr");
 *	  ... sj.v[i].location ...
 *	silo_silojson_release(&sj);
 */
#ifndef SILO_SILOJSON_H
#define SILO_SILOJSON_H

#include "silo/common.h"

#include <stddef.h>

#define SILO_SILOJSON_NAME "SILO.json"

enum silo_silojson_kind {
	SILO_SILOJSON_LOCAL = 1,	/* a path or a file:// URL */
	SILO_SILOJSON_HTTP		/* http://, https:// or s3://: read over HTTP */
};

struct silo_silojson_entry {
	char *spec;		/* as written in the file */
	int kind;		/* enum silo_silojson_kind */
	/* For LOCAL entries, a path to the silo that works from the current
	 * directory: relative to it when the entry was a relative path,
	 * absolute when the entry was.  For HTTP entries, the URL. */
	char *location;
};

struct silo_silojson {
	char *path;		/* the SILO.json read, as a path usable from here */
	struct silo_silojson_entry *v;
	size_t n;
};

#define SILO_SILOJSON_INIT { NULL, NULL, 0 }

/*
 * Read the SILO.json at PATH.  Malformed files are SILO_EINVALID with a
 * message naming the file, the field and what was expected.  On success
 * *out owns its strings and entries: silo_silojson_release().
 */
SILO_EXTERN int silo_silojson_load(struct silo_silojson *out, const char *path);

/*
 * Parse the LEN bytes of TEXT as the SILO.json at PATH, as
 * silo_silojson_load() does once it has read the file: PATH names it in
 * messages, and relative entries start from its directory.
 */
SILO_EXTERN int silo_silojson_parse(struct silo_silojson *out, const char *text, size_t len,
			const char *path);

/*
 * Find and read the SILO.json that applies to START (a treeptr file or a
 * directory): the nearest one in START's directory (or START itself when
 * a directory) or above.  None is SILO_ENOTFOUND.
 */
SILO_EXTERN int silo_silojson_for(struct silo_silojson *out, const char *start);

/*
 * The entry a command-line --silo=SPEC names, resolved against the current
 * directory, as a one-entry list.
 */
SILO_EXTERN int silo_silojson_from_option(struct silo_silojson *out, const char *spec);

SILO_EXTERN void silo_silojson_release(struct silo_silojson *sj);

#endif
