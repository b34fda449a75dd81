#include "strbuf.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strbuf_grow(struct strbuf *sb, size_t extra)
{
	int was_empty = !sb->buf;

	if (extra > (size_t)-1 / 2 - sb->len)
		return silo__error_oom();
	if (ALLOC_GROW(sb->buf, sb->len + extra + 1, sb->alloc) < 0)
		return silo__error_oom();
	if (was_empty)
		sb->buf[0] = '\0';
	return 0;
}

int strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (strbuf_grow(sb, len) < 0)
		return SILO_ENOMEM;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_adds(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, char c)
{
	return strbuf_add(sb, &c, 1);
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return silo__error_set(SILO_ERROR, "cannot format '%s'", fmt);
	if (strbuf_grow(sb, (size_t)n) < 0)
		return SILO_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (!sb->buf)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p = sb->buf;

	if (!p)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return p;
}
