#!/bin/sh
test_description='medo fsck: every treeptr complete in its silos, objects of the right type and size, nothing expanded'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-json.sh"

test_expect_success 'setup: trees of both kinds in a repository' '
	git init -q repo && cd repo &&
	echo "*.silo" >.gitignore &&
	silo init s.silo && mkdir -p a.medo old.medo &&
	echo "{ \"silos\": [\"../s.silo\"] }" >a.medo/SILO.json &&
	cp a.medo/SILO.json old.medo/ &&
	mkdir -p ../k/sub ../t && seq 1 500 >../k/big && echo small >../k/sub/small &&
	ln -s big ../k/link && echo tar >../t/f &&
	medo add --kind=tree ../k a.medo/k.treeptr && medo add ../t a.medo/t.treeptr &&
	echo old >../t/f && medo add ../t old.medo/t.treeptr &&
	git add -A && git commit -q -m one &&
	git rm -q -r old.medo && git commit -q -m two
'

test_expect_success 'a complete silo: quiet, exit 0; -v counts; --json' '
	(cd repo && medo fsck a.medo >../out 2>../err) &&
	test_must_be_empty out && test_must_be_empty err &&
	(cd repo && medo fsck -v a.medo) >out &&
	echo "2 treeptrs checked, 8 objects; 0 incomplete" >expect &&
	test_cmp expect out &&
	(cd repo && medo fsck --json --all) >out.json &&
	json_check out.json "assert d == {\"exit\": 0, \"treeptrs\": 3, \"objects\": 9, \"incomplete\": 0, \"unchecked\": 0, \"problems\": []}, d"
'

test_expect_success 'history: a treeptr gone from disk uses the SILO.json of its commit' '
	! test -e repo/old.medo &&
	(cd repo && medo fsck -v --rev HEAD~1) >out &&
	echo "3 treeptrs checked, 9 objects; 0 incomplete" >expect &&
	test_cmp expect out &&
	(cd repo/a.medo && medo fsck -v --rev HEAD~1 ../old.medo) >out &&
	echo "1 treeptrs checked, 1 objects; 0 incomplete" >expect &&
	test_cmp expect out
'

test_expect_success 'a tree-kind treeptr missing a blob: exit 1, naming treeptr, silo, object and path' '
	small=$(git hash-object k/sub/small) &&
	copy_without repo/s.silo repo/b.silo $small &&
	(cd repo && test_expect_code 1 medo fsck --silo b.silo a.medo >../out 2>../err) &&
	test_must_be_empty out &&
	echo "medo: error: '\''a.medo/k.treeptr'\'' in silo '\''b.silo'\'': blob $small of '\''sub/small'\'' is missing" >expect &&
	test_cmp expect err &&
	(cd repo && test_expect_code 1 medo fsck --silo b.silo --json a.medo) >out.json &&
	json_check out.json "
