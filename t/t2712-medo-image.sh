#!/bin/sh
test_description='medo add --kind=image: docker-archive and OCI archives stored as layer trees and tar records, written again byte for byte, loaded by podman, hostile archives refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-json.sh"
. "$TEST_DIRECTORY/lib-fuse.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
export SOURCE_DATE_EPOCH=0
umask 022

mkimage() {
	python3 "$TEST_DIRECTORY/mkimage.py" "$@"
}

# podman and skopeo with their storage in the trash directory (vfs: no
# mounts), never the machine's; the run root in a short directory of its
# own, as podman refuses one longer than 50 characters.
pod_run=$(mktemp -d /tmp/pod.XXXXXX) || exit 1
test_atexit "rm -rf \"$pod_run\""
pod() {
	podman --root "$TRASH_DIRECTORY/pod/root" --runroot "$pod_run" \
		--storage-driver vfs "$@"
}

test_lazy_prereq PODMAN '
	if ! command -v podman >/dev/null; then
		echo "podman is not installed"; false
	elif test "$(id -u)" != 0; then
		echo "not root: rootless podman leaves its pause process behind, and skopeo cannot unpack an OCI archive"; false
	elif ! pod info >/dev/null 2>pod-info.err; then
		tail -n 1 pod-info.err; false
	fi
'
start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"
test_lazy_prereq SKOPEO 'command -v skopeo >/dev/null || { echo "skopeo is not installed"; false; }'

