#!/bin/sh
test_description='medo add --git: a repository at a commit with its submodules, as a recursive clone checks it out; recipes built from it'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

# The objects of the silo, to see that a refusal stored nothing.
silo_files() {
	find s.silo -type f | sort
}

# A field of the provenance medo add wrote.
prov() {
	sed -n "s/^    \"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" "$2"
}

# No temporary clone is left behind.
no_clone_left() {
	! ls "$TMPDIR" | grep medo-git
}

test_expect_success 'setup: a superproject with a submodule that has one of its own' '
	git config --global user.name T &&
	git config --global user.email t@example.org &&
	git config --global protocol.file.allow always &&
	git config --global init.defaultBranch main &&
	silo init s.silo &&
	mkdir m.medo &&
	echo "{ \"silos\": [\"../s.silo\"] }" >m.medo/SILO.json &&
	git init -q deep &&
	echo deep >deep/deep.txt &&
	git -C deep add . && git -C deep commit -q -m deep &&
	git init -q sub &&
	mkdir sub/bin && printf "#!/bin/sh\necho run\n" >sub/bin/run && chmod +x sub/bin/run &&
	ln -s bin/run sub/link &&
	git -C sub add . &&
	git -C sub submodule add -q ../deep vendor/deep &&
	git -C sub commit -q -m sub &&
	git init -q super &&
	echo top >super/README &&
	git -C super add . &&
	git -C super submodule add -q ../sub lib/sub &&
	git -C super commit -q -m one &&
	git -C super tag v1 &&
	git -C super checkout -q -b next &&
	echo two >super/two.txt && git -C super add two.txt && git -C super commit -q -m two &&
	git -C super checkout -q main &&
	git clone -q --recurse-submodules --branch v1 super ref-v1 2>/dev/null &&
	test -f ref-v1/lib/sub/vendor/deep/deep.txt
'

test_expect_success 'a tag is stored with its submodules, as a recursive clone checks it out' '
	medo add --git=super@v1 m.medo/v1.treeptr &&
	medo expand m.medo/v1.treeptr out-v1 &&
	diff -r --exclude=.git ref-v1 out-v1 &&
	find out-v1 -name .git >dot-git && test_must_be_empty dot-git &&
	test -x out-v1/lib/sub/bin/run &&
	test "$(readlink out-v1/lib/sub/link)" = bin/run &&
	no_clone_left
'

test_expect_success 'the provenance names the repository, the commit and each submodule' '
	tp=m.medo/v1.treeptr &&
	test "$(prov source $tp)" = "$PWD/super" &&
	test "$(prov git-rev $tp)" = v1 &&
	test "$(prov git-commit $tp)" = "$(git -C super rev-parse v1^{commit})" &&
	printf "    \"git-submodules\": \"%s lib/sub\\\\n%s lib/sub/vendor/deep\",\n" \
		"$(git -C sub rev-parse HEAD)" "$(git -C deep rev-parse HEAD)" >expect &&
	grep "\"git-submodules\"" $tp >actual &&
	test_cmp expect actual &&
	! grep -q "\"git-path\"" $tp
'

test_expect_success 'the same commit gives the same object from another clone, umask and time' '
	git clone -q super other &&
	(umask 077 && medo add -v --git=other@v1 m.medo/other.treeptr >out) &&
	object=$(sed -n "s/^  \"object\": \"\(.*\)\",\$/\1/p" m.medo/v1.treeptr) &&
	grep -q "^wrote m.medo/other.treeptr tar $object\$" out
'

test_expect_success '--kind=tree stores the same tree; a branch of the repository and a commit id are revisions' '
	medo add --kind=tree --git=super@v1 m.medo/v1-tree.treeptr &&
	tree=$(sed -n "s/^  \"tree\": \"\(.*\)\",\$/\1/p" m.medo/v1.treeptr) &&
	grep -q "^  \"kind\": \"tree\",\$" m.medo/v1-tree.treeptr &&
	grep -q "^  \"tree\": \"$tree\",\$" m.medo/v1-tree.treeptr &&
	medo add --git=super@next m.medo/next.treeptr &&
	medo expand m.medo/next.treeptr out-next &&
	echo two >expect && test_cmp expect out-next/two.txt &&
	test -f out-next/lib/sub/vendor/deep/deep.txt &&
	commit=$(git -C super rev-parse next) &&
	medo add --git=super@$commit m.medo/next-id.treeptr &&
	test "$(prov git-commit m.medo/next-id.treeptr)" = $commit
'

test_expect_success 'REV:PATH stores one directory of the tree' '
	medo add --git=super@v1:lib/sub/ m.medo/sub.treeptr &&
	medo expand m.medo/sub.treeptr out-sub &&
	diff -r --exclude=.git ref-v1/lib/sub out-sub &&
	test "$(prov git-path m.medo/sub.treeptr)" = lib/sub &&
	test "$(prov git-rev m.medo/sub.treeptr)" = v1
'

