#!/bin/sh
test_description='damaged and hostile packs: clear errors naming the pack, no crash'
. "$(dirname "$0")/test-lib.sh"

# mkpack.py CASE DIR: write a small pack and index into DIR, crafted as
# CASE says, and print the id of the object that reads through the damage.
cat >mkpack.py <<'PY'
import hashlib, os, struct, sys, zlib

case, out = sys.argv[1], sys.argv[2]

def oid(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).digest()

def varint(n):
    b = bytearray()
    while True:
        c = n & 0x7f
        n >>= 7
        b.append(c | (0x80 if n else 0))
        if not n:
            return bytes(b)

def header(t, size):
    b = bytearray()
    c = (t << 4) | (size & 15)
    size >>= 4
    while size:
        b.append(c | 0x80)
        c = size & 0x7f
        size >>= 7
    b.append(c)
    return bytes(b)

def ofs(rel):
    b = [rel & 0x7f]
    rel >>= 7
    while rel:
        rel -= 1
        b.insert(0, 0x80 | (rel & 0x7f))
        rel >>= 7
    return bytes(b)

base = bytes(range(256)) * 8
target = base[:1000] + b"changed" + base[1000:]
# A delta that copies 1000 bytes, inserts 7, copies the rest.
good_delta = (varint(len(base)) + varint(len(target)) +
              bytes([0x90 | 0x20, 0xe8, 0x03]) +      # copy off 0, size 1000
              bytes([7]) + b"changed" +
              bytes([0x91 | 0x20, 0xe8, 0x03, 0x18, 0x03]))  # copy off 1000, size 1048-... fixed below
rest = len(base) - 1000
good_delta = (varint(len(base)) + varint(len(target)) +
              bytes([0x80 | 0x10 | 0x20, 0xe8, 0x03]) +
              bytes([7]) + b"changed" +
              bytes([0x80 | 0x01 | 0x02 | 0x10 | 0x20, 0xe8, 0x03, rest & 0xff, rest >> 8]))

entries = []   # (name, raw entry bytes); offsets assigned in order
def add(name, raw):
    entries.append((name, raw))

def whole(data, declared=None):
    return header(3, len(data) if declared is None else declared) + zlib.compress(data)

names = {"base": oid(base), "target": oid(target)}
show = "target"
if case == "ok":
    add("base", whole(base))
    add("target", None)   # OFS delta of base, filled below
elif case == "delta-size-lies":
    d = bytearray(good_delta)
    d = varint(len(base)) + varint(len(target) + 100) + bytes(d[len(varint(len(base)) + varint(len(target))):])
    add("base", whole(base)); add("target", ("ofs-raw", d))
elif case == "header-size-lies":
    add("base", whole(base, declared=100)); show = "base"
elif case == "header-size-huge":
    add("base", whole(base, declared=1 << 40)); show = "base"
elif case == "delta-copy-outside":
    d = varint(len(base)) + varint(16) + bytes([0x80 | 0x04 | 0x10, 0x10, 0x10])  # off 0x100000
    add("base", whole(base)); add("target", ("ofs-raw", d))
elif case == "ofs-self":
    add("base", whole(base)); add("target", ("ofs-self", good_delta))
elif case == "ref-self":
    add("base", whole(base)); add("target", ("ref", names["target"], good_delta))
elif case == "wrong-id":
    # The index names the delta result with an id that is not its hash.
    names["target"] = bytes([names["base"][0] ^ 0x80]) + b"\x11" * 19
    add("base", whole(base)); add("target", None)
elif case == "ref-loop":
    names["a"] = oid(b"a" * 10); names["b"] = oid(b"b" * 10)
    add("a", ("ref", names["b"], good_delta)); add("b", ("ref", names["a"], good_delta))
    show = "a"
else:
    sys.exit("unknown case " + case)

pack = bytearray(b"PACK" + struct.pack(">II", 2, len(entries)))
offsets, crcs = {}, {}
for name, raw in entries:
    off = len(pack)
    if raw is None:
        raw = ("ofs", good_delta)
    if isinstance(raw, tuple):
        kind = raw[0]
        delta = raw[-1]
        if kind in ("ofs", "ofs-raw"):
            raw = header(6, len(delta)) + ofs(off - offsets[names["base"]]) + zlib.compress(delta)
        elif kind == "ofs-self":
            raw = header(6, len(delta)) + bytes([0]) + zlib.compress(delta)
        else:
            raw = header(7, len(delta)) + raw[1] + zlib.compress(delta)
    offsets[names[name]] = off
    crcs[names[name]] = zlib.crc32(raw)
    pack += raw
pack += hashlib.sha1(pack).digest()
idx = bytearray(b"\377tOc" + struct.pack(">I", 2))
ids = sorted(offsets)
for i in range(256):
    idx += struct.pack(">I", sum(1 for x in ids if x[0] <= i))
for x in ids: idx += x
for x in ids: idx += struct.pack(">I", crcs[x])
for x in ids: idx += struct.pack(">I", offsets[x])
idx += pack[-20:]
idx += hashlib.sha1(idx).digest()
name = "pack-" + pack[-20:].hex()
open(os.path.join(out, name + ".pack"), "wb").write(pack)
open(os.path.join(out, name + ".idx"), "wb").write(idx)
open(os.path.join(out, "packs"), "w").write("P " + name + ".pack\n\n")
print(names[show].hex())
PY

# A fresh silo holding one pack crafted as $1; the id to read in 'id'.
crafted() {
	rm -rf s && silo init s && python3 mkpack.py "$1" s/pack >id
}

