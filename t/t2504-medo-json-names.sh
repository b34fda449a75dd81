#!/bin/sh
test_description='--json: names that are not UTF-8 get their entries, with U+FFFD for each other byte'
. "$(dirname "$0")/test-lib.sh"

# A name with the byte 0xff, which no UTF-8 text holds.
BAD=$(printf 'bad\377name')

test_expect_success 'setup: a tree with a name of other bytes, kind tar and tree' '
	silo init -q deps.silo &&
	mkdir -p m.medo src &&
	echo "{ \"silos\": [\"../deps.silo\"] }" >m.medo/SILO.json &&
	echo a >src/a && echo b >"src/$BAD" &&
	medo add -q src m.medo/tar.treeptr &&
	medo add -q --kind=tree src m.medo/tree.treeptr &&
	cp -R src changed && echo changed >"changed/$BAD"
'

# The "path" values of the JSON document in file $1, one a line.
paths() {
	python3 -c "
import json, sys
def walk(v):
    if isinstance(v, dict):
        for k, x in sorted(v.items()):
            if k == \"path\":
                print(x)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(json.load(open(sys.argv[1], encoding=\"utf-8\")))
" "$1"
}

test_expect_success 'medo ls --json lists the name, both kinds' '
	for k in tar tree; do
		medo ls --json=compact m.medo/$k.treeptr >out 2>err &&
		test_must_be_empty err &&
		paths out >actual &&
		printf "a\nbad\357\277\275name\n" >expect &&
		test_cmp expect actual || return 1
	done
'

test_expect_success 'medo diff --json, verify --json, status --json name the change' '
	test_expect_code 1 medo diff --json=compact m.medo/tree.treeptr changed >out 2>err &&
	test_must_be_empty err && paths out >actual &&
	printf "bad\357\277\275name\n" >expect && test_cmp expect actual &&
	test_expect_code 1 medo verify --json=compact m.medo/tar.treeptr changed >out 2>err &&
	test_must_be_empty err && paths out >actual &&
	printf "changed/bad\357\277\275name\n" >expect && test_cmp expect actual &&
	medo expand -q m.medo dest && echo changed >"dest/tar/$BAD" &&
	test_expect_code 1 medo status --json=compact m.medo dest >out 2>err &&
	test_must_be_empty err &&
	grep -F "\"change\":\"changed\",\"path\":\"dest/tar/bad$(printf "\357\277\275")name\"" out
'

test_expect_success 'an error naming such a file is in the document' '
	test_expect_code 3 medo show --json=compact "$BAD.treeptr" >out 2>err &&
	printf "{\"errors\":[\"cannot open %s: No such file or directory\"],\"exit\":3,\"items\":[]}\n" \
		"$(printf "'"'"'bad\357\277\275name.treeptr'"'"'")" >expect &&
	test_cmp expect out &&
	test_expect_code 3 silo put --json=compact --silo deps.silo "$BAD" >out 2>err &&
	grep -F "\"exit\":3" out && grep -F "bad$(printf "\357\277\275")name" out
'

test_expect_success 'silo put --json names the file it stored' '
	silo put --json=compact --silo deps.silo "src/$BAD" >out 2>err &&
	test_must_be_empty err &&
	printf "{\"exit\":0,\"objects\":[{\"file\":\"src/bad\357\277\275name\",\"id\":\"%s\"}]}\n" \
		"$(git hash-object "src/$BAD")" >expect &&
	test_cmp expect out
'

test_done