test_expect_success 'a revision the repository does not have: named, nothing written' '
	silo_files >before &&
	test_expect_code 3 medo add --git=super@nope m.medo/bad.treeptr 2>err &&
	echo "medo: error: cannot add '\''super'\'' at '\''nope'\'': the repository has no commit '\''nope'\''" >expect &&
	test_cmp expect err &&
	test_expect_code 3 medo add --git=missing@v1 m.medo/bad.treeptr 2>err &&
	echo "medo: error: cannot add '\''missing'\'' at '\''v1'\'': git clone failed: fatal: repository '\''missing'\'' does not exist" >expect &&
	test_cmp expect err &&
	test_expect_code 3 medo add --git=super@v1:lib/../.. m.medo/bad.treeptr 2>err &&
	echo "medo: error: cannot add '\''super'\'' at '\''v1'\'': its tree has no directory '\''lib/../..'\''" >expect &&
	test_cmp expect err &&
	test_expect_code 3 medo add --git=super@v1:README m.medo/bad.treeptr 2>err &&
	grep -q "its tree has no directory .README.\$" err &&
	test_expect_code 2 medo add --git=super m.medo/bad.treeptr 2>err &&
	grep -q "^medo: error: --git expects REPO@REV, not .super.\$" err &&
	test_expect_code 2 medo add --git=super@v1 dir m.medo/bad.treeptr 2>err &&
	grep -q "^medo: error: expected a treeptr after --git\$" err &&
	! test -e m.medo/bad.treeptr &&
	silo_files >after && test_cmp before after &&
	no_clone_left
'

test_expect_success 'a submodule commit that cannot be fetched: named, nothing written' '
	git clone -q sub sub-work &&
	echo gone >sub-work/gone.txt && git -C sub-work add gone.txt &&
	git -C sub-work commit -q -m gone &&
	gone=$(git -C sub-work rev-parse HEAD) &&
	git -C super checkout -q -b broken &&
	git -C super/lib/sub fetch -q ../../../sub-work &&
	git -C super/lib/sub checkout -q $gone &&
	git -C super add lib/sub && git -C super commit -q -m broken &&
	git -C super checkout -q main &&
	commit=$(git -C super rev-parse broken) &&
	silo_files >before &&
	test_expect_code 3 medo add --git=super@broken m.medo/broken.treeptr 2>err &&
	grep "^medo: error: cannot add .super. at .broken. (commit $commit): cannot check out its submodules: git submodule failed: fatal: " err &&
	grep -q "fatal: Fetched in submodule path .lib/sub., but it did not contain $gone. Direct fetching of that commit failed." err &&
	test_line_count = 1 err &&
	! test -e m.medo/broken.treeptr &&
	silo_files >after && test_cmp before after &&
	no_clone_left
'

test_expect_success 'setup: a project whose recipes take their sources from its own repository' '
	git init -q proj &&
	mkdir -p proj/deps/source.medo/gitsub proj/deps/source.medo/helper proj/tools &&
	echo "{ \"silos\": [\"../../deps.silo\"] }" >proj/deps/source.medo/SILO.json &&
	printf "#!/bin/sh\necho helper at work\n" >proj/tools/helper.sh &&
	echo "not the source" >proj/tools/other.txt &&
	cat >proj/deps/source.medo/helper/WEDGE <<-\EOF &&
	WEDGE_NAME=helper
	WEDGE_VERSION=2023-02-28
	wedge-make() {
	  local src_dir=$1 build_dir=$2
	  cp $src_dir/helper.sh $build_dir/helper
	}
	wedge-install() {
	  local build_dir=$1 install_dir=$2
	  mkdir -p $install_dir
	  cp $build_dir/helper $install_dir/helper
	  chmod +x $install_dir/helper
	}
	wedge-smoke-test() {
	  local install_dir=$1
	  $install_dir/helper
	}
	EOF
	cat >proj/deps/source.medo/gitsub/WEDGE <<-\EOF &&
	WEDGE_NAME=gitsub
	WEDGE_VERSION=1
	wedge-make() {
	  local src_dir=$1 build_dir=$2 install_dir=$3
	  mkdir -p $install_dir
	  cp --recursive --no-target-directory $src_dir/ $install_dir/
	}
	wedge-install() {
	  true
	}
	wedge-smoke-test() {
	  local install_dir=$1
	  cat $install_dir/lib/sub/vendor/deep/deep.txt
	}
	EOF
	printf "deps.silo/\nderived.medo/\n" >proj/.gitignore &&
	git -C proj add . && git -C proj commit -q -m recipes &&
	silo init proj/deps.silo &&
	(cd proj &&
	 medo add --git=.@HEAD:tools deps/source.medo/helper/helper-2023-02-28.treeptr &&
	 medo add --git=../super@v1 deps/source.medo/gitsub/gitsub-1.treeptr)
'

test_expect_success BOX 'knot builds both: the submodule is in the wedge, the file from the repository runs' '
	(cd proj && knot build -q deps/source.medo) &&
	(cd proj && knot_derived gitsub 1) >path &&
	tp=proj/$(cat path) &&
	medo expand $tp out-gitsub &&
	diff -r --exclude=.git ref-v1 out-gitsub &&
	(cd proj && knot_derived helper 2023-02-28) >path &&
	tp=proj/$(cat path) &&
	medo expand $tp out-helper &&
	ls out-helper >actual && echo helper >expect && test_cmp expect actual &&
	out-helper/helper >actual && echo "helper at work" >expect && test_cmp expect actual &&
	log=$(knot_prov log $tp) &&
	silo cat --silo proj/deps.silo $log >log &&
	grep -q "^helper at work\$" log
'

test_done
