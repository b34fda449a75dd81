#!/bin/sh
test_description='a hostile recipe in the box: memory it may not fill, the host it may not change'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

test_expect_success 'setup' '
	knot_setup
'

T=$TRASH_DIRECTORY

raise="raise it with --limits or KNOT_LIMITS (knot-build(1))"

# /dev is a tmpfs of bwrap's, as big as half the memory, and the box's
# user owns it and its shm directory.
test_expect_success BOX '/dev/shm is as bounded as /tmp, and the rest of /dev is read-only' '
	knot_recipe_make shmfill "head -c 4000000 /dev/zero >/dev/shm/big" &&
	test_expect_code 9 knot build --limits=tmp=1M deps/source.medo/shmfill 2>err &&
	sed -n "s/; log: .*//p" err >actual &&
	echo "knot: error: shmfill/1.0: wedge-make failed: the box'"'"'s /dev/shm is full (tmp=1M); $raise" >expect &&
	test_cmp expect actual &&
	knot_recipe_make devfill "head -c 1000 /dev/zero >/dev/big" &&
	test_expect_code 9 knot build deps/source.medo/devfill 2>err &&
	log=$(sed -n "s/.*; log: //p" err) &&
	grep -q "/dev/big: Read-only file system" "$log" &&
	knot_recipe_make shmuse "echo shared >/dev/shm/x && test \$(cat /dev/shm/x) = shared &&
  echo out >/dev/null && echo out >/dev/stdout && head -c 1 /dev/urandom >/dev/null" &&
	knot build deps/source.medo/shmuse
'

# Blocks alone miss what publishing costs (a sparse file is stored and
# read at its size) and what an empty file takes (an inode of the
# host's file system each).
test_expect_success 'sparse and empty files count against the disk limit' '
	knot_recipe_make holes "for i in \$(seq 10); do truncate -s 512K hole\$i; done" &&
	knot_recipe_make inodes "mkdir d && (cd d && seq 2000 | xargs touch)" &&
	for r in holes inodes; do
		for way in $knot_ways; do
			test_expect_code 9 knot build $(knot_how $way) --limits=disk=1M deps/source.medo/$r 2>err &&
			grep -q "^knot: error: $r/1.0: .* went over the disk limit (disk=1M): its work directory grew by [0-9.]* MiB; $raise; log: " err &&
			! test -e $(knot_derived $r 1.0) || return 1
		done
	done
'

# The log is written by knot on the host's disk, beside the watched
# directories, and is stored in the silo when the build is published.
test_expect_success 'what a build prints counts against the disk limit' '
	knot_recipe_make loud "head -c 3000000 /dev/urandom | base64" &&
	for way in $knot_ways; do
		test_expect_code 9 knot build $(knot_how $way) --limits=disk=1M deps/source.medo/loud 2>err &&
		grep -q "^knot: error: loud/1.0: .* went over the disk limit (disk=1M): its work directory grew by [0-9.]* MiB; $raise; log: " err &&
		! test -e $(knot_derived loud 1.0) || return 1
	done
'

# daemons NAME N: wedge-make starts, in four ways that leave its process
# group or session, a process "sleep N" that outlives it.
daemons() {
	knot_recipe_make $1 "setsid sh -c \"trap '' TERM HUP INT; exec sleep $2\" </dev/null >/dev/null 2>&1 &
nohup sleep $2 </dev/null >/dev/null 2>&1 &
python3 -c \"
import os
if os.fork(): os._exit(0)
os.setsid()
if os.fork(): os._exit(0)
os.execvp('sleep', ['sleep', '$2'])
\"
setsid -f sleep $2 </dev/null >/dev/null 2>&1"
}

# left N: the processes "sleep N" running now (none is a zombie).  The
# lengths are this run's own, so that another run of this script, here
# or in another checkout, is neither seen nor killed.
stays_n=31$$ slow_n=32$$
left() {
	ps -eo pid=,stat=,args= | awk -v n="$1" '$3 == "sleep" && $4 == n && $2 !~ /^Z/ { print $1 }'
}

test_expect_success 'no process of a build outlives it, boxed or not' '
	daemons stays $stays_n &&
	test_when_finished "for p in \$(left $stays_n); do kill -9 \$p; done" &&
	knot build --unboxed deps/source.medo/stays &&
	left $stays_n >procs &&
	test_must_be_empty procs &&
	{ ! BOX || {
		knot build --rebuild deps/source.medo/stays &&
		left $stays_n >procs &&
		test_must_be_empty procs
	}; }