assert d[\"incomplete\"] == 1 and d[\"treeptrs\"] == 2, d
assert d[\"problems\"] == [{\"treeptr\": \"a.medo/k.treeptr\", \"silo\": \"b.silo\", \"severity\": \"error\", \"id\": \"$small\", \"path\": \"sub/small\", \"message\": \"blob $small of '\''sub/small'\'' is missing\"}], d"
'

test_expect_success 'a tar-kind treeptr whose object no silo holds' '
	obj=$(field object repo/a.medo/t.treeptr) &&
	copy_without repo/s.silo repo/c.silo $obj &&
	(cd repo && test_expect_code 1 medo fsck --silo c.silo a.medo/t.treeptr 2>../err) &&
	echo "medo: error: '\''a.medo/t.treeptr'\'': object $obj is not in silo '\''c.silo'\''" >expect &&
	test_cmp expect err
'

test_expect_success 'a silo holding part of a tree is bad even when another holds all' '
	echo "{ \"silos\": [\"../b.silo\", \"../s.silo\"] }" >repo/a.medo/SILO.json &&
	(cd repo && test_expect_code 1 medo fsck a.medo/k.treeptr 2>../err) &&
	echo "medo: error: '\''a.medo/k.treeptr'\'' in silo '\''../b.silo'\'': blob $(git hash-object k/sub/small) of '\''sub/small'\'' is missing" >expect &&
	test_cmp expect err &&
	echo "{ \"silos\": [\"../c.silo\", \"../s.silo\"] }" >repo/a.medo/SILO.json &&
	(cd repo && medo fsck a.medo) &&
	echo "{ \"silos\": [\"../s.silo\"] }" >repo/a.medo/SILO.json
'

test_expect_success 'sizes: a treeptr size, a size table line, the count of lines' '
	mkdir bad.medo && echo "{ \"silos\": [\"../repo/s.silo\"] }" >bad.medo/SILO.json &&
	sed "s/^  \"size\": [0-9]*,$/  \"size\": 99,/" repo/a.medo/t.treeptr >bad.medo/t.treeptr &&
	obj=$(field object repo/a.medo/t.treeptr) &&
	test_expect_code 1 medo fsck bad.medo 2>err &&
	real=$(silo cat --silo repo/s.silo -s $obj) &&
	echo "medo: error: '\''bad.medo/t.treeptr'\'' in silo '\''../repo/s.silo'\'': object $obj has $real bytes, the treeptr says 99" >expect &&
	test_cmp expect err &&
	rm bad.medo/t.treeptr &&
	silo cat --silo repo/s.silo $(field object repo/a.medo/k.treeptr) >table &&
	sed "1s/.*/7/" table >table-size && sed "\$a 1" table >table-lines &&
	for t in size lines; do
		id=$(silo put --silo repo/s.silo table-$t) &&
		sed -e "s/^  \"object\": \"[0-9a-f]*\",$/  \"object\": \"$id\",/" \
		    -e "s/^  \"size\": [0-9]*,$/  \"size\": $(wc -c <table-$t),/" \
			repo/a.medo/k.treeptr >bad.medo/$t.treeptr || return 1
	done &&
	test_expect_code 1 medo fsck bad.medo 2>err &&
	big=$(git hash-object k/big) && leaves=$(wc -l <table) &&
	cat >expect <<-EOF &&
	medo: error: '\''bad.medo/lines.treeptr'\'' in silo '\''../repo/s.silo'\'': the size table has $((leaves + 1)) lines, the tree $leaves leaves
	medo: error: '\''bad.medo/size.treeptr'\'' in silo '\''../repo/s.silo'\'': blob $big of '\''big'\'' has $(wc -c <k/big) bytes, its size table says 7
	EOF
	test_cmp expect err
'

test_expect_success 'a named pack neither there nor moved is a warning, not a failure' '
	sed "s/\"pack-[0-9a-f]*\"/\"pack-0123456789012345678901234567890123456789\"/" \
		repo/a.medo/k.treeptr >bad.medo/k.treeptr && rm -f bad.medo/size.treeptr bad.medo/lines.treeptr &&
	medo fsck bad.medo 2>err &&
	cat >expect <<-EOF &&
	medo: warning: '\''bad.medo/k.treeptr'\'' in silo '\''../repo/s.silo'\'': the treeptr names pack '\''pack-0123456789012345678901234567890123456789'\'', which is neither in pack/ nor moved: readers over HTTP search pack/packs for its objects
	medo: warning: '\''bad.medo/k.treeptr'\'' in silo '\''../repo/s.silo'\'': the packs the treeptr names do not hold its root tree $(field tree repo/a.medo/k.treeptr): readers over HTTP search pack/packs for it
	EOF
	test_cmp expect err
'

test_expect_success 'the named packs must hold the root tree, through .moved files too' '
	mkdir np && cp -R repo/s.silo np/s.silo && mkdir np/m.medo &&
	echo "{ \"silos\": [\"../s.silo\"] }" >np/m.medo/SILO.json &&
	mkdir -p v && echo one >v/f &&
	medo add --kind=tree v np/m.medo/v.treeptr &&
	other=$(sed -n "s/^    \"\(pack-[0-9a-f]*\)\"$/\1/p" repo/a.medo/k.treeptr) &&
	sed "s/\"pack-[0-9a-f]*\"/\"$other\"/" np/m.medo/v.treeptr >np/m.medo/w.treeptr &&
	medo fsck np/m.medo 2>err &&
	echo "medo: warning: '\''np/m.medo/w.treeptr'\'' in silo '\''../s.silo'\'': the packs the treeptr names do not hold its root tree $(field tree np/m.medo/v.treeptr): readers over HTTP search pack/packs for it" >expect &&
	test_cmp expect err &&
	rm np/m.medo/w.treeptr &&
	silo repack --silo np/s.silo -a -d -q &&
	ls np/s.silo/pack/*.moved >moved && test -s moved &&
	medo fsck np/m.medo 2>err &&
	test_must_be_empty err
'

test_expect_success 'medo add --force of a tree-kind treeptr names the packs of the new tree' '
	echo two >v/f &&
	medo add --force --kind=tree v np/m.medo/v.treeptr &&
	medo fsck np/m.medo 2>err &&
	test_must_be_empty err &&
	first=$(sed -n "s/^    \"\(pack-[0-9a-f]*\)\",\{0,1\}$/\1/p" np/m.medo/v.treeptr | head -n 1) &&
	git verify-pack -v np/s.silo/pack/$first.idx >vp &&
	grep "^$(field tree np/m.medo/v.treeptr) tree " vp
'

test_expect_success 'a silo that cannot be opened is skipped with a warning; none left: not checked' '
	mkdir gone.medo && echo "{ \"silos\": [\"../no.silo\"] }" >gone.medo/SILO.json &&
	cp repo/a.medo/t.treeptr gone.medo/ &&
	test_expect_code 3 medo fsck -v gone.medo >out 2>err &&
	grep "^medo: warning: skipping silo .no\.silo.: does not exist$" err &&
	grep "^medo: error: .gone.medo/t.treeptr.: could not be checked: silo .no\.silo.: does not exist$" err &&
	echo "1 treeptrs checked, 0 objects; 0 incomplete, 1 not checked" >expect &&
	test_cmp expect out
'

test_expect_success 'a silo that cannot be read is no problem when another holds all' '
	mkdir part.medo &&
	echo "{ \"silos\": [\"../no.silo\", \"../repo/s.silo\"] }" >part.medo/SILO.json &&
	cp repo/a.medo/t.treeptr part.medo/ &&
	medo fsck part.medo 2>err &&
	grep "^medo: warning: skipping silo .no\.silo.: does not exist$" err
'

test_expect_success 'usage: something to check; typos are errors' '
	test_expect_code 2 medo fsck 2>err &&
	grep "^usage: medo fsck" err &&
	test_expect_code 3 medo fsck no-such.medo 2>err &&
	test_expect_code 2 medo fsck --since=2020-01-01 a.medo 2>err &&
	(cd repo && test_expect_code 3 medo fsck --rev HEAD typo.medo 2>../err) &&
	grep "typo.medo. holds no treeptr, on disk or in any commit given" err
'

test_done
