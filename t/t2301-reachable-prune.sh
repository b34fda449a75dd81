#!/bin/sh
test_description='medo reachable and silo prune: garbage collection of a silo'
. "$(dirname "$0")/test-lib.sh"

# The object ids the treeptrs below the given directories name, sorted.
named_ids() {
	find "$@" -name "*.treeptr" -exec sed -n "s/^  \"object\": \"\([0-9a-f]*\)\",$/\1/p" {} + |
		sort -u
}

test_expect_success 'setup: two medo directories, referenced and garbage objects' '
	silo init deps.silo &&
	mkdir -p deps/a.medo/sub deps/b.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/a.medo/SILO.json &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/b.medo/SILO.json &&
	mkdir t1 t2 && echo one >t1/f && echo two >t2/f && ln -s f t2/l &&
	medo add t1 deps/a.medo/t1.treeptr &&
	medo add t2 deps/a.medo/sub/t2.treeptr &&
	echo opaque >o && medo add --opaque o deps/b.medo/o.treeptr &&
	medo add t1 deps/b.medo/same-as-t1.treeptr &&
	for i in 1 2 3; do echo garbage $i >g$i; done &&
	silo put --silo deps.silo g1 g2 g3 >garbage &&
	test_line_count 3 garbage &&
	named_ids deps/a.medo deps/b.medo >named &&
	test_line_count 3 named
'

test_expect_success 'reachable prints every named object once, sorted' '
	medo reachable deps/a.medo deps/b.medo >actual &&
	test_cmp named actual
'

test_expect_success 'reachable of one directory' '
	medo reachable deps/b.medo >actual &&
	named_ids deps/b.medo >expect &&
	test_cmp expect actual
'

test_expect_success 'reachable --paths prints loose object paths' '
	medo reachable --paths deps/a.medo deps/b.medo >actual &&
	sed "s|^\(..\)\(.*\)|objects/\1/\2.gz|" named >expect &&
	test_cmp expect actual
'

test_expect_success 'reachable -z ends each with NUL' '
	medo reachable -z deps/a.medo deps/b.medo >actual.z &&
	tr "\0" "\n" <actual.z >actual &&
	test_cmp named actual &&
	test "$(tr -cd "\n" <actual.z | wc -c)" -eq 0
'

test_expect_success 'reachable reports a bad treeptr, prints the others, exits 5' '
	mkdir bad.medo && cp deps/a.medo/t1.treeptr bad.medo/ok.treeptr &&
	echo "{}" >bad.medo/broken.treeptr &&
	test_expect_code 5 medo reachable bad.medo >actual 2>err &&
	named_ids bad.medo >expect && test_cmp expect actual &&
	grep "^medo: error: .bad.medo/broken.treeptr.: missing field .treeptr." err
'

test_expect_success 'reachable needs a directory' '
	test_expect_code 2 medo reachable 2>err &&
	grep "^usage: medo reachable" err
'

test_expect_success 'prune --dry-run lists the garbage, removes nothing' '
	silo ls --silo deps.silo >before &&
	medo reachable deps/a.medo deps/b.medo >keep &&
	silo prune --silo deps.silo --keep keep --dry-run --expire now >actual &&
	sed "s|^\(..\)\(.*\)|would remove objects/\1/\2.gz|" garbage | sort >expect &&
	bytes=$(for id in $(cat garbage); do
		stat -c %s deps.silo/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz
	done | awk "{ n += \$1 } END { print n }") &&
	echo "3 kept, 0 too young, 3 to remove, 0 temporary files; packed: 0 kept, 0 to remove from 0 packs, 0 packs too young; $bytes bytes" >>expect &&
	test_cmp expect actual &&
	silo ls --silo deps.silo >after &&
	test_cmp before after
'

test_expect_success 'prune keeps young objects by default (2 weeks)' '
	silo prune --silo deps.silo --keep keep >out &&
	test_must_be_empty out &&
	silo ls --silo deps.silo >after &&
	test_cmp before after
'

test_expect_success 'prune removes objects older than the grace period' '
	g1=$(head -n 1 garbage) &&
	touch -d "15 days ago" deps.silo/objects/$(echo $g1 | cut -c1-2)/$(echo $g1 | cut -c3-).gz &&
	silo prune --silo deps.silo --keep keep -v >out &&
	grep "^removed objects/$(echo $g1 | cut -c1-2)/" out &&
	grep "^3 kept, 2 too young, 1 removed, 0 temporary files" out &&
	silo ls --silo deps.silo >after &&
	test_line_count 5 after
'

