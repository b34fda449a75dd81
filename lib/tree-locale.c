/* A UTF-8 locale for libarchive on the calling thread (see tree-internal.h). */
#include "tree-internal.h"

#include <pthread.h>

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void make_utf8_locale(void)
{
	utf8_locale = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (!utf8_locale)
		utf8_locale = newlocale(LC_ALL_MASK, "C.utf8", (locale_t)0);
}

locale_t tree_locale_enter(void)
{
	pthread_once(&utf8_once, make_utf8_locale);
	if (!utf8_locale)
		return (locale_t)0;	/* names go as bytes: still consistent */
	return uselocale(utf8_locale);
}

void tree_locale_leave(locale_t old)
{
	if (old)
		uselocale(old);
}
