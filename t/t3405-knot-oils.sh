#!/bin/sh
test_description='knot builds recipes shaped as the Oils project writes them, unchanged: version lists, sourceless recipes, one recipe that cannot be built among others'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

WP=/wedge/oils-for-unix.org/pkg

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

# A recipe with a version list, as bash's and zsh's: the sources of 5.2
# and 5.2.21 are there, that of 4.4 is not.
test_expect_success 'setup: a version list, a sourceless recipe, a plain one' '
	knot_setup &&
	mkdir -p deps/source.medo/shell &&
	cat >deps/source.medo/shell/WEDGE <<-\EOF &&
	# Wedge definition for shell
	#
	# Loaded by deps/wedge.sh.

	set -o nounset
	set -o pipefail
	set -o errexit

	WEDGE_NAME="shell"
	WEDGE_VERSION_LIST="4.4 5.2 5.2.21"

	wedge-make() {
	  local src_dir=$1
	  local build_dir=$2
	  local install_dir=$3

	  cp "$src_dir/data.txt" data.txt
	}

	wedge-install() {
	  local build_dir=$1
	  local install_dir=$2

	  pushd $build_dir
	  mkdir -p "$install_dir/share"
	  cp data.txt "$install_dir/share/"
	  popd
	}

	wedge-smoke-test() {
	  local install_dir=$1
	  cat "$install_dir/share/data.txt"
	}
	EOF
	knot_source shell 5.2 && knot_source shell 5.2.21 &&

	mkdir -p deps/source.medo/rlibs &&
	cat >deps/source.medo/rlibs/WEDGE <<-\EOF &&
	# Packages fetched when building: no tarball.
	WEDGE_NAME="rlibs"
	WEDGE_VERSION="2023-04-18"

	wedge-make() {
	  local src_dir=$1
	  echo "the source dir holds: [$(ls -A "$src_dir")]" >listing.txt
	}

	wedge-install() {
	  local build_dir=$1
	  local install_dir=$2
	  cp "$build_dir/listing.txt" "$install_dir/"
	}
	EOF
	knot_recipe plain 1.0
'

# knot list's lines with KEY for each key.
keys_out() {
	sed -n "s/^\([^ ]*\) \([^ ]*\) [0-9a-f]\{64\} \(.*\)/\1 \2 KEY \3/p; / - /p"
}

test_expect_success 'knot list: the versions without a source are a state, not an error' '
	knot list $knot_any deps/source.medo >list &&
	keys_out <list >actual &&
	cat >expect <<-\EOF &&
	plain 1.0 KEY missing
	rlibs 2023-04-18 KEY missing
	shell 5.2 KEY missing
	shell 5.2.21 KEY missing
	shell 4.4 - no-source
	EOF
	test_cmp expect actual &&
	knot list $knot_any --json deps/source.medo >json &&
	python3 -c "import json, sys; a = [x for x in json.load(open(\"json\"))[\"tasks\"] if x[\"state\"] == \"no-source\"]; print(a[0][\"name\"], a[0][\"version\"], a[0][\"key\"], a[0][\"reason\"])" >actual &&
	echo "shell 4.4 None shell/4.4: its source treeptr '\''$PWD/deps/source.medo/shell/shell-4.4.treeptr'\'' is missing" >expect &&
	test_cmp expect actual
'

test_expect_success 'knot validate: a version list with some sources is valid' '
	knot validate $knot_any deps/source.medo/shell deps/source.medo/rlibs
'

test_expect_success 'knot build RECIPE/VERSION builds that version only' '
	knot build $knot_any -v --report=r1 deps/source.medo/shell/5.2.21 >out &&
	sed "s/ [0-9a-f]\{64\} [0-9a-f]\{40\}\$//" out >actual &&
	echo "built shell/5.2.21" >expect &&
	test_cmp expect actual &&
	test -f "$(knot_derived shell 5.2.21)" &&
	! test -e "$(knot_derived shell 5.2)" &&
	knot install $knot_any --root img deps/source.medo/shell/5.2.21 &&
	echo "source of shell 5.2.21" >expect &&
	test_cmp expect img$WP/shell/5.2.21/share/data.txt
