/*
 * The pages of one tree (its listing, directory by directory, each
 * directory split into pages of WEB_PAGE_ROWS entries, and the file
 * viewer) and of the difference of two trees.  Trees never change, so
 * these pages are written once: into a staging directory, renamed into
 * place whole, and kept by later runs (t/<key>/tree.json, d/<dir>/diff.json
 * say they are complete).
 */
#include "medo-web-internal.h"
#include "error-internal.h"
#include "fsutil.h"
#include "alloc.h"
#include "silo/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void web_tree_key(char *key, const struct silo_treeptr *tp)
{
	silo_oid_to_hex(key, tp->kind == SILO_TREEPTR_TREE ? &tp->tree : &tp->object);
}

/* Read the JSON file DIR/NAME of OUT if it says WEB_FORMAT. */
static json_t *kept_json(const char *out, const char *dir, const char *name)
{
	struct strbuf path = STRBUF_INIT;
	json_t *doc = NULL, *v;

	if (strbuf_addf(&path, "%s/%s/%s", out, dir, name) == 0)
		doc = json_load_file(path.buf, 0, NULL);
	strbuf_release(&path);
	v = json_object_get(doc, "medo-web");
	if (!json_is_integer(v) || json_integer_value(v) != WEB_FORMAT) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static uint64_t json_u64(const json_t *doc, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(doc, key));

	return v > 0 ? (uint64_t)v : 0;
}

int web_tree_kept(const char *out, struct web_tree_info *info)
{
	char dir[SILO_OID_MAX_HEXSZ + 3];
	const char *archive;
	json_t *doc;

	snprintf(dir, sizeof(dir), "t/%s", info->key);
	if (!(doc = kept_json(out, dir, "tree.json")))
		return 0;
	info->files = json_u64(doc, "files");
	info->bytes = json_u64(doc, "bytes");
	archive = json_string_value(json_object_get(doc, "archive"));
	snprintf(info->archive, sizeof(info->archive), "%s", archive ? archive : "");
	json_decref(doc);
	return 1;
}

/* What the object of a tree of kind tar or archive is, from its start. */
static void sniff_archive(silo_medo_tree *t, struct web_tree_info *info)
{
	unsigned char h[512];
	size_t n = 0;
	const char *what = "other";

	if (silo_medo_tree_head(t, h, sizeof(h), &n) < 0) {
		silo_error_clear();
	} else if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) {
		what = "tar.gz";
	} else if (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6)) {
		what = "xz";
	} else if (n >= 3 && !memcmp(h, "BZh", 3)) {
		what = "bzip2";
	} else if (n >= 4 && !memcmp(h, "\x28\xb5\x2f\xfd", 4)) {
		what = "zstd";
	} else if (n >= 4 && !memcmp(h, "PK\3\4", 4)) {
		what = "zip";
	} else if (n >= 262 && !memcmp(h + 257, "ustar", 5)) {
		what = "tar";
	}
	snprintf(info->archive, sizeof(info->archive), "%s", what);
}

/* ---- the listing ---- */

struct tw {
	struct web_writer *w;
	silo_medo_tree *t;
	const struct silo_treeptr *tp;
	struct web_tree_info *info;
	char *stage;		/* the staging directory */
	size_t n_dirs;
	size_t *parent;		/* of each directory; root: itself */
	uint64_t *files, *bytes;	/* below each directory */
	struct silo_medo_tree_node *ents;	/* one directory's entries */
	size_t n_ents, alloc_ents;
	struct strbuf page, path;
};

/* The directory node of the parent of PATH. */
static size_t parent_of(const silo_medo_tree *t, const char *path)
{
	struct silo_medo_tree_node node;
	const char *slash = strrchr(path, '/');
	char *dir;
	size_t n = 0;

	if (!slash)
		return 0;
	if (!(dir = strndup(path, (size_t)(slash - path))))
		return 0;
	if (silo_medo_tree_lookup(t, dir, &node) == 0 && node.mode == 040000)
		n = node.node;
	else
		silo_error_clear();
	free(dir);
	return n;
}

