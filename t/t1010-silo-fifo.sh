#!/bin/sh
test_description='a FIFO in place of a silo file is refused, never waited on'
. "$(dirname "$0")/test-lib.sh"

# Every command runs under timeout: before the check, opening a FIFO for
# reading waited for a writer forever (exit 124 here).
objpath() {
	echo "objects/$(echo $1 | cut -c1-2)/$(echo $1 | cut -c3-).gz"
}

test_expect_success 'setup: a silo, a medo directory, a tree added' '
	silo init deps.silo &&
	mkdir -p deps/x.medo src &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/x.medo/SILO.json &&
	echo one >src/a && echo two >src/b &&
	medo add src deps/x.medo/src.treeptr &&
	obj=$(sed -n "s/^  \"object\": \"\(.*\)\",$/\1/p" deps/x.medo/src.treeptr) &&
	test -n "$obj" && echo "$obj" >obj
'

test_expect_success 'a FIFO as a loose object: silo verify names it, exit 1' '
	cp -R deps.silo fifo.silo && chmod -R u+w fifo.silo &&
	o=$(objpath $(cat obj)) &&
	rm fifo.silo/$o && mkfifo fifo.silo/$o &&
	test_expect_code 1 timeout 20 silo verify fifo.silo 2>err &&
	grep "$o.*not a regular file" err
'

test_expect_success 'a FIFO as a loose object: silo cat fails at once, exit 4' '
	test_expect_code 4 timeout 20 silo cat --silo fifo.silo $(cat obj) >out 2>err &&
	grep "not a regular file" err
'

test_expect_success 'a FIFO as a loose object: medo expand fails, nothing expanded' '
	mkdir -p fifo/x.medo &&
	echo "{ \"silos\": [\"../../fifo.silo\"] }" >fifo/x.medo/SILO.json &&
	cp deps/x.medo/src.treeptr fifo/x.medo/ &&
	test_must_fail timeout 20 medo expand fifo/x.medo/src.treeptr dest 2>err &&
	test $(timeout 20 medo expand fifo/x.medo/src.treeptr dest 2>/dev/null; echo $?) != 124 &&
	grep "not a regular file" err &&
	test ! -e dest
'

test_expect_success 'a FIFO as a pack index or config.json fails at once' '
	cp -R deps.silo p.silo && chmod -R u+w p.silo &&
	silo repack --silo p.silo -d -q &&
	idx=$(ls p.silo/pack/*.idx) && rm "$idx" && mkfifo "$idx" &&
	test_must_fail timeout 20 silo cat --silo p.silo $(cat obj) >out 2>err &&
	grep "not a regular file" err &&
	cp -R deps.silo c.silo && chmod -R u+w c.silo &&
	rm c.silo/config.json && mkfifo c.silo/config.json &&
	test_must_fail timeout 20 silo verify c.silo 2>err &&
	grep "config.json.*not a regular file" err
'

test_done
