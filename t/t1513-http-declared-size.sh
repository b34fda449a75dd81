#!/bin/sh
test_description='over HTTP, an object whose gzip header records another size than the treeptr is refused at its header'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

# The size a treeptr records is the size of its object: a server whose
# copy says otherwise offers something else.  Before, the client took
# the gzip header's word, downloaded what the server sent (up to what
# that size allows) and inflated all of it before the hash said no: a
# 256 KiB file of zeros declaring 256 MiB cost a quarter of a gigabyte
# of inflating for a 10 KiB tree, and a server trickling such a file
# at the minimum rate held the client for a time in proportion to the
# size it claimed.

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# bomb FILE SIZE: FILE, a gzip member of SIZE zeros with silo's size
# field in its header.
bomb() {
	python3 - "$1" "$2" <<-\EOF
	import struct, sys, zlib
	path, size = sys.argv[1], int(sys.argv[2])
	c = zlib.compressobj(9, zlib.DEFLATED, -15)
	zero = bytes(1 << 20)
	with open(path, "wb") as f:
	    f.write(b"\x1f\x8b\x08\x04\0\0\0\0\0\xff" + struct.pack("<H", 12) + b"Sz" +
	            struct.pack("<HQ", 8, size))
	    crc = 0
	    for i in range(size >> 20):
	        f.write(c.compress(zero))
	        crc = zlib.crc32(zero, crc)
	    f.write(c.flush() + struct.pack("<II", crc, size & 0xffffffff))
	EOF
}

test_expect_success 'setup: a tree whose object the server replaced by 256 MiB of zeros' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	mkdir src && echo tiny >src/f &&
	mkdir deps.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >deps.medo/SILO.json &&
	medo add -q --silo "$HTTPD_ROOT/deps.silo" src deps.medo/t.treeptr &&
	id=$(sed -n "s/^  \"object\": \"\([0-9a-f]*\)\",$/\1/p" deps.medo/t.treeptr) &&
	loose="$HTTPD_ROOT/deps.silo/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz" &&
	chmod u+w "$loose" && bomb "$loose" $((256 << 20)) &&
	echo $id >id
'

test_expect_success 'expand refuses it at its header: exit 4, naming both sizes' '
	test_expect_code 4 medo expand deps.medo/t.treeptr out 2>err &&
	grep "its gzip header records 268435456 bytes, the object has 10240" err &&
	! test -e out &&
	find cache -name "tmp_*" >tmps && test_must_be_empty tmps
'

test_expect_success 'ls and cat too' '
	test_expect_code 4 medo ls deps.medo/t.treeptr 2>err &&
	grep "its gzip header records 268435456 bytes, the object has 10240" err &&
	test_expect_code 4 medo cat deps.medo/t.treeptr f 2>err &&
	grep "its gzip header records 268435456 bytes, the object has 10240" err
'

test_done
