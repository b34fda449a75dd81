/*
 * Unit tests of the principals of allowed signers lines: a line counts
 * when some identity matches its pattern list (a pattern, and no negated
 * one), as ssh-keygen -Y verify would allow for that identity (t2603
 * asks ssh-keygen itself).  sshsig_principals_can_match() is checked on
 * named cases, then against a brute force search over short identities
 * for random lists.  Prints TAP.
 */
#include "tap.h"
#include "sshsig-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 if an identity of at most MAXLEN characters of "abx" (x is in no
 * pattern) is allowed by LIST, trying every one. */
static int brute_force(const char *list, int maxlen)
{
	char s[16];
	int len, i, idx[16];

	for (len = 0; len <= maxlen; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			for (i = 0; i < len; i++)
				s[i] = "abx"[idx[i]];
			s[len] = '\0';
			if (sshsig_match_list(s, list))
				return 1;
			for (i = 0; i < len && ++idx[i] == 3; i++)
				idx[i] = 0;
			if (i == len)
				break;
		}
	}
	return 0;
}

static unsigned long long rng = 88172645463325252ULL;

static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* A random list of 1 to 4 patterns of 0 to 4 characters of "ab*?",
 * each negated or not. */
static void random_list(char *out)
{
	int n = 1 + (int)(next_rand() % 4), k, i;

	*out = '\0';
	for (k = 0; k < n; k++) {
		int len = (int)(next_rand() % 5);
		if (k)
			strcat(out, ",");
		if (next_rand() % 2)
			strcat(out, "!");
		for (i = 0; i < len; i++) {
			char c[2] = { "ab*?"[next_rand() % 4], '\0' };
			strcat(out, c);
		}
	}
}

int main(void)
{
	static const struct { const char *list; int want; } cases[] = {
		{ "ed@example.org", 1 },
		{ "!*", 0 },
		{ "!foo,!bar", 0 },
		{ "foo,!foo", 0 },
		{ "*,!foo", 1 },
		{ "!foo,*", 1 },
		{ "*@example.org,!*@example.org", 0 },
		{ "f?o,!foo", 1 },
		{ "foo*,!*o", 1 },
		{ "foo*,!*", 0 },
		{ "a*b,!a*", 0 },
		{ "*a*,!*b*", 1 },
		{ ",!x", 1 },		/* the empty identity */
		{ "!", 0 },
		{ "a,", 1 },
		{ "??,!a*,!b*,!?a,!?b", 1 },
		{ "?*,!*a*,!*b*,!?*", 0 },
		{ "a*a*a*a*b,!*b", 0 },
		/* found by the search, not by the likely witnesses */
		{ "*,!,!?", 1 },
		{ "a*,!a,!a?", 1 },
	};
	char list[64], big[1100];
	size_t i;
	int all = 1, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[128];
		snprintf(name, sizeof(name), "'%s' allows %s", cases[i].list,
			 cases[i].want ? "someone" : "no one");
		ok(sshsig_principals_can_match(cases[i].list) == cases[i].want, name);
	}

	/* OpenSSH: a pattern of 1023 characters makes the list match nothing. */
	memset(big, 'a', 1023);
	big[1023] = '\0';
	ok(sshsig_principals_can_match(big) == 0 && !sshsig_match_list(big, big),
	   "a pattern of 1023 characters matches nothing");
	big[1022] = '\0';
	ok(sshsig_principals_can_match(big) == 1 && sshsig_match_list(big, big),
	   "one of 1022 characters matches");

	/* '*' and '?' in an identity are characters like any other. */
	ok(sshsig_match_list("*x", "*") && sshsig_match_list("?", "?") &&
	   !sshsig_match_list("*", "a"), "wildcards in an identity are plain characters");

	for (n = 0; n < 20000; n++) {
		int got, want;
		random_list(list);
		got = sshsig_principals_can_match(list);
		want = brute_force(list, 8);
		if (got != want) {
			printf("# '%s': search says %d, brute force %d\n", list, got, want);
			all = 0;
		}
	}
	ok(all, "20000 random lists: the search agrees with trying every short identity");
	return done_testing();
}
