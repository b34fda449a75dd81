#!/bin/sh
test_description='progress: one line on a terminal, none in a pipe; --progress and --no-progress force it'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-pty.sh"

test_expect_success PTY 'setup' '
	silo init s &&
	mkdir -p src/d &&
	for i in 1 2 3 4 5; do echo $i >src/d/f$i || return 1; done &&
	test_seeded_file src/big 3000000 3
'

test_expect_success PTY 'medo add on a terminal ends with a line of files, bytes and rate' '
	on_tty tty medo add --silo s src t.treeptr &&
	grep "^medo add: 100% (6 files), [0-9.]* MiB, [0-9.]* MiB/s.*, done\.$" tty &&
	test -f t.treeptr
'

test_expect_success PTY 'medo add in a pipe prints no progress' '
	medo add --silo s --force src t2.treeptr 2>err &&
	test_must_be_empty err
'

test_expect_success PTY 'medo add --progress shows it in a pipe, --no-progress and -q hide it on a terminal' '
	medo add --silo s --progress src t3.treeptr 2>err &&
	grep "medo add: 100% (6 files)" err &&
	on_tty tty2 medo add --silo s --no-progress src t4.treeptr &&
	test_must_be_empty tty2 &&
	on_tty tty3 medo add -q --silo s src t5.treeptr &&
	test_must_be_empty tty3
'

test_expect_success PTY 'medo expand of one treeptr on a terminal, and in a pipe' '
	on_tty tty medo expand --silo s t.treeptr out &&
	grep "^medo expand: 100%, [0-9.]* MiB, [0-9.]* MiB/s.*, done\.$" tty &&
	medo expand --silo s t.treeptr out2 2>err &&
	test_must_be_empty err &&
	cmp src/big out/big
'

test_expect_success PTY 'medo expand of a medo directory counts treeptrs' '
	mkdir m &&
	echo "{ \"silos\": [\"../s\"] }" >m/SILO.json &&
	cp t.treeptr m/a.treeptr && cp t.treeptr m/b.treeptr &&
	on_tty tty medo expand m dest &&
	grep "^expanding treeptrs: 100% (2/2), .*done\.$" tty &&
	medo expand m dest2 2>err &&
	test_must_be_empty err
'

test_expect_success PTY 'silo verify and silo repack show progress on a terminal only' '
	on_tty tty silo verify s &&
	grep "^verifying objects: 100% ([0-9]*/[0-9]*), .*/s" tty &&
	silo verify s 2>err &&
	test_must_be_empty err &&
	on_tty tty silo repack --silo s -a -d &&
	grep "^compressing: 100% (1/1), .*done\.$" tty &&
	silo verify --progress s 2>err &&
	grep "verifying objects: 100%" err
'

test_done
