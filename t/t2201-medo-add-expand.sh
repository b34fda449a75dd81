#!/bin/sh
test_description='medo add DIR and medo expand: identical trees, no-op, refusal, --force, corruption'
. "$(dirname "$0")/test-lib.sh"

# A listing of everything below DIR with modes and modification times.
# The top directory itself is left out: a tar of a directory holds its
# entries, not the directory.
listing() {
	# mtimes are kept to the second, as tar keeps them
	(cd "$1" && find . -mindepth 1 -printf '%p %m %T@\n' | sed 's/\.[0-9]*$//' | sort)
}

# The loose object file of id $1 in silo $2.
object_file() {
	echo "$2/objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

field() {
	sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2"
}

nl='
'
long=$(printf 'n%.0s' $(seq 1 150))

test_expect_success 'setup: a silo, a medo directory, a tree of every kind of entry' '
	silo init deps.silo &&
	mkdir -p deps/x.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	mkdir -p src/sub/deeper src/empty-dir "src/with space" &&
	echo plain >src/plain && : >src/empty &&
	printf "#!/bin/sh\necho hi\n" >src/run && chmod 755 src/run &&
	echo ro >src/read-only && chmod 444 src/read-only &&
	ln -s plain src/link && ln -s ../plain src/sub/uplink && ln -s nowhere src/dangling &&
	ln -s sub src/dirlink &&
	echo odd >"src/with space/a b" && echo nl >"src/new${nl}line" &&
	echo u >"src/ünïcødé" && echo d >"src/-dash" && echo l >"src/sub/$long" &&
	test_seeded_file src/sub/deeper/big 300000 1 &&
	touch -d "2001-02-03 04:05:06.789" src/plain src/sub/deeper/big &&
	touch -h -d "2002-01-01" src/link
'

test_expect_success 'add writes a tar treeptr with the tree id of the directory' '
	medo add src deps/x.medo/src.treeptr &&
	test "$(field kind deps/x.medo/src.treeptr)" = tar &&
	medo tree-id src >expect &&
	field tree deps/x.medo/src.treeptr >actual &&
	test_cmp expect actual &&
	id=$(field object deps/x.medo/src.treeptr) &&
	silo cat --silo deps.silo $id | wc -c >size &&
	field size deps/x.medo/src.treeptr >actual &&
	test "$(cat size)" -eq "$(cat actual)"
'

test_expect_success 'the tree id is what git write-tree says' '
	git init -q --bare g.git &&
	git --git-dir=g.git --work-tree=src add -A &&
	git --git-dir=g.git write-tree >expect &&
	field tree deps/x.medo/src.treeptr >actual &&
	test_cmp expect actual
'

test_expect_success 'adding the same directory twice gives the same object' '
	medo add src deps/x.medo/again.treeptr &&
	test "$(field object deps/x.medo/src.treeptr)" = "$(field object deps/x.medo/again.treeptr)" &&
	rm deps/x.medo/again.treeptr
'

test_expect_success 'expand gives an identical tree: content, modes, times, tree id' '
	medo expand deps/x.medo/src.treeptr out/src &&
	diff -r --no-dereference src out/src &&
	listing src >expect && listing out/src >actual &&
	test_cmp expect actual &&
	medo tree-id out/src >actual && medo tree-id src >expect &&
	test_cmp expect actual &&
	test "$(readlink "out/src/sub/uplink")" = ../plain &&
	test -d out/src/empty-dir
'

test_expect_success 'nothing is left beside the destination' '
	ls -A out >actual &&
	echo src >expect &&
	test_cmp expect actual
'

test_expect_success 'medo verify of the expanded tree is silent and exits 0' '
	medo verify deps/x.medo/src.treeptr out/src >stdout 2>err &&
	test_must_be_empty stdout && test_must_be_empty err
'

test_expect_success 'expand onto the right tree is a no-op that verifies' '
	ls -id out/src >before &&
	touch -d "2003-01-01" out/src/plain &&
	listing out/src >list-before &&
	medo expand -v deps/x.medo/src.treeptr out/src >actual &&
	echo "present out/src" >expect && test_cmp expect actual &&
	ls -id out/src >after && test_cmp before after &&
	listing out/src >list-after && test_cmp list-before list-after
'

test_expect_success 'expand onto another tree is refused (exit 8), the tree untouched' '
	echo changed >out/src/plain &&
	listing out/src >before &&
	test_expect_code 8 medo expand deps/x.medo/src.treeptr out/src 2>err &&
	echo "medo: error: '\''out/src'\'' holds something other than what '\''deps/x.medo/src.treeptr'\'' names; use --force to replace it" >expect &&
	test_cmp expect err &&
	listing out/src >after && test_cmp before after &&
	echo changed >expect && test_cmp expect out/src/plain
'

test_expect_success 'expand --force replaces it' '
	medo expand -v --force deps/x.medo/src.treeptr out/src >actual &&
	echo "replaced out/src" >expect && test_cmp expect actual &&
	diff -r --no-dereference src out/src &&
	ls -A out >actual && echo src >expect && test_cmp expect actual
'

test_expect_success 'a file in the way is refused too; --force replaces it' '
	echo file >out/f &&
	test_expect_code 8 medo expand deps/x.medo/src.treeptr out/f &&
	echo file >expect && test_cmp expect out/f &&
	medo expand --force deps/x.medo/src.treeptr out/f &&
	diff -r --no-dereference src out/f
'

test_expect_success 'an empty directory is filled without --force' '
	mkdir out/e &&
	medo expand deps/x.medo/src.treeptr out/e &&
	diff -r --no-dereference src out/e
'

test_expect_success 'concurrent expansions of one treeptr to one place all succeed' '
	for i in 1 2 3 4; do
		{ medo expand deps/x.medo/src.treeptr out/race; echo $? >status-$i; } &
	done &&
	wait &&
	cat status-1 status-2 status-3 status-4 >actual &&
	printf "0\n0\n0\n0\n" >expect && test_cmp expect actual &&
	diff -r --no-dereference src out/race &&
	{ ls -A out | grep "^\.tmp-" >leftovers || :; } && test_must_be_empty leftovers
'

test_expect_success 'setup: a second silo to break' '
	cp -a deps.silo bad.silo &&
	id=$(field object deps/x.medo/src.treeptr) &&
	object_file $id bad.silo >objfile
'

test_expect_success 'a corrupted object: exit 4, nothing written' '
	f=$(cat objfile) && chmod u+w "$f" &&
	size=$(wc -c <"$f") &&
	python3 -c "
import sys
p, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, \"rb\").read())
b[off] ^= 0x55
open(p, \"wb\").write(b)
" "$f" $((size / 2)) &&
	test_expect_code 4 medo expand --silo bad.silo deps/x.medo/src.treeptr out/c 2>err &&
	grep "^medo: error: " err &&
	! test -e out/c &&
	{ ls -A out | grep "^\.tmp-" >leftovers || :; } && test_must_be_empty leftovers
'

test_expect_success 'a corrupted object does not replace an existing tree, even with --force' '
	mkdir out/keep && echo mine >out/keep/file &&
	test_expect_code 4 medo expand --force --silo bad.silo deps/x.medo/src.treeptr out/keep &&
	echo mine >expect && test_cmp expect out/keep/file
'

test_expect_success 'a missing object: exit 3, named' '
	rm -f "$(cat objfile)" &&
	id=$(field object deps/x.medo/src.treeptr) &&
	test_expect_code 3 medo expand --silo bad.silo deps/x.medo/src.treeptr out/m 2>err &&
	echo "medo: error: object $id is not in silo '\''bad.silo'\''" >expect &&
	test_cmp expect err &&
	! test -e out/m
'

test_expect_success 'a treeptr whose tree id does not match its object: exit 4' '
	sed "s/^  \"tree\": \"[0-9a-f]*\"/  \"tree\": \"4b825dc642cb6eb9a060e54bf8d69288fbee4904\"/" \
		deps/x.medo/src.treeptr >deps/x.medo/lie.treeptr &&
	test_expect_code 4 medo expand deps/x.medo/lie.treeptr out/lie 2>err &&
	grep "^medo: error: .deps/x.medo/lie.treeptr.: object [0-9a-f]* unpacks to tree $(field tree deps/x.medo/src.treeptr), not tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904$" err &&
	! test -e out/lie &&
	rm deps/x.medo/lie.treeptr
'

test_expect_success 'a treeptr whose size does not match its object: exit 4' '
	sed "s/^  \"size\": [0-9]*/  \"size\": 1/" deps/x.medo/src.treeptr >deps/x.medo/lie.treeptr &&
	test_expect_code 4 medo expand deps/x.medo/lie.treeptr out/lie 2>err &&
	grep "^medo: error: .deps/x.medo/lie.treeptr.: object [0-9a-f]* has [0-9]* bytes, not the 1 the treeptr says$" err &&
	! test -e out/lie &&
	rm deps/x.medo/lie.treeptr
'

test_expect_success 'medo verify lists what differs and exits 1' '
	medo expand deps/x.medo/src.treeptr v &&
	echo changed >v/plain && echo new >v/sub/new && rm v/empty &&
	chmod 755 "v/with space/a b" &&
	test_expect_code 1 medo verify deps/x.medo/src.treeptr v >actual &&
	cat >expect <<-END &&
	removed v/empty
	changed v/plain
	mode v/with space/a b
	added v/sub/new
	END
	sort -k2 expect >e && sort -k2 actual >a && test_cmp e a
'

test_expect_success 'without the object at hand, verify says plainly that it differs' '
	silo init empty.silo &&
	test_expect_code 1 medo verify --silo empty.silo deps/x.medo/src.treeptr v >actual 2>err &&
	echo "differs v" >expect && test_cmp expect actual &&
	grep "^medo: warning: cannot list what differs: object" err
'

test_expect_success 'verify of a missing tree exits 1' '
	test_expect_code 1 medo verify deps/x.medo/src.treeptr nowhere >actual &&
	echo "missing nowhere" >expect && test_cmp expect actual
'

test_expect_success 'setup: a medo directory of several treeptrs' '
	mkdir -p m.medo/a/b t1 t2 t3 &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo 1 >t1/f && echo 2 >t2/f && echo 3 >t3/f &&
	medo add t1 m.medo/one.treeptr &&
	medo add t2 m.medo/a/two.treeptr &&
	medo add t3 m.medo/a/b/three.treeptr &&
	echo opaque >op && medo add --opaque op m.medo/a/op.bin.treeptr
'

test_expect_success 'expand MEDO_DIR DEST puts each at DEST/<path minus .treeptr>, in parallel' '
	medo expand -j 3 -v m.medo wedge >actual &&
	cat >expect <<-END &&
	expanded wedge/a/b/three
	expanded wedge/a/op.bin
	expanded wedge/a/two
	expanded wedge/one
	END
	test_cmp expect actual &&
	diff -r --no-dereference t1 wedge/one && diff -r --no-dereference t2 wedge/a/two && diff -r --no-dereference t3 wedge/a/b/three &&
	test_cmp op wedge/a/op.bin
'

test_expect_success 'expanding it again verifies and changes nothing' '
	medo expand -j 2 -v m.medo wedge >actual &&
	sed "s/^expanded/present/" expect >expect2 &&
	test_cmp expect2 actual
'

test_expect_success 'medo verify MEDO_DIR DIR' '
	medo verify m.medo wedge >stdout &&
	test_must_be_empty stdout &&
	echo bad >wedge/a/two/f &&
	test_expect_code 1 medo verify m.medo wedge >actual &&
	echo "changed wedge/a/two/f" >expect &&
	test_cmp expect actual
'

test_expect_success 'a batch reports each failure, finishes the others, exits non-zero' '
	echo "{}" >m.medo/a/broken.treeptr &&
	test_expect_code 5 medo expand -j 2 m.medo wedge2 2>err &&
	grep "^medo: error: a/broken.treeptr: .m.medo/a/broken.treeptr.: missing field .treeptr." err &&
	test_line_count 1 err &&
	diff -r --no-dereference t1 wedge2/one && diff -r --no-dereference t3 wedge2/a/b/three &&
	! test -e wedge2/a/broken
'

test_expect_success 'a batch onto a tree holding something else refuses that one only' '
	rm m.medo/a/broken.treeptr &&
	test_expect_code 8 medo expand m.medo wedge 2>err &&
	grep "^medo: error: a/two.treeptr: .wedge/a/two. holds something other" err &&
	test_line_count 1 err &&
	medo expand --force m.medo wedge &&
	medo verify m.medo wedge
'

test_expect_success 'add FILE keeps an archive byte for byte, with its tree id and sha256' '
	tar -C t1 -czf t1.tar.gz . &&
	medo add --url https://example.org/t1.tar.gz t1.tar.gz deps/x.medo/t1.treeptr &&
	test "$(field kind deps/x.medo/t1.treeptr)" = archive &&
	medo tree-id t1 >expect && field tree deps/x.medo/t1.treeptr >actual &&
	test_cmp expect actual &&
	sha256sum t1.tar.gz | cut -d" " -f1 >expect &&
	sed -n "s/^    \"sha256\": \"\(.*\)\",$/\1/p" deps/x.medo/t1.treeptr >actual &&
	test_cmp expect actual &&
	grep "^    \"file\": \"t1.tar.gz\",$" deps/x.medo/t1.treeptr &&
	grep "^    \"url\": \"https://example.org/t1.tar.gz\",$" deps/x.medo/t1.treeptr &&
	silo cat --silo deps.silo $(field object deps/x.medo/t1.treeptr) >copy &&
	cmp t1.tar.gz copy &&
	medo expand deps/x.medo/t1.treeptr out/t1 &&
	diff -r --no-dereference t1 out/t1
'

test_expect_success 'add FILE of a zip archive' '
	(cd t2 && python3 -c "import zipfile; z = zipfile.ZipFile(\"../t2.zip\", \"w\"); z.write(\"f\"); z.close()") &&
	medo add t2.zip deps/x.medo/t2.treeptr &&
	test "$(field kind deps/x.medo/t2.treeptr)" = archive &&
	medo expand deps/x.medo/t2.treeptr out/t2 &&
	diff -r --no-dereference t2 out/t2
'

test_expect_success 'add --opaque keeps any file as is, with no tree id' '
	tar -C t1 -cJf t1.tar.xz . &&
	medo add --opaque t1.tar.xz deps/x.medo/t1-xz.treeptr &&
	test "$(field kind deps/x.medo/t1-xz.treeptr)" = opaque &&
	! grep "\"tree\"" deps/x.medo/t1-xz.treeptr &&
	medo expand deps/x.medo/t1-xz.treeptr out/t1.tar.xz &&
	cmp t1.tar.xz out/t1.tar.xz
'

test_expect_success 'a file that is not an archive needs --opaque (exit 5)' '
	echo "just text" >notes.txt &&
	test_expect_code 5 medo add notes.txt deps/x.medo/notes.treeptr 2>err &&
	grep "^medo: error: cannot add .notes.txt. as a tree: trees are made of directories and of tar and zip archives, compressed or not (gzip, bzip2, xz, lzma, lzip, zstd, lz4); use --opaque to store the file as it is: " err &&
	! test -e deps/x.medo/notes.treeptr
'

test_expect_success 'add of something missing exits 3; --opaque of a directory exits 5' '
	test_expect_code 3 medo add nothing deps/x.medo/n.treeptr &&
	test_expect_code 5 medo add --opaque t1 deps/x.medo/n.treeptr &&
	! test -e deps/x.medo/n.treeptr
'

test_expect_success 'add --silo writes into the silo named, not SILO.json' '
	silo init other.silo &&
	mkdir nosilo && medo add --silo other.silo t3 nosilo/t3.treeptr &&
	silo cat --silo other.silo $(field object nosilo/t3.treeptr) >/dev/null &&
	medo expand --silo other.silo nosilo/t3.treeptr out/t3 &&
	diff -r --no-dereference t3 out/t3
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 medo add src 2>err && grep "^usage: medo add" err &&
	test_expect_code 2 medo expand x 2>err && grep "^usage: medo expand" err &&
	test_expect_code 2 medo verify 2>err && grep "^usage: medo verify" err &&
	test_expect_code 2 medo url-for 2>err && grep "^usage: medo url-for" err
'

test_expect_success 'a staging directory left by a killed expand is removed by the next' '
	mkdir -p st && mkdir st/.tmp-dest-ABC123 && mkdir st/.tmp-dest-ABC123/new &&
	echo litter >st/.tmp-dest-ABC123/new/file &&
	mkdir st/.tmp-dest-LIVE12 &&
	{ ( exec 9<st/.tmp-dest-LIVE12 && flock 9 && : >locked && exec sleep 30 ) & } &&
	holder=$! && test_when_finished "kill $holder" &&
	test_wait_for "test -e locked" 30 &&
	medo expand deps/x.medo/src.treeptr st/dest &&
	! test -e st/.tmp-dest-ABC123 &&
	test -d st/.tmp-dest-LIVE12 &&
	ls -a st >left && printf ".\n..\n.tmp-dest-LIVE12\ndest\n" >expect && test_cmp expect left
'

test_expect_success 'expand applies the umask: no world-writable files from an archive' '
	mkdir -p ww/d && echo x >ww/d/f && chmod 666 ww/d/f && chmod 777 ww/d &&
	medo add ww deps/x.medo/ww.treeptr &&
	(umask 022 && medo expand deps/x.medo/ww.treeptr ww-out) &&
	echo "755 644" >expect &&
	echo "$(stat -c %a ww-out/d) $(stat -c %a ww-out/d/f)" >actual &&
	test_cmp expect actual
'

test_expect_success 'a medo directory whose trees would nest is refused before anything is written' '
	mkdir -p nest.medo/foo na nb &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >nest.medo/SILO.json &&
	echo 1 >na/f && echo 2 >nb/g &&
	medo add na nest.medo/foo.treeptr && medo add nb nest.medo/foo/bar.treeptr &&
	test_expect_code 5 medo expand -j 2 nest.medo nest-out 2>err &&
	echo "medo: error: '\''nest.medo'\'': the tree of '\''foo.treeptr'\'' would hold the tree of '\''foo/bar.treeptr'\''" >expect &&
	test_cmp expect err &&
	! test -e nest-out
'

test_expect_success 'medo add -v and --json of data already named exit 0' '
	medo add -q src deps/x.medo/again.treeptr &&
	medo add -v src deps/x.medo/again.treeptr >again.out &&
	grep "^unchanged deps/x.medo/again.treeptr tar " again.out &&
	medo add --json src deps/x.medo/again.treeptr >again.out &&
	grep "\"result\": \"unchanged\"" again.out
'

test_done
