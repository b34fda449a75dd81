#!/bin/sh
test_description='knot worker: many workers, one git repository, one silo; claims, races, expiry, signatures'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

command -v rsync >/dev/null || test_skip_all RSYNC "rsync is missing"

# seed_repo DIR N [BOXED]: a repository DIR/seed with recipes r1..rN
# (r6 needs r1, r7 needs r2, ...) whose sources are in DIR/template.silo,
# and its bare clone DIR/repo.git.
seed_repo() {
	mkdir -p $1 && (
		cd $1 &&
		silo init template.silo &&
		mkdir -p seed/deps/source.medo &&
		cd seed && git init -q -b main &&
		echo "{ \"silos\": [\"../../../shared.silo\"] }" >deps/source.medo/SILO.json &&
		i=1 && while [ $i -le $2 ]; do
			d=deps/source.medo/r$i &&
			mkdir -p $d ../src$i/r$i-1.0 &&
			echo "source $i" >../src$i/r$i-1.0/data.txt &&
			medo add --silo ../template.silo ../src$i $d/r$i-1.0.treeptr &&
			deps= && { [ $i -le 5 ] || deps="WEDGE_DEPS=r$((i - 5))"; } &&
			cat >$d/WEDGE <<-EOW &&
			WEDGE_NAME=r$i
			WEDGE_VERSION=1.0
			$deps
			wedge-make() {
			  cp "\$1/data.txt" .
			  if [ -n "\${WEDGE_DEPS:-}" ]; then cat /wedge/oils-for-unix.org/pkg/r$((i - 5))/1.0/data.txt >>data.txt 2>/dev/null || :; fi
			}
			wedge-install() { cp data.txt "\$2/"; }
			EOW
			i=$((i + 1)) || return 1
		done &&
		git add -A && git -c user.name=t -c user.email=t@t commit -q -m recipes &&
		cd .. && git clone -q --bare seed repo.git
	)
}

# fresh DIR: a new shared silo and bare repository from DIR's seed.
fresh() {
	rm -rf $1/shared.silo $1/repo.git $1/w[0-9]* &&
	cp -r $1/template.silo $1/shared.silo &&
	git clone -q --bare $1/seed $1/repo.git
}

