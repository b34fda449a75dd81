#!/bin/sh
test_description='a silo mirrored with rsync and rclone while writers add trees verifies clean'
. "$(dirname "$0")/test-lib.sh"

command -v rsync >/dev/null && test_set_prereq RSYNC || test_missing_prereq RSYNC "rsync is missing"
command -v rclone >/dev/null && test_set_prereq RCLONE || test_missing_prereq RCLONE "rclone is missing"

# Two writers add small trees named $1... to src.silo until the file
# "stop" exists.
start_writers() {
	rm -f stop &&
	for w in 1 2; do
		( n=0
		  while ! test -e stop; do
			t=$1$w.$n &&
			mkdir -p $t && echo "$1 $w $n" >$t/f &&
			head -c $((n * 37 % 5000)) /dev/urandom >$t/g &&
			medo add --silo src.silo $t $t.treeptr >/dev/null || exit 1
			n=$((n + 1))
		  done ) &
		echo $! >>writers
	done
}

stop_writers() {
	: >stop &&
	for p in $(cat writers); do wait $p || return 1; done &&
	rm -f writers
}

test_expect_success 'setup' '
	silo init src.silo
'

# Each pass copies what is there; every copy verifies with no warning,
# since no temporary file of a writer is copied.
test_expect_success RSYNC '50 rsync passes during writes each verify clean' '
	start_writers rsync &&
	pass=0 &&
	while [ $pass -lt 50 ]; do
		rsync -a --exclude="tmp_*" src.silo/ rsync.silo/ &&
		silo verify rsync.silo 2>err &&
		test_must_be_empty err &&
		pass=$((pass + 1)) || { stop_writers; return 1; }
	done &&
	stop_writers &&
	rsync -a --exclude="tmp_*" src.silo/ rsync.silo/ &&
	silo ls --silo src.silo >expect && silo ls --silo rsync.silo >actual &&
	test_cmp expect actual && test $(wc -l <actual) -gt 50
'

test_expect_success RCLONE '50 rclone passes during writes each verify clean' '
	start_writers rclone &&
	pass=0 &&
	while [ $pass -lt 50 ]; do
		rclone copy --config "" --exclude "tmp_*" --local-no-check-updated \
			src.silo rclone.silo 2>rclone.err &&
		test_must_be_empty rclone.err &&
		silo verify rclone.silo 2>err &&
		test_must_be_empty err &&
		pass=$((pass + 1)) || { stop_writers; cat rclone.err; return 1; }
	done &&
	stop_writers &&
	rclone copy --config "" --exclude "tmp_*" --local-no-check-updated src.silo rclone.silo &&
	silo ls --silo src.silo >expect && silo ls --silo rclone.silo >actual &&
	test_cmp expect actual
'

test_expect_success RSYNC 'without the rule, a mirror may copy temporary files' '
	: >src.silo/objects/tmp_obj_inflight &&
	rsync -a src.silo/ naive.silo/ &&
	silo verify naive.silo 2>err &&
	grep "tmp_obj_inflight.: temporary file left by an interrupted write" err &&
	rm src.silo/objects/tmp_obj_inflight
'

test_done
