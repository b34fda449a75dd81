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
	knot validate nosrc &&
	: >nosrc/nosrc-1.treeptr &&
	test_expect_code 5 knot validate nosrc 2>err &&
	grep -q "its source treeptr .*/nosrc/nosrc-2.treeptr. is missing; the recipe holds versions 1$" err &&
	mkdir -p novars && echo "# nothing yet" >novars/WEDGE &&
	test_expect_code 5 knot validate novars 2>err &&
	grep -q "WEDGE_NAME is not set" err &&
	grep -q "neither WEDGE_VERSION nor WEDGE_VERSION_LIST is set" err &&
	grep -q "neither wedge-make nor wedge-make-from-source-dir" err
'

test_expect_success 'a WEDGE that fails when sourced is reported with bash'"'"'s message' '
	mkdir -p broken && echo "WEDGE_NAME=\$undefined_variable" >broken/WEDGE &&
	test_expect_code 5 knot validate broken 2>err &&
	grep -q "broken/WEDGE.: sourcing it with bash failed (exit status 1): .*undefined_variable: unbound variable" err
'

test_expect_success 'recipes as the first user writes them are valid' '
	mkdir -p deps/source.medo/oils &&
	cat >deps/source.medo/oils/WEDGE <<-\EOF &&
	# Wedge definition, in the style of Oils'"'"' deps/source.medo
	#
	# Loaded by deps/wedge.sh.

	set -o nounset
	set -o pipefail
	set -o errexit

	WEDGE_NAME='"'"'oils'"'"'
	WEDGE_VERSION_LIST='"'"'1.0 2.0'"'"'
	WEDGE_IS_ABSOLUTE=1  # TODO: consider relaxing
	WEDGE_TARBALL_NAME='"'"'oils'"'"'
	WEDGE_LEAKY_BUILD=1
	LIBRARY='"'"'liboils'"'"'
	SOVERSION=$WEDGE_NAME
	HEADERS='"'"'
	  a.h
	  b.h
	'"'"'
	SOURCES="
	  ${HEADERS}
	  main.c
	"
	FLAGS=(-O2 "-DNAME=$LIBRARY")
	EMPTY='"'"''"'"'

	wedge-make() {
	  local src_dir=$1 build_dir=$2 install_dir=$3
	  echo "$SOURCES" | while read -r f; do echo "$f"; done
	  "$src_dir/configure" --prefix="$install_dir"
	  time make -j2
	}

	wedge-install() {
	  local build_dir=$1 install_dir=$2
	  make install
	}

	wedge-smoke-test() {
	  local install_dir=$1 wedge_dir=$2
	  "$install_dir/bin/oils" --version
	}
	EOF
	knot_source oils 1.0 && knot_source oils 2.0 &&
	knot validate deps/source.medo/oils >actual &&
	echo "ok deps/source.medo/oils oils (2 versions)" >expect &&
	test_cmp expect actual &&
	knot validate --unboxed deps/source.medo/oils >actual &&
	test_cmp expect actual
'

# refused LINE TEXT: a WEDGE whose line 2 is LINE is refused, naming TEXT.
refused() {
	rm -rf r && mkdir r &&
	printf 'WEDGE_NAME=r\n%s\nWEDGE_VERSION=1\n' "$1" >r/WEDGE &&
	test_expect_code 5 knot validate r 2>err &&
	printf "knot: error: 'r': WEDGE:2: '%s' is a command at the top level, where only assignments, function definitions and 'set -o' may be (knot runs no command when it reads a recipe)\n" "$2" >expect &&
	test_cmp expect err
}

test_expect_success 'every command at the top level but assignments is refused, by line' '
	refused "echo hi" "echo hi" &&
	refused "true" "true" &&
	refused "cat /etc/passwd >copy" "cat /etc/passwd > copy" &&
	refused "X=1 env" "X=1 env" &&
	refused "X=\$(id -u)" "X=\$(id -u)" &&
	refused "X=\`id -u\`" "X=\`id -u\`" &&
	refused "X=\${Y:-\$(id)}" "X=\${Y:-\$(id)}" &&
	refused "Q=\${WEDGE_NAME@P}" "Q=\${WEDGE_NAME@P}" &&
	refused "a[\$(id)]=1" "a[\$(id)]=1" &&
	refused "source ./other" "source ./other" &&
	refused "set +o functrace" "set +o functrace" &&
	refused "shopt -u extdebug" "shopt -u extdebug" &&
	refused "trap - DEBUG" "trap - DEBUG" &&
	refused "knot_refuse=1" "knot_refuse=1" &&
	refused "if true; then :; fi" "true" &&
	refused "[[ -e /etc/passwd ]]" "[[ -e /etc/passwd ]]" &&
	refused "for f in \$(id); do :; done" "id" &&
	refused "id | cat" "id" &&
	refused "id &" "id" &&
	refused "f() { :; }; f" "f" &&
	! test -e copy
'

test_expect_success 'a function named like a builtin knot uses does not run when read' '
	rm -rf r && mkdir r &&
	printf "WEDGE_NAME=r\nWEDGE_VERSION=1\nprintf() { echo ran >ran; }\n" >r/WEDGE &&
	test_expect_code 5 knot validate --unboxed r 2>err &&
	grep "^knot: error: '"'"'r'"'"': WEDGE:3: the function '"'"'printf'"'"' ran while knot read the recipe" err &&
	! test -e r/ran
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
