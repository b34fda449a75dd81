#!/bin/sh
# Write, on standard output, a C file holding the files named as
# arguments: for lib/web/silo.css, "const unsigned char silo_web_css[]"
# (its bytes and a NUL) and "const size_t silo_web_css_len".  So the
# installed program carries the pages' assets, with no file to find at
# run time.  Only od and sed: nothing to install.
set -e
echo '/* Made by tools/embed-assets.sh from lib/web/: do not edit. */'
echo '#include <stddef.h>'
for f; do
	base=$(basename "$f")
	name=silo_web_$(printf '%s' "${base#*.}" | tr -c 'a-zA-Z0-9\n' _)
	echo "extern const unsigned char ${name}[];"
	echo "extern const size_t ${name}_len;"
	echo "const unsigned char ${name}[] = {"
	od -An -v -tx1 "$f" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
	echo '0 };'
	echo "const size_t ${name}_len = $(wc -c <"$f");"
done
