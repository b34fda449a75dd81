/* The medo tool: what its commands share. */
#include "medo-cmd.h"
#include "silo/medo.h"
#include "silo/tree.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;

/* The warnings printed so far: each is printed once a run. */
static struct strvec warned = STRVEC_INIT;

static int seen(const char *message)
{
	if (strvec_findn(&warned, message, strlen(message)) >= 0)
		return 1;
	/* Out of memory, a repeat is better than a lost warning. */
	(void)strvec_push(&warned, message);
	return 0;
}

void medo_cmd_warn(void *payload, const char *message)
{
	(void)payload;
	pthread_mutex_lock(&warn_lock);
	if (!seen(message))
		fe_warning("%s", message);
	pthread_mutex_unlock(&warn_lock);
}

int medo_cmd_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *medo_cmd_change_word(int change)
{
	switch (change) {
	case SILO_TREE_ADDED: return "added";
	case SILO_TREE_REMOVED: return "removed";
	case SILO_TREE_CHANGED: return "changed";
	case SILO_TREE_MODE: return "mode";
	case SILO_MEDO_MISSING: return "missing";
	default: return "differs";
	}
}

char *medo_cmd_join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (p)
		snprintf(p, len, "%s/%s", dir, name);
	return p;
}

int medo_cmd_each_treeptr(int argc, const char **argv,
			  int (*fn)(const char *treeptr, void *payload), void *payload)
{
	int status = 0, ret, i;

	for (i = 0; i < argc; i++) {
		char **names;
		size_t n, j;

		if (!medo_cmd_is_dir(argv[i])) {
			if ((ret = fn(argv[i], payload)))
				status = ret;
			continue;
		}
		if ((ret = silo_medo_find_treeptrs(&names, &n, argv[i])) < 0) {
			status = fe_lib_error(ret);
			continue;
		}
		for (j = 0; j < n; j++) {
			char *p = medo_cmd_join(argv[i], names[j]);
			if (!p) {
				status = fe_error(FE_EXIT_FAILURE, "out of memory");
				break;
			}
			if ((ret = fn(p, payload)))
				status = ret;
			free(p);
		}
		silo_medo_list_free(names, n);
	}
	return status;
}
