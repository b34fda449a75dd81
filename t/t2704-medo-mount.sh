#!/bin/sh
test_description='medo mount: a tree read-only through FUSE, verified blobs, EIO for a bad one only'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

. "$TEST_DIRECTORY/lib-fuse.sh"

# Whatever fails, no mount outlives the script.
test_atexit 'for d in mnt mnt2 mnt3 mnt4; do ! mounted $d || fusermount3 -u -z $d; done'

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

test_expect_success 'a mount point that does not exist, or is a file, is said so' '
	test_expect_code 3 medo mount m/src.treeptr no-such-dir 2>err &&
	echo "medo: error: mount point '\''no-such-dir'\'' does not exist" >expect &&
	test_cmp expect err &&
	echo x >a-file &&
	test_expect_code 5 medo mount m/src.treeptr a-file 2>err &&
	echo "medo: error: mount point '\''a-file'\'' is not a directory" >expect &&
	test_cmp expect err
'

test_have_prereq FUSE || say "mount tests skipped: $(test_prereq_reason_ FUSE)"

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
	test_when_finished "! mounted mnt2 || fusermount3 -u -z mnt2" &&
	medo mount --silo=bad.silo m/src.treeptr mnt2 &&
	test_must_fail cat mnt2/sub/deeper/big >/dev/null 2>err &&
	grep "Input/output error" err &&
	cat mnt2/plain >actual && test_cmp src/plain actual &&
	diff -r --no-dereference "expanded/with space" "mnt2/with space"
'

# mount_bg MNT ARGS...: medo mount -f ARGS... MNT in the background, its
# standard error in MNT.err; waits until it serves.  Sets mount_pid.
mount_bg() {
	mnt_=$1
	shift
	medo mount -f "$@" "$mnt_" 2>"$mnt_.err" &
	mount_pid=$!
	test_wait_for "mounted \"$mnt_\" || ! kill -0 $mount_pid 2>/dev/null" 10 &&
	mounted "$mnt_"
}
test_expect_success FUSE 'a missing blob is EIO for that file only, and the mount names it' '
	mkdir -p pre && cp src/sub/deeper/big pre/big &&
	silo init miss.silo &&
	medo add -q --kind=tree --silo=miss.silo pre m/pre.treeptr &&
	medo add -q --kind=tree --silo=miss.silo src m/miss.treeptr &&
	p=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\",*$/\1/p" m/pre.treeptr) &&
	rm -f miss.silo/pack/$p.pack miss.silo/pack/$p.idx &&
	mkdir mnt3 &&
	test_when_finished "! mounted mnt3 || fusermount3 -u -z mnt3" &&
	mount_bg mnt3 --silo=miss.silo m/miss.treeptr &&
	test_must_fail cat mnt3/sub/deeper/big >/dev/null 2>err &&
	grep "Input/output error" err &&
	cat mnt3/plain >actual && test_cmp src/plain actual &&
	cat mnt3/run >actual && test_cmp src/run actual &&
	fusermount3 -u mnt3 && wait $mount_pid &&
	id=$(git hash-object src/sub/deeper/big) &&
	grep "^medo: error: blob $id of '\''sub/deeper/big'\'': object $id is not in silo" mnt3.err
'

start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"

# Over HTTP a blob is fetched into the cache and spooled, in pieces, to
# an unlinked file on disk beside the cache, which the reads are served
# from: not an anonymous memory file holding the whole file.
test_expect_success FUSE,HTTPD 'over HTTP, a large file is spooled to disk, not held in memory' '
	mkdir -p large && test_seeded_file large/huge 8388608 5 && echo s >large/small &&
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir h && echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >h/SILO.json &&
	medo add -q --kind=tree --silo="$HTTPD_ROOT/deps.silo" large h/large.treeptr &&
	mkdir mnt4 &&
	test_when_finished "! mounted mnt4 || fusermount3 -u -z mnt4" &&
	mount_bg mnt4 h/large.treeptr &&
	cat mnt4/small >actual && test_cmp large/small actual &&
	exec 3<mnt4/huge &&
	ls -l /proc/$mount_pid/fd >fds &&
	cmp large/huge mnt4/huge &&
	exec 3<&- &&
	fusermount3 -u mnt4 && wait $mount_pid &&
	! grep memfd fds &&
	grep " -> $SILO_CACHE_DIR/.* (deleted)$" fds &&
	test_must_be_empty mnt4.err
