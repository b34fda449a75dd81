#!/bin/sh
test_description='over HTTP, corrupt data is always exit 4 and 7 is transport only'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

# One status for each way a silo served over HTTP can fail, for each
# command that reads from one: 4 (corrupt) for data that arrived whole
# but is not the object, 7 (network) for transfers that failed.  A
# script retrying on 7 must never retry corrupt data forever.

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=1
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }
start_fault_server error500 "$HTTPD_ROOT" && ERR500_URL=$FAULT_URL &&
start_fault_server reset "$HTTPD_ROOT" && RESET_URL=$FAULT_URL &&
start_fault_server stall "$HTTPD_ROOT" && STALL_URL=$FAULT_URL &&
start_fault_server stall-pack "$HTTPD_ROOT" && STALLPACK_URL=$FAULT_URL ||
	{ echo "1..0 # SKIP python3 fault server does not start"; exit 0; }
REFUSED_URL=http://127.0.0.1:$(free_port)

# The loose file of object $2 in silo $1.
loose() {
	echo "$1/objects/$(echo $2 | cut -c1-2)/$(echo $2 | cut -c3-).gz"
}

# Overwrite 4 bytes of the entry of object $2 in the pack of silo $1.
overwrite_entry() {
	p_=$(ls "$1"/pack/*.pack) &&
	off_=$(git verify-pack -v "${p_%.pack}.idx" | sed -n "s/^$2 blob *[0-9]* *[0-9]* *\([0-9]*\)$/\1/p") &&
	printf "\377\377\377\377" | dd of="$p_" bs=1 seek=$((off_ + 20)) conv=notrunc 2>/dev/null
}

# Swap the offsets (and CRCs) of objects $2 and $3 in the index of the
# pack of silo $1, and make its checksum right again.
swap_entries() {
	chmod u+w "$1"/pack/*.idx &&
	python3 -c "
import hashlib, struct, sys
p, a, b = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
d = bytearray(open(p, \"rb\").read())
n = struct.unpack(\">I\", d[8 + 255 * 4:8 + 256 * 4])[0]
ids = [bytes(d[1032 + 20 * i:1032 + 20 * i + 20]) for i in range(n)]
i, j = ids.index(a), ids.index(b)
for table in (1032 + 20 * n, 1032 + 24 * n):
    x, y = table + 4 * i, table + 4 * j
    d[x:x + 4], d[y:y + 4] = d[y:y + 4], d[x:x + 4]
d[-20:] = hashlib.sha1(d[:-20]).digest()
open(p, \"wb\").write(d)" $(ls "$1"/pack/*.idx) $2 $3
}

test_expect_success 'setup: a tree as a tar object, loose and packed, and damaged copies' '
	mkdir -p src other && test_seeded_file src/f 1200000 1 && echo small >src/g &&
	test_seeded_file other/h 30000 2 &&
	silo init good.silo &&
	medo add -q --silo good.silo src a.treeptr &&
	sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\",$/\1/p" a.treeptr >id &&
	T=$(cat id) && test -n "$T" &&
	silo cat --silo good.silo $T >T.tar &&
	medo add -q --silo good.silo other b.treeptr &&
	silo cat --silo good.silo $(sed -n "s/^ *\"object\": \"\([0-9a-f]*\)\",$/\1/p" b.treeptr) >U.tar &&
	R=$HTTPD_ROOT &&

	silo init $R/loose.silo && silo put -q --silo $R/loose.silo T.tar &&
	cp -R $R/loose.silo $R/packed.silo && silo repack -q -d --silo $R/packed.silo &&

	# Wrong bytes: the gzip of other content of the same size.
	python3 -c "
import sys
d = bytearray(open(\"T.tar\", \"rb\").read()); d[600] ^= 1
open(\"T2.tar\", \"wb\").write(d)" &&
	silo init scratch.silo && T2=$(silo put --silo scratch.silo T2.tar) &&
	silo init $R/loose-bytes.silo && mkdir -p $(dirname $(loose $R/loose-bytes.silo $T)) &&
	cp $(loose scratch.silo $T2) $(loose $R/loose-bytes.silo $T) &&

	# Wrong size: the gzip header records 100 bytes for 1.2 MB.
	silo init $R/loose-size.silo && mkdir -p $(dirname $(loose $R/loose-size.silo $T)) &&
	python3 -c "
import struct, sys
d = bytearray(open(sys.argv[1], \"rb\").read())
assert d[12:14] == b\"Sz\"
d[16:24] = struct.pack(\"<Q\", 100)
open(sys.argv[2], \"wb\").write(d)" $(loose $R/loose.silo $T) $(loose $R/loose-size.silo $T) &&

	# A gzip that records no size: not a silo object.
	silo init $R/loose-nosize.silo && mkdir -p $(dirname $(loose $R/loose-nosize.silo $T)) &&
	gzip -n -c T.tar >$(loose $R/loose-nosize.silo $T) &&

	# A truncated gzip, served whole.
	silo init $R/loose-trunc.silo && mkdir -p $(dirname $(loose $R/loose-trunc.silo $T)) &&
	f=$(loose $R/loose.silo $T) &&
	head -c $(($(wc -c <$f) / 2)) $f >$(loose $R/loose-trunc.silo $T) &&

	# A pack entry with 4 bytes overwritten (its CRC no longer matches).
	cp -R $R/packed.silo $R/pack-crc.silo && chmod -R u+w $R/pack-crc.silo &&
	overwrite_entry $R/pack-crc.silo $T &&

	# The index sends the reader to another object'"'"'s entry.
	silo init $R/pack-wrong.silo && silo put -q --silo $R/pack-wrong.silo T.tar U.tar &&
	silo repack -q -d --silo $R/pack-wrong.silo &&
	swap_entries $R/pack-wrong.silo $T $(git hash-object U.tar) &&

	# A delta copying bytes from outside its base.
	silo init $R/pack-delta.silo &&
	python3 "$TEST_DIRECTORY/mkpack.py" delta-copy-outside $R/pack-delta.silo/pack U.tar T.tar >did &&
	test_cmp id did &&

	# The same for a tree kept as git objects: a damaged blob, and an
	# index sending the reader to another blob.
	silo init tree.silo &&
	medo add -q --kind=tree --silo tree.silo src c.treeptr &&
	git hash-object src/f >blob &&
	cp -R tree.silo $R/tree-crc.silo && chmod -R u+w $R/tree-crc.silo &&
	overwrite_entry $R/tree-crc.silo $(cat blob) &&
	cp -R tree.silo $R/tree-wrong.silo && chmod -R u+w $R/tree-wrong.silo &&
	swap_entries $R/tree-wrong.silo $(cat blob) $(git hash-object src/g) &&
	cp -R tree.silo $R/tree.silo
'

# The exit status of silo fetch, medo expand and medo cat of the tree
# from the silo at URL $2 ("tree..." names the tree kept as git objects,
# else the tar object), as a line "$1 fetch expand cat".
statuses() {
	case $1 in
	tree*) tp=c.treeptr obj=$(cat blob) ;;
	*) tp=a.treeptr obj=$(cat id) ;;
	esac
	silo init l-$1 &&
	SILO_CACHE_DIR=$PWD/c0-$1 silo fetch -q --silo l-$1 --from "$2" $obj 2>err-fetch-$1
	f=$?
	SILO_CACHE_DIR=$PWD/c1-$1 medo expand -q --silo "$2" $tp d-$1 2>err-expand-$1
	e=$?
	SILO_CACHE_DIR=$PWD/c2-$1 medo cat --silo "$2" $tp f >/dev/null 2>err-cat-$1
	echo "$1 $f $e $?"
}

test_expect_success 'good silos, loose, packed and of the tree kind, read' '
	for c in loose packed tree; do
		statuses $c $HTTPD_URL/$c.silo || return 1
	done >actual &&
	printf "%s\n" "loose 0 0 0" "packed 0 0 0" "tree 0 0 0" >expect &&
	test_cmp expect actual
'

test_expect_success 'corrupt data served whole: 4, whatever the damage' '
	for c in loose-bytes loose-size loose-nosize loose-trunc pack-crc pack-wrong \
		 pack-delta tree-crc tree-wrong; do
		statuses $c $HTTPD_URL/$c.silo || return 1
	done >actual &&
	cat >expect <<-\EOF &&
	loose-bytes 4 4 4
	loose-size 4 4 4
	loose-nosize 4 4 4
	loose-trunc 4 4 4
	pack-crc 4 4 4
	pack-wrong 4 4 4
	pack-delta 4 4 4
	tree-crc 4 4 4
	tree-wrong 4 4 4
	EOF
	test_cmp expect actual
'

test_expect_success 'transfers that fail: 7, loose, packed and of the tree kind' '
	{
		statuses refused $REFUSED_URL/loose.silo &&
		statuses 500 $ERR500_URL/loose.silo &&
		statuses 500-packed $ERR500_URL/packed.silo &&
		statuses tree-500 $ERR500_URL/tree.silo &&
		statuses reset $RESET_URL/loose.silo &&
		statuses reset-packed $RESET_URL/packed.silo &&
		statuses tree-reset $RESET_URL/tree.silo &&
		statuses timeout $STALL_URL/loose.silo &&
		statuses timeout-packed $STALLPACK_URL/packed.silo &&
		statuses tree-timeout $STALLPACK_URL/tree.silo
	} >actual &&
	cat >expect <<-\EOF &&
	refused 7 7 7
	500 7 7 7
	500-packed 7 7 7
	tree-500 7 7 7
	reset 7 7 7
	reset-packed 7 7 7
	tree-reset 7 7 7
	timeout 7 7 7
	timeout-packed 7 7 7
	tree-timeout 7 7 7
	EOF
	test_cmp expect actual
'

test_done
