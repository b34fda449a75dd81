#!/bin/sh
test_description='silo put killed mid-write leaves only a temporary file'
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'setup' '
	silo init s && echo keep >k && silo put --silo s k >kept
'

test_expect_success 'kill -9 during a put from a pipe' '
	mkfifo pipe &&
	{ silo put --silo s - <pipe >out 2>err & } &&
	pid=$! &&
	exec 9>pipe &&
	test_seeded_file chunk 300000 7 && cat chunk >&9 &&
	# wait until the writer has started its temporary file
	test_wait_for "find s/objects -maxdepth 1 -name \"tmp_*\" | grep -q ." 10 &&
	kill -9 $pid && exec 9>&- && { wait $pid; true; } &&
	find s/objects -name "tmp_*" >tmps &&
	test_line_count 1 tmps
'

test_expect_success 'nothing else changed: the silo holds only the old object' '
	silo ls --silo s >actual &&
	test_cmp kept actual
'

test_expect_success 'verify reports the temporary file as a warning, exit 0' '
	silo verify s 2>err &&
	grep "^silo: warning: .objects/tmp_spool_.*.: temporary file left by an interrupted write (modified 0 minutes ago); silo prune removes it$" err &&
	test_line_count 1 err
'

test_expect_success 'the same content can be put afterwards' '
	git hash-object chunk >expect &&
	silo put --silo s - <chunk >actual &&
	test_cmp expect actual &&
	silo cat --silo s $(cat actual) | cmp - chunk
'

test_done
