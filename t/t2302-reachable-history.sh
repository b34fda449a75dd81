#!/bin/sh
test_description='medo reachable over git history, and a GC recipe a typo cannot turn into a wipe'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-gc.sh"

# The object id a treeptr names.
object_of() {
	field object "$1"
}

# Commit everything with both dates set to $1 (a git date).
commit_at() {
	git add -A && GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

test_expect_success 'setup: a repository whose treeptr changes over three commits' '
	git init -q repo && cd repo &&
	silo init deps.silo &&
	mkdir -p deps/a.medo deps/b.medo &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >deps/a.medo/SILO.json &&
	cp deps/a.medo/SILO.json deps/b.medo/ &&
	mkdir tree && echo one >tree/f &&
	medo add tree deps/a.medo/t.treeptr && object_of deps/a.medo/t.treeptr >../v1 &&
	echo other >o && medo add --opaque o deps/b.medo/o.treeptr &&
	object_of deps/b.medo/o.treeptr >../vb &&
	commit_at "2020-01-01T00:00:00Z" one &&
	echo two >tree/f && medo add --force tree deps/a.medo/t.treeptr &&
	object_of deps/a.medo/t.treeptr >../v2 &&
	commit_at "2020-02-01T00:00:00Z" two &&
	git tag old-release HEAD~1 &&
	git rm -q -r deps/b.medo &&
	echo three >tree/f && medo add --force tree deps/a.medo/t.treeptr &&
	object_of deps/a.medo/t.treeptr >../v3 &&
	git add -A && git commit -q -m three &&
	test "$(cat ../v1)" != "$(cat ../v2)" && test "$(cat ../v2)" != "$(cat ../v3)"
'

test_expect_success 'the working tree alone names only the newest object' '
	(cd repo && medo reachable deps/a.medo) >actual &&
	test_cmp v3 actual
'

test_expect_success '--all names every object of every commit' '
	cat v1 v2 v3 vb | sort >expect &&
	(cd repo && medo reachable --all) >actual &&
	test_cmp expect actual
'

test_expect_success '--rev names the snapshot of one commit' '
	sort v2 vb >expect &&
	(cd repo && medo reachable --rev HEAD~1) >actual &&
	test_cmp expect actual
'

test_expect_success '--rev repeats, and takes a range' '
	sort v1 v3 vb >expect &&
	(cd repo && medo reachable --rev old-release --rev HEAD) >actual &&
	test_cmp expect actual &&
	sort v2 v3 vb >expect &&
	(cd repo && medo reachable --rev=old-release..HEAD) >actual &&
	test_cmp expect actual
'

test_expect_success 'directories restrict history to their paths' '
	sort v1 v2 v3 >expect &&
	(cd repo && medo reachable --all deps/a.medo) >actual &&
	test_cmp expect actual
'

test_expect_success 'a directory gone from disk still counts in history' '
	! test -e repo/deps/b.medo &&
	(cd repo && medo reachable --rev HEAD~1 deps/b.medo) >actual &&
	test_cmp vb actual
'

test_expect_success 'paths are taken relative to the current directory' '
	sort v1 v3 vb >expect &&
	(cd repo/deps && medo reachable --rev HEAD~2 a.medo ./b.medo/../b.medo) >actual &&
	test_cmp expect actual
'

test_expect_success '--since keeps the period and every tip' '
	cat v3 >expect &&
	(cd repo && git tag -d old-release >/dev/null &&
	 medo reachable --all --since=2021-01-01) >actual &&
	test_cmp expect actual &&
	(cd repo && git tag old-release HEAD~2) &&
	sort v1 v3 vb >expect &&
	(cd repo && medo reachable --all --since=2021-01-01) >actual &&
	test_cmp expect actual
'

test_expect_success 'uncommitted treeptrs of the given directories count too' '
	(cd repo && echo four >tree/f && medo add --force tree deps/a.medo/t.treeptr &&
	 object_of deps/a.medo/t.treeptr >../v4 &&
	 medo reachable --rev HEAD deps/a.medo) >actual &&
	sort v3 v4 >expect &&
	test_cmp expect actual &&
	(cd repo && git checkout -q deps/a.medo/t.treeptr)
'

test_expect_success 'a revision that does not exist is an error' '
	test_expect_code 3 sh -c "cd repo && medo reachable --rev no-such-branch" >out 2>err &&
	echo "medo: error: '\''no-such-branch'\'' is not a commit of the git repository" >expect &&
	test_cmp expect err
'

test_expect_success 'a revision or path that holds no treeptr is an error' '
	test_expect_code 3 sh -c "cd repo && medo reachable --rev HEAD deps/typo.medo" >out 2>err &&
	cat >expect <<-\EOF &&
	medo: error: revision '\''HEAD'\'' holds no treeptr in the given directories
	medo: error: '\''deps/typo.medo'\'' holds no treeptr, on disk or in any commit given
	EOF
	test_cmp expect err
'

test_expect_success 'without history, a missing or empty directory is an error' '
	test_expect_code 3 sh -c "cd repo && medo reachable deps/typo.medo" 2>err &&
	grep "^medo: error: cannot open .deps/typo.medo.: No such file or directory$" err &&
	mkdir empty.medo &&
	test_expect_code 3 medo reachable empty.medo >out 2>err &&
	test_must_be_empty out &&
	echo "medo: error: '\''empty.medo'\'' holds no treeptr" >expect &&
	test_cmp expect err
'

test_expect_success 'outside a git repository, history is an error naming git' '
	test_expect_code 9 medo reachable --all 2>err &&
	grep "^medo: error: git rev-parse failed: fatal: not a git repository" err
'

test_expect_success 'a malformed treeptr in history is named, the rest printed' '
	(cd repo && echo "{}" >deps/a.medo/bad.treeptr && git add -A && git commit -q -m bad) &&
	test_expect_code 5 sh -c "cd repo && medo reachable --rev HEAD" >actual 2>err &&
	test_cmp v3 actual &&
	blob=$(cd repo && git rev-parse HEAD:deps/a.medo/bad.treeptr | cut -c1-12) &&
	grep "^medo: error: .deps/a.medo/bad.treeptr (git blob $blob).: missing field .treeptr." err &&
	(cd repo && git reset -q --hard HEAD~1 &&
	 git reflog expire --expire-unreachable=now --all)
'

test_expect_success 'SHA-256 repositories are read too' '
	git init -q --object-format=sha256 repo256 &&
	cp -R repo/deps repo/deps.silo repo256/ && rm -rf repo256/deps/b.medo &&
	(cd repo256 && git add -A && git commit -q -m one && medo reachable --all) >actual &&
	test_cmp v3 actual
'

test_expect_success 'after GC with --all, an old commit still expands' '
	echo garbage >g && silo put --silo repo/deps.silo g >gid &&
	(cd repo && medo reachable --all >../keep) &&
	silo prune --silo repo/deps.silo --keep keep --expire now &&
	silo ls --silo repo/deps.silo | sort >left &&
	sort -u v1 v2 v3 vb >expect && test_cmp expect left &&
	(cd repo && git checkout -q HEAD~2 && medo expand deps/a.medo/t.treeptr ../old &&
	 git checkout -q -) &&
	echo one >expect && test_cmp expect old/f
'

test_expect_success '--all keeps what reflogs name: older stashes, commits reset away' '
	git init -q reflogs && cd reflogs &&
	silo init ../reflogs.silo && mkdir m &&
	echo "{ \"silos\": [\"../../reflogs.silo\"] }" >m/SILO.json &&
	mkdir tree && echo base >tree/f && medo add tree m/t.treeptr &&
	git add -A && git commit -q -m base && object_of m/t.treeptr >../rl-base &&
	echo one >tree/f && medo add --force tree m/t.treeptr &&
	object_of m/t.treeptr >../rl-stash1 && git stash -q &&
	echo two >tree/f && medo add --force tree m/t.treeptr &&
	object_of m/t.treeptr >../rl-stash0 && git stash -q &&
	echo gone >tree/f && medo add --force tree m/t.treeptr &&
	object_of m/t.treeptr >../rl-reset && git commit -q -a -m later &&
	git reset -q --hard HEAD~ &&
	sort ../rl-base ../rl-stash1 ../rl-stash0 ../rl-reset >../expect &&
	medo reachable --all >../actual &&
	test_cmp ../expect ../actual &&
	age_silo ../reflogs.silo &&
	medo gc -q --silo ../reflogs.silo --force &&
	git show stash@{1}:m/t.treeptr >m/old-stash.treeptr &&
	medo expand m/old-stash.treeptr ../rl-out &&
	echo one >../expect && test_cmp ../expect ../rl-out/f
'

# deep_commit REPO DEPTH TREEPTR: a branch "deep" of REPO whose one commit
# holds TREEPTR DEPTH directories down (a/a/.../t.treeptr), written as
# one pack, which git makes without complaint.
deep_commit() {
	python3 - "$@" <<-\EOF
	import hashlib, struct, subprocess, sys, zlib
	repo, depth, treeptr = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	objs = []
	def obj(kind, data):
	    objs.append((kind, data))
	    return hashlib.sha1(b"%s %d\0" % (kind, len(data)) + data).digest()
	t = obj(b"tree", b"100644 t.treeptr\0" + obj(b"blob", open(treeptr, "rb").read()))
	for i in range(depth):
	    t = obj(b"tree", b"40000 a\0" + t)
	c = obj(b"commit", b"tree %s\nauthor a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\ndeep\n" % t.hex().encode())
	pack = bytearray(b"PACK" + struct.pack(">II", 2, len(objs)))
	for kind, data in objs:
	    n = len(data)
	    b = ({b"commit": 1, b"tree": 2, b"blob": 3}[kind] << 4) | (n & 15)
	    n >>= 4
	    while n:
	        pack.append(b | 0x80)
	        b, n = n & 0x7f, n >> 7
	    pack.append(b)
	    pack += zlib.compress(data, 1)
	pack += hashlib.sha1(pack).digest()
	subprocess.run(["git", "-C", repo, "index-pack", "--stdin"], input=bytes(pack),
	               stdout=subprocess.DEVNULL, check=True)
	subprocess.run(["git", "-C", repo, "update-ref", "refs/heads/deep", c.hex()], check=True)
	EOF
}

test_expect_success 'a tree nested deeper than git reads is refused, and nothing printed' '
	git init -q deep &&
	deep_commit deep 60000 repo/deps/a.medo/t.treeptr &&
	test_expect_code 5 sh -c "cd deep && medo reachable --all" >out 2>err &&
	test_must_be_empty out &&
	grep "^medo: error: git tree [0-9a-f]* at .a/a/a/.*. is nested deeper than 4096 directories$" err &&
	test_line_count 1 err &&
	git init -q deep2 && deep_commit deep2 4000 repo/deps/a.medo/t.treeptr &&
	(cd deep2 && medo reachable --all) >actual &&
	test_cmp v3 actual
'

# The recipe of medo-reachable(1) for a host with only a web server and a
# shell, as written there, with "ssh host" replaced by "sh -c" on a copy.
cat >recipe.sh <<\EOF
medo reachable --paths "$@" >keep || exit
silo ls --paths --silo mirror.silo | sort >have || exit
sort keep | comm -23 have - | sh -c 'cd mirror.silo && xargs -r rm --'
EOF

test_expect_success 'the documented recipe removes garbage and keeps the rest' '
	cp -R repo/deps.silo repo/mirror.silo &&
	silo put --silo repo/mirror.silo g >gid &&
	(cd repo && sh ../recipe.sh --all) &&
	silo ls --silo repo/mirror.silo | sort >left &&
	sort -u v1 v2 v3 vb >expect &&
	test_cmp expect left
'

test_expect_success 'the documented recipe with a typo deletes nothing and fails' '
	silo put --silo repo/mirror.silo g >gid &&
	silo ls --silo repo/mirror.silo | sort >before &&
	test_line_count 5 before &&
	(cd repo && test_expect_code 3 sh ../recipe.sh deps/typo.medo 2>err) &&
	silo ls --silo repo/mirror.silo | sort >after &&
	test_cmp before after
'

test_done
