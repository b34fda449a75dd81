#!/bin/sh
test_description='tools/oils-recipes.sh copies a project'"'"'s recipes unchanged, stores the sources it can, builds, and tells why the others did not'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

SCRIPT=$TEST_DIRECTORY/../tools/oils-recipes.sh

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

# A project shaped as Oils: time-helper's source is benchmarks/ of the
# repository, bash has a version list and no source anywhere, R-libs and
# RUnit are sourceless and leaky, and fail for a command the host lacks
# and for the network.  None of
# them is fetched from Debian, so nothing here uses the network.
test_expect_success 'setup: a repository of recipes' '
	git init -q oils &&
	mkdir -p oils/benchmarks oils/deps/source.medo/time-helper oils/deps/source.medo/bash \
		oils/deps/source.medo/R-libs &&
	cat >oils/benchmarks/time-helper.c <<-\EOC &&
	#include <stdio.h>
	int main(void) { puts("time-helper ran"); return 0; }
	EOC
	cat >oils/deps/source.medo/time-helper/WEDGE <<-\EOC &&
	# Wedge definition for time-helper
	set -o nounset
	set -o pipefail
	set -o errexit

	WEDGE_NAME='\''time-helper'\''
	WEDGE_VERSION='\''2023-02-28'\''
	WEDGE_IS_ABSOLUTE=1  # TODO: consider relaxing

	wedge-make() {
	  local src_dir=$1 build_dir=$2 install_dir=$3
	  cc -std=c99 -o $build_dir/time-helper $src_dir/time-helper.c
	}

	wedge-install() {
	  local build_dir=$1 install_dir=$2
	  cp -v $build_dir/time-helper $install_dir/time-helper
	}

	wedge-smoke-test() {
	  local install_dir=$1
	  $install_dir/time-helper
	  cat $2/notes.txt
	}
	EOC
	printf "a helper file\\r\\nwith CRLF\\n" >oils/deps/source.medo/time-helper/notes.txt &&
	cat >oils/deps/source.medo/bash/WEDGE <<-\EOC &&
	WEDGE_NAME='\''bash'\''
	WEDGE_VERSION_LIST='\''4.4 5.2'\''
	wedge-make() {
	  $1/configure
	}
	wedge-install() {
	  make install
	}
	EOC
	cat >oils/deps/source.medo/R-libs/WEDGE <<-\EOC &&
	WEDGE_NAME='\''R-libs'\''
	WEDGE_VERSION='\''2023-04-18'\''
	WEDGE_LEAKY_BUILD=1
	wedge-make() {
	  echo '\''No make step'\''
	}
	wedge-install() {
	  knot-test-no-such-tool --version
	}
	EOC
	mkdir oils/deps/source.medo/RUnit &&
	cat >oils/deps/source.medo/RUnit/WEDGE <<-\EOC &&
	WEDGE_NAME='\''RUnit'\''
	WEDGE_VERSION='\''2023-03-01'\''
	WEDGE_LEAKY_BUILD=1
	wedge-make() {
	  echo "Warning: unable to access index for repository https://cran.invalid/src/contrib:"
	}
	wedge-install() {
	  false
	}
	EOC
	echo "not a recipe" >oils/deps/source.medo/README.md &&
	git -C oils add . &&
	git -C oils -c user.name=t -c user.email=t@t commit -q -m recipes
'

test_expect_success 'usage errors exit 2, a missing repository or a full directory 1' '
	test_expect_code 2 sh "$SCRIPT" 2>err &&
	head -n 1 err >actual &&
	echo "oils-recipes: needs OILS_REPO and at most OUT_DIR" >expect &&
	test_cmp expect actual &&
	test_expect_code 2 sh "$SCRIPT" -j 0 oils 2>err &&
	grep "^oils-recipes: -j needs a positive number, not '\''0'\''\$" err &&
	test_expect_code 1 sh "$SCRIPT" nowhere out 2>err &&
	echo "oils-recipes: '\''nowhere'\'' is no git repository with the revision '\''HEAD'\''" >expect &&
	test_cmp expect err &&
	! test -e out &&
	mkdir full && : >full/x &&
	test_expect_code 1 sh "$SCRIPT" oils full 2>err &&
	echo "oils-recipes: '\''full'\'' exists and is not empty" >expect &&
	test_cmp expect err
'

# time-helper is an absolute wedge (as Oils' is): without a box only root
# can build it at its path, and the table says why not.
if BOX || ROOT; then
	helper_row="time-helper/2023-02-28   built      -                  "
	helper_totals="1 built 0 cached 2 failed"
else
	helper_row="time-helper/2023-02-28   failed     -                  (absolute wedge)"
	helper_totals="0 built 0 cached 3 failed"
fi
test_expect_success 'the table: built, failed for a host command, no source' '
	sh "$SCRIPT" $knot_any oils out >table 2>err &&
	test_must_be_empty err &&
	sed -e "\$d" -e "s/^\(time-helper.* failed  *-  *\).*absolute wedge.*/\1(absolute wedge)/" table >actual &&
	cat >expect <<-EOC &&
	RECIPE/VERSION           STATE      STEP               REASON
	R-libs/2023-04-18        failed     wedge-install      knot-test-no-such-tool not found
	RUnit/2023-03-01         failed     wedge-install      needs the network: https://cran.invalid cannot be reached
	$helper_row
	bash/4.4                 no-source  -                  not in Debian'\''s archive at this version
	bash/5.2                 no-source  -                  not in Debian'\''s archive at this version
	total: $helper_totals 2 no-source 0 invalid
	EOC
	test_cmp expect actual &&
	tail -n 1 table >actual &&
	echo "(report: $PWD/out/report/index.html; knot build exit status 9)" >expect &&
	test_cmp expect actual
'

test_expect_success 'the recipes are the repository'"'"'s, byte for byte; time-helper'"'"'s source is its commit' '
	for f in time-helper/WEDGE time-helper/notes.txt bash/WEDGE R-libs/WEDGE RUnit/WEDGE; do
		git -C oils cat-file blob HEAD:deps/source.medo/$f >expect &&
		cmp expect out/deps/source.medo/$f || return 1
	done &&
	! test -e out/deps/source.medo/README.md &&
	grep -q "\"git-commit\": \"$(git -C oils rev-parse HEAD)\"" \
		out/deps/source.medo/time-helper/time-helper-2023-02-28.treeptr &&
	{ BOX || ROOT || return 0; } &&
	silo cat --silo out/deps.silo $(knot_prov log $(ls out/deps/derived.medo/*/*/time-helper-2023-02-28.treeptr)) >log &&
	grep -q "^time-helper ran\$" log &&
	grep -q "^with CRLF" log
'

test_done