'

test_expect_success 'a version not listed, or listed without its source, is named' '
	test_expect_code 3 knot build $knot_any deps/source.medo/shell/9 2>err &&
	echo "knot: error: the recipe '\''$PWD/deps/source.medo/shell'\'' has no version '\''9'\'' (it has 4.4 5.2 5.2.21)" >expect &&
	test_cmp expect err &&
	test_expect_code 3 knot build $knot_any deps/source.medo/shell/4.4 2>err &&
	echo "knot: error: shell/4.4: its source treeptr '\''$PWD/deps/source.medo/shell/shell-4.4.treeptr'\'' is missing" >expect &&
	test_cmp expect err
'

test_expect_success 'a recipe without any treeptr builds from an empty source directory' '
	knot build $knot_any deps/source.medo/rlibs &&
	knot install $knot_any --root img deps/source.medo/rlibs &&
	echo "the source dir holds: []" >expect &&
	test_cmp expect img$WP/rlibs/2023-04-18/listing.txt &&
	echo none >expect &&
	knot_prov source-treeptr "$(knot_derived rlibs 2023-04-18)" >actual &&
	test_cmp expect actual
'

test_expect_success 'a source of another version is named: the versions the recipe holds' '
	knot_recipe dash 0.5.12 &&
	sed -i "s/^WEDGE_VERSION=.*/WEDGE_VERSION=0.5.10.2/" deps/source.medo/dash/WEDGE &&
	test_expect_code 5 knot validate $knot_any deps/source.medo/dash 2>err &&
	echo "knot: error: '\''deps/source.medo/dash'\'': its source treeptr '\''$PWD/deps/source.medo/dash/dash-0.5.10.2.treeptr'\'' is missing; the recipe holds versions 0.5.12" >expect &&
	test_cmp expect err &&
	cp deps/source.medo/dash/dash-0.5.12.treeptr deps/source.medo/dash/other.treeptr &&
	sed -i "s/^WEDGE_VERSION=.*/WEDGE_VERSION_LIST=\"1 2\"/" deps/source.medo/dash/WEDGE &&
	test_expect_code 5 knot validate $knot_any deps/source.medo/dash 2>err &&
	echo "knot: error: '\''deps/source.medo/dash'\'': no version of WEDGE_VERSION_LIST has its source treeptr (such as '\''$PWD/deps/source.medo/dash/dash-1.treeptr'\''); the recipe holds versions 0.5.12; other treeptrs: other.treeptr" >expect &&
	test_cmp expect err &&
	rm deps/source.medo/dash/other.treeptr &&
	sed -i "s/^WEDGE_VERSION_LIST=.*/WEDGE_VERSION=0.5.10.2/" deps/source.medo/dash/WEDGE
'

test_expect_success 'knot list: an invalid recipe, and one depending on it, do not hide the others' '
	knot_recipe user 1.0 "WEDGE_DEPS=dash" &&
	test_expect_code 5 knot list $knot_any deps/source.medo >list 2>err &&
	keys_out <list >actual &&
	cat >expect <<-\EOF &&
	plain 1.0 KEY missing
	rlibs 2023-04-18 KEY published
	shell 5.2 KEY missing
	shell 5.2.21 KEY published
	dash - - invalid
	shell 4.4 - no-source
	user 1.0 - invalid
	EOF
	test_cmp expect actual &&
	grep "^knot: error: .*/dash.: its source treeptr .*dash-0.5.10.2.treeptr. is missing; the recipe holds versions 0.5.12" err &&
	grep "^knot: error: .*/user.: dependency .dash.: .*dash-0.5.10.2.treeptr. is missing" err &&
	test $(wc -l <err) = 2
'

