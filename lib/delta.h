/*
 * Git's delta format: a header of two sizes (source, result; 7 bits a
 * byte, little-endian, high bit "more"), then instructions.  A byte with
 * the high bit set copies from the source: its low 4 bits say which
 * offset bytes follow, the next 3 which size bytes (size 0 means 0x10000).
 * A byte 1..127 inserts that many literal bytes that follow it.
 *
 * The encoder indexes the source in blocks (one sampled 16-byte window
 * per stride, the stride growing with the source so the index stays
 * bounded), then walks the target with a rolling hash, extending every
 * hit forward and backward.
 */
#ifndef SILO_DELTA_H
#define SILO_DELTA_H

#include <stddef.h>
#include <stdint.h>

/* Read the two sizes of a delta's header; SILO_ECORRUPT if malformed. */
int delta_sizes(const unsigned char *delta, size_t len, uint64_t *src_size,
		uint64_t *dst_size, size_t *header_len);

/*
 * Apply DELTA to BASE.  On success *out (malloc'd, owned by the caller)
 * holds *out_size bytes.  Every instruction is bounds-checked; a
 * malformed delta is SILO_ECORRUPT with a message saying what is wrong.
 */
int delta_apply(const unsigned char *base, size_t base_size,
		const unsigned char *delta, size_t delta_size,
		unsigned char **out, size_t *out_size);

/* Decode the offset and size of the copy instruction C whose operand
 * bytes start at *P (advanced past them); -1 if they run past END. */
int delta_decode_copy(unsigned char c, const unsigned char **p,
		      const unsigned char *end, uint64_t *off, uint64_t *size);

struct delta_index;

/* Ask delta_index_new and delta_create to give back pages of file-backed
 * sources and targets to the system as they go, so that huge objects do
 * not pile up in memory. */
#define DELTA_DROP_PAGES 1

/*
 * Index SRC (which must stay valid and unchanged while the index lives).
 * MAX_ENTRIES bounds the index's memory at about 6 bytes an entry.
 */
int delta_index_new(struct delta_index **out, const unsigned char *src,
		    size_t size, size_t max_entries, unsigned flags);
void delta_index_free(struct delta_index *idx);	/* NULL is allowed */

/* The memory the index takes, in bytes. */
size_t delta_index_memory(const struct delta_index *idx);

/*
 * Encode TRG against the indexed source, on up to THREADS threads for a
 * large target.  Returns 1 with *out (malloc'd) and *out_size set, 0 when
 * the delta would exceed MAX_SIZE bytes (then nothing is allocated),
 * negative on error.
 */
int delta_create(const struct delta_index *idx, const unsigned char *trg,
		 size_t trg_size, size_t max_size, unsigned flags, int threads,
		 unsigned char **out, size_t *out_size);

#endif