/* Each directory's parent, and the files and bytes below it. */
static int tw_totals(struct tw *tw)
{
	size_t i, n = silo_medo_tree_count(tw->t);
	struct silo_medo_tree_node node;

	for (i = 0; i < n; i++) {
		silo_medo_tree_node(tw->t, i, &node);
		if (node.mode == 040000)
			tw->n_dirs = i + 1;
	}
	if (!(tw->parent = calloc(tw->n_dirs, sizeof(*tw->parent))) ||
	    !(tw->files = calloc(tw->n_dirs, sizeof(*tw->files))) ||
	    !(tw->bytes = calloc(tw->n_dirs, sizeof(*tw->bytes))))
		return silo__error_oom();
	for (i = 1; i < tw->n_dirs; i++) {
		silo_medo_tree_node(tw->t, i, &node);
		tw->parent[i] = parent_of(tw->t, node.path);
	}
	for (i = tw->n_dirs; i < n; i++) {
		size_t d;
		silo_medo_tree_node(tw->t, i, &node);
		d = parent_of(tw->t, node.path);
		for (;;) {
			tw->files[d]++;
			tw->bytes[d] += node.size;
			if (!d)
				break;
			d = tw->parent[d];
		}
		tw->info->files++;
		tw->info->bytes += node.size;
	}
	return 0;
}

static int collect(void *payload, const struct silo_medo_tree_node *e)
{
	struct tw *tw = payload;

	if (ALLOC_GROW(tw->ents, tw->n_ents + 1, tw->alloc_ents) < 0)
		return silo__error_oom();
	tw->ents[tw->n_ents++] = *e;
	return 0;
}

/* Directories first, each group in git's order (kept: the sort is stable
 * by node number, which follows path order). */
