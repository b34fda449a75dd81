#!/bin/sh
test_description='silo prune removes packed garbage, safely for readers, writers and a kill'
. "$(dirname "$0")/test-lib.sh"

# Set the modification time of every pack of silo $1 to long ago.
age_packs() {
	touch -d "2020-01-01" "$1"/pack/pack-*.pack "$1"/pack/pack-*.idx
}

# N objects of random content, each about 4 KiB, put into silo $1; ids in $2.
put_random() {
	i=0
	while [ $i -lt $3 ]; do
		head -c 4096 /dev/urandom >obj.$i && i=$((i + 1))
	done &&
	silo put --silo "$1" obj.* >"$2" && rm -f obj.*
}

test_expect_success 'setup: trees, garbage, everything packed and old' '
	silo init deps.silo &&
	mkdir -p a.medo && echo "{ \"silos\": [\"../deps.silo\"] }" >a.medo/SILO.json &&
	for v in 1 2 3; do
		mkdir t$v && echo "version $v" >t$v/f && seq 1 $((v * 100)) >t$v/g &&
		medo add t$v a.medo/t$v.treeptr || return 1
	done &&
	put_random deps.silo garbage 4 &&
	silo repack --silo deps.silo -a -d &&
	ls deps.silo/pack/*.pack >packs && test_line_count 1 packs &&
	age_packs deps.silo &&
	rm a.medo/t1.treeptr &&
	medo reachable a.medo >keep &&
	test_line_count 2 keep &&
	silo ls --silo deps.silo >all &&
	test_line_count 7 all
'

test_expect_success 'the grace period spares a young pack' '
	touch deps.silo/pack/pack-*.pack &&
	silo prune --silo deps.silo --keep keep --force -v >out &&
	grep "^0 kept, 0 too young, 0 removed, 0 temporary files; packed: 0 kept, 0 removed from 0 packs, 1 packs too young; 0 bytes$" out &&
	silo ls --silo deps.silo >after &&
	test_cmp all after &&
	age_packs deps.silo
'

test_expect_success 'a keep list that would remove more than half is refused' '
	test_expect_code 8 silo prune --silo deps.silo --keep keep --expire 1.day 2>err &&
	echo "silo: error: the keep list '\''keep'\'' would remove 5 of 7 objects, more than 50%: check it, or use --force" >expect &&
	test_cmp expect err &&
	silo ls --silo deps.silo >after &&
	test_cmp all after
'

test_expect_success '--dry-run names each packed object and its pack, removes nothing' '
	pack=$(cd deps.silo && ls pack/*.pack) && echo "$pack" >old-pack &&
	silo prune --silo deps.silo --keep keep --expire 1.day --dry-run >out &&
	sort keep | comm -13 - all | sed "s|$| from $pack|; s|^|would remove |" >expect &&
	sed -n "\$p" out >summary && sed "\$d" out >lines &&
	test_cmp expect lines &&
	grep "^0 kept, 0 too young, 0 to remove, 0 temporary files; packed: 2 kept, 5 to remove from 1 packs, 0 packs too young; [0-9]* bytes$" summary &&
	silo ls --silo deps.silo >after &&
	test_cmp all after
'

test_expect_success 'prune rewrites the pack without its garbage' '
	silo prune --silo deps.silo --keep keep --expire 1.day --force --json >out.json &&
	python3 -c "
import json, sys
d = json.load(open(\"out.json\"))
assert d[\"packed_removed\"] == 5, d
assert d[\"packed_kept\"] == 2, d
assert d[\"packs_rewritten\"] == 1, d
assert d[\"bytes\"] > 4 * 4096, d
assert len(d[\"packed\"]) == 5, d
" &&
	silo ls --silo deps.silo >after &&
	test_cmp keep after &&
	! test -e "deps.silo/$(cat old-pack)" &&
	ls deps.silo/pack/*.pack >packs && test_line_count 1 packs &&
	git verify-pack deps.silo/pack/pack-*.idx &&
	silo verify --silo deps.silo
'

test_expect_success 'pack/packs lists exactly the packs there are' '
	(cd deps.silo/pack && ls pack-*.pack) >expect &&
	sed -n "s/^P //p" deps.silo/pack/packs >actual &&
	test_cmp expect actual
'

test_expect_success 'every kept treeptr still expands' '
	medo expand a.medo/t2.treeptr out2 && diff -r t2 out2 &&
	medo expand a.medo/t3.treeptr out3 && diff -r t3 out3
'

test_expect_success 'a pack with nothing to remove is left as it is' '
	ls deps.silo/pack >before &&
	age_packs deps.silo &&
	silo prune --silo deps.silo --keep keep --expire now >out &&
	test_must_be_empty out &&
	ls deps.silo/pack >after &&
	test_cmp before after
'

test_expect_success 'loose and packed garbage go together; the kept stay' '
	put_random deps.silo g2 3 &&
	silo repack --silo deps.silo -a -d && age_packs deps.silo &&
	put_random deps.silo g3 2 &&
	touch -d 2020-01-01 deps.silo/objects/*/* &&
	silo prune --silo deps.silo --keep keep --expire 1.day --force &&
	silo ls --silo deps.silo >after &&
	test_cmp keep after &&
	silo verify --silo deps.silo
