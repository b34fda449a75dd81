#!/bin/sh
test_description='knot build and knot worker, stopped or killed, take their tasks and boxes with them'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# below PID: PID and every process below it, one a line: pid and args.
below() {
	ps -eo pid=,ppid=,args= >ps.all &&
	awk -v root="$1" '{ pid = $1; parent[pid] = $2; $1 = ""; $2 = ""; args[pid] = substr($0, 3) }
		END { for (p in parent) { q = p
			while (q in parent && q != root && q > 1) q = parent[q]
			if (q == root) print p, args[p] } }' ps.all | sort -n
}

# await_log TEXT: wait (boundedly) until a build's log in TMPDIR says TEXT.
await_log() {
	i=0 &&
	while ! cat "$TMPDIR"/knot-*/log 2>/dev/null | grep -q "^$1\$"; do
		i=$((i + 1)) && test $i -lt 300 && sleep 0.1 || { echo "no log says $1"; return 1; }
	done
}

# snapshot PID: the processes below PID, into procs; one of them must be
# the recipe's sleep in the box.
snapshot() {
	below "$1" >procs &&
	grep -q " sleep 4713\$" procs &&
	cut -d" " -f1 procs >pids
}

# none_left: no process of the snapshot runs (a zombie, dead but not
# yet reaped by an init that reaps late, does not count).
none_left() {
	for p in $(cat pids); do
		case $(ps -o stat= -p "$p") in
		""|Z*) ;;
		*) echo "left: $(ps -o args= -p "$p")"; return 1 ;;
		esac
	done
}

# gone_soon: every process of the snapshot ends (boundedly): after a
# kill -9, the rest die of their parent's death.
gone_soon() {
	i=0 &&
	while ! none_left >/dev/null; do
		i=$((i + 1)) && test $i -lt 100 && sleep 0.1 || { none_left; return 1; }
	done
}

test_expect_success 'setup: a recipe that says it runs, then sleeps' '
	knot_setup &&
	knot_recipe slow 1.0 "wedge-make() {
  echo the box runs
  sleep 4713
}"
'

for s in TERM:143 INT:130; do
	sig=${s%:*} code=${s#*:}
	test_expect_success BOX "kill -$sig of knot build stops ninja, the task and the box before knot ends" "
		{ knot build deps/source.medo/slow >out 2>&1 & } &&
		pid=\$! &&
		await_log 'the box runs' &&
		snapshot \$pid &&
		grep -q ' [^ ]*ninja -C ' procs &&
		grep -q ' [^ ]*silobox knot run-task ' procs &&
		grep -q ' [^ ]*bwrap --unshare-all ' procs &&
		kill -$sig \$pid &&
		{ wait \$pid; status=\$?; } &&
		test \$status = $code &&
		none_left &&
		! test -e \$(knot_derived slow 1.0) &&
		ls \"\$TMPDIR\" >left &&
		test_must_be_empty left
	"
done

test_expect_success BOX 'kill -9 of knot build: ninja, the task and the box die with it' '
	{ knot build deps/source.medo/slow >out 2>&1 & } &&
	pid=$! &&
	await_log "the box runs" &&
	snapshot $pid &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	gone_soon &&
	! test -e $(knot_derived slow 1.0) &&
	rm -rf "$TMPDIR"/*
'

test_expect_success 'unboxed, kill -TERM of knot build ends every process of the recipe too' '
	{ knot build --unboxed deps/source.medo/slow >out 2>&1 & } &&
	pid=$! &&
	await_log "the box runs" &&
	snapshot $pid &&
	kill -TERM $pid &&
	{ wait $pid; status=$?; } &&
	test $status = 143 &&
	none_left
'

test_expect_success 'setup: a repository of the recipe for workers' '
	mkdir seed && (
		cd seed && git init -q -b main &&
		cp -R ../deps . && rm -rf deps/derived.medo &&
		echo "{ \"silos\": [\"../../../deps.silo\"] }" >deps/source.medo/SILO.json &&
		git add -A && git -c user.name=t -c user.email=t@t commit -q -m recipes
	) &&
	git clone -q --bare seed repo.git
'

for s in TERM:143 9:137; do
	sig=${s%:*} code=${s#*:}
	test_expect_success BOX "kill -$sig of knot worker: the box goes with it; TERM releases the claim" "
		rm -rf w &&
		{ knot worker --once --poll=50 --repo=\$PWD/repo.git --silo=\$PWD/deps.silo --work-dir=w >out 2>&1 & } &&
		pid=\$! &&
		await_log 'the box runs' &&
		snapshot \$pid &&
		grep -q ' [^ ]*bwrap --unshare-all ' procs &&
		kill -$sig \$pid &&
		{ wait \$pid; status=\$?; } &&
		test \$status = $code &&
		if test $sig = 9; then gone_soon; else none_left; fi &&
		git --git-dir=repo.git for-each-ref refs/knot/claims/ >claims &&
		if test $sig = 9; then test_line_count 1 claims; else test_must_be_empty claims; fi &&
		rm -rf \"\$TMPDIR\"/*
	"
done

test_done