static int dirs_first(const void *a, const void *b)
{
	const struct silo_medo_tree_node *x = a, *y = b;
	int dx = x->mode == 040000, dy = y->mode == 040000;

	if (dx != dy)
		return dy - dx;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* The file name of page PAGE (0-based) of directory D. */
static void page_name(char *buf, size_t n, size_t d, size_t page)
{
	if (!d)
		snprintf(buf, n, page ? "index-%zu.html" : "index.html", page + 1);
	else if (page)
		snprintf(buf, n, "d%zu-%zu.html", d, page + 1);
	else
		snprintf(buf, n, "d%zu.html", d);
}

/* The breadcrumbs of directory D: the tree, then each directory above. */
static int crumbs(struct tw *tw, struct strbuf *sb, size_t d, const char *title_key)
{
	struct silo_medo_tree_node node;
	size_t *chain, n = 0, i;
	char name[64];
	int ret;

	for (i = d; i; i = tw->parent[i])
		n++;
	if (!(chain = malloc((n ? n : 1) * sizeof(*chain))))
		return silo__error_oom();
	for (n = 0, i = d; i; i = tw->parent[i])
		chain[n++] = i;
	/* The last is the page itself: text, not a link. */
	ret = d ? strbuf_addf(sb, "<li><a href=\"index.html\">tree %.12s</a></li>", title_key) :
		  strbuf_addf(sb, "<li class=\"here\">tree %.12s</li>", title_key);
	while (!ret && n-- > 0) {
		silo_medo_tree_node(tw->t, chain[n], &node);
		page_name(name, sizeof(name), chain[n], 0);
		if ((ret = n ? strbuf_addf(sb, "<li><a href=\"%s\">", name) :
			       strbuf_adds(sb, "<li class=\"here\">")) == 0 &&
		    (ret = html_esc(sb, node.name)) == 0)
			ret = strbuf_adds(sb, n ? "</a></li>" : "</li>");
	}
	free(chain);
	return ret;
}

/* The links to every page of a directory of PAGES pages, at page AT. */
static int pager(struct strbuf *sb, size_t d, size_t pages, size_t at)
{
	char name[64];
	size_t i;
	int ret;

	if (pages < 2)
		return 0;
	if ((ret = strbuf_addf(sb, "<nav class=\"pager\" aria-label=\"Pages of this directory\">"
			       "<p>Page %zu of %zu:</p><ul>", at + 1, pages)))
		return ret;
	for (i = 0; i < pages; i++) {
		page_name(name, sizeof(name), d, i);
		ret = i == at ? strbuf_addf(sb, "<li><span class=\"here\">%zu"
					    "<span class=\"vh\"> (this page)</span></span></li>", i + 1) :
				strbuf_addf(sb, "<li><a href=\"%s\">%zu</a></li>", name, i + 1);
		if (ret)
			return ret;
	}
	return strbuf_adds(sb, "</ul></nav>\n");
}

int web_file_link(struct strbuf *sb, const char *prefix, const struct silo_medo_tree_node *e)
{
	char hex[SILO_OID_MAX_HEXSZ + 1];
	int ret;

	if ((ret = strbuf_addf(sb, "%sf.html#p=", prefix)) || (ret = html_url(sb, e->path, 1)))
		return ret;
	return strbuf_addf(sb, "&amp;b=%s&amp;s=%llu%s", silo_oid_to_hex(hex, &e->id),
			   (unsigned long long)e->size,
			   e->mode == SILO_MODE_EXEC ? "&amp;m=x" :
			   e->mode == SILO_MODE_SYMLINK ? "&amp;m=l" : "");
}

static int row(struct tw *tw, struct strbuf *sb, const struct silo_medo_tree_node *e)
{
	char name[64], size[32], count[32];
	int ret;

	if (e->mode == 040000) {
		page_name(name, sizeof(name), e->node, 0);
		web_fmt_count(count, sizeof(count), tw->files[e->node]);
		web_fmt_size(size, sizeof(size), tw->bytes[e->node]);
		if ((ret = strbuf_addf(sb, "<tr><td><a class=\"dir\" href=\"%s\">", name)) ||
		    (ret = html_esc(sb, e->name)) ||
		    (ret = strbuf_addf(sb, "/</a></td><td class=\"n\">%s file%s</td>"
				       "<td class=\"n\">%s</td></tr>\n", count,
				       tw->files[e->node] == 1 ? "" : "s", size)))
			return ret;
		return 0;
	}
	web_fmt_size(size, sizeof(size), e->size);
	if ((ret = strbuf_adds(sb, "<tr><td><a href=\"")) || (ret = web_file_link(sb, "", e)) ||
	    (ret = strbuf_adds(sb, "\">")) || (ret = html_esc(sb, e->name)) ||
	    (ret = strbuf_adds(sb, "</a>")))
		return ret;
	if (e->mode == SILO_MODE_EXEC)
		ret = strbuf_adds(sb, " <span class=\"tag\">executable</span>");
	else if (e->mode == SILO_MODE_SYMLINK)
		ret = strbuf_adds(sb, " <span class=\"tag\">symlink</span>");
	if (ret)
		return ret;
	return strbuf_addf(sb, "</td><td class=\"n\"></td><td class=\"n\" title=\"%llu bytes\">%s"
			   "</td></tr>\n", (unsigned long long)e->size, size);
}

/* The pages of directory D. */
static int tw_dir(struct tw *tw, size_t d)
{
	struct silo_medo_tree_node node;
	char name[64], key_files[32], key_size[32];
	size_t pages, p, i;
	int ret;

	tw->n_ents = 0;
	if ((ret = silo_medo_tree_list(tw->t, d, collect, tw)) < 0)
		return ret;
	qsort(tw->ents, tw->n_ents, sizeof(*tw->ents), dirs_first);
	silo_medo_tree_node(tw->t, d, &node);
	pages = tw->n_ents ? (tw->n_ents + WEB_PAGE_ROWS - 1) / WEB_PAGE_ROWS : 1;
	web_fmt_count(key_files, sizeof(key_files), tw->files[d]);
	web_fmt_size(key_size, sizeof(key_size), tw->bytes[d]);
	for (p = 0; p < pages; p++) {
		struct strbuf *sb = &tw->page, title = STRBUF_INIT, nav = STRBUF_INIT;

		strbuf_reset(sb);
		if ((ret = strbuf_addf(&title, "%s — tree %.12s", d ? node.path : "/",
				       tw->info->key)) ||
		    (pages > 1 && (ret = strbuf_addf(&title, " (page %zu of %zu)", p + 1, pages))) ||
		    (ret = crumbs(tw, &nav, d, tw->info->key)) ||
		    (ret = html_head(sb, "../../", title.buf, nav.buf, "class=\"listing\"")))
			goto page_out;
		if ((ret = strbuf_adds(sb, "<h1>")) ||
		    (ret = html_esc(sb, d ? node.path : "/")) ||
		    (ret = strbuf_addf(sb, "</h1>\n<p class=\"meta\">Tree <code>%s</code>: "
				       "%s file%s, %s.", tw->info->key, key_files,
				       tw->files[d] == 1 ? "" : "s", key_size)))
			goto page_out;
		if (tw->tp->kind != SILO_TREEPTR_TREE)
			ret = strbuf_addf(sb, " Files are read from the %s archive in the silo.",
					  tw->info->archive);
		if (ret || (ret = strbuf_adds(sb, "</p>\n")) || (ret = pager(sb, d, pages, p)))
			goto page_out;
		if ((ret = strbuf_adds(sb, "<div class=\"scroll\"><table class=\"files\">\n"
				       "<caption>Entries of ")) ||
		    (ret = html_esc(sb, d ? node.path : "/")) ||
		    (ret = strbuf_adds(sb, "</caption>\n<thead><tr><th scope=\"col\">Name</th>"
				       "<th scope=\"col\" class=\"n\">Files</th>"
				       "<th scope=\"col\" class=\"n\">Size</th></tr></thead>\n<tbody>\n")))
			goto page_out;
		for (i = p * WEB_PAGE_ROWS; i < tw->n_ents && i < (p + 1) * WEB_PAGE_ROWS; i++)
			if ((ret = row(tw, sb, &tw->ents[i])) < 0)
				goto page_out;
		if ((ret = strbuf_adds(sb, "</tbody>\n</table></div>\n")) ||
		    (ret = pager(sb, d, pages, p)) || (ret = html_foot(sb)))
			goto page_out;
		page_name(name, sizeof(name), d, p);
		strbuf_reset(&tw->path);
		if ((ret = strbuf_addf(&tw->path, "%s/%s", tw->stage, name)) == 0)
			ret = web_write_new(tw->w, tw->path.buf, sb, 1);
page_out:
		strbuf_release(&title);
		strbuf_release(&nav);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The viewer of the tree's files (f.html): what the script needs to find
 * the bytes in the silo, in data attributes of <main>. */
static int tw_viewer(struct tw *tw)
{
	struct strbuf sb = STRBUF_INIT, attrs = STRBUF_INIT, nav = STRBUF_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	size_t i;
	int ret;

	if ((ret = strbuf_addf(&attrs, "class=\"viewer\" data-kind=\"%s\" data-format=\"%s\" "
			       "data-tree=\"%s\"", silo_treeptr_kind_name(tw->tp->kind),
			       silo_oid_format_name(tw->tp->tree.format),
			       silo_oid_to_hex(hex, &tw->tp->tree))) ||
	    (ret = strbuf_addf(&attrs, " data-object=\"%s\" data-object-size=\"%llu\"",
			       silo_oid_to_hex(hex, &tw->tp->object),
			       (unsigned long long)tw->tp->size)) ||
	    (tw->info->archive[0] &&
	     (ret = strbuf_addf(&attrs, " data-archive=\"%s\"", tw->info->archive))) ||
	    (ret = strbuf_adds(&attrs, " data-packs=\"")))
		goto out;
	for (i = 0; i < silo_treeptr_n_packs(tw->tp) && !ret; i++)
		ret = strbuf_addf(&attrs, "%s%s", i ? " " : "", silo_treeptr_pack(tw->tp, i));
	if (ret || (ret = strbuf_adds(&attrs, "\"")) ||
	    (ret = strbuf_addf(&nav, "<li><a href=\"index.html\">tree %.12s</a></li>"
			       "<li id=\"crumb-dirs\" hidden></li>", tw->info->key)) ||
	    (ret = html_head(&sb, "../../", "File — tree", nav.buf, attrs.buf)) ||
	    (ret = strbuf_addf(&sb,
		"<h1 id=\"file-name\">File</h1>\n"
		"<dl class=\"facts\" id=\"file-facts\"></dl>\n"
		"<p id=\"status\" role=\"status\" aria-live=\"polite\">"
		"Reading a file's bytes from the silo needs JavaScript.</p>\n"
		"<noscript><p>This page reads the file from the silo with JavaScript, "
		"which is off. The listing works without it; to read the file, run "
		"<code>medo cat</code> on the treeptr of tree <code>%s</code>, "
		"or <code>silo cat</code> on the blob id in the address of this page.</p>"
		"</noscript>\n"
		"<div id=\"content\"></div>\n", tw->info->key)) ||
	    (ret = html_foot(&sb)))
		goto out;
	strbuf_reset(&tw->path);
	if ((ret = strbuf_addf(&tw->path, "%s/f.html", tw->stage)) == 0)
		ret = web_write_new(tw->w, tw->path.buf, &sb, 1);
out:
	strbuf_release(&sb);
	strbuf_release(&attrs);
	strbuf_release(&nav);
	return ret;
}

static int write_json(struct web_writer *w, const char *path, json_t *doc)
{
	struct strbuf sb = STRBUF_INIT;
	char *text;
	int ret;

	if (!doc || !(text = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2)))) {
		json_decref(doc);
		return silo__error_oom();
	}
	json_decref(doc);
	if ((ret = strbuf_adds(&sb, text)) == 0 && (ret = strbuf_addch(&sb, '\n')) == 0)
		ret = web_write_new(w, path, &sb, 0);
	free(text);
	strbuf_release(&sb);
	return ret;
}

/* Rename the finished staging directory STAGE to FINAL; one there
 * already (another run's, or of an older version) is replaced. */
static int put_in_place(const char *stage, const char *final)
{
	if (fs_syncfs(stage) < 0)
		silo_error_clear();	/* a site is made again from its sources */
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST && errno != ENOTEMPTY)
		return silo__error_errno("cannot rename '%s' to '%s'", stage, final);
	/* Exchanged, then the old pages removed. */
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, final, RENAME_EXCHANGE) < 0)
		return silo__error_errno("cannot replace '%s'", final);
	return silo_tree_remove(stage);
}