'

test_expect_success 'no process of a build outlives its time limit, unboxed' '
	daemons slow $slow_n &&
	sed -i "s/^setsid -f sleep $slow_n .*/&\nsleep $slow_n/" deps/source.medo/slow/WEDGE &&
	test_when_finished "for p in \$(left $slow_n); do kill -9 \$p; done" &&
	test_expect_code 9 knot build --unboxed --limits=time=2s deps/source.medo/slow 2>err &&
	grep -q "slow/1.0: wedge-make went over the time limit (time=2s) and was stopped" err &&
	left $slow_n >procs &&
	test_must_be_empty procs
'

# WEDGE_ENV names variables of knot's environment; their values went
# into the build, the key and the published provenance.
test_expect_success 'a recipe gets only the variables the one running knot passes' '
	knot_recipe_make envleak "echo \"\${GITHUB_TOKEN:-none}\" >\"\$3/token\"" "WEDGE_ENV=\"GITHUB_TOKEN CFLAGS\"" &&
	cat >expect <<-EOF &&
	knot: error: recipe $T/deps/source.medo/envleak: WEDGE_ENV asks for GITHUB_TOKEN, which is set here: knot passes a variable only when KNOT_PASS_ENV names it (its value goes into the key, the provenance and the build)
	EOF
	for way in $knot_ways; do
		GITHUB_TOKEN=ghp_s3cr3t test_expect_code 5 knot build $(knot_how $way) deps/source.medo/envleak 2>err &&
		test_cmp expect err &&
		GITHUB_TOKEN=ghp_s3cr3t KNOT_PASS_ENV=CFLAGS test_expect_code 5 knot key $(knot_how $way) deps/source.medo/envleak 2>err &&
		test_cmp expect err || return 1
	done &&
	! grep -r s3cr3t deps deps.silo &&
	GITHUB_TOKEN=ghp_s3cr3t test_expect_code 5 knot key --explain deps/source.medo/envleak >out 2>&1 &&
	! grep s3cr3t out
'

test_expect_success 'variables KNOT_PASS_ENV names pass; unset ones need not be named' '
	knot build $knot_any deps/source.medo/envleak &&
	knot_prov env $(knot_derived envleak 1.0) >env &&
	! grep -q "GITHUB_TOKEN\|CFLAGS" env &&
	CFLAGS=-O2 KNOT_PASS_ENV="GITHUB_TOKEN, CFLAGS" GITHUB_TOKEN=public knot build $knot_any deps/source.medo/envleak &&
	knot_prov env $(knot_derived envleak 1.0) >env &&
	grep -q " GITHUB_TOKEN=public CFLAGS=-O2\$" env &&
	rm -rf x && medo expand $(knot_derived envleak 1.0) x &&
	echo public >expect &&
	test_cmp expect x/token
'

# A tree holds files, links and directories, and no .git: what else a
# recipe installs fails its build, which keeps its log.
test_expect_success 'an install directory that is no tree fails the build, not knot' '
	knot_recipe_make gitdir "mkdir -p \"\$3/.git\" && echo \"[core]\" >\"\$3/.git/config\"" &&
	knot_recipe_make fifo "mkfifo \"\$3/fifo\"" &&
	for r in gitdir fifo; do
		test_expect_code 9 knot build $knot_any deps/source.medo/$r 2>err &&
		grep "^knot: error: $r/1.0: its install directory cannot be published: .*; log: " err &&
		log=$(sed -n "s/.*; log: //p" err) &&
		grep -q "^knot: $r/1.0: its install directory cannot be published: " "$log" &&
		! test -e $(knot_derived $r 1.0) || return 1
	done
'

# A step that ends the build's shell before its EXIT trap can say so (a
# kill, or a fork that fails in the trap when the step used up every
# process) is named as the step, not as the reading of the recipe.
test_expect_success 'a step that kills the build'"'"'s shell is named as that step' '
	knot_recipe_make killer "kill -9 \$\$" &&
	for way in $knot_ways; do
		test_expect_code 9 knot build $(knot_how $way) deps/source.medo/killer 2>err &&
		sed -n "s/; log: .*//p" err >actual &&
		echo "knot: error: killer/1.0: wedge-make failed (exit status 137)" >expect &&
		test_cmp expect actual || return 1
	done
'

test_done
