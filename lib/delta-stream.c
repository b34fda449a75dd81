/* Git's delta format, applied as a stream (see delta-stream.h). */
#include "delta-stream.h"
#include "delta.h"
#include "error-internal.h"

#include <string.h>

int delta_stream_init(struct delta_stream *ds, const unsigned char *delta, size_t len,
		      uint64_t base_size, delta_base_fn read_base, void *payload)
{
	uint64_t src_size;
	size_t hlen;
	int ret;

	memset(ds, 0, sizeof(*ds));
	if ((ret = delta_sizes(delta, len, &src_size, &ds->size, &hlen)) < 0)
		return ret;
	if (src_size != base_size)
		return silo__error_set(SILO_ECORRUPT,
			"delta expects a base of %llu bytes, not %llu",
			(unsigned long long)src_size, (unsigned long long)base_size);
	ds->p = delta + hlen;
	ds->end = delta + len;
	ds->base_size = base_size;
	ds->read_base = read_base;
	ds->payload = payload;
	return 0;
}

/* Decode the next instruction into DS. */
static int next_instruction(struct delta_stream *ds)
{
	const unsigned char *p = ds->p, *end = ds->end;
	unsigned char c = *p++;

	if (c & 0x80) {
		uint64_t off, size;
		if (delta_decode_copy(c, &p, end, &off, &size) < 0)
			goto truncated;
		if (off > ds->base_size || size > ds->base_size - off)
			return silo__error_set(SILO_ECORRUPT,
				"delta copies bytes %llu..%llu from a base of %llu bytes",
				(unsigned long long)off, (unsigned long long)(off + size),
				(unsigned long long)ds->base_size);
		ds->copy_off = off;
		ds->copy_left = size;
	} else if (c) {
		if (c > end - p)
			goto truncated;
		ds->insert = p;
		ds->insert_left = c;
		p += c;
	} else {
		return silo__error_set(SILO_ECORRUPT, "delta has the reserved instruction 0");
	}
	ds->p = p;
	return 0;
truncated:
	return silo__error_set(SILO_ECORRUPT, "delta instruction is truncated");
}

int delta_stream_read(struct delta_stream *ds, unsigned char *buf, size_t len,
		      size_t *got)
{
	size_t n = 0;
	int ret;

	while (n < len) {
		size_t k;

		if (!ds->copy_left && !ds->insert_left) {
			if (ds->p >= ds->end)
				break;
			if ((ret = next_instruction(ds)) < 0)
				return ret;
		}
		k = len - n;
		if (ds->copy_left) {
			if (k > ds->copy_left)
				k = (size_t)ds->copy_left;
		} else if (k > ds->insert_left) {
			k = ds->insert_left;
		}
		if (k > ds->size - ds->done)
			return silo__error_set(SILO_ECORRUPT,
				"delta makes more than the %llu bytes its header says",
				(unsigned long long)ds->size);
		if (ds->copy_left) {
			if ((ret = ds->read_base(ds->payload, buf + n, k, ds->copy_off)) < 0)
				return ret;
			ds->copy_off += k;
			ds->copy_left -= k;
		} else {
			memcpy(buf + n, ds->insert, k);
			ds->insert += k;
			ds->insert_left -= k;
		}
		n += k;
		ds->done += k;
	}
	if (!n && ds->done != ds->size)
		return silo__error_set(SILO_ECORRUPT,
			"delta makes %llu bytes, not the %llu its header says",
			(unsigned long long)ds->done, (unsigned long long)ds->size);
	*got = n;
	return 0;
}
