#!/bin/sh
test_description='each page is the one source of its --help, man page and completion (tools/gen-docs.py)'
. "$(dirname "$0")/test-lib.sh"

# The build makes --help, the man pages and the completion from the pages
# (tools/gen-docs.py): a SYNOPSIS is the usage by construction, and the
# generator refuses a page that breaks its rules.  This script checks
# that the build was made from these pages, that every command parses
# the options its page documents (a command whose table and page differ
# stops with a BUG), and each rule of the generator on a small made-up
# Documentation directory.

SRC=$TEST_DIRECTORY/..
DOC=$SRC/Documentation
GEN="python3 $SRC/tools/gen-docs.py"

# The commands a tool's --help lists.
commands() {
	$1 --help | sed -n '/^commands:/,/^$/s/^    \([a-z-]*\) .*/\1/p'
}

test_expect_success 'the build was made from these pages' '
	$GEN --completion "$SRC/contrib/completion/silobox.bash" "$DOC" gen &&
	for f in fe-cmds.h fe-cmds.c silobox.bash; do
		test_cmp gen/$f "$SILO_BUILD_DIR/gen/$f" || return 1
	done &&
	ls gen/man >expect &&
	ls "$SILO_BUILD_DIR/gen/man" | grep "\.scd\$" >actual &&
	test_cmp expect actual &&
	for f in gen/man/*; do
		test_cmp $f "$SILO_BUILD_DIR/gen/man/${f##*/}" || return 1
	done
'

