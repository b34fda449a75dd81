#!/bin/sh
test_description='knot key: stable across touch, clones and users; changed by what goes in'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

test_expect_success 'setup: two recipes, one depending on the other' '
	knot_setup &&
	knot_recipe base 1.0 &&
	knot_recipe app 2.0 "WEDGE_DEPS=\"base/1.0\"" &&
	knot key deps/source.medo/app >key-app &&
	knot key deps/source.medo/base >key-base &&
	test_line_count 1 key-app &&
	grep -q "^[0-9a-f]\{64\} app/2.0\$" key-app &&
	grep -q "^[0-9a-f]\{64\} base/1.0\$" key-base
'

test_expect_success 'the key is the sha256 of the text --explain prints' '
	knot key --explain deps/source.medo/base >explained &&
	sed -n "2,/^\$/p" explained | sed "\$d" >text &&
	head -n 1 text >actual && echo "knot-key 1" >expect && test_cmp expect actual &&
	grep -q "^recipe-tree [0-9a-f]\{40\}\$" text &&
	grep -q "^platform " text && grep -q "^box bwrap 3 net=none" text &&
	test "$(sha256sum <text | cut -d" " -f1)" = "$(cut -d" " -f1 key-base)"
'

test_expect_success 'touching files does not change the key' '
	touch -d "2001-01-01" deps/source.medo/base/WEDGE deps/source.medo/base/*.treeptr &&
	touch deps/source.medo/app/WEDGE &&
	knot key deps/source.medo/app >actual &&
	test_cmp key-app actual
'

test_expect_success 'a fresh clone at another path gives the same keys' '
	git init -q repo-a && cp -R deps deps.silo repo-a/ &&
	(cd repo-a && git add -A && git -c user.name=t -c user.email=t@t commit -q -m r) &&
	git clone -q repo-a elsewhere/clone &&
	cp -R deps.silo elsewhere/ &&
	(cd repo-a && knot key deps/source.medo/app) >key-a &&
	(cd elsewhere/clone && knot key deps/source.medo/app) >key-b &&
	test_cmp key-app key-a && test_cmp key-app key-b
'

ROOT || say "the another-user test is skipped: switching users needs root"
test_expect_success ROOT 'another user gets the same keys' '
	chmod -R a+rX deps deps.silo &&
	as_user env HOME=/nonexistent knot key deps/source.medo/app >actual &&
	test_cmp key-app actual
'

test_expect_success 'a one-byte change of the recipe changes its key and its dependents' '
	cp deps/source.medo/base/WEDGE base-WEDGE &&
	echo "#" >>deps/source.medo/base/WEDGE &&
	knot key deps/source.medo/base >changed-base &&
	knot key deps/source.medo/app >changed-app &&
	! test_cmp key-base changed-base >/dev/null &&
	! test_cmp key-app changed-app >/dev/null &&
	cp base-WEDGE deps/source.medo/base/WEDGE &&
	knot key deps/source.medo/app >actual && test_cmp key-app actual
'

test_expect_success 'an extra file of the recipe is part of the key' '
	echo patch >deps/source.medo/base/fix.patch &&
	knot key deps/source.medo/base >actual &&
	! test_cmp key-base actual >/dev/null &&
	rm deps/source.medo/base/fix.patch &&
	knot key deps/source.medo/base >actual && test_cmp key-base actual
'

test_expect_success 'a new source changes the key; the same source added again does not' '
	cp deps/source.medo/base/base-1.0.treeptr old.treeptr &&
	sed "s/\"time\": \".*\"/\"time\": \"1999-01-01T00:00:00Z\"/" old.treeptr \
		>deps/source.medo/base/base-1.0.treeptr &&
	! cmp -s old.treeptr deps/source.medo/base/base-1.0.treeptr &&
	knot key deps/source.medo/base >actual && test_cmp key-base actual &&
	echo more >>src-base-1.0/base-1.0/data.txt &&
	medo add --force src-base-1.0 deps/source.medo/base/base-1.0.treeptr &&
	knot key deps/source.medo/base >new-source &&
	! test_cmp key-base new-source >/dev/null &&
	cp old.treeptr deps/source.medo/base/base-1.0.treeptr &&
	knot key deps/source.medo/base >actual && test_cmp key-base actual
'

test_expect_success 'another WEDGE_VERSION gives another key' '
	sed "s/^WEDGE_VERSION=1.0/WEDGE_VERSION=1.1/" base-WEDGE >deps/source.medo/base/WEDGE &&
	cp deps/source.medo/base/base-1.0.treeptr deps/source.medo/base/base-1.1.treeptr &&
	knot key deps/source.medo/base >actual &&
	grep -q " base/1.1\$" actual &&
	test "$(cut -d" " -f1 actual)" != "$(cut -d" " -f1 key-base)" &&
	cp base-WEDGE deps/source.medo/base/WEDGE && rm deps/source.medo/base/base-1.1.treeptr
'

test_expect_success 'the box, the domain and declared variables are part of the key' '
	knot key --unboxed deps/source.medo/base >unboxed &&
	! test_cmp key-base unboxed >/dev/null &&
	KNOT_DOMAIN=example.org knot key deps/source.medo/base >domain &&
	! test_cmp key-base domain >/dev/null &&
	echo "WEDGE_ENV=CFLAGS" >>deps/source.medo/base/WEDGE &&
	CFLAGS=-O1 KNOT_PASS_ENV=CFLAGS knot key deps/source.medo/base >o1 &&
	CFLAGS=-O2 KNOT_PASS_ENV=CFLAGS knot key deps/source.medo/base >o2 &&
	! test_cmp o1 o2 >/dev/null &&
	cp base-WEDGE deps/source.medo/base/WEDGE
'

test_expect_success 'knot key of a missing dependency or a cycle fails, naming it' '
	knot_recipe lonely 1.0 "WEDGE_DEPS=\"nothing/1.0\"" &&
	test_expect_code 5 knot key deps/source.medo/lonely 2>err &&
	grep -q "dependency .nothing/1.0. has no recipe" err &&
	knot_recipe cyc 1.0 "WEDGE_DEPS=\"cyc/1.0\"" &&
	test_expect_code 5 knot key deps/source.medo/cyc 2>err &&
	grep -q "cycle" err
'

test_done
