/* The objstore of a silo in an S3 bucket (see objstore-s3.h). */
#include "objstore-s3.h"
#include "error-internal.h"
#include "fsutil.h"
#include "http.h"
#include "s3-auth.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The largest file get() reads whole, the largest page of a listing,
 * and the largest answer to a PUT or a DELETE (S3 sends none). */
#define S3_GET_MAX ((size_t)64 << 20)
#define S3_LIST_PAGE_MAX ((size_t)16 << 20)
#define S3_SMALL_ANSWER ((size_t)64 << 10)

struct objstore_s3 {
	struct objstore base;
	char *bucket_url;	/* "s3://BUCKET/" */
	char *key_prefix;	/* the keys' common start: "PREFIX/", or "" */
	unsigned page_size;
};

static struct objstore_s3 *s3_of(struct objstore *st)
{
	return (struct objstore_s3 *)st;
}

/* The URL of REL, owned by the caller. */
static char *rel_url(struct objstore *st, const char *rel)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_adds(&sb, st->base_url) < 0 || strbuf_adds(&sb, rel) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

/* REQ's answer was no success: the error, naming what was done to URL. */
static int answer_error(const struct http_request *req, const char *what, const char *url)
{
	return silo__error_set(req->status == 404 ? SILO_ENOTFOUND : SILO_ENET,
			       "cannot %s '%s': %s", what, url, req->error);
}

static int ok_status(long status)
{
	return status >= 200 && status < 300;
}

/*
 * A PUT of URL with the condition COND and the body of REQ; *done is 1
 * when stored, 0 when the condition failed.  A 500 never means "the
 * condition failed": it is retried as any server error (radosgw answers
 * so to a loser of a race on If-Match, having written nothing, and the
 * retry meets the new tag: a 412), and a put_new never takes it for
 * "already there", since a name reported there that is not would lose
 * an object.  With REPLACING, AWS's 409 ("a conditional write in
 * progress") is the condition failing: the caller reads again.
 */
static int put_conditional(struct http_request *req, const char *url, const char *cond,
			   int replacing, int *done)
{
	const char *headers[2] = { cond, NULL };
	int ret;

	*done = 0;
	req->method = "PUT";
	req->url = url;
	req->headers = headers;
	req->max_response = S3_SMALL_ANSWER;
	if ((ret = http_request_run(req)) < 0)
		return ret;
	free(req->response);
	req->response = NULL;
	if (ok_status(req->status))
		*done = 1;
	else if (req->status == 412 || (replacing && req->status == 409))
		*done = 0;
	else
		return answer_error(req, "store", url);
	return 0;
}

static int s3_put_new(struct objstore *st, const char *rel, int fd, uint64_t len, int *stored)
{
	struct http_request req = { 0 };
	char *url = rel_url(st, rel);
	int ret;

	*stored = 0;
	if (!url)
		return silo__error_oom();
	req.body_fd = fd;
	req.body_len = len;
	ret = put_conditional(&req, url, "If-None-Match: *", 0, stored);
	free(url);
	return ret;
}

static int s3_put_if(struct objstore *st, const char *rel, const void *data, size_t len,
		     const char *etag, int *done)
{
	struct http_request req = { 0 };
	struct strbuf cond = STRBUF_INIT;
	char *url = rel_url(st, rel);
	int ret;

	*done = 0;
	if (!url)
		return silo__error_oom();
	if (etag) {
		/* the tag bare: no W/, no quotes */
		size_t n;
		if (!strncmp(etag, "W/", 2))
			etag += 2;
		n = strlen(etag);
		if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"')
			etag++, n -= 2;
		ret = strbuf_addf(&cond, "If-Match: %.*s", (int)n, etag);
	} else {
		ret = strbuf_adds(&cond, "If-None-Match: *");
	}
	if (ret < 0) {
		free(url);
		return silo__error_oom();
	}
	req.body_fd = -1;
	req.body = data ? data : "";
	req.body_size = len;
	ret = put_conditional(&req, url, cond.buf, 1, done);
	strbuf_release(&cond);
	free(url);
	return ret;
}

static int s3_get(struct objstore *st, const char *rel, char **data, size_t *len, char **etag)
{
	struct http_request req = { 0 };
	char *url = rel_url(st, rel);
	int ret;

	*data = NULL;
	*len = 0;
	*etag = NULL;
	if (!url)
		return silo__error_oom();
	req.method = "GET";
	req.url = url;
	req.body_fd = -1;
	req.max_response = S3_GET_MAX;
	if ((ret = http_request_run(&req)) == 0 && !ok_status(req.status))
		ret = answer_error(&req, "read", url);
	if (ret == 0 && !(*data = req.response) && !(*data = strdup("")))
		ret = silo__error_oom();
	if (ret == 0 && !(*etag = strdup(req.etag))) {
		ret = silo__error_oom();
	}
	if (ret == 0) {
		*len = req.response_len;
	} else {
		if (*data != req.response)
			free(*data);
		free(req.response);
		*data = NULL;
	}
	free(url);
	return ret;
}

