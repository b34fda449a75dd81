#!/bin/sh
test_description='medo expand of the tree kind: identical files share their blocks where the file system has reflinks'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"

umask 022

# A file system with reflinks: XFS on a loop device, which only root
# can mount.  Mounted for the whole script; the reason, if it cannot be.
mount_xfs() {
	test "$(id -u)" = 0 || { echo "loop mounts need root"; return 1; }
	command -v mkfs.xfs >/dev/null || { echo "mkfs.xfs is missing (xfsprogs)"; return 1; }
	truncate -s 300M xfs.img && mkfs.xfs -q -m reflink=1 xfs.img 2>&1 && mkdir xfs &&
	mount -o loop xfs.img xfs 2>&1 ||
	{ echo "cannot mount an XFS image on a loop device"; return 1; }
}
if why=$(mount_xfs); then
	test_atexit "umount \"$TRASH_DIRECTORY/xfs\""
	test_set_prereq XFS
else
	test_missing_prereq XFS "$(echo "$why" | tail -n 1)"
fi

# shared FILE: whether filefrag marks every extent of FILE shared.
shared() {
	filefrag -v "$1" >ff && grep -q "^ *0:" ff && ! sed -n "/^ *[0-9]*:/p" ff | grep -v shared
}

# used DIR: the KiB used on DIR's file system, written through.
used() {
	sync -f "$1" && df -k --output=used "$1" | tail -n 1 | tr -d " "
}

test_expect_success 'setup: a tree with identical files, of two modes, sparse, and a link' '
	silo init deps.silo && mkdir m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	mkdir -p src/a src/b src/c &&
	test_seeded_file src/a/big 1048576 1 &&
	cp src/a/big src/b/big && cp src/a/big src/c/run && chmod 755 src/c/run &&
	test_seeded_file src/a/other 65536 2 &&
	truncate -s 8M src/a/sparse && printf end >>src/a/sparse && cp --sparse=always src/a/sparse src/b/sparse &&
	: >src/a/empty && : >src/b/empty &&
	ln -s a/big src/link &&
	medo add -q --kind=tree src m/t.treeptr
'

test_expect_success 'where there are no reflinks, identical files are written each' '
	medo expand m/t.treeptr plain &&
	medo verify m/t.treeptr plain &&
	cmp src/a/big plain/b/big && cmp src/a/big plain/c/run &&
	test "$(stat -c %a plain/c/run) $(stat -c %a plain/b/big)" = "755 644" &&
	test "$(stat -c %b plain/b/sparse)" -lt 64 &&
	test "$(readlink plain/link)" = a/big
'

test_expect_success XFS 'on XFS, the second and later copies share the first one blocks' '
	before=$(used xfs) &&
	medo expand m/t.treeptr xfs/t &&
	after=$(used xfs) &&
	medo verify m/t.treeptr xfs/t &&
	shared xfs/t/a/big && shared xfs/t/b/big && shared xfs/t/c/run &&
	! shared xfs/t/a/other &&
	test "$(stat -c %a xfs/t/c/run) $(stat -c %a xfs/t/b/big)" = "755 644" &&
	cmp src/a/sparse xfs/t/b/sparse && test "$(stat -c %b xfs/t/b/sparse)" -lt 64 &&
	# one MiB stored once, not three times (and the small files)
	test $((after - before)) -lt 1600 &&
	test $((after - before)) -ge 1024
'

test_expect_success XFS 'a clone is a copy: changing one leaves the others' '
	echo more >>xfs/t/b/big &&
	cmp src/a/big xfs/t/a/big && cmp src/a/big xfs/t/c/run &&
	test_expect_code 1 medo verify -q m/t.treeptr xfs/t
'

test_expect_success XFS 'a partial expand of identical files on XFS writes each from its blob' '
	medo expand m/t.treeptr xfs/p -- a/big b/big c/run &&
	cmp src/a/big xfs/p/a/big && cmp src/a/big xfs/p/b/big && cmp src/a/big xfs/p/c/run &&
	test "$(stat -c %a xfs/p/c/run)" = 755 &&
	medo verify -q m/t.treeptr xfs/p 2>err
'

test_done
