/*
 * Pattern lists as OpenSSH matches them (match_pattern_list() of its
 * match.c): comma-separated patterns, '*' any run of characters, '?' any
 * one, a leading '!' negating a pattern.  A string matches a list when it
 * matches a pattern and no negated one; a pattern of 1023 characters or
 * more makes the list match nothing.  Used for the namespaces="..." option
 * and the principals of an allowed signers line.
 *
 * medo checks a signature without an identity to check it for (there is
 * no -I): a line counts when SOME identity could be allowed by it.  ssh-
 * keygen -Y verify refuses the key of a line such as "!*", "!a,!b" or
 * "a,!a" for every identity; sshsig_principals_can_match() tells such
 * lines, exactly: the patterns are finite automata, and a search over
 * the states they can be in together finds an identity that one accepts
 * and no negated one does, or shows that there is none.
 */
#include "sshsig-internal.h"
#include "error-internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 1022	/* the longest pattern OpenSSH matches */
#define SEARCH_BYTES (4u << 20)	/* states the search may keep, in bytes */
#define SEARCH_WORK (64u << 20)	/* and the bytes of states it may compute */

/* One pattern of a list. */
struct pattern {
	const char *p;
	size_t len;
	int negated;
	size_t bit;		/* where its states start in a search state */
};

/* The next pattern of *LIST into *OUT, as OpenSSH splits a list: 1, or
 * 0 at the end of the list. */
static int next_pattern(struct pattern *out, const char **list)
{
	const char *s = *list;

	if (!*s)
		return 0;
	out->negated = *s == '!';
	s += out->negated;
	out->p = s;
	out->len = strcspn(s, ",");
	s += out->len;
	if (*s == ',')
		s++;
	*list = s;
	return 1;
}

