/* Verifying the loose objects of a silo: each inflated and hashed. */
#include "verify-internal.h"
#include "error-internal.h"
#include "fsutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int check_loose(const struct loose_entry *e, silo *s)
{
	silo_stream *st;
	const void *data;
	size_t len;
	char *path;
	int ret;

	if (!(path = fs_join(s->root, e->relpath)))
		return silo_error_oom();
	ret = silo_loose_stream_open(&st, path, e->relpath, &e->id);
	free(path);
	/* Gone since the scan: a repack packed it and removed the loose
	 * copy.  Bad only if the silo lost it altogether. */
	if (ret == SILO_ENOTFOUND && silo_has_object_local(s, &e->id) > 0)
		return 0;
	if (ret < 0)
		return ret;
	while ((ret = silo_stream_read(st, &data, &len)) > 0)
		;
	silo_stream_free(st);
	return ret;
}

void verify_loose_task(struct verify_job *job, struct task *t)
{
	struct loose_entry *e = &job->entries[t->loose];

	if (check_loose(e, job->s) < 0)
		verify_add_problem(job, e->relpath, 0, SILO_VERIFY_BAD, silo_error_message());
	verify_object_done(job);
}

int verify_plan_loose(struct verify_job *job, size_t *alloc_tasks)
{
	size_t k;
	int ret = 0;

	for (k = 0; k < job->count && !ret; k++) {
		struct loose_entry *e = &job->entries[k];
		char msg[4200];
		switch (e->kind) {
		case LOOSE_OBJECT: {
			struct task t;
			memset(&t, 0, sizeof(t));
			t.kind = TASK_LOOSE;
			t.loose = k;
			ret = verify_add_task(job, alloc_tasks, &t);
			job->objects_total++;
			break;
		}
		case LOOSE_TEMP:
			verify_temp_file(job, e->relpath);
			break;
		case LOOSE_STRAY:
			snprintf(msg, sizeof(msg), "'%s': not an object file", e->relpath);
			verify_add_problem(job, e->relpath, 0, SILO_VERIFY_BAD, msg);
			break;
		}
	}
	return ret;
}

/* A write that touched its file within this long may still be running:
 * as long as a repack leaves its spool alone (pack-repack.c). */
#define TEMP_IN_USE_SECONDS (24 * 3600)

void verify_temp_file(struct verify_job *job, const char *relpath)
{
	char msg[4200];
	struct stat st;
	char *path = fs_join(job->s->root, relpath);
	time_t age;

	if (!path || lstat(path, &st) < 0) {
		free(path);
		return;		/* gone: its write finished meanwhile */
	}
	free(path);
	age = time(NULL) - st.st_mtime;
	if (age < TEMP_IN_USE_SECONDS)
		snprintf(msg, sizeof(msg),
			 "'%s': temporary file of a write that may still be running "
			 "(modified %lld minutes ago)", relpath, (long long)(age / 60));
	else
		snprintf(msg, sizeof(msg),
			 "'%s': stale temporary file of an interrupted write "
			 "(modified %lld days ago); silo prune removes it",
			 relpath, (long long)(age / 86400));
	verify_add_problem(job, relpath, 0, SILO_VERIFY_WARNING, msg);
}
