#!/bin/sh
test_description='medo ls, cat, diff and show on local and HTTP silos, both kinds'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"
. "$TEST_DIRECTORY/lib-json.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
export SOURCE_DATE_EPOCH=1700000000

requests_since() {
	tail -n +$(($1 + 1)) "$HTTPD_DIR/access.log" | sed -n 's/^[^"]*"\([A-Z]*\) \([^ ]*\) .*/\1 \2/p'
}
mark() {
	wc -l <"$HTTPD_DIR/access.log"
}

test_expect_success 'setup: two versions, as trees and as a tar, in a local silo' '
	silo init deps.silo &&
	mkdir -p v1/sub/deeper v1/other && echo one >v1/a && echo two >v1/sub/b &&
	printf "#!/bin/sh\n" >v1/sub/run && chmod +x v1/sub/run &&
	ln -s ../a v1/sub/link && test_seeded_file v1/sub/deeper/big 100000 1 &&
	echo same >v1/other/x &&
	cp -R v1 v2 && echo changed >v2/sub/b && echo new >v2/sub/deeper/new && rm v1/a &&
	echo a >v1/a && chmod +x v2/other/x && rm v2/sub/link && mkdir v2/sub/link && echo in >v2/sub/link/f &&
	mkdir -p m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	medo add --kind=tree v1 m/v1.treeptr &&
	medo add --kind=tree v2 m/v2.treeptr &&
	medo add v1 m/v1-tar.treeptr &&
	git init -q --bare g.git &&
	git --git-dir=g.git --work-tree=v1 add -A && git --git-dir=g.git write-tree >tree1
'

test_expect_success 'ls -r -l is git ls-tree -r -l, for both kinds' '
	git --git-dir=g.git ls-tree -r -l $(cat tree1) >expect &&
	medo ls -r -l m/v1.treeptr >actual &&
	test_cmp expect actual &&
	medo ls -r -l m/v1-tar.treeptr >actual &&
	test_cmp expect actual
'

test_expect_success 'ls of the root and of a subdirectory is git ls-tree' '
	git --git-dir=g.git ls-tree $(cat tree1) >expect &&
	medo ls m/v1.treeptr >actual &&
	test_cmp expect actual &&
	git --git-dir=g.git ls-tree $(cat tree1) sub/ >expect &&
	medo ls m/v1.treeptr sub >actual &&
	test_cmp expect actual &&
	git --git-dir=g.git ls-tree $(cat tree1) sub/run >expect &&
	medo ls m/v1.treeptr sub/run >actual &&
	test_cmp expect actual
'

test_expect_success 'ls --json' '
	medo ls --json m/v1.treeptr sub/deeper >actual &&
	id=$(git hash-object v1/sub/deeper/big) &&
	cat >expect <<-EOF &&
	{
	  "entries": [
	    {
	      "id": "$id",
	      "mode": "100644",
	      "path": "sub/deeper/big",
	      "perm": "0644",
	      "size": 100000,
	      "type": "blob"
	    }
	  ],
	  "exit": 0
	}
	EOF
	test_cmp expect actual
'

test_expect_success 'cat gives the bytes of a file and the target of a symlink, both kinds' '
	medo cat m/v1.treeptr sub/deeper/big >actual && test_cmp v1/sub/deeper/big actual &&
	medo cat m/v1-tar.treeptr sub/deeper/big >actual && test_cmp v1/sub/deeper/big actual &&
	printf ../a >expect &&
	medo cat m/v1.treeptr sub/link >actual && test_cmp expect actual &&
	medo cat m/v1-tar.treeptr sub/link >actual && test_cmp expect actual
'

test_expect_success 'cat of a missing path or a directory is a clear error' '
	test_expect_code 3 medo cat m/v1.treeptr sub/nope >out 2>err &&
	test_must_be_empty out &&
	echo "medo: error: '\''m/v1.treeptr'\'': no '\''sub/nope'\'' in tree $(cat tree1)" >expect &&
	test_cmp expect err &&
	test_expect_code 5 medo cat m/v1.treeptr sub 2>err &&
	echo "medo: error: '\''sub'\'' is a directory" >expect &&
	test_cmp expect err
