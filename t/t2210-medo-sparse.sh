#!/bin/sh
test_description='sparse files: holes are hashed without being read and stay holes on expand, for every kind; ids are git'"'"'s'
. "$(dirname "$0")/test-lib.sh"

# LeakSanitizer (make test SANITIZE=1) cannot run under strace.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS
test_lazy_prereq STRACE 'strace -o /dev/null true'

# A file of 64 MiB, all hole but a few bytes at each end: what a few
# kilobytes of sparse tar unpack to.
HOLE=67108864

# blocks FILE: the KiB FILE takes on disk.
blocks() {
	du -k "$1" | cut -f1
}

# read_bytes LOG: the bytes all read() and pread64() calls of an strace
# log returned.
read_bytes() {
	sed -n 's/^.*\(read\|pread64\)(.* = \([0-9][0-9]*\)$/\2/p' "$1" |
	awk '{ n += $1 } END { print n + 0 }'
}

test_expect_success 'setup: a sparse file, its pax tar, and git'"'"'s ids for them' '
	mkdir d && printf head >d/big && truncate -s $HOLE d/big && printf tail >>d/big &&
	echo small >d/small &&
	test $(blocks d/big) -lt 1024 &&
	tar --sparse --format=pax -cf sparse.tar -C d big small &&
	test $(wc -c <sparse.tar) -lt 20480 &&
	git init -q --bare g.git &&
	git --git-dir=g.git --work-tree=d add -A &&
	git --git-dir=g.git write-tree >tree &&
	git hash-object d/big >big-id &&
	silo init deps.silo &&
	mkdir m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json
'

test_expect_success 'medo add of the tar: the tree id is git'"'"'s' '
	medo add sparse.tar m/tar.treeptr &&
	sed -n "s/^  \"tree\": \"\(.*\)\",$/\1/p" m/tar.treeptr >actual &&
	test_cmp tree actual &&
	medo ls m/tar.treeptr big | cut -d" " -f3 | cut -f1 >actual &&
	test_cmp big-id actual
'

test_expect_success 'expand keeps the hole: the file is sparse, and git hashes it to the same id' '
	medo expand m/tar.treeptr out &&
	test $(stat -c %s out/big) = $((HOLE + 4)) &&
	test $(blocks out/big) -lt 1024 &&
	git hash-object out/big >actual &&
	test_cmp big-id actual &&
	cmp d/big out/big
'

test_expect_success STRACE 'verify, tree-id and an expand onto the same tree read no hole' '
	strace -f -qq -e trace=read,pread64 -o trace medo verify m/tar.treeptr out &&
	test $(read_bytes trace) -lt 1048576 &&
	strace -f -qq -e trace=read,pread64 -o trace medo tree-id out >actual &&
	test_cmp tree actual &&
	test $(read_bytes trace) -lt 1048576 &&
	strace -f -qq -e trace=read,pread64 -o trace medo expand m/tar.treeptr out &&
	test $(read_bytes trace) -lt 1048576
'

test_expect_success STRACE 'kind tree: add hashes the file without reading its hole' '
	strace -f -qq -e trace=read,pread64 -o trace medo add -q --kind=tree d m/hashed.treeptr &&
	test $(read_bytes trace) -lt 1048576
'

test_expect_success 'kind tree: expand writes the hole as a hole' '
	medo add -q --kind=tree d m/tree.treeptr &&
	medo expand m/tree.treeptr out-tree &&
	test $(blocks out-tree/big) -lt 1024 &&
	git hash-object out-tree/big >actual &&
	test_cmp big-id actual &&
	medo verify m/tree.treeptr out-tree
'

test_expect_success 'kind opaque: expand writes the zeros as a hole' '
	medo add -q --opaque d/big m/opaque.treeptr &&
	medo expand m/opaque.treeptr out-opaque &&
	test $(stat -c %s out-opaque) = $((HOLE + 4)) &&
	test $(blocks out-opaque) -lt 1024 &&
	cmp d/big out-opaque
'

test_expect_success 'zeros written out in a tar without holes become holes too' '
	mkdir z && head -c 8388608 /dev/zero >z/zeros && echo end >>z/zeros &&
	test $(blocks z/zeros) -ge 8192 &&
	tar --format=pax -cf zeros.tar -C z zeros &&
	medo add zeros.tar m/zeros.treeptr &&
	medo expand m/zeros.treeptr out-zeros &&
	test $(blocks out-zeros/zeros) -lt 1024 &&
	cmp z/zeros out-zeros/zeros &&
	medo verify m/zeros.treeptr out-zeros
'

test_done
