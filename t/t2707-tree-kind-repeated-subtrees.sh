#!/bin/sh
test_description='a 2 KB pack whose tree names one subtree twice at 40 levels (2^40 paths) is refused at its first excess by every walker: expand (also in part), ls, cat, diff, mount, repack'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"

export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# Each command runs under timeout: before the walks were bounded, they
# ran until memory or disk ran out (exit 124 here).
T="timeout 120"

# Everything in the trash directory but the silo, the repository and the
# scratch files (x-*): what a refused command must leave as it was.
state() {
	find . -path ./deps.silo -prune -o -path ./r -prune -o -path ./cache -prune \
		-o -name "x-*" -prune -o -print | sort
}

# doubling REPO BOTTOM LEVELS: the tree "a" and "b" both naming the tree
# below, LEVELS times over BOTTOM; its id.
doubling() {
	d_tree=$2 &&
	for d_i in $(seq 1 $3); do
		d_tree=$(printf "040000 tree %s\ta\n040000 tree %s\tb\n" $d_tree $d_tree |
			 git -C "$1" mktree) || return 1
	done &&
	echo $d_tree
}

test_expect_success 'setup: the 2 KB pack, a tree of one file doubled 40 times' '
	silo init deps.silo &&
	mkdir m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	git init -q r &&
	f=$(echo x | git -C r hash-object -w --stdin) &&
	printf "100644 blob %s\tf\n" $f | git -C r mktree >bottom &&
	doubling r $(cat bottom) 40 >root && root=$(cat root) &&
	echo 2 >sizes &&
	tree_treeptr r $root sizes deps.silo m/bomb.treeptr &&
	ls deps.silo/pack/*.pack >packs && test_line_count 1 packs &&
	test $(wc -c <$(cat packs)) -lt 2500 &&
	mkdir plain && echo x >plain/f &&
	medo add -q --kind=tree plain m/plain.treeptr
'

test_expect_success 'expand fails at the second file, writes nothing, leaves no staging directory' '
	root=$(cat root) &&
	state >x-before &&
	test_expect_code 4 $T medo expand m/bomb.treeptr dest 2>x-err &&
	cat >x-expect <<-EOF &&
	medo: error: '\''m/bomb.treeptr'\'': tree $(git -C r rev-parse $root:a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/b) of '\''a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/b'\'' lists more files than the 1 of its size table $(git hash-object sizes)
	EOF
	test_cmp x-expect x-err &&
	state >x-after &&
	test_cmp x-before x-after
'

test_expect_success 'a partial expand of a directory stops at its second file too' '
	state >x-before &&
	test_expect_code 4 $T medo expand m/bomb.treeptr dest -- a/a 2>x-err &&
	grep "^medo: error: .m/bomb.treeptr.: tree [0-9a-f]* of .a/a/[ab/]*. lists more files than its size table can (1)$" x-err &&
	state >x-after &&
	test_cmp x-before x-after &&
	$T medo expand -q m/bomb.treeptr x-one -- $(printf "a/%.0s" $(seq 1 40))f &&
	echo x >x-expect &&
	test_cmp x-expect x-one/$(printf "a/%.0s" $(seq 1 40))f
'

test_expect_success 'ls and ls -r fail the same way, printing nothing' '
	test_expect_code 4 $T medo ls -r m/bomb.treeptr >out 2>err &&
	test_must_be_empty out &&
	grep "lists more files than the 1 of its size table" err &&
	test_expect_code 4 $T medo ls m/bomb.treeptr a >out 2>err &&
	test_must_be_empty out &&
	grep "lists more files than the 1 of its size table" err
'

test_expect_success 'cat of its one legitimate path fails the same way' '
	test_expect_code 4 $T medo cat m/bomb.treeptr $(printf "a/%.0s" $(seq 1 40))f >out 2>err &&
	test_must_be_empty out &&
	grep "lists more files than the 1 of its size table" err
'

test_expect_success 'diff, either way round, stops at the second file its walk meets' '
	test_expect_code 4 $T medo diff m/plain.treeptr m/bomb.treeptr >out 2>err &&
	test $(wc -l <out) -le 1 &&
	grep "^medo: error: .m/bomb.treeptr.: tree $(cat root) lists more files than its size table can (1; at " err &&
	test_expect_code 4 $T medo diff m/bomb.treeptr m/plain.treeptr >out 2>err &&
	test $(wc -l <out) -le 1 &&
	grep "lists more files than its size table can (1; at " err
'

test_expect_success FUSE 'mount fails before mounting' '
	mkdir mnt &&
	test_when_finished "! grep -q \" \$PWD/mnt fuse\" /proc/mounts || medo mount -u mnt" &&
	test_expect_code 4 $T medo mount m/bomb.treeptr mnt 2>err &&
	grep "lists more files than the 1 of its size table" err &&
	! grep " $PWD/mnt fuse" /proc/mounts
'

test_expect_success 'subtrees that end in empty trees (no file at all) are refused as well' '
	empty=$(git -C r mktree </dev/null) &&
	eroot=$(doubling r $empty 40) &&
	: >esizes &&
	tree_treeptr r $eroot esizes deps.silo m/empties.treeptr &&
	test_expect_code 4 $T medo expand m/empties.treeptr dest 2>err &&
	grep "tree $empty of .a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a. holds no file: git writes no empty directory" err &&
	! test -e dest &&
	test_expect_code 4 $T medo ls -r m/empties.treeptr >out 2>&1 &&
	test_expect_code 4 $T medo diff m/plain.treeptr m/empties.treeptr 2>err &&
	grep "tree $empty of .a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a. is empty: git writes no empty directory" err
'

test_expect_success 'a size table that lists more files than the tree, or is not the size the treeptr says' '
	bottom=$(cat bottom) &&
	printf "2\n2\n" >sizes2 &&
	tree_treeptr r $bottom sizes2 deps.silo m/short.treeptr &&
	test_expect_code 4 medo expand m/short.treeptr dest 2>err &&
	grep "size table $(git hash-object sizes2) lists 2 files, tree $bottom 1" err &&
	tree_treeptr r $bottom sizes deps.silo m/ok.treeptr &&
	medo expand m/ok.treeptr ok && echo x >expect && test_cmp expect ok/f &&
	sed "s/\"size\": 2,/\"size\": 3,/" m/ok.treeptr >m/lying.treeptr &&
	test_expect_code 4 medo expand m/lying.treeptr dest 2>err &&
	grep "size table $(git hash-object sizes) has 2 bytes, not the 3 the treeptr says" err &&
	printf "02\n" >sizes3 &&
	tree_treeptr r $bottom sizes3 deps.silo m/padded.treeptr &&
	test_expect_code 4 medo expand m/padded.treeptr dest 2>err &&
	grep "size table $(git hash-object sizes3): line 1 of the size table is not a size in decimal" err &&
	! test -e dest
'

test_expect_success 'a path longer than 4095 bytes is refused' '
	n=$(printf "n%.0s" $(seq 1 250)) &&
	t=$(cat bottom) && for i in $(seq 1 17); do
		t=$(printf "040000 tree %s\t%s\n" $t $n | git -C r mktree) || return 1
	done &&
	tree_treeptr r $t sizes deps.silo m/long.treeptr &&
	test_expect_code 5 medo expand m/long.treeptr dest 2>err &&
	grep "holds a path longer than 4095 bytes" err &&
	test_expect_code 5 medo ls -r m/long.treeptr 2>err &&
	grep "holds a path longer than 4095 bytes" err
'

test_expect_success 'silo repack -a ends, keeps every object, and the trees read as before' '
	silo ls --silo deps.silo | sort >before &&
	$T silo repack -a -q --silo deps.silo &&
	silo ls --silo deps.silo | sort >after &&
	test_cmp before after &&
	silo verify -q deps.silo &&
	test_expect_code 4 $T medo ls -r m/bomb.treeptr 2>err &&
	grep "lists more files than the 1 of its size table" err &&
	medo expand m/plain.treeptr plain-out &&
	diff -r plain plain-out
'

test_done