'

test_expect_success 'storing an object only an old pack holds makes the pack young' '
	put_random deps.silo g4 2 &&
	silo repack --silo deps.silo -a -d && age_packs deps.silo &&
	head -n 1 g4 >one &&
	silo cat --silo deps.silo $(cat one) >content &&
	silo put --silo deps.silo content >id && test_cmp one id &&
	silo prune --silo deps.silo --keep keep --expire 1.day --force -v >out &&
	grep "1 packs too young" out &&
	silo cat --silo deps.silo $(cat one) >again && test_cmp content again
'

# The race: a writer stores objects that only an old pack holds while a
# prune rewrites that pack without them.  Whatever the interleaving,
# every object whose put succeeded is there afterwards.
test_expect_success 'writers storing garbage again during a prune lose nothing' '
	silo init race.silo &&
	round=0 &&
	while [ $round -lt 6 ]; do
		rm -rf race.silo && silo init race.silo &&
		put_random race.silo keep.r 20 &&
		i=0 && while [ $i -lt 40 ]; do
			head -c 8192 /dev/urandom >g.$i && i=$((i + 1))
		done &&
		silo put --silo race.silo g.* >garbage.r &&
		silo repack --silo race.silo -a -d >/dev/null && age_packs race.silo ||
			return 1
		silo prune --silo race.silo --keep keep.r --expire 1.hour --force &
		pids=$! &&
		for w in 1 2 3 4 5 6 7 8; do
			( i=$w; while [ $i -lt 40 ]; do
				silo put --silo race.silo g.$i >>put.$w || exit 1
				i=$((i + 8))
			done ) &
			pids="$pids $!"
		done &&
		for p in $pids; do wait $p || return 1; done &&
		cat put.* | sort -u >stored && rm -f put.* &&
		test -s stored &&
		while read id; do
			silo cat --silo race.silo $id >/dev/null || return 1
		done <stored &&
		while read id; do
			silo cat --silo race.silo $id >/dev/null || return 1
		done <keep.r &&
		silo verify --silo race.silo >/dev/null &&
		round=$((round + 1)) || return 1
	done
'

test_expect_success 'a prune killed at any moment leaves every kept object' '
	round=0 &&
	while [ $round -lt 8 ]; do
		rm -rf kill.silo && silo init kill.silo &&
		put_random kill.silo keep.k 60 &&
		put_random kill.silo garbage.k 60 &&
		silo repack --silo kill.silo -a -d >/dev/null && age_packs kill.silo &&
		{ timeout -s KILL 0.0$((round * 3 + 1)) \
			silo prune --silo kill.silo --keep keep.k --expire 1.hour --force ||
		  test $? = 137; } &&
		silo verify --silo kill.silo >/dev/null &&
		while read id; do
			silo cat --silo kill.silo $id >/dev/null || return 1
		done <keep.k &&
		silo prune --silo kill.silo --keep keep.k --expire 1.hour --force &&
		silo ls --silo kill.silo >left &&
		sort keep.k >expect && test_cmp expect left &&
		round=$((round + 1)) || return 1
	done
'

test_expect_success 'a kept tree of kind tree keeps every object below it' '
	silo init tk.silo &&
	mkdir -p tk.medo && echo "{ \"silos\": [\"../tk.silo\"] }" >tk.medo/SILO.json &&
	mkdir -p v1/sub v2/sub &&
	seq 1 2000 >v1/shared && cp v1/shared v2/shared &&
	echo one >v1/sub/only1 && echo two >v2/sub/only2 &&
	medo add --kind=tree v1 tk.medo/v1.treeptr &&
	medo add --kind=tree v2 tk.medo/v2.treeptr &&
	age_packs tk.silo &&
	medo reachable tk.medo >keep.tk &&
	silo prune --silo tk.silo --keep keep.tk --expire 1.day --force -v >out &&
	grep "packed: [0-9]* kept, 0 removed from 0 packs" out &&
	rm tk.medo/v1.treeptr &&
	medo reachable tk.medo >keep.tk &&
	silo prune --silo tk.silo --keep keep.tk --expire 1.day --force -v >out &&
	! grep "packed: [0-9]* kept, 0 removed" out &&
	rm -rf e2 && medo expand tk.medo/v2.treeptr e2 && diff -r v2 e2 &&
	test_must_fail silo cat --silo tk.silo $(git hash-object v1/sub/only1) &&
	silo cat --silo tk.silo $(git hash-object v2/sub/only2) >only2 &&
	test_cmp v2/sub/only2 only2 &&
	silo verify --silo tk.silo
'

test_done