test_expect_success 'prune --expire 3.days and seconds' '
	g2=$(sed -n 2p garbage) &&
	touch -d "4 days ago" deps.silo/objects/$(echo $g2 | cut -c1-2)/$(echo $g2 | cut -c3-).gz &&
	silo prune --silo deps.silo --keep keep --expire 5.days >out &&
	silo ls --silo deps.silo >after && test_line_count 5 after &&
	silo prune --silo deps.silo --keep keep --expire 3.days.ago >out &&
	silo ls --silo deps.silo >after && test_line_count 4 after &&
	silo prune --silo deps.silo --keep keep --expire 864000 &&
	silo ls --silo deps.silo >after && test_line_count 4 after
'

test_expect_success 'prune removes stale temporary files only' '
	echo x >deps.silo/objects/tmp_obj_old &&
	touch -d "3 weeks ago" deps.silo/objects/tmp_obj_old &&
	echo x >deps.silo/objects/tmp_obj_new &&
	silo prune --silo deps.silo --keep keep -v >out &&
	grep "^removed objects/tmp_obj_old$" out &&
	! test -e deps.silo/objects/tmp_obj_old &&
	test -e deps.silo/objects/tmp_obj_new &&
	rm deps.silo/objects/tmp_obj_new
'

test_expect_success 'prune --expire now keeps every named object, removes the rest' '
	medo reachable --paths deps/a.medo deps/b.medo >keep-paths &&
	silo prune --silo deps.silo --keep keep-paths --expire now &&
	silo ls --silo deps.silo >after &&
	test_cmp named after &&
	silo verify --silo deps.silo &&
	for id in $(cat named); do silo cat --silo deps.silo $id >/dev/null || return 1; done &&
	medo expand deps/b.medo/o.treeptr o2 && test_cmp o o2
'

test_expect_success 'the keep file takes ids, paths, ./paths, and - for stdin' '
	silo put --silo deps.silo g3 >g3id &&
	{ sed "s|^\(..\)\(.*\)|./objects/\1/\2.gz|" named | head -n 1 && sed 1d named; } |
		silo prune --silo deps.silo --keep - --expire now &&
	silo ls --silo deps.silo >after &&
	test_cmp named after
'

test_expect_success 'a bad keep file exits 5 and removes nothing' '
	silo put --silo deps.silo g3 >/dev/null &&
	{ cat named && echo "objects/zz/nothex.gz"; } >badkeep &&
	test_expect_code 5 silo prune --silo deps.silo --keep badkeep --expire now 2>err &&
	grep "^silo: error: .badkeep.: line 4: expected a sha1 id or an objects/xx/....gz path, not .objects/zz/nothex.gz.$" err &&
	silo ls --silo deps.silo >after &&
	test_line_count 4 after
'

test_expect_success 'prune needs --keep and a valid age' '
	test_expect_code 2 silo prune --silo deps.silo 2>err &&
	grep "^silo: error: --keep is required" err &&
	test_expect_code 2 silo prune --silo deps.silo --keep named --expire soon 2>err &&
	grep "^silo: error: .soon. is not an age" err
'

test_expect_success 'the GC pipeline of the documentation: comm, then xargs rm' '
	silo put --silo deps.silo g1 g2 >/dev/null &&
	silo ls --silo deps.silo >before && test_line_count 6 before &&
	bash -c "comm -23 <(silo ls --paths --silo deps.silo | sort) <(medo reachable --paths deps/*.medo | sort) | sh -c \"cd deps.silo && xargs rm --\"" &&
	silo ls --silo deps.silo >after &&
	test_cmp named after &&
	silo verify --silo deps.silo
'

test_expect_success 'an empty keep list (a failed reachable in a pipe) is refused' '
	silo init e.silo && echo lone >lone && silo put --silo e.silo lone >/dev/null &&
	test_expect_code 8 sh -c "medo reachable no-such-dir.medo 2>/dev/null | silo prune --silo e.silo --keep=- --expire=now" 2>err &&
	grep "the keep list .-. is empty" err &&
	silo ls --silo e.silo >left && test_line_count 1 left &&
	: | silo prune --silo e.silo --keep=- --expire=now --allow-empty &&
	silo ls --silo e.silo >left && test_must_be_empty left
'

test_expect_success 'storing an object again makes it young: prune spares it' '
	silo init y.silo && echo again >again && id=$(silo put --silo y.silo again) &&
	obj=y.silo/objects/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).gz &&
	touch -d "2001-01-01" $obj &&
	silo put --silo y.silo again >/dev/null &&
	echo 0123456789012345678901234567890123456789 >other-keep &&
	silo prune --silo y.silo --keep=other-keep &&
	silo ls --silo y.silo >left && echo $id >expect && test_cmp expect left
'

test_done
