#!/bin/sh
test_description='every command has a manual page whose synopsis and options match --help'
. "$(dirname "$0")/test-lib.sh"

DOC=$TEST_DIRECTORY/../Documentation

commands() {
	$1 --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^    \([a-z-]*\) .*/\1/p'
}

# The usage lines of a command's --help, without "usage:" / "or:".
help_synopsis() {
	$1 $2 --help | sed -n -e 's/^usage: //p' -e 's/^   or: //p'
}

# The SYNOPSIS of a page, scdoc markup removed.
doc_synopsis() {
	sed -n '/^# SYNOPSIS/,/^# /p' "$1" | sed -e '1d' -e '$d' -e '/^$/d' |
		sed -e 's/\*//g' -e 's/\\//g'
}

test_expect_success 'every tool lists at least one command, or says it has none' '
	commands silo >silo-cmds && test -s silo-cmds
'

for tool in silo medo knot; do
	for cmd in $(commands $tool); do
		test_expect_success "$tool $cmd has a page whose SYNOPSIS equals its usage" "
			test -f $DOC/$tool-$cmd.1.scd &&
			help_synopsis $tool $cmd >expect &&
			doc_synopsis $DOC/$tool-$cmd.1.scd >actual &&
			test_cmp expect actual
		"
		test_expect_success "$tool $cmd: every option in --help is documented" "
			$tool $cmd --help | sed -n 's/^    \(-[a-z], \)\{0,1\}\(--\{1,2\}[a-z0-9-]*\).*/\2/p' >opts &&
			sed -n \"/^# OPTIONS/,/^# [A-Z]/p\" $DOC/$tool-$cmd.1.scd >options &&
			while read opt; do
				grep -q -F \"*\$opt*\" options ||
				{ echo \"$tool $cmd: \$opt is not documented\"; return 1; }
			done <opts
		"
	done
	test_expect_success "$tool has an overview page" "
		test -f $DOC/$tool.1.scd || test $tool != silo
	"
done

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
