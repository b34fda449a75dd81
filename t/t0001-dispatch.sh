#!/bin/sh
test_description='front ends: dispatch by name, help, version, usage errors'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'the tools are links to one binary' '
	test "$(readlink "$SILO_BUILD_DIR/bin/silo")" = silobox &&
	test "$(readlink "$SILO_BUILD_DIR/bin/medo")" = silobox &&
	test "$(readlink "$SILO_BUILD_DIR/bin/knot")" = silobox
'

test_expect_success 'silobox dispatches on its first argument' '
	silo --version >expect &&
	silobox silo --version >actual &&
	test_cmp expect actual
'

test_expect_success 'silobox under another name is a usage error' '
	test_expect_code 2 silobox frob 2>err &&
	grep "^silobox: error: call me as silo, medo or knot" err
'

test_expect_success '--version prints the tool and version' '
	for t in silo medo knot; do
		$t --version >out &&
		grep -E "^$t version [0-9]+\.[0-9]+\.[0-9]+$" out || return 1
	done
'

test_expect_success 'no command is a usage error on stderr' '
	test_expect_code 2 silo >out 2>err &&
	test_must_be_empty out &&
	grep "^usage: silo" err
'

test_expect_success 'an unknown command exits 2 and names it' '
	test_expect_code 2 silo frobnicate 2>err &&
	echo "silo: error: '\''frobnicate'\'' is not a silo command; see '\''silo --help'\''" >expect &&
	test_cmp expect err
'

test_expect_success '--help lists every command and exits 0' '
	silo --help >out &&
	for c in cat init ls put verify; do
		grep "^    $c " out || return 1
	done
'

test_expect_success 'every command has --help on stdout, exit 0' '
	for c in cat init ls put verify; do
		silo $c --help >out 2>err &&
		test_must_be_empty err &&
		grep "^usage: silo $c" out &&
		grep -- "-h, --help" out || return 1
	done
'

test_expect_success 'help CMD is CMD --help' '
	silo put --help >expect &&
	silo help put >actual &&
	test_cmp expect actual
'

test_expect_success 'an unknown option exits 2 with the usage' '
	test_expect_code 2 silo ls --frob 2>err &&
	grep "^silo: error: unknown option .--frob." err &&
	grep "^usage: silo ls" err
'

test_expect_success 'a non-numeric value for a number option exits 2' '
	silo init s &&
	test_expect_code 2 silo verify -j lots s 2>err &&
	grep "expects a whole number, not .lots." err
'

test_lazy_prereq DEV_FULL 'test -w /dev/full && ! echo x >/dev/full'

test_expect_success DEV_FULL 'a full stdout is an error, not success' '
	silo init s2 && echo x >f && silo put --silo s2 f >/dev/null &&
	test_expect_code 6 silo ls --silo s2 >/dev/full 2>err &&
	grep "cannot write to standard output" err
'

test_done
