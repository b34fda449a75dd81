#!/bin/sh
test_description='allowed signers: a line whose principals allow no one authorises no key, as in ssh-keygen'
. "$(dirname "$0")/test-lib.sh"

test_lazy_prereq KEYGEN 'command -v ssh-keygen'

# medo verify has no identity to check (ssh-keygen -Y verify -I): a line
# counts when SOME identity matches its principals, a pattern list
# (OpenSSH's match_pattern_list(): a pattern, and no negated one).
# ssh-keygen is asked for each principals field below with each of
# these identities, and medo must accept the key exactly when
# ssh-keygen accepts one of them (each field that allows someone allows
# one of them).  "" is the empty identity, which ssh-keygen takes.
IDENTITIES='ed@example.org foo bar fxo foox a ab xy'

test_expect_success KEYGEN 'setup: a key, a signed treeptr' '
	ssh-keygen -q -t ed25519 -N "" -C ed -f ed &&
	ssh-keygen -q -t ed25519 -N "" -C other -f other &&
	silo init deps.silo &&
	mkdir -p deps.medo src && echo one >src/f &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >deps.medo/SILO.json &&
	medo add -q src deps.medo/a.treeptr &&
	ssh-keygen -q -Y sign -f ed -n medo <deps.medo/a.treeptr >deps.medo/a.treeptr.sig
'

# "FIELD: the identities ssh-keygen accepts | medo's exit status" for
# the allowed signers line FIELD KEY.
verdicts() {
	while read -r field; do
		echo "$field $(cat ed.pub)" >allowed &&
		printf "%s:" "$field" &&
		for id in $IDENTITIES ""; do
			if ssh-keygen -Y verify -f allowed -I "$id" -n medo \
				-s deps.medo/a.treeptr.sig <deps.medo/a.treeptr >/dev/null 2>&1
			then
				printf " +%s" "${id:-(empty)}"
			fi
		done &&
		medo verify --signed-by allowed deps.medo/a.treeptr src 2>/dev/null
		echo " | $?"
	done
}

test_expect_success KEYGEN 'medo accepts a line exactly when ssh-keygen accepts it for someone' '
	verdicts >actual <<-\EOF &&
	ed@example.org
	!*
	!foo,!bar
	foo,!foo
	*,!foo
	!foo,*
	*@example.org,!*@example.org
	f?o,!foo
	foo*,!*o
	foo*,!*
	*a*,!*b*
	,!x
	!
	EOF
	cat >expect <<-\EOF &&
	ed@example.org: +ed@example.org | 0
	!*: | 1
	!foo,!bar: | 1
	foo,!foo: | 1
	*,!foo: +ed@example.org +bar +fxo +foox +a +ab +xy +(empty) | 0
	!foo,*: +ed@example.org +bar +fxo +foox +a +ab +xy +(empty) | 0
	*@example.org,!*@example.org: | 1
	f?o,!foo: +fxo | 0
	foo*,!*o: +foox | 0
	foo*,!*: | 1
	*a*,!*b*: +ed@example.org +a | 0
	,!x: +(empty) | 0
	!: | 1
	EOF
	test_cmp expect actual
'

test_expect_success KEYGEN 'a key listed only for no one is refused, saying so; nothing expanded' '
	echo "!* $(cat ed.pub)" >allowed &&
	fp=$(ssh-keygen -l -f ed.pub | cut -d" " -f2) &&
	test_expect_code 1 medo expand --require-signature allowed deps.medo/a.treeptr dest 2>err &&
	echo "medo: error: untrusted signature '\''deps.medo/a.treeptr.sig'\'': ED25519 key $fp is in '\''allowed'\'' only for principals no one can be" >expect &&
	test_cmp expect err &&
	test ! -e dest &&
	# What a script would do with ssh-keygen: the principal it finds
	# does not verify either.
	ssh-keygen -Y find-principals -f allowed -s deps.medo/a.treeptr.sig >principal &&
	echo "!*" >expect && test_cmp expect principal &&
	test_must_fail ssh-keygen -Y verify -f allowed -I "$(cat principal)" -n medo \
		-s deps.medo/a.treeptr.sig <deps.medo/a.treeptr
'

test_expect_success KEYGEN 'a line for no one does not hide a later line of the same key' '
	{
		echo "!*,!ed@example.org $(cat ed.pub)" &&
		echo "someone@example.org $(cat other.pub)" &&
		echo "ed@example.org $(cat ed.pub)"
	} >allowed &&
	medo verify --signed-by allowed deps.medo/a.treeptr src &&
	medo expand --require-signature allowed deps.medo/a.treeptr dest &&
	test -f dest/f
'

test_done
