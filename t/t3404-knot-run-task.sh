#!/bin/sh
test_description='knot run-task: the task file knot build writes, the only input of a task'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

test_expect_success 'setup' '
	knot_setup &&
	knot_recipe p 1.0 &&
	knot_recipe q 1.0 "WEDGE_DEPS=p"
'

test_expect_success 'knot build writes a task file for each task it runs, with every field' '
	here=$(pwd -P) &&
	KNOT_LIMITS=pids=100 knot build --unboxed --limits=tmp=64M,disk=1G,memory=2G,time=1h \
		--report="$here/r" deps/source.medo/q &&
	kp=$(knot key --unboxed deps/source.medo/p | cut -d" " -f1) &&
	kq=$(knot key --unboxed deps/source.medo/q | cut -d" " -f1) &&
	ls .knot/tasks >actual &&
	printf "%s.json\n" $kp $kq | sort >expect &&
	test_cmp expect actual &&
	grep "^  \"base-packages\": \"\([0-9a-f]\{64\}\|none\) ([0-9]* packages)\",\$" .knot/tasks/$kp.json &&
	sed "s/^  \"base-packages\": .*/  \"base-packages\": BASE,/" .knot/tasks/$kp.json >actual &&
	cat >expect <<-EOF &&
	{
	  "knot-task": 1,
	  "key": "$kp",
	  "recipe": "$here/deps/source.medo/p",
	  "domain": "oils-for-unix.org",
	  "layout": null,
	  "unboxed": true,
	  "limits": "tmp=64M,disk=1G,memory=2G,pids=100,time=1h",
	  "rebuild": false,
	  "derived": null,
	  "silo": null,
	  "sign-key": null,
	  "report": "$here/r",
	  "stamp": "$here/.knot/stamps/$kp",
	  "phase": "$here/.knot/phases/$kp",
	  "recipe-cache": "$here/.knot/recipes",
	  "base": null,
	  "base-packages": BASE,
	  "command": "knot build --unboxed --limits=tmp=64M,disk=1G,memory=2G,time=1h --report=$here/r deps/source.medo/q"
	}
	EOF
	test_cmp expect actual &&
	grep "^  command = exec \$knot knot run-task --task=tasks/\$key.json\$" .knot/build.ninja
'

test_expect_success 'a task reads its file and nothing of the environment' '
	kp=$(knot key --unboxed deps/source.medo/p | cut -d" " -f1) &&
	rm $(knot_derived p 1.0) .knot/stamps/$kp &&
	KNOT_LIMITS=time=never knot run-task --task=.knot/tasks/$kp.json &&
	test -f $(knot_derived p 1.0) &&
	test -f .knot/stamps/$kp &&
	test "$(knot_prov command $(knot_derived p 1.0))" = \
		"knot build --unboxed --limits=tmp=64M,disk=1G,memory=2G,time=1h --report=$(pwd -P)/r deps/source.medo/q" &&
	awk -F"\t" "\$8 == \"p\" { print \$1, \$11, \$12 }" r/tasks.tsv >actual &&
	printf "0 built logs/%s.log\n0 built logs/%s.log\n" $kp $kp >expect &&
	test_cmp expect actual &&
	test_expect_code 5 env KNOT_LIMITS=time=never knot run-task --unboxed --key=$kp deps/source.medo/p 2>err &&
	grep -q "KNOT_LIMITS: .time=never.: the value is not seconds" err
'

test_expect_success 'without a task file, options say what a task needs' '
	kp=$(knot key --unboxed deps/source.medo/p | cut -d" " -f1) &&
	knot run-task --unboxed --key=$kp --report=r2 --stamp=s2 deps/source.medo/p &&
	test -f s2 &&
	awk -F"\t" "NR > 1 { print \$1, \$8, \$11, \$12 }" r2/tasks.tsv >actual &&
	echo "0 p hit -" >expect &&
	test_cmp expect actual
'

test_expect_success '--task takes no other option or argument' '
	kp=$(knot key --unboxed deps/source.medo/p | cut -d" " -f1) &&
	test_expect_code 2 knot run-task --task=.knot/tasks/$kp.json --rebuild 2>err &&
	grep -q "^knot: error: --task takes no other option and no recipe directory\$" err &&
	test_expect_code 2 knot run-task --task=.knot/tasks/$kp.json deps/source.medo/p 2>err &&
	grep -q "^knot: error: --task takes no other option and no recipe directory\$" err
'

# bad_task NAME SED-SCRIPT: the task file of p, changed by SED-SCRIPT.
bad_task() {
	sed "$2" .knot/tasks/$(knot key --unboxed deps/source.medo/p | cut -d" " -f1).json >$1.json
}

test_expect_success 'a malformed task file is refused, naming the file and the field' '
	bad_task syntax "s/^{/[/" &&
	bad_task nokey "/\"key\":/d" &&
	bad_task intkey "s/^  \"key\": .*/  \"key\": 7,/" &&
	bad_task shortkey "s/^  \"key\": .*/  \"key\": \"abc\",/" &&
	bad_task extra "s/^  \"silo\": null,/  \"silos\": null,/" &&
	bad_task relative "s|^  \"recipe\": .*|  \"recipe\": \"deps/source.medo/p\",|" &&
	bad_task newer "s/^  \"knot-task\": 1,/  \"knot-task\": 2,/" &&
	bad_task flag "s/^  \"unboxed\": true,/  \"unboxed\": \"yes\",/" &&
	bad_task limits "s/^  \"limits\": .*/  \"limits\": \"heap=1G\",/" &&
	bad_task packages "s/^  \"base-packages\": .*/  \"base-packages\": \"many\",/" &&
	for t in syntax nokey intkey shortkey extra relative newer flag limits packages; do
		test_expect_code 5 knot run-task --task=$t.json 2>$t.err || return 1
	done &&
	cat syntax.err nokey.err intkey.err shortkey.err extra.err relative.err newer.err \
		flag.err limits.err packages.err >actual &&
	cat >expect <<-\EOF &&
	knot: error: '"'"'syntax.json'"'"' line 2: '"'"']'"'"' expected near '"'"':'"'"'
	knot: error: '"'"'nokey.json'"'"': missing field '"'"'key'"'"': expected a string
	knot: error: '"'"'intkey.json'"'"': field '"'"'key'"'"': expected a string, not an integer
	knot: error: '"'"'shortkey.json'"'"': field '"'"'key'"'"': expected 64 lowercase hex digits, not '"'"'abc'"'"'
	knot: error: '"'"'extra.json'"'"': unknown field '"'"'silos'"'"'
	knot: error: '"'"'relative.json'"'"': field '"'"'recipe'"'"': expected an absolute path without a newline
	knot: error: '"'"'newer.json'"'"': field '"'"'knot-task'"'"': format version 2, not 1: was it written by another version of knot?
	knot: error: '"'"'flag.json'"'"': field '"'"'unboxed'"'"': expected true or false, not a string
	knot: error: '"'"'limits.json'"'"': field '"'"'limits'"'"': '"'"'heap=1G'"'"' is not a limit (tmp=, disk=, memory=, pids= or time=)
	knot: error: '"'"'packages.json'"'"': field '"'"'base-packages'"'"': expected '"'"'<sha256> (<n> packages)'"'"', not '"'"'many'"'"'
	EOF
	test_cmp expect actual &&
	test_expect_code 3 knot run-task --task=missing.json 2>err &&
	grep -q "^knot: error: cannot read the task file '"'"'missing.json'"'"': " err
'

test_done
