/*
 * The operations of objstore.h for a WebDAV server (RFC 4918): PUT with
 * If-None-Match: * or If-Match, MKCOL of missing parent collections,
 * GET, DELETE and PROPFIND with Depth: 1.  Safe against racing writers
 * only where the server checks those conditions atomically (lighttpd's
 * mod_webdav does; nginx's dav module ignores them): silo-push-http.c
 * asks the server first.
 */
#include "objstore-open.h"
#include "alloc.h"
#include "error-internal.h"
#include "http.h"
#include "strbuf.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The longest answer read whole: pack/packs, a PROPFIND of one directory. */
#define WEBDAV_MAX_ANSWER (64u << 20)

/* A set of collections, by path relative to the root ("" the root). */
struct dirset {
	char **v;
	size_t n, alloc;
};

struct webdav {
	struct objstore st;		/* first: what callers see */
	char *base_path;		/* the path of base_url, decoded */
	struct dirset dirs;		/* collections known to exist */
	/* Collections whose every child a listing saw (or that a listing
	 * found absent): a child collection not known to exist is absent
	 * then, and made before a PUT into it, not after its 409. */
	struct dirset listed;
};

static struct webdav *wd_of(struct objstore *st)
{
	return (struct webdav *)st;
}

static char *url_of(struct objstore *st, const char *rel)
{
	char *url;

	return asprintf(&url, "%s%s", st->base_url, rel) < 0 ? NULL : url;
}

/* What an answer's status means for the user, the status included. */
static int failed(const struct http_request *rq, const char *what)
{
	const char *hint = "";

	if (rq->status == 401)
		hint = " (credentials missing or refused: see ~/.netrc, SILO_HTTP_USER, SILO_HTTP_TOKEN)";
	else if (rq->status == 403)
		hint = " (forbidden by the server)";
	else if (rq->status == 405 || rq->status == 501)
		hint = " (the server does not take this method: is it a WebDAV server?)";
	return silo__error_set(SILO_ENET, "cannot %s '%s': HTTP %ld%s", what, rq->url,
			       rq->status, hint);
}

static void request_init(struct http_request *rq, const char *method, const char *url,
			 const char *const *headers)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = method;
	rq->url = url;
	rq->headers = headers;
	rq->body_fd = -1;
	rq->max_response = WEBDAV_MAX_ANSWER;
}

static int dirset_has(const struct dirset *ds, const char *dir, size_t len)
{
	size_t i;

	for (i = 0; i < ds->n; i++)
		if (strlen(ds->v[i]) == len && !memcmp(ds->v[i], dir, len))
			return 1;
	return 0;
}

static int dirset_add(struct dirset *ds, const char *dir, size_t len)
{
	char *copy;

	if (dirset_has(ds, dir, len))
		return 0;
	if (ALLOC_GROW(ds->v, ds->n + 1, ds->alloc) < 0 || !(copy = strndup(dir, len)))
		return silo__error_oom();
	ds->v[ds->n++] = copy;
	return 0;
}

static void dirset_release(struct dirset *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++)
		free(ds->v[i]);
	free(ds->v);
}

static int known_dir(struct webdav *wd, const char *dir, size_t len)
{
	return dirset_has(&wd->dirs, dir, len);
}

static int remember_dir(struct webdav *wd, const char *dir, size_t len)
{
	return dirset_add(&wd->dirs, dir, len);
}

/* 1 if a listing showed that the collection REL lies in is absent. */
static int parent_absent(struct webdav *wd, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	size_t len;

	if (!slash || known_dir(wd, rel, (size_t)(slash - rel) + 1))
		return 0;
	/* Its parent found absent, or a complete listing above it that did
	 * not see it. */
	for (len = (size_t)(slash - rel) + 1; len > 0; len--)
		if (rel[len - 1] == '/' && dirset_has(&wd->listed, rel, len))
			return 1;
	return dirset_has(&wd->listed, "", 0);
}

/* Make the collection of the first LEN bytes of REL ("" for the root)
 * unless it is known to be there. */
static int make_collection(struct objstore *st, const char *rel, size_t len)
{
	struct webdav *wd = wd_of(st);
	struct http_request rq;
	char *url;
	int ret;

	if (known_dir(wd, rel, len))
		return 0;
	if (asprintf(&url, "%s%.*s", st->base_url, (int)len, rel) < 0)
		return silo__error_oom();
	request_init(&rq, "MKCOL", url, NULL);
	ret = http_request_run(&rq);
	/* 405: it is there already (made by another writer, perhaps). */
	if (!ret && rq.status == 409)
		ret = silo__error_set(SILO_ENOTFOUND, "cannot make the collection '%s': "
				      "its parent does not exist", url);
	else if (!ret && rq.status != 201 && rq.status != 200 && rq.status != 204 &&
		 rq.status != 405)
		ret = failed(&rq, "make the collection");
	if (!ret)
		ret = remember_dir(wd, rel, len);
	free(rq.response);
	free(url);
	return ret;
}

