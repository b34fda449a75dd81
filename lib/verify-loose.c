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
		return silo__error_oom();
	ret = silo__loose_stream_open(&st, path, e->relpath, &e->id);
	free(path);
	/* Gone since the scan: a repack packed it and removed the loose
	 * copy.  Bad only if the silo lost it altogether. */
	if (ret == SILO_ENOTFOUND && silo__has_object_local(s, &e->id) > 0)
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

/*
 * A running writer holds its temporary file locked (fs_tmpfile()); one
 * nobody holds was left by a killed writer.  In pack/ the next repack
 * removes those at once; in objects/ prune does, past its grace period.
 */
void verify_temp_file(struct verify_job *job, const char *relpath)
{
	char msg[4200], age_text[64];
	struct stat st;
	char *path = fs_join(job->s->root, relpath);
	time_t age;
	int held;

	if (!path || lstat(path, &st) < 0) {
		free(path);
		return;		/* gone: its write finished meanwhile */
	}
	held = fs_temp_is_held(path);
	free(path);
	age = time(NULL) - st.st_mtime;
	if (age < 24 * 3600)
		snprintf(age_text, sizeof(age_text), "%lld minutes", (long long)(age / 60));
	else
		snprintf(age_text, sizeof(age_text), "%lld days", (long long)(age / 86400));
	if (held == 1)
		snprintf(msg, sizeof(msg),
			 "'%s': temporary file of a write still running (modified %s ago)",
			 relpath, age_text);
	else
		snprintf(msg, sizeof(msg),
			 "'%s': temporary file left by an interrupted write "
			 "(modified %s ago); %s removes it", relpath, age_text,
			 strncmp(relpath, "pack/", 5) ? "silo prune" : "the next silo repack");
	verify_add_problem(job, relpath, 0, SILO_VERIFY_WARNING, msg);
}