/* A new staging directory OUT/SUB/.tmp-NAME-XXXXXX. */
static int make_stage(char **stage, const char *out, const char *sub, const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	int ret;

	*stage = NULL;
	if ((ret = strbuf_addf(&sb, "%s/%s", out, sub)) < 0)
		return ret;
	if ((ret = fs_mkdir_p(sb.buf, 0777)) < 0) {
		strbuf_release(&sb);
		return ret;
	}
	fs_remove_stale_temps(sb.buf, ".tmp-");
	if ((ret = strbuf_addf(&sb, "/.tmp-%.16s-XXXXXX", name)) < 0)
		return ret;
	if ((ret = web_mkdtemp(sb.buf)) < 0) {
		strbuf_release(&sb);
		return ret;
	}
	*stage = strbuf_detach(&sb);
	return 0;
}

int web_tree_write(struct web_writer *w, const char *out, silo_medo_tree *t,
		   struct web_tree_info *info)
{
	struct tw tw;
	struct strbuf final = STRBUF_INIT;
	size_t d;
	int ret;

	memset(&tw, 0, sizeof(tw));
	tw.w = w;
	tw.t = t;
	tw.tp = silo_medo_tree_treeptr(t);
	tw.info = info;
	web_tree_key(info->key, tw.tp);
	info->files = info->bytes = 0;
	info->archive[0] = '\0';
	if (tw.tp->kind != SILO_TREEPTR_TREE)
		sniff_archive(t, info);
	if ((ret = make_stage(&tw.stage, out, "t", info->key)) < 0 || (ret = tw_totals(&tw)) < 0)
		goto out;
	for (d = 0; d < tw.n_dirs; d++)
		if ((ret = tw_dir(&tw, d)) < 0)
			goto out;
	if ((ret = tw_viewer(&tw)) < 0)
		goto out;
	strbuf_reset(&tw.path);
	if ((ret = strbuf_addf(&tw.path, "%s/tree.json", tw.stage)) < 0 ||
	    (ret = write_json(w, tw.path.buf, json_pack("{s:i,s:s,s:s,s:I,s:I,s:s}",
			"medo-web", WEB_FORMAT, "kind", silo_treeptr_kind_name(tw.tp->kind),
			"key", info->key, "files", (json_int_t)info->files,
			"bytes", (json_int_t)info->bytes, "archive", info->archive))) < 0)
		goto out;
	if ((ret = strbuf_addf(&final, "%s/t/%s", out, info->key)) < 0)
		goto out;
	if ((ret = put_in_place(tw.stage, final.buf)) == 0) {
		free(tw.stage);
		tw.stage = NULL;
	}
out:
	if (tw.stage) {
		silo_tree_remove(tw.stage);
		free(tw.stage);
	}
	free(tw.parent);
	free(tw.files);
	free(tw.bytes);
	free(tw.ents);
	strbuf_release(&tw.page);
	strbuf_release(&tw.path);
	strbuf_release(&final);
	return ret;
}

