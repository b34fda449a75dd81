#!/bin/sh
test_description='the box'"'"'s limits: /tmp, disk, processes, memory, time; a build over one fails naming it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# fails_with NAME MESSAGE KNOT-BUILD-ARGS...: knot build of NAME fails
# (exit 9) with MESSAGE, keeps its log, publishes nothing and leaves no
# process of its box (a sleep of a length no other run of this script,
# here or in another checkout, uses).
naptime=4$$
fails_with() {
	name=$1 msg=$2 &&
	shift 2 &&
	test_expect_code 9 knot build "$@" deps/source.medo/$name 2>err &&
	sed -n "s/; log: .*//p" err >actual &&
	printf "knot: error: %s\n" "$msg" >expect &&
	test_cmp expect actual &&
	log=$(sed -n "s/.*; log: //p" err) &&
	test -f "$log" &&
	! test -e $(knot_derived $name 1.0) &&
	! ps -eo args | grep -q "^sleep $naptime\$"
}

test_expect_success 'setup' '
	knot_setup &&
	knot_recipe_make tmpfill "head -c 4000000 /dev/zero >/tmp/big" &&
	knot_recipe_make bigfile "head -c 5000000 /dev/zero >big" &&
	knot_recipe_make manyfiles "i=0; while :; do head -c 100000 /dev/zero >f\$i; i=\$((i + 1)); done" &&
	knot_recipe_make quickfiles "for i in \$(seq 30); do head -c 100000 /dev/zero >f\$i; done" &&
	knot_recipe_make forks "sleep $naptime & python3 -c \"
import os, time
for i in range(600):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
\"" &&
	knot_recipe_make eats "sleep $naptime & python3 -c \"b = bytearray(400 * 2**20)\"" &&
	knot_recipe_make sleeps "sleep $naptime" &&
	knot_recipe_make fine "head -c 100000 /dev/zero >small"
'

raise="raise it with --limits or KNOT_LIMITS (knot-build(1))"

test_expect_success BOX 'the box'"'"'s /tmp is a tmpfs of the size given' '
	fails_with tmpfill "tmpfill/1.0: wedge-make failed: the box'"'"'s /tmp is full (tmp=1M); $raise" \
		--limits=tmp=1M
'

test_expect_success 'a file bigger than the disk limit stops its writer' '
	for way in $knot_ways; do
		fails_with bigfile "bigfile/1.0: wedge-make failed: a file went over the disk limit (disk=1M); $raise" \
			$(knot_how $way) --limits=disk=1M,time=60s || return 1
	done
'

test_expect_success 'a build that keeps writing is stopped when its work directory outgrows the limit' '
	for way in $knot_ways; do
		test_expect_code 9 knot build $(knot_how $way) --limits=disk=2M,time=60s deps/source.medo/manyfiles 2>err &&
		grep "^knot: error: manyfiles/1.0: wedge-make went over the disk limit (disk=2M): its work directory grew by [0-9.]* MiB; $raise; log: " err &&
		! test -e $(knot_derived manyfiles 1.0) || return 1
	done
'

test_expect_success 'a build that ends over the disk limit is not published' '
	for way in $knot_ways; do
		test_expect_code 9 knot build $(knot_how $way) --limits=disk=1M,time=60s deps/source.medo/quickfiles 2>err &&
		grep "^knot: error: quickfiles/1.0: .* went over the disk limit (disk=1M): its work directory grew by [0-9.]* MiB; $raise; log: " err &&
		! test -e $(knot_derived quickfiles 1.0) || return 1
	done
'

# The limit counts every process (thread) of the user the box runs as,
# the other scripts' among them: 200 above what that user runs now.
test_expect_success BOX 'the number of processes is limited' '
	if ROOT; then box_uid=65534; else box_uid=$(id -u); fi &&
	pids=$(($(ps -L -U $box_uid --no-headers | wc -l) + 200)) &&
	fails_with forks "forks/1.0: wedge-make failed: its log shows the process limit was reached (pids=$pids); $raise" \
		--limits=pids=$pids
'

test_expect_success 'the memory of a process is limited' '
	for way in $knot_ways; do
		fails_with eats "eats/1.0: wedge-make failed: its log shows the memory limit (per process) was reached (memory=100M); $raise" \
			$(knot_how $way) --limits=memory=100M || return 1
	done
'

test_expect_success 'a build that runs too long is stopped, with every process of it' '
	for way in $knot_ways; do
		fails_with sleeps "sleeps/1.0: wedge-make went over the time limit (time=1s) and was stopped; $raise" \
			$(knot_how $way) --limits=time=1s || return 1
	done
'

test_expect_success 'KNOT_LIMITS sets the limits; --limits wins over it' '
	KNOT_LIMITS="time=1s pids=none" fails_with sleeps \
		"sleeps/1.0: wedge-make went over the time limit (time=1s) and was stopped; $raise" $knot_any &&
	KNOT_LIMITS=time=1h fails_with sleeps \
		"sleeps/1.0: wedge-make went over the time limit (time=2s) and was stopped; $raise" \
		$knot_any --limits=time=2s
'

test_expect_success 'a build within its limits is published; limits are not part of the key' '
	knot key deps/source.medo/fine >key1 &&
	KNOT_LIMITS=tmp=2M,disk=4M,memory=512M,pids=2000,time=1m knot key deps/source.medo/fine >key2 &&
	test_cmp key1 key2 &&
	knot build $knot_any --limits=tmp=2M,disk=4M,memory=512M,pids=2000,time=1m deps/source.medo/fine &&
	test -f $(knot_derived fine 1.0)
'

test_expect_success 'malformed limits are refused, naming the item' '
	test_expect_code 2 knot build --limits=tmp=lots deps/source.medo/fine 2>err &&
	echo "knot: error: --limits: '"'"'tmp=lots'"'"': the value is not a size in bytes, with K, M, G or T, or '"'"'none'"'"'" >expect &&
	test_cmp expect err &&
	test_expect_code 2 knot build --limits=cpu=1 deps/source.medo/fine 2>err &&
	echo "knot: error: --limits: '"'"'cpu=1'"'"' is not a limit (tmp=, disk=, memory=, pids= or time=)" >expect &&
	test_cmp expect err &&
	KNOT_LIMITS=time=soon test_expect_code 5 knot key deps/source.medo/fine 2>err &&
	echo "knot: error: KNOT_LIMITS: '"'"'time=soon'"'"': the value is not seconds, or a number with s, m, h or d, or '"'"'none'"'"'" >expect &&
	test_cmp expect err
'

test_done