/* Make the collections REL lies in, from the silo's root (which a push
 * creates, as a local one does): a PUT does not. */
static int make_parents(struct objstore *st, const char *rel)
{
	const char *slash = rel;
	int ret;

	while (!(ret = make_collection(st, rel, (size_t)(slash - rel))) &&
	       (slash = strchr(slash, '/')))
		slash++;
	return ret;
}

/*
 * PUT to REL with CONDITION (a header), the body as RQ's caller set it
 * up in BODY: *done 1 when stored, 0 when the condition failed (412).
 */
static int put_with(struct objstore *st, const char *rel, const char *condition,
		    const struct http_request *body, int *done)
{
	const char *headers[] = { condition, NULL };
	struct http_request rq;
	char *url = url_of(st, rel);
	int ret = 0, attempt;

	*done = 0;
	if (!url)
		return silo__error_oom();
	if (parent_absent(wd_of(st), rel) && (ret = make_parents(st, rel)) < 0) {
		free(url);
		return ret;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		request_init(&rq, "PUT", url, headers);
		rq.body = body->body;
		rq.body_size = body->body_size;
		rq.body_fd = body->body_fd;
		rq.body_len = body->body_len;
		if ((ret = http_request_run(&rq)) < 0)
			break;
		free(rq.response);
		if (rq.status == 200 || rq.status == 201 || rq.status == 204) {
			*done = 1;
			break;
		}
		if (rq.status == 412)
			break;
		/* 409: a parent collection is missing (RFC 4918, 9.7.1);
		 * some servers (rclone) say 404. */
		if ((rq.status == 409 || rq.status == 404) && !attempt) {
			if ((ret = make_parents(st, rel)) < 0)
				break;
			continue;
		}
		ret = failed(&rq, "store");
		break;
	}
	free(url);
	return ret;
}

static int webdav_put_new(struct objstore *st, const char *rel, int fd, uint64_t len,
			  int *stored)
{
	struct http_request body;

	request_init(&body, NULL, NULL, NULL);
	body.body_fd = fd;
	body.body_len = len;
	return put_with(st, rel, "If-None-Match: *", &body, stored);
}

static int webdav_put_if(struct objstore *st, const char *rel, const void *data,
			 size_t len, const char *etag, int *done)
{
	struct http_request body;
	char *cond = NULL;
	int ret;

	if (etag && asprintf(&cond, "If-Match: %s", etag) < 0)
		return silo__error_oom();
	request_init(&body, NULL, NULL, NULL);
	body.body = data ? data : "";
	body.body_size = len;
	ret = put_with(st, rel, cond ? cond : "If-None-Match: *", &body, done);
	free(cond);
	return ret;
}

static int webdav_get(struct objstore *st, const char *rel, char **data, size_t *len,
		      char **etag)
{
	struct http_request rq;
	char *url = url_of(st, rel);
	int ret;

	*data = NULL;
	*len = 0;
	*etag = NULL;
	if (!url)
		return silo__error_oom();
	request_init(&rq, "GET", url, NULL);
	if ((ret = http_request_run(&rq)) < 0)
		goto out;
	if (rq.status == 404 || rq.status == 410) {
		ret = silo__error_set(SILO_ENOTFOUND, "'%s' does not exist", url);
	} else if (rq.status != 200) {
		ret = failed(&rq, "read");
	} else if (!(*data = malloc(rq.response_len + 1)) || !(*etag = strdup(rq.etag))) {
		free(*data);
		*data = NULL;
		ret = silo__error_oom();
	} else {
		if (rq.response_len)
			memcpy(*data, rq.response, rq.response_len);
		(*data)[rq.response_len] = '\0';
		*len = rq.response_len;
	}
out:
	free(rq.response);
	free(url);
	return ret;
}

static int webdav_remove(struct objstore *st, const char *rel)
{
	struct http_request rq;
	char *url = url_of(st, rel);
	int ret;

	if (!url)
		return silo__error_oom();
	request_init(&rq, "DELETE", url, NULL);
	ret = http_request_run(&rq);
	if (!ret && rq.status != 200 && rq.status != 204 && rq.status != 404 && rq.status != 410)
		ret = failed(&rq, "delete");
	free(rq.response);
	free(url);
	return ret;
}

