#!/bin/sh
test_description='every tool and command has a manual page whose synopsis and options match --help'
. "$(dirname "$0")/test-lib.sh"

DOC=$TEST_DIRECTORY/../Documentation
TOOLS="silo medo knot"

# The commands a tool's --help lists.
commands() {
	$1 --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^    \([a-z-]*\) .*/\1/p'
}

# The usage lines of a --help, without "usage:" / "or:".
help_synopsis() {
	sed -n -e 's/^usage: //p' -e 's/^   or: //p' "$1"
}

# The SYNOPSIS of a page, scdoc markup removed.
doc_synopsis() {
	sed -n '/^# SYNOPSIS/,/^# /p' "$1" | sed -e '1d' -e '$d' -e '/^$/d' |
		sed -e 's/\*//g' -e 's/\\//g'
}

# The option names a --help lists (-x and --long), one a line, sorted.
help_options() {
	sed -n 's/^    \(-[a-zA-Z0-9]\)\{0,1\}\(, \)\{0,1\} *\(--[a-z0-9-]*\)\{0,1\}.*/\1 \3/p' "$1" |
		tr ' ' '\n' | sed '/^$/d' | sort
}

# The option names the OPTIONS section of a page documents: the *-x* and
# *--long* on its entry lines (those that start with an option), sorted.
doc_options() {
	sed -n '/^# OPTIONS/,/^# [A-Z]/p' "$1" | grep '^\*-' |
		grep -o '\*--*[a-zA-Z0-9][a-z0-9-]*\*' | tr -d '*' | sort
}

# The pages a tool's page lists under COMMANDS, as command names, sorted.
doc_commands() {
	sed -n '/^# COMMANDS/,/^# [A-Z]/p' "$1" |
		sed -n "s/^\*$2-\([a-z-]*\)\*(1)\$/\1/p" | sort
}

test_expect_success 'silo, medo and knot each have commands' '
	commands silo >silo-cmds && test -s silo-cmds &&
	commands medo >medo-cmds && test -s medo-cmds &&
	commands knot >knot-cmds && test -s knot-cmds
'

for tool in $TOOLS; do
	test_expect_success "$tool --help: exit 0, stdout only" "
		$tool --help >help 2>err &&
		test_must_be_empty err &&
		test -s help
	"

	test_expect_success "$tool has a page whose SYNOPSIS equals its usage" "
		test -f $DOC/$tool.1.scd &&
		$tool --help >help &&
		help_synopsis help >expect &&
		doc_synopsis $DOC/$tool.1.scd >actual &&
		test_cmp expect actual
	"

	test_expect_success "$tool: the page's NAME is the summary of --help" "
		$tool --help | sed -n 3p | sed 's/^$tool: /$tool - /' >expect &&
		sed -n '/^# NAME/,/^# /p' $DOC/$tool.1.scd | sed -e '1d' -e '\$d' -e '/^\$/d' >actual &&
		test_cmp expect actual
	"

	test_expect_success "$tool: its page lists exactly the commands of --help" "
		commands $tool | sort >expect &&
		doc_commands $DOC/$tool.1.scd $tool >actual &&
		test_cmp expect actual
	"

	test_expect_success "$tool: a page for each command, no page without one" "
		commands $tool | sort >expect &&
		for f in $DOC/$tool-*.1.scd; do
			test -f \"\$f\" || continue
			f=\${f##*/$tool-} && echo \${f%.1.scd} || return 1
		done | sort >actual &&
		test_cmp expect actual
	"

	test_expect_success "$tool --help points to command pages only if it has commands" "
		$tool --help >help &&
		commands $tool >cmds &&
		if test -s cmds
		then
			grep \"^See '$tool <command> --help' or 'man $tool-<command>' for one command.\\\$\" help
		else
			! grep '<command> --help\\|man $tool-<command>' help
		fi
	"

	for cmd in $(commands $tool); do
		test_expect_success "$tool $cmd --help: exit 0, stdout only" "
			$tool $cmd --help >help 2>err &&
			test_must_be_empty err &&
			grep '^usage: $tool $cmd' help &&
			$tool help $cmd >help2 &&
			test_cmp help help2
		"
		test_expect_success "$tool $cmd has a page whose SYNOPSIS equals its usage" "
			test -f $DOC/$tool-$cmd.1.scd &&
			$tool $cmd --help >help &&
			help_synopsis help >expect &&
			doc_synopsis $DOC/$tool-$cmd.1.scd >actual &&
			test_cmp expect actual
		"
		test_expect_success "$tool $cmd: its page documents exactly the options of --help" "
			$tool $cmd --help >help &&
			help_options help >expect &&
			test -s expect &&
			doc_options $DOC/$tool-$cmd.1.scd >actual &&
			test_cmp expect actual
		"
	done
done

test_expect_success 'the option lists are read right' '
	cat >help <<-\EOF &&
	usage: x y [options]

	    -a, --all                  a
	    -z                         z
	        --silo=<dir>           s
	    -h, --help                 h
	EOF
	printf "%s\n" --all --help --silo -a -h -z | sort >expect &&
	help_options help >actual &&
	test_cmp expect actual &&
	cat >page <<-\EOF &&
	# OPTIONS

	*-a*, *--all*
		All, unlike *--none*.

	*-z*
		Z.

	*--silo*=_dir_, _silo_
		S.

	*-h*, *--help*
		H.

	# EXAMPLES

	*--not-an-option*
	EOF
	doc_options page >actual &&
	test_cmp expect actual
'

test_expect_success 'every page has EXAMPLES and EXIT STATUS sections (format pages: EXAMPLES)' '
	for page in $DOC/*.scd; do
		grep -q "^# EXAMPLES" $page || { echo "$page: no EXAMPLES"; return 1; }
		case $page in
		*.1.scd) grep -q "^# EXIT STATUS" $page || { echo "$page: no EXIT STATUS"; return 1; } ;;
		esac
	done
'

test_expect_success 'every page converts to a man page' '
	for page in $DOC/*.scd; do
		scdoc <$page >/dev/null || { echo "$page does not convert"; return 1; }
	done
'

test_done
