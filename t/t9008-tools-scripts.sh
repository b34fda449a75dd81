#!/bin/sh
test_description='tools/fetch-sources.sh --help prints its usage; make demo keeps what it made'
. "$(dirname "$0")/test-lib.sh"

TOOLS=$TEST_DIRECTORY/../tools

test_expect_success 'fetch-sources.sh -h and --help print the usage, fetch nothing' '
	for h in -h --help; do
		SILO_SOURCES_DIR=$PWD/cache sh "$TOOLS/fetch-sources.sh" $h >out 2>err &&
		test_must_be_empty err &&
		grep -q "^	tools/fetch-sources.sh \[--medo DIR\] \[PACKAGE...\]" out &&
		grep -q "^	SILO_SOURCES_DIR	the cache" out &&
		! test -e cache || return 1
	done
'

test_expect_success 'fetch-sources.sh refuses an unknown option before fetching' '
	test_expect_code 2 env SILO_SOURCES_DIR=$PWD/cache sh "$TOOLS/fetch-sources.sh" dash --verbose >out 2>err &&
	test_must_be_empty out &&
	head -n 1 err >first &&
	echo "fetch-sources: unknown option '\''--verbose'\'' (packages are named without a dash)" >expect &&
	test_cmp expect first &&
	! test -e cache
'

# The demo from a copy of its script on a small tree, with no
# fetch-sources.sh beside it: it runs its first half, skips knot, and ends.
test_expect_success 'a demo that ends well keeps its directory and says where' '
	mkdir -p u/src/tools u/src/lib u/bin u/tmp &&
	cp "$TOOLS/demo.sh" u/src/tools/ &&
	echo "a header" >u/src/lib/strbuf.h && echo "int x;" >u/src/lib/x.c &&
	printf "#!/bin/sh\nexit 0\n" >u/bin/bwrap && chmod 755 u/bin/bwrap &&
	PATH=$PWD/u/bin:$PATH TMPDIR=$PWD/u/tmp sh u/src/tools/demo.sh >out 2>err &&
	grep "^knot: skipped, the dash source could not be fetched: " out &&
	ls u/tmp >left && test_line_count 1 left &&
	d=$PWD/u/tmp/$(cat left) &&
	tail -n 1 out >last &&
	echo "done; the demo'\''s files are kept in $d (remove it with: rm -rf $d)" >expect &&
	test_cmp expect last &&
	test -f "$d/deps/src.medo/project.treeptr" &&
	silo verify --silo "$d/deps.silo"
'

test_done
