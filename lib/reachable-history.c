/*
 * The treeptrs of git history.  Commits are listed by `git rev-list`, and
 * their trees walked through one `git cat-file --batch`.  A tree met
 * before is not walked again (its count of treeptrs is remembered), so
 * the work follows the number of distinct trees, not commits times files:
 * ten thousand commits that each change one file cost ten thousand small
 * reads.
 */
#include "silo/reachable.h"
#include "silo/closure.h"
#include "silo/silojson.h"
#include "silo/treeptr.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "git-run.h"
#include "hex.h"
#include "strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAW_MAX 32

/* As deep as git itself reads a tree (core.maxTreeDepth), and as the
 * trees of a silo are read: deeper ones are refused, not recursed into
 * until the stack runs out. */
#define DEPTH_MAX 4096

/* A tree already walked (in a context), and how many treeptr files are
 * below it. */
struct seen_tree {
	unsigned char raw[RAW_MAX];
	int ctx;
	size_t treeptrs;
	int used;
};

/* A treeptr file met in the history: its blob, the SILO.json that
 * applies to it, and one path it had. */
struct found_blob {
	unsigned char raw[RAW_MAX];
	int ctx;
	char *path;
};

/* A SILO.json met in a tree: its blob and the directory holding it (from
 * the top, "" for the top).  Its text is read once, when first needed. */
struct context {
	unsigned char raw[RAW_MAX];
	char *dir;
	struct strbuf text;
	int read;
};

struct walk {
	struct git_batch git;
	size_t rawsz;			/* 20 or 32: the repository's ids */
	struct seen_tree *seen;		/* open addressing, power of two */
	size_t seen_n, seen_cap;
	struct found_blob *blobs;	/* also open addressing */
	size_t blobs_n, blobs_cap;
	struct strbuf path;		/* of the tree being walked */
	size_t *path_counts;		/* per path of the options, or NULL */
	/* With on_treeptr: the SILO.json of each treeptr (else every
	 * context is -1, "none"). */
	int track;
	struct context *ctxs;
	size_t n_ctxs, alloc_ctxs;
	char *prefix;			/* from here to the top of the work tree */
};

static uint64_t raw_hash(const unsigned char *raw, int ctx)
{
	uint64_t h;

	memcpy(&h, raw, sizeof(h));	/* ids are uniform already */
	return h ^ (uint64_t)(ctx + 1) * 0x9e3779b97f4a7c15ull;
}

static void raw_to_hex(char *out, const unsigned char *raw, size_t rawsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < rawsz; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 15];
	}
	out[2 * rawsz] = '\0';
}