'

test_lazy_prereq STRACE 'strace -o /dev/null true'

# strace_mount MNT TREEPTR: medo mount -f in the background, as mount_bg,
# and once it is mounted, strace attached to it and all its threads (its
# opens in MNT.trace); sets mount_pid and strace_pid.  Attached only
# after the mount: fusermount3, which mounts for a user, works only when
# its set-user-ID bit holds, and a traced exec drops it.  (The leak
# checker of a SANITIZE=1 build cannot run under ptrace.)
strace_mount() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 mount_bg "$1" "$2" || return 1
	strace -f -b execve -qq -e trace=openat -o "$1.trace" -p $mount_pid 2>"$1.strace-err" &
	strace_pid=$!
	test_wait_for "! grep -L \"^TracerPid:[[:space:]]*[1-9]\" /proc/$mount_pid/task/*/status | grep -q ." 10
}

test_expect_success FUSE,STRACE 'a tar-kind mount reads the archive once for every file, not once each' '
	test_when_finished "! mounted mnt5 || fusermount3 -u -z mnt5" &&
	mkdir -p mnt5 && echo same >src/hard-a && ln src/hard-a src/hard-b &&
	test_when_finished "rm -f src/hard-a src/hard-b" &&
	medo add -q src m/src-tar.treeptr &&
	medo expand m/src-tar.treeptr expanded-tar &&
	obj=$(sed -n "s/^  \"object\": \"\(.*\)\",/\1/p" m/src-tar.treeptr) &&
	loose=objects/$(echo $obj | cut -c1-2)/$(echo $obj | cut -c3-).gz &&
	test -f deps.silo/$loose &&
	strace_mount mnt5 m/src-tar.treeptr &&
	diff -r --no-dereference expanded-tar mnt5 &&
	(cd expanded-tar && find . -type f | sort | while read -r f; do cat "$f"; done) >expect &&
	(cd mnt5 && find . -type f | sort | while read -r f; do cat "$f"; done) >actual &&
	test_cmp expect actual &&
	test "$(readlink mnt5/sub/uplink)" = ../plain &&
	test "$(cat mnt5/hard-b)" = same &&
	medo mount -u mnt5 &&
	wait $mount_pid && wait $strace_pid &&
	test_must_be_empty mnt5.err &&
	grep -c "$loose" mnt5.trace >reads &&
	echo 1 >expect && test_cmp expect reads
'

# fg_mount MNT TREEPTR: medo mount -f in the background (its errors in
# MNT.err); sets pid.
fg_mount() {
	medo mount -f "$2" "$1" 2>"$1.err" &
	pid=$!
	test_wait_for "mounted \"$1\" || ! kill -0 $pid 2>/dev/null" 10 &&
	mounted "$1"
}

test_expect_success FUSE 'a sparse member of an archive is a hole of the spool, not zeros on disk' '
	test_when_finished "! mounted mnt6 || fusermount3 -u -z mnt6" &&
	mkdir -p sparse mnt6 && echo small >sparse/a &&
	truncate -s 1G sparse/z && printf end >>sparse/z &&
	tar -C sparse -S -cf sparse.tar a z &&
	test $(stat -c %s sparse.tar) -lt 100000 &&
	medo add -q sparse.tar m/sparse.treeptr &&
	fg_mount mnt6 m/sparse.treeptr &&
	test "$(cat mnt6/a)" = small &&
	test "$(tail -c 3 mnt6/z)" = end &&
	test "$(stat -c %s mnt6/z)" = $((1024 * 1024 * 1024 + 3)) &&
	head -c 4096 mnt6/z | tr -d "\\000" >nonzero && test_must_be_empty nonzero &&
	for f in /proc/$pid/fd/*; do
		case "$(readlink "$f")" in
		"$SILO_CACHE_DIR"/*) stat -L -c "%s %b %B" "$f";;
		esac
	done >spool &&
	test_line_count = 1 spool &&
	read size blocks unit <spool &&
	test "$size" -gt 1073741824 &&
	test $((blocks * unit)) -lt 1048576 &&
	medo mount -u mnt6 && wait $pid &&
	test_must_be_empty mnt6.err
'

test_done
