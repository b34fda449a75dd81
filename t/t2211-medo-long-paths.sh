#!/bin/sh
test_description='paths up to 4095 bytes, of every kind of tree, wherever the tree is; longer ones refused alike'
. "$(dirname "$0")/test-lib.sh"

# A tree may hold a path of what open(2) takes, relative to its root:
# 4095 bytes.  Before, an archive's longer paths were expanded but could
# not be verified or expanded onto again, and the tree kind opened files
# by their whole path, so that a tree's 4000-byte path failed or not
# depending on where the tree was.

# long_tar TAR N: TAR, an archive of one file whose path is N bytes, in
# names of at most 255 bytes.
long_tar() {
	python3 - "$1" "$2" <<-\EOF
	import io, sys, tarfile
	out, n = sys.argv[1], int(sys.argv[2])
	names, left = [], n
	while left > 0:
	    c = min(255, left)
	    if left - c == 1:
	        c -= 1
	    names.append(chr(ord("a") + len(names)) * c)
	    left -= c + 1
	path = "/".join(names)
	assert len(path) == n
	t = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
	i = tarfile.TarInfo(path)
	i.size = 2
	t.addfile(i, io.BytesIO(b"x\n"))
	t.close()
	EOF
}

# Where a tree goes: 16 directories of 200 bytes below here, so that the
# tree's root alone is more than 3200 bytes from here.
far=$(printf "d%.0s" $(seq 1 200))
far=$far/$far/$far/$far/$far/$far/$far/$far/$far/$far/$far/$far/$far/$far/$far/$far

test_expect_success 'setup: archives of a 4095-byte and a 4096-byte path' '
	silo init deps.silo && mkdir m &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	long_tar p4095.tar 4095 && long_tar p4096.tar 4096 &&
	(mkdir -p "$far" && cd "$far" && pwd) >/dev/null
'

test_expect_success 'a 4095-byte path: added, expanded far away, verified, expanded again' '
	medo add -q p4095.tar m/a.treeptr &&
	medo expand m/a.treeptr "$far/a" &&
	medo verify m/a.treeptr "$far/a" &&
	medo expand m/a.treeptr "$far/a"
'

test_expect_success 'the tree kind of the same tree, added and expanded far away' '
	medo add -q --kind=tree "$far/a" m/t.treeptr &&
	test "$(sed -n "s/^  \"tree\": \"\(.*\)\",$/\1/p" m/t.treeptr)" = \
	     "$(sed -n "s/^  \"tree\": \"\(.*\)\",$/\1/p" m/a.treeptr)" &&
	medo expand m/t.treeptr "$far/t" &&
	medo verify m/t.treeptr "$far/t" &&
	medo cat m/t.treeptr "$(tar tf p4095.tar)" >out &&
	echo x >expect && test_cmp expect out
'

test_expect_success 'a 4096-byte path is refused by add: exit 5, nothing stored' '
	silo ls --silo deps.silo >before &&
	test_expect_code 5 medo add p4096.tar m/b.treeptr 2>err &&
	grep "^medo: error: cannot add .p4096.tar. as a tree .*: refusing entry .*: a path longer than 4095 bytes$" err &&
	silo ls --silo deps.silo >after && test_cmp before after &&
	! test -e m/b.treeptr
'

test_expect_success 'and by expand of a treeptr naming such an archive: nothing written' '
	id=$(silo put --silo deps.silo p4096.tar) &&
	sed -e "s/\"object\": \"[0-9a-f]*\"/\"object\": \"$id\"/" \
	    -e "s/\"size\": [0-9]*/\"size\": $(wc -c <p4096.tar)/" m/a.treeptr >m/b.treeptr &&
	test_expect_code 5 medo expand m/b.treeptr b 2>err &&
	grep "a path longer than 4095 bytes" err &&
	! test -e b && { ls -a | grep "^\.tmp" >tmps || :; } && test_must_be_empty tmps
'

# The names of a 4096-byte path: 15 of 255 bytes, one of 15, and a file
# name of 240.
names4096() {
	for c in a b c d e f g h i j k l m n o; do printf "$c%.0s" $(seq 1 255) && echo || return 1; done &&
	printf "p%.0s" $(seq 1 15) && echo &&
	printf "q%.0s" $(seq 1 240) && echo
}

test_expect_success 'a tree object with a 4096-byte path is refused by expand' '
	names4096 >names && test $(tr "\n" / <names | wc -c) = 4097 &&
	git init -q r && echo x | git -C r hash-object -w --stdin >blob &&
	t=$(printf "100644 blob %s\t%s\n" $(cat blob) $(tail -n 1 names) | git -C r mktree) &&
	for c in $(sed "\$d" names | tac); do
		t=$(printf "040000 tree %s\t%s\n" $t $c | git -C r mktree) || return 1
	done &&
	git -C r ls-tree -r -l $t | awk "{ print \$4 }" >sizes &&
	sz=$(git -C r hash-object -w --stdin <sizes) &&
	pack=$(printf "%s\n" $(git -C r rev-list --objects $t | cut -d" " -f1) $sz |
		git -C r pack-objects -q "$PWD/deps.silo/pack/pack") &&
	printf "{\"treeptr\": 1, \"object-format\": \"sha1\", \"kind\": \"tree\", \"object\": \"%s\", \"size\": %d, \"tree\": \"%s\", \"packs\": [\"pack-%s\"]}\n" \
		$sz $(wc -c <sizes) $t $pack >m/c.treeptr &&
	test_expect_code 5 medo expand m/c.treeptr c 2>err &&
	grep "holds a path longer than 4095 bytes" err &&
	! test -e c
'

test_expect_success 'a directory with a 4096-byte path is refused by tree-id, add and verify' '
	mkdir big && file=$(tail -n 1 names) && dirs=$(sed "\$d" names) &&
	(cd big && for c in $dirs; do mkdir $c && cd $c || exit 1; done && echo x >$file) &&
	test_expect_code 5 medo tree-id big 2>err &&
	grep "^medo: error: .big/\.\.\..*. is a path longer than 4095 bytes$" err &&
	test_expect_code 5 medo add big m/d.treeptr 2>err &&
	grep "is a path longer than 4095 bytes$" err &&
	test_expect_code 5 medo add --kind=tree big m/d.treeptr 2>err &&
	grep "is a path longer than 4095 bytes$" err &&
	! test -e m/d.treeptr &&
	test_expect_code 5 medo verify m/a.treeptr big 2>err &&
	grep "is a path longer than 4095 bytes$" err
'

test_done