/* OpenSSH's wildcard match of S against P (PLEN bytes). */
static int match_pattern(const char *s, const char *p, size_t plen)
{
	const char *back = NULL;
	size_t pi = 0, star_pi = 0;
	int star = 0;

	while (*s) {
		if (pi < plen && (p[pi] == '?' || (p[pi] != '*' && p[pi] == *s))) {
			s++;
			pi++;
		} else if (pi < plen && p[pi] == '*') {
			star = 1;
			star_pi = ++pi;
			back = s;
		} else if (star) {
			pi = star_pi;
			s = ++back;
		} else {
			return 0;
		}
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

int sshsig_match_list(const char *s, const char *list)
{
	struct pattern pat;
	int matched = 0;

	while (next_pattern(&pat, &list)) {
		if (pat.len > PATTERN_MAX)
			return 0;
		if (match_pattern(s, pat.p, pat.len)) {
			if (pat.negated)
				return 0;
			matched = 1;
		}
	}
	return matched;
}

/* ---- is there an identity a list allows? ---- */

/*
 * A state of the search: for each pattern, the set of its positions
 * (0..len, len meaning "matched so far") the characters read so far can
 * lead to, as bits from the pattern's BIT.  A character not in any
 * pattern (OTHER) is matched by '*' and '?' only, as every such
 * character is: one stands for all.
 */
struct search {
	const struct pattern *v;
	size_t n;
	size_t nbytes;		/* bytes of a state */
	unsigned char *states;	/* every state seen, in the order found */
	size_t count, alloc;
	uint32_t *slots;	/* hash set: index + 1 of a state, or 0 */
	size_t nslots;
	size_t max_states;	/* within SEARCH_BYTES and SEARCH_WORK */
};

#define OTHER (-1)

static int bit_get(const unsigned char *st, size_t k)
{
	return st[k >> 3] >> (k & 7) & 1;
}

static void bit_set(unsigned char *st, size_t k)
{
	st[k >> 3] |= (unsigned char)(1u << (k & 7));
}

/* A '*' at a position also lets the pattern go on past it. */
static void close_stars(unsigned char *st, const struct pattern *pat)
{
	size_t i;

	for (i = 0; i < pat->len; i++)
		if (pat->p[i] == '*' && bit_get(st, pat->bit + i))
			bit_set(st, pat->bit + i + 1);
}

/* TO: the state after reading C (a byte, or OTHER) in state FROM. */
static void step(const struct search *sr, const unsigned char *from, unsigned char *to, int c)
{
	size_t k, i;

	memset(to, 0, sr->nbytes);
	for (k = 0; k < sr->n; k++) {
		const struct pattern *pat = &sr->v[k];
		for (i = 0; i < pat->len; i++) {
			char q = pat->p[i];
			if (!bit_get(from, pat->bit + i))
				continue;
			if (q == '*')
				bit_set(to, pat->bit + i);
			else if (q == '?' || (c != OTHER && q == (char)c))
				bit_set(to, pat->bit + i + 1);
		}
		close_stars(to, pat);
	}
}

/* 1 if the identity read so far is allowed (some pattern has matched,
 * no negated one has), 0 if not; -1 if no positive pattern can match
 * any continuation of it either. */
static int verdict(const struct search *sr, const unsigned char *st)
{
	int live = 0, pos = 0, neg = 0;
	size_t k, i;

	for (k = 0; k < sr->n; k++) {
		const struct pattern *pat = &sr->v[k];
		if (bit_get(st, pat->bit + pat->len)) {
			if (pat->negated)
				neg = 1;
			else
				pos = 1;
		}
		for (i = 0; !pat->negated && !live && i <= pat->len; i++)
			live = bit_get(st, pat->bit + i);
	}
	if (pos && !neg)
		return 1;
	return live ? 0 : -1;
}

static uint32_t hash_state(const unsigned char *st, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *st++) * 16777619u;
	return h;
}

/* Add ST unless seen: 1 if added, 0 if seen, negative when out of
 * memory, SILO_ERROR past MAX_STATES. */
static int remember(struct search *sr, const unsigned char *st)
{
	size_t i, mask;

	if (sr->count * 2 >= sr->nslots) {
		size_t nslots = sr->nslots ? sr->nslots * 2 : 64, k;
		uint32_t *slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return silo__error_oom();
		for (k = 0; k < sr->count; k++) {
			i = hash_state(sr->states + k * sr->nbytes, sr->nbytes) & (nslots - 1);
			while (slots[i])
				i = (i + 1) & (nslots - 1);
			slots[i] = (uint32_t)k + 1;
		}
		free(sr->slots);
		sr->slots = slots;
		sr->nslots = nslots;
	}
	mask = sr->nslots - 1;
	for (i = hash_state(st, sr->nbytes) & mask; sr->slots[i]; i = (i + 1) & mask)
		if (!memcmp(sr->states + (sr->slots[i] - 1) * sr->nbytes, st, sr->nbytes))
			return 0;
	if (sr->count >= sr->max_states)
		return SILO_ERROR;
	if (sr->count == sr->alloc) {
		size_t alloc = sr->alloc ? sr->alloc * 2 : 64;
		unsigned char *states = realloc(sr->states, alloc * sr->nbytes);
		if (!states)
			return silo__error_oom();
		sr->states = states;
		sr->alloc = alloc;
	}
	memcpy(sr->states + sr->count * sr->nbytes, st, sr->nbytes);
	sr->slots[i] = (uint32_t)++sr->count;
	return 1;
}

/* Breadth first from the empty identity over the characters of the
 * patterns and OTHER: 1 when an allowed identity is found, 0 when every
 * state was seen without one, SILO_ERROR past the budget. */
static int search(struct search *sr)
{
	int symbols[257], nsym = 0, ret = 0, c;
	unsigned char seen[256] = { 0 }, *cur = NULL, *next = NULL;
	size_t k, i, head;

	for (k = 0; k < sr->n; k++)
		for (i = 0; i < sr->v[k].len; i++) {
			unsigned char q = (unsigned char)sr->v[k].p[i];
			if (q != '*' && q != '?' && !seen[q]) {
				seen[q] = 1;
				symbols[nsym++] = q;
			}
		}
	for (c = 1; c < 256 && seen[c]; c++)
		;
	if (c < 256)
		symbols[nsym++] = OTHER;
	sr->max_states = SEARCH_BYTES / sr->nbytes;
	if (sr->max_states > SEARCH_WORK / sr->nbytes / (size_t)nsym)
		sr->max_states = SEARCH_WORK / sr->nbytes / (size_t)nsym;
	if (!(cur = calloc(1, sr->nbytes)) || !(next = calloc(1, sr->nbytes))) {
		ret = silo__error_oom();
		goto out;
	}
	for (k = 0; k < sr->n; k++) {
		bit_set(cur, sr->v[k].bit);
		close_stars(cur, &sr->v[k]);
	}
	if (verdict(sr, cur) > 0) {
		ret = 1;	/* the empty identity */
		goto out;
	}
	if ((ret = remember(sr, cur)) < 0)
		goto out;
	ret = 0;
	for (head = 0; head < sr->count && !ret; head++) {
		memcpy(cur, sr->states + head * sr->nbytes, sr->nbytes);
		for (i = 0; i < (size_t)nsym && !ret; i++) {
			int v;
			step(sr, cur, next, symbols[i]);
			if ((v = verdict(sr, next)) > 0)
				ret = 1;
			else if (v == 0 && (v = remember(sr, next)) < 0)
				ret = v;
		}
	}
out:
	free(cur);
	free(next);
	return ret;
}

/*
 * The likely witnesses first: each positive pattern with its '*' matching
 * nothing, or one character, and its '?' one character (C, which is in no
 * pattern, or 'a').  1 if one is allowed by LIST, 0 if none is (which
 * proves nothing), negative when out of memory.
 */
static int try_witnesses(const char *list, const struct pattern *v, size_t n, char c)
{
	size_t k, i, j;
	int star, found = 0;

	for (k = 0; k < n && !found; k++) {
		char *w;
		if (v[k].negated)
			continue;
		if (!(w = malloc(v[k].len + 1)))
			return silo__error_oom();
		for (star = 0; star < 2 && !found; star++) {
			for (i = j = 0; i < v[k].len; i++)
				if (v[k].p[i] == '?' || (v[k].p[i] == '*' && star))
					w[j++] = c;
				else if (v[k].p[i] != '*')
					w[j++] = v[k].p[i];
			w[j] = '\0';
			found = sshsig_match_list(w, list);
		}
		free(w);
	}
	return found;
}

/* A byte in none of the N patterns V, 'a' if each is in one. */
static char other_char(const struct pattern *v, size_t n)
{
	static const char pick[] = "xyzqjkXYZ0123456789";
	unsigned char used[256] = { 0 };
	size_t k, i;

	for (k = 0; k < n; k++)
		for (i = 0; i < v[k].len; i++)
			used[(unsigned char)v[k].p[i]] = 1;
	for (i = 0; pick[i]; i++)
		if (!used[(unsigned char)pick[i]])
			return pick[i];
	for (i = 1; i < 256; i++)
		if (!used[i])
			return (char)i;
	return 'a';
}

int sshsig_principals_can_match(const char *list)
{
	struct search sr;
	struct pattern pat, *v = NULL;
	size_t n = 0, alloc = 0, bits = 0;
	int positive = 0, negative = 0, ret;
	const char *s = list;

	while (next_pattern(&pat, &s)) {
		if (pat.len > PATTERN_MAX) {
			free(v);
			return 0;	/* OpenSSH: the list matches nothing */
		}
		if (n == alloc) {
			struct pattern *nv = realloc(v, (alloc = alloc ? 2 * alloc : 8) * sizeof(*v));
			if (!nv) {
				free(v);
				return silo__error_oom();
			}
			v = nv;
		}
		pat.bit = bits;
		bits += pat.len + 1;
		v[n++] = pat;
		if (pat.negated)
			negative = 1;
		else
			positive = 1;
	}
	if (!positive || !negative) {
		free(v);
		return positive;
	}
	if ((ret = try_witnesses(list, v, n, other_char(v, n))) != 0) {
		free(v);
		return ret;
	}
	memset(&sr, 0, sizeof(sr));
	sr.v = v;
	sr.n = n;
	sr.nbytes = (bits + 7) / 8;
	ret = search(&sr);
	free(sr.states);
	free(sr.slots);
	free(v);
	/* A list too large to decide allows no one: refused, not trusted. */
	return ret == SILO_ERROR ? 0 : ret;
}
