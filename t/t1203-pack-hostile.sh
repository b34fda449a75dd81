#!/bin/sh
test_description='damaged and hostile packs: clear errors naming the pack, no crash'
. "$(dirname "$0")/test-lib.sh"

# A fresh silo holding one pack crafted as $1; the id to read in 'id'.
crafted() {
	rm -rf s && silo init s && python3 "$TEST_DIRECTORY/mkpack.py" "$1" s/pack >id
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

# Streamed (not read whole), a damaged entry may fill the output buffer
# and fail in the same inflate call: that was exit 8 with no message.
test_expect_success 'damage inside a large packed blob is exit 4, named' '
	rm -rf s && silo init s &&
	test_seeded_file big 600000 1 && id=$(silo put --silo s big) &&
	silo repack -q -d --silo s &&
	p=$(ls s/pack/*.pack) && chmod u+w $p &&
	printf "\377\377\377\377" | dd of=$p bs=1 seek=32 conv=notrunc 2>/dev/null &&
	test_expect_code 4 silo cat --silo s $id >/dev/null 2>err &&
	grep "^silo: error: .*'\''pack/pack-[0-9a-f]*\.pack'\'': entry at offset 12: incorrect data check$" err
'

test_expect_success 'a damaged pack does not hide loose objects' '
	crafted ok &&
	p=$(ls s/pack/*.idx) && head -c 100 $p >t && cat t >$p &&
	echo loose >l && silo put --silo s l >lid &&
	silo cat --silo s $(cat lid) >out && test_cmp l out &&
	silo ls --silo s >all && test_cmp lid all
'

test_done
