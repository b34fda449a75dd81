/*
 * The remote source: a silo served over HTTP(S) as one object source
 * (source.h), read through a local cache silo.  A lookup asks the server
 * without transferring the object; open and the explicit fetch download
 * it into the cache, check it and read it from there (remote.c,
 * remote-pack.c); prefetch does the same for many objects, with what
 * the reader knows of where they are.  This file is also the one way
 * into the cache that silos over HTTP share: silo_open_location() and
 * silo_open_if_cached() open it, and only a remote source reads from
 * the server into it.
 */
#include "source.h"
#include "remote-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "http.h"

#include <stdlib.h>
#include <string.h>

struct remote_source {
	struct silo_source base;
	silo_remote *r;
	silo *cache;	/* a handle of its own on the cache: local sources only */
	/* R's server was asked for its config.json (at once, or on the
	 * first need of a handle that silo_open_if_cached() opened). */
	int ready;
	/* Something was brought into the cache: when the handle is freed,
	 * the cache is trimmed to SILO_CACHE_MAX_SIZE, if set. */
	int fetched;
};

/* SRC, checked to be a remote source (source.h). */
static int as_remote(struct remote_source **out, struct silo_source *src)
{
	int ret = silo__source_check(src, SILO_SOURCE_REMOTE);

	*out = ret < 0 ? NULL : (struct remote_source *)src;
	return ret;
}

/*
 * The server of RS, for a transfer of ID (NULL: of anything): 1 when it
 * may be asked now, its config.json read and its format the cache's;
 * 0 when it need not be, the cache holding ID already; negative on
 * error.  Only a handle silo_open_if_cached() opened has not read it
 * yet.
 */
static int server_for(struct remote_source *rs, const silo_oid *id)
{
	int format, ret;

	if (rs->ready)
		return 1;
	if (id && (ret = silo__has_object_local(rs->cache, id)) != 0)
		return ret < 0 ? ret : 0;
	if ((ret = remote_read_config(rs->r, &format, silo_remote_url(rs->r))) < 0)
		return ret;
	if (format != silo_remote_format(rs->r))
		return silo__error_set(SILO_EINVALID, "'%s' holds %s ids, the cache %s",
				      silo_remote_url(rs->r), silo_oid_format_name(format),
				      silo_oid_format_name(silo_remote_format(rs->r)));
	rs->ready = 1;
	return 1;
}

static int remote_source_lookup(struct silo_source *src, const silo_oid *id)
{
	struct remote_source *rs;
	enum http_result result;
	char error[512], *url;
	int ret;

	if ((ret = as_remote(&rs, src)) < 0 ||
	    (ret = silo__has_object_local(rs->cache, id)) != 0 ||
	    (ret = server_for(rs, NULL)) < 0)
		return ret;
	if (remote_pack_known(rs->r, id) > 0)
		return 1;
	if (!(url = silo_remote_object_url(rs->r, id)))
		return silo__error_oom();
	ret = http_head(url, &result, error, sizeof(error));
	if (ret == 0 && result == HTTP_OK)
		ret = 1;
	else if (ret == 0 && result == HTTP_NOT_FOUND)
		ret = remote_pack_has(rs->r, id);	/* perhaps packed */
	else if (ret == 0)
		ret = silo__error_set(SILO_ENET, "cannot fetch '%s': %s", url, error);
	free(url);
	return ret;
}

/* Bring ID into the cache; *OUT (OUT may be NULL) gets the fetch item,
 * which says whether this call downloaded and checked it. */
static int fetch_one(struct remote_source *rs, const silo_oid *id, uint64_t size,
		     struct silo_fetch_item *out)
{
	struct silo_fetch_item item;
	int ret;

	memset(&item, 0, sizeof(item));
	item.id = *id;
	item.size_plus_one = size == UINT64_MAX ? 0 : size + 1;
	if ((ret = silo_remote_fetch(rs->r, rs->cache, &item, 1, 1, NULL, NULL)) < 0)
		return ret;
	if (item.status < 0)
		return silo__error_set(item.status, "%s", item.message);
	rs->fetched = 1;
	if (out)
		*out = item;
	return 0;
}