/* Decode %XX escapes and XML's entities of S in place. */
static void decode(char *s)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' },
	};
	char *w = s;
	size_t i;

	while (*s) {
		unsigned int c;
		if (*s == '%' && sscanf(s + 1, "%2x", &c) == 1 && s[1] && s[2]) {
			*w++ = (char)c;
			s += 3;
			continue;
		}
		for (i = 0; *s == '&' && i < sizeof(ents) / sizeof(*ents); i++)
			if (!strncmp(s, ents[i].name, strlen(ents[i].name)))
				break;
		if (*s == '&' && i < sizeof(ents) / sizeof(*ents)) {
			*w++ = ents[i].c;
			s += strlen(ents[i].name);
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
}

/* One <response> of a multistatus answer. */
struct dav_entry {
	char *href;		/* decoded path */
	int collection;
	uint64_t size;
	int64_t mtime;
};

/*
 * The text of the first element named LOCAL (any namespace prefix) in
 * [P, END), in a new string; NULL if it is not there or empty (<x/>).
 * *PRESENT says whether it is there.
 */
static char *element(const char *p, const char *end, const char *local, int *present)
{
	size_t llen = strlen(local);

	*present = 0;
	while (p < end && (p = memchr(p, '<', (size_t)(end - p)))) {
		const char *name = ++p, *colon, *close, *text;
		size_t nlen = strcspn(name, " \t\r\n/>");
		if (name + nlen > end)
			break;
		colon = memchr(name, ':', nlen);
		if (colon) {
			nlen -= (size_t)(colon + 1 - name);
			name = colon + 1;
		}
		if (p[0] == '/' || nlen != llen || memcmp(name, local, llen))
			continue;
		if (!(close = memchr(name, '>', (size_t)(end - name))))
			break;
		*present = 1;
		if (close[-1] == '/')
			return NULL;	/* <x/> */
		text = close + 1;
		{
			const char *q = text;
			while (q < end && (q = memchr(q, '<', (size_t)(end - q))) && q[1] != '/')
				q++;
			if (!q || q >= end)
				return NULL;
			return strndup(text, (size_t)(q - text));
		}
	}
	return NULL;
}

/* Find the next <response> ... </response> in [*P, END). */
static int next_response(const char **p, const char *end, const char **start, const char **stop)
{
	const char *q = *p;

	for (;;) {
		const char *lt = q < end ? memchr(q, '<', (size_t)(end - q)) : NULL, *name;
		size_t nlen;
		if (!lt)
			return 0;
		name = lt + 1;
		q = name;
		if (*name == '/')
			continue;
		nlen = strcspn(name, " \t\r\n/>");
		if (nlen < 8 || memcmp(name + nlen - 8, "response", 8) ||
		    (nlen > 8 && name[nlen - 9] != ':'))
			continue;
		*start = name + nlen;
		/* its end: the next closing tag of that name */
		for (q = *start; q < end && (q = memchr(q, '<', (size_t)(end - q))); q++) {
			size_t n2;
			if (q[1] != '/')
				continue;
			n2 = strcspn(q + 2, " \t\r\n>");
			if (n2 >= 8 && !memcmp(q + 2 + n2 - 8, "response", 8) &&
			    (n2 == 8 || q[2 + n2 - 9] == ':'))
				break;
		}
		if (!q || q >= end)
			return 0;
		*stop = q;
		*p = q + 1;
		return 1;
	}
}

/* Parse one response in [P, END) into E (E->href owned by the caller). */
static int parse_response(struct dav_entry *e, const char *p, const char *end)
{
	char *href, *v;
	int present;

	memset(e, 0, sizeof(*e));
	e->mtime = -1;
	if (!(href = element(p, end, "href", &present)))
		return 0;
	decode(href);
	if (!strncmp(href, "http://", 7) || !strncmp(href, "https://", 8)) {
		/* an absolute URL: keep its path */
		char *path = strchr(strstr(href, "//") + 2, '/');
		memmove(href, path ? path : "/", strlen(path ? path : "/") + 1);
	}
	e->href = href;
	free(element(p, end, "collection", &e->collection));
	if ((v = element(p, end, "getcontentlength", &present))) {
		e->size = strtoull(v, NULL, 10);
		free(v);
	}
	if ((v = element(p, end, "getlastmodified", &present))) {
		time_t t = curl_getdate(v, NULL);
		e->mtime = t < 0 ? -1 : (int64_t)t;
		free(v);
	}
	return 1;
}

static const char propfind_body[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\"><D:prop>"
	"<D:resourcetype/><D:getcontentlength/><D:getlastmodified/>"
	"</D:prop></D:propfind>\n";

/* List the collection DIR ("" or ending in '/'), and below it. */
static int list_dir(struct objstore *st, const char *dir,
		    int (*fn)(void *payload, const struct objstore_entry *e), void *payload)
{
	static const char *const headers[] = {
		"Depth: 1", "Content-Type: application/xml; charset=utf-8", NULL
	};
	struct webdav *wd = wd_of(st);
	struct http_request rq;
	const char *p, *end, *start, *stop;
	char *url = url_of(st, dir);
	size_t blen = strlen(wd->base_path);
	int ret;

	if (!url)
		return silo__error_oom();
	request_init(&rq, "PROPFIND", url, headers);
	rq.body = propfind_body;
	rq.body_size = sizeof(propfind_body) - 1;
	if ((ret = http_request_run(&rq)) < 0)
		goto out;
	if (rq.status == 404 || rq.status == 410) {
		ret = dirset_add(&wd->listed, dir, strlen(dir));
		goto out;	/* nothing there */
	}
	if (rq.status != 207) {
		ret = failed(&rq, "list");
		goto out;
	}
	/* It is there, and so is the root above it. */
	if ((ret = remember_dir(wd, dir, strlen(dir))) < 0 ||
	    (ret = remember_dir(wd, "", 0)) < 0 ||
	    (ret = dirset_add(&wd->listed, dir, strlen(dir))) < 0)
		goto out;
	p = rq.response ? rq.response : "";
	end = p + rq.response_len;
	while (!ret && next_response(&p, end, &start, &stop)) {
		struct dav_entry e;
		const char *rel;
		if (!parse_response(&e, start, stop))
			continue;
		/* Only what lies below DIR, never DIR itself. */
		if (strncmp(e.href, wd->base_path, blen) ||
		    strncmp(e.href + blen, dir, strlen(dir)) ||
		    !e.href[blen + strlen(dir)]) {
			free(e.href);
			continue;
		}
		rel = e.href + blen;
		if (e.collection) {
			char *sub = NULL;
			size_t len = strlen(rel);
			if (asprintf(&sub, "%s%s", rel, len && rel[len - 1] == '/' ? "" : "/") < 0)
				ret = silo__error_oom();
			else
				ret = list_dir(st, sub, fn, payload);
			free(sub);
		} else {
			struct objstore_entry oe = { rel, e.size, e.mtime };
			ret = fn(payload, &oe);
		}
		free(e.href);
	}
out:
	free(rq.response);
	free(url);
	return ret;
}

static int webdav_list(struct objstore *st, const char *dir,
		       int (*fn)(void *payload, const struct objstore_entry *e), void *payload)
{
	char *sub;
	int ret;

	if (asprintf(&sub, "%s/", dir) < 0)
		return silo__error_oom();
	ret = list_dir(st, sub, fn, payload);
	free(sub);
	return ret;
}

static void webdav_free(struct objstore *st)
{
	struct webdav *wd = wd_of(st);

	if (!st)
		return;
	dirset_release(&wd->dirs);
	dirset_release(&wd->listed);
	free(wd->base_path);
	free(st->base_url);
	free(wd);
}

static const struct objstore_ops webdav_ops = {
	.kind = "webdav",
	.put_new = webdav_put_new,
	.get = webdav_get,
	.put_if = webdav_put_if,
	.remove = webdav_remove,
	.list = webdav_list,
	.free = webdav_free,
};

int objstore_webdav_open(struct objstore **out, const char *url)
{
	struct webdav *wd = calloc(1, sizeof(*wd));
	size_t len = strlen(url);
	CURLU *u = NULL;
	char *path = NULL;

	*out = NULL;
	if (!wd || asprintf(&wd->st.base_url, "%s%s", url,
			    len && url[len - 1] == '/' ? "" : "/") < 0) {
		free(wd);
		return silo__error_oom();
	}
	wd->st.ops = &webdav_ops;
	if (!(u = curl_url()) ||
	    curl_url_set(u, CURLUPART_URL, wd->st.base_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		webdav_free(&wd->st);
		return silo__error_set(SILO_EINVALID, "'%s' is not a URL", url);
	}
	wd->base_path = strdup(path);
	curl_free(path);
	curl_url_cleanup(u);
	if (!wd->base_path) {
		webdav_free(&wd->st);
		return silo__error_oom();
	}
	decode(wd->base_path);
	*out = &wd->st;
	return 0;
}
