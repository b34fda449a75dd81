/*
 * Task reports: one row per task in tasks.tsv (appended by each task,
 * possibly from several processes at once), its schema, the graph, and
 * index.html made from them.
 */
#include "knot-internal.h"
#include "alloc.h"
#include "error-internal.h"
#include "fsutil.h"
#include "strbuf.h"
#include "silo/treeptr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N_COLUMNS 16

static const char *const schema[N_COLUMNS][3] = {
	{ "status", "integer", "exit status of the task: 0 for success" },
	{ "elapsed_secs", "number", "wall time of the task, seconds" },
	{ "start_time", "number", "when the task started, seconds since the epoch (UTC)" },
	{ "end_time", "number", "when the task ended, seconds since the epoch (UTC)" },
	{ "user_secs", "number", "CPU time in user mode of the task and the processes it waited for, its box's included (getrusage)" },
	{ "sys_secs", "number", "CPU time in the kernel of the task and the processes it waited for, its box's included (getrusage)" },
	{ "max_rss_KiB", "integer", "the largest resident set of the task or a process it waited for, its box's included, KiB (getrusage)" },
	{ "wedge", "string", "the wedge's name (WEDGE_NAME)" },
	{ "version", "string", "the version built" },
	{ "key", "string", "the build key (knot-key(1))" },
	{ "cache", "string", "hit (published before: nothing ran), built, failed, or (key -) no-source or invalid" },
	{ "log", "string", "the task's log, relative to the report directory, or - for none" },
	{ "why", "string", "why it ran: new (never published), or the inputs of the key that changed since the published build (knot-explain(1)); published for a hit; - for none" },
	{ "tree", "string", "the git tree id of the published wedge (its treeptr's tree), or - for none" },
	{ "tree_bytes", "integer", "the size of the published wedge's object (its treeptr's size: the tar of the tree), bytes; 0 for none" },
	{ "treeptr", "string", "the published treeptr, an absolute path, or - for none" },
};

void silo_knot_row_release(struct silo_knot_row *row)
{
	free(row->wedge);
	free(row->version);
	free(row->key);
	free(row->cache);
	free(row->log);
	free(row->why);
	free(row->treeptr);
	free(row->tree);
	memset(row, 0, sizeof(*row));
}

void silo_knot_rows_free(struct silo_knot_row *rows, size_t n)
{
	size_t i;

	for (i = 0; rows && i < n; i++)
		silo_knot_row_release(&rows[i]);
	free(rows);
}

static int write_if_missing(const char *dir, const char *name, const char *text)
{
	char *path = fs_join(dir, name);
	int ret;

	if (!path)
		return silo__error_oom();
	ret = fs_exists(path);
	if (ret == 0)
		ret = fs_write_file_atomic(path, text, strlen(text));
	free(path);
	return ret < 0 ? ret : 0;
}

int silo_knot_report_init(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *logs = fs_join(dir, "logs");
	size_t i;
	int ret;

	if (!logs)
		return silo__error_oom();
	ret = fs_mkdir_p(logs, 0777);
	free(logs);
	if (ret < 0)
		return ret;
	ret = strbuf_adds(&sb, "column_name\ttype\tdescription\n");
	for (i = 0; !ret && i < N_COLUMNS; i++)
		ret = strbuf_addf(&sb, "%s\t%s\t%s\n", schema[i][0], schema[i][1], schema[i][2]);
	if (!ret)
		ret = write_if_missing(dir, "tasks.schema.tsv", sb.buf);
	if (!ret)
		ret = write_if_missing(dir, "tasks.tsv", SILO_KNOT_REPORT_COLUMNS "\n");
	strbuf_release(&sb);
	return ret;
}

int knot_row_treeptr(struct silo_knot_row *row, const char *path)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char hex[SILO_OID_MAX_HEXSZ + 1] = "-";

	if (silo_treeptr_load(&tp, path) < 0) {
		silo_error_clear();
		return 0;
	}
	if (tp.tree.format)
		silo_oid_to_hex(hex, &tp.tree);
	row->tree_bytes = (long long)tp.size;
	silo_treeptr_release(&tp);
	errno = 0;
	if (!(row->tree = strdup(hex)) || !(row->treeptr = realpath(path, NULL))) {
		free(row->tree);
		row->tree = NULL;
		row->tree_bytes = 0;
		return errno == ENOMEM ? silo__error_oom() : 0;
	}
	return 0;
}