/* The objects of a pack from its start to the end of LAST, in one
 * request, unless FIRST is in the cache already. */
static int fetch_section(struct remote_source *rs, const silo_oid *first,
			 const silo_oid *last)
{
	int ret;

	if ((ret = silo__has_object_local(rs->cache, first)) != 0)
		return ret < 0 ? ret : 0;
	if ((ret = server_for(rs, NULL)) < 0)
		return ret;
	ret = remote_pack_fetch_section(rs->r, rs->cache, last);
	rs->fetched = 1;
	return ret < 0 ? ret : 0;
}

/* The N objects IDS the cache lacks, of SIZES (NULL: not known), in one
 * batch, reported to HINTS' progress.  What fails here is read again, and reported, one by one; but a
 * copy the server offered that is not the object (another size, a
 * damaged one) would be offered again, and read whole this time: that is
 * the answer. */
static int fetch_missing(struct remote_source *rs, const silo_oid *ids,
			 const uint64_t *sizes, size_t n, const struct silo_prefetch_hints *hints)
{
	struct silo_fetch_item *items;
	size_t i, k = 0;
	int ret = 0;

	if (!(items = calloc(n, sizeof(*items))))
		return silo__error_oom();
	for (i = 0; i < n; i++)
		if (silo__has_object_local(rs->cache, &ids[i]) == 0) {
			items[k].size_plus_one = sizes && sizes[i] != UINT64_MAX ? sizes[i] + 1 : 0;
			items[k++].id = ids[i];
		}
	if (k)
		rs->fetched = 1;
	if (k && (ret = server_for(rs, NULL)) > 0)
		ret = silo_remote_fetch(rs->r, rs->cache, items, k, 1, hints->progress,
					hints->progress_payload);
	for (i = 0; ret == 0 && i < k; i++)
		if (items[i].status == SILO_ECORRUPT)
			ret = silo__error_set(SILO_ECORRUPT, "%s", items[i].message);
	free(items);
	return ret;
}

static int remote_source_fetch(struct silo_source *src, const silo_oid *id, uint64_t size)
{
	struct remote_source *rs;
	int ret;

	if ((ret = as_remote(&rs, src)) < 0 || (ret = server_for(rs, id)) <= 0)
		return ret;
	return fetch_one(rs, id, size, NULL);
}

/* An object read whole from a remote pack that is not a blob (a tree
 * object of the tree kind): a cache silo keeps blobs loose, so it is
 * handed out from memory, already checked against its id. */
struct mem_stream {
	silo_stream base;
	unsigned char *data;
	int done;
};

static int mem_read(silo_stream *st, const void **data, size_t *len)
{
	struct mem_stream *ms = (struct mem_stream *)st;

	if (ms->done || !st->size)
		return 0;
	ms->done = 1;
	*data = ms->data;
	*len = (size_t)st->size;
	return 1;
}

static void mem_free(silo_stream *st)
{
	struct mem_stream *ms = (struct mem_stream *)st;

	free(ms->data);
	free(ms);
}

static const struct silo_stream_ops mem_ops = { mem_read, mem_free };

/* Returned by open_once() when the cache lost what was just brought
 * into it: a trim of another process took it before it was opened.
 * Not SILO_SOURCE_MISS, the other positive answer. */
#define CACHE_LOST (SILO_SOURCE_MISS + 1)

/* ID, just brought into the cache: CACHE_LOST when it is gone again. */
static int open_fetched(silo_stream **out, struct remote_source *rs, const silo_oid *id)
{
	int ret = silo_stream_open(out, rs->cache, id);

	return ret == SILO_ENOTFOUND ? CACHE_LOST : ret;
}