'

test_expect_success 'cat of a corrupt blob names the blob and its path' '
	cp -R deps.silo bad.silo &&
	id=$(git hash-object v1/sub/deeper/big) &&
	corrupt_packed_blob bad.silo $id &&
	test_must_fail medo cat --silo=bad.silo m/v1.treeptr sub/deeper/big >out 2>err &&
	grep "blob $id of '\''sub/deeper/big'\''" err &&
	medo cat --silo=bad.silo m/v1.treeptr sub/b >actual && test_cmp v1/sub/b actual
'

test_expect_success 'ls of a damaged tree object names the tree and its path' '
	rm -rf bad2.silo && cp -R deps.silo bad2.silo &&
	git --git-dir=g.git rev-parse $(cat tree1):sub/deeper >id &&
	for idx in bad2.silo/pack/*.idx; do
		off=$(git verify-pack -v "$idx" | sed -n "s/^$(cat id) tree *[0-9]* *[0-9]* *\([0-9]*\)$/\1/p") &&
		if test -n "$off"; then
			chmod u+w "${idx%.idx}.pack" &&
			printf "\377\377\377\377" |
			dd of="${idx%.idx}.pack" bs=1 seek=$((off + 4)) conv=notrunc 2>/dev/null
		fi || return 1
	done &&
	rm -rf "$SILO_CACHE_DIR" &&
	test_must_fail medo ls -r --silo=bad2.silo m/v1.treeptr >out 2>err &&
	test_must_be_empty out &&
	grep "tree $(cat id) of '\''sub/deeper'\''" err
'

test_expect_success 'diff names what was added, removed and changed, in path order' '
	test_expect_code 1 medo diff m/v1.treeptr m/v2.treeptr >actual &&
	cat >expect-v1-v2 <<-\EOF &&
	changed a
	mode other/x
	changed sub/b
	added sub/deeper/new
	removed sub/link
	added sub/link/f
	EOF
	cp expect-v1-v2 expect &&
	test_cmp expect actual &&
	test_expect_code 1 medo diff m/v1-tar.treeptr m/v2.treeptr >actual && test_cmp expect actual &&
	medo diff m/v1.treeptr m/v1-tar.treeptr >actual &&
	test_must_be_empty actual
'

test_expect_success 'diff --json' '
	medo diff --json m/v1.treeptr m/v1-tar.treeptr >actual &&
	printf "{\n  \"changes\": [],\n  \"differs\": false,\n  \"exit\": 0\n}\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'diff of a treeptr with a directory, either way, and of two directories' '
	cp expect-v1-v2 expect &&
	test_expect_code 1 medo diff m/v1.treeptr v2 >actual && test_cmp expect actual &&
	test_expect_code 1 medo diff v1 m/v2.treeptr >actual && test_cmp expect actual &&
	test_expect_code 1 medo diff m/v1-tar.treeptr v2 >actual && test_cmp expect actual &&
	test_expect_code 1 medo diff v1 v2 >actual && test_cmp expect actual &&
	medo diff m/v1-tar.treeptr v1 >actual && test_must_be_empty actual
'

test_expect_success 'diff --stat counts files and bytes on each side' '
	cat >expect <<-\EOF &&
	added: 2 files, 0 -> 7 bytes
	removed: 1 file, 4 -> 0 bytes
	changed: 2 files, 6 -> 12 bytes
	mode: 1 file, 5 -> 5 bytes
	EOF
	test_expect_code 1 medo diff --stat m/v1.treeptr m/v2.treeptr >actual &&
	test_cmp expect actual &&
	test_expect_code 1 medo diff --stat m/v1-tar.treeptr v2 >actual &&
	test_cmp expect actual &&
	test_expect_code 1 medo diff --stat --json m/v1.treeptr m/v2.treeptr >actual &&
	json_check actual "
assert d[\"differs\"] is True
assert d[\"stat\"][\"changed\"] == {\"files\": 2, \"bytes_a\": 6, \"bytes_b\": 12}, d
assert d[\"stat\"][\"added\"] == {\"files\": 2, \"bytes_a\": 0, \"bytes_b\": 7}, d
assert d[\"changes\"][0] == {\"change\": \"changed\", \"path\": \"a\", \"size_a\": 2, \"size_b\": 4}, d
assert d[\"changes\"][3] == {\"change\": \"added\", \"path\": \"sub/deeper/new\", \"size_b\": 4}, d
"
'

test_expect_success 'diff -p shows the content diff of text files, and says which are binary' '
	cat >expect <<-\EOF &&
	changed a
	--- a/a
	+++ b/a
	@@ -1 +1 @@
	-a
	+one
	mode other/x
	changed sub/b
	--- a/sub/b
	+++ b/sub/b
	@@ -1 +1 @@
	-two
	+changed
	added sub/deeper/new
	--- /dev/null
	+++ b/sub/deeper/new
	@@ -0,0 +1 @@
	+new
	removed sub/link
	added sub/link/f
	--- /dev/null
	+++ b/sub/link/f
	@@ -0,0 +1 @@
	+in
	EOF
	test_expect_code 1 medo diff -p m/v1.treeptr m/v2.treeptr >actual &&
	test_cmp expect actual &&
	test_expect_code 1 medo diff -p m/v1-tar.treeptr v2 >actual &&
	test_cmp expect actual &&
	cp -R v1 w && printf "x\000y" >w/bin && echo more >>w/sub/deeper/big &&
	test_expect_code 1 medo diff -p m/v1.treeptr w >actual &&
	cat >expect <<-\EOF &&
	added bin
	Binary files /dev/null and b/bin differ
	changed sub/deeper/big
	Binary files a/sub/deeper/big and b/sub/deeper/big differ
	EOF
	test_cmp expect actual &&
	test_expect_code 2 medo diff -p --stat m/v1.treeptr w 2>err &&
	grep "^medo: error: -p goes with neither --stat nor --json$" err
'

test_expect_success 'show: treeptrs and directories' '
	medo show m/v1.treeptr v1 >actual &&
	p=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" m/v1.treeptr) &&
	obj=$(sed -n "s/^  \"object\": \"\(.*\)\",/\1/p" m/v1.treeptr) &&
	attrs=$(sed -n "s/^  \"attrs\": \"\(.*\)\",/\1/p" m/v1.treeptr) &&
	cat >expect <<-EOF &&
	treeptr m/v1.treeptr
	kind: tree
	tree: $(cat tree1)
	size table: $obj ($(silo cat --silo deps.silo $obj | wc -c) bytes)
	attributes: $attrs ($(silo cat --silo deps.silo $attrs | wc -c) bytes)
	pack: $p
	files: 6
	unpacked: 100025
	empty directories: 0
	other modes: 0
	host: $(hostname)
	source: $PWD/v1
	time: 2023-11-14T22:13:20Z
	tool: medo 0.1.0
	user: $(id -un)

	directory v1
	tree: $(cat tree1)
	files: 6
	size: 100025
	EOF
	test_cmp expect actual
'

test_expect_success 'show: files and unpacked size of the tar kind, and of an opaque file' '
	medo show m/v1-tar.treeptr >actual &&
	obj=$(sed -n "s/^  \"object\": \"\(.*\)\",/\1/p" m/v1-tar.treeptr) &&
	cat >expect <<-EOF &&
	treeptr m/v1-tar.treeptr
	kind: tar
	tree: $(cat tree1)
	object: $obj
	size: $(silo cat --silo deps.silo $obj | wc -c)
	files: 6
	unpacked: 100025
	EOF
	sed -n "1,7p" actual >head && test_cmp expect head &&
	echo opaque >o && medo add --opaque o m/o.treeptr &&
	medo show --json m/o.treeptr >actual &&
	grep "^      \"files\": 1,$" actual && grep "^      \"unpacked\": 7$" actual
'

test_expect_success 'show without a silo at hand: no count, a warning' '
	mkdir -p lone && cp m/v1-tar.treeptr lone/ &&
	medo show lone/v1-tar.treeptr >actual 2>err &&
	! grep "^files:" actual &&
	grep "^medo: warning: cannot count the files of .lone/v1-tar.treeptr.: " err
'

test_expect_success 'show of a medo directory lists its treeptrs' '
	medo show m >actual &&
	{
		echo "medo directory m" && echo "treeptrs: 4" &&
		printf "%-7s %s %s\n" opaque $(git hash-object o) o.treeptr &&
		printf "%-7s %s %s\n" tar $(cat tree1) v1-tar.treeptr &&
		printf "%-7s %s %s\n" tree $(cat tree1) v1.treeptr &&
		printf "%-7s %s %s\n" tree $(medo tree-id v2) v2.treeptr
	} >expect &&
	test_cmp expect actual &&
	medo show --json m >actual &&
	json_check actual "
i = d[\"items\"][0]
assert i[\"kind\"] == \"medo directory\" and i[\"path\"] == \"m\", i
assert [t[\"path\"] for t in i[\"treeptrs\"]] == [\"m/o.treeptr\", \"m/v1-tar.treeptr\", \"m/v1.treeptr\", \"m/v2.treeptr\"], i
assert i[\"treeptrs\"][0][\"object\"] and i[\"treeptrs\"][2][\"kind\"] == \"tree\", i
"
'

test_expect_success 'show --json' '
	medo show --json v1 >actual &&
	cat >expect <<-EOF &&
	{
	  "exit": 0,
	  "items": [
	    {
	      "files": 6,
	      "kind": "directory",
	      "path": "v1",
	      "size": 100025,
	      "tree": "$(cat tree1)"
	    }
	  ]
	}
	EOF
	test_cmp expect actual
'

start_httpd && test_set_prereq HTTPD || test_missing_prereq HTTPD "nginx does not start"

test_expect_success HTTPD 'setup: the silo served by nginx' '
	cp -R deps.silo "$HTTPD_ROOT/deps.silo" &&
	mkdir -p h && cp m/*.treeptr h/ &&
	echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >h/SILO.json
'

test_expect_success HTTPD 'ls over HTTP: one index and the tree section, nothing else' '
	m=$(mark) &&
	git --git-dir=g.git ls-tree -r -l $(cat tree1) >expect &&
	medo ls -r -l h/v1.treeptr >actual &&
	test_cmp expect actual &&
	requests_since $m >log &&
	grep -v "config.json" log >actual &&
	p=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" h/v1.treeptr) &&
	printf "GET /deps.silo/pack/%s\n" $p.idx $p.pack >expect &&
	test_cmp expect actual
'

# After the listing, a file is one range request of exactly its entry
# in the pack (the size git verify-pack -v gives): nothing loose is
# asked for, and the pack's header and trailer come from its index.
test_expect_success HTTPD 'cat over HTTP after ls: one request, that blob'"'"'s entry' '
	p=$(sed -n "/pack-/s/^ *\"\(pack-[0-9a-f]*\)\"$/\1/p" h/v1.treeptr) &&
	git verify-pack -v "$HTTPD_ROOT/deps.silo/pack/$p.pack" >vp &&
	for f in sub/b sub/deeper/big sub/run; do
		m=$(mark) &&
		medo cat h/v1.treeptr $f >actual && test_cmp v1/$f actual &&
		id=$(git hash-object v1/$f) &&
		awk -v id=$id "\$1 == id { print \"GET /deps.silo/pack/$p.pack 206\", \$4 }" vp >expect &&
		tail -n +$((m + 1)) "$HTTPD_DIR/access.log" | grep -v config.json |
			sed -n "s/^[^\"]*\"\([A-Z]*\) \([^ ]*\) [^\"]*\" \([0-9]*\) \([0-9]*\) .*/\1 \2 \3 \4/p" >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success HTTPD 'diff over HTTP' '
	test_expect_code 1 medo diff h/v1.treeptr h/v2.treeptr >actual &&
	test_line_count = 6 actual
'

test_done
