/*
 * Tree lists built by hand: silo_tree_list_diff reports each difference
 * once, in path order, and silo_tree_list_id refuses lists that are no
 * tree (unsorted, repeated paths, a name both file and directory).
 * Prints TAP.
 */
#include "tap.h"
#include "silo/tree.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Entries as "path mode content" triples. */
static void make(struct silo_tree_list *l, const char *const *spec)
{
	size_t n = 0, i;

	while (spec[3 * n])
		n++;
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	l->n = l->alloc = n;
	l->format = SILO_OID_SHA1;
	for (i = 0; i < n; i++) {
		const char *content = spec[3 * i + 2];
		l->v[i].path = strdup(spec[3 * i]);
		l->v[i].mode = (unsigned)strtoul(spec[3 * i + 1], NULL, 8);
		l->v[i].size = strlen(content);
		if (!l->v[i].path || silo_oid_hash_buffer(&l->v[i].id, SILO_OID_SHA1, SILO_OBJ_BLOB,
							   content, strlen(content)) < 0) {
			printf("Bail out! cannot build a list\n");
			exit(1);
		}
	}
}

struct record {
	char text[1024];
	int calls, stop_after;
};

static int on_change(void *payload, int change, const char *path)
{
	static const char *const names[] = { "", "A", "D", "M", "T" };
	struct record *r = payload;
	size_t len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%s %s;", names[change], path);
	r->calls++;
	return r->stop_after && r->calls >= r->stop_after ? 42 : 0;
}

int main(void)
{
	static const char *const old_spec[] = {
		"a", "100644", "a\n",
		"a.b", "100644", "same\n",
		"a/x", "100644", "x\n",
		"b/gone", "100644", "bye\n",
		"exec", "100644", "#!/bin/sh\n",
		"link", "120000", "target",
		NULL
	};
	static const char *const new_spec[] = {
		"a.b", "100644", "same\n",
		"a/x", "100644", "x changed\n",
		"a0", "100644", "new\n",
		"exec", "100755", "#!/bin/sh\n",
		"link", "120000", "other",
		NULL
	};
	static const char *const conflict_spec[] = {
		"a", "100644", "a\n",
		"a!", "100644", "b\n",
		"a/x", "100644", "x\n",
		NULL
	};
	static const char *const one_spec[] = { "a", "100644", "hello\n", NULL };
	struct silo_tree_list o = SILO_TREE_LIST_INIT, n = SILO_TREE_LIST_INIT;
	struct silo_tree_list c = SILO_TREE_LIST_INIT, one = SILO_TREE_LIST_INIT;
	struct record r = { "", 0, 0 };
	struct silo_tree_entry tmp;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	silo_oid id;

	make(&o, old_spec);
	make(&n, new_spec);
	make(&c, conflict_spec);
	make(&one, one_spec);

	ok(silo_tree_list_diff(&o, &n, on_change, &r) == 0, "diff runs to the end");
	ok(!strcmp(r.text, "D a;M a/x;A a0;D b/gone;T exec;M link;"),
	   "removed, changed, added and mode changes in path order");
	if (strcmp(r.text, "D a;M a/x;A a0;D b/gone;T exec;M link;"))
		printf("#   got: %s\n", r.text);
	r.text[0] = '\0';
	r.calls = 0;
	r.stop_after = 2;
	ok(silo_tree_list_diff(&o, &n, on_change, &r) == 42 && r.calls == 2,
	   "a non-zero return from the callback stops the walk and is returned");
	r.text[0] = '\0';
	r.calls = 0;
	r.stop_after = 0;
	ok(silo_tree_list_diff(&o, &o, on_change, &r) == 0 && r.calls == 0,
	   "a list does not differ from itself");

	ok(silo_tree_list_id(&id, &one) == 0 &&
	   !strcmp(silo_oid_to_hex(hex, &id), "0976950c1fdbcb52435a433913017bf044b3a58f"),
	   "a one-file tree has the id git gives it");
	ok(silo_tree_list_id(&id, &c) == SILO_EINVALID &&
	   strstr(silo_error_message(), "'a' is both a file and a directory"),
	   "a name both file and directory is refused");
	tmp = n.v[0];
	n.v[0] = n.v[1];
	n.v[1] = tmp;
	ok(silo_tree_list_id(&id, &n) == SILO_EINVALID, "an unsorted list is refused");
	n.v[1] = n.v[0];
	ok(silo_tree_list_id(&id, &n) == SILO_EINVALID, "a repeated path is refused");
	n.v[1] = tmp;
	one.v[0].mode = 0100600;
	ok(silo_tree_list_id(&id, &one) == SILO_EINVALID, "a mode git does not have is refused");

	silo_tree_list_release(&o);
	silo_tree_list_release(&n);
	silo_tree_list_release(&c);
	silo_tree_list_release(&one);
	ok(o.n == 0 && o.v == NULL, "release leaves an empty list");
	return done_testing();
}
