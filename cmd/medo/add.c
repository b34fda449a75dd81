/* medo add: store a directory or file in the silo, write its treeptr. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo.h"
#include "silo/integrity.h"
#include "silo/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SILO_VERSION
#define SILO_VERSION "unknown"
#endif

static const struct fe_usage *const usage = &fe_usage_medo_add;

/*
 * The treeptr to write for SRC when the command line names the directory
 * DIR (or ends in '/'): DIR/<name of SRC>.treeptr, the name being SRC's
 * last path component (of a URL, without its query), so that medo
 * expand of DIR restores a file under its own name.  NULL with *err set
 * to an exit status when no name can be taken from SRC.
 */
static char *treeptr_in_dir(const char *dir, const char *src, int *err)
{
	size_t len = strcspn(src, "?#"), end;
	const char *name;
	char *out = NULL;

	if (strstr(src, "://") == NULL)
		len = strlen(src);
	while (len > 1 && src[len - 1] == '/')
		len--;
	for (end = len; end > 0 && src[end - 1] != '/'; end--)
		;
	name = src + end;
	len -= end;
	if (!len || (len == 1 && name[0] == '.') || (len == 2 && !strncmp(name, "..", 2))) {
		*err = fe_error(FE_EXIT_USAGE, "cannot name a treeptr in '%s' after '%s': "
				"name the treeptr file", dir, src);
		return NULL;
	}
	if (asprintf(&out, "%s%s%.*s.treeptr", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
		     (int)len, name) < 0) {
		*err = fe_error(FE_EXIT_FAILURE, "out of memory");
		return NULL;
	}
	return out;
}

int cmd_medo_add(int argc, const char **argv)
{
	struct silo_medo_add_options o = { 0 };
	struct fe_progress progress;
	int verbose = 0, json = 0;
	const char *kind = NULL, *git = NULL;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &o.silo),
		OPT_FLAG(0, "opaque", &o.opaque),
		OPT_STRING(0, "kind", &kind),
		OPT_FLAG(0, "force", &o.force),
		OPT_STRING(0, "note", &o.note),
		OPT_STRING(0, "url", &o.url),
		OPT_STRING(0, "sha256", &o.sha256),
		OPT_STRING(0, "integrity", &o.integrity),
		OPT_STRING(0, "git", &git),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_END()
	};
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	char *in_dir = NULL, *repo = NULL;
	const char *src, *dest;
	char hex[SILO_OID_MAX_HEXSZ + 1];
	int ret = 0;

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (o.sha256 && (strlen(o.sha256) != 64 ||
			 strspn(o.sha256, "0123456789abcdefABCDEF") != 64))
		return fe_usage_error(usage, opts, "--sha256 expects 64 hex digits, not '%s'", o.sha256);
	if (o.integrity && silo_integrity_check_syntax(o.integrity) < 0)
		return fe_usage_error(usage, opts, "--integrity: %s", silo_error_message());
	if (kind && strcmp(kind, "tar") && strcmp(kind, "tree") && strcmp(kind, "image"))
		return fe_usage_error(usage, opts, "--kind expects tar, tree or image, not '%s'",
				      kind);
	if (kind)
		o.kind = silo_treeptr_kind_from_name(kind);
	if (git) {
		/* REPO@REV: a URL may hold '@' (user@host:path), a rev does not. */
		const char *at = strrchr(git, '@');
		if (!at || at == git || !at[1])
			return fe_usage_error(usage, opts, "--git expects REPO@REV, not '%s'", git);
		if (argc != 1)
			return fe_usage_error(usage, opts, "expected a treeptr after --git");
		if (!(repo = strndup(git, (size_t)(at - git))))
			return fe_error(FE_EXIT_FAILURE, "out of memory");
		o.git_rev = at + 1;
		src = repo;
		dest = argv[0];
	} else if (argc != 2) {
		return fe_usage_error(usage, opts, "expected a directory, file or URL and a treeptr");
	} else {
		src = argv[0];
		dest = argv[1];
	}
	if (*dest && (dest[strlen(dest) - 1] == '/' || medo_cmd_is_dir(dest))) {
		if (!(in_dir = treeptr_in_dir(dest, src, &ret)))
			goto out;
		dest = in_dir;
	}
	o.tool = "medo " SILO_VERSION;
	fe_progress_start(&progress, "medo add", 0);
	progress.unit = "files";
	o.on_bytes = fe_progress_on_bytes;
	o.payload = &progress;
	ret = silo_medo_add(&tp, src, dest, &o);
	if (ret < 0) {
		ret = fe_lib_error(ret);
		goto out;
	}
	fe_progress_stop(&progress, progress.count, 0);
	if (json)
		ret = fe_json_print(json_pack("{s:s,s:o,s:s,s:o,s:I,s:o}",
			"result", ret == SILO_MEDO_ADD_UNCHANGED ? "unchanged" : "written",
			"treeptr", fe_json_text(dest), "kind", silo_treeptr_kind_name(tp.kind),
			"object", fe_json_oid(&tp.object), "size", (json_int_t)tp.size,
			"tree", fe_json_oid(&tp.tree)));
	else if (verbose)
		printf("%s %s %s %s\n", ret == SILO_MEDO_ADD_UNCHANGED ? "unchanged" : "wrote",
		       dest, silo_treeptr_kind_name(tp.kind),
		       silo_oid_to_hex(hex, &tp.object));
	if (!json)
		ret = FE_EXIT_OK;
	silo_treeptr_release(&tp);
out:
	free(in_dir);
	free(repo);
	return ret;
}