test_expect_success 'knot build --keep-going builds the others; the report names what was not built, and why' '
	test_expect_code 5 knot build $knot_any --keep-going -v --report=r2 deps/source.medo >out 2>err &&
	sed "s/ [0-9a-f]\{64\} [0-9a-f]\{40\}\$//" out | sort >actual &&
	cat >expect <<-\EOF &&
	built plain/1.0
	built shell/5.2
	cached rlibs/2023-04-18
	cached shell/5.2.21
	invalid dash/- - -
	invalid user/1.0 - -
	no-source shell/4.4 - -
	EOF
	test_cmp expect actual &&
	grep -c "^knot: error: " err >count && echo 2 >expect && test_cmp expect count &&
	awk -F"\t" "\$9 == \"-\" || \$10 == \"-\" { print \$1, \$8, \$9, \$10, \$11, \$12 }" r2/tasks.tsv | sort >actual &&
	cat >expect <<-\EOF &&
	0 shell 4.4 - no-source logs/shell-4.4.no-source.log
	5 dash - - invalid logs/dash--.invalid.log
	5 user 1.0 - invalid logs/user-1.0.invalid.log
	EOF
	test_cmp expect actual &&
	grep "^knot: .*dash-0.5.10.2.treeptr. is missing; the recipe holds versions 0.5.12 (see knot validate)\$" r2/logs/dash--.invalid.log &&
	grep -q "without a source" r2/index.html
'

test_expect_success 'without --keep-going, an invalid recipe stops the build before it starts' '
	test_expect_code 5 knot build $knot_any --report=r3 deps/source.medo 2>err &&
	grep "^knot: error: .*/dash.: its source treeptr" err
'

# As cmark's recipe: wedge-make sets a variable that wedge-install reads
# (under nounset), as it does in deps/wedge.sh, whose steps run in one
# shell.
test_expect_success 'setup: a recipe passing state from make to install' '
	mkdir -p deps/state.medo/state &&
	cp deps/source.medo/SILO.json deps/state.medo/ &&
	cat >deps/state.medo/state/WEDGE <<-\EOF
	set -o nounset
	WEDGE_NAME="state"
	WEDGE_VERSION="1.0"

	wedge-make() {
	  DO_CMAKE_BUILD=""
	  MADE_IN=$PWD
	}

	wedge-install() {
	  local build_dir=$1
	  local install_dir=$2
	  echo "cmake [$DO_CMAKE_BUILD] made in $MADE_IN, installed from $PWD" >"$install_dir/state.txt"
	}

	wedge-smoke-test() {
	  local install_dir=$1
	  grep -q "cmake \[\]" "$install_dir/state.txt"
	  grep -q "no such line" "$install_dir/state.txt"
	}
	EOF
'