static int open_packed(silo_stream **out, struct remote_source *rs, const silo_oid *id,
		       uint64_t want)
{
	struct mem_stream *ms;
	unsigned char *data;
	size_t size;
	int type, ret;

	if ((ret = remote_pack_read(rs->r, rs->cache, id, want, NULL, &data, &size, &type)) < 0)
		return ret;
	rs->fetched = 1;
	if (type == SILO_OBJ_BLOB)
		return open_fetched(out, rs, id);
	if (!(ms = calloc(1, sizeof(*ms)))) {
		free(data);
		return silo__error_oom();
	}
	ms->base.ops = &mem_ops;
	ms->base.type = type;
	ms->base.size = size;
	ms->base.id = *id;
	ms->data = data;
	*out = &ms->base;
	return 0;
}

static int open_once(silo_stream **out, struct silo_source *src, const silo_oid *id,
		     uint64_t size)
{
	struct remote_source *rs;
	struct silo_fetch_item item;
	int ret;

	if ((ret = as_remote(&rs, src)) < 0 || (ret = server_for(rs, id)) < 0)
		return ret;
	if (ret == 0) {
		ret = silo_stream_open(out, rs->cache, id);
		/* Gone since it was looked up (a trim of the cache took
		 * it): fetched again, as if it had never been there. */
		if (ret != SILO_ENOTFOUND || (ret = server_for(rs, NULL)) < 0)
			return ret;
	}
	if (silo__has_object_local(rs->cache, id) == 0 && remote_pack_known(rs->r, id) > 0)
		return open_packed(out, rs, id, size);
	ret = fetch_one(rs, id, size, &item);
	/* Packed, and not a blob (a tree of an image, whose treeptr names
	 * no pack): the fetch, which keeps only blobs, has loaded the
	 * index that holds it; read it from the pack as above. */
	if (ret == SILO_EINVALID && remote_pack_known(rs->r, id) > 0) {
		silo_error_clear();
		return open_packed(out, rs, id, size);
	}
	if (ret == SILO_ENOTFOUND)
		return SILO_SOURCE_MISS;	/* the server said why */
	if (ret < 0)
		return ret;
	if (item.checked) {
		/* Hashed a moment ago, before it got its name: reading it
		 * for the caller need not hash every byte again. */
		char rel[SILO_LOOSE_PATH_MAX], *path = NULL;
		silo_loose_relpath(rel, id);
		if (!(path = fs_join(silo_root(rs->cache), rel)))
			return silo__error_oom();
		ret = silo__loose_stream_open_checked(out, path, path, id,
						      item.checked_dev, item.checked_ino);
		free(path);
		if (ret != SILO_ENOTFOUND)
			return ret;	/* else it went or was replaced: as below */
	}
	return open_fetched(out, rs, id);
}

/* How many times an object the cache lost between its download and its
 * opening is fetched again. */
#define REFETCH_TRIES 5

static int remote_source_open(silo_stream **out, struct silo_source *src,
			      const silo_oid *id, uint64_t size)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	int tries = 0, ret;

	while ((ret = open_once(out, src, id, size)) == CACHE_LOST && ++tries < REFETCH_TRIES)
		silo_error_clear();
	if (ret == CACHE_LOST)
		ret = silo__error_set(SILO_ENOTFOUND, "object %s was removed from the cache "
				      "each time it was fetched (%d times): is the cache "
				      "trimmed to nothing meanwhile?", silo_oid_to_hex(hex, id),
				      REFETCH_TRIES);
	return ret;
}

/* From the cache if it holds ID; else the server, asked without a
 * transfer, says only whether it has it. */
static int remote_source_info(struct silo_source *src, const silo_oid *id, int *type,
			      uint64_t *size)
{
	struct remote_source *rs;
	int ret;

	if ((ret = as_remote(&rs, src)) < 0 ||
	    (ret = silo_object_info(rs->cache, id, type, size)) != 0)
		return ret;
	return remote_source_lookup(src, id);
}

