#!/bin/sh
test_description='silo: -q prints nothing on success, --json parses and has its fields'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-json.sh"

test_expect_success 'setup' '
	silo init s &&
	echo one >one && echo two >two &&
	silo put --silo s one two >ids &&
	id1=$(sed -n 1p ids) && id2=$(sed -n 2p ids) &&
	echo $id1 >id1 && echo $id2 >id2
'

test_expect_success 'every silo command lists -q in its help' '
	for c in cat fetch init ls prune put repack verify; do
		silo $c --help >help &&
		grep -q "^    -q, --quiet " help || { echo "$c: no -q"; return 1; }
	done
'

test_expect_success 'init -q, put -q, ls -q, cat -q, verify -q print nothing' '
	silo init -q q.silo >out 2>err &&
	silo put -q --silo q.silo one >>out 2>>err &&
	silo ls --quiet --silo q.silo >>out 2>>err &&
	silo cat -q --silo q.silo $(cat id1) >>out 2>>err &&
	silo cat -qs --silo q.silo $(cat id1) >>out 2>>err &&
	silo verify -q q.silo >>out 2>>err &&
	test_must_be_empty out && test_must_be_empty err &&
	silo ls --silo q.silo >all && test_cmp id1 all
'

test_expect_success 'repack -q, prune -q, fetch -q print nothing' '
	silo init r.silo && silo put --silo r.silo one two >/dev/null &&
	silo repack -q --silo r.silo -d >out 2>err &&
	cp ids keep &&
	silo prune -q --silo r.silo --keep keep --expire now >>out 2>>err &&
	silo init f.silo &&
	silo fetch -q --silo f.silo --from "file://$PWD/s" $(cat id1) >>out 2>>err &&
	test_must_be_empty out && test_must_be_empty err &&
	silo cat --silo f.silo $(cat id1) >got && test_cmp one got
'

test_expect_success '-q keeps errors and the exit status' '
	test_expect_code 3 silo cat -q --silo s 0000000000000000000000000000000000000000 >out 2>err &&
	test_must_be_empty out &&
	grep "^silo: error: " err
'

test_expect_success 'ls --json lists every object with id, path and packed' '
	silo ls --silo s --json >out &&
	json_check out "
o = d[\"objects\"]
ids = sorted(open(\"ids\").read().split())
assert [x[\"id\"] for x in o] == ids, o
assert all(x[\"path\"] == \"objects/%s/%s.gz\" % (x[\"id\"][:2], x[\"id\"][2:]) for x in o)
assert all(x[\"packed\"] is False for x in o)
"
'

test_expect_success 'ls --json names the pack of packed objects' '
	silo ls --silo r.silo --json >out &&
	json_check out "
o = d[\"objects\"]
assert len(o) == 2 and all(x[\"packed\"] is True for x in o), o
assert all(x[\"path\"].startswith(\"pack/pack-\") and x[\"path\"].endswith(\".pack\") for x in o)
"
'

test_expect_success 'ls: -z and --json together are a usage error' '
	test_expect_code 2 silo ls --silo s -z --json
'

test_expect_success 'verify --json counts objects and lists problems' '
	silo verify --json s >out &&
	json_check out "
assert d == {\"exit\": 0, \"objects\": 2, \"bad\": 0, \"warnings\": 0, \"problems\": []}, d
" &&
	cp -r s bad.silo &&
	f=bad.silo/objects/$(cut -c1-2 id1)/$(cut -c3- id1).gz &&
	chmod u+w $f && echo garbage >$f &&
	test_expect_code 1 silo verify --json bad.silo >out 2>err &&
	grep "^silo: error: " err &&
	json_check out "
assert d[\"objects\"] == 2 and d[\"bad\"] == 1, d
p = d[\"problems\"]
assert len(p) == 1 and p[0][\"severity\"] == \"bad\", p
assert p[0][\"path\"] == \"objects/\" + open(\"id1\").read()[:2] + \"/\" + open(\"id1\").read().strip()[2:] + \".gz\", p
assert isinstance(p[0][\"message\"], str) and p[0][\"message\"]
"
'

test_expect_success 'put --json gives each file its id' '
	silo put --silo s --json one two >out &&
	json_check out "
ids = open(\"ids\").read().split()
assert d == {\"exit\": 0, \"objects\": [{\"file\": \"one\", \"id\": ids[0]}, {\"file\": \"two\", \"id\": ids[1]}]}, d
"
'

test_expect_success 'prune --json reports what it removed' '
	silo init p.silo && silo put --silo p.silo one two >/dev/null &&
	cp id1 keep1 &&
	silo prune --silo p.silo --keep keep1 --expire now --dry-run --json >out &&
	json_check out "
id2 = open(\"id2\").read().strip()
assert d[\"dry_run\"] is True and d[\"kept\"] == 1 and d[\"removed\"] == 1, d
assert d[\"paths\"] == [\"objects/%s/%s.gz\" % (id2[:2], id2[2:])], d
for k in (\"too_young\", \"temporary_files\", \"bytes\"): assert isinstance(d[k], int), k
" &&
	silo prune --silo p.silo --keep keep1 --expire now --json >out &&
	json_check out "assert d[\"dry_run\"] is False and d[\"removed\"] == 1, d" &&
	silo ls --silo p.silo >left && test_cmp id1 left
'

test_expect_success 'repack --json reports the new pack' '
	silo init k.silo && silo put --silo k.silo one two >/dev/null &&
	silo repack --silo k.silo --json >out &&
	json_check out "
assert d[\"objects\"] == 2 and d[\"removed_loose\"] == 0 and d[\"removed_packs\"] == 0, d
assert d[\"pack\"].startswith(\"pack/pack-\") and isinstance(d[\"deltas\"], int), d
" &&
	silo init e.silo &&
	silo repack --silo e.silo --json >out &&
	json_check out "assert d[\"pack\"] is None and d[\"objects\"] == 0, d"
'

test_done
