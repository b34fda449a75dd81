#!/bin/sh
test_description='knot build as a ninja graph: order, parallelism, incremental builds, cycles, --keep-going, reports'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

WP=/wedge/oils-for-unix.org/pkg

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

# Six recipes: a and b are leaves; c needs a; d needs a and b; e needs c;
# f needs d.  A recipe with dependencies copies their data.txt, read at their
# absolute paths, into its own.
graph_recipe() {
	name=$1 && shift &&
	deps="$*" &&
	knot_recipe $name 1.0 "WEDGE_DEPS=\"$(for d in $deps; do printf "%s/1.0 " $d; done)\"
wedge-make() {
  cp \"\$1/data.txt\" data.txt
  for d in $deps; do cat $WP/\$d/1.0/share/data.txt >>data.txt; done
}"
}

test_expect_success 'setup: six recipes with dependencies' '
	knot_setup &&
	graph_recipe a && graph_recipe b && graph_recipe c a && graph_recipe d a b &&
	graph_recipe e c && graph_recipe f d
'

# The start and end times of NAME in tasks.tsv of report R.
task_times() {
	awk -F"\t" -v n=$2 "\$8 == n { print \$3, \$4 }" $1/tasks.tsv
}

test_expect_success BOX '-j2 builds in a valid order, and dependents see their dependencies' '
	knot build -j2 --report=r1 -v deps/source.medo >out 2>err &&
	test "$(grep -c "^built " out)" = 6 &&
	grep -q "^knot: report: .*/r1/index.html\$" err &&
	test "$(($(wc -l <r1/tasks.tsv) - 1))" = 6 &&
	for pair in a:c a:d b:d c:e d:f; do
		dep=${pair%:*} && user=${pair#*:} &&
		set -- $(task_times r1 $dep) && dep_end=$2 &&
		set -- $(task_times r1 $user) && user_start=$1 &&
		awk "BEGIN { exit !($dep_end <= $user_start) }" ||
			{ echo "$user started before $dep ended"; return 1; }
	done &&
	knot install --root img deps/source.medo/f &&
	printf "source of f 1.0\nsource of d 1.0\nsource of a 1.0\nsource of b 1.0\n" >expect &&
	test_cmp expect img$WP/f/1.0/share/data.txt
'

# Two at a time: each of two leaves, unboxed so that they can see each
# other, says it started and waits (at most 30 s) until the other has
# started too.  One at a time, the first would wait in vain and fail.
test_expect_success '-j2 runs two independent builds at once' '
	mkdir pair && (
		cd pair && knot_setup &&
		for n in p q; do
			other=p && { test $n != p || other=q; } &&
			knot_recipe $n 1.0 "wedge-make() {
  cp \"\$1/data.txt\" .
  : >\"$PWD/started-$n\"
  i=0
  while ! test -e \"$PWD/started-$other\"; do
    i=\$((i + 1)); test \$i -lt 300 || { echo \"$other never ran beside $n\"; return 1; }
    sleep 0.1
  done
}" || return 1
		done &&
		knot build --unboxed -j2 -v deps/source.medo >out &&
		grep "^built " out | cut -d" " -f2 | sort >actual &&
		printf "p/1.0\nq/1.0\n" >expect && test_cmp expect actual
	)
'

test_expect_success BOX 'build.ninja names edges and stamps by key, restat, a heavy pool' '
	for k in $(knot key deps/source.medo | cut -d" " -f1); do
		grep -q "^build stamps/$k: run-task" .knot/build.ninja &&
		test -f .knot/stamps/$k || return 1
	done &&
	grep -q "^  restat = 1\$" .knot/build.ninja &&
	grep -q "^pool heavy\$" .knot/build.ninja &&
	key_d=$(knot key deps/source.medo/d | cut -d" " -f1) &&
	key_a=$(knot key deps/source.medo/a | cut -d" " -f1) &&
	key_b=$(knot key deps/source.medo/b | cut -d" " -f1) &&
	grep -q "^build stamps/$key_d: run-task || stamps/$key_a stamps/$key_b\$" .knot/build.ninja
'

test_expect_success BOX 'an unchanged tree runs no build step' '
	knot build -j2 --report=r2 -v deps/source.medo >out &&
	test "$(grep -c "^cached " out)" = 6 &&
	awk -F"\t" "NR > 1 { print \$1, \$11, \$12 }" r2/tasks.tsv | sort -u >actual &&
	echo "0 hit -" >expect &&
	test_cmp expect actual &&
	test "$(wc -l <r2/tasks.tsv)" = 7 &&
	! ls r2/logs/*.log 2>/dev/null
'

test_expect_success BOX 'after one leaf changes, only it and its dependents rebuild' '
	echo "# changed" >>deps/source.medo/b/WEDGE &&
	knot build -j2 --report=r3 -v deps/source.medo >out &&
	grep "^built " out | cut -d" " -f2 | sort >actual &&
	printf "b/1.0\nd/1.0\nf/1.0\n" >expect &&
	test_cmp expect actual &&
	awk -F"\t" "NR > 1 { print \$8, \$11 }" r3/tasks.tsv | sort >actual &&
	printf "a hit\nb built\nc hit\nd built\ne hit\nf built\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'a cycle is refused, naming it' '
	mkdir cyc && (
		cd cyc && knot_setup &&
		knot_recipe x 1.0 "WEDGE_DEPS=y/1.0" &&
		knot_recipe y 1.0 "WEDGE_DEPS=z/1.0" &&
		knot_recipe z 1.0 "WEDGE_DEPS=x" &&
		test_expect_code 5 knot build --unboxed deps/source.medo/x 2>err &&
		grep -q "the dependencies form a cycle: x/1.0 -> y/1.0 -> z/1.0 -> x/1.0\$" err &&
		! test -e deps/derived.medo
	)
'

test_expect_success 'a dependency named without its version is its only version' '
	mkdir bare && (
		cd bare && knot_setup &&
		knot_recipe lib 2.5 && knot_recipe app 1.0 "WEDGE_DEPS=lib" &&
		knot key --explain deps/source.medo/app >explain &&
		grep -q "^dep lib/2.5 $(knot key deps/source.medo/lib | cut -d" " -f1)\$" explain &&
		knot_recipe multi 1.0 "WEDGE_VERSION_LIST=\"1.0 2.0\"" &&
		knot_source multi 2.0 &&
		knot_recipe needsmulti 1.0 "WEDGE_DEPS=multi" &&
		test_expect_code 5 knot key deps/source.medo/needsmulti 2>err &&
		grep -q "the recipe .*multi. has 2 versions; name one as multi/VERSION" err
	)
'

test_expect_success '--keep-going: a failure leaves the independent wedges published, its dependents not built' '
	mkdir kg && (
		cd kg && knot_setup &&
		knot_recipe ok1 1.0 && knot_recipe ok2 1.0 "WEDGE_DEPS=ok1/1.0" &&
		knot_recipe bad 1.0 "wedge-make() { echo broken on purpose; false; }" &&
		knot_recipe needs 1.0 "WEDGE_DEPS=bad/1.0" &&
		test_expect_code 9 knot build --unboxed --keep-going --report=r -v deps/source.medo >out 2>err &&
		grep -q "^built ok1/1.0 " out && grep -q "^built ok2/1.0 " out &&
		grep -q "^failed bad/1.0 " out && grep -q "^skipped needs/1.0 " out &&
		grep -q "needs/1.0: not built, after an earlier failure" err &&
		test -f $(knot_derived ok2 1.0) &&
		! test -e $(knot_derived bad 1.0) &&
		! test -e $(knot_derived needs 1.0) &&
		awk -F"\t" "\$8 == \"bad\" { print \$1, \$11, \$12 }" r/tasks.tsv >actual &&
		echo "9 failed logs/$(knot key --unboxed deps/source.medo/bad | cut -d" " -f1).log" >expect &&
		test_cmp expect actual &&
		grep -q "^broken on purpose\$" r/logs/$(knot key --unboxed deps/source.medo/bad | cut -d" " -f1).log &&
		knot build --unboxed --allowed-failures=1 deps/source.medo 2>err &&
		test_expect_code 9 knot build --unboxed --allowed-failures=0 deps/source.medo 2>err
	)
'

test_expect_success 'without --keep-going the build stops after a failure' '
	(
		cd kg &&
		test_expect_code 9 knot build --unboxed -v deps/source.medo/needs >out 2>err &&
		grep -q "^failed bad/1.0 " out && grep -q "^skipped needs/1.0 " out
	)
'

# Each WEDGE logs the bash that reads it ($$ is the top shell's pid, also
# in a subshell) into a file outside the recipe: "load PID", or
# "build-load PID" when a build's driver sources it to run it.
# A bash that notes each time knot runs it: "read N" for N recipes read,
# "run" for a build.
mkdir -p wrap &&
cat >wrap/bash <<EOF &&
#!/bin/sh
case "\$3" in
-c) echo "read \$((\$# - 5))" >>"$TRASH_DIRECTORY/rc/log" ;;
*) echo run >>"$TRASH_DIRECTORY/rc/log" ;;
esac
exec $(command -v bash) "\$@"
EOF
chmod +x wrap/bash

test_expect_success 'knot build sources all recipes in one bash; its tasks read them back' '
	mkdir rc && (
		cd rc && knot_setup &&
		knot_recipe p 1.0 &&
		knot_recipe q 1.0 "WEDGE_DEPS=p" &&
		PATH=$TRASH_DIRECTORY/wrap:$PATH knot build --unboxed -v deps/source.medo >out &&
		test "$(grep -c "^built " out)" = 2 &&
		printf "read 2\nrun\nrun\n" >expect &&
		test_cmp expect log &&
		tree=$(knot key --explain deps/source.medo/p | sed -n "s/^recipe-tree //p") &&
		printf "knot-recipe-cache 3\ndir %s\nvar WEDGE_NAME p\nvar WEDGE_VERSION 1.0\nfn wedge-make\nfn wedge-install\nfn wedge-smoke-test\nend\n" \
			"$(cd deps/source.medo/p && pwd -P)" >expect &&
		test_cmp expect .knot/recipes/$tree
	)
'

# A task as ninja runs it, with the file knot build wrote for it.
run_task() {
	PATH=$TRASH_DIRECTORY/wrap:$PATH knot run-task --task=.knot/tasks/$1.json
}

test_expect_success 'a task sources a recipe itself when the cache does not hold it whole' '
	(
		cd rc &&
		key=$(knot key --unboxed deps/source.medo/p | cut -d" " -f1) &&
		tree=$(knot key --explain deps/source.medo/p | sed -n "s/^recipe-tree //p") &&
		: >log &&
		run_task $key &&
		! grep "^read " log &&
		sed -i "/^end\$/d" .knot/recipes/$tree &&
		run_task $key &&
		test "$(grep -c "^read 1\$" log)" = 1 &&
		sed -i "s/^var WEDGE_NAME p\$/var WEDGE_NAME other/" .knot/recipes/$tree &&
		sed -i "s|^dir .*|dir /elsewhere/p|" .knot/recipes/$tree &&
		run_task $key &&
		test "$(grep -c "^read 1\$" log)" = 2
	)
'

# What dpkg-query says, as the provenance records it.
test_lazy_prereq DPKG 'command -v dpkg-query'

test_expect_success DPKG 'the installed packages are asked once per build and recorded by each task' '
	(
		cd rc &&
		dpkg-query -W -f "\${Package}:\${Architecture} \${Version} \${db:Status-Abbrev}\n" |
			grep " ii \$" | sed "s/ \$//; s/\$/ /" | LC_ALL=C sort >pkgs &&
		echo "$(sha256sum <pkgs | cut -d" " -f1) ($(wc -l <pkgs) packages)" >expect &&
		for n in p q; do knot_prov base-packages $(knot_derived $n 1.0) || return 1; done >actual &&
		sort -u actual >actual.u &&
		test_cmp expect actual.u &&
		key=$(knot key --unboxed deps/source.medo/p | cut -d" " -f1) &&
		test "$(sed -n "s/^  \"base-packages\": \"\(.*\)\",\$/\1/p" .knot/tasks/$key.json)" = "$(cat expect)" &&
		rm -f $(knot_derived p 1.0) &&
		fake="$(printf "%064d" 0) (3 packages)" &&
		sed "s/^  \"base-packages\": .*/  \"base-packages\": \"$fake\",/" .knot/tasks/$key.json >fake.json &&
		knot run-task --task=fake.json &&
		test "$(knot_prov base-packages $(knot_derived p 1.0))" = "$fake" &&
		rm -f $(knot_derived p 1.0) &&
		sed "s/^  \"base-packages\": .*/  \"base-packages\": null,/" .knot/tasks/$key.json >none.json &&
		knot run-task --task=none.json &&
		knot_prov base-packages $(knot_derived p 1.0) >actual &&
		test_cmp expect actual
	)
'

test_done
