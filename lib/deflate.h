/*
 * Whole-buffer compression with libdeflate: gzip members (with our size
 * field) for loose objects and zlib streams for pack entries.  The output
 * is plain gzip or zlib, read by zcat, git and zlib alike; libdeflate only
 * does it in a third of zlib's time at the same size.  Streams of unknown
 * length stay with zlib.
 *
 * Life cycle: silo__deflater_new(), any number of calls on one thread,
 * silo__deflater_free().  A deflater is not shared between threads.
 */
#ifndef SILO_DEFLATE_H
#define SILO_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

struct silo_deflater;

/* A compressor for LEVEL (1 to 12, as libdeflate counts; 5 is about
 * gzip -6's size).  Returns 0 or SILO_ENOMEM (message set). */
int silo__deflater_new(struct silo_deflater **out, int level);
void silo__deflater_free(struct silo_deflater *d);

/* Room that silo__deflate_gzip() or silo__deflate_zlib() may need for LEN
 * bytes, with an extra field of EXTRA_LEN bytes. */
size_t silo__deflate_bound(struct silo_deflater *d, size_t len, size_t extra_len);

/*
 * One gzip member of IN[0..LEN) into OUT (CAP bytes): mtime 0, OS Unix,
 * and, when EXTRA_LEN is not 0, EXTRA as its extra field.  Returns the
 * bytes written, 0 if CAP is too small.
 */
size_t silo__deflate_gzip(struct silo_deflater *d, const void *in, size_t len,
			  const unsigned char *extra, size_t extra_len,
			  void *out, size_t cap);

/* One zlib stream of IN[0..LEN) into OUT; as silo__deflate_gzip(). */
size_t silo__deflate_zlib(struct silo_deflater *d, const void *in, size_t len,
			  void *out, size_t cap);

/*
 * Inflate the zlib stream IN[0..IN_LEN) into exactly OUT_LEN bytes of
 * OUT; *USED is set to the compressed bytes it took.  Returns 0, or 1 if
 * the data is corrupt or does not inflate to exactly OUT_LEN bytes.
 */
int silo__inflate_zlib(const void *in, size_t in_len, void *out, size_t out_len,
		       size_t *used);

/*
 * A reusable decompressor for whole gzip members, on one thread at a
 * time.  silo__inflater_new() returns 0 or SILO_ENOMEM (message set).
 */
struct silo_inflater;
int silo__inflater_new(struct silo_inflater **out);
void silo__inflater_free(struct silo_inflater *inf);

/*
 * Inflate the gzip member at the start of IN[0..IN_LEN) into OUT (CAP
 * bytes), checking its CRC and length; *USED is set to the compressed
 * bytes it took and *GOT to the bytes it produced.  Returns 0, or 1 if
 * the member is corrupt, not whole in IN, or larger than CAP: the caller
 * then reads it with zlib, which says which.
 */
int silo__inflate_gzip(struct silo_inflater *inf, const void *in, size_t in_len,
		       void *out, size_t cap, size_t *used, size_t *got);

#endif
