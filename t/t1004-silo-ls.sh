#!/bin/sh
test_description='silo ls: every object, as ids or paths'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'an empty silo lists nothing' '
	silo init s &&
	silo ls --silo s >out &&
	test_must_be_empty out
'

test_expect_success 'setup' '
	for i in 1 2 3 4 5; do echo "object $i" >f$i; done &&
	silo put --silo s f1 f2 f3 f4 f5 >ids &&
	sort ids >sorted-ids
'

test_expect_success 'ls prints every id, sorted' '
	silo ls --silo s >actual &&
	test_cmp sorted-ids actual
'

test_expect_success 'ls --paths prints loose paths relative to the root' '
	sed -e "s|^\(..\)\(.*\)|objects/\1/\2.gz|" sorted-ids >expect &&
	silo ls --silo s --paths >actual &&
	test_cmp expect actual &&
	(cd s && xargs ls <../actual >/dev/null)
'

test_expect_success 'ls -z ends each id with NUL' '
	silo ls --silo s -z | tr "\000" "\n" >actual &&
	test_cmp sorted-ids actual &&
	test $(silo ls --silo s -z | tr -cd "\000" | wc -c) -eq 5
'

test_expect_success 'temporary and stray files are not listed' '
	: >s/objects/tmp_obj_abc && : >s/objects/stray &&
	silo ls --silo s >actual &&
	test_cmp sorted-ids actual
'

test_expect_success 'ls takes no arguments' '
	test_expect_code 2 silo ls --silo s extra 2>err &&
	grep "too many arguments" err
'

test_done
