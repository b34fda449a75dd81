#!/bin/sh
test_description='silo: ids abbreviated to a unique prefix, loose and packed'
. "$(dirname "$0")/test-lib.sh"

# Two contents whose blob ids share their first seven hex digits:
# 71b710c474aa566a76d08f9e2897865171b778fb and
# 71b710c1060f9fa7b92c3c03f0ed88e741fd7bb4.
A=71b710c474aa566a76d08f9e2897865171b778fb
B=71b710c1060f9fa7b92c3c03f0ed88e741fd7bb4

test_expect_success 'setup: two objects whose ids share 7 digits' '
	echo x6084 >a && echo x22114 >b && echo other >c &&
	test "$(git hash-object a)" = $A && test "$(git hash-object b)" = $B &&
	silo init s && silo put --silo s a b c >ids &&
	C=$(sed -n 3p ids) && echo $C >c-id
'

test_expect_success 'a unique prefix of 8 digits names its object' '
	silo cat --silo s 71b710c4 >out && test_cmp a out &&
	silo cat --silo s 71B710C1 >out && test_cmp b out &&
	silo cat -s --silo s 71b710c10 >out && echo 7 >expect && test_cmp expect out
'

test_expect_success 'seven digits are enough when they are unique' '
	silo cat --silo s $(cut -c1-7 c-id) >out && test_cmp c out &&
	silo cat -e --silo s $(cut -c1-7 c-id)
'

test_expect_success 'an ambiguous prefix is a usage error naming the candidates' '
	test_expect_code 2 silo cat --silo s 71b710c >out 2>err &&
	test_must_be_empty out &&
	grep "^silo: error: id prefix .71b710c. is ambiguous: " err &&
	grep "$A" err && grep "$B" err
'

test_expect_success 'a prefix of fewer than 7 digits is a usage error' '
	test_expect_code 2 silo cat --silo s 71b710 2>err &&
	grep "^silo: error: id .71b710. is too short: give at least 7 hex digits$" err
'

test_expect_success 'a prefix no object has: exit 3, or 1 with -e' '
	test_expect_code 3 silo cat --silo s 0000000 2>err &&
	grep "^silo: error: no object.s id starts with .0000000.$" err &&
	test_expect_code 1 silo cat -e --silo s 0000000 >out 2>err &&
	test_must_be_empty out && test_must_be_empty err
'

test_expect_success 'packed objects are found by prefix, and a loose copy is one object' '
	cp -r s p && silo repack -q --silo p &&
	silo cat --silo p 71b710c4 >out && test_cmp a out &&
	test_expect_code 2 silo cat --silo p 71b710c 2>err &&
	grep "is ambiguous" err &&
	silo repack -q -d --silo p && ! test -d p/objects/71 &&
	silo cat --silo p 71b710c1 >out && test_cmp b out &&
	test_expect_code 2 silo cat --silo p 71b710c
'

test_expect_success 'repack hints take prefixes' '
	cp -r s h &&
	silo repack -q --silo h --hint=71b710c4:71b710c1 &&
	test_expect_code 2 silo repack -q --silo h --hint=71b710c:71b710c1 2>err &&
	grep "^silo: error: --hint: id prefix .71b710c. is ambiguous" err
'

test_done