int silo_knot_report_append(const char *dir, const struct silo_knot_row *r)
{
	char *path = fs_join(dir, "tasks.tsv"), *line = NULL;
	int fd, len, ret;

	if (!path)
		return silo__error_oom();
	len = asprintf(&line, "%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%ld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\t%s\n",
		       r->status, r->elapsed, r->start, r->end, r->user, r->sys, r->max_rss_kib,
		       r->wedge, r->version, r->key, r->cache, r->log ? r->log : "-",
		       r->why ? r->why : "-", r->tree ? r->tree : "-", r->tree_bytes,
		       r->treeptr ? r->treeptr : "-");
	if (len < 0) {
		free(path);
		return silo__error_oom();
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		ret = silo__error_errno("cannot open '%s'", path);
	else {
		ret = fs_write_all(fd, line, (size_t)len, path);
		if (close(fd) < 0 && !ret)
			ret = silo__error_errno("cannot write '%s'", path);
	}
	free(line);
	free(path);
	return ret;
}

int silo_knot_report_graph(silo_knot_set *set, const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j, n = silo_knot_set_count(set);
	char *path = fs_join(dir, "graph.tsv");
	int ret;

	if (!path)
		return silo__error_oom();
	ret = strbuf_adds(&sb, "key\twedge\tversion\tdeps\n");
	for (i = 0; !ret && i < n; i++) {
		const struct silo_knot_task *t = silo_knot_set_task(set, i);
		ret = strbuf_addf(&sb, "%s\t%s\t%s\t", t->key, t->recipe->name, t->version);
		for (j = 0; !ret && j < t->n_deps; j++)
			ret = strbuf_addf(&sb, "%s%s", j ? "," : "", t->deps[j]->key);
		if (!ret)
			ret = strbuf_adds(&sb, t->n_deps ? "\n" : "-\n");
	}
	if (!ret)
		ret = fs_write_file_atomic(path, sb.buf, sb.len);
	strbuf_release(&sb);
	free(path);
	return ret;
}

/* Split LINE at tabs into at most MAX fields; the number found. */
static size_t split_tabs(char **fields, size_t max, char *line)
{
	size_t n = 0;

	while (n < max) {
		char *tab = strchr(line, '\t');
		fields[n++] = line;
		if (!tab)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n;
}

static int parse_num(double *out, const char *s)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return !*s || *end || errno ? -1 : 0;
}

int silo_knot_report_read(struct silo_knot_row **rows_out, size_t *n_out, const char *dir)
{
	char *path = fs_join(dir, "tasks.tsv"), *text = NULL, *line, *next;
	struct silo_knot_row *rows = NULL;
	size_t len, n = 0, alloc = 0, lineno = 0;
	int ret;

	*rows_out = NULL;
	*n_out = 0;
	if (!path)
		return silo__error_oom();
	if ((ret = fs_read_file(&text, &len, path, (size_t)256 << 20)) < 0)
		goto out;
	for (line = text; !ret && line && *line; line = next) {
		char *f[N_COLUMNS + 1];
		struct silo_knot_row *r;
		double st, rss, bytes;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++lineno == 1)
			continue;	/* the header */
		if (split_tabs(f, N_COLUMNS + 1, line) != N_COLUMNS) {
			ret = silo__error_set(SILO_EINVALID, "'%s' line %zu: expected %d columns",
					      path, lineno, N_COLUMNS);
			break;
		}
		if (ALLOC_GROW(rows, n + 1, alloc) < 0) {
			ret = silo__error_oom();
			break;
		}
		r = &rows[n];
		memset(r, 0, sizeof(*r));
		if (parse_num(&st, f[0]) < 0 || parse_num(&r->elapsed, f[1]) < 0 ||
		    parse_num(&r->start, f[2]) < 0 || parse_num(&r->end, f[3]) < 0 ||
		    parse_num(&r->user, f[4]) < 0 || parse_num(&r->sys, f[5]) < 0 ||
		    parse_num(&rss, f[6]) < 0 || parse_num(&bytes, f[14]) < 0) {
			ret = silo__error_set(SILO_EINVALID, "'%s' line %zu: a number is malformed",
					      path, lineno);
			break;
		}
		r->status = (int)st;
		r->max_rss_kib = (long)rss;
		r->tree_bytes = (long long)bytes;
		n++;
		if (!(r->wedge = strdup(f[7])) || !(r->version = strdup(f[8])) ||
		    !(r->key = strdup(f[9])) || !(r->cache = strdup(f[10])) ||
		    !(r->log = strdup(f[11])) || !(r->why = strdup(f[12])) ||
		    !(r->tree = strdup(f[13])) || !(r->treeptr = strdup(f[15])))
			ret = silo__error_oom();
	}
out:
	if (ret < 0)
		silo_knot_rows_free(rows, n);
	else {
		*rows_out = rows;
		*n_out = n;
	}
	free(text);
	free(path);
	return ret;
}