test_expect_success 'every page converts to a man page' '
	for page in "$SILO_BUILD_DIR"/gen/man/*.scd; do
		scdoc <"$page" >/dev/null || { echo "$page does not convert"; return 1; }
	done
'

test_expect_success 'every command parses the options of its page: --help on stdout, exit 0' '
	for tool in silo medo knot; do
		$tool --help >help 2>err &&
		test_must_be_empty err &&
		commands $tool >cmds && test -s cmds &&
		for c in $(cat cmds); do
			$tool $c --help >help 2>err &&
			test_must_be_empty err &&
			grep -q "^usage: $tool $c" help &&
			$tool help $c >help2 &&
			test_cmp help help2 || { echo "$tool $c"; return 1; }
		done || return 1
	done
'

# A small Documentation directory that follows every rule, and what the
# generator makes of it.
test_expect_success 'setup: a tool x with a command put' '
	mkdir -p doc/include &&
	cp "$DOC/include/common-options.scd" doc/include/ &&
	cat >doc/x.1.scd <<\EOF &&
x(1)

# NAME

x - a tool for tests

# SYNOPSIS

*x* [--version] [--help] <command> [<args>]

# COMMANDS

*x-put*(1)
; store things
	Store things, and say so.

# EXAMPLES

# EXIT STATUS
EOF
	cat >doc/x-put.1.scd <<\EOF &&
x-put(1)

# NAME

x-put - store things in x

# SYNOPSIS

*x put* [--silo=<dir>] [-j <n>] <file>...

*x put* --kind=tar|tree [-z] <dir>

# OPTIONS

*--silo*=_dir_, _silo_
; the silo
	The silo.

*-j* _n_, *--jobs*=_n_
; N at once
	Up to _n_ at once.

	Or one.

*-q*, *--quiet*
	Print nothing: the exit status tells.

*--kind*=*tar*|*tree*, *-z*
; --kind: how to store
; -z: end lines with NUL
	How.

# EXAMPLES

```
$ x put a
```

# EXIT STATUS
EOF
	cat >doc/x-layout.5.scd <<\EOF &&
x-layout(5)

# NAME

x-layout - what x writes

# EXAMPLES
EOF
	echo "# the logic" >logic &&
	$GEN --completion logic doc out
'

test_expect_success 'a page becomes its --help: SYNOPSIS, help lines, common options' '
	cat >expect <<-\EOF &&
	usage: x put [--silo=<dir>] [-j <n>] <file>...
	   or: x put --kind=tar|tree [-z] <dir>

	        --silo=<dir>           the silo
	    -j, --jobs=<n>             N at once
	        --kind=tar|tree        how to store
	    -z                         end lines with NUL
	    -q, --quiet                print nothing but errors; the exit status tells
	        --progress             show progress on stderr even when not a terminal
	        --no-progress          never show progress
	    -h, --help                 show this help and exit
	EOF
	$GEN --print-help doc x put >actual &&
	test_cmp expect actual &&
	cat >expect <<-\EOF &&
	usage: x [--version] [--help] <command> [<args>]

	x: a tool for tests

	commands:
	    put          store things

	See '\''x <command> --help'\'' or '\''man x-<command>'\'' for one command.
	EOF
	$GEN --print-help doc x >actual &&
	test_cmp expect actual
'

test_expect_success 'a page becomes its man page: no help lines, the common options last' '
	sed -n "/^# OPTIONS/,/^# EXAMPLES/p" out/man/x-put.1.scd >actual &&
	cat >expect <<\EOF &&
# OPTIONS

*--silo*=_dir_, _silo_
	The silo.

*-j* _n_, *--jobs*=_n_
	Up to _n_ at once.

	Or one.

*--kind*=*tar*|*tree*, *-z*
	How.

*-q*, *--quiet*
	Print nothing: the exit status tells.

EOF
	sed -n "/^\*--progress\*/,\$p" doc/include/common-options.scd | grep -v "^; " >>expect &&
	echo >>expect &&
	echo "# EXAMPLES" >>expect &&
	test_cmp expect actual &&
	sed -n "/^# COMMANDS/,/^# EXAMPLES/p" out/man/x.1.scd >actual &&
	printf "%s\n" "# COMMANDS" "" "*x-put*(1)" "	Store things, and say so." "" "# EXAMPLES" >expect &&
	test_cmp expect actual &&
	test_cmp doc/x-layout.5.scd out/man/x-layout.5.scd &&
	for page in out/man/*.scd; do
		scdoc <$page >/dev/null || return 1
	done
'

test_expect_success 'a page becomes the completion'\''s commands, options and values' '
	grep "^	\[" out/silobox.bash >actual &&
	cat >expect <<\EOF &&
	[x]='\''put'\''
	['\''x put'\'']='\''--silo= -j --jobs= --kind= -z -q --quiet --progress --no-progress -h --help'\''
	['\''x put --silo'\'']='\''<dir>'\''
	['\''x put --jobs'\'']='\''<n>'\''
	['\''x put --kind'\'']='\''tar|tree'\''
EOF
	test_cmp expect actual &&
	tail -n 1 out/silobox.bash >actual &&
	test_cmp logic actual
'

test_expect_success 'the C tables: each usage from its page, each command in its tool'\''s table' '
	grep "^extern\|^int" out/fe-cmds.h >actual &&
	cat >expect <<-\EOF &&
	extern const struct fe_tool x_tool;
	extern const struct fe_usage fe_usage_x_put;
	int cmd_x_put(int argc, const char **argv);
	EOF
	test_cmp expect actual &&
	sed -n "/^static const struct fe_opt_doc x_put_opts/,/^};/p" out/fe-cmds.c >actual &&
	cat >expect <<\EOF &&
static const struct fe_opt_doc x_put_opts[] = {
	{ 0, "silo", 1 },
	{ '\''j'\'', "jobs", 1 },
	{ 0, "kind", 1 },
	{ '\''z'\'', NULL, 0 },
	{ 0, NULL, 0 }
};
EOF
	test_cmp expect actual &&
	grep -A1 "^static const struct fe_cmd x_cmds" out/fe-cmds.c >actual &&
	printf "%s\n" "static const struct fe_cmd x_cmds[] = {" "	{ \"put\", cmd_x_put }," >expect &&
	test_cmp expect actual
'

test_expect_success 'a file whose content is unchanged is not written again' '
	cp -R doc doc2 &&
	$GEN --completion logic doc2 out2 &&
	ls -i out2/fe-cmds.h out2/fe-cmds.c out2/silobox.bash out2/man/x.1.scd >expect &&
	ls -i out2/man/x-put.1.scd >put-before &&
	sed -i "s/Up to _n_ at once./Up to _n_ things at once./" doc2/x-put.1.scd &&
	$GEN --completion logic doc2 out2 &&
	ls -i out2/fe-cmds.h out2/fe-cmds.c out2/silobox.bash out2/man/x.1.scd >actual &&
	test_cmp expect actual &&
	ls -i out2/man/x-put.1.scd >put-after &&
	! cmp -s put-before put-after &&
	grep -q "things at once" out2/man/x-put.1.scd
'

# bad NAME FILE SED-SCRIPT: bad-NAME, a copy of doc/ with FILE edited by
# SED-SCRIPT.
bad() {
	cp -R doc bad-$1 && sed -i "$3" bad-$1/$2
}

test_expect_success 'a page that breaks a rule is refused: its file, line and rule' '
	bad 01-no-help x-put.1.scd "/^; the silo/d" &&
	bad 02-stray-help x-put.1.scd "s/^	Up to _n_ at once./&\n; more/" &&
	bad 03-unnamed-help x-put.1.scd "s/^; -z: end/; end/" &&
	bad 04-common-help x-put.1.scd "s/^\*-q\*, \*--quiet\*\$/&\n; quiet/" &&
	bad 04-common-written x-put.1.scd "s/^\*-q\*, \*--quiet\*\$/*--quiet*/" &&
	bad 05-twice x-put.1.scd "s/^\*-j\* _n_, \*--jobs\*=_n_/*-j* _n_, *--silo*=_n_/" &&
	bad 06-common-letter x-put.1.scd "s/^\*--kind\*=\*tar\*|\*tree\*, \*-z\*/*--kind*=*tar*|*tree*, *-h*/; s/^; -z:/; -h:/" &&
	bad 07-header x-put.1.scd "s/^\*--silo\*=_dir_, _silo_/*--silo* _dir_/" &&
	bad 08-no-option x-put.1.scd "s/^\*--silo\*=_dir_, _silo_/silo/" &&
	bad 09-synopsis x-put.1.scd "s/^\*x put\* \[--silo/*x get* [--silo/" &&
	bad 10-synopsis-markup x-put.1.scd "s/^\*x put\* \[--silo=<dir>\]/*x put* [*--silo*=<dir>]/" &&
	bad 11-title x-put.1.scd "1s/.*/x-get(1)/" &&
	bad 12-name x-put.1.scd "s/^x-put - store/x - store/" &&
	bad 13-examples x-put.1.scd "s/^# EXAMPLES/# EXAMPLE/" &&
	bad 14-exit-status x.1.scd "/^# EXIT STATUS/d" &&
	bad 15-format-examples x-layout.5.scd "/^# EXAMPLES/d" &&
	bad 16-not-listed x.1.scd "s/^\*x-put\*(1)/*x-get*(1)/" &&
	bad 17-no-summary x.1.scd "/^; store things/d" &&
	bad 18-no-page x-put.1.scd "" && rm bad-18-no-page/x-put.1.scd &&
	test_expect_code 1 $GEN --check bad-* 2>actual &&
	cat >expect <<-\EOF &&
	gen-docs: error: bad-01-no-help/x-put.1.scd:15: --silo needs one help line right below its header ('\''; what --help says'\''), not 0
	gen-docs: error: bad-02-stray-help/x-put.1.scd:22: a help line belongs right below its entry'\''s header
	gen-docs: error: bad-03-unnamed-help/x-put.1.scd:30: with several options in the entry, a help line starts with the option it is for ('\''; --name: ...'\'')
	gen-docs: error: bad-04-common-help/x-put.1.scd:26: --quiet is a common option: its help line is in include/common-options.scd
	gen-docs: error: bad-04-common-written/x-put.1.scd:25: --quiet is written '\''-q, --quiet'\'' in include/common-options.scd
	gen-docs: error: bad-05-twice/x-put.1.scd:19: --silo is documented twice
	gen-docs: error: bad-06-common-letter/x-put.1.scd:28: -h is a common option'\''s
	gen-docs: error: bad-07-header/x-put.1.scd:15: write *-x* _arg_ or *--long*=_arg_, not '\''*--silo* _dir_'\''
	gen-docs: error: bad-08-no-option/x-put.1.scd:15: an OPTIONS entry starts with its option: '\''silo'\''
	gen-docs: error: bad-09-synopsis/x-put.1.scd:9: a SYNOPSIS line starts with '\''*x put* '\''
	gen-docs: error: bad-10-synopsis-markup/x-put.1.scd:9: a SYNOPSIS line is plain text after '\''*x put*'\''
	gen-docs: error: bad-11-title/x-put.1.scd:1: the first line must be x-put(1)
	gen-docs: error: bad-12-name/x-put.1.scd:5: NAME is one line, '\''x-put - ...'\''
	gen-docs: error: bad-13-examples/x-put.1.scd: no EXAMPLES section
	gen-docs: error: bad-14-exit-status/x.1.scd: no EXIT STATUS section
	gen-docs: error: bad-15-format-examples/x-layout.5.scd: no EXAMPLES section
	gen-docs: error: bad-16-not-listed/x-put.1.scd: not a command: x(1) does not list it under COMMANDS
	gen-docs: error: bad-17-no-summary/x.1.scd:13: x-put(1) needs one help line: its summary in '\''x --help'\''
	gen-docs: error: bad-18-no-page/x.1.scd:13: x-put(1) has no page x-put.1.scd
	EOF
	test_cmp expect actual &&
	$GEN --check doc
'

test_expect_success 'a refused page writes nothing' '
	test_expect_code 1 $GEN --completion logic bad-01-no-help out-bad 2>err &&
	grep "^gen-docs: error: bad-01-no-help/x-put.1.scd:15: " err &&
	! test -e out-bad
'

test_done
