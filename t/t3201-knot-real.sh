#!/bin/sh
test_description='knot builds dash and cmark from Debian'"'"'s sources, boxed; they run after knot install'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# The sources are fetched into a cache in the trash directory
# ($HOME/.cache/silo-sources: HOME is the trash directory), removed with it.
WP=/wedge/oils-for-unix.org/pkg

sources_reason=
if ! sh "$TEST_DIRECTORY/../tools/fetch-sources.sh" dash cmark >fetched 2>fetch.err; then
	sources_reason="cannot fetch dash and cmark sources: $(tail -n 1 fetch.err)"
	say "real builds are skipped: $sources_reason"
fi
[ -n "$sources_reason" ] && test_missing_prereq SOURCES "$sources_reason" || test_set_prereq SOURCES

test_expect_success SOURCES 'setup: the project'"'"'s recipes, the tarballs added as source treeptrs' '
	knot_setup &&
	cp -R "$TEST_DIRECTORY/../deps/source.medo/dash" "$TEST_DIRECTORY/../deps/source.medo/cmark" deps/source.medo/ &&
	rm -f deps/source.medo/*/*.treeptr &&
	while read pkg version file; do
		medo add "$file" deps/source.medo/$pkg/$pkg-$version.treeptr || return 1
	done <fetched &&
	test -f deps/source.medo/dash/dash-0.5.12.treeptr &&
	test -f deps/source.medo/cmark/cmark-0.30.2.treeptr &&
	knot validate deps/source.medo/dash deps/source.medo/cmark
'

test_expect_success SOURCES,BOX 'dash and cmark build boxed from their sources' '
	knot build -v deps/source.medo >out &&
	grep -q "^built cmark/0.30.2 " out &&
	grep -q "^built dash/0.5.12 " out
'

test_expect_success SOURCES,BOX 'a version of the list without its source is a state, not a build' '
	knot list deps/source.medo/dash >out &&
	cut -d" " -f1,2,4 out >actual &&
	printf "dash 0.5.12 published\ndash 0.5.10.2 no-source\n" >expect &&
	test_cmp expect actual &&
	test_expect_code 3 knot build deps/source.medo/dash/0.5.10.2 2>err &&
	grep "0.5.10.2" err &&
	! test -e $(knot_derived dash 0.5.10.2)
'

test_expect_success SOURCES,BOX 'after knot install, dash and cmark run' '
	knot install --root img deps/source.medo &&
	img/$WP/dash/0.5.12/bin/dash -c "echo \"hi \$((6 * 7))\"" >actual &&
	echo "hi 42" >expect && test_cmp expect actual &&
	printf "# Title\n\nsome *text*\n" | img/$WP/cmark/0.30.2/bin/cmark >actual &&
	printf "<h1>Title</h1>\n<p>some <em>text</em></p>\n" >expect && test_cmp expect actual &&
	test -f img/$WP/cmark/0.30.2/include/cmark.h
'

test_expect_success SOURCES,BOX 'the smoke tests ran in the box: their output is in the logs' '
	silo cat --silo deps.silo $(knot_prov log $(knot_derived dash 0.5.12)) >log &&
	grep -q "^dash 0.5.12 says hi\$" log &&
	silo cat --silo deps.silo $(knot_prov log $(knot_derived cmark 0.30.2)) >log &&
	grep -q "<h1>Hello</h1>" log
'

test_expect_success SOURCES,BOX 'rebuilding dash with the cache removed gives the same tree' '
	tp=$(knot_derived dash 0.5.12) &&
	mv $tp first.treeptr &&
	knot build deps/source.medo/dash &&
	sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p" first.treeptr >expect &&
	sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p" $tp >actual &&
	test_cmp expect actual &&
	test "$(knot_prov key first.treeptr)" = "$(knot_prov key $tp)"
'

test_done
