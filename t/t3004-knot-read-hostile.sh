#!/bin/sh
test_description='knot reads hostile recipes without running them: what bash expands later is fixed'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

T=$TRASH_DIRECTORY

# hostile NAME: a recipe NAME whose WEDGE is the standard input, then
# its functions.
hostile() {
	mkdir -p deps/source.medo/$1 &&
	{ printf "WEDGE_NAME=%s\nWEDGE_VERSION=1.0\n" $1 && cat &&
	  printf "wedge-make() { :; }\nwedge-install() { :; }\n"; } >deps/source.medo/$1/WEDGE &&
	knot_source $1 1.0
}

test_expect_success 'setup' '
	knot_setup
'

# xtrace expands PS4 before each command it prints: in the DEBUG trap
# that guards the top level, and in knot's own commands after the file,
# where no trap looks.
test_expect_success 'PS4 is knot'"'"'s: a trace runs nothing, in the trap or after the file' '
	hostile ps4trap <<-EOF &&
	PS4='"'"'\$(echo RAN-AT-READ >&2; : >$T/ran-trap)'"'"'
	set -x
	X=\$UNSET
	EOF
	hostile ps4after <<-EOF &&
	PS4='"'"'\$(: >$T/ran-after)'"'"'
	set -o xtrace
	EOF
	for how in "" --unboxed; do
		for r in ps4trap ps4after; do
			test_expect_code 5 knot validate $how deps/source.medo/$r 2>err &&
			! grep RAN-AT-READ err &&
			grep -q "^knot: error: .*/$r/WEDGE.: sourcing it with bash failed (exit status 1): ./WEDGE: line 3: PS4: readonly variable" err ||
			return 1
		done
	done &&
	test ! -e ran-trap && test ! -e ran-after
'

test_expect_success 'a trace cannot be sent to knot'"'"'s output' '
	hostile xtracefd <<-\EOF &&
	BASH_XTRACEFD=1
	set -x
	X='"'"'
	var WEDGE_LEAKY_BUILD 1'"'"'
	EOF
	test_expect_code 5 knot validate --unboxed deps/source.medo/xtracefd 2>err &&
	grep -q "^knot: error: .*/xtracefd/WEDGE.: sourcing it with bash failed (exit status 1): ./WEDGE: line 3: BASH_XTRACEFD: readonly variable" err
'

