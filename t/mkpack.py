#!/usr/bin/env python3
"""mkpack.py CASE DIR [BASE TARGET]: write a small pack and index into DIR
(and a pack/packs list, DIR/packs), crafted as CASE says, and print the
id of the object that reads through the damage.  The pack holds a blob,
BASE, and a second one, TARGET, made from it by a delta; their contents
are the files BASE and TARGET if given, else fixed bytes (the good
delta, which ok and most cases use, is made for those; a delta that
copies from outside its base is bad for any).  CASE is one of: ok,
delta-size-lies, header-size-lies, header-size-huge, delta-copy-outside,
ofs-self, ref-self, wrong-id, ref-loop.
"""
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

if len(sys.argv) > 4:
    base = open(sys.argv[3], "rb").read()
    target = open(sys.argv[4], "rb").read()
else:
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
