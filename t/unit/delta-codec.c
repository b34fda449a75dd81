/* Unit tests of the delta encoder and decoder, printing TAP. */
#include "delta.h"
#include "delta-stream.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count, failed, threads = 1;

static void ok(int cond, const char *what)
{
	count++;
	if (!cond)
		failed++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", count, what);
}

static uint64_t seed = 88172645463325252ull;

static unsigned rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)seed;
}

static void fill(unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)rnd();
}

struct mem_base {
	const unsigned char *p;
	size_t n;
};

static int read_mem(void *payload, void *buf, size_t len, uint64_t off)
{
	struct mem_base *b = payload;

	if (off > b->n || len > b->n - off)
		return -1;
	memcpy(buf, b->p + off, len);
	return 0;
}

/* Apply DELTA to BASE as a stream, CHUNK bytes a read, into *OUT (malloc'd). */
static int stream_apply(const unsigned char *base, size_t bn, const unsigned char *delta,
			size_t dn, size_t chunk, unsigned char **out, size_t *on)
{
	struct mem_base mb = { base, bn };
	struct delta_stream ds;
	size_t got;
	int ret;

	*out = NULL;
	*on = 0;
	if ((ret = delta_stream_init(&ds, delta, dn, bn, read_mem, &mb)) < 0)
		return ret;
	if (!(*out = malloc(ds.size + chunk)))
		return -1;
	do {
		if ((ret = delta_stream_read(&ds, *out + *on, chunk, &got)) < 0) {
			free(*out);
			*out = NULL;
			return ret;
		}
		*on += got;
	} while (got && *on <= ds.size);
	return 0;
}

/* Encode TRG against SRC, decode (whole and as a stream), compare; the
 * delta size in *dsize. */
static int round_trip(const unsigned char *src, size_t ss, const unsigned char *trg,
		      size_t ts, size_t max, size_t *dsize)
{
	struct delta_index *idx;
	unsigned char *delta, *out;
	size_t dn, on;
	int ret, same;

	if (delta_index_new(&idx, src, ss, 1u << 20, 0) < 0)
		return -1;
	ret = delta_create(idx, trg, ts, max, 0, threads, &delta, &dn);
	delta_index_free(idx);
	if (ret <= 0)
		return ret;
	*dsize = dn;
	if (delta_apply(src, ss, delta, dn, &out, &on) < 0) {
		free(delta);
		return -1;
	}
	same = on == ts && !memcmp(out, trg, ts);
	free(out);
	{
		static const size_t chunks[] = { 1, 7, 4096, 1u << 20 };
		for (size_t k = 0; k < 4 && same; k++) {
			if (ts > 200000 && chunks[k] < 4096)
				continue;
			if (stream_apply(src, ss, delta, dn, chunks[k], &out, &on) < 0)
				same = 0;
			else
				same = on == ts && !memcmp(out, trg, ts);
			free(out);
		}
	}
	free(delta);
	return same ? 1 : -1;
}

