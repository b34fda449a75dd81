#!/bin/sh
test_description='a damaged pack or index is named by medo expand, exit 4, not "not in any silo"'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup: a tree added, then packed' '
	silo init deps.silo &&
	mkdir -p deps/x.medo src && echo one >src/a && echo two >src/b &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	medo add src deps/x.medo/src.treeptr &&
	silo repack --silo deps.silo -d -q &&
	ls deps.silo/pack/*.pack >packs && test_line_count 1 packs
'

# damaged NAME: a copy of the silo with its pack or index damaged by the
# commands on stdin (run in the copy's pack/ with $pack and $idx set);
# medo expand must exit 4 and name the damaged file.
damaged() {
	rm -rf d.silo dest && cp -R deps.silo d.silo && chmod -R u+w d.silo &&
	(cd d.silo/pack && pack=$(ls *.pack) && idx=$(ls *.idx) && . ./../../damage) &&
	echo "{ \"silos\": [\"../../d.silo\"] }" >deps/x.medo/SILO.json &&
	test_expect_code 4 medo expand deps/x.medo/src.treeptr dest 2>err &&
	grep "pack/pack-[0-9a-f]*\.$1" err &&
	! grep "not there\|is not in any silo" err &&
	! test -e dest
}

test_expect_success 'a damaged pack header' '
	echo "printf JUNK | dd of=\$pack bs=1 conv=notrunc 2>/dev/null" >damage &&
	damaged pack
'

test_expect_success 'a damaged pack trailer' '
	echo "printf \"\\\\377\\\\377\" | dd of=\$pack bs=1 seek=\$((\$(stat -c %s \$pack) - 2)) conv=notrunc 2>/dev/null" >damage &&
	damaged pack
'

test_expect_success 'a damaged index' '
	echo "printf \"\\\\377\\\\377\\\\377\\\\377\" | dd of=\$idx bs=1 seek=100 conv=notrunc 2>/dev/null" >damage &&
	damaged idx
'

test_expect_success 'a truncated index' '
	echo "head -c 500 \$idx >x && rm -f \$idx && mv x \$idx" >damage &&
	damaged idx
'

test_done
