/*
 * Git's delta format applied as a stream (see delta.h for the format):
 * the result comes out in pieces, and the base is read through a
 * callback at the offsets its copy instructions name, so neither the base
 * nor the result need be in memory.  For huge objects stored as deltas;
 * delta_apply() stays the fast way for small ones.
 *
 * Life cycle: delta_stream_init(), delta_stream_read() until it gives 0
 * bytes; nothing to free.  DELTA must stay valid meanwhile.
 */
#ifndef SILO_DELTA_STREAM_H
#define SILO_DELTA_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* Read exactly LEN bytes of the base at OFF into BUF; 0 or a negative
 * error (message set). */
typedef int (*delta_base_fn)(void *payload, void *buf, size_t len, uint64_t off);

struct delta_stream {
	const unsigned char *p, *end;	/* the instructions left */
	uint64_t base_size, size, done;	/* size: of the result */
	delta_base_fn read_base;
	void *payload;
	/* the instruction under way */
	uint64_t copy_off, copy_left;
	const unsigned char *insert;
	size_t insert_left;
};

/* Start applying DELTA (LEN bytes) to a base of BASE_SIZE bytes; the
 * result's size in ds->size.  SILO_ECORRUPT if the header is malformed
 * or names another base size. */
int delta_stream_init(struct delta_stream *ds, const unsigned char *delta, size_t len,
		      uint64_t base_size, delta_base_fn read_base, void *payload);

/* Write the next up to LEN bytes of the result into BUF; *GOT is 0 at the
 * end.  Every instruction is bounds-checked (SILO_ECORRUPT). */
int delta_stream_read(struct delta_stream *ds, unsigned char *buf, size_t len,
		      size_t *got);

#endif
