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

# delta_bomb SILO TREEPTR SIZE: into SILO a pack, written by hand, of a
# tree of two files, b (64 KiB) and f (100 bytes), with its size table,
# whose entry for f is a delta of b of a few hundred bytes declaring SIZE
# bytes (one byte of delta copies 64 KiB of b); its index gives f's real
# id.  TREEPTR names it, as medo add --kind=tree would.
delta_bomb() {
	python3 - "$@" <<-\EOF
	import hashlib, os, struct, sys, zlib
	silo, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
	def oid(kind, data):
	    return hashlib.sha1(b"%s %d\0" % (kind, len(data)) + data).digest()
	def header(kind, n):
	    h, c, n = bytearray(), (kind << 4) | (n & 15), n >> 4
	    while n:
	        h.append(c | 0x80)
	        c, n = n & 0x7f, n >> 7
	    return bytes(h + bytes([c]))
	def varint(n):
	    h = bytearray()
	    while n >= 0x80:
	        h.append(0x80 | (n & 0x7f))
	        n >>= 7
	    return bytes(h + bytes([n]))
	def ofs(d):
	    h = bytearray([d & 0x7f])
	    d >>= 7
	    while d:
	        d -= 1
	        h.insert(0, 0x80 | (d & 0x7f))
	        d >>= 7
	    return bytes(h)
	b, f = bytes(range(256)) * 256, b"f" * 99 + b"\n"
	tree = b"100644 b\0" + oid(b"blob", b) + b"100644 f\0" + oid(b"blob", f)
	sizes = b"%d\n%d\n" % (len(b), len(f))
	pack, entries = bytearray(b"PACK" + struct.pack(">II", 2, 4)), []
	def add(id, entry):
	    entries.append((id, len(pack), zlib.crc32(entry)))
	    pack.extend(entry)
	add(oid(b"tree", tree), header(2, len(tree)) + zlib.compress(tree))
	add(oid(b"blob", sizes), header(3, len(sizes)) + zlib.compress(sizes))
	base = len(pack)
	add(oid(b"blob", b), header(3, len(b)) + zlib.compress(b))
	delta = varint(len(b)) + varint(size) + b"\x80" * (size >> 16)
	add(oid(b"blob", f), header(6, len(delta)) + ofs(len(pack) - base) + zlib.compress(delta, 9))
	pack.extend(hashlib.sha1(pack).digest())
	idx, entries = bytearray(b"\377tOc\0\0\0\2"), sorted(entries)
	for i in range(256):
	    idx += struct.pack(">I", sum(1 for e in entries if e[0][0] <= i))
	idx += b"".join(e[0] for e in entries)
	idx += b"".join(struct.pack(">I", e[2]) for e in entries)
	idx += b"".join(struct.pack(">I", e[1]) for e in entries)
	idx += pack[-20:]
	idx += hashlib.sha1(idx).digest()
	name = "pack-" + pack[-20:].hex()
	open(os.path.join(silo, "pack", name + ".pack"), "wb").write(pack)
	open(os.path.join(silo, "pack", name + ".idx"), "wb").write(idx)
	open(out, "w").write('{"treeptr": 1, "object-format": "sha1", "kind": "tree", '
	                     '"object": "%s", "size": %d, "tree": "%s", "packs": ["%s"]}\n' %
	                     (oid(b"blob", sizes).hex(), len(sizes), oid(b"tree", tree).hex(), name))
	EOF
}

test_expect_success 'setup: a tree-kind tree whose 100-byte file is a delta declaring 1 GiB' '
	silo init "$HTTPD_ROOT/bomb.silo" && mkdir bomb.medo &&
	echo "{ \"silos\": [\"$HTTPD_URL/bomb.silo\"] }" >bomb.medo/SILO.json &&
	delta_bomb "$HTTPD_ROOT/bomb.silo" bomb.medo/t.treeptr $((1 << 30)) &&
	test $(cat "$HTTPD_ROOT"/bomb.silo/pack/*.pack | wc -c) -lt 1000
'

test_expect_success 'expand and cat refuse the entry by its header: exit 4; the other file reads' '
	rm -rf cache &&
	test_expect_code 4 medo expand bomb.medo/t.treeptr bomb-out 2>err &&
	grep "^medo: error: .bomb.medo/t.treeptr.: object [0-9a-f]* from .*: its entry is a blob of 1073741824 bytes, not 100$" err &&
	! test -e bomb-out &&
	test_expect_code 4 medo cat bomb.medo/t.treeptr f >out 2>err &&
	test_must_be_empty out &&
	grep "its entry is a blob of 1073741824 bytes, not 100$" err &&
	medo cat bomb.medo/t.treeptr b >b &&
	test $(wc -c <b) = 65536
'

test_done
