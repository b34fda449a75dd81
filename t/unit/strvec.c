/* Unit tests of the string lists of strvec.h, printing TAP. */
#include "strvec.h"
#include "tap.h"

int main(void)
{
	struct strvec sv = STRVEC_INIT;
	char **v;
	size_t i;
	char *own = strdup("owned");

	ok(!sv.v && !sv.n, "a new list is empty, with no array");
	ok(strvec_push(&sv, "ls") == 0 && sv.n == 1, "push adds one");
	ok(sv.v[1] == NULL, "the array ends with NULL, as an argv");
	ok(strvec_pushn(&sv, "-lah", 2) == 0 && sv.n == 2, "pushn adds one");
	is_str(sv.v[1], "-l", "pushn copies LEN bytes");
	ok(own && strvec_push_nodup(&sv, own) == 0 && sv.v[2] == own,
	   "push_nodup takes the string itself");
	for (i = 0; i < 40; i++)
		if (strvec_push(&sv, "x") < 0)
			break;
	ok(i == 40 && sv.n == 43 && sv.v[43] == NULL && sv.alloc >= 44,
	   "the array grows, and stays NULL-terminated");
	ok(strvec_findn(&sv, "-lah", 2) == 1, "findn finds LEN bytes");
	ok(strvec_findn(&sv, "-lah", 3) == -1, "findn wants the whole string");
	ok(strvec_findn(&sv, "l", 1) == -1, "findn does not match a prefix");
	ok(strvec_findn(&sv, "x", 1) == 3, "findn gives the first match");
	v = strvec_detach(&sv);
	ok(v && !sv.v && !sv.n && !sv.alloc, "detach hands over the array");
	is_str(v[0], "ls", "the detached array keeps the strings");
	sv.v = v;
	sv.n = 43;
	strvec_clear(&sv);
	ok(!sv.v && !sv.n && !sv.alloc, "clear empties the list");
	ok(strvec_detach(&sv) == NULL, "an empty list detaches NULL");
	return done_testing();
}
