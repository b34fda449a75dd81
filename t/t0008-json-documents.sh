#!/bin/sh
test_description='--json: exactly one document from every command, on success and on failure, also with -q'
. "$(dirname "$0")/test-lib.sh"

. "$TEST_DIRECTORY/lib-json.sh"

# Check that FILE holds one JSON object (json.load refuses anything after
# it) whose "exit" is the status RC, with the Python statements that follow.
json_doc() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, dict), d
assert d["exit"] == int(sys.argv[2]), (d, sys.argv[2])
exec(sys.argv[3])' "$1" "$2" "$3"
}

test_expect_success 'setup' '
	silo init deps.silo &&
	mkdir -p m.medo src &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo a >src/f &&
	medo add src m.medo/a.treeptr
'

# Every command that takes --json, with arguments that make it fail.
cat >failing <<\EOF
silo cache --dir=src/f
silo du --silo=no.silo
silo ls --silo=no.silo
silo prune --silo=no.silo
silo put --silo=no.silo src/f
silo repack --silo=no.silo
silo verify --silo=no.silo
medo add --silo=no.silo src m.medo/b.treeptr
medo diff m.medo/no.treeptr m.medo/a.treeptr
medo expand m.medo/no.treeptr dest
medo fsck no.medo
medo gc no.medo
medo ls m.medo/no.treeptr
medo reachable no.medo
medo show m.medo/no.treeptr
medo status no.medo dest
medo tree-id no-dir
medo url-for m.medo/no.treeptr
medo verify m.medo/no.treeptr dest
medo web -o site no.medo
knot base --mirror=http://127.0.0.1:1/debian bookworm m.medo/b.treeptr
knot list no.medo
knot show m.medo/no.treeptr
EOF

test_expect_success 'the list names every command whose page documents --json' '
	grep -l "^\*--json\*" "$TEST_DIRECTORY"/../Documentation/*-*.1.scd |
	sed "s|.*/||; s|\.1\.scd\$||; s|-| |" | sort >expect &&
	cut -d" " -f1,2 failing | sort >actual &&
	test_cmp expect actual
'

test_expect_success 'a failing command prints one error document with its exit status' '
	while read -r cmd; do
		for q in "" -q; do
			rc=0 &&
			$cmd $q --json >out 2>err || rc=$? &&
			test $rc -gt 1 || { echo "$cmd $q: exit $rc"; return 1; } &&
			json_doc out $rc "
assert d[\"errors\"] and d.get(\"result\", \"error\") == \"error\", d
err = open(\"err\").read()
assert all(m in err for m in d[\"errors\"]), (d, err)
" || { echo "in: $cmd $q --json"; cat out; return 1; }
		done
	done <failing
'

test_expect_success 'a usage error after --json is a document too' '
	test_expect_code 2 medo ls --json --no-such-option >out 2>err &&
	json_doc out 2 "assert \"no-such-option\" in d[\"errors\"][0], d" &&
	test_expect_code 2 medo expand --json m.medo >out 2>err &&
	json_doc out 2 "assert d[\"result\"] == \"error\", d"
'

test_expect_success '-q --json prints the document, and nothing else' '
	medo add -q --json src m.medo/a.treeptr >out 2>err &&
	test_must_be_empty err &&
	json_doc out 0 "assert d[\"result\"] == \"unchanged\" and \"errors\" not in d, d" &&
	silo ls -q --json --silo=deps.silo >out 2>err &&
	test_must_be_empty err &&
	json_doc out 0 "assert len(d[\"objects\"]) == 1, d" &&
	medo expand -q --json m.medo dest >out 2>err &&
	test_must_be_empty err &&
	json_doc out 0 "assert d[\"trees\"][0][\"result\"] == \"expanded\", d"
'

test_expect_success 'a document of a failure that has results keeps them' '
	echo other >dest/a/f &&
	test_expect_code 8 medo expand -q --json m.medo dest >out 2>err &&
	json_doc out 8 "
assert d[\"trees\"][0][\"result\"] == \"error\", d
assert len(d[\"errors\"]) == 1 and \"dest/a\" in d[\"errors\"][0], d
"
'

test_expect_success '--json=compact prints the same document on one line' '
	medo ls --json=pretty m.medo/a.treeptr >pretty &&
	medo ls --json=compact m.medo/a.treeptr >compact &&
	test_line_count 1 compact &&
	test $(wc -l <pretty) -gt 1 &&
	python3 -c "import json, sys; assert json.load(open(\"pretty\")) == json.load(open(\"compact\"))" &&
	test_expect_code 3 medo ls --json=compact m.medo/no.treeptr >compact 2>err &&
	test_line_count 1 compact &&
	json_doc compact 3 "assert d[\"result\"] == \"error\", d"
'

test_expect_success '--json takes pretty or compact only' '
	test_expect_code 2 medo ls --json=yaml m.medo/a.treeptr >out 2>err &&
	test_must_be_empty out &&
	grep -q "^medo: error: option .--json. takes pretty or compact, not .yaml.\$" err &&
	medo ls --help >help &&
	grep -q "^        --json\[=pretty|compact\] " help
'

test_done