# The trap refuses the command in the background process, after bash
# expands a slow glob there, while the file has ended.
test_expect_success 'a command started in the background is refused all the same' '
	hostile coproc <<-EOF &&
	coproc { X=(/usr/*/*/*/*); : >$T/ran-coproc; }
	EOF
	hostile background <<-EOF &&
	{ X=(/usr/*/*/*/*); : >$T/ran-background; } &
	EOF
	for how in "" --unboxed; do
		for r in coproc background; do
			test_expect_code 5 knot validate $how deps/source.medo/$r 2>err &&
			grep -q "^knot: error: .deps/source.medo/$r.: WEDGE:3: .: > $T/ran-$r. is a command at the top level" err ||
			return 1
		done
	done &&
	test ! -e ran-coproc && test ! -e ran-background
'

# bash quotes the refused command as the file has it: control
# characters of the file would reach the terminal of whoever reads it.
test_expect_success 'an error quoting a recipe writes no control character' '
	mkdir -p deps/source.medo/esc &&
	printf "WEDGE_NAME=esc\nWEDGE_VERSION=1.0\necho \"\033]0;title\007\033[31mred\tx\"\n" \
		>deps/source.medo/esc/WEDGE &&
	test_expect_code 5 knot validate deps/source.medo/esc 2>err &&
	printf "%s\n" "knot: error: '"'"'deps/source.medo/esc'"'"': WEDGE:3: '"'"'echo \"?]0;title??[31mred	x\"'"'"' is a command at the top level, where only assignments, function definitions and '"'"'set -o'"'"' may be (knot runs no command when it reads a recipe)" >expect &&
	test_cmp expect err
'

# As root, the box reaches the recipes through mounts made for it, of
# which there may be no more than a child process can hold.
test_expect_success 'a source medo of many recipes is read' '
	mkdir -p many/source.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >many/source.medo/SILO.json &&
	for i in $(seq 300); do
		mkdir many/source.medo/m$i &&
		cp deps/source.medo/ps4trap/ps4trap-1.0.treeptr many/source.medo/m$i/m$i-1.0.treeptr &&
		printf "WEDGE_NAME=m%s\nWEDGE_VERSION=1.0\nwedge-make() { :; }\nwedge-install() { :; }\n" $i \
			>many/source.medo/m$i/WEDGE || return 1
	done &&
	knot list many/source.medo >out &&
	test_line_count 300 out
'

# A trace of a loop that doubles a string writes more than memory
# holds: knot's memory file, then knot reading it back, took it all.
test_expect_success 'what reading a recipe writes is bounded' '
	hostile doubling <<-\EOF &&
	set -x
	X=aaaaaaaaaaaaaaaa
	while Y=1; do X=$X$X; done
	EOF
	for how in "" --unboxed; do
		test_expect_code 5 knot validate $how deps/source.medo/doubling 2>err &&
		echo "knot: error: reading '"'"'$T/deps/source.medo/doubling/WEDGE'"'"' wrote more than 16 MiB: does a WEDGE file loop at its top level?" >expect &&
		test_cmp expect err || return 1
	done
'

# knot reads WEDGE on the host when unboxed, and every source treeptr
# on the host always: a link from a repository to a file of the host
# had the refusal quote its first line (a token, a password hash).
test_expect_success 'a WEDGE or source treeptr that is a link is refused, quoting nothing' '
	echo "https://user:ghp_0123secret@example.org" >creds &&
	chmod 600 creds &&
	mkdir -p deps/source.medo/lw &&
	ln -s "$T/creds" deps/source.medo/lw/WEDGE &&
	for how in "" --unboxed; do
		test_expect_code 5 knot validate $how deps/source.medo/lw 2>err &&
		echo "knot: error: '"'"'$T/deps/source.medo/lw/WEDGE'"'"' is a symbolic link: knot reads a recipe'"'"'s own files only, on the host too" >expect &&
		test_cmp expect err || return 1
	done &&
	hostile lt </dev/null &&
	rm deps/source.medo/lt/lt-1.0.treeptr &&
	ln -s "$T/creds" deps/source.medo/lt/lt-1.0.treeptr &&
	test_expect_code 5 knot validate deps/source.medo/lt 2>err &&
	echo "knot: error: '"'"'deps/source.medo/lt'"'"': '"'"'$T/deps/source.medo/lt/lt-1.0.treeptr'"'"' is a symbolic link: knot reads a recipe'"'"'s own files only, on the host too" >expect &&
	test_cmp expect err &&
	test_expect_code 5 knot key deps/source.medo/lt 2>err &&
	! grep -r "0123secret\|https" err
'

test_expect_success 'set -x alone still reads' '
	hostile trace <<-\EOF &&
	set -x
	X=1
	EOF
	knot validate deps/source.medo/trace >out &&
	echo "ok deps/source.medo/trace trace (1 version)" >expect &&
	test_cmp expect out
'

test_expect_success 'a version list of blanks lists no version: an error, not a recipe of none' '
	mkdir -p deps/source.medo/blank &&
	printf "WEDGE_NAME=blank\nWEDGE_VERSION_LIST=\"  \"\nwedge-make() { :; }\nwedge-install() { :; }\n" \
		>deps/source.medo/blank/WEDGE &&
	test_expect_code 5 knot validate deps/source.medo/blank 2>err &&
	cat >expect <<-\EOF &&
	knot: error: '"'"'deps/source.medo/blank'"'"': WEDGE_VERSION_LIST '"'"'  '"'"' lists no version
	EOF
	test_cmp expect err &&
	test_expect_code 5 knot build deps/source.medo/blank 2>err &&
	grep "lists no version" err
'

test_done
