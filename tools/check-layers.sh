#!/bin/sh
# Check the includes of lib/ against its table of layers.
#
#	tools/check-layers.sh [LIBDIR]
#
# Every file of LIBDIR (*.c, *.h, silo/*.h) must be in LIBDIR/layers.txt,
# and each of its #include "..." must name a header listed there whose
# layer is not above the file's own.  Prints one line per problem and
# exits 1 if there is any.
lib=${1:-lib}
table=$lib/layers.txt
test -r "$table" || { echo "check-layers: cannot read '$table'" >&2; exit 2; }
cd "$lib" || exit 2
{
	grep -v '^#' layers.txt | awk 'NF { for (i = 3; i <= NF; i++) print "L", $i, $1 }'
	for f in *.c *.h silo/*.h; do
		test -e "$f" || continue
		echo "F $f"
		sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/I '"$(echo "$f" | sed 's/[\/&]/\\&/g')"' \1/p' "$f"
	done
} | awk '
	$1 == "L" {
		if ($2 in layer)
			{ print "layers.txt: " $2 " is listed twice"; bad = 1 }
		layer[$2] = $3
		next
	}
	$1 == "F" {
		files[++nf] = $2
		next
	}
	$1 == "I" {
		n++; from[n] = $2; to[n] = $3
	}
	END {
		for (i = 1; i <= nf; i++)
			if (!(files[i] in layer)) {
				print files[i] ": not in layers.txt"
				bad = 1
			}
		for (i = 1; i <= n; i++) {
			if (!(to[i] in layer)) {
				print from[i] ": includes \"" to[i] "\", which is not in layers.txt"
				bad = 1
			} else if ((from[i] in layer) && layer[to[i]] + 0 > layer[from[i]] + 0) {
				print from[i] ": includes \"" to[i] "\" of layer " layer[to[i]] \
				      ", above its own layer " layer[from[i]]
				bad = 1
			}
		}
		exit bad
	}'
