/*
 * A growable NUL-terminated byte buffer.  An initialised buffer owns its
 * memory; strbuf_release() frees it and leaves an empty buffer behind.
 */
#ifndef SILO_STRBUF_H
#define SILO_STRBUF_H

#include <stddef.h>
#include "error-internal.h"

struct strbuf {
	char *buf;	/* always NUL-terminated once anything was added */
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

/* Make room for EXTRA more bytes and a NUL; returns 0 or SILO_ENOMEM. */
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_adds(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...) SILO_PRINTF(2, 3);
void strbuf_reset(struct strbuf *sb);
/* Shorten to LEN bytes (LEN <= sb->len). */
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_release(struct strbuf *sb);
/* Hand the buffer to the caller (never NULL on success) and reset SB. */
char *strbuf_detach(struct strbuf *sb);

#endif