/* ---- index.html ---- */

static int add_html(struct strbuf *sb, const char *s)
{
	int ret = 0;

	for (; *s && !ret; s++) {
		switch (*s) {
		case '<': ret = strbuf_adds(sb, "&lt;"); break;
		case '>': ret = strbuf_adds(sb, "&gt;"); break;
		case '&': ret = strbuf_adds(sb, "&amp;"); break;
		case '"': ret = strbuf_adds(sb, "&quot;"); break;
		default: ret = strbuf_addch(sb, *s);
		}
	}
	return ret;
}

struct node {
	char *key, *deps;	/* deps: comma-separated keys, or "-" */
	double weight, best;	/* elapsed; longest path ending here */
	int next;		/* the previous task on that path, or -1 */
	int done;
};

static int find_node(struct node *nodes, size_t n, const char *key, size_t key_len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(nodes[i].key) == key_len && !strncmp(nodes[i].key, key, key_len))
			return (int)i;
	return -1;
}

/* The longest path (by elapsed time) ending at node I; the graph has no
 * cycles (knot refuses them), and DEPTH bounds a damaged file. */
static double longest(struct node *nodes, size_t n, size_t i, size_t depth)
{
	const char *p;

	if (nodes[i].done || depth > n)
		return nodes[i].best;
	nodes[i].done = 1;
	nodes[i].best = nodes[i].weight;
	nodes[i].next = -1;
	for (p = nodes[i].deps; strcmp(p, "-") && *p;) {
		size_t len = strcspn(p, ",");
		int d = find_node(nodes, n, p, len);
		if (d >= 0) {
			double l = longest(nodes, n, (size_t)d, depth + 1) + nodes[i].weight;
			if (l > nodes[i].best) {
				nodes[i].best = l;
				nodes[i].next = d;
			}
		}
		p += len + (p[len] == ',');
	}
	return nodes[i].best;
}

/* The critical path as HTML: "a/1 (2.0 s) → b/1 (1.0 s)", total. */
static int critical_path(struct strbuf *sb, const char *dir, const struct silo_knot_row *rows,
			 size_t n_rows)
{
	char *path = fs_join(dir, "graph.tsv"), *text = NULL, *line, *next;
	struct node *nodes = NULL;
	size_t len, n = 0, i, lineno = 0;
	int ret, end = -1, *order = NULL;
	double best = -1;

	if (!path)
		return silo__error_oom();
	ret = fs_read_file(&text, &len, path, (size_t)64 << 20);
	free(path);
	if (ret == SILO_ENOTFOUND) {
		silo_error_clear();
		return strbuf_adds(sb, "<p>No graph.tsv: the critical path is not known.</p>\n");
	}
	if (ret < 0)
		return ret;
	for (line = text; line && *line; line = next)
		n += (next = strchr(line, '\n')) ? (next++, 1) : 1;
	if (!(nodes = calloc(n ? n : 1, sizeof(*nodes))) || !(order = calloc(n ? n : 1, sizeof(int)))) {
		ret = silo__error_oom();
		goto out;
	}
	n = 0;
	for (line = text; line && *line; line = next) {
		char *f[4];
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (++lineno == 1 || split_tabs(f, 4, line) != 4)
			continue;
		nodes[n].key = f[0];
		nodes[n].deps = f[3];
		for (i = 0; i < n_rows; i++)
			if (!strcmp(rows[i].key, f[0]))
				nodes[n].weight = rows[i].elapsed;
		n++;
	}
	for (i = 0; i < n; i++) {
		double l = longest(nodes, n, i, 0);
		if (l > best) {
			best = l;
			end = (int)i;
		}
	}
	ret = strbuf_adds(sb, "<p id=\"critical-path\">Critical path");
	if (!ret && end >= 0) {
		size_t k = 0, m;
		int at;
		for (at = end; at >= 0 && k < n; at = nodes[at].next)
			order[k++] = at;
		ret = strbuf_addf(sb, " (%.3f s):", best);
		for (m = k; !ret && m-- > 0;) {
			const char *name = "?";
			for (i = 0; i < n_rows; i++)
				if (!strcmp(rows[i].key, nodes[order[m]].key))
					name = rows[i].wedge;
			ret = strbuf_adds(sb, m + 1 == k ? " " : " &rarr; ");
			if (!ret)
				ret = add_html(sb, name);
			if (!ret)
				ret = strbuf_addf(sb, " <span class=\"key\">%.12s</span> (%.3f s)",
						  nodes[order[m]].key, nodes[order[m]].weight);
		}
	}
	if (!ret)
		ret = strbuf_adds(sb, "</p>\n");
out:
	free(nodes);
	free(order);
	free(text);
	return ret;
}

