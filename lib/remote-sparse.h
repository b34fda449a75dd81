/*
 * A sparse local copy of a remote pack (remote-sparse.c), from which
 * remote-pack.c reads objects and remote-section.c tree sections:
 *
 *	struct remote_sparse sp = REMOTE_SPARSE_INIT;
 *	remote_sparse_open(&sp, r, rp);
 *	remote_sparse_fetch(&sp, off, len);	the entries wanted, marked
 *	remote_sparse_write_frame(&sp, 1);
 *	remote_sparse_map(&sp, &p);		a pack pack-read.c reads
 *	remote_sparse_fetch_chain(&sp, &p, off);	the bases of a delta
 *	pack_close(p);
 *	remote_sparse_free(&sp);
 */
#ifndef SILO_REMOTE_SPARSE_H
#define SILO_REMOTE_SPARSE_H

#include "remote-internal.h"
#include "pack.h"

/* The work area: WORK/pack/<name>.idx and a sparse WORK/pack/<name>.pack. */
struct remote_sparse {
	const struct remote_pack *rp;
	int format;
	size_t rawsz;
	char *url;		/* the pack on the server */
	char *work;
	char *pack_path;
	int fd;
	uint64_t size;		/* the pack's size; 0 while unknown */
	int size_kept;		/* SIZE is the one kept in the cache, unconfirmed */
	int contradicted;	/* an answer gave another size than the kept one */
	uint64_t *have;		/* entry offsets fetched */
	size_t n_have, alloc_have;
};

#define REMOTE_SPARSE_INIT { .fd = -1 }

/* Make the work area of SP for the pack RP of R, beside the cache: a new
 * WORK directory holding pack/NAME.idx (RP's index, durable) and an
 * empty pack/NAME.pack. */
int remote_sparse_open(struct remote_sparse *sp, silo_remote *r, const struct remote_pack *rp);
/* Remove the work area and release SP. */
void remote_sparse_free(struct remote_sparse *sp);

/* Write bytes OFF to OFF + LEN of the pack at their place in SP: one
 * range request.  The first answer gives SP the pack's size; one that
 * contradicts the size kept in the cache sets SP->contradicted. */
int remote_sparse_fetch(struct remote_sparse *sp, uint64_t off, uint64_t len);
/* Record that SP holds (or is being given) the entry at OFF. */
int remote_sparse_mark(struct remote_sparse *sp, uint64_t off);
/* Fetch the header and the trailer of the pack into SP, which
 * pack_open() checks: for a read of its last entry while its size is
 * not known. */
int remote_sparse_fetch_frame(struct remote_sparse *sp);
/* Write what the pack reader needs besides the entries, none of which
 * is asked of the server: the pack's size, its trailer (its name) and,
 * with HEADER, its header (the object count is its index's). */
int remote_sparse_write_frame(struct remote_sparse *sp, int header);
/* Map SP's pack as *P (closing the mapping *P was, if any), to see what
 * was fetched since. */
int remote_sparse_map(struct remote_sparse *sp, struct pack **p);
/* Walk the delta chain of the entry at TARGET, fetching each entry SP
 * lacks; *P, SP's pack mapped, is mapped again after each. */
int remote_sparse_fetch_chain(struct remote_sparse *sp, struct pack **p, uint64_t target);

#endif