static int s3_remove(struct objstore *st, const char *rel)
{
	struct http_request req = { 0 };
	char *url = rel_url(st, rel);
	int ret;

	if (!url)
		return silo__error_oom();
	req.method = "DELETE";
	req.url = url;
	req.body_fd = -1;
	req.max_response = S3_SMALL_ANSWER;
	if ((ret = http_request_run(&req)) == 0 && !ok_status(req.status) && req.status != 404)
		ret = answer_error(&req, "delete", url);
	free(req.response);
	free(url);
	return ret;
}

/* ---- ListObjectsV2 ---- */

/* The text of the first <TAG> in [*P, END) into SB, its XML entities
 * decoded unless RAW; *P moves past its end.  1 if found, 0 if not,
 * negative on error. */
static int xml_take(struct strbuf *sb, const char **p, const char *end, const char *tag,
		    int raw)
{
	char open[64], close[64];
	const char *a, *b, *s;
	size_t olen;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	olen = strlen(open);
	strbuf_reset(sb);
	if (!(a = memmem(*p, (size_t)(end - *p), open, olen)))
		return 0;
	a += olen;
	if (!(b = memmem(a, (size_t)(end - a), close, strlen(close))))
		return silo__error_set(SILO_ENET, "listing: <%s> without its end", tag);
	if (raw) {
		*p = b + strlen(close);
		return strbuf_add(sb, a, (size_t)(b - a)) < 0 ? silo__error_oom() : 1;
	}
	for (s = a; s < b; s++) {
		static const struct { const char *name; char c; } ents[] = {
			{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
			{ "&quot;", '"' }, { "&apos;", '\'' },
		};
		char c = *s;
		size_t i;
		if (c == '&') {
			for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
				size_t n = strlen(ents[i].name);
				if ((size_t)(b - s) >= n && !memcmp(s, ents[i].name, n)) {
					c = ents[i].c;
					s += n - 1;
					break;
				}
			}
			if (i == sizeof(ents) / sizeof(ents[0])) {
				unsigned v;
				int used = 0;
				if (sscanf(s, "&#%u;%n", &v, &used) == 1 && used && v && v < 128) {
					c = (char)v;
					s += used - 1;
				} else {
					return silo__error_set(SILO_ENET,
						"listing: an entity in <%s> that is not understood", tag);
				}
			}
		}
		if (strbuf_addch(sb, c) < 0)
			return silo__error_oom();
	}
	*p = b + strlen(close);
	return 1;
}

/* S3's time, "2026-12-07T17:49:50.283Z", in seconds since the epoch; -1
 * if it is not one. */
static int64_t parse_time(const char *s)
{
	struct tm tm;
	int used = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6 || !used)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm);
}

/* One page of a listing, the answer PAGE: FN for each entry; *next the
 * continuation token when there is more (else empty). */
static int list_page(struct objstore_s3 *s3, const char *page, size_t len,
		     int (*fn)(void *payload, const struct objstore_entry *e), void *payload,
		     struct strbuf *next)
{
	const char *p = page, *end = page + len;
	size_t plen = strlen(s3->key_prefix);
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT, item = STRBUF_INIT;
	int ret, truncated = 0;

	strbuf_reset(next);
	for (;;) {
		const char *ip;
		struct objstore_entry e;
		unsigned long long size;

		if ((ret = xml_take(&item, &p, end, "Contents", 1)) <= 0)
			break;
		/* the element's raw text again: its fields are read from it */
		ip = item.buf;
		if ((ret = xml_take(&key, &ip, item.buf + item.len, "Key", 0)) <= 0) {
			if (ret == 0)
				ret = silo__error_set(SILO_ENET, "listing: an entry without a <Key>");
			break;
		}
		ip = item.buf;
		e.mtime = -1;
		if ((ret = xml_take(&val, &ip, item.buf + item.len, "LastModified", 0)) < 0)
			break;
		if (ret)
			e.mtime = parse_time(val.buf);
		ip = item.buf;
		if ((ret = xml_take(&val, &ip, item.buf + item.len, "Size", 0)) < 0)
			break;
		if (!ret || sscanf(val.buf, "%llu", &size) != 1) {
			ret = silo__error_set(SILO_ENET, "listing: '%s' without a <Size>", key.buf);
			break;
		}
		if (strncmp(key.buf, s3->key_prefix, plen))
			continue;	/* not asked for */
		e.rel = key.buf + plen;
		e.size = size;
		if ((ret = fn(payload, &e)) != 0)
			goto out;
	}
	if (ret == 0) {
		p = page;
		if ((ret = xml_take(&val, &p, end, "IsTruncated", 0)) > 0)
			truncated = !strcmp(val.buf, "true");
		p = page;
		if (ret >= 0 && truncated &&
		    (ret = xml_take(next, &p, end, "NextContinuationToken", 0)) == 0)
			ret = silo__error_set(SILO_ENET,
				"listing: more to come, but no <NextContinuationToken>");
		if (ret > 0)
			ret = 0;
	}
out:
	strbuf_release(&key);
	strbuf_release(&val);
	strbuf_release(&item);
	return ret;
}