int main(void)
{
	size_t n = 200000, d, i;
	unsigned char *a = malloc(n), *b = malloc(n + 1000), *out;
	size_t on;

	fill(a, n);
	/* b: a with edits, an insertion and a deletion. */
	memcpy(b, a, n);
	for (i = 0; i < 50; i++)
		b[rnd() % n] ^= 0x55;
	memmove(b + 5000 + 100, b + 5000, n - 5000);
	fill(b + 5000, 100);
	ok(round_trip(a, n, b, n + 100, n, &d) == 1, "edited copy round-trips");
	ok(d < 5000, "and its delta is small");

	ok(round_trip(a, n, a, n, n, &d) == 1 && d < 100, "identical content: a few copies");
	ok(round_trip(a, 0, b, 1000, 2000, &d) == 1, "empty source: all literals");
	ok(round_trip(a, n, b, 0, 100, &d) == 1, "empty target");
	ok(round_trip(a, n, b, 1000, 3, &d) == 0, "a maximum smaller than the header");
	ok(round_trip(a, 10, b, 10, 100, &d) == 1, "objects smaller than a window");
	fill(b, n);
	ok(round_trip(a, n, b, n, n / 2, &d) == 0, "unrelated content exceeds max_size");
	memset(a, 0, n);
	memset(b, 0, n);
	b[n / 2] = 1;
	ok(round_trip(a, n, b, n, n, &d) == 1 && d < 200, "runs of zeros");

	{
		/* A target large enough to be encoded in parts on threads. */
		size_t big = 3u << 20;
		unsigned char *x = malloc(big), *y = malloc(big + 10);
		fill(x, big);
		memcpy(y, x, big);
		for (i = 0; i < 200; i++)
			y[rnd() % big] ^= 1;
		memcpy(y + big, "0123456789", 10);
		threads = 4;
		ok(round_trip(x, big, y, big + 10, big, &d) == 1 && d < 20000,
		   "a large target encoded in parts round-trips");
		ok(round_trip(x, big, y, big + 10, 1000, &d) == 0,
		   "parts together respect max_size");
		threads = 1;
		free(x);
		free(y);
	}
	{
		/* sizes 3 / 2, then copy 1 byte from offset 5: outside */
		unsigned char bad[] = { 3, 2, 0x80 | 0x01 | 0x10, 5, 1 };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0 &&
		   strstr(silo_error_message(), "delta copies bytes") != NULL,
		   "copy outside the base is refused");
	}
	{
		unsigned char bad[] = { 3, 5, 2, 'x', 'y' };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0 &&
		   strstr(silo_error_message(), "its header says") != NULL,
		   "short result is refused");
	}
	{
		unsigned char bad[] = { 3, 1, 2, 'x', 'y' };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0,
		   "result longer than its header is refused");
	}
	{
		unsigned char bad[] = { 3, 1, 5, 'x' };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0,
		   "truncated literal is refused");
	}
	{
		unsigned char bad[] = { 4, 1, 1, 'x' };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0,
		   "wrong base size is refused");
	}
	{
		unsigned char bad[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0, "overlong size varint is refused");
	}
	{
		unsigned char bad[] = { 3, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x80 | 0x10, 1 };
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0 &&
		   strstr(silo_error_message(), "claims a result") != NULL,
		   "a huge claimed result is refused before allocating");
	}
	{
		/* An empty base and 463 bytes of delta claiming 6 GB: no
		 * instruction can copy from an empty base, so the result is
		 * at most one byte per byte of delta. */
		unsigned char bad[463];
		uint64_t v = 6000000000ull;
		size_t k = 1;
		memset(bad, 'x', sizeof(bad));
		bad[0] = 0;
		while (v >= 0x80) {
			bad[k++] = (unsigned char)(v | 0x80);
			v >>= 7;
		}
		bad[k++] = (unsigned char)v;
		bad[k] = 127;
		ok(delta_apply(a, 0, bad, sizeof(bad), &out, &on) < 0 &&
		   strstr(silo_error_message(), "claims a result") != NULL,
		   "a result larger than an empty base allows is refused before allocating");
		/* A 3-byte base: each instruction byte yields at most 3 bytes. */
		bad[0] = 3;
		ok(delta_apply(a, 3, bad, sizeof(bad), &out, &on) < 0 &&
		   strstr(silo_error_message(), "claims a result") != NULL,
		   "a result larger than a small base allows is refused before allocating");
	}
	{
		unsigned char bad[] = { 3, 2, 0x80 | 0x01 | 0x10, 5, 1 };
		ok(stream_apply(a, 3, bad, sizeof(bad), 16, &out, &on) < 0 &&
		   strstr(silo_error_message(), "delta copies bytes") != NULL,
		   "streamed: copy outside the base is refused");
	}
	{
		unsigned char bad[] = { 3, 5, 2, 'x', 'y' };
		ok(stream_apply(a, 3, bad, sizeof(bad), 16, &out, &on) < 0 &&
		   strstr(silo_error_message(), "its header says") != NULL,
		   "streamed: short result is refused");
	}
	{
		unsigned char bad[] = { 3, 1, 2, 'x', 'y' };
		ok(stream_apply(a, 3, bad, sizeof(bad), 16, &out, &on) < 0,
		   "streamed: result longer than its header is refused");
	}
	{
		unsigned char bad[] = { 3, 1, 5, 'x' };
		ok(stream_apply(a, 3, bad, sizeof(bad), 16, &out, &on) < 0,
		   "streamed: truncated literal is refused");
	}
	{
		unsigned char bad[] = { 4, 1, 1, 'x' };
		ok(stream_apply(a, 3, bad, sizeof(bad), 16, &out, &on) < 0,
		   "streamed: wrong base size is refused");
	}
	{
		unsigned char bad[] = { 3, 1, 0 };
		ok(stream_apply(a, 3, bad, sizeof(bad), 16, &out, &on) < 0,
		   "streamed: the reserved instruction 0 is refused");
	}
	free(a);
	free(b);
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
