#!/bin/sh
test_description='silo du: sizes by kind of file, and what a keep list leaves unreferenced'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: loose objects, a pack, a temporary file' '
	silo init s &&
	printf "%05000d" 1 >a && printf "%07000d" 2 >b && printf "%03000d" 3 >c &&
	silo put --silo s a b >packed-ids && silo repack --silo s -a -d >/dev/null &&
	silo put --silo s c >loose-id &&
	printf "x%.0s" $(seq 1 100) >s/objects/tmp_obj_leftover &&
	loose=$(find s/objects -name "*.gz" -exec stat -c %s {} + | awk "{ n += \$1 } END { print n }") &&
	packs=$(stat -c %s s/pack/*.pack s/pack/*.idx | awk "{ n += \$1 } END { print n }") &&
	echo $loose >loose-bytes && echo $packs >pack-bytes
'

test_expect_success 'the counts and bytes of each kind' '
	silo du --silo s --json >out.json &&
	python3 - "$(cat loose-bytes)" "$(cat pack-bytes)" <<-\EOF
	import json, sys
	d = json.load(open("out.json"))
	loose, packs = int(sys.argv[1]), int(sys.argv[2])
	assert d["loose"] == {"objects": 1, "bytes": loose}, d
	assert d["packed"] == {"packs": 1, "objects": 2, "bytes": packs}, d
	assert d["temporary"] == {"files": 1, "bytes": 100}, d
	assert d["total_bytes"] == loose + packs + 100, d
	assert "unreferenced" not in d, d
	EOF
'

test_expect_success 'text output says the same' '
	silo du --silo s >out &&
	total=$(( $(cat loose-bytes) + $(cat pack-bytes) + 100 )) &&
	grep "^loose objects   1, [0-9.]* [kM]\{0,1\}B$" out &&
	grep "^packed objects  2 in 1 pack, [0-9.]* kB$" out &&
	grep "^temporary files 1, 100 B$" out &&
	grep "^total           [0-9.]* kB ($total bytes)$" out &&
	test_line_count 4 out
'

test_expect_success 'with a keep list, what is not in it' '
	head -n 1 packed-ids >keep &&
	silo du --silo s --keep keep --json >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
u = d[\"unreferenced\"]
assert u[\"objects\"] == 2, d
assert 0 < u[\"bytes\"] < d[\"total_bytes\"], d
" &&
	silo du --silo s --keep keep >out &&
	grep "^unreferenced    2 objects, " out
'

test_expect_success 'a missing silo or keep list is an error' '
	test_expect_code 3 silo du --silo nosuch 2>err &&
	test_expect_code 3 silo du --silo s --keep nosuch 2>err &&
	grep "^silo: error: cannot open .nosuch." err
'

test_done
