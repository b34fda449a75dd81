#!/bin/sh
test_description='silo repack -a: trees of the tree kind stay one pack per family, trees first, chains of at most 10'
. "$(dirname "$0")/test-lib.sh"

field() {
	sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$2"
}

packs_of() {
	sed -n '/"packs": \[/,/\]/s/^ *"\(pack-[0-9a-f]*\)",\{0,1\}$/\1/p' "$1"
}

# The pack of S whose index lists ID.
pack_with() {
	for idx_ in "$1"/pack/*.idx; do
		if git verify-pack -v "$idx_" | grep -q "^$2 "; then
			basename "$idx_" .idx
		fi
	done
}

# Entries of pack IDX in pack order: "<id> <type>".
in_order() {
	git verify-pack -v "$1" | sed -n "/^[0-9a-f]\{40\} /p" | sort -k5n | cut -d" " -f1,2
}

sgit() {
	GIT_OBJECT_DIRECTORY="$PWD/deps.silo" git --git-dir=empty.git "$@"
}

test_expect_success 'setup: 14 versions of one tree, another tree, a tar' '
	silo init deps.silo &&
	mkdir -p m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	mkdir -p v0/lib/deep v0/doc &&
	for f in a b c d e; do
		seq 1 400 | sed "s/^/$f line /" >v0/lib/$f.js || return 1
	done &&
	seq 1 300 | sed "s/^/doc /" >v0/doc/README &&
	seq 1 200 | sed "s/^/deep /" >v0/lib/deep/x.js &&
	echo shared >v0/NOTICE &&
	i=1 && while test $i -le 14; do
		rm -rf v$i && cp -R v$((i - 1)) v$i &&
		echo "change $i" >>v$i/lib/a.js &&
		echo "deep change $i" >>v$i/lib/deep/x.js &&
		medo add -q --kind=tree v$i m/v$i.treeptr || return 1
		i=$((i + 1))
	done &&
	mkdir other && seq 1 500 | sed "s/^/other /" >other/o.txt && echo shared >other/NOTICE &&
	medo add -q --kind=tree other m/other.treeptr &&
	mkdir tarred && seq 1 50 >tarred/t && medo add -q --kind=tar tarred m/tarred.treeptr &&
	ls deps.silo/pack/*.pack >before && test_line_count = 15 before
'

test_expect_success 'repack -a -d: one pack per family, one for the rest' '
	silo repack -a -d --silo deps.silo --json >out &&
	ls deps.silo/pack/*.pack >after && test_line_count = 3 after &&
	sed -n "/\"packs\": \[/,/\]/s/^ *\"\(pack\/pack-[0-9a-f]*\.pack\)\",\{0,1\}$/deps.silo\/\1/p" out |
		sort >listed &&
	test_cmp after listed &&
	grep "\"removed_packs\": 15" out &&
	git verify-pack deps.silo/pack/*.idx &&
	silo verify deps.silo
'

test_expect_success 'every object of each tree is in the pack of its root' '
	git init -q --bare empty.git &&
	for t in v1 v7 v14 other; do
		tree=$(field tree m/$t.treeptr) &&
		p=$(pack_with deps.silo $tree) &&
		test -n "$p" &&
		in_order deps.silo/pack/$p.idx | cut -d" " -f1 | sort >have &&
		{ sgit ls-tree -r -t $tree | cut -d" " -f3 | cut -f1 &&
		  echo $tree && field object m/$t.treeptr; } | sort -u >need &&
		comm -13 have need >missing &&
		test_must_be_empty missing || return 1
	done &&
	test "$(pack_with deps.silo $(field tree m/v1.treeptr))" = \
	     "$(pack_with deps.silo $(field tree m/v14.treeptr))" &&
	test "$(pack_with deps.silo $(field tree m/v1.treeptr))" != \
	     "$(pack_with deps.silo $(field tree m/other.treeptr))"
'

test_expect_success 'a family pack: trees first, then the attribute records and the size tables in version order, then blobs' '
	p=$(pack_with deps.silo $(field tree m/v1.treeptr)) &&
	in_order deps.silo/pack/$p.idx >order &&
	cut -d" " -f2 order | uniq -c | sed "s/^ *//" >actual &&
	ntrees=$(grep -c " tree$" order) &&
	printf "%s\n" "$ntrees tree" "$(grep -c " blob$" order) blob" >expect &&
	test_cmp expect actual &&
	sed -n "1p" order >actual && echo "$(field tree m/v1.treeptr) tree" >expect &&
	test_cmp expect actual &&
	sed -n "$((ntrees + 1)),$((ntrees + 28))p" order | cut -d" " -f1 >actual &&
	{
		for i in $(seq 1 14); do field attrs m/v$i.treeptr || return 1; done &&
		for i in $(seq 1 14); do field object m/v$i.treeptr || return 1; done
	} >expect &&
	test_cmp expect actual
'

# lib/a.js has 14 versions, each a small change of the one before: a
# chain of 13 deltas unless it is cut.
test_expect_success 'delta chains are at most 10 long, and versions are deltas' '
	p=$(pack_with deps.silo $(field tree m/v1.treeptr)) &&
	git verify-pack -v deps.silo/pack/$p.idx >v &&
	max=$(sed -n "s/^chain length = \([0-9]*\):.*/\1/p" v | sort -n | tail -n 1) &&
	test "$max" -le 10 && test "$max" -ge 5 &&
	a14=$(git hash-object v14/lib/a.js) &&
	grep "^$a14 blob " v | awk "{ print NF }" >nf &&
	echo 7 >expect && test_cmp expect nf
'

test_expect_success 'git reads every version; each expands identically' '
	for i in 1 8 14; do
		tree=$(field tree m/v$i.treeptr) &&
		git init -q --bare g$i.git &&
		git --git-dir=g$i.git --work-tree=v$i add -A &&
		git --git-dir=g$i.git ls-tree -r $(git --git-dir=g$i.git write-tree) >expect &&
		sgit ls-tree -r $tree >actual &&
		test_cmp expect actual &&
		sgit cat-file -p $tree:lib/a.js >actual &&
		test_cmp v$i/lib/a.js actual &&
		medo expand m/v$i.treeptr out$i &&
		diff -r v$i out$i || return 1
	done
'

# v1's pack held NOTICE, which the other tree shares: both packs hold it
# now, the family pack holds the rest.
test_expect_success 'the removed packs name the packs that hold their objects, most first' '
	p1=$(packs_of m/v1.treeptr) &&
	{ pack_with deps.silo $(field tree m/v1.treeptr) &&
	  pack_with deps.silo $(field tree m/other.treeptr); } >expect &&
	test_cmp expect deps.silo/pack/$p1.moved &&
	p3=$(packs_of m/v3.treeptr | grep -v $p1) &&
	pack_with deps.silo $(field tree m/v3.treeptr) >expect &&
	test_cmp expect deps.silo/pack/$p3.moved &&
	po=$(packs_of m/other.treeptr | grep -v $p1) &&
	pack_with deps.silo $(field tree m/other.treeptr) >expect &&
	test_cmp expect deps.silo/pack/$po.moved
'

test_expect_success 'repack -a again writes the same packs' '
	ls deps.silo/pack/*.pack >expect &&
	silo repack -a -d --silo deps.silo --json >out &&
	ls deps.silo/pack/*.pack >actual &&
	test_cmp expect actual &&
	grep "\"removed_packs\": 0" out
'

test_expect_success 'url-for prints the packs of a tree-kind treeptr, followed through .moved' '
	p=$(packs_of m/v2.treeptr) &&
	for x in $p; do
		if test -f deps.silo/pack/$x.pack
		then echo $x
		else cat deps.silo/pack/$x.moved
		fi
	done | awk "!seen[\$0]++" | sed "s|.*|deps.silo/pack/&.pack|" >expect &&
	test_line_count 2 expect &&
	! grep -q -F "$(echo $p | cut -d" " -f1)" expect &&
	medo url-for m/v2.treeptr >actual &&
	test_cmp expect actual &&
	for f in $(cat actual); do test -f $f || return 1; done &&
	for x in $p; do echo "http://h/s/pack/$x.pack"; done >expect &&
	medo url-for --silo http://h/s/ m/v2.treeptr m/v2.treeptr >actual 2>err &&
	cat expect expect >expect2 && test_cmp expect2 actual &&
	test_line_count 1 err &&
	grep "^medo: warning: cannot read the .moved files of silo .http://h/s/. (cannot fetch .http://h/s/pack/pack-[0-9a-f]*\.moved.: .*): printing the packs the treeptrs name\$" err &&
	medo url-for --json m/v2.treeptr >out &&
	grep -c "deps.silo/pack/pack-" out >n && echo 2 >expect && test_cmp expect n &&
	medo url-for m/tarred.treeptr >actual &&
	o=$(field object m/tarred.treeptr) &&
	echo "deps.silo/objects/$(echo $o | cut -c1-2)/$(echo $o | cut -c3-).gz" >expect &&
	test_cmp expect actual
'

test_done
