#!/bin/sh
test_description='medo add --kind=tree: git tree and blob objects in one pack, read by git, expanded, deduplicated'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"

field() {
	sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2"
}

# The packs a treeptr lists, one a line.
packs_of() {
	sed -n '/"packs": \[/,/\]/s/^ *"\(pack-[0-9a-f]*\)",\{0,1\}$/\1/p' "$1"
}

nl='
'
long=$(printf 'n%.0s' $(seq 1 150))

test_expect_success 'setup: a silo, a medo directory, an awkward tree' '
	silo init deps.silo &&
	mkdir -p deps/x.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	mkdir -p src/sub/deeper "src/with space" &&
	echo plain >src/plain && : >src/empty &&
	printf "#!/bin/sh\necho hi\n" >src/run && chmod 755 src/run &&
	ln -s plain src/link && ln -s ../plain src/sub/uplink && ln -s nowhere src/dangling &&
	ln -s sub src/dirlink &&
	echo odd >"src/with space/a b" && echo nl >"src/new${nl}line" &&
	echo u >"src/ünïcødé" && echo d >"src/-dash" && echo l >"src/sub/$long" &&
	echo plain >src/sub/same-as-plain &&
	d=src/deep && for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do d=$d/$i; done &&
	mkdir -p $d && echo bottom >$d/f &&
	test_seeded_file src/sub/deeper/big 300000 1
'

test_expect_success 'add --kind=tree writes a tree treeptr whose tree is git write-tree' '
	medo add --kind=tree src deps/x.medo/src.treeptr &&
	test "$(field kind deps/x.medo/src.treeptr)" = tree &&
	git init -q --bare g.git &&
	git --git-dir=g.git --work-tree=src add -A &&
	git --git-dir=g.git write-tree >expect &&
	field tree deps/x.medo/src.treeptr >actual &&
	test_cmp expect actual &&
	medo tree-id src >actual && test_cmp expect actual
'

test_expect_success 'one pack, named in the treeptr, that git verify-pack accepts' '
	ls deps.silo/pack >actual &&
	p=$(packs_of deps/x.medo/src.treeptr) &&
	printf "%s\n" $p.idx $p.pack packs >expect &&
	test_cmp expect actual &&
	git verify-pack deps.silo/pack/$p.idx &&
	test ! -d deps.silo/objects/45
'

test_expect_success 'tree objects first, then the attribute record and the size table, then the blobs in path order' '
	p=$(packs_of deps/x.medo/src.treeptr) &&
	git verify-pack -v deps.silo/pack/$p.idx >v &&
	sed -n "/^[0-9a-f]\{40\} /p" v | sort -k5n | cut -d" " -f2 | uniq -c | sed "s/^ *//" >actual &&
	printf "%s\n" "25 tree" "16 blob" >expect &&
	test_cmp expect actual &&
	sed -n "/^[0-9a-f]\{40\} /p" v | sort -k5n | sed -n "26p;27p" | cut -d" " -f1 >actual &&
	{ field attrs deps/x.medo/src.treeptr && field object deps/x.medo/src.treeptr; } >expect &&
	test_cmp expect actual
'

# The silo root is an object directory to git: its packs are in pack/.
sgit() {
	GIT_OBJECT_DIRECTORY="$PWD/deps.silo" git --git-dir=empty.git "$@"
}

test_expect_success 'git ls-tree -r and git cat-file read the silo' '
	git init -q --bare empty.git &&
	tree=$(field tree deps/x.medo/src.treeptr) &&
	git --git-dir=g.git ls-tree -r $tree >expect &&
	sgit ls-tree -r $tree >actual &&
	test_cmp expect actual &&
	sgit cat-file -p "$tree:run" >actual &&
	test_cmp src/run actual &&
	sgit cat-file -p "$(field object deps/x.medo/src.treeptr)" >sizes &&
	test_line_count = 15 sizes &&
	git --git-dir=g.git ls-tree -r -l $tree | sed "s/^[0-9]* [a-z]* [0-9a-f]* *\([0-9]*\)	.*/\1/" >expect &&
	test_cmp expect sizes
'

test_expect_success 'expand gives the same files, modes and symlinks and the same tree id' '
	medo expand deps/x.medo/src.treeptr out/src &&
	diff -r --no-dereference src out/src &&
	test -x out/src/run && test ! -x out/src/plain &&
	test "$(readlink out/src/sub/uplink)" = ../plain &&
	medo tree-id out/src >actual && medo tree-id src >expect &&
	test_cmp expect actual &&
	ls -A out >actual && echo src >expect && test_cmp expect actual
