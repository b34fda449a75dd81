/*
 * Streams: what silo_stream_open() hands out, whatever kind of object is
 * behind it (loose objects in loose-read.c, packed ones in pack-read.c,
 * each implementing struct silo_stream_ops, store-internal.h).
 */
#include "store-internal.h"

int silo_stream_type(const silo_stream *st)
{
	return st->type;
}

uint64_t silo_stream_size(const silo_stream *st)
{
	return st->size;
}

int silo_stream_read(silo_stream *st, const void **data, size_t *len)
{
	return st->ops->read(st, data, len);
}

void silo_stream_free(silo_stream *st)
{
	if (st)
		st->ops->free(st);
}
