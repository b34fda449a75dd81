#!/bin/sh
test_description='medo tree-id --archive: the tree inside an archive, as unpacked'
. "$(dirname "$0")/test-lib.sh"

long=$(printf 'x%.0s' $(seq 1 200))
nl='
'

# The tree as an upstream tarball has it: one top directory.
test_expect_success 'set up a tree' '
	mkdir -p "src/pkg-1.0/sub/deep" "src/pkg-1.0/with space" "src/pkg-1.0/empty/e2" \
		"src/pkg-1.0/$long" &&
	echo one >src/pkg-1.0/file && : >src/pkg-1.0/empty-file &&
	echo run >src/pkg-1.0/exec && chmod 755 src/pkg-1.0/exec &&
	echo ro >src/pkg-1.0/ro && chmod 444 src/pkg-1.0/ro &&
	echo d >src/pkg-1.0/sub/deep/f &&
	echo s >"src/pkg-1.0/with space/a b" &&
	echo n >"src/pkg-1.0/new${nl}line" &&
	echo u >"src/pkg-1.0/$(printf "\303\251t\303\251")" &&
	echo b >"src/pkg-1.0/$(printf "latin1-\351")" &&
	echo l >"src/pkg-1.0/$long/$long" &&
	ln -s sub/deep/f src/pkg-1.0/rel &&
	ln -s /etc/passwd src/pkg-1.0/abs &&
	ln -s nowhere src/pkg-1.0/dangling &&
	echo 1 >src/pkg-1.0/a.b && mkdir src/pkg-1.0/a && echo 2 >src/pkg-1.0/a/x &&
	echo 3 >src/pkg-1.0/a0 &&
	test_seeded_file src/pkg-1.0/big 1000000 7 &&
	medo tree-id src >expect-sha1 &&
	medo tree-id --object-format=sha256 src >expect-sha256 &&
	test $(wc -c <expect-sha1) = 41 && test $(wc -c <expect-sha256) = 65
'

check_archive() {
	for f in sha1 sha256; do
		medo tree-id --object-format=$f --archive "$1" >actual &&
		test_cmp expect-$f actual || return 1
	done
}

test_expect_success 'a plain tar (GNU format)' '
	tar -C src -cf gnu.tar pkg-1.0 && check_archive gnu.tar
'

test_expect_success 'a pax tar' '
	tar -C src --format=pax -cf pax.tar pkg-1.0 && check_archive pax.tar
'

test_expect_success 'a ustar tar with a leading ./' '
	mkdir -p short/pkg && echo a >short/pkg/a && ln -s a short/pkg/l &&
	chmod 755 short/pkg/a &&
	medo tree-id short >expect-short &&
	tar -C short --format=ustar -cf ustar.tar ./pkg &&
	medo tree-id --archive ustar.tar >actual &&
	test_cmp expect-short actual
'

test_expect_success '.tar.gz' '
	tar -C src -czf t.tar.gz pkg-1.0 && check_archive t.tar.gz
'

test_expect_success '.tar.xz' '
	tar -C src -cJf t.tar.xz pkg-1.0 && check_archive t.tar.xz
'

test_expect_success '.tar.bz2' '
	tar -C src -cjf t.tar.bz2 pkg-1.0 && check_archive t.tar.bz2
'

test_expect_success '.zip, with symlinks and modes' '
	(cd src && zip -qry ../t.zip pkg-1.0) && check_archive t.zip
'

test_expect_success 'an archive on standard input' '
	medo tree-id --archive - <t.tar.gz >actual &&
	test_cmp expect-sha1 actual
'

test_expect_success 'a zip on standard input' '
	medo tree-id --archive - <t.zip >actual &&
	test_cmp expect-sha1 actual
'

test_expect_success 'a zip written to a pipe (sizes after the data)' '
	(cd src && zip -qry - pkg-1.0) >piped.zip &&
	check_archive piped.zip
'