'

test_expect_success 'verify, status, reachable and silo verify know the tree kind' '
	medo verify deps/x.medo/src.treeptr out/src &&
	echo changed >out/src/plain && rm out/src/empty &&
	test_expect_code 1 medo verify deps/x.medo/src.treeptr out/src >actual 2>err &&
	printf "removed out/src/empty\nchanged out/src/plain\n" >expect &&
	test_cmp expect actual &&
	test_must_be_empty err &&
	test_expect_code 1 medo status deps/x.medo out >actual 2>err &&
	printf "differs out/src\n\tremoved out/src/empty\n\tchanged out/src/plain\n" >expect &&
	test_cmp expect actual &&
	test_must_be_empty err &&
	silo verify deps.silo &&
	medo reachable deps >actual &&
	{ field object deps/x.medo/src.treeptr && field tree deps/x.medo/src.treeptr &&
	  field attrs deps/x.medo/src.treeptr; } | sort >expect &&
	test_cmp expect actual
'

test_expect_success 'adding it again gives the same treeptr data and stores no file'"'"'s blob' '
	medo add --kind=tree src deps/x.medo/again.treeptr &&
	test "$(field tree deps/x.medo/again.treeptr)" = "$(field tree deps/x.medo/src.treeptr)" &&
	packs_of deps/x.medo/again.treeptr >packs &&
	test_line_count = 2 packs &&
	new=$(packs_of deps/x.medo/again.treeptr | grep -v "$(packs_of deps/x.medo/src.treeptr)") &&
	git verify-pack -v deps.silo/pack/$new.idx | grep " blob " | cut -d" " -f1 | sort >actual &&
	{ field attrs deps/x.medo/src.treeptr && field object deps/x.medo/src.treeptr; } |
		sort >expect &&
	test_cmp expect actual
'

test_expect_success 'version 2 stores only its changed blob (dedup)' '
	cp -R src v2 && echo "new content" >v2/sub/deeper/changed &&
	medo add --kind=tree v2 deps/x.medo/v2.treeptr &&
	new=$(packs_of deps/x.medo/v2.treeptr | grep -v "$(packs_of deps/x.medo/src.treeptr)") &&
	git verify-pack -v deps.silo/pack/$new.idx >v &&
	grep " blob " v | cut -d" " -f1 | sort >actual &&
	{ field object deps/x.medo/v2.treeptr && field attrs deps/x.medo/v2.treeptr &&
	  echo "new content" | git hash-object --stdin; } | sort >expect &&
	test_cmp expect actual &&
	medo expand deps/x.medo/v2.treeptr out/v2 &&
	diff -r --no-dereference v2 out/v2
'

test_expect_success 'a corrupt blob: expand fails naming the blob and its path, nothing left' '
	cp -R deps.silo bad.silo &&
	id=$(git hash-object src/sub/deeper/big) &&
	corrupt_packed_blob bad.silo $id &&
	test_must_fail medo expand --silo=bad.silo deps/x.medo/src.treeptr out/bad 2>err &&
	grep "blob $id of '\''sub/deeper/big'\''" err &&
	test ! -e out/bad && ls -A out >actual && printf "%s\n" src v2 >expect && test_cmp expect actual
'

test_expect_success 'a missing tree object: expand fails naming it' '
	sed "s/\"tree\": \"[0-9a-f]*\"/\"tree\": \"$(printf %040d 7)\"/" deps/x.medo/src.treeptr >deps/x.medo/missing.treeptr &&
	test_must_fail medo expand deps/x.medo/missing.treeptr out/missing 2>err &&
	grep "cannot read tree $(printf %040d 7) of '\''\.'\''" err &&
	test ! -e out/missing
'

test_expect_success 'silo repack -a keeps every object readable' '
	silo repack -a -d --silo=deps.silo &&
	sgit ls-tree -r "$(field tree deps/x.medo/v2.treeptr)" >/dev/null &&
	rm -rf out/v2 && medo expand deps/x.medo/v2.treeptr out/v2 &&
	diff -r --no-dereference v2 out/v2
'

test_expect_success 'add --kind=zip is a usage error' '
	test_expect_code 2 medo add --kind=zip src deps/x.medo/z.treeptr 2>err &&
	grep "kind expects tar, tree or image, not '\''zip'\''" err
'

test_done