/*
 * The URL of a page of the listing of PREFIX: its query in SigV4's
 * canonical form (parameters sorted, values percent-encoded), which is
 * what libcurl 7.88 signs as it is.
 */
static int list_url(struct strbuf *sb, const struct objstore_s3 *s3, const char *prefix,
		    const struct strbuf *token)
{
	int ret;

	strbuf_reset(sb);
	ret = strbuf_addf(sb, "%s?", s3->bucket_url);
	if (!ret && token->len && !(ret = strbuf_adds(sb, "continuation-token=")) &&
	    !(ret = s3_uri_encode(sb, token->buf, token->len, 0)))
		ret = strbuf_addch(sb, '&');
	if (!ret)
		ret = strbuf_adds(sb, "list-type=2&");
	if (!ret && s3->page_size)
		ret = strbuf_addf(sb, "max-keys=%u&", s3->page_size);
	if (!ret && !(ret = strbuf_adds(sb, "prefix=")))
		ret = s3_uri_encode(sb, prefix, strlen(prefix), 0);
	return ret;
}

static int s3_list(struct objstore *st, const char *dir,
		   int (*fn)(void *payload, const struct objstore_entry *e), void *payload)
{
	struct objstore_s3 *s3 = s3_of(st);
	struct strbuf prefix = STRBUF_INIT, url = STRBUF_INIT, token = STRBUF_INIT;
	int ret;

	if ((ret = strbuf_addf(&prefix, "%s%s/", s3->key_prefix, dir)) < 0)
		return ret;
	do {
		struct http_request req = { 0 };
		if ((ret = list_url(&url, s3, prefix.buf, &token)) < 0)
			break;
		req.method = "GET";
		req.url = url.buf;
		req.body_fd = -1;
		req.max_response = S3_LIST_PAGE_MAX;
		if ((ret = http_request_run(&req)) == 0 && !ok_status(req.status)) {
			char what[64];
			snprintf(what, sizeof(what), "list '%s/' of", dir);
			ret = answer_error(&req, what, st->base_url);
		}
		if (ret == 0)
			ret = list_page(s3, req.response ? req.response : "", req.response_len, fn,
					payload, &token);
		free(req.response);
	} while (ret == 0 && token.len);
	strbuf_release(&prefix);
	strbuf_release(&url);
	strbuf_release(&token);
	return ret;
}

static void s3_free(struct objstore *st)
{
	struct objstore_s3 *s3 = s3_of(st);

	if (!st)
		return;
	free(st->base_url);
	free(s3->bucket_url);
	free(s3->key_prefix);
	free(s3);
}

static const struct objstore_ops s3_ops = {
	"s3", s3_put_new, s3_get, s3_put_if, s3_remove, s3_list, s3_free,
};

void objstore_s3_page_size(struct objstore *st, unsigned n)
{
	s3_of(st)->page_size = n > 1000 ? 1000 : n;
}

int objstore_s3_open(struct objstore **out, const char *url)
{
	struct objstore_s3 *s3;
	const char *bucket = url + 5, *key;
	size_t blen, klen;
	struct strbuf sb = STRBUF_INIT;

	*out = NULL;
	if (!s3_is_url(url) || !(blen = strcspn(bucket, "/?")) || strchr(url, '?'))
		return silo__error_set(SILO_EINVALID, "'%s': expected s3://BUCKET/PREFIX", url);
	key = bucket + blen;
	while (*key == '/')
		key++;
	klen = strlen(key);
	while (klen && key[klen - 1] == '/')
		klen--;
	if (!(s3 = calloc(1, sizeof(*s3))))
		return silo__error_oom();
	s3->base.ops = &s3_ops;
	if (strbuf_addf(&sb, "s3://%.*s/", (int)blen, bucket) < 0 ||
	    !(s3->bucket_url = strbuf_detach(&sb)) ||
	    strbuf_addf(&sb, "%.*s%s", (int)klen, key, klen ? "/" : "") < 0 ||
	    !(s3->key_prefix = strbuf_detach(&sb)) ||
	    strbuf_addf(&sb, "%s%s", s3->bucket_url, s3->key_prefix) < 0 ||
	    !(s3->base.base_url = strbuf_detach(&sb))) {
		strbuf_release(&sb);
		s3_free(&s3->base);
		return silo__error_oom();
	}
	*out = &s3->base;
	return 0;
}