static int hex_to_raw(unsigned char *out, const char *hex, size_t rawsz)
{
	size_t i;

	for (i = 0; i < rawsz; i++) {
		int hi = hexval(hex[2 * i]), lo;
		if (hi < 0 || (lo = hexval(hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* The slot of (RAW, CTX) in the seen-tree table (grown when half full). */
static int seen_slot(struct walk *w, const unsigned char *raw, int ctx, struct seen_tree **out)
{
	size_t i;

	if (2 * (w->seen_n + 1) > w->seen_cap) {
		size_t cap = w->seen_cap ? 2 * w->seen_cap : 1024, j;
		struct seen_tree *t = calloc(cap, sizeof(*t));
		if (!t)
			return silo_error_oom();
		for (j = 0; j < w->seen_cap; j++) {
			if (!w->seen[j].used)
				continue;
			i = raw_hash(w->seen[j].raw, w->seen[j].ctx) & (cap - 1);
			while (t[i].used)
				i = (i + 1) & (cap - 1);
			t[i] = w->seen[j];
		}
		free(w->seen);
		w->seen = t;
		w->seen_cap = cap;
	}
	i = raw_hash(raw, ctx) & (w->seen_cap - 1);
	while (w->seen[i].used && (memcmp(w->seen[i].raw, raw, w->rawsz) || w->seen[i].ctx != ctx))
		i = (i + 1) & (w->seen_cap - 1);
	*out = &w->seen[i];
	return 0;
}

/* Remember blob RAW of context CTX, first met at PATH; a blob met before
 * in the same context is kept once. */
static int add_blob(struct walk *w, const unsigned char *raw, int ctx, const char *path)
{
	size_t i;

	if (2 * (w->blobs_n + 1) > w->blobs_cap) {
		size_t cap = w->blobs_cap ? 2 * w->blobs_cap : 256, j;
		struct found_blob *t = calloc(cap, sizeof(*t));
		if (!t)
			return silo_error_oom();
		for (j = 0; j < w->blobs_cap; j++) {
			if (!w->blobs[j].path)
				continue;
			i = raw_hash(w->blobs[j].raw, w->blobs[j].ctx) & (cap - 1);
			while (t[i].path)
				i = (i + 1) & (cap - 1);
			t[i] = w->blobs[j];
		}
		free(w->blobs);
		w->blobs = t;
		w->blobs_cap = cap;
	}
	i = raw_hash(raw, ctx) & (w->blobs_cap - 1);
	while (w->blobs[i].path) {
		if (!memcmp(w->blobs[i].raw, raw, w->rawsz) && w->blobs[i].ctx == ctx)
			return 0;
		i = (i + 1) & (w->blobs_cap - 1);
	}
	if (!(w->blobs[i].path = strdup(path)))
		return silo_error_oom();
	memcpy(w->blobs[i].raw, raw, w->rawsz);
	w->blobs[i].ctx = ctx;
	w->blobs_n++;
	return 0;
}

/* The context of SILO.json blob RAW in directory DIR (DIR_LEN bytes). */
static int context_for(struct walk *w, const unsigned char *raw, const char *dir,
		       size_t dir_len, int *ctx)
{
	size_t i;

	for (i = 0; i < w->n_ctxs; i++)
		if (!memcmp(w->ctxs[i].raw, raw, w->rawsz) && strlen(w->ctxs[i].dir) == dir_len &&
		    !memcmp(w->ctxs[i].dir, dir, dir_len)) {
			*ctx = (int)i;
			return 0;
		}
	if (w->n_ctxs >= INT32_MAX || ALLOC_GROW(w->ctxs, w->n_ctxs + 1, w->alloc_ctxs) < 0)
		return silo_error_oom();
	memset(&w->ctxs[i], 0, sizeof(w->ctxs[i]));
	if (!(w->ctxs[i].dir = strndup(dir, dir_len)))
		return silo_error_oom();
	memcpy(w->ctxs[i].raw, raw, w->rawsz);
	w->n_ctxs++;
	*ctx = (int)i;
	return 0;
}

static int has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len > n && !memcmp(s + len - n, suffix, n);
}

/* Read tree RAW into CONTENT; anything else there is SILO_ECORRUPT. */
static int read_tree(struct walk *w, const unsigned char *raw, struct strbuf *content)
{
	char hex[2 * RAW_MAX + 1], type[16];
	int ret;

	raw_to_hex(hex, raw, w->rawsz);
	if ((ret = git_batch_read(&w->git, hex, type, content)) < 0)
		return ret;
	if (strcmp(type, "tree"))
		return silo_error_set(SILO_ECORRUPT, "git object %s is a %s, not a tree", hex, type);
	return 0;
}

/*
 * One entry of tree CONTENT at *POS: MODE (octal), NAME and its length,
 * the raw id.  Returns 1 for an entry, 0 at the end, or an error.
 */
static int next_entry(struct walk *w, const struct strbuf *content, size_t *pos,
		      unsigned *mode, const char **name, size_t *name_len,
		      const unsigned char **raw)
{
	const char *p = content->buf + *pos, *end = content->buf + content->len;
	const char *sp, *nul;

	if (p == end)
		return 0;
	sp = memchr(p, ' ', (size_t)(end - p));
	nul = sp ? memchr(sp, '\0', (size_t)(end - sp)) : NULL;
	if (!sp || !nul || (size_t)(end - nul - 1) < w->rawsz)
		return silo_error_set(SILO_ECORRUPT, "malformed git tree object");
	*mode = 0;
	for (; p < sp; p++) {
		if (*p < '0' || *p > '7')
			return silo_error_set(SILO_ECORRUPT, "malformed mode in a git tree object");
		*mode = *mode * 8 + (unsigned)(*p - '0');
	}
	*name = sp + 1;
	*name_len = (size_t)(nul - sp - 1);
	*raw = (const unsigned char *)nul + 1;
	*pos = (size_t)(nul + 1 + w->rawsz - content->buf);
	return 1;
}

#define MODE_TREE 040000
#define MODE_FILE_MASK 0170000
#define MODE_FILE 0100000

static int is_silojson(unsigned mode, const char *name, size_t len)
{
	return (mode & MODE_FILE_MASK) == MODE_FILE && len == strlen(SILO_SILOJSON_NAME) &&
	       !memcmp(name, SILO_SILOJSON_NAME, len);
}

/* The context inside tree CONTENT at w->path[0..DIR_LEN): its own
 * SILO.json, else *CTX as it is. */
static int own_context(struct walk *w, const struct strbuf *content, size_t dir_len, int *ctx)
{
	size_t pos = 0, len;
	const unsigned char *id;
	const char *name;
	unsigned mode;
	int ret;

	if (!w->track)
		return 0;
	while ((ret = next_entry(w, content, &pos, &mode, &name, &len, &id)) > 0)
		if (is_silojson(mode, name, len))
			return context_for(w, id, w->path.buf ? w->path.buf : "", dir_len, ctx);
	return ret;
}

/* The context a subdirectory NAME starts with, inside context CTX: none
 * for a *.medo directory, where the search for SILO.json ends. */
static int sub_context(const struct walk *w, const char *name, size_t len, int ctx)
{
	return w->track && has_suffix(name, len, ".medo") ? -1 : ctx;
}

/* Walk tree RAW at w->path, DEPTH directories below the top, whole, in
 * context CTX; *COUNT gets its treeptr files. */
static int walk_tree(struct walk *w, const unsigned char *raw, int ctx, size_t depth,
		     size_t *count)
{
	struct strbuf content = STRBUF_INIT;
	struct seen_tree *slot;
	size_t pos = 0, total = 0, base = w->path.len;
	int ret, inner = ctx;

	if ((ret = seen_slot(w, raw, ctx, &slot)) < 0)
		return ret;
	if (slot->used) {
		*count = slot->treeptrs;
		return 0;
	}
	if (depth > DEPTH_MAX) {
		char hex[2 * RAW_MAX + 1];
		raw_to_hex(hex, raw, w->rawsz);
		return silo_error_set(SILO_EINVALID, "git tree %s at '%.200s...' is nested "
				      "deeper than %d directories", hex, w->path.buf, DEPTH_MAX);
	}
	if ((ret = read_tree(w, raw, &content)) < 0 ||
	    (ret = own_context(w, &content, base, &inner)) < 0)
		goto out;
	for (;;) {
		const unsigned char *id;
		const char *name;
		size_t len, sub;
		unsigned mode;

		if ((ret = next_entry(w, &content, &pos, &mode, &name, &len, &id)) <= 0)
			break;
		strbuf_setlen(&w->path, base);
		if ((base && (ret = strbuf_addch(&w->path, '/')) < 0) ||
		    (ret = strbuf_add(&w->path, name, len)) < 0)
			break;
		if (mode == MODE_TREE) {
			if ((ret = walk_tree(w, id, sub_context(w, name, len, inner), depth + 1,
					     &sub)) < 0)
				break;
			total += sub;
		} else if ((mode & MODE_FILE_MASK) == MODE_FILE &&
			   has_suffix(name, len, SILO_TREEPTR_SUFFIX)) {
			if ((ret = add_blob(w, id, inner, w->path.buf)) < 0)
				break;
			total++;
		}
	}
	strbuf_setlen(&w->path, base);
	if (ret < 0)
		goto out;
	/* The table may have moved while walking below: look again. */
	if ((ret = seen_slot(w, raw, ctx, &slot)) < 0)
		goto out;
	memcpy(slot->raw, raw, w->rawsz);
	slot->ctx = ctx;
	slot->treeptrs = total;
	slot->used = 1;
	w->seen_n++;
	*count = total;
out:
	strbuf_release(&content);
	return ret;
}

/* Find entry NAME (LEN bytes) of tree RAW: its mode and id, or 0 if none;
 * the tree's own context (at w->path) into *CTX. */
static int find_entry(struct walk *w, const unsigned char *raw, const char *name,
		      size_t len, unsigned *mode, unsigned char *id, int *ctx)
{
	struct strbuf content = STRBUF_INIT;
	size_t pos = 0;
	int ret;

	if ((ret = read_tree(w, raw, &content)) < 0 ||
	    (ret = own_context(w, &content, w->path.len, ctx)) < 0) {
		strbuf_release(&content);
		return ret;
	}
	for (;;) {
		const unsigned char *eid;
		const char *ename;
		size_t elen;

		if ((ret = next_entry(w, &content, &pos, mode, &ename, &elen, &eid)) <= 0)
			break;
		if (elen == len && !memcmp(ename, name, len)) {
			memcpy(id, eid, w->rawsz);
			ret = 1;
			break;
		}
	}
	strbuf_release(&content);
	return ret;
}

/* Count (and remember) the treeptrs at or below PATH of root tree ROOT. */
static int walk_path(struct walk *w, const unsigned char *root, const char *path,
		     size_t *count)
{
	unsigned char id[RAW_MAX];
	unsigned mode = MODE_TREE;
	const char *p = path;
	size_t depth = 0;
	int ret, ctx = -1;

	*count = 0;
	memcpy(id, root, w->rawsz);
	strbuf_reset(&w->path);
	while (*p) {
		size_t len = strcspn(p, "/");
		if (mode != MODE_TREE)
			return 0;	/* a file where a directory was asked */
		if ((ret = find_entry(w, id, p, len, &mode, id, &ctx)) <= 0)
			return ret;
		if (mode == MODE_TREE)
			ctx = sub_context(w, p, len, ctx);
		if ((w->path.len && (ret = strbuf_addch(&w->path, '/')) < 0) ||
		    (ret = strbuf_add(&w->path, p, len)) < 0)
			return ret;
		p += len;
		depth++;
		while (*p == '/')
			p++;
	}
	if ((ret = strbuf_grow(&w->path, 0)) < 0)
		return ret;
	if (mode == MODE_TREE)
		return walk_tree(w, id, ctx, depth, count);
	if ((mode & MODE_FILE_MASK) == MODE_FILE &&
	    has_suffix(w->path.buf, w->path.len, SILO_TREEPTR_SUFFIX)) {
		*count = 1;
		return add_blob(w, id, ctx, w->path.buf);
	}
	return 0;
}

/* Count the treeptrs of commit HEX (within OPTS' paths) into *COUNT. */
static int walk_commit(struct walk *w, const char *hex,
		       const struct silo_history_options *opts, size_t *count)
{
	struct strbuf content = STRBUF_INIT;
	unsigned char root[RAW_MAX];
	char type[16];
	size_t i, n;
	int ret;

	if ((ret = git_batch_read(&w->git, hex, type, &content)) < 0)
		goto out;
	if (strcmp(type, "commit") || content.len < 5 + 2 * w->rawsz ||
	    memcmp(content.buf, "tree ", 5) || hex_to_raw(root, content.buf + 5, w->rawsz)) {
		ret = silo_error_set(SILO_ECORRUPT, "git object %s is not a commit", hex);
		goto out;
	}
	if (!opts->n_paths) {
		ret = walk_path(w, root, "", count);
		goto out;
	}
	*count = 0;
	for (i = 0; i < opts->n_paths; i++) {
		if ((ret = walk_path(w, root, opts->paths[i], &n)) < 0)
			goto out;
		*count += n;
		if (w->path_counts)
			w->path_counts[i] += n;
	}
out:
	strbuf_release(&content);
	return ret;
}

/* Walk every commit id (one per line) of LIST; *COUNT sums their treeptrs. */
static int walk_commits(struct walk *w, const struct strbuf *list,
			const struct silo_history_options *opts, size_t *count)
{
	const char *p = list->buf ? list->buf : "";
	size_t hexsz = 2 * w->rawsz, n;
	int ret;

	*count = 0;
	while (*p) {
		char hex[2 * RAW_MAX + 1];
		size_t len = strcspn(p, "\n");
		if (len != hexsz)
			return silo_error_set(SILO_ERROR, "git rev-list: unexpected line '%.*s'",
					      (int)len, p);
		memcpy(hex, p, len);
		hex[len] = '\0';
		if ((ret = walk_commit(w, hex, opts, &n)) < 0)
			return ret;
		*count += n;
		p += len;
		if (*p == '\n')
			p++;
	}
	return 0;
}

/* The commits of revision REV: its own, or every one of a range. */
static int rev_commits(struct strbuf *out, const char *repo, const char *rev)
{
	struct strbuf arg = STRBUF_INIT;
	int ret;

	if (rev[0] == '-' || !rev[0])
		return silo_error_set(SILO_EINVALID, "'%s' is not a git revision", rev);
	if (strstr(rev, "..")) {
		const char *args[] = { "rev-list", rev, "--", NULL };
		ret = git_capture(out, repo, args);
	} else {
		const char *args[] = { "rev-parse", "--verify", "--quiet", NULL, NULL };
		if ((ret = strbuf_addf(&arg, "%s^{commit}", rev)) < 0)
			return ret;
		args[3] = arg.buf;
		ret = git_capture(out, repo, args);
		strbuf_release(&arg);
	}
	if (ret < 0 && silo_error_last() == SILO_ERROR)
		return silo_error_set(SILO_ENOTFOUND, "'%s' is not a commit of the git repository",
				      rev);
	return ret;
}

/*
 * Every commit of --all (with --since: of that period, and every tip):
 * from every ref and HEAD, and from every reflog entry, as git gc keeps
 * them: a stash below the latest (stash@{1}) and a commit reset away are
 * named by reflogs alone, and git brings them back.
 */
static int all_commits(struct strbuf *out, const char *repo, const char *since)
{
	struct strbuf arg = STRBUF_INIT;
	int ret;

	if (!since) {
		const char *args[] = { "rev-list", "--all", "--reflog", NULL };
		return git_capture(out, repo, args);
	}
	{
		const char *tips[] = { "rev-list", "--all", "--no-walk", NULL };
		if ((ret = git_capture(out, repo, tips)) < 0)
			return ret;
	}
	if ((ret = strbuf_addf(&arg, "--since=%s", since)) < 0)
		return ret;
	{
		const char *args[] = { "rev-list", "--all", "--reflog", arg.buf, NULL };
		ret = git_capture(out, repo, args);
	}
	strbuf_release(&arg);
	return ret;
}

/* The next line of *P (moved past it) into LINE, without its newline. */
static void next_line(const char **p, const char **line, size_t *len)
{
	*line = *p;
	*len = strcspn(*p, "\n");
	*p += *len + ((*p)[*len] == '\n');
}

/*
 * What the walk needs of the repository: its id size (20 for SHA-1, 32
 * for SHA-256) and the way from here to the top of its work tree; and a
 * history git knows to be incomplete is refused, naming how to make it
 * whole: what its missing commits name would look unreferenced.
 */
static int repo_check(struct walk *w, const char *repo)
{
	const char *args[] = { "rev-parse", "--show-object-format", "--show-cdup",
			       "--is-shallow-repository", "--git-path", "info/grafts", NULL };
	const char *config[] = { "config", "--list", NULL };
	struct strbuf out = STRBUF_INIT, prefix = STRBUF_INIT;
	const char *p, *format, *cdup, *shallow, *grafts;
	size_t flen, clen, slen, glen;
	int ret;

	if ((ret = git_capture(&out, repo, args)) < 0)
		goto out;
	p = out.buf;
	next_line(&p, &format, &flen);
	next_line(&p, &cdup, &clen);
	next_line(&p, &shallow, &slen);
	next_line(&p, &grafts, &glen);
	if (flen == 4 && !memcmp(format, "sha1", 4)) {
		w->rawsz = 20;
	} else if (flen == 6 && !memcmp(format, "sha256", 6)) {
		w->rawsz = 32;
	} else {
		ret = silo_error_set(SILO_EINVALID, "git repository of unknown object format '%.*s'",
				     (int)flen, format);
		goto out;
	}
	if (slen == 4 && !memcmp(shallow, "true", 4)) {
		ret = silo_error_set(SILO_EUNSAFE, "the git repository is a shallow clone: "
				     "what the commits it lacks name would look unreferenced; "
				     "deepen it first (git fetch --unshallow)");
		goto out;
	}
	/* git names it relative to REPO, where it ran. */
	if (grafts[0] != '/' && strcmp(repo, ".") && (ret = strbuf_addf(&prefix, "%s/", repo)) < 0)
		goto out;
	if ((ret = strbuf_add(&prefix, grafts, glen)) < 0)
		goto out;
	if (fs_exists(prefix.buf) > 0) {
		ret = silo_error_set(SILO_EUNSAFE, "the git repository has grafts ('%s'): its "
				     "history is not the one its commits record; convert or "
				     "remove them first (git replace --convert-graft-file)",
				     prefix.buf);
		goto out;
	}
	strbuf_reset(&prefix);
	if (strcmp(repo, ".") && (ret = strbuf_addf(&prefix, "%s/", repo)) < 0)
		goto out;
	if ((ret = strbuf_add(&prefix, cdup, clen)) < 0 || (ret = strbuf_grow(&prefix, 0)) < 0)
		goto out;
	w->prefix = strbuf_detach(&prefix);
	/* A partial clone lacks the objects its filter left out. */
	strbuf_reset(&out);
	if ((ret = git_capture(&out, repo, config)) < 0)
		goto out;
	for (p = out.buf; *p;) {
		const char *line, *eq;
		size_t len;
		next_line(&p, &line, &len);
		eq = memchr(line, '=', len);
		if (!eq)
			continue;
		if ((eq - line == 23 && !strncmp(line, "extensions.partialclone", 23)) ||
		    (eq - line > 16 && !strncmp(line, "remote.", 7) &&
		     !strncmp(eq - 9, ".promisor", 9) && len - (size_t)(eq - line) == 5 &&
		     !strncmp(eq, "=true", 5))) {
			ret = silo_error_set(SILO_EUNSAFE, "the git repository is a partial clone "
					     "('%.*s'): what the objects it lacks name would look "
					     "unreferenced; use a full clone", (int)len, line);
			goto out;
		}
	}
out:
	strbuf_release(&out);
	strbuf_release(&prefix);
	return ret;
}

/* The text of context CTX's SILO.json, read once. */
static int context_text(struct walk *w, struct context *c)
{
	char hex[2 * RAW_MAX + 1], type[16];
	int ret;

	if (c->read)
		return 0;
	raw_to_hex(hex, c->raw, w->rawsz);
	if ((ret = git_batch_read(&w->git, hex, type, &c->text)) < 0 ||
	    (ret = strbuf_grow(&c->text, 0)) < 0)
		return ret;
	c->read = 1;
	return 0;
}

/* Tell OPTS' on_treeptr of TP, found as blob B (HEX); NAME for messages. */
static int tell(struct walk *w, const struct silo_history_options *opts,
		const struct silo_treeptr *tp, const struct found_blob *b, const char *name)
{
	struct silo_history_treeptr t;
	struct strbuf path = STRBUF_INIT, sj = STRBUF_INIT;
	int ret;

	memset(&t, 0, sizeof(t));
	t.tp = tp;
	t.name = name;
	if ((ret = strbuf_addf(&path, "%s%s", w->prefix, b->path)) < 0)
		goto out;
	t.path = path.buf;
	if (b->ctx >= 0) {
		struct context *c = &w->ctxs[b->ctx];
		if ((ret = context_text(w, c)) < 0 ||
		    (ret = strbuf_addf(&sj, "%s%s%s" SILO_SILOJSON_NAME, w->prefix, c->dir,
				       c->dir[0] ? "/" : "")) < 0)
			goto out;
		t.silojson_path = sj.buf;
		t.silojson_text = c->text.buf;
		t.silojson_len = c->text.len;
	}
	ret = opts->on_treeptr(opts->treeptr_payload, &t);
out:
	strbuf_release(&path);
	strbuf_release(&sj);
	return ret;
}

/* Read every treeptr blob found and add its roots to SET. */
static int read_blobs(struct walk *w, struct silo_oid_set *set, size_t *bad,
		      const struct silo_history_options *opts,
		      silo_history_error_cb on_error, void *payload)
{
	struct strbuf content = STRBUF_INIT, name = STRBUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; i < w->blobs_cap; i++) {
		struct silo_treeptr tp = SILO_TREEPTR_INIT;
		char hex[2 * RAW_MAX + 1], type[16];

		if (!w->blobs[i].path)
			continue;
		raw_to_hex(hex, w->blobs[i].raw, w->rawsz);
		if ((ret = git_batch_read(&w->git, hex, type, &content)) < 0)
			break;
		strbuf_reset(&name);
		if ((ret = strbuf_addf(&name, "%s (git blob %.12s)", w->blobs[i].path, hex)) < 0)
			break;
		ret = silo_treeptr_parse(&tp, content.buf ? content.buf : "", content.len, name.buf);
		if (ret < 0) {
			if (ret == SILO_ENOMEM)
				break;
			(*bad)++;
			if (on_error)
				on_error(payload, ret);
			ret = 0;
			continue;
		}
		ret = silo_treeptr_roots(set, &tp);
		if (!ret && opts->on_treeptr)
			ret = tell(w, opts, &tp, &w->blobs[i], name.buf);
		silo_treeptr_release(&tp);
		if (ret)
			break;
	}
	strbuf_release(&content);
	strbuf_release(&name);
	return ret;
}

static void walk_release(struct walk *w)
{
	size_t i;

	for (i = 0; i < w->blobs_cap; i++)
		free(w->blobs[i].path);
	free(w->blobs);
	free(w->seen);
	for (i = 0; i < w->n_ctxs; i++) {
		free(w->ctxs[i].dir);
		strbuf_release(&w->ctxs[i].text);
	}
	free(w->ctxs);
	free(w->prefix);
	strbuf_release(&w->path);
}

int silo_reachable_history(struct silo_oid_set *set, struct silo_history_result *result,
			   const char *repo_dir, const struct silo_history_options *opts,
			   silo_history_error_cb on_error, void *payload)
{
	struct walk w;
	struct strbuf commits = STRBUF_INIT;
	size_t i, n;
	int ret, fret;

	memset(&w, 0, sizeof(w));
	result->bad_treeptrs = 0;
	w.path_counts = result->path_treeptrs;
	w.track = opts->on_treeptr != NULL;
	for (i = 0; w.path_counts && i < opts->n_paths; i++)
		w.path_counts[i] = 0;
	if ((ret = repo_check(&w, repo_dir)) < 0) {
		walk_release(&w);
		return ret;
	}
	if ((ret = git_batch_start(&w.git, repo_dir)) < 0) {
		walk_release(&w);
		return ret;
	}
	for (i = 0; i < opts->n_revs && ret >= 0; i++) {
		strbuf_reset(&commits);
		if ((ret = rev_commits(&commits, repo_dir, opts->revs[i])) < 0)
			break;
		if ((ret = walk_commits(&w, &commits, opts, &n)) < 0)
			break;
		if (result->rev_treeptrs)
			result->rev_treeptrs[i] = n;
	}
	if (ret >= 0 && opts->all) {
		strbuf_reset(&commits);
		if ((ret = all_commits(&commits, repo_dir, opts->since)) >= 0 &&
		    (ret = walk_commits(&w, &commits, opts, &n)) >= 0 && result->rev_treeptrs)
			result->rev_treeptrs[opts->n_revs] = n;
	}
	if (ret >= 0)
		ret = read_blobs(&w, set, &result->bad_treeptrs, opts, on_error, payload);
	fret = git_batch_finish(&w.git);
	if (ret >= 0)
		ret = fret;
	strbuf_release(&commits);
	walk_release(&w);
	silo_oid_set_sort(set);
	return ret;
}

int silo_history_path(char **out, const char *repo_dir, const char *dir)
{
	const char *args[] = { "rev-parse", "--show-toplevel", "--show-prefix", NULL };
	struct strbuf top = STRBUF_INIT, rel = STRBUF_INIT;
	char *nl;
	int ret;

	*out = NULL;
	if ((ret = git_capture(&top, repo_dir, args)) < 0)
		goto out;
	/* Two lines: the top, and where REPO_DIR is below it ("a/b/" or ""). */
	if (!(nl = strchr(top.buf, '\n'))) {
		ret = silo_error_set(SILO_ERROR, "git rev-parse: unexpected output");
		goto out;
	}
	*nl = '\0';
	if (dir[0] == '/') {
		size_t tl = strlen(top.buf);
		if (strncmp(dir, top.buf, tl) || (dir[tl] && dir[tl] != '/')) {
			ret = silo_error_set(SILO_EINVALID, "'%s' is outside the git repository '%s'",
					     dir, top.buf);
			goto out;
		}
		dir += tl;
	} else {
		const char *prefix = nl + 1;
		if ((ret = strbuf_add(&rel, prefix, strcspn(prefix, "\n"))) < 0)
			goto out;
	}
	if ((ret = strbuf_adds(&rel, dir)) < 0)
		goto out;
	/* Normalise: drop "." and empty components, resolve "..". */
	{
		char *src = rel.buf ? rel.buf : (char *)"", *tok, *save = NULL;
		struct strbuf norm = STRBUF_INIT;
		for (tok = strtok_r(src, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
			if (!strcmp(tok, "."))
				continue;
			if (!strcmp(tok, "..")) {
				char *slash;
				if (!norm.len) {
					strbuf_release(&norm);
					ret = silo_error_set(SILO_EINVALID,
							     "'%s' is outside the git repository", dir);
					goto out;
				}
				slash = strrchr(norm.buf, '/');
				strbuf_setlen(&norm, slash ? (size_t)(slash - norm.buf) : 0);
				continue;
			}
			if ((norm.len && (ret = strbuf_addch(&norm, '/')) < 0) ||
			    (ret = strbuf_adds(&norm, tok)) < 0) {
				strbuf_release(&norm);
				goto out;
			}
		}
		if (!norm.buf && (ret = strbuf_adds(&norm, "")) < 0)
			goto out;
		*out = strbuf_detach(&norm);
	}
out:
	strbuf_release(&top);
	strbuf_release(&rel);
	return ret < 0 ? ret : 0;
}
