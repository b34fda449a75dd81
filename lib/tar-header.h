/*
 * Reading tar headers byte for byte (tar-header.c): the members of a tar
 * held in memory, with where each one's headers, content and padding lie,
 * so that every byte that is not file content can be recorded and the
 * archive written again exactly (image records, medo-image.c).
 *
 *	struct tar_reader r;
 *	struct tar_member m = TAR_MEMBER_INIT;
 *	tar_reader_init(&r, data, len, "layer.tar");
 *	while ((ret = tar_reader_next(&r, &m)) > 0)
 *		... m.start, m.data, m.size, m.end, m.path ...
 *	tar_member_release(&m);
 *	ret == 0: r.at is where the end blocks start
 *
 * Strict: every header's checksum, a ustar or GNU magic, numeric fields
 * in octal (NUL or space ended) or base-256, sizes within the data, pax
 * extended headers ('x', 'g') and GNU long names ('L', 'K') well formed
 * and at most TAR_EXT_MAX bytes; entries that carry no content (links,
 * directories, devices, fifos) declaring a size are refused.  Errors are
 * SILO_EINVALID naming the archive and the offset.
 */
#ifndef TAR_HEADER_H
#define TAR_HEADER_H

#include <stdint.h>

#define TAR_BLOCK 512
/* Longest pax extended header or GNU long name accepted. */
#define TAR_EXT_MAX (1024 * 1024)

struct tar_member {
	uint64_t start;		/* offset of its first header (extensions included) */
	uint64_t header;	/* offset of its own ustar header */
	uint64_t data;		/* offset of its content */
	uint64_t size;		/* bytes of content */
	uint64_t end;		/* offset after the content's padding */
	char type;		/* its typeflag ('0' for a NUL typeflag) */
	unsigned mode;		/* permission bits of the mode field */
	char *path;		/* owned: pax path, GNU long name, or prefix/name */
	char *link;		/* owned: the link target, or NULL */
};

#define TAR_MEMBER_INIT { 0, 0, 0, 0, 0, 0, 0, NULL, NULL }

struct tar_reader {
	const unsigned char *buf;
	uint64_t len;
	uint64_t at;		/* the next header; at the end, the end blocks */
	const char *name;	/* for messages */
};

void tar_reader_init(struct tar_reader *r, const void *buf, uint64_t len, const char *name);

/* The next member into M (its old strings freed): 1; at the first zero
 * block 0 (R->at is its offset); negative on an error. */
int tar_reader_next(struct tar_reader *r, struct tar_member *m);

void tar_member_release(struct tar_member *m);

/* The checksum of the 512-byte header BLOCK, its checksum field read as
 * spaces (unsigned bytes, as POSIX says). */
unsigned tar_header_sum(const unsigned char *block);

/* 1 if BLOCK (512 bytes) is a ustar or GNU header whose checksum field
 * matches; 0 otherwise. */
int tar_header_valid(const unsigned char *block);

#endif
