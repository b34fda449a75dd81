#!/bin/sh
test_description='medo mount: a tree read-only through FUSE, verified blobs, EIO for a bad one only'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"

# FUSE needs /dev/fuse, fusermount3 and the right to mount: try it.
test_lazy_prereq FUSE '
	test -c /dev/fuse && command -v fusermount3 >/dev/null &&
	mkdir -p probe-src probe-mnt && echo p >probe-src/p &&
	silo init probe.silo >/dev/null &&
	medo add --kind=tree --silo=probe.silo probe-src probe.treeptr &&
	medo mount --silo=probe.silo probe.treeptr probe-mnt &&
	test "$(cat probe-mnt/p)" = p &&
	medo mount -u probe-mnt
'

mounted() {
	grep -q " $PWD/$1 fuse" /proc/mounts
}

test_expect_success 'setup: a tree with files, symlinks and modes, as the tree kind' '
	silo init deps.silo &&
	mkdir -p src/sub/deeper "src/with space" &&
	echo plain >src/plain && : >src/empty &&
	printf "#!/bin/sh\necho hi\n" >src/run && chmod 755 src/run &&
	ln -s plain src/link && ln -s ../plain src/sub/uplink &&
	echo odd >"src/with space/a b" && echo u >"src/ünïcødé" &&
	test_seeded_file src/sub/deeper/big 300000 1 &&
	mkdir -p m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	medo add --kind=tree src m/src.treeptr &&
	medo expand m/src.treeptr expanded
'

test_have_prereq FUSE || say "FUSE is not usable here (no /dev/fuse, no fusermount3, or no right to mount): mount tests skipped"

test_expect_success FUSE 'find and cat of every file of the mount match an expanded copy' '
	mkdir mnt &&
	medo mount m/src.treeptr mnt &&
	(cd mnt && find . | sort) >actual &&
	(cd expanded && find . | sort) >expect &&
	test_cmp expect actual &&
	diff -r --no-dereference expanded mnt &&
	(cd expanded && find . -type f | sort | while read -r f; do cat "$f"; done) >expect &&
	(cd mnt && find . -type f | sort | while read -r f; do cat "$f"; done) >actual &&
	test_cmp expect actual &&
	test -x mnt/run && test ! -x mnt/plain && test "$(readlink mnt/sub/uplink)" = ../plain &&
	test "$(stat -c %s mnt/sub/deeper/big)" = 300000
'

test_expect_success FUSE 'the mount is read-only' '
	test_must_fail sh -c "echo x >mnt/plain" 2>/dev/null &&
	test_must_fail touch mnt/new 2>/dev/null
'

test_expect_success FUSE 'git reads the packs of the same silo' '
	git init -q --bare empty.git &&
	GIT_OBJECT_DIRECTORY=$PWD/deps.silo git --git-dir=empty.git ls-tree -r \
		"$(sed -n "s/^  \"tree\": \"\(.*\)\",/\1/p" m/src.treeptr)" >ls &&
	test_line_count = 8 ls
'

test_expect_success FUSE 'medo mount -u ends it and leaves nothing behind' '
	mounted mnt &&
	medo mount -u mnt &&
	! mounted mnt &&
	ls -A mnt >actual && test_must_be_empty actual
'

test_expect_success FUSE 'a corrupt blob is EIO for that file only' '
	cp -R deps.silo bad.silo &&
	id=$(git hash-object src/sub/deeper/big) &&
	corrupt_packed_blob bad.silo $id &&
	mkdir mnt2 &&
	medo mount --silo=bad.silo m/src.treeptr mnt2 &&
	test_when_finished "fusermount3 -u mnt2 2>/dev/null || :" &&
	test_must_fail cat mnt2/sub/deeper/big >/dev/null 2>err &&
	grep "Input/output error" err &&
	cat mnt2/plain >actual && test_cmp src/plain actual &&
	diff -r --no-dereference "expanded/with space" "mnt2/with space"
'

# Whatever failed above, no mount outlives the test.
for d in mnt mnt2; do
	mounted $d && fusermount3 -u $d
done

test_done
