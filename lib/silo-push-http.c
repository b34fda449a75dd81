/*
 * silo push to a silo behind HTTP (a WebDAV server or an S3 bucket,
 * through the operations of objstore.h only): the passes of
 * silo-push.c, each file stored with a conditional PUT that never
 * replaces one, and pack/packs merged with the server's and replaced
 * only if no one changed it since it was read.
 *
 * What the server holds is listed once, before the objects: a file
 * there is not sent again, so a second push costs the listing, and a
 * push stopped half-way goes on where it stopped.  A reader of the
 * server sees objects before packs, a pack before its index, and an
 * index before pack/packs names it.
 */
#include "push-internal.h"
#include "objstore-open.h"
#include "store-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rounds of reading and replacing pack/packs before giving up: each
 * lost round means another writer's list landed first. */
#define LIST_ROUNDS 64

/* A sorted list of names. */
struct names {
	char **v;
	size_t n, alloc;
};

static int names_add(struct names *ns, const char *name, size_t len)
{
	char *copy;

	if (ALLOC_GROW(ns->v, ns->n + 1, ns->alloc) < 0 || !(copy = strndup(name, len)))
		return silo__error_oom();
	ns->v[ns->n++] = copy;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_sort(struct names *ns)
{
	if (ns->n)
		qsort(ns->v, ns->n, sizeof(*ns->v), by_name);
}

static int names_has(const struct names *ns, const char *name)
{
	return ns->n && bsearch(&name, ns->v, ns->n, sizeof(*ns->v), by_name) != NULL;
}

static void names_release(struct names *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
}

static int on_listed(void *payload, const struct objstore_entry *e)
{
	return names_add(payload, e->rel, strlen(e->rel));
}

/* Store SRC/REL at REL of ST unless it is there; count it if stored. */
static int put_file(struct objstore *st, const char *src, const char *rel, size_t *files)
{
	char *path = fs_join(src, rel);
	struct stat sb;
	int fd, stored = 0, ret;

	if (!path)
		return silo__error_oom();
	if ((fd = fs_open_regular(path, path, SILO_EIO)) < 0) {
		free(path);
		return fd;
	}
	if (fstat(fd, &sb) < 0)
		ret = silo__error_errno("cannot stat '%s'", path);
	else
		ret = st->ops->put_new(st, rel, fd, (uint64_t)sb.st_size, &stored);
	if (!ret && stored)
		(*files)++;
	close(fd);
	free(path);
	return ret;
}

/*
 * The silo's own config.json: the server's must say the same id format
 * (it is stored when there is none), and storing it again over itself
 * must fail: a server that ignores "If-None-Match: *" would let racing
 * writers replace each other's files, so it is refused unless FORCE.
 * Storing the server's own bytes again changes nothing if it does.
 */
static int check_config(struct objstore *st, const char *src, const char *url, int force,
			size_t *files)
{
	char *path = fs_join(src, SILO_CONFIG_FILE), *mine = NULL, *theirs = NULL, *etag = NULL;
	size_t mine_len, theirs_len;
	int my_format, their_format, done, ret;

	if (!path)
		return silo__error_oom();
	if ((ret = fs_read_file(&mine, &mine_len, path, 65536)) < 0 ||
	    (ret = silo__config_parse(&my_format, mine, mine_len, path)) < 0)
		goto out;
	ret = st->ops->get(st, SILO_CONFIG_FILE, &theirs, &theirs_len, &etag);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		if ((ret = st->ops->put_if(st, SILO_CONFIG_FILE, mine, mine_len, NULL, &done)) < 0)
			goto out;
		*files += (size_t)done;
		free(etag);
		etag = NULL;
		ret = st->ops->get(st, SILO_CONFIG_FILE, &theirs, &theirs_len, &etag);
	}
	if (ret < 0)
		goto out;
	if ((ret = silo__config_parse(&their_format, theirs, theirs_len, url)) < 0)
		goto out;
	if (their_format != my_format) {
		ret = silo__error_set(SILO_EINVALID, "'%s' holds %s ids, '%s' %s ids", url,
				      silo_oid_format_name(their_format), src,
				      silo_oid_format_name(my_format));
		goto out;
	}
	if ((ret = st->ops->put_if(st, SILO_CONFIG_FILE, theirs, theirs_len, NULL, &done)) < 0)
		goto out;
	if (done && !force)
		ret = silo__error_set(SILO_EUNSAFE,
			"'%s' ignores \"If-None-Match: *\" (it stored %s over itself): racing "
			"pushes could replace each other's files; use --force to push anyway",
			url, SILO_CONFIG_FILE);
out:
	free(path);
	free(mine);
	free(theirs);
	free(etag);
	return ret;
}

/* The "P <pack>" lines of TEXT (LEN bytes) into NS. */
static int parse_list(struct names *ns, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int ret = 0;

	while (!ret && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (l > 2 && p[0] == 'P' && p[1] == ' ')
			ret = names_add(ns, p + 2, l - 2);
		p += l + 1;
	}
	names_sort(ns);
	return ret;
}

