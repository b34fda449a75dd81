#!/bin/sh
test_description='knot build on a terminal: each running wedge, its phase and its time'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"
. "$TEST_DIRECTORY/lib-pty.sh"

command -v ninja >/dev/null || test_skip_all NINJA "ninja is missing (Debian: ninja-build)"

# Each step of the recipe waits for its file in go/, which the terminal
# driver creates once the terminal shows the step's phase.
GO=$TRASH_DIRECTORY/go
TAB=$(printf '\t')
ON_TTY_TOUCH="slow/1.0: make $TAB$GO/make
slow/1.0: install $TAB$GO/install
slow/1.0: smoke $TAB$GO/smoke"

# The terminal's lines without the escape that clears the rest of a line.
tty_lines() {
	sed "s/$(printf '\033')\[K//g" "$1"
}

test_expect_success 'setup' '
	knot_setup &&
	knot_recipe slow 1.0 "knot_wait() {
  local i=0
  while [ ! -e $GO/\$1 ]; do
    i=\$((i + 1)); [ \$i -lt 2400 ] || return 1
    sleep 0.05
  done
}
wedge-make() { knot_wait make; cp \"\$1/data.txt\" .; }
wedge-install() { knot_wait install; mkdir -p \"\$2/share\"; cp data.txt \"\$2/share/\"; }
wedge-smoke-test() { knot_wait smoke; test -f \"\$1/share/data.txt\"; }" &&
	mkdir go
'

test_expect_success PTY 'on a terminal each phase of a running wedge is shown in order, with its time' '
	ON_TTY_TOUCH=$ON_TTY_TOUCH on_tty tty knot build --unboxed deps/source.medo/slow &&
	test -f $(knot_derived slow 1.0) &&
	tty_lines tty >lines &&
	sed -n "s|^\[0/1\] slow/1\.0: \([a-z]*\) [0-9]*:[0-9][0-9]\$|\1|p" lines | uniq | tr "\n" " " >phases &&
	case "$(cat phases)" in
	"fetch make install smoke publish "|"make install smoke publish "|\
	"fetch make install smoke "|"make install smoke ") ;;
	*) echo "phases: $(cat phases)"; false ;;
	esac &&
	grep "^\[1/1\] slow/1\.0\$" lines &&
	grep "^knot: report: .*/index\.html\$" lines &&
	! grep "[0-9a-f]\{64\}" lines
'

test_expect_success 'a task removes its phase file when it ends' '
	ls .knot/phases >actual &&
	test_must_be_empty actual
'

test_expect_success 'without a terminal knot build shows no progress' '
	touch go/make go/install go/smoke &&
	rm $(knot_derived slow 1.0) &&
	knot build --unboxed deps/source.medo/slow 2>err &&
	sed "/^knot: report: .*\/index\.html\$/d" err >rest &&
	test_must_be_empty rest
'

test_expect_success PTY 'on a terminal, -q and --no-progress show no progress' '
	rm $(knot_derived slow 1.0) &&
	on_tty tty knot build -q --unboxed deps/source.medo/slow &&
	test_must_be_empty tty &&
	rm $(knot_derived slow 1.0) &&
	on_tty tty knot build --no-progress --unboxed deps/source.medo/slow &&
	sed "/^knot: report: .*\/index\.html\$/d" tty >rest &&
	test_must_be_empty rest
'

test_expect_success '--progress shows it without a terminal too' '
	rm $(knot_derived slow 1.0) &&
	knot build --progress --unboxed deps/source.medo/slow 2>err &&
	tty_lines err | tr "\r" "\n" >lines &&
	grep "^\[1/1\] slow/1\.0\$" lines
'

test_done
