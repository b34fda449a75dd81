/* The medo tool: what its commands share. */
#include "medo-cmd.h"
#include "silo/medo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pthread_mutex_t warn_lock = PTHREAD_MUTEX_INITIALIZER;

/* The warnings printed so far: each is printed once a run. */
static char **warned;
static size_t n_warned;

static int seen(const char *message)
{
	size_t i;
	char **v;

	for (i = 0; i < n_warned; i++)
		if (!strcmp(warned[i], message))
			return 1;
	/* Out of memory, a repeat is better than a lost warning. */
	if ((v = realloc(warned, (n_warned + 1) * sizeof(*v))) &&
	    (v[n_warned] = strdup(message))) {
		warned = v;
		n_warned++;
	} else if (v) {
		warned = v;
	}
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