test_expect_success 'hard links in a tar have their target content' '
	mkdir -p hl/top/d && echo shared >hl/top/first && chmod 755 hl/top/first &&
	ln hl/top/first hl/top/d/second && ln hl/top/first hl/top/third &&
	medo tree-id hl >expect &&
	tar -C hl -cf hl.tar top &&
	tar -tvf hl.tar >listing && grep "link to top/first" listing &&
	medo tree-id --archive hl.tar >actual &&
	test_cmp expect actual &&
	tar -C hl --format=pax -czf hl.tgz top &&
	medo tree-id --archive hl.tgz >actual &&
	test_cmp expect actual
'

test_expect_success 'sparse files in GNU and pax tars' '
	mkdir -p sparse/top &&
	printf data | dd of=sparse/top/holes bs=4096 seek=50 2>/dev/null &&
	truncate -s 1000000 sparse/top/holes &&
	truncate -s 300000 sparse/top/empty-but-long &&
	medo tree-id sparse >expect &&
	tar -C sparse --sparse -cf sparse-gnu.tar top &&
	medo tree-id --archive sparse-gnu.tar >actual &&
	test_cmp expect actual &&
	for v in 0.0 0.1 1.0; do
		tar -C sparse --sparse --format=pax --sparse-version=$v -cf sparse-$v.tar top &&
		medo tree-id --archive sparse-$v.tar >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'a later entry replaces an earlier one of the same path' '
	mkdir -p dup1/x dup2/x && echo old >dup1/x/f && echo new >dup2/x/f &&
	tar -C dup1 -cf dup.tar x/f && tar -C dup2 -rf dup.tar x/f &&
	medo tree-id dup2 >expect &&
	medo tree-id --archive dup.tar >actual &&
	test_cmp expect actual
'

test_expect_success 'an archive of only directories is the empty tree' '
	mkdir -p dirs/a/b dirs/c && tar -C dirs -cf dirs.tar . &&
	echo 4b825dc642cb6eb9a060e54bf8d69288fbee4904 >expect &&
	medo tree-id --archive dirs.tar >actual &&
	test_cmp expect actual
'

test_expect_success 'an unsafe entry is refused (exit 8) naming it' '
	mkdir -p evil && echo x >evil/f &&
	tar -C evil -cf evil.tar -P --transform="s,^f,../escape," f &&
	test_expect_code 8 medo tree-id --archive evil.tar 2>err &&
	grep "^medo: error: refusing entry .\.\./escape. of archive .evil\.tar." err
'

test_expect_success 'a fifo in a tar is an error naming it (exit 5)' '
	mkdir -p withfifo && mkfifo withfifo/pipe &&
	tar -C withfifo -cf fifo.tar pipe &&
	test_expect_code 5 medo tree-id --archive fifo.tar 2>err &&
	grep "pipe" err
'

test_expect_success 'a truncated archive is an error (exit 5)' '
	head -c 3000 gnu.tar >cut.tar &&
	test_expect_code 5 medo tree-id --archive cut.tar 2>err &&
	grep "cut.tar" err
'

test_expect_success 'an empty file is not an archive (exit 5)' '
	: >empty.tar &&
	test_expect_code 5 medo tree-id --archive empty.tar 2>err &&
	echo "medo: error: archive '\''empty.tar'\'' is empty" >expect &&
	test_cmp expect err
'

test_expect_success 'an empty tar is the empty tree' '
	tar -cf none.tar -T /dev/null &&
	echo 4b825dc642cb6eb9a060e54bf8d69288fbee4904 >expect &&
	medo tree-id --archive none.tar >actual &&
	test_cmp expect actual
'

test_expect_success 'a missing archive exits 3' '
	test_expect_code 3 medo tree-id --archive no-such.tar 2>err &&
	grep "no-such.tar" err
'