test_expect_success BOX 'a failed smoke test is traced: its log names the command that failed' '
	test_expect_code 9 knot build $knot_any --report=r4 deps/state.medo 2>err &&
	grep "^knot: error: state/1.0: wedge-smoke-test failed" err &&
	log=$(ls r4/logs/*.log) &&
	sed -n "/^knot: running wedge-smoke-test/,/failed with exit status/p" $log >actual &&
	q="'\''" &&
	cat >expect <<-EOF &&
	knot: running wedge-smoke-test
	+ wedge-smoke-test $WP/state/1.0 /knot/recipe
	+ local install_dir=$WP/state/1.0
	+ grep -q ${q}cmake \\[\\]$q $WP/state/1.0/state.txt
	+ grep -q ${q}no such line$q $WP/state/1.0/state.txt
	knot: wedge-smoke-test failed with exit status 1
	EOF
	test_cmp expect actual &&
	python3 - r4/index.html >actual <<-\PY &&
	import sys
	from html.parser import HTMLParser
	class P(HTMLParser):
	    def __init__(self):
	        super().__init__()
	        self.where, self.out = None, []
	    def handle_starttag(self, tag, attrs):
	        if tag in ("h2", "pre"):
	            self.where = tag
	            self.out.append(tag + ":")
	    def handle_endtag(self, tag):
	        if tag == self.where:
	            self.where = None
	    def handle_data(self, data):
	        if self.where:
	            self.out[-1] += data
	p = P()
	p.feed(open(sys.argv[1]).read())
	for o in p.out:
	    print(o.split("\n")[0] if o.startswith("h2") else o.split("\n")[-1])
	PY
	cat >expect <<-\EOF &&
	h2:Failures
	h2:state/1.0: wedge-smoke-test failed with exit status 1
	EOF
	sed -n "1,2p" actual >head &&
	test_cmp expect head &&
	tail -n 1 actual | grep "^knot: box cpu user [0-9]*\.[0-9]\{3\} s, sys [0-9]*\.[0-9]\{3\} s, max rss [0-9]* KiB\$" &&
	grep -c "^+ grep -q .no such line" r4/index.html >count && echo 1 >expect && test_cmp expect count
'

test_expect_success BOX 'make, install and smoke test run in one shell' '
	sed -i "/no such line/d" deps/state.medo/state/WEDGE &&
	knot build $knot_any --report=r5 deps/state.medo &&
	knot install $knot_any --root img deps/state.medo/state &&
	echo "cmake [] made in /knot/build, installed from /knot/build" >expect &&
	test_cmp expect img$WP/state/1.0/state.txt
'

# The box is another process tree, whose pid 1 and shell wait for its
# processes and which knot reaps: what they used is in the log's last
# line, labelled, and in the row (once: the row counts what the task
# waited for).
test_expect_success BOX 'the CPU time and memory of the box are in the log and the report' '
	knot_recipe_make big "perl -e '\''\$x = \"a\" x (200 << 20)'\''" &&
	knot build $knot_any --report=r7 deps/source.medo/big &&
	log=$(ls r7/logs/*.log) &&
	tail -n 1 $log >last &&
	grep "^knot: box cpu user [0-9]*\.[0-9]\{3\} s, sys [0-9]*\.[0-9]\{3\} s, max rss [0-9]* KiB\$" last &&
	test "$(grep -c "^knot: .*cpu" $log)" = 1 &&
	set -- $(sed "s/[^0-9. ]//g" last) &&
	test $# = 3 &&
	test "$3" -ge $((200 * 1024)) &&
	set -- "$@" $(awk -F"\t" "\$8 == \"big\" { print \$5, \$6, \$7 }" r7/tasks.tsv) &&
	test $# = 6 &&
	awk -v a="$1" -v b="$2" -v c="$3" -v x="$4" -v y="$5" -v z="$6" \
		"BEGIN { exit !(x >= a && y >= b && z >= c) }"
'

test_expect_success 'knot explain and the report say why a task runs: which input of its key changed' '
	knot_recipe top 1.0 "WEDGE_DEPS=shell/5.2.21" &&
	knot build $knot_any deps/source.medo/top &&
	knot_recipe fresh 1.0 &&
	knot explain $knot_any top fresh >out &&
	sed -n "1p;3p" out >actual &&
	printf "%s\n" "top/1.0: published" "fresh/1.0: new" >expect &&
	test_cmp expect actual &&
	grep "^  state published: $PWD/$(knot_derived top 1.0), tree [0-9a-f]\{40\}, [0-9]* bytes, key $(knot key $knot_any deps/source.medo/top | cut -d" " -f1)\$" out &&
	old=$(knot key $knot_any deps/source.medo/shell/5.2.21 --explain | sed -n "s/^recipe-tree //p") &&
	echo "# edited" >>deps/source.medo/shell/WEDGE &&
	new=$(knot key $knot_any deps/source.medo/shell/5.2.21 --explain | sed -n "s/^recipe-tree //p") &&
	knot explain $knot_any deps/source.medo/shell/5.2.21 >out &&
	cat >expect <<-EOF &&
	shell/5.2.21: recipe-tree
	  changed recipe-tree: $old -> $new
	EOF
	sed 2d out >actual &&
	test_cmp expect actual &&
	oldkey=$(knot_prov key "$(knot_derived shell 5.2.21)") &&
	knot explain $knot_any top >out &&
	echo "top/1.0: dep shell/5.2.21" >expect &&
	head -n 1 out >actual &&
	test_cmp expect actual &&
	grep "^  changed dep shell/5.2.21: $oldkey -> $(knot key $knot_any deps/source.medo/shell/5.2.21 | cut -d" " -f1)\$" out &&
	knot build $knot_any --report=r6 deps/source.medo/top &&
	awk -F"\t" "NR > 1 { print \$8, \$11, \$13 }" r6/tasks.tsv | sort >actual &&
	printf "%s\n" "shell built recipe-tree" "top built dep shell/5.2.21" >expect &&
	test_cmp expect actual &&
	grep -c "<td class=\"why\">dep shell/5.2.21</td>" r6/index.html
'

test_expect_success 'WEDGE_BUILD_DEPS: the installed versions are in the key; malformed names are refused' '
	knot_recipe doc 1.0 "WEDGE_BUILD_DEPS=\"bash knot-no-such-package\"" &&
	knot key $knot_any --explain deps/source.medo/doc >out &&
	bash=$(dpkg-query -W -f "\${Version}" bash) &&
	grep "^build-deps bash=$bash knot-no-such-package=none\$" out &&
	sed -i "s/^WEDGE_BUILD_DEPS=.*/WEDGE_BUILD_DEPS=\"bash Bad_name\"/" deps/source.medo/doc/WEDGE &&
	test_expect_code 5 knot validate $knot_any deps/source.medo/doc 2>err &&
	grep "WEDGE_BUILD_DEPS entry .Bad_name. is not a Debian package name" err
'

test_expect_success 'WEDGE_BUILD_DEPS: a build whose packages are missing fails first, naming them' '
	sed -i "s/^WEDGE_BUILD_DEPS=.*/WEDGE_BUILD_DEPS=\"bash knot-no-such-package\"/" deps/source.medo/doc/WEDGE &&
	test_expect_code 3 knot build $knot_any --report=r7 deps/source.medo/doc 2>err &&
	grep "^knot: error: doc/1.0: WEDGE_BUILD_DEPS names Debian packages that are not installed: knot-no-such-package (apt-get install knot-no-such-package)\$" err &&
	! test -e "$(knot_derived doc 1.0)" &&
	grep "^knot: doc/1.0: WEDGE_BUILD_DEPS names" r7/logs/*.log &&
	sed -i "s/^WEDGE_BUILD_DEPS=.*/WEDGE_BUILD_DEPS=\"bash coreutils\"/" deps/source.medo/doc/WEDGE &&
	knot build $knot_any deps/source.medo/doc &&
	echo "bash=$(dpkg-query -W -f "\${Version}" bash) coreutils=$(dpkg-query -W -f "\${Version}" coreutils)" >expect &&
	knot_prov build-deps "$(knot_derived doc 1.0)" >actual &&
	test_cmp expect actual
'

test_expect_success 'knot explain writes what a provenance recorded without its control characters' '
	knot_recipe prov 1.0 &&
	knot build --unboxed deps/source.medo/prov &&
	tp=$(knot_derived prov 1.0) &&
	sed -i -e "s/\"recipe-tree\": \"[0-9a-f]*\"/\"recipe-tree\": \"\\\\u001b]0;title\\\\u0007\\\\nstate published: fake\"/" \
		-e "s/\"key\": \"[0-9a-f]*\"/\"key\": \"\\\\u001b[31mred\"/" $tp &&
	knot explain --unboxed deps/source.medo/prov >out &&
	new=$(knot key --unboxed --explain deps/source.medo/prov | sed -n "s/^recipe-tree //p") &&
	cat >expect <<-EOF &&
	prov/1.0: recipe-tree
	  state stale: $PWD/$tp, tree $(knot show --json $tp | sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p"), $(knot show --json $tp | sed -n "s/^  \"size\": \([0-9]*\),\$/\1/p") bytes, key ?[31mred
	  changed recipe-tree: ?]0;title??state published: fake -> $new
	EOF
	test_cmp expect out
'

test_done
