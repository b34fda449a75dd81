#!/bin/sh
# The last lines of 'make test': how many tests were skipped, and why,
# from the file the test scripts appended their skips to
# ($SILO_TEST_SKIPS, see t/test-lib.sh): one line per prerequisite and
# reason, with the count and the scripts.  On a machine where everything
# is installed, a skip is a defect: it shows here.
#
#	sh tools/test-skips.sh FILE
set -e

if [ $# -ne 1 ]; then
	echo "usage: sh tools/test-skips.sh FILE" >&2
	exit 2
fi
if ! [ -s "$1" ]; then
	echo "skipped: no test"
	exit 0
fi
# Fields: prerequisite, reason, script, "N title" or "(all)".
awk -F '\t' '
{
	key = $1 ": " $2
	if (!(key in n)) { order[++keys] = key; n[key] = 0; all[key] = 0 }
	if ($4 == "(all)") { all[key]++; scripts++ } else { n[key]++; tests++ }
	if (index(" " where[key] " ", " " $3 " ") == 0)
		where[key] = where[key] (where[key] == "" ? "" : " ") $3
}
END {
	line = "skipped: " tests " test" (tests == 1 ? "" : "s")
	if (scripts) line = line " and " scripts " whole script" (scripts == 1 ? "" : "s")
	print line
	for (i = 1; i <= keys; i++) {
		k = order[i]
		c = n[k] (all[k] ? " + " all[k] " script" (all[k] == 1 ? "" : "s") : "")
		printf "  %s  %s (%s)\n", c, k, where[k]
	}
}' "$1"
