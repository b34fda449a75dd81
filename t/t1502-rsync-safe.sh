#!/bin/sh
test_description='a silo copied with rsync while it is written and repacked is never corrupt'
. "$(dirname "$0")/test-lib.sh"

command -v rsync >/dev/null || test_skip_all RSYNC "rsync is missing"

test_expect_success 'setup: a silo with some objects' '
	silo init s &&
	i=0 && while [ $i -lt 30 ]; do
		test_seeded_file f$i $((50000 + i * 1000)) $i || return 1
		i=$((i + 1))
	done &&
	silo put --silo s f0 f1 f2 f3 f4 f5 >/dev/null
'

test_expect_success 'rsync copies taken while another process puts and repacks all verify' '
	(
		i=6
		while [ $i -lt 30 ]; do
			silo put --silo s f$i >/dev/null || exit 1
			if [ $((i % 6)) -eq 0 ]; then silo repack --silo s -q -a -d || exit 1; fi
			i=$((i + 1))
		done
	) &
	writer=$! &&
	n=0 && while kill -0 $writer 2>/dev/null; do
		n=$((n + 1)) &&
		rsync -a s/ copy$n/ 2>/dev/null
		# A file that vanished between listing and copying is not an
		# error for this purpose (rsync exit 24): it was deleted after
		# its replacement was durable.
		rc=$? && { [ $rc -eq 0 ] || [ $rc -eq 24 ]; } || { echo "rsync exit $rc"; exit 1; }
		# A copy taken during a repack may hold the new pack before
		# the list naming it (silo-layout(5)): its objects are all
		# there, the list catches up at the next pass.  Anything
		# else verify finds is a defect.
		silo verify -q copy$n 2>verify.err ||
		{ grep -q "does not list" verify.err && ! grep -v "^silo: error: '\''pack/packs'\'' does not list '\''pack/pack-[0-9a-f]*\.pack'\'': readers over HTTP cannot find its objects" verify.err; } ||
		{ echo "copy$n does not verify"; cat verify.err; exit 1; }
	done &&
	wait $writer &&
	echo "took $n copies while writing" &&
	test $n -ge 1
'

test_expect_success 'a copy of the finished silo verifies and holds every object' '
	rsync -a s/ final/ &&
	silo verify final &&
	git hash-object f[0-9]* | sort >expect &&
	silo ls --silo final >actual &&
	test_cmp expect actual
'

test_expect_success 'a second rsync of an unchanged silo transfers nothing' '
	rsync -a --itemize-changes s/ final/ >changes &&
	test_must_be_empty changes
'

test_done