/* "2026-12-07 12:35:35" (UTC) of T, seconds since the epoch. */
static void human_time(char out[32], double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&s, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(out, 32, "%.3f", t);
}

/* BYTES for people: "512 B", "20.0 KiB", "3.4 MiB", "1.2 GiB"; "-" for 0. */
static void human_bytes(char out[32], long long bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes <= 0) {
		snprintf(out, 32, "-");
		return;
	}
	if (bytes < 1024) {
		snprintf(out, 32, "%lld B", bytes);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(*units); v /= 1024)
		u++;
	snprintf(out, 32, "%.1f %s", v, units[u]);
}

/* The link from the report directory (absolute: DIR) to the file at PATH
 * (absolute): relative, so that the two can move together. */
static int add_relative_href(struct strbuf *sb, const char *dir, const char *path)
{
	size_t common = 0, i, dirlen = strlen(dir);
	int ret = 0;

	for (i = 0; dir[i] && dir[i] == path[i]; i++)
		if (dir[i] == '/')
			common = i + 1;
	if (!dir[i] && path[i] == '/')
		common = i + 1;
	for (i = common; i < dirlen && !ret; i++)
		if (i == common || dir[i] == '/')
			ret = dir[i] == '/' && !dir[i + 1] ? 0 : strbuf_adds(sb, "../");
	return ret ? ret : add_html(sb, path + common);
}

/* How many lines of a failed task's log index.html shows. */
#define LOG_TAIL_LINES 15

/* A failed task of the report: the step that failed (the last line of
 * its log saying so) and the end of its log.  N: how many came before. */
static int add_failure(struct strbuf *sb, const char *dir, const struct silo_knot_row *r, size_t n)
{
	char *path = strcmp(r->log, "-") ? fs_join(dir, r->log) : NULL, *text = NULL;
	const char *step = NULL, *tail, *p;
	size_t len = 0, lines = 0, steplen = 0;
	int ret;

	if (path && fs_read_file(&text, &len, path, (size_t)256 << 20) < 0) {
		silo_error_clear();
		text = NULL;
		len = 0;
	}
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		size_t l = strcspn(p, "\n");
		const char *f = memmem(p, l, " failed", 7);
		if (!strncmp(p, "knot: ", 6) && f) {
			step = p + 6;
			steplen = l - 6;
		}
	}
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	for (tail = text ? text + len : NULL; tail && tail > text; tail--)
		if (tail[-1] == '\n' && ++lines == LOG_TAIL_LINES)
			break;
	ret = strbuf_addf(sb, "%s<h2 id=\"failure-%zu\">", n ? "" : "<div id=\"failures\">\n<h2>Failures</h2>\n", n);
	if (!ret && !(ret = add_html(sb, r->wedge)) && !(ret = strbuf_adds(sb, "/")) &&
	    !(ret = add_html(sb, r->version)) && !(ret = strbuf_adds(sb, ": <span class=\"step\">"))) {
		char *s = step ? strndup(step, steplen) : NULL;
		ret = step && !s ? silo__error_oom() : add_html(sb, s ? s : "failed");
		free(s);
	}
	if (!ret)
		ret = strbuf_adds(sb, "</span></h2>\n");
	if (!ret && text && len) {
		if (!(ret = strbuf_addf(sb, "<p>The last %zu lines of <a href=\"",
					tail == text ? lines + 1 : lines)) &&
		    !(ret = add_html(sb, r->log)) && !(ret = strbuf_adds(sb, "\">its log</a>:</p>\n<pre>")) &&
		    !(ret = add_html(sb, tail)))
			ret = strbuf_adds(sb, "</pre>\n");
	}
	free(path);
	free(text);
	return ret;
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>knot tasks</title>\n<style>\n"
	"body { font-family: sans-serif; margin: 1em; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { border: 1px solid #ccc; padding: 0.2em 0.4em; font-size: 90%; }\n"
	"th { background: #eee; cursor: pointer; }\n"
	"td.num { text-align: right; white-space: nowrap; }\n"
	"td.why { overflow-wrap: anywhere; }\n"
	".scroll { overflow-x: auto; }\n"
	"tr.failed td { background: #fdd; }\n"
	".key { font-family: monospace; }\n"
	"pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; }\n"
	"</style>\n</head>\n<body>\n<h1>knot tasks</h1>\n";