# The bytes of every file of silo $1.
silo_bytes() {
	find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

test_expect_success 'setup: layers and images written by hand' '
	silo init deps.silo && mkdir m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	long=$(printf "a%.0s" $(seq 150)) &&
	mkimage layer base.tar d:etc f:etc/motd:hello x:bin/hi:echo r:usr/big:200000:1 \
		l:usr/motd:../etc/motd h:etc/motd2:etc/motd f:usr/$long:long &&
	mkimage layer app.tar d:app f:app/x:new f:etc/.wh.motd2: &&
	mkimage docker img1.tar base.tar &&
	mkimage docker img2.tar base.tar app.tar &&
	mkimage oci img1-oci.tar base.tar &&
	mkimage oci img1-gz.tar --gzip base.tar &&
	mkimage oci img1-gnu.tar --gnu-gzip base.tar
'

test_expect_success 'a docker-archive is stored and written again byte for byte' '
	medo add -v --kind=image img1.tar m/img1.treeptr >out &&
	echo "wrote m/img1.treeptr image d61a4bb2f2f802d54265619d644b5363c44e6bb5" >expect &&
	test_cmp expect out &&
	test "$(field kind m/img1.treeptr)" = "" &&
	grep "^  \"kind\": \"image\",$" m/img1.treeptr &&
	test "$(field tree m/img1.treeptr)" = 7d5e9d7ce2f8fc2f88ed422cf37631178cbef858 &&
	medo expand m/img1.treeptr out.tar &&
	cmp img1.tar out.tar
'

test_expect_success 'the image record names each layer by its tree and digest' '
	silo cat --silo=deps.silo "$(field object m/img1.treeptr)" >record.json &&
	json_check record.json "
import hashlib
layer = open(\"base.tar\", \"rb\").read()
assert d[\"silo-image-record\"] == 1 and d[\"format\"] == \"docker-archive\"
assert d[\"size\"] == len(open(\"img1.tar\", \"rb\").read())
assert [l[\"sha256\"] for l in d[\"layers\"]] == [hashlib.sha256(layer).hexdigest()]
assert d[\"layers\"][0][\"size\"] == len(layer)
" &&
	tree=$(python3 -c "import json; print(json.load(open(\"record.json\"))[\"layers\"][0][\"tree\"])") &&
	medo tree-id --archive base.tar >tree-of-tar &&
	echo "$tree" >tree-of-record &&
	test_cmp tree-of-tar tree-of-record
'

test_expect_success 'a layer costs its tar record: headers and padding, not contents' '
	rec=$(python3 -c "import json; print(json.load(open(\"record.json\"))[\"layers\"][0][\"record-size\"])") &&
	entries=$(tar tf base.tar | wc -l) &&
	test "$entries" = 7 &&
	test "$rec" = 265 &&
	test "$rec" -lt $(($(wc -c <base.tar) / 100))
'

test_expect_success 'an OCI archive, uncompressed' '
	medo add -q --kind=image img1-oci.tar m/img1-oci.treeptr &&
	medo expand m/img1-oci.treeptr oci.tar && cmp img1-oci.tar oci.tar &&
	silo cat --silo=deps.silo "$(field object m/img1-oci.treeptr)" >oci-record.json &&
	json_check oci-record.json "
assert d[\"format\"] == \"oci-archive\"
assert [l[\"tree\"] for l in d[\"layers\"]] == [\"$(medo tree-id --archive base.tar)\"]"
'

test_expect_success 'a gzip layer zlib writes again is a tree, with its level and header' '
	medo add -q --kind=image img1-gz.tar m/img1-gz.treeptr &&
	medo expand m/img1-gz.treeptr gz.tar && cmp img1-gz.tar gz.tar &&
	silo cat --silo=deps.silo "$(field object m/img1-gz.treeptr)" >gz.json &&
	json_check gz.json "
l = d[\"layers\"]
assert len(l) == 1 and l[0][\"gzip-level\"] == 6, l
assert l[0][\"gzip-header\"] == \"1f8b0800000000000003\", l
assert l[0][\"tree\"] == \"$(medo tree-id --archive base.tar)\""
'

test_expect_success 'a gzip layer zlib does not write again (GNU gzip) is kept as one blob' '
	medo add -q --kind=image img1-gnu.tar m/img1-gnu.treeptr &&
	medo expand m/img1-gnu.treeptr gnu.tar && cmp img1-gnu.tar gnu.tar &&
	silo cat --silo=deps.silo "$(field object m/img1-gnu.treeptr)" >gnu.json &&
	json_check gnu.json "assert d[\"layers\"] == [], d"
'

test_expect_success 'a second image on the same base adds only its new layer' '
	silo ls --silo=deps.silo | sort >before &&
	bytes=$(silo_bytes deps.silo) &&
	medo add -q --kind=image img2.tar m/img2.treeptr &&
	silo ls --silo=deps.silo | sort >after &&
	comm -13 before after >new &&
	test_line_count = 15 new &&
	grow=$(($(silo_bytes deps.silo) - bytes)) &&
	test "$grow" -le "$(wc -c <app.tar)" &&
	medo expand m/img2.treeptr img2-out.tar &&
	cmp img2.tar img2-out.tar
'

test_expect_success 'adding again changes nothing; expanding onto the same archive is a no-op' '
	medo add -v --kind=image img1.tar m/img1.treeptr >out &&
	echo "unchanged m/img1.treeptr image d61a4bb2f2f802d54265619d644b5363c44e6bb5" >expect &&
	test_cmp expect out &&
	medo expand -v m/img1.treeptr out.tar >out &&
	grep "present" out &&
	cmp img1.tar out.tar
'

test_expect_success 'expand into a directory uses the archive name' '
	mkdir dir && medo expand m/img1.treeptr dir &&
	cmp img1.tar dir/img1.tar
'

test_expect_success 'medo verify and medo status know an image by its sha256' '
	medo verify m/img1.treeptr out.tar &&
	cp out.tar changed.tar && echo x >>changed.tar &&
	test_expect_code 1 medo verify m/img1.treeptr changed.tar &&
	mkdir st && cp m/SILO.json m/img1.treeptr st/ &&
	medo expand st dst && cmp img1.tar dst/img1 &&
	medo status st dst >status.out && test_must_be_empty status.out &&
	echo x >>dst/img1 &&
	test_expect_code 1 medo status st dst >status.out &&
	echo "differs dst/img1" >expect && head -1 status.out >actual && test_cmp expect actual
'

test_expect_success 'reachability keeps every object of an image' '
	medo reachable m >keep &&
	age_silo deps.silo &&
	silo prune --silo=deps.silo --keep=keep --expire=now &&
	medo fsck m &&
	for i in img1 img2 img1-oci img1-gz img1-gnu; do
		rm -f again.tar && medo expand m/$i.treeptr again.tar && cmp $i.tar again.tar || return 1
	done
'

test_expect_success 'without the image tree in the keep list, its layers go' '
	cp -R deps.silo pruned.silo &&
	field object m/img1.treeptr >keep1 &&
	age_silo pruned.silo &&
	silo prune --silo=pruned.silo --keep=keep1 --expire=now --force &&
	test_expect_code 3 medo expand --silo=pruned.silo m/img1.treeptr pruned.tar 2>err &&
	! test -e pruned.tar
'

test_expect_success 'a damaged layer record is found on expand, nothing is left' '
	cp -R deps.silo damaged.silo &&
	rec=$(python3 -c "import json; print(json.load(open(\"record.json\"))[\"layers\"][0][\"record\"])") &&
	p=damaged.silo/objects/$(echo $rec | cut -c1-2)/$(echo $rec | cut -c3-).gz &&
	chmod u+w $p && echo garbage | gzip >$p &&
	test_expect_code 4 medo expand --silo=damaged.silo m/img1.treeptr damaged.tar 2>err &&
	grep "$rec" err &&
	! test -e damaged.tar &&
	ls -a >listing && ! grep "^\.tmp-" listing
'

test_expect_success 'medo ls and cat see the merged root: layers in order, whiteouts honoured' '
	mkimage layer low.tar f:a/x:1 f:a/y:2 f:b/z:3 f:c:file f:d/o/p:4 f:keep:low &&
	mkimage layer high.tar f:a/.wh.x: f:.wh.b: f:c/now:dir f:d/.wh..wh..opq: f:d/q:5 f:keep:high &&
	mkimage docker wh.tar low.tar high.tar &&
	medo add -q --kind=image wh.tar m/wh.treeptr &&
	medo ls -r m/wh.treeptr | cut -f2 >actual &&
	printf "%s\n" a/y c/now d/q keep >expect &&
	test_cmp expect actual &&
	medo ls m/wh.treeptr d >actual &&
	printf "100644 blob %s\td/q\n" "$(echo 5 | git hash-object --stdin)" >expect &&
	test_cmp expect actual &&
	echo high >expect && medo cat m/wh.treeptr keep >actual && test_cmp expect actual &&
	test_expect_code 3 medo cat m/wh.treeptr a/x 2>err &&
	test_expect_code 3 medo cat m/wh.treeptr b/z 2>err
'

test_expect_success 'an image whose layer is kept compressed has no merged root' '
	test_expect_code 5 medo ls m/img1-gnu.treeptr 2>err &&
	grep "kept compressed" err
'

test_expect_success FUSE 'medo mount shows the merged root' '
	mkdir mnt &&
	medo mount m/wh.treeptr mnt &&
	test_when_finished "medo mount -u mnt || fusermount3 -u -z mnt" &&
	echo high >expect && test_cmp expect mnt/keep &&
	echo dir >expect && test_cmp expect mnt/c/now &&
	! test -e mnt/a/x && ! test -e mnt/b
'

# Hostile archives: each refused with its exit status, naming the
# archive, and no treeptr written.
refused() {
	status=$1 name=$2 &&
	test_expect_code $status medo add --kind=image $name.tar m/$name.treeptr 2>err &&
	! test -e m/$name.treeptr &&
	grep "^medo: error: .*$name.tar" err
}

test_expect_success 'layers with paths out of the tree are refused (exit 8)' '
	mkimage layer dotdot.tar f:../evil:x && mkimage docker bad-dotdot.tar dotdot.tar &&
	refused 8 bad-dotdot && grep "'\''\.\.'\'' in its path" err &&
	mkimage layer abs.tar f:/etc/evil:x && mkimage docker bad-abs.tar abs.tar &&
	refused 8 bad-abs && grep "absolute path" err &&
	mkimage layer symesc.tar l:l:/ f:l/evil:x && mkimage docker bad-symesc.tar symesc.tar &&
	refused 8 bad-symesc && grep "goes through the symlink" err &&
	mkimage layer hardout.tar h:h:../outside && mkimage docker bad-hard.tar hardout.tar &&
	refused 8 bad-hard
'

test_expect_success 'truncated layers, false sizes, devices: refused (exit 5)' '
	head -c 1536 base.tar >trunc.tar && mkimage docker bad-trunc.tar trunc.tar &&
	refused 5 bad-trunc && grep "ends without its end blocks at offset 1536" err &&
	head -c 2000 base.tar >trunc2.tar && mkimage docker bad-trunc2.tar trunc2.tar &&
	refused 5 bad-trunc2 && grep "truncated" err &&
	mkimage huge huge.tar && mkimage docker bad-huge.tar huge.tar &&
	refused 5 bad-huge && grep "entry larger than the archive" err &&
	mkimage layer dev.tar c:dev/null && mkimage docker bad-dev.tar dev.tar &&
	refused 5 bad-dev && grep "character device" err
'

test_expect_success 'a header with a false checksum inside a layer is refused' '
	cp base.tar sum.tar &&
	printf "Z" | dd of=sum.tar bs=1 seek=1600 conv=notrunc 2>/dev/null &&
	python3 -c "
import sys
b = open(\"sum.tar\", \"rb\").read()
sys.exit(0 if b[1536:1537] != b\"\\0\" else 1)" &&
	mkimage docker bad-sum.tar sum.tar &&
	refused 5 bad-sum && grep "checksum mismatch\|not a ustar header" err
'

test_expect_success 'wrong digests are refused (docker exit 4, OCI exit 5)' '
	zero=$(printf "0%.0s" $(seq 64)) &&
	mkimage docker bad-digest.tar --diff-id=$zero base.tar &&
	refused 4 bad-digest && grep "wrong digest" err &&
	mkimage oci bad-oci.tar --diff-id=$zero base.tar &&
	refused 5 bad-oci && grep "names blob $zero, which it does not hold" err &&
	mkimage oci blob.tar base.tar &&
	python3 -c "
import tarfile, io
src = tarfile.open(\"blob.tar\")
with tarfile.open(\"bad-blob.tar\", \"w\", format=tarfile.USTAR_FORMAT) as t:
    for m in src.getmembers():
        data = src.extractfile(m).read()
        if len(data) > 100000:
            data = data[:-1] + b\"x\"
        m.size = len(data)
        t.addfile(m, io.BytesIO(data))" &&
	refused 4 bad-blob && grep "wrong digest" err
'

test_expect_success '--sha256 pins the archive; URLs and --integrity are refused' '
	sha=$(sha256sum img1.tar | cut -d" " -f1) &&
	medo add -q --kind=image --sha256=$sha img1.tar m/pinned.treeptr &&
	zero=$(printf "0%.0s" $(seq 64)) &&
	test_expect_code 4 medo add --kind=image --sha256=$zero img2.tar m/pin2.treeptr 2>err &&
	grep "not the expected $zero: nothing stored" err && ! test -e m/pin2.treeptr &&
	test_expect_code 5 medo add --kind=image http://127.0.0.1:1/img.tar m/url.treeptr 2>err &&
	grep "an image is a file" err && ! test -e m/url.treeptr &&
	test_expect_code 5 medo add --kind=image --integrity=sha256-$(printf "A%.0s" $(seq 43))= img1.tar m/sri.treeptr 2>err &&
	grep "pin it with --sha256" err && ! test -e m/sri.treeptr
'

test_expect_success 'an image is expanded whole: a partial expand is refused (exit 5)' '
	test_expect_code 5 medo expand m/img1.treeptr part.tar -- etc 2>err &&
	cat >expect <<-\EOF &&
	medo: error: '"'"'m/img1.treeptr'"'"' names an image, expanded as its whole archive: read some of its files with medo cat or medo mount
	EOF
	test_cmp expect err &&
	! test -e part.tar
'

test_expect_success HTTPD 'over HTTP, an image reads again with its objects in the cache' '
	mkdir h &&
	silo init "$HTTPD_ROOT/img.silo" &&
	medo add -q --kind=image --silo "$HTTPD_ROOT/img.silo" img2.tar h/img2.treeptr &&
	echo "{ \"silos\": [\"$HTTPD_URL/img.silo\"] }" >h/SILO.json &&
	for i in 1 2
	do
		SILO_CACHE_DIR=$PWD/h-cache medo expand -q h/img2.treeptr h-$i.tar &&
		cmp img2.tar h-$i.tar &&
		SILO_CACHE_DIR=$PWD/h-cache medo cat h/img2.treeptr app/x >out &&
		echo new >expect && test_cmp expect out || return 1
	done
'

test_expect_success 'what is no image is refused (exit 5)' '
	refused 5 base && grep "neither manifest.json nor oci-layout" err &&
	echo hello >plain.tar && refused 5 plain && grep "not a tar" err &&
	test_expect_code 5 medo add --kind=image . m/dir.treeptr 2>err &&
	grep "an image is a file" err
'

test_expect_success PODMAN,SKOPEO 'podman and skopeo accept the archives written again' '
	test_when_finished "pod rmi -a -f >/dev/null 2>&1 || :" &&
	pod load -q -i img2-out.tar >loaded &&
	grep "localhost/test:1" loaded &&
	skopeo inspect docker-archive:img2-out.tar >inspect.json &&
	json_check inspect.json "
import hashlib
want = [\"sha256:\" + hashlib.sha256(open(f, \"rb\").read()).hexdigest() for f in (\"base.tar\", \"app.tar\")]
assert d[\"Layers\"] == want, d[\"Layers\"]" &&
	skopeo inspect oci-archive:oci.tar >oci.json &&
	skopeo inspect oci-archive:gz.tar >gz.json &&
	json_check gz.json "assert len(d[\"Layers\"]) == 1"
'

test_expect_success PODMAN,SKOPEO 'images saved by podman, docker-archive and OCI, round trip' '
	test_when_finished "pod rmi -a -f >/dev/null 2>&1 || :" &&
	mkdir -p rootfs/etc rootfs/bin && echo hi >rootfs/etc/motd &&
	printf "#!/bin/sh\necho hi\n" >rootfs/bin/hi && chmod 755 rootfs/bin/hi &&
	ln -s ../etc/motd rootfs/bin/motd &&
	tar -C rootfs -cf rootfs.tar . &&
	pod import -q rootfs.tar localhost/rootfs:1 >/dev/null &&
	pod save -q --format docker-archive -o saved-docker.tar localhost/rootfs:1 &&
	pod save -q --format oci-archive -o saved-oci.tar localhost/rootfs:1 &&
	medo add -q --kind=image saved-docker.tar m/saved-docker.treeptr &&
	medo add -q --kind=image saved-oci.tar m/saved-oci.treeptr &&
	medo expand m/saved-docker.treeptr back-docker.tar && cmp saved-docker.tar back-docker.tar &&
	medo expand m/saved-oci.treeptr back-oci.tar && cmp saved-oci.tar back-oci.tar &&
	pod rmi -f localhost/rootfs:1 >/dev/null &&
	pod load -q -i back-docker.tar >loaded && grep localhost/rootfs:1 loaded &&
	skopeo inspect docker-archive:back-docker.tar >/dev/null &&
	skopeo inspect oci-archive:back-oci.tar >/dev/null
'

test_done
