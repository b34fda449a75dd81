#!/bin/sh
test_description='knot validate: what is wrong with a recipe, without building it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

test_expect_success 'setup' '
	knot_setup && knot_recipe good 1.0
'

test_expect_success 'a good recipe is ok' '
	knot validate deps/source.medo/good >actual &&
	echo "ok deps/source.medo/good good (1 version)" >expect &&
	test_cmp expect actual &&
	knot validate -q deps/source.medo/good >actual &&
	test_must_be_empty actual
'

test_expect_success 'every problem is named, with the recipe' '
	mkdir -p bad &&
	cat >bad/WEDGE <<-\EOF &&
	WEDGE_NAME="bad name"
	WEDGE_VERSION_LIST="1.0 1.0 -x"
	WEDGE_IS_ABSOLUTE=yes
	WEDGE_DEPS="/x"
	wedge-make() { :; }
	EOF
	test_expect_code 5 knot validate bad 2>err &&
	cat >expect <<-\EOF &&
	knot: error: '"'"'bad'"'"': WEDGE_NAME '"'"'bad name'"'"' is not a name (letters, digits, '"'"'.'"'"', '"'"'_'"'"', '"'"'+'"'"', '"'"'~'"'"', '"'"'-'"'"')
	EOF
	head -n 1 err >actual && test_cmp expect actual &&
	grep -q "version .1.0. is listed twice" err &&
	grep -q "version .-x. is not well formed" err &&
	grep -q "WEDGE_IS_ABSOLUTE must be 1" err &&
	grep -q "WEDGE_DEPS entry ./x. is not NAME/VERSION or NAME" err &&
	grep -q "neither wedge-install nor wedge-install-from-source-dir" err
'

test_expect_success 'a missing source treeptr and missing variables are named' '
	mkdir -p nosrc && printf "WEDGE_NAME=nosrc\nWEDGE_VERSION=2\nwedge-make() { :; }\nwedge-install() { :; }\n" >nosrc/WEDGE &&
	test_expect_code 5 knot validate nosrc 2>err &&
	grep -q "its source treeptr .*/nosrc/nosrc-2.treeptr. is missing" err &&
	mkdir -p novars && echo "true" >novars/WEDGE &&
	test_expect_code 5 knot validate novars 2>err &&
	grep -q "WEDGE_NAME is not set" err &&
	grep -q "neither WEDGE_VERSION nor WEDGE_VERSION_LIST is set" err &&
	grep -q "neither wedge-make nor wedge-make-from-source-dir" err
'

test_expect_success 'a WEDGE that fails when sourced is reported with bash'"'"'s message' '
	mkdir -p broken && echo "WEDGE_NAME=x; \$undefined_variable" >broken/WEDGE &&
	test_expect_code 5 knot validate broken 2>err &&
	grep -q "broken/WEDGE.: sourcing it with bash failed (exit status 1): .*undefined_variable: unbound variable" err
'

test_expect_success 'a directory without WEDGE is not a recipe' '
	mkdir -p empty &&
	test_expect_code 5 knot validate empty 2>err &&
	grep -q "is not a recipe: it holds no WEDGE file" err
'

test_expect_success 'knot build refuses an invalid recipe, pointing to validate' '
	test_expect_code 5 knot build nosrc 2>err &&
	grep -q "see knot validate" err
'

test_done
