#!/bin/sh
test_description='-q prints nothing on success, for the commands not covered elsewhere'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# quiet CMD...: CMD -q succeeds and prints nothing, on either stream.
quiet() {
	"$@" >out 2>err || { echo "failed: $*"; cat err; return 1; }
	test_must_be_empty out && test_must_be_empty err
}

test_expect_success 'setup: a silo, trees of both kinds, a recipe' '
	knot_setup &&
	mkdir -p t1/sub t2/sub && echo one >t1/sub/f && echo two >t2/sub/f &&
	medo add --kind=tree t1 deps/source.medo/t1.treeptr &&
	medo add --kind=tree t2 deps/source.medo/t2.treeptr &&
	knot_recipe hello 1.0 &&
	ssh-keygen -q -t ed25519 -N "" -f key
'

test_expect_success 'silo du -q, silo push -q' '
	quiet silo du -q --silo deps.silo &&
	quiet silo push -q --silo deps.silo pushed.silo &&
	silo ls --silo deps.silo >expect && silo ls --silo pushed.silo >actual &&
	test_cmp expect actual
'

test_expect_success 'medo ls, cat, diff, show, sign with -q' '
	quiet medo ls -q deps/source.medo/t1.treeptr &&
	quiet medo cat -q deps/source.medo/t1.treeptr sub/f &&
	quiet medo show -q deps/source.medo/t1.treeptr &&
	quiet medo sign -q -k key deps/source.medo/t1.treeptr &&
	test -s deps/source.medo/t1.treeptr.sig
'

test_expect_success 'medo diff -q answers with its exit status alone' '
	medo diff -q deps/source.medo/t1.treeptr deps/source.medo/t1.treeptr >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'knot build, list, show, install, report with -q' '
	quiet knot build -q --unboxed deps/source.medo/hello &&
	quiet knot list -q --unboxed deps/source.medo &&
	quiet knot show -q "$(knot_derived hello 1.0)" &&
	quiet knot key -q --unboxed deps/source.medo/hello &&
	quiet knot install -q --unboxed --root img deps/source.medo/hello &&
	test -x img/wedge/oils-for-unix.org/pkg/hello/1.0/bin/hello &&
	report=$(ls -d .knot/reports/* | head -n 1) &&
	quiet knot report -q "$report"
'

test_done