/* ---- differences ---- */

void web_diff_dir(char *dir, const char *key_a, const char *key_b)
{
	snprintf(dir, 2 * SILO_OID_MAX_HEXSZ + 2, "%s-%s", key_a, key_b);
}

int web_diff_kept(const char *out, struct web_diff_info *info)
{
	char dir[2 * SILO_OID_MAX_HEXSZ + 4];
	json_t *doc;

	snprintf(dir, sizeof(dir), "d/%s", info->dir);
	if (!(doc = kept_json(out, dir, "diff.json")))
		return 0;
	info->added = json_u64(doc, "added");
	info->removed = json_u64(doc, "removed");
	info->changed = json_u64(doc, "changed");
	json_decref(doc);
	return 1;
}

struct dchange {
	char what;		/* 'a', 'r', 'c', 'm' */
	char *path;
	struct silo_medo_tree_node na, nb;	/* sides that have it */
};

struct dw {
	silo_medo_tree *a, *b;
	struct dchange *v;
	size_t n, alloc;
	uint64_t bytes_a, bytes_b;	/* of the changed paths, each side */
};

static int on_change(void *payload, const char *what, const char *path)
{
	struct dw *dw = payload;
	struct dchange *c;

	if (ALLOC_GROW(dw->v, dw->n + 1, dw->alloc) < 0)
		return silo__error_oom();
	c = &dw->v[dw->n];
	memset(c, 0, sizeof(*c));
	c->what = what[0] == 'a' ? 'a' : what[0] == 'r' ? 'r' : what[0] == 'c' ? 'c' : 'm';
	if (!(c->path = strdup(path)))
		return silo__error_oom();
	dw->n++;
	if (c->what != 'a') {
		if (silo_medo_tree_lookup(dw->a, path, &c->na) < 0)
			return silo_error_last();
		dw->bytes_a += c->na.size;
	}
	if (c->what != 'r') {
		if (silo_medo_tree_lookup(dw->b, path, &c->nb) < 0)
			return silo_error_last();
		dw->bytes_b += c->nb.size;
	}
	return 0;
}