/* Sorting without a framework: a click on a header sorts by its column,
 * numerically where the column is numeric; a second click reverses. */
static const char html_script[] =
	"<script>\n"
	"document.querySelectorAll('#tasks th').forEach(function (th, col) {\n"
	"  th.addEventListener('click', function () {\n"
	"    var body = document.querySelector('#tasks tbody');\n"
	"    var rows = Array.prototype.slice.call(body.rows);\n"
	"    var num = th.dataset.type === 'number';\n"
	"    var dir = th.dataset.dir === 'asc' ? -1 : 1;\n"
	"    th.dataset.dir = dir === 1 ? 'asc' : 'desc';\n"
	"    rows.sort(function (a, b) {\n"
	"      var x = a.cells[col].textContent, y = b.cells[col].textContent;\n"
	"      if (num) return dir * (parseFloat(x) - parseFloat(y));\n"
	"      return dir * x.localeCompare(y);\n"
	"    });\n"
	"    rows.forEach(function (r) { body.appendChild(r); });\n"
	"  });\n"
	"});\n"
	"</script>\n";

int silo_knot_report_html(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	struct silo_knot_row *rows = NULL;
	size_t n = 0, i, c, counts[4] = { 0, 0, 0, 0 };
	double elapsed = 0, user = 0, sys = 0, first = 0, last = 0;
	char *path = NULL, *absdir, nosrc[64] = "";
	int ret;

	if ((ret = silo_knot_report_read(&rows, &n, dir)) < 0)
		return ret;
	/* without it the treeptrs are named, not linked */
	absdir = realpath(dir, NULL);
	ret = strbuf_adds(&sb, html_head);
	if (!ret)
		ret = strbuf_adds(&sb, "<div class=\"scroll\"><table id=\"tasks\">\n<thead><tr>");
	/* a header may break after its underscores: at 1400 px the table
	 * fits in any font */
	for (c = 0; !ret && c < N_COLUMNS; c++) {
		const char *name = schema[c][0], *us;

		ret = strbuf_addf(&sb, "<th data-type=\"%s\">",
				  strcmp(schema[c][1], "string") ? "number" : "string");
		while (!ret && (us = strchr(name, '_'))) {
			ret = strbuf_addf(&sb, "%.*s_<wbr>", (int)(us - name), name);
			name = us + 1;
		}
		if (!ret)
			ret = strbuf_addf(&sb, "%s</th>", name);
	}
	if (!ret)
		ret = strbuf_adds(&sb, "</tr></thead>\n<tbody>\n");
	for (i = 0; !ret && i < n; i++) {
		const struct silo_knot_row *r = &rows[i];
		int failed = !strcmp(r->cache, "failed") || !strcmp(r->cache, "invalid");

		counts[!strcmp(r->cache, "hit") ? 0 : failed ? 2 : !strcmp(r->cache, "no-source") ? 3 : 1]++;
		elapsed += r->elapsed;
		user += r->user;
		sys += r->sys;
		if (!i || r->start < first)
			first = r->start;
		if (!i || r->end > last)
			last = r->end;
		char t0[32], t1[32];

		human_time(t0, r->start);
		human_time(t1, r->end);
		/* Times for people, the tsv's values as titles (and to sort by);
		 * the key shortened, in full as its title. */
		ret = strbuf_addf(&sb, "<tr class=\"task%s\"><td class=\"num\">%d</td>"
				  "<td class=\"num\">%.3f</td><td title=\"%.3f\">%s</td>"
				  "<td title=\"%.3f\">%s</td><td class=\"num\">%.3f</td>"
				  "<td class=\"num\">%.3f</td><td class=\"num\">%ld</td><td>",
				  failed ? " failed" : "", r->status, r->elapsed, r->start, t0, r->end, t1,
				  r->user, r->sys, r->max_rss_kib);
		if (!ret && !(ret = add_html(&sb, r->wedge)) && !(ret = strbuf_adds(&sb, "</td><td>")) &&
		    !(ret = add_html(&sb, r->version)) &&
		    !(ret = strbuf_adds(&sb, "</td><td class=\"key\" title=\"")) &&
		    !(ret = add_html(&sb, r->key)) &&
		    !(ret = strbuf_addf(&sb, "\">%.12s</td><td>", r->key)) &&
		    !(ret = add_html(&sb, r->cache)) && !(ret = strbuf_adds(&sb, "</td>"))) {
			/* a short link, its path as the title */
			if (strcmp(r->log, "-")) {
				if (!(ret = strbuf_adds(&sb, "<td title=\"")) && !(ret = add_html(&sb, r->log)) &&
				    !(ret = strbuf_adds(&sb, "\"><a href=\"")) && !(ret = add_html(&sb, r->log)))
					ret = strbuf_adds(&sb, "\">log</a>");
			} else {
				ret = strbuf_adds(&sb, "<td>-");
			}
		}
		if (!ret && !(ret = strbuf_adds(&sb, "</td><td class=\"why\">")) &&
		    !(ret = add_html(&sb, r->why)))
			ret = strbuf_adds(&sb, "</td>");
		/* the published tree: its id shortened, its size for people,
		 * a link to its treeptr; the values as titles */
		if (!ret && !(ret = strbuf_adds(&sb, "<td class=\"key\" title=\"")) &&
		    !(ret = add_html(&sb, r->tree)) &&
		    !(ret = strbuf_addf(&sb, "\">%.12s</td>", r->tree))) {
			char size[32];
			human_bytes(size, r->tree_bytes);
			ret = strbuf_addf(&sb, "<td class=\"num\" title=\"%lld\">%s</td>", r->tree_bytes, size);
		}
		if (!ret && r->treeptr[0] == '/' && absdir) {
			if (!(ret = strbuf_adds(&sb, "<td title=\"")) && !(ret = add_html(&sb, r->treeptr)) &&
			    !(ret = strbuf_adds(&sb, "\"><a class=\"treeptr\" href=\"")) &&
			    !(ret = add_relative_href(&sb, absdir, r->treeptr)))
				ret = strbuf_adds(&sb, "\">treeptr</a></td></tr>\n");
		} else if (!ret && !(ret = strbuf_adds(&sb, "<td>")) && !(ret = add_html(&sb, r->treeptr))) {
			ret = strbuf_adds(&sb, "</td></tr>\n");
		}
	}
	if (counts[3])
		snprintf(nosrc, sizeof(nosrc), ", %zu without a source", counts[3]);
	if (!ret)
		ret = strbuf_addf(&sb, "</tbody>\n</table></div>\n<p id=\"totals\">%zu tasks: %zu hit, "
				  "%zu built, %zu failed%s; %.3f s of tasks, %.3f s user, %.3f s sys, "
				  "%.3f s from first start to last end.</p>\n",
				  n, counts[0], counts[1], counts[2], nosrc, elapsed, user, sys,
				  n ? last - first : 0.0);
	if (!ret)
		ret = critical_path(&sb, dir, rows, n);
	for (i = 0, c = 0; !ret && i < n; i++)
		if (!strcmp(rows[i].cache, "failed") || !strcmp(rows[i].cache, "invalid"))
			ret = add_failure(&sb, dir, &rows[i], c++);
	if (!ret && c)
		ret = strbuf_adds(&sb, "</div>\n");
	if (!ret)
		ret = strbuf_addf(&sb, "<p>Columns: <a href=\"tasks.tsv\">tasks.tsv</a>, described by "
				  "<a href=\"tasks.schema.tsv\">tasks.schema.tsv</a>.</p>\n%s"
				  "</body>\n</html>\n", html_script);
	if (!ret && !(path = fs_join(dir, "index.html")))
		ret = silo__error_oom();
	if (!ret)
		ret = fs_write_file_atomic(path, sb.buf, sb.len);
	free(path);
	free(absdir);
	strbuf_release(&sb);
	silo_knot_rows_free(rows, n);
	return ret;
}
