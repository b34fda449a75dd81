#!/bin/sh
test_description='medo web: a site any web server can read, of hostile names and trees'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: two versions of a tree, kind tree and tar' '
	silo init -q deps.silo &&
	mkdir -p m.medo v1 &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo a >v1/a && cp -R v1 v2 && echo b >v2/b &&
	medo add -q --kind=tree v1 m.medo/demo-1.0.treeptr &&
	medo add -q --kind=tree v2 m.medo/demo-1.1.treeptr &&
	medo add -q v2 m.medo/tar-1.1.treeptr
'

test_expect_success 'every directory and page of the site is readable by all (umask 022)' '
	(umask 022 && medo web -q m.medo -o site) &&
	test -d site/t && test -d site/d && test -d site/p &&
	find site -type d ! -perm -0555 >bad &&
	find site -type f ! -perm -0444 >>bad &&
	test_must_be_empty bad
'

test_expect_success 'a second run keeps the modes; umask 077 keeps the site private' '
	(umask 022 && medo web -q m.medo -o site) &&
	find site ! -perm -0444 >bad && test_must_be_empty bad &&
	(umask 077 && medo web -q m.medo -o private) &&
	find private/p private/t private/d -perm /0077 >open &&
	test_must_be_empty open
'

test_done
