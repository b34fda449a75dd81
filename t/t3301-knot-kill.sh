#!/bin/sh
test_description='kill -9 of knot build at random moments: no treeptr without its object, no partial wedge, the next run finishes'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

WP=/wedge/oils-for-unix.org/pkg

test_expect_success 'setup: three recipes that take a moment and install many files' '
	knot_setup &&
	for n in one two three; do
		knot_recipe $n 1.0 "wedge-install() {
  mkdir -p \"\$2/share\" \"\$2/bin\"
  for i in \$(seq 300); do echo \"\$i \$WEDGE_NAME\" >\"\$2/share/f\$i\"; done
  head -c 3000000 /dev/zero | tr \"\\\\0\" x >\"\$2/share/big\"
  printf \"#!/bin/sh\\necho hello from $n\\n\" >\"\$2/bin/$n\"; chmod +x \"\$2/bin/$n\"
  sleep 0.2
}" || return 1
	done
'

# check_invariants: every derived treeptr names an object in the silo
# that expands to its tree; an installed wedge is whole.
check_invariants() {
	for tp in $(find deps/derived.medo -name "*.treeptr" 2>/dev/null); do
		obj=$(sed -n "s/^  \"object\": \"\(.*\)\",\$/\1/p" $tp) &&
		silo cat --silo deps.silo $obj >/dev/null ||
			{ echo "$tp names $obj, which is not in the silo"; return 1; }
	done
	for n in one two three; do
		d=img$WP/$n/1.0
		test -e $d || continue
		test -f deps/derived.medo/*/*/$n-1.0.treeptr &&
		medo verify $(ls deps/derived.medo/*/*/$n-1.0.treeptr) $d ||
			{ echo "$d is not a whole wedge"; return 1; }
	done
	ls deps/derived.medo/*/* 2>/dev/null | grep -v "\.treeptr\$" | grep -v "^\$" | grep -v ":\$" >odd
	test_must_be_empty odd
}

test_expect_success BOX 'killed at random moments, six times, the invariants hold each time' '
	for round in 1 2 3 4 5 6; do
		knot build --install --root img deps/source.medo >/dev/null 2>&1 &
		pid=$! &&
		sleep 0.$(shuf -i 0-9 -n 1)$(shuf -i 0-9 -n 1) &&
		{ kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null; true; } &&
		check_invariants || { echo "after round $round"; return 1; }
	done
'

# A box dies when its knot does, at once or a moment later: wait for
# that, at most 10 s.
test_expect_success BOX 'the boxes died with knot' '
	test_wait_for "! ps -eo args | grep -q \"^[^ ]*bwrap .*$TRASH_DIRECTORY\"" 10
'

test_expect_success BOX 'the next run finishes the job and removes what the killed ones left' '
	knot build --install --root img deps/source.medo &&
	check_invariants &&
	for n in one two three; do
		test "$(img$WP/$n/1.0/bin/$n)" = "hello from $n" || return 1
	done &&
	ls "$TMPDIR" >left &&
	test_must_be_empty left &&
	knot build -v deps/source.medo >out &&
	test "$(grep -c "^cached " out)" = 3
'

test_done
