/* medo expand: turn treeptrs into directory trees on disk. */
#include "medo-cmd.h"
#include "fe-json.h"
#include "silo/medo.h"
#include "silo/sshsig.h"
#include "silo/medo-status.h"
#include "silo/error.h"
#include "silo/treeptr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct fe_usage *const usage = &fe_usage_medo_expand;

/* 1 if NAME, a file name recorded in a treeptr, may be created in a
 * directory: no slash, not hidden (.git, .ssh, . and ..), no control
 * character. */
static int usable_name(const char *name)
{
	const unsigned char *p;

	if (!*name || name[0] == '.')
		return 0;
	for (p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/*
 * Where the file of the opaque treeptr TREEPTR goes when the destination
 * DEST is a directory: *OUT = DEST/<the file's name>, as medo add
 * recorded it (provenance "file"), so that pkg.deb comes back as
 * pkg.deb; NULL to expand to DEST itself: not a directory, not an opaque
 * treeptr, no name.  A recorded name that may not be created is refused
 * (an exit status), rather than replacing the directory DEST with --force.
 */
static int opaque_dest(char **out, const char *treeptr, const char *dest)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;
	const char *name;
	int status = 0;

	*out = NULL;
	if (!medo_cmd_is_dir(dest) || silo_treeptr_load(&tp, treeptr) < 0) {
		silo_error_clear();
		return 0;
	}
	name = tp.kind == SILO_TREEPTR_OPAQUE || tp.kind == SILO_TREEPTR_IMAGE ?
		silo_treeptr_provenance(&tp, "file") : NULL;
	if (name && !usable_name(name))
		status = fe_error(FE_EXIT_REFUSED, "'%s' records the file name '%s', which is not "
				  "used (hidden, or with a slash or a control character): name the "
				  "file to write instead of the directory '%s'", treeptr, name, dest);
	else if (name && !(*out = medo_cmd_join(dest, name)))
		status = fe_error(FE_EXIT_FAILURE, "out of memory");
	silo_treeptr_release(&tp);
	return status;
}

/* A partial expansion of an archive reads all of it: say so (unless
 * -q), since that is what the paths were to save. */
static void note_archive(const char *treeptr)
{
	struct silo_treeptr tp = SILO_TREEPTR_INIT;

	if (silo_treeptr_load(&tp, treeptr) < 0)
		silo_error_clear();	/* the expansion says why */
	else if (tp.kind == SILO_TREEPTR_TAR || tp.kind == SILO_TREEPTR_ARCHIVE)
		fe_warning("'%s' is of kind %s: the whole object is read to write the paths "
			   "asked for", treeptr, tp.kind == SILO_TREEPTR_TAR ? "tar" : "archive");
	silo_treeptr_release(&tp);
}

static const char *result_word(int result)
{
	switch (result) {
	case SILO_MEDO_PRESENT: return "present";
	case SILO_MEDO_REPLACED: return "replaced";
	default: return "expanded";
	}
}

struct batch_state {
	const char *medo_dir;
	const char *dest;
	int verbose;
	int status;
	json_t *json;		/* the "trees" array, with --json */
	json_t *removed;	/* the "removed" array, with --json --delete */
	int json_failed;
	struct fe_progress progress;
	uint64_t done, total;
};

static void on_progress(void *payload, uint64_t done, uint64_t total)
{
	struct batch_state *b = payload;

	b->done = done;
	b->total = total;
	fe_progress_update(&b->progress, done, total);
}

/* The result of one treeptr, in JSON; PATHS (N of them) those asked for
 * a partial expansion. */
static json_t *json_result(const char *treeptr, const char *dest, int result,
			   const char *message, const char *const *paths, size_t n)
{
	json_t *list = NULL;
	size_t i;

	if (n && !(list = json_array()))
		return NULL;
	for (i = 0; i < n; i++)
		if (fe_json_append(list, fe_json_text(paths[i])) < 0) {
			json_decref(list);
			return NULL;
		}
	return json_pack("{s:o,s:o,s:s,s:o*,s:o*}", "treeptr", fe_json_text(treeptr),
			 "dest", fe_json_text(dest),
			 "result", result < 0 ? "error" : result_word(result),
			 "paths", list,
			 "error", result < 0 ? fe_json_text(message) : NULL);
}

static void on_result(void *payload, const char *rel, int result, const char *message)
{
	struct batch_state *b = payload;
	char *dest = silo_medo_dest_for(b->dest, rel);
	char *tp = medo_cmd_join(b->medo_dir, rel);

	if (result < 0) {
		fe_error(0, "%s: %s", rel, message);
		b->status = fe_exit_for(result);
	}
	if (!dest || !tp) {
		b->status = fe_error(FE_EXIT_FAILURE, "out of memory");
	} else if (b->json) {
		if (fe_json_append(b->json, json_result(tp, dest, result, message, NULL, 0)) < 0)
			b->json_failed = 1;
	} else if (result >= 0 && b->verbose) {
		printf("%s %s\n", result_word(result), dest);
	}
	free(dest);
	free(tp);
}

/* Print the --json document of B's results; returns an exit status. */
static int print_json(struct batch_state *b)
{
	int ret = fe_json_print(b->json_failed ? NULL :
				json_pack("{s:O,s:O*}", "trees", b->json, "removed", b->removed));

	json_decref(b->json);
	json_decref(b->removed);
	return ret ? ret : b->status;
}

/* --delete: remove what DEST holds that medo expanded and no treeptr
 * names now; with DRY_RUN only say what. */
static void delete_extra(struct batch_state *b, int dry_run)
{
	struct silo_medo_status st = SILO_MEDO_STATUS_INIT;
	size_t i;
	int ret;

	if ((ret = silo_medo_status(&st, b->medo_dir, b->dest)) < 0) {
		b->status = fe_lib_error(ret);
		return;
	}
	for (i = 0; i < st.n; i++) {
		const struct silo_medo_status_entry *e = &st.v[i];
		char *dest;

		if (e->state != SILO_MEDO_STATE_EXTRA)
			continue;
		if (!(dest = medo_cmd_join(b->dest, e->path))) {
			b->status = fe_error(FE_EXIT_FAILURE, "out of memory");
			break;
		}
		if (!dry_run && (ret = silo_medo_remove_extra(b->dest, e->path)) < 0) {
			b->status = fe_lib_error(ret);
		} else if (b->removed) {
			if (fe_json_append(b->removed, fe_json_text(dest)) < 0)
				b->json_failed = 1;
		} else if (dry_run || b->verbose) {
			printf("%s %s\n", dry_run ? "would remove" : "removed", dest);
		}
		free(dest);
	}
	silo_medo_status_release(&st);
}

static int expand_main(int argc, const char **argv, struct silo_sshsig_signers **signers)
{
	struct silo_medo_expand_options o = { 0 };
	const char *allowed = NULL;
	int jobs = 0, verbose = 0, json = 0, del = 0, dry_run = 0, ret;
	char *in_dir = NULL;
	struct fe_option opts[] = {
		OPT_STRING(0, "silo", &o.silo),
		OPT_FLAG(0, "force", &o.force),
		OPT_FLAG(0, "no-cache", &o.no_cache),
		OPT_STRING(0, "require-signature", &allowed),
		OPT_INT('j', "jobs", &jobs),
		OPT_FLAG('v', "verbose", &verbose),
		OPT_JSON(&json),
		OPT_FLAG(0, "delete", &del),
		OPT_FLAG('n', "dry-run", &dry_run),
		OPT_END()
	};
	struct batch_state b = { NULL, NULL, 0, 0, NULL, NULL, 0, { 0 }, 0, 0 };

	argc = fe_parse_options(argc, argv, opts, usage);
	if (argc < 0)
		return fe_parse_exit(argc);
	if (argc < 2)
		return fe_usage_error(usage, opts, "expected a treeptr or medo directory and a destination");
	if (argc > 2 && medo_cmd_is_dir(argv[0]))
		return fe_usage_error(usage, opts, "paths go with a treeptr, not a medo directory");
	o.paths = argv + 2;
	o.n_paths = (size_t)argc - 2;
	if (jobs < 0)
		return fe_usage_error(usage, opts, "-j must not be negative");
	if (dry_run && !del)
		return fe_usage_error(usage, opts, "--dry-run goes with --delete");
	if (del && !medo_cmd_is_dir(argv[0]))
		return fe_usage_error(usage, opts, "--delete needs a medo directory, not a treeptr");
	/* All signatures first: one bad signature expands nothing. */
	if (allowed && (ret = medo_cmd_check_signatures(allowed, argv[0], signers)))
		return ret;
	o.signers = *signers;
	o.on_warning = medo_cmd_warn;
	/* Killed, an expansion leaves no staging directory behind. */
	if (fe_cleanup_on_signals() < 0)
		return fe_error(FE_EXIT_FAILURE, "cannot catch signals: %s", strerror(errno));
	b.medo_dir = argv[0];
	b.dest = argv[1];
	b.verbose = verbose;
	if (json && (!(b.json = json_array()) || (del && !(b.removed = json_array())))) {
		json_decref(b.json);
		return fe_error(FE_EXIT_FAILURE, "out of memory");
	}
	if (dry_run) {
		delete_extra(&b, 1);
		return json ? print_json(&b) : b.status;
	}
	if (medo_cmd_is_dir(argv[0])) {
		fe_progress_start(&b.progress, "expanding treeptrs", 0);
		o.on_progress = on_progress;
		o.payload = &b;
		ret = silo_medo_expand_dir(argv[0], argv[1], jobs, &o, on_result, &b);
		if (ret < 0) {
			json_decref(b.json);
			json_decref(b.removed);
			return fe_lib_error(ret);
		}
		fe_progress_stop(&b.progress, b.done, b.total);
		if (del)
			delete_extra(&b, 0);
		return json ? print_json(&b) : b.status;
	}
	if (o.n_paths)
		note_archive(argv[0]);
	fe_progress_start(&b.progress, "medo expand", 0);
	b.progress.unit = "files";
	o.on_bytes = fe_progress_on_bytes;
	o.payload = &b.progress;
	if ((b.status = opaque_dest(&in_dir, argv[0], argv[1])))
		return json ? print_json(&b) : b.status;
	if (in_dir)
		argv[1] = in_dir;
	ret = silo_medo_expand(argv[0], argv[1], &o);
	if (ret >= 0)
		fe_progress_stop(&b.progress, b.progress.count, 0);
	if (ret < 0) {
		b.status = fe_lib_error(ret);
		if (!json) {
			free(in_dir);
			return b.status;
		}
	}
	if (json) {
		if (fe_json_append(b.json, json_result(argv[0], argv[1], ret, silo_error_message(),
						       o.paths, o.n_paths)) < 0)
			b.json_failed = 1;
		free(in_dir);
		return print_json(&b);
	}
	if (verbose)
		printf("%s %s\n", result_word(ret), argv[1]);
	free(in_dir);
	return FE_EXIT_OK;
}

int cmd_medo_expand(int argc, const char **argv)
{
	struct silo_sshsig_signers *signers = NULL;
	int ret = expand_main(argc, argv, &signers);

	silo_sshsig_signers_free(signers);
	return ret;
}
