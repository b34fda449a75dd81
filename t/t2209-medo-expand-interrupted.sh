#!/bin/sh
test_description='medo expand killed by SIGTERM, SIGINT or SIGHUP removes its staging directory and dies of the signal'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"
. "$TEST_DIRECTORY/lib-httpd.sh"

export SILO_HTTP_RETRIES=0 SILO_HTTP_TIMEOUT=5
export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
start_httpd || { echo "1..0 # SKIP nginx does not start"; exit 0; }

# wait_for CONDITION: until the shell condition holds (at most 20 s).
wait_for() {
	wf_n=0
	until eval "$1"; do
		wf_n=$((wf_n + 1))
		test $wf_n -lt 400 || { echo "timed out waiting for: $1" >&2; return 1; }
		sleep 0.05
	done
}

# A tree of kind tree whose tree objects are in a pack of a silo served by
# nginx, and whose one file is a loose object there: an expansion makes
# its staging directory, then fetches the file into its cache under a
# lock (tmp_fetch_<id>) that the test holds, and waits there.
test_expect_success 'setup: a tree whose file an expansion waits for' '
	silo init "$HTTPD_ROOT/deps.silo" &&
	git init -q r &&
	echo "the one file" >file &&
	git -C r hash-object -w ../file >blob &&
	silo put --silo "$HTTPD_ROOT/deps.silo" file >put && test_cmp blob put &&
	printf "100644 blob %s\tf\n" $(cat blob) | git -C r mktree >root &&
	sizes_of r $(cat root) >sizes &&
	cat root >list &&
	mkdir m && echo "{ \"silos\": [\"$HTTPD_URL/deps.silo\"] }" >m/SILO.json &&
	tree_treeptr r $(cat root) sizes "$HTTPD_ROOT/deps.silo" m/x.treeptr list &&
	medo ls m/x.treeptr >listing &&
	lock=$SILO_CACHE_DIR/sha1/objects/tmp_fetch_$(cat blob) &&
	test -d "$(dirname "$lock")" && echo "$lock" >lockpath
'

# hold_lock: hold the fetch lock of the file until the script ends.
hold_lock() {
	python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(3600)
' "$(cat lockpath)" held &
	echo $! >holder &&
	wait_for "test -e held"
}

# interrupted SIGNAL STATUS: an expansion, stopped by SIGNAL while it
# waits, exits with STATUS and leaves neither its staging directory nor
# the destination.
interrupted() {
	ls -A >before &&
	! grep "^\.tmp-" before &&
	rm -f held holder &&
	test_when_finished "kill \$(cat holder)" &&
	hold_lock &&
	python3 -c "import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])" medo expand m/x.treeptr dest 2>err &
	pid=$! &&
	wait_for "ls -d .tmp-dest-*/new >/dev/null 2>&1" &&
	kill -$1 $pid &&
	{ wait $pid; status=$?; } &&
	test $status = $2 &&
	ls -A >after &&
	! grep "^\.tmp-" after &&
	! test -e dest
}

test_expect_success 'SIGTERM: the staging directory is removed, exit 143' '
	interrupted TERM 143
'

test_expect_success 'SIGINT: the same, exit 130' '
	interrupted INT 130
'

test_expect_success 'SIGHUP: the same, exit 129' '
	interrupted HUP 129
'

test_expect_success 'once the file can be fetched, the same expansion succeeds' '
	timeout 60 medo expand m/x.treeptr dest &&
	test_cmp file dest/f &&
	ls -A >after &&
	! grep "^\.tmp-" after
'

test_done