static void remote_source_free(struct silo_source *src)
{
	struct remote_source *rs = (struct remote_source *)src;

	/* After the downloads, before the handle goes: what this process
	 * read last is the youngest, and what others use now stays open. */
	if (rs->fetched)
		remote_cache_trim_auto();
	silo_remote_free(rs->r);
	silo_free(rs->cache);
	free(rs);
}

/* The packs HINTS names first; its section in one request; then the
 * objects the cache lacks, in one batch, each bounded by its size. */
static int remote_source_prefetch(struct silo_source *src, const silo_oid *ids,
				  const uint64_t *sizes, size_t n,
				  const struct silo_prefetch_hints *hints)
{
	struct remote_source *rs;
	int ret;

	if ((ret = as_remote(&rs, src)) < 0 ||
	    (ret = remote_pack_hint(rs->r, hints->packs, hints->n_packs)) < 0)
		return ret;
	if (hints->section_last && (ret = fetch_section(rs, hints->section_first,
							hints->section_last)) < 0)
		return ret;
	return n ? fetch_missing(rs, ids, sizes, n, hints) : 0;
}

static const struct silo_source_ops remote_source_ops = {
	.lookup = remote_source_lookup,
	.open = remote_source_open,
	/* no each: a static server cannot list its files */
	.fetch = remote_source_fetch,
	.info = remote_source_info,
	.prefetch = remote_source_prefetch,
	.free = remote_source_free,
};

/*
 * A silo handle reading the cache of R's format, and R's server through a
 * remote source with a handle of its own on the same cache: R is taken
 * over, also on failure.  READY says whether R's config.json was read;
 * if not, it is read on the first need of the server.
 */
static int open_through_cache(silo **out, silo_remote *r, int ready)
{
	struct remote_source *rs;
	silo *cache = NULL;
	uint64_t max;
	int ret;

	*out = NULL;
	/* A bound set wrong is said now, not ignored after the downloads. */
	if ((ret = silo_cache_max_size(&max)) < 0 ||
	    (ret = silo_cache_open(&cache, silo_remote_format(r))) < 0 ||
	    (ret = silo_open(out, silo_root(cache))) < 0) {
		silo_remote_free(r);
		silo_free(cache);
		return ret;
	}
	if (!(rs = calloc(1, sizeof(*rs)))) {
		silo_remote_free(r);
		silo_free(cache);
		silo_free(*out);
		*out = NULL;
		return silo__error_oom();
	}
	silo__mark_used_on_read(*out);
	silo__mark_used_on_read(cache);
	rs->base.ops = &remote_source_ops;
	rs->base.type = SILO_SOURCE_REMOTE;
	rs->base.name = silo_remote_url(r);
	rs->r = r;
	rs->cache = cache;
	rs->ready = ready;
	if ((ret = silo__add_source(*out, &rs->base)) < 0) {
		silo_free(*out);
		*out = NULL;
	}
	return ret;
}

int silo_remote_open_cached(silo **out, const char *url)
{
	silo_remote *r;
	int ret;

	*out = NULL;
	if ((ret = silo_remote_open(&r, url)) < 0)
		return ret;
	return open_through_cache(out, r, 1);
}

int silo_open_location(silo **out, const char *location)
{
	if (http_is_url(location))
		return silo_remote_open_cached(out, location);
	return silo_open(out, location);
}

int silo_open_if_cached(silo **out, const char *location, const silo_oid *want)
{
	silo_remote *r;
	silo *s;
	int ret;

	*out = NULL;
	if (!http_is_url(location))
		return 0;
	if ((ret = remote_new(&r, location, want->format)) < 0 ||
	    (ret = open_through_cache(&s, r, 0)) < 0)
		return ret;
	if ((ret = silo__has_object_local(s, want)) > 0) {
		*out = s;
		return 1;
	}
	silo_free(s);
	return ret;
}

int silo_open_default(silo **out, const char *explicit_path)
{
	const char *env = getenv(SILO_ENV_DIR);
	const char *spec = explicit_path ? explicit_path : env && *env ? env : NULL;

	return silo_open_location(out, spec ? spec : ".");
}