static void diff_page_name(char *buf, size_t n, size_t page)
{
	if (page)
		snprintf(buf, n, "page-%zu.html", page + 1);
	else
		snprintf(buf, n, "index.html");
}

/* LABEL names the column where a phone shows a row as lines. */
static int size_cell(struct strbuf *sb, const char *label, const struct silo_medo_tree_node *n,
		     int have)
{
	char size[32];

	if (!have)
		return strbuf_addf(sb, "<td data-label=\"%s\" class=\"n\">—</td>", label);
	web_fmt_size(size, sizeof(size), n->size);
	return strbuf_addf(sb, "<td data-label=\"%s\" class=\"n\" title=\"%llu bytes\">%s</td>",
			   label, (unsigned long long)n->size, size);
}

static int diff_row(struct strbuf *sb, const struct dchange *c, const char *key_a,
		    const char *key_b)
{
	static const char *const words[] = { "added", "removed", "changed", "mode" };
	const char *word = words[c->what == 'a' ? 0 : c->what == 'r' ? 1 : c->what == 'c' ? 2 : 3];
	char prefix[SILO_OID_MAX_HEXSZ + 16];
	int ret;

	snprintf(prefix, sizeof(prefix), "../../t/%s/", c->what == 'r' ? key_a : key_b);
	if ((ret = strbuf_addf(sb, "<tr class=\"%s\"><td>%s</td><td><a href=\"", word,
			       c->what == 'm' ? "mode changed" : word)) ||
	    (ret = web_file_link(sb, prefix, c->what == 'r' ? &c->na : &c->nb)) ||
	    (ret = strbuf_adds(sb, "\">")) || (ret = html_esc(sb, c->path)) ||
	    (ret = strbuf_adds(sb, "</a></td>")) ||
	    (ret = size_cell(sb, "Before", &c->na, c->what != 'a')) ||
	    (ret = size_cell(sb, "After", &c->nb, c->what != 'r')))
		return ret;
	/* What it grew or shrank by, which rounded sizes may hide. */
	{
		uint64_t before = c->what == 'a' ? 0 : c->na.size, after = c->what == 'r' ? 0 : c->nb.size;
		uint64_t by = after > before ? after - before : before - after;
		char size[32];

		if (by < 1024)
			snprintf(size, sizeof(size), "%llu byte%s", (unsigned long long)by, by == 1 ? "" : "s");
		else
			web_fmt_size(size, sizeof(size), by);
		ret = strbuf_addf(sb, "<td data-label=\"Difference\" class=\"n\">%s%s</td></tr>\n", by ? after > before ? "+" : "−" : "",
				  size);
	}
	return ret;
}

