#!/bin/sh
test_description='knot build with paths that hold $, spaces, colons and quotes; newlines refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

# What ninja or a shell would read as something else: a variable, a
# space, a colon (ninja's separator of outputs and rule), a quote.
odd='d$x y:z'"'"'q'

test_expect_success 'setup: recipes below a directory with an odd name' '
	mkdir "$odd" && (
		cd "$odd" && knot_setup &&
		knot_recipe hello 1.0 &&
		knot_recipe app 1.0 "WEDGE_DEPS=hello/1.0"
	)
'

# The built trees (name and tree id) of a derived medo, sorted.
built_trees() {
	for f in "$1"/*/*/*.treeptr; do
		printf "%s %s\n" "${f##*/}" "$(sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p" "$f")" || return 1
	done
}

test_expect_success 'unboxed: --derived, --build-dir and --report are used exactly as given' '
	(
		cd "$odd" &&
		knot build --unboxed -v --derived="$PWD/der$odd/derived.medo" --build-dir="b$odd" \
			--report="r$odd" deps/source.medo >out 2>err &&
		grep "^built " out | cut -d" " -f2 >actual &&
		printf "app/1.0\nhello/1.0\n" >expect &&
		test_cmp expect actual &&
		echo "knot: report: $PWD/r$odd/index.html" >expect &&
		test_cmp expect err &&
		ls "$PWD/der$odd/derived.medo/$(knot_platform_dir)" >actual &&
		printf "app-1.0.treeptr\nhello-1.0.treeptr\n" >expect &&
		test_cmp expect actual &&
		ls -d der* >actual &&
		printf "%s\n" "der$odd" >expect &&
		test_cmp expect actual &&
		! test -e deps/derived.medo &&
		test -f "b$odd/build.ninja" &&
		awk -F"\t" "NR > 1 { print \$8, \$11 }" "r$odd/tasks.tsv" | sort >actual &&
		printf "app built\nhello built\n" >expect &&
		test_cmp expect actual &&
		knot install --unboxed --derived="$PWD/der$odd/derived.medo" --root=img deps/source.medo/app &&
		printf "source of app 1.0\nbuilt by app 1.0\n" >expect &&
		test_cmp expect img/wedge/oils-for-unix.org/pkg/app/1.0/share/data.txt
	)
'

# A "$" alone (no quote for the shell to object to): ninja read "$x" in
# the derived medo's path as its variable x, empty, and the wedges went
# into d/derived.medo with exit status 0.
test_expect_success 'unboxed: --derived=<dir>/d$x/derived.medo publishes into that path' '
	mkdir plain && (
		cd plain && knot_setup && knot_recipe hello 1.0 &&
		knot build --unboxed -q --derived="$PWD/d\$x/derived.medo" deps/source.medo &&
		ls "$PWD/d\$x/derived.medo/$(knot_platform_dir)" >actual &&
		echo hello-1.0.treeptr >expect &&
		test_cmp expect actual &&
		! test -e d
	)
'

test_expect_success 'unboxed: the defaults below an odd directory, and --sign-key' '
	(
		cd "$odd" &&
		ssh-keygen -q -t ed25519 -N "" -C knot -f "key$odd" &&
		knot build --unboxed -q --sign-key="key$odd" deps/source.medo &&
		test -f .knot/build.ninja &&
		test "$(ls .knot/reports | wc -l)" = 1 &&
		for w in app hello; do
			test -f "$(knot_derived $w 1.0).sig" || return 1
		done &&
		built_trees "der$odd/derived.medo" >expect &&
		built_trees deps/derived.medo >actual &&
		test_cmp expect actual
	)
'

test_expect_success BOX 'boxed: recipes, derived medo and report below odd directories' '
	(
		cd "$odd" &&
		knot build -v --derived="$PWD/box$odd/derived.medo" --report="rb$odd" deps/source.medo >out &&
		test "$(grep -c "^built " out)" = 2 &&
		ls "$PWD/box$odd/derived.medo/$(knot_platform_dir)" >actual &&
		printf "app-1.0.treeptr\nhello-1.0.treeptr\n" >expect &&
		test_cmp expect actual &&
		test "$(($(wc -l <"rb$odd/tasks.tsv") - 1))" = 2
	)
'

nl='n
l'

test_expect_success 'a newline in --derived, --build-dir, --report or --sign-key is refused' '
	(
		cd "$odd" &&
		for opt in --derived --build-dir --report --sign-key; do
			test_expect_code 5 knot build --unboxed "$opt=$PWD/$nl" deps/source.medo/hello 2>err &&
			printf "knot: error: '"'"'%s'"'"': a path with a newline cannot be built\n" "$PWD/$nl" >expect &&
			test_cmp expect err || return 1
		done &&
		! test -e "$nl"
	)
'

test_expect_success 'a recipe directory with a newline is refused' '
	mkdir nlmedo && (
		cd nlmedo && knot_setup && knot_recipe hello 1.0 &&
		mv deps/source.medo/hello "deps/source.medo/$nl" &&
		test_expect_code 5 knot build --unboxed deps/source.medo 2>err &&
		printf "knot: error: '"'"'%s'"'"': a path with a newline cannot be built\n" \
			"$(pwd -P)/deps/source.medo/$nl" >expect &&
		test_cmp expect err &&
		! test -e deps/derived.medo && ! test -e .knot/reports && ! test -e .knot/build.ninja
	)
'

test_done
