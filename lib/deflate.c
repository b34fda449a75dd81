/*
 * libdeflate behind the few calls the store needs (see deflate.h).
 */
#include "deflate.h"
#include "error-internal.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

struct silo_deflater {
	struct libdeflate_compressor *c;
};

int silo__deflater_new(struct silo_deflater **out, int level)
{
	struct silo_deflater *d;

	*out = NULL;
	if (level < 1)
		level = 1;
	if (level > 12)
		level = 12;
	if (!(d = malloc(sizeof(*d))))
		return silo__error_oom();
	if (!(d->c = libdeflate_alloc_compressor(level))) {
		free(d);
		return silo__error_oom();
	}
	*out = d;
	return 0;
}

void silo__deflater_free(struct silo_deflater *d)
{
	if (!d)
		return;
	libdeflate_free_compressor(d->c);
	free(d);
}

static void le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

#define GZ_HEAD 10
#define GZ_TAIL 8

size_t silo__deflate_bound(struct silo_deflater *d, size_t len, size_t extra_len)
{
	return libdeflate_deflate_compress_bound(d->c, len) + GZ_HEAD + 2 +
		extra_len + GZ_TAIL;
}

size_t silo__deflate_gzip(struct silo_deflater *d, const void *in, size_t len,
			  const unsigned char *extra, size_t extra_len,
			  void *out, size_t cap)
{
	unsigned char *o = out;
	size_t head = GZ_HEAD + (extra_len ? 2 + extra_len : 0), n;

	if (cap < head + GZ_TAIL || extra_len > 0xffff)
		return 0;
	memset(o, 0, GZ_HEAD);
	o[0] = 0x1f;
	o[1] = 0x8b;
	o[2] = 8;			/* deflate */
	o[3] = extra_len ? 4 : 0;	/* FEXTRA */
	o[9] = 3;			/* Unix */
	if (extra_len) {
		o[10] = (unsigned char)(extra_len & 0xff);
		o[11] = (unsigned char)(extra_len >> 8);
		memcpy(o + 12, extra, extra_len);
	}
	n = libdeflate_deflate_compress(d->c, in, len, o + head, cap - head - GZ_TAIL);
	if (!n)
		return 0;
	le32(o + head + n, libdeflate_crc32(0, in, len));
	le32(o + head + n + 4, (uint32_t)len);
	return head + n + GZ_TAIL;
}

size_t silo__deflate_zlib(struct silo_deflater *d, const void *in, size_t len,
			  void *out, size_t cap)
{
	return libdeflate_zlib_compress(d->c, in, len, out, cap);
}

int silo__inflate_zlib(const void *in, size_t in_len, void *out, size_t out_len,
		       size_t *used)
{
	struct libdeflate_decompressor *dd = libdeflate_alloc_decompressor();
	size_t got = 0;
	enum libdeflate_result r;

	*used = 0;
	if (!dd)
		return 1;
	r = libdeflate_zlib_decompress_ex(dd, in, in_len, out, out_len, used, &got);
	libdeflate_free_decompressor(dd);
	return r != LIBDEFLATE_SUCCESS || got != out_len;
}

struct silo_inflater {
	struct libdeflate_decompressor *dd;
};

int silo__inflater_new(struct silo_inflater **out)
{
	struct silo_inflater *inf = calloc(1, sizeof(*inf));

	*out = NULL;
	if (!inf || !(inf->dd = libdeflate_alloc_decompressor())) {
		free(inf);
		return silo__error_oom();
	}
	*out = inf;
	return 0;
}

void silo__inflater_free(struct silo_inflater *inf)
{
	if (!inf)
		return;
	libdeflate_free_decompressor(inf->dd);
	free(inf);
}

int silo__inflate_gzip(struct silo_inflater *inf, const void *in, size_t in_len,
		       void *out, size_t cap, size_t *used, size_t *got)
{
	*used = *got = 0;
	return libdeflate_gzip_decompress_ex(inf->dd, in, in_len, out, cap, used, got) !=
	       LIBDEFLATE_SUCCESS;
}
