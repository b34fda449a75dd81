#!/bin/sh
test_description='silo cat: content out, verified on the way'
. "$(dirname "$0")/test-lib.sh"

objpath() {
	echo "$1/objects/$(echo $2 | cut -c1-2)/$(echo $2 | cut -c3-).gz"
}

test_expect_success 'setup' '
	silo init s && silo init --object-format=sha256 s256 &&
	printf "a\000b\000\000c" >nul &&
	test_seeded_file random 1000000 2 &&
	: >empty
'

for f in nul random empty; do
	test_expect_success "put then cat gives identical bytes: $f" "
		id=\$(silo put --silo s $f) &&
		silo cat --silo s \$id >out &&
		cmp $f out &&
		id=\$(silo put --silo s256 $f) &&
		silo cat --silo s256 \$id >out &&
		cmp $f out
	"
done

test_expect_success 'cat -s prints the size' '
	id=$(silo put --silo s random) &&
	echo 1000000 >expect &&
	silo cat --silo s -s $id >actual &&
	test_cmp expect actual
'

test_expect_success 'cat -e: exit 0 when present, 1 when absent, no output' '
	id=$(silo put --silo s nul) &&
	silo cat --silo s -e $id >out &&
	test_must_be_empty out &&
	test_expect_code 1 silo cat --silo s -e 0123456789012345678901234567890123456789 >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'a missing object is exit 3 and named' '
	test_expect_code 3 silo cat --silo s 0123456789012345678901234567890123456789 2>err &&
	echo "silo: error: object 0123456789012345678901234567890123456789 is not in silo '\''s'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'an id too short, too long or not hex is a usage error' '
	test_expect_code 2 silo cat --silo s abc 2>err &&
	grep "^silo: error: id .abc. is too short: give at least 7 hex digits$" err &&
	test_expect_code 2 silo cat --silo s 012345678901234567890123456789012345678g 2>err &&
	grep "^silo: error: .012345678901234567890123456789012345678g. is not a sha1 object id: expected hex digits only$" err &&
	test_expect_code 2 silo cat --silo s 0123456789g 2>err &&
	grep "^silo: error: .0123456789g. is not an id: expected 40 hex digits, or at least 7 of them$" err &&
	test_expect_code 2 silo cat --silo s 01234567890123456789012345678901234567890 2>err &&
	grep "is not an id: expected 40 hex digits" err &&
	test_expect_code 3 silo cat --silo s256 0123456789012345678901234567890123456789 2>err &&
	grep "no object.s id starts with .0123456789012345678901234567890123456789.$" err
'

test_expect_success 'a corrupt object is an error (exit 4) naming its file' '
	cp -r s c && id=$(git hash-object random) && obj=$(objpath c $id) &&
	chmod u+w $obj &&
	printf "\377" | dd of=$obj bs=1 seek=5000 conv=notrunc 2>/dev/null &&
	test_expect_code 4 silo cat --silo c $id >out 2>err &&
	grep "^silo: error: corrupt object .$obj.: " err
'

test_expect_success 'an object whose content is swapped for another is exit 4' '
	rm -rf c && cp -r s c &&
	a=$(git hash-object nul) && b=$(git hash-object random) &&
	chmod u+w $(objpath c $a) &&
	cp $(objpath c $b) $(objpath c $a) &&
	test_expect_code 4 silo cat --silo c $a >out 2>err &&
	grep "content hashes to $b, not $a" err
'

test_expect_success 'a truncated object is exit 4' '
	rm -rf c && cp -r s c && id=$(git hash-object random) && obj=$(objpath c $id) &&
	chmod u+w $obj && head -c 3000 $(objpath s $id) >$obj &&
	test_expect_code 4 silo cat --silo c $id >out 2>err &&
	grep "truncated gzip data" err
'

test_expect_success 'plain gzip objects (no size field) and several members are read' '
	silo init g && printf "first part\n" >p1 && printf "second part\n" >p2 &&
	cat p1 p2 >whole && id=$(git hash-object whole) &&
	mkdir -p $(dirname $(objpath g $id)) &&
	{ gzip -c p1 && gzip -c p2; } >$(objpath g $id) &&
	silo cat --silo g $id >out &&
	test_cmp whole out &&
	silo cat --silo g -s $id >size && echo 23 >expect && test_cmp expect size &&
	silo verify g
'

test_expect_success 'trailing garbage after the gzip data is exit 4' '
	id=$(git hash-object whole) &&
	chmod u+w $(objpath g $id) &&
	echo junk >>$(objpath g $id) &&
	test_expect_code 4 silo cat --silo g $id >out 2>err &&
	grep "trailing garbage" err
'

# sized_members FILE SIZES...: FILE as gzip members of SIZES bytes, each
# with silo's size field (the whole content's size), on stdout.
sized_members() {
	python3 - "$@" <<-\EOF
	import struct, sys, zlib
	data = open(sys.argv[1], "rb").read()
	out, pos = sys.stdout.buffer, 0
	for n in [int(a) for a in sys.argv[2:]]:
	    part = data[pos:pos + n]
	    pos += n
	    c = zlib.compressobj(6, zlib.DEFLATED, -15)
	    extra = b"Sz" + struct.pack("<H", 8) + struct.pack("<Q", len(data))
	    out.write(b"\x1f\x8b\x08\x04" + b"\0" * 4 + b"\0\x03" + struct.pack("<H", len(extra)) + extra)
	    out.write(c.compress(part) + c.flush())
	    out.write(struct.pack("<II", zlib.crc32(part), len(part)))
	EOF
}

test_expect_success 'members of any size with the size field are read' '
	silo init m && test_seeded_file big 2500000 7 &&
	id=$(git hash-object big) && obj=$(objpath m $id) &&
	mkdir -p $(dirname $obj) &&
	sized_members big 500000 1900000 100000 >$obj &&
	silo cat --silo m $id >out &&
	test_cmp big out &&
	silo verify m
'

test_expect_success 'trailing garbage after members with the size field is exit 4' '
	id=$(git hash-object big) &&
	echo junk >>$(objpath m $id) &&
	test_expect_code 4 silo cat --silo m $id >out 2>err &&
	grep "trailing garbage" err
'

test_expect_success 'a damaged second member of a stored object is exit 4' '
	rm -rf c && cp -r s c && test_seeded_file r3 3000000 9 &&
	id=$(silo put --silo c r3) && obj=$(objpath c $id) && chmod u+w $obj &&
	printf "\125\125\125\125" | dd of=$obj bs=1 seek=1500000 conv=notrunc 2>/dev/null &&
	test_expect_code 4 silo cat --silo c $id >out 2>err &&
	grep "^silo: error: corrupt object " err
'

test_expect_success 'cat takes exactly one id' '
	test_expect_code 2 silo cat --silo s 2>err &&
	test_expect_code 2 silo cat --silo s a b 2>err &&
	grep "expected one object id" err
'

test_done