int web_diff_write(struct web_writer *w, const char *out, silo_medo_tree *a,
		   silo_medo_tree *b, const char *label_a, const char *label_b,
		   struct web_diff_info *info)
{
	struct dw dw;
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT, title = STRBUF_INIT,
		      final = STRBUF_INIT;
	char key_a[SILO_OID_MAX_HEXSZ + 1], key_b[SILO_OID_MAX_HEXSZ + 1], *stage = NULL;
	char sa[32], sb_[32], na[32], nr[32], nc[32];
	size_t pages, p, i;
	int ret;

	memset(&dw, 0, sizeof(dw));
	dw.a = a;
	dw.b = b;
	web_tree_key(key_a, silo_medo_tree_treeptr(a));
	web_tree_key(key_b, silo_medo_tree_treeptr(b));
	web_diff_dir(info->dir, key_a, key_b);
	info->added = info->removed = info->changed = 0;
	if ((ret = silo_medo_tree_diff(a, b, on_change, &dw)) < 0)
		goto out;
	for (i = 0; i < dw.n; i++) {
		if (dw.v[i].what == 'a')
			info->added++;
		else if (dw.v[i].what == 'r')
			info->removed++;
		else
			info->changed++;
	}
	if ((ret = make_stage(&stage, out, "d", info->dir)) < 0)
		goto out;
	web_fmt_count(na, sizeof(na), info->added);
	web_fmt_count(nr, sizeof(nr), info->removed);
	web_fmt_count(nc, sizeof(nc), info->changed);
	web_fmt_size(sa, sizeof(sa), dw.bytes_a);
	web_fmt_size(sb_, sizeof(sb_), dw.bytes_b);
	pages = dw.n ? (dw.n + WEB_PAGE_ROWS - 1) / WEB_PAGE_ROWS : 1;
	for (p = 0; p < pages; p++) {
		char name[64];

		strbuf_reset(&sb);
		strbuf_reset(&title);
		if ((ret = strbuf_addf(&title, "Changes from %s to %s", label_a, label_b)) ||
		    (pages > 1 && (ret = strbuf_addf(&title, " (page %zu of %zu)", p + 1, pages))) ||
		    (ret = html_head(&sb, "../../", title.buf, "<li class=\"here\">Changes</li>",
				     "class=\"diff\"")) ||
		    (ret = strbuf_adds(&sb, "<h1>Changes from ")) || (ret = html_esc(&sb, label_a)) ||
		    (ret = strbuf_adds(&sb, " to ")) || (ret = html_esc(&sb, label_b)) ||
		    (ret = strbuf_addf(&sb, "</h1>\n<p class=\"meta\">From tree "
				       "<a href=\"../../t/%s/index.html\"><code>%.12s</code></a> to tree "
				       "<a href=\"../../t/%s/index.html\"><code>%.12s</code></a>.</p>\n"
				       "<ul class=\"summary\"><li class=\"added\">%s added</li>"
				       "<li class=\"removed\">%s removed</li>"
				       "<li class=\"changed\">%s changed</li>"
				       "<li>the paths listed: %s before, %s after</li></ul>\n",
				       key_a, key_a, key_b, key_b, na, nr, nc, sa, sb_)))
			goto out;
		if (pages > 1) {
			if ((ret = strbuf_addf(&sb, "<nav class=\"pager\" aria-label=\"Pages of changes\">"
					       "<p>Page %zu of %zu:</p><ul>", p + 1, pages)))
				goto out;
			for (i = 0; i < pages && !ret; i++) {
				char page[32];
				diff_page_name(page, sizeof(page), i);
				ret = i == p ? strbuf_addf(&sb, "<li><span class=\"here\">%zu<span "
							   "class=\"vh\"> (this page)</span></span></li>", i + 1) :
					       strbuf_addf(&sb, "<li><a href=\"%s\">%zu</a></li>", page, i + 1);
			}
			if (ret || (ret = strbuf_adds(&sb, "</ul></nav>\n")))
				goto out;
		}
		if (!dw.n) {
			ret = strbuf_adds(&sb, "<p>The two trees hold the same files.</p>\n");
		} else {
			ret = strbuf_adds(&sb, "<div class=\"scroll\"><table class=\"changes\">\n"
					  "<caption>Paths that differ</caption>\n<thead><tr>"
					  "<th scope=\"col\">Change</th><th scope=\"col\">Path</th>"
					  "<th scope=\"col\" class=\"n\">Before</th>"
					  "<th scope=\"col\" class=\"n\">After</th>"
					  "<th scope=\"col\" class=\"n\">Difference</th></tr></thead>\n<tbody>\n");
			for (i = p * WEB_PAGE_ROWS; !ret && i < dw.n && i < (p + 1) * WEB_PAGE_ROWS; i++)
				ret = diff_row(&sb, &dw.v[i], key_a, key_b);
			if (!ret)
				ret = strbuf_adds(&sb, "</tbody>\n</table></div>\n");
		}
		if (ret || (ret = html_foot(&sb)))
			goto out;
		diff_page_name(name, sizeof(name), p);
		strbuf_reset(&path);
		if ((ret = strbuf_addf(&path, "%s/%s", stage, name)) < 0 ||
		    (ret = web_write_new(w, path.buf, &sb, 1)) < 0)
			goto out;
	}
	strbuf_reset(&path);
	if ((ret = strbuf_addf(&path, "%s/diff.json", stage)) < 0 ||
	    (ret = write_json(w, path.buf, json_pack("{s:i,s:s,s:s,s:I,s:I,s:I}",
			"medo-web", WEB_FORMAT, "from", key_a, "to", key_b,
			"added", (json_int_t)info->added, "removed", (json_int_t)info->removed,
			"changed", (json_int_t)info->changed))) < 0 ||
	    (ret = strbuf_addf(&final, "%s/d/%s", out, info->dir)) < 0)
		goto out;
	if ((ret = put_in_place(stage, final.buf)) == 0) {
		free(stage);
		stage = NULL;
	}
out:
	if (stage) {
		silo_tree_remove(stage);
		free(stage);
	}
	for (i = 0; i < dw.n; i++)
		free(dw.v[i].path);
	free(dw.v);
	strbuf_release(&sb);
	strbuf_release(&path);
	strbuf_release(&title);
	strbuf_release(&final);
	return ret;
}
