/* The silos a process found unusable (see medo-skip.h). */
#include "medo-skip.h"
#include "error-internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct skipped {
	char *location;
	char *message;
	int code;
	struct skipped *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct skipped *list;

static struct skipped *find(const char *location)
{
	struct skipped *s;

	for (s = list; s; s = s->next)
		if (!strcmp(s->location, location))
			return s;
	return NULL;
}

int medo_skip_known(const char *location)
{
	struct skipped *s;
	int known = 0;

	pthread_mutex_lock(&lock);
	if ((s = find(location))) {
		silo__error_set(s->code, "%s", s->message);
		known = 1;
	}
	pthread_mutex_unlock(&lock);
	return known;
}

int medo_skip_add(const char *location)
{
	struct skipped *s;
	int code = silo_error_last(), ret = 1;

	pthread_mutex_lock(&lock);
	if (find(location)) {
		ret = 0;
	} else if (!(s = calloc(1, sizeof(*s))) || !(s->location = strdup(location)) ||
		   !(s->message = strdup(silo_error_message()))) {
		if (s) {
			free(s->location);
			free(s);
		}
		ret = -1;
	} else {
		s->code = code;
		s->next = list;
		list = s;
	}
	pthread_mutex_unlock(&lock);
	if (ret < 0)
		return silo__error_oom();
	return ret;
}
