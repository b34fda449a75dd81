#!/bin/sh
test_description='storing an object an old pack or loose file holds makes it young: a prune with an older keep list spares it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"

# The modification time of the packs of silo $1 holding object $2.
pack_times() {
	for idx in "$1"/pack/*.idx; do
		if git verify-pack -v "$idx" | grep -q "^$2 "; then
			stat -c %Y "${idx%.idx}.pack" || return 1
		fi
	done
}

# A medo directory whose six tar-kind trees a keep list names, beside
# the tree under test.
test_expect_success 'setup: a silo, trees a keep list names' '
	silo init s.silo && mkdir kept.medo new.medo &&
	echo "{ \"silos\": [\"../s.silo\"] }" >kept.medo/SILO.json &&
	cp kept.medo/SILO.json new.medo/ &&
	for i in 1 2 3 4 5 6; do
		mkdir k$i && echo "kept $i" >k$i/f && medo add k$i kept.medo/k$i.treeptr || return 1
	done &&
	mkdir -p old/sub new/sub &&
	seq 1 3000 >old/shared && cp old/shared new/shared &&
	echo "only old" >old/sub/o && echo "only new" >new/sub/n
'

test_expect_success 'tree kind: a blob only an old pack holds, reused by medo add, is kept' '
	medo add --kind=tree old new.medo/old.treeptr &&
	rm new.medo/old.treeptr &&
	age_silo s.silo &&
	shared=$(git hash-object new/shared) &&
	test "$(pack_times s.silo $shared)" = "$(date -d 2020-01-01 +%s)" &&
	# The keep list of a GC that started before new.treeptr exists.
	medo reachable kept.medo >keep &&
	medo add --kind=tree new new.medo/new.treeptr &&
	silo prune --silo s.silo --keep keep -v >out &&
	grep "^6 kept, 0 too young, 0 removed, 0 temporary files; packed: 0 kept, 0 removed from 0 packs, 2 packs too young; 0 bytes$" out &&
	medo expand new.medo/new.treeptr out-new &&
	diff -r new out-new &&
	medo fsck new.medo &&
	test "$(pack_times s.silo $shared)" -gt "$(date -d 2021-01-01 +%s)"
'

test_expect_success 'tree kind: a blob only an old loose file holds is packed again' '
	rm -rf s2.silo && silo init s2.silo && mkdir n2.medo &&
	echo "{ \"silos\": [\"../s2.silo\"] }" >n2.medo/SILO.json &&
	echo other >other && silo put --silo s2.silo other >keep2 &&
	silo put --silo s2.silo new/shared >/dev/null &&
	age_silo s2.silo &&
	medo add --kind=tree new n2.medo/new.treeptr &&
	silo prune --silo s2.silo --keep keep2 --force -v >out &&
	grep "^removed objects/" out &&
	medo expand n2.medo/new.treeptr out-new2 &&
	diff -r new out-new2 &&
	medo fsck n2.medo
'

test_expect_success 'tar kind: an object only an old pack holds, stored again, is kept' '
	mkdir t1 && echo tar >t1/f &&
	medo add t1 new.medo/t1.treeptr && rm new.medo/t1.treeptr &&
	silo repack --silo s.silo -d -q &&
	age_silo s.silo &&
	medo reachable kept.medo >keep &&
	medo add t1 new.medo/t1-again.treeptr &&
	silo prune --silo s.silo --keep keep --force -v >out &&
	grep "packs too young" out &&
	medo expand new.medo/t1-again.treeptr out-t1 &&
	diff -r t1 out-t1
'

# A silo built into and pushed to a shared one (knot workers do so): the
# shared silo is the one readers read and the one pruned, so a file made
# young in the first must be young in the second.
test_expect_success 'pushed to a shared silo, a reused pack is young there too' '
	silo init l.silo && mkdir p.medo &&
	echo "{ \"silos\": [\"../shared.silo\"] }" >p.medo/SILO.json &&
	medo add --kind=tree --silo l.silo old p.medo/old.treeptr &&
	silo push --silo l.silo shared.silo &&
	rm p.medo/old.treeptr &&
	age_silo l.silo && age_silo shared.silo &&
	echo other >other && silo put --silo shared.silo other >keep3 &&
	medo add --kind=tree --silo l.silo new p.medo/new.treeptr &&
	silo push --silo l.silo shared.silo &&
	shared=$(git hash-object new/shared) &&
	test "$(pack_times shared.silo $shared)" -gt "$(date -d 2021-01-01 +%s)" &&
	silo prune --silo shared.silo --keep keep3 --force &&
	medo expand p.medo/new.treeptr out-p &&
	diff -r new out-p &&
	medo fsck p.medo
'

test_expect_success 'and a loose object stored again' '
	echo again >again && silo put --silo l.silo again >id &&
	silo push --silo l.silo shared.silo &&
	age_silo l.silo && age_silo shared.silo &&
	silo put --silo l.silo again >/dev/null &&
	silo push --silo l.silo shared.silo &&
	silo prune --silo shared.silo --keep keep3 --force &&
	silo cat --silo shared.silo $(cat id) >out &&
	test_cmp again out
'

test_done
