/*
 * A scratch directory for C unit tests that write files:
 *
 *	scratch_init("tar");		makes /tmp/silo-unit-tar-XXXXXX
 *	fd = open(at("a/b"), ...);	paths inside it
 *	silo_tree_remove(base);		at the end
 */
#ifndef SCRATCH_H
#define SCRATCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char base[64];

/* Stop the whole test: the machine, not the code, failed. */
static inline void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline void scratch_init(const char *name)
{
	snprintf(base, sizeof(base), "/tmp/silo-unit-%s-XXXXXX", name);
	if (!mkdtemp(base))
		die("mkdtemp");
}

/* PATH below the scratch directory; the last four results stay valid. */
static inline char *at(const char *rel)
{
	static char bufs[4][4096];
	static int i;
	char *b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s/%s", base, rel);
	return b;
}

#endif