# check_published DIR N UNBOXED [KEYS]: every recipe's key published
# exactly once, its treeptr expands and verifies from the shared silo, the
# silo verifies and holds no temporary files, no claim is left.  KEYS: the keys of the
# recipes as knot key prints them, when known already (the same seed).
check_published() {
	rm -rf $1/check && git clone -q $1/repo.git $1/check &&
	git -C $1/check log --format=%s | grep "^knot: publish " | sort >$1/subjects &&
	test "$(wc -l <$1/subjects)" = $2 &&
	test "$(sort -u $1/subjects | wc -l)" = $2 &&
	if test -n "$4"; then cp "$4" $1/keys; else knot key $3 $1/check/deps/source.medo | sort -k2 >$1/keys; fi &&
	test "$(wc -l <$1/keys)" = $2 &&
	d=$1/check/deps/derived.medo/$(knot_platform_dir) &&
	while read key name; do
		n=${name%/*} &&
		grep -q "^    \"key\": \"$key\",\$" $d/$n-1.0.treeptr &&
		grep -q "^knot: publish $name $key\$" $1/subjects || { echo "$name is not published right"; return 1; }
	done <$1/keys &&
	rm -rf $1/x && medo expand -q --silo $1/shared.silo $d $1/x &&
	medo verify --silo $1/shared.silo $d $1/x &&
	silo verify -q $1/shared.silo &&
	find $1/shared.silo -name "tmp_*" -o -name ".*" -type f >$1/tmps &&
	test_must_be_empty $1/tmps &&
	git --git-dir=$1/repo.git for-each-ref refs/knot/claims/ >$1/claims &&
	test_must_be_empty $1/claims
}

test_expect_success BOX 'two boxed workers build a repository with dependencies' '
	seed_repo boxed 7 &&
	fresh boxed &&
	( cd boxed || exit 1
	  knot worker -v --once --poll=100 --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w1 >out1 &
	  knot worker -v --once --poll=100 --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w2 >out2 &
	  wait %1 && wait %2 ) &&
	check_published boxed 7 "" &&
	cat boxed/out1 boxed/out2 | grep -c " published r" >count &&
	test "$(cat count)" = 7 &&
	mkdir -p boxed/x7 && medo expand --silo boxed/shared.silo boxed/check/deps/derived.medo/$(knot_platform_dir)/r7-1.0.treeptr boxed/x7/r7 &&
	printf "source 7\nsource 2\n" >expect &&
	test_cmp expect boxed/x7/r7/data.txt
'

test_expect_success BOX 'every publishing commit can be used on its own: medo expand and knot install work at each' '
	git --git-dir=boxed/repo.git log --reverse --format="%H %s" main >boxed/commits &&
	grep -c " knot: publish " boxed/commits >count &&
	test "$(cat count)" = 7 &&
	n=0 &&
	while read commit subject; do
		case $subject in "knot: publish "*) ;; *) continue ;; esac
		n=$((n + 1)) &&
		rm -rf boxed/at boxed/at-x boxed/at-img &&
		git clone -q boxed/repo.git boxed/at && git -C boxed/at checkout -q $commit &&
		d=boxed/at/deps/derived.medo &&
		test -f $d/SILO.json &&
		medo expand -q $d boxed/at-x &&
		medo verify $d boxed/at-x &&
		ls $d/$(knot_platform_dir) >published &&
		test_line_count $n published &&
		for tp in $(cat published); do
			r=${tp%-1.0.treeptr} &&
			knot install --root boxed/at-img boxed/at/deps/source.medo/$r &&
			test -f boxed/at-img/wedge/oils-for-unix.org/pkg/$r/1.0/data.txt || return 1
		done || { echo "at $commit ($subject)"; return 1; }
	done <boxed/commits &&
	test $n = 7
'

test_expect_success BOX 'a worker removes a claim left on a published key' '
	key=$(sed -n "s| r1/1.0\$||p" boxed/keys) &&
	test -n "$key" &&
	empty=$(git --git-dir=boxed/repo.git hash-object -w -t tree /dev/null) &&
	dead=$(git --git-dir=boxed/repo.git -c user.name=t -c user.email=t@t commit-tree -m "claim by a killed worker" $empty) &&
	git --git-dir=boxed/repo.git update-ref refs/knot/claims/$key $dead &&
	( cd boxed &&
	  knot worker -v --once --poll=100 --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w3 >out3 ) &&
	grep -q " removed the stale claim on r1/1.0 $key\$" boxed/out3 &&
	! grep -q " building " boxed/out3 &&
	git --git-dir=boxed/repo.git for-each-ref refs/knot/claims/ >claims &&
	test_must_be_empty claims
'

test_expect_success 'setup: ten recipes for the races' '
	seed_repo race 10 &&
	knot key --unboxed race/seed/deps/source.medo | sort -k2 >race/keys &&
	test_line_count 10 race/keys
'

# Each round in a directory of its own: creating files where many were
# just deleted is slow on some file systems.
test_expect_success '3 workers racing over 10 recipes, 20 times: each key published once, all verify' '
	dups=0 && rep=1 &&
	while [ $rep -le 20 ]; do
		d=race/round$rep &&
		mkdir $d && cp -r race/template.silo $d/shared.silo &&
		git clone -q --bare race/seed $d/repo.git &&
		git --git-dir=$d/repo.git config receive.autogc false &&
		( cd $d || exit 1
		  for w in 1 2 3; do
			knot worker -v --unboxed --once --poll=50 --repo=$PWD/repo.git \
				--silo=$PWD/shared.silo --work-dir=w$w >out$w 2>err$w &
		  done &&
		  wait %1 && wait %2 && wait %3 ) ||
			{ echo "a worker failed in round $rep"; cat $d/err*; return 1; }
		check_published $d 10 --unboxed race/keys || { echo "round $rep"; return 1; }
		dups=$((dups + $(cat $d/out* | grep -c " adopted r" || :))) &&
		rep=$((rep + 1)) || return 1
	done &&
	say "20 rounds of 3 workers: $dups builds adopted (duplicates)"
'

# age_claims REPO SECONDS: each claim of REPO made SECONDS older, as if
# that much time had passed (a claim's age is its commit's date).
age_claims() {
	for ref in $(git --git-dir="$1" for-each-ref --format="%(refname)" refs/knot/claims/); do
		old=$(git --git-dir="$1" rev-parse $ref) &&
		when=$(($(git --git-dir="$1" log -1 --format=%ct $old) - $2)) &&
		new=$(git --git-dir="$1" cat-file commit $old |
			sed "s/^committer \(.*\) [0-9]* \([-+][0-9]*\)\$/committer \1 $when \2/" |
			git --git-dir="$1" hash-object -t commit -w --stdin) &&
		git --git-dir="$1" update-ref $ref $new $old || return 1
	done
}

test_expect_success 'a worker killed with kill -9 mid-build: its claim expires and another finishes' '
	seed_repo killed 1 &&
	fresh killed &&
	cat >>killed/seed/deps/source.medo/r1/WEDGE <<-EOF &&
	wedge-make() {
	  cp "\$1/data.txt" .
	  if ! [ -e "$TRASH_DIRECTORY/started" ]; then
	    sleep 600 & echo \$! >"$TRASH_DIRECTORY/hang.pid"
	    touch "$TRASH_DIRECTORY/started"; wait
	  fi
	}
	EOF
	git -C killed/seed -c user.name=t -c user.email=t@t commit -q -a -m slow && rm -rf killed/repo.git &&
	git clone -q --bare killed/seed killed/repo.git &&
	( cd killed || exit 1
	  knot worker -v --unboxed --once --poll=50 --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w1 >out1 2>&1 &
	  echo $! >pid ) &&
	test_when_finished "kill \$(cat hang.pid)" &&
	test_wait_for "test -e started" 30 &&
	kill -9 $(cat killed/pid) &&
	git --git-dir=killed/repo.git for-each-ref --format="%(refname)" refs/knot/claims/ >claims &&
	test_line_count 1 claims &&
	( cd killed &&
	  knot worker -v --unboxed --once --claim-timeout=3600 --poll=50 --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w2 >out2 ) &&
	! grep -q "published" killed/out2 &&
	age_claims killed/repo.git 7200 &&
	( cd killed &&
	  knot worker -v --unboxed --once --claim-timeout=3600 --poll=50 --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w3 >out3 ) &&
	grep -q "took over the expired claim on r1/1.0" killed/out3 &&
	grep -q "published r1/1.0" killed/out3 &&
	check_published killed 1 --unboxed &&
	git --git-dir=killed/repo.git for-each-ref refs/knot/claims/ >claims &&
	test_must_be_empty claims
'

test_lazy_prereq SSHKEYGEN 'command -v ssh-keygen'

test_expect_success SSHKEYGEN 'a worker with --sign-key commits a signature beside each treeptr' '
	seed_repo signed 2 &&
	fresh signed &&
	ssh-keygen -q -t ed25519 -N "" -C knot@test -f signkey &&
	echo "knot@test $(cat signkey.pub)" >allowed &&
	( cd signed &&
	  knot worker --unboxed --once --poll=50 --sign-key=../signkey --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w1 ) &&
	check_published signed 2 --unboxed &&
	for n in r1 r2; do
		tp=signed/check/deps/derived.medo/$(knot_platform_dir)/$n-1.0.treeptr &&
		git -C signed/check ls-files --error-unmatch deps/derived.medo/$(knot_platform_dir)/$n-1.0.treeptr.sig &&
		ssh-keygen -Y verify -f allowed -I knot@test -n medo -s $tp.sig <$tp || return 1
	done
'

test_expect_success SSHKEYGEN 'knot build --sign-key signs what it publishes' '
	knot_setup && knot_recipe solo 1.0 &&
	knot build --unboxed --sign-key=signkey deps/source.medo/solo &&
	tp=$(knot_derived solo 1.0) &&
	ssh-keygen -Y verify -f allowed -I knot@test -n medo -s $tp.sig <$tp
'

. "$TEST_DIRECTORY/lib-sshd.sh"

test_expect_success SSHD 'a worker reaching the shared silo only through rsync over ssh' '
	seed_repo remote 2 &&
	fresh remote &&
	( cd remote &&
	  knot worker -v --unboxed --once --poll=50 --repo=$PWD/repo.git --silo=127.0.0.1:$PWD/shared.silo --work-dir=w1 >out ) &&
	grep -c "published r" remote/out >count && test "$(cat count)" = 2 &&
	check_published remote 2 --unboxed
'

# A git that fails the worker's first fetch as upload-pack does when a
# claim is deleted between its listing and the request for it.
test_expect_success 'a fetch refused once (a claim deleted meanwhile) is tried again' '
	seed_repo refused 1 &&
	fresh refused &&
	mkdir refused/bin &&
	real_git=$(command -v git) &&
	cat >refused/bin/git <<-EOF &&
	#!/bin/sh
	for a in "\$@"; do
		if [ "\$a" = fetch ] && [ ! -e "$PWD/refused/failed" ]; then
			: >"$PWD/refused/failed"
			echo "fatal: remote error: upload-pack: not our ref 0000000000000000000000000000000000000000" >&2
			exit 128
		fi
	done
	exec "$real_git" "\$@"
	EOF
	chmod +x refused/bin/git &&
	( cd refused &&
	  PATH=$PWD/bin:$PATH knot worker -v --unboxed --once --poll=50 --repo=$PWD/repo.git \
		--silo=$PWD/shared.silo --work-dir=w1 >out 2>err ) &&
	test -e refused/failed &&
	test_must_be_empty refused/err &&
	grep -c "published r" refused/out >count && test "$(cat count)" = 1 &&
	check_published refused 1 --unboxed
'

test_expect_success 'usage errors and a platform this machine is not' '
	test_expect_code 2 knot worker --once 2>err &&
	grep -q "repo and --silo are needed" err &&
	( cd signed &&
	  test_expect_code 5 knot worker --once --platform=plan9/none --repo=$PWD/repo.git --silo=$PWD/shared.silo --work-dir=w9 2>err &&
	  grep -q "this machine is .*, not plan9/none" err )
'

test_done
