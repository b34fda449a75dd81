#!/bin/sh
# The shell examples of the README and of the EXAMPLES sections of the
# manual pages, as t9005-doc-examples.sh runs them.
#
#	sh tools/doc-examples.sh FILE...
#
# Prints one record per example block:
#
#	@block FILE:LINE run			a block to run
#	@block FILE:LINE skip REASON		a block marked not to run
#	$ COMMAND				a command's first line
#	> LINE					a command's next line
#	= LINE					what the page shows it print
#
# In a page (Documentation/*.scd), an example is a ``` block of the
# EXAMPLES section whose commands start with "$ "; the other lines of the
# block show output.  A command goes on over the next line when a line
# ends with \, |, && or ||.  A block without "$ " is data (a file's
# content), not run.  An scdoc comment just before a block marks it:
#
#	; example: script		the block is a script: every line a command
#	; example: not run: REASON	the block cannot run in a scratch directory
#
# In the README, an example is a block indented by four spaces: every
# line is a command.  A block of make commands alone (make test, make
# demo) is not run: those are this checkout's own targets, which
# tools/fresh-machine.sh runs on fresh machines.
set -e

if [ $# -eq 0 ]; then
	echo "usage: sh tools/doc-examples.sh FILE..." >&2
	exit 2
fi

for f in "$@"; do
	case $f in
	*.scd) kind=scd ;;
	*) kind=text ;;
	esac
	awk -v file="$f" -v kind="$kind" '
	function start(line, how) {
		print "@block " file ":" line " " how
		cont = 0
	}
	# A command line: first or next, and whether the one after goes on.
	function command(text) {
		if (cont) print "> " text; else print "$ " text
		cont = (text ~ /(\\|\||&&|\|\|)[ \t]*$/)
	}
	function text_block(   i, how) {
		how = "skip make targets of this checkout, run by tools/fresh-machine.sh"
		for (i = 1; i <= nlines; i++) if (lines[i] !~ /^make /) how = "run"
		start(blockline, how)
		for (i = 1; i <= nlines; i++) command(lines[i])
		nlines = 0
	}
	kind == "text" {
		if ($0 ~ /^    [^ ]/ || ($0 ~ /^    / && nlines)) {
			if (!nlines) blockline = NR
			lines[++nlines] = substr($0, 5)
			next
		}
		if (nlines) text_block()
		next
	}
	END { if (kind == "text" && nlines) text_block() }
	# Pages: the EXAMPLES section only.
	/^# / { examples = ($0 == "# EXAMPLES"); marker = ""; next }
	!examples { next }
	/^; example: / { marker = substr($0, 12); next }
	/^```/ {
		if (!inblock) {
			inblock = 1; nlines = 0; blockline = NR + 1
			next
		}
		inblock = 0
		how = "run"; script = 0
		if (marker ~ /^not run: /) how = "skip " substr(marker, 10)
		else if (marker == "script") script = 1
		else if (marker != "") how = "skip unknown marker: " marker
		prompts = 0
		for (i = 1; i <= nlines; i++) if (lines[i] ~ /^\$ /) prompts++
		marker = ""
		if (!prompts && !script) next
		start(blockline, how)
		for (i = 1; i <= nlines; i++) {
			l = lines[i]
			if (script) { command(l); continue }
			if (l ~ /^\$ /) { cont = 0; command(substr(l, 3)) }
			else if (cont) command(l)
			else print "= " l
		}
		next
	}
	inblock {
		l = $0
		gsub(/\\\\/, "\\", l)
		lines[++nlines] = l
	}
	' "$f"
done