/*
 * Make pack/packs at ST name every pack of OURS (names, sorted), keeping
 * what it names: read it with its entity tag, and replace it only if
 * that tag is still its own; read it again after, until it names them.
 */
static int merge_pack_list(struct objstore *st, const struct names *ours)
{
	int round, ret = 0;

	for (round = 0; round < LIST_ROUNDS && !ret; round++) {
		struct names listed = { 0 };
		struct strbuf text = STRBUF_INIT;
		char *data = NULL, *etag = NULL;
		size_t len = 0, i, j, missing = 0;
		int done;

		ret = st->ops->get(st, PACK_LIST, &data, &len, &etag);
		if (ret == SILO_ENOTFOUND) {
			silo_error_clear();
			ret = 0;
		}
		if (!ret)
			ret = parse_list(&listed, data ? data : "", len);
		for (i = 0; !ret && i < ours->n; i++)
			missing += !names_has(&listed, ours->v[i]);
		if (!ret && !missing) {
			free(data);
			free(etag);
			names_release(&listed);
			return 0;
		}
		/* Both lists are sorted: merge them. */
		for (i = j = 0; !ret && (i < listed.n || j < ours->n); ) {
			int c = i == listed.n ? 1 : j == ours->n ? -1 :
				strcmp(listed.v[i], ours->v[j]);
			ret = strbuf_addf(&text, "P %s\n", c <= 0 ? listed.v[i] : ours->v[j]);
			i += c <= 0;
			j += c >= 0;
		}
		if (!ret)
			ret = strbuf_addch(&text, '\n');
		if (!ret)
			ret = st->ops->put_if(st, PACK_LIST, text.buf, text.len,
					      data ? etag : NULL, &done);
		free(data);
		free(etag);
		names_release(&listed);
		strbuf_release(&text);
	}
	if (!ret)
		ret = silo__error_set(SILO_ENET, "cannot update '%s%s': it changed %d times "
				      "while it was read and written", st->base_url, PACK_LIST,
				      LIST_ROUNDS);
	return ret;
}

/* The packs of LIST (PASS_PACKS: "pack/pack-X.pack" lines) whose index
 * SRC holds too, by name ("pack-X.pack"), sorted. */
static int our_packs(struct names *ours, const struct strbuf *list, const char *src)
{
	const char *p = list->buf ? list->buf : "", *end = p + list->len;
	int ret = 0;

	while (!ret && p < end) {
		size_t l = strcspn(p, "\n");
		char *idx = NULL;
		if (l > 10 && asprintf(&idx, "%s/%.*s.idx", src, (int)(l - 5), p) < 0)
			return silo__error_oom();
		if (idx && fs_exists(idx) > 0)
			ret = names_add(ours, p + 5, l - 5);
		free(idx);
		p += l + 1;
	}
	names_sort(ours);
	return ret;
}

int silo__push_http(struct silo_push_result *out, const char *src, const char *url,
		    unsigned flags)
{
	struct strbuf lists[N_PASSES];
	struct names there = { 0 }, ours = { 0 };
	struct objstore *st = NULL;
	int i, ret;

	for (i = 0; i < N_PASSES; i++) {
		struct strbuf empty = STRBUF_INIT;
		lists[i] = empty;
	}
	if ((ret = objstore_open(&st, url)) < 0)
		return ret;
	if ((ret = silo__push_collect(lists, src, "", NULL)) < 0 ||
	    (ret = check_config(st, src, url, flags & SILO_PUSH_FORCE, &out->files)) < 0 ||
	    (ret = st->ops->list(st, "objects", on_listed, &there)) < 0 ||
	    (ret = st->ops->list(st, "pack", on_listed, &there)) < 0)
		goto out;
	names_sort(&there);
	for (i = 0; !ret && i < N_PASSES; i++) {
		const char *p = lists[i].buf ? lists[i].buf : "", *end = p + lists[i].len;
		size_t before = out->files;
		if (i == PASS_FRESHEN)
			continue;
		if (i == PASS_LISTS && ((ret = our_packs(&ours, &lists[PASS_PACKS], src)) < 0 ||
					(ret = merge_pack_list(st, &ours)) < 0))
			break;
		while (!ret && p < end) {
			size_t l = strcspn(p, "\n");
			char *rel = strndup(p, l);
			if (!rel)
				ret = silo__error_oom();
			else if (strcmp(rel, SILO_CONFIG_FILE) && !names_has(&there, rel))
				ret = put_file(st, src, rel, &out->files);
			free(rel);
			p += l + 1;
		}
		out->passes += out->files > before;
	}
out:
	for (i = 0; i < N_PASSES; i++)
		strbuf_release(&lists[i]);
	names_release(&there);
	names_release(&ours);
	st->ops->free(st);
	return ret;
}