# silo cat must fail with status 4 and name the pack; verify must report it.
fails_clearly() {
	test_expect_code 4 silo cat --silo s $(cat id) >/dev/null 2>err &&
	grep "^silo: error: .*'pack/pack-[0-9a-f]*\.\(pack\|idx\)'" err &&
	grep "$1" err &&
	test_expect_code 1 silo verify -q s 2>verr &&
	grep "^silo: error: 'pack/pack-[0-9a-f]*\.\(pack\|idx\)'" verr
}

test_expect_success 'the crafting script makes a good pack that git accepts' '
	crafted ok &&
	git verify-pack s/pack/*.idx &&
	silo cat --silo s $(cat id) >out &&
	python3 -c "import sys; b = bytes(range(256)) * 8; sys.stdout.buffer.write(b[:1000] + b\"changed\" + b[1000:])" >expect &&
	cmp expect out &&
	silo verify -q s
'

test_expect_success 'a truncated index' '
	crafted ok &&
	idx=$(ls s/pack/*.idx) && head -c 600 $idx >t && cat t >$idx &&
	fails_clearly "index is truncated"
'

test_expect_success 'a truncated pack' '
	crafted ok &&
	p=$(ls s/pack/*.pack) && head -c 300 $p >t && cat t >$p &&
	fails_clearly "checksum is not the one its index records"
'

test_expect_success 'verify of a truncated pack names the objects that are lost' '
	crafted ok &&
	p=$(ls s/pack/*.pack) && head -c 300 $p >t && cat t >$p &&
	test_expect_code 1 silo verify s 2>err &&
	grep "^silo: error: '\''pack/pack-[0-9a-f]*\.pack'\'': trailing checksum does not match the content (truncated or damaged)$" err &&
	grep "object $(cat id)" err &&
	test_line_count 3 err
'

test_expect_success 'an index offset past the end of the pack' '
	crafted ok &&
	python3 -c "
import sys, struct
p = sys.argv[1]; d = bytearray(open(p, \"rb\").read())
off = 8 + 1024 + 2 * 20 + 2 * 4
d[off:off + 8] = struct.pack(\">II\", 0x7ffffff0, 0x7ffffff0)
open(p, \"wb\").write(d)
" s/pack/*.idx &&
	fails_clearly "outside the pack"
'

test_expect_success 'a 64-bit offset entry with no 64-bit table' '
	crafted ok &&
	python3 -c "
import sys, struct
p = sys.argv[1]; d = bytearray(open(p, \"rb\").read())
off = 8 + 1024 + 2 * 20 + 2 * 4
d[off:off + 4] = struct.pack(\">I\", 0x80000005)
open(p, \"wb\").write(d)
" s/pack/*.idx &&
	fails_clearly "index is"
'

test_expect_success 'a fan-out table that is not monotonic' '
	crafted ok &&
	python3 -c "
import sys, struct
p = sys.argv[1]; d = bytearray(open(p, \"rb\").read())
d[8 + 4 * 0x10:8 + 4 * 0x11] = struct.pack(\">I\", 1000)
open(p, \"wb\").write(d)
" s/pack/*.idx &&
	fails_clearly "fan-out table is not monotonic"
'

test_expect_success 'a delta whose size header lies' '
	crafted delta-size-lies &&
	fails_clearly "its header says"
'

test_expect_success 'an entry whose size header is too small' '
	crafted header-size-lies &&
	fails_clearly "inflates to more than the size in its header"
'

test_expect_success 'an entry claiming a terabyte' '
	crafted header-size-huge &&
	fails_clearly "larger than the data can hold"
'

test_expect_success 'a delta copying from outside its base' '
	crafted delta-copy-outside &&
	fails_clearly "delta copies bytes"
'

test_expect_success 'an OFS_DELTA that refers to itself' '
	crafted ofs-self &&
	fails_clearly "points at itself"
'

test_expect_success 'a REF_DELTA that refers to itself' '
	crafted ref-self &&
	fails_clearly "refers to itself"
'

test_expect_success 'REF_DELTAs that loop' '
	crafted ref-loop &&
	fails_clearly "delta chain loops"
'

test_expect_success 'an index naming an object by the wrong id' '
	crafted wrong-id &&
	test_expect_code 4 silo cat --silo s $(cat id) >/dev/null 2>err &&
	grep "object $(cat id) at offset 311 hashes to" err &&
	test_expect_code 1 silo verify s 2>err &&
	grep "^silo: error: '\''pack/pack-[0-9a-f]*\.pack'\'': object $(cat id) at offset 311 hashes to" err
'

test_expect_success 'the report does not depend on the number of threads' '
	crafted ok &&
	p=$(ls s/pack/*.pack) && head -c 300 $p >t && cat t >$p &&
	echo junk >s/pack/README &&
	test_expect_code 1 silo verify -j1 s 2>err1 &&
	test_expect_code 1 silo verify -j4 s 2>err4 &&
	test_cmp err1 err4 &&
	test_line_count 4 err1
'

test_expect_success 'a flipped bit is found and named by pack and object' '
	crafted ok &&
	p=$(ls s/pack/*.pack) &&
	python3 -c "
import sys
p = sys.argv[1]; d = bytearray(open(p, \"rb\").read())
d[40] ^= 0x10
open(p, \"wb\").write(d)
" $p &&
	test_expect_code 1 silo verify s 2>err &&
	grep "^silo: error: '\''pack/pack-[0-9a-f]*\.pack'\'': trailing checksum does not match" err &&
	grep "CRC mismatch" err
'

test_expect_success 'a damaged pack does not hide loose objects' '
	crafted ok &&
	p=$(ls s/pack/*.idx) && head -c 100 $p >t && cat t >$p &&
	echo loose >l && silo put --silo s l >lid &&
	silo cat --silo s $(cat lid) >out && test_cmp l out &&
	silo ls --silo s >all && test_cmp lid all
'

test_done