test_expect_success 'an mtree list is not an archive: it would read files of this machine' '
	printf "#mtree\n./key type=file contents=/etc/passwd\n" | gzip >mtree.tar.gz &&
	test_expect_code 5 medo tree-id --archive mtree.tar.gz 2>err &&
	grep "mtree.tar.gz" err &&
	! grep -q root err
'

test_expect_success 'an archive declaring huge sparse holes is refused, not hashed for hours' '
	truncate -s 100G huge.sparse && echo end >>huge.sparse &&
	tar --sparse -cf huge-sparse.tar huge.sparse && rm huge.sparse &&
	test $(stat -c %s huge-sparse.tar) -lt 100000 &&
	test_expect_code 5 medo tree-id --archive huge-sparse.tar 2>err &&
	grep "declares more than 64 GiB of sparse holes" err
'

# A zip entry stored (no compression) with no data that declares 4 GB:
# its missing bytes were hashed as zeros, seconds of CPU for 100 bytes.
test_expect_success 'a zip entry declaring more than its data is refused at once' '
	python3 -c "
import struct, zlib
name = b\"f\"
crc = zlib.crc32(b\"\")
size = 0xffffffe2
local = struct.pack(\"<IHHHHHIIIHH\", 0x04034b50, 10, 0, 0, 0, 0, crc, 0, size, len(name), 0) + name
central = struct.pack(\"<IHHHHHHIIIHHHHHII\", 0x02014b50, 20, 10, 0, 0, 0, 0, crc, 0, size,
		      len(name), 0, 0, 0, 0, 0o100644 << 16, 0) + name
end = struct.pack(\"<IHHHHIIH\", 0x06054b50, 0, 0, 1, 1, len(central), len(local), 0)
open(\"lie.zip\", \"wb\").write(local + central + end)
" &&
	test $(stat -c %s lie.zip) -lt 200 &&
	test_expect_code 5 timeout 60 medo tree-id --archive lie.zip 2>err &&
	echo "medo: error: '"'"'f'"'"' in archive '"'"'lie.zip'"'"' has 0 bytes of data where its header declares 4294967266" >expect &&
	test_cmp expect err &&
	test_expect_code 5 timeout 60 medo tree-id --archive - <lie.zip 2>err &&
	grep "has 0 bytes of data where its header declares 4294967266" err
'

# libarchive hands liblzma no memory limit: the dictionary size in a zip
# entry's lzma header is allocated as it stands (a fuzzed 4 KB zip asked
# for 2.6 GB).  Such entries are refused; bzip2 ones are read.
test_expect_success 'a zip entry compressed with lzma is refused, naming it' '
	python3 -c "
import zipfile
for name, method in ((\"lzma.zip\", zipfile.ZIP_LZMA), (\"bzip2.zip\", zipfile.ZIP_BZIP2)):
    with zipfile.ZipFile(name, \"w\", method) as z:
        z.writestr(\"top/a\", \"hello\\n\" * 100)
data = bytearray(open(\"lzma.zip\", \"rb\").read())
# The local header (30 bytes, the name), then the lzma version (2), the
# size of the properties (2) and the properties: one byte, then the
# dictionary size, here made 3.75 GiB.
at = 30 + len(\"top/a\") + 4 + 1
data[at:at + 4] = (0xf0000000).to_bytes(4, \"little\")
open(\"lzma-huge.zip\", \"wb\").write(data)
" &&
	for z in lzma.zip lzma-huge.zip; do
		test_expect_code 5 medo tree-id --archive $z 2>err &&
		echo "medo: error: '"'"'top/a'"'"' in archive '"'"'$z'"'"' is compressed with lzma, which is not read: its decoder takes as much memory as the archive asks" >expect &&
		test_cmp expect err || return 1
	done &&
	mkdir -p bz/top && printf "hello\n%.0s" $(seq 100) >bz/top/a &&
	medo tree-id bz >expect &&
	medo tree-id --archive bzip2.zip >actual &&
	test_cmp expect actual
'

test_done
