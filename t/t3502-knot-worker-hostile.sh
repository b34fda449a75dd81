#!/bin/sh
test_description='knot worker: a repository whose links lead out of the clone is refused'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

command -v rsync >/dev/null || { echo "1..0 # SKIP rsync is missing"; exit 0; }

T=$TRASH_DIRECTORY

test_expect_success 'setup: a repository with one recipe, a directory outside' '
	silo init shared.silo &&
	mkdir -p seed/deps/source.medo/r1 src/r1-1.0 outside &&
	echo source >src/r1-1.0/data.txt &&
	echo "{ \"silos\": [\"$T/shared.silo\"] }" >seed/deps/source.medo/SILO.json &&
	medo add src seed/deps/source.medo/r1/r1-1.0.treeptr &&
	printf "WEDGE_NAME=r1\nWEDGE_VERSION=1.0\nwedge-make() { :; }\nwedge-install() { echo hi >\$2/x; }\n" \
		>seed/deps/source.medo/r1/WEDGE &&
	git -C seed init -q -b main &&
	git -C seed add -A && git -C seed -c user.name=t -c user.email=t@t commit -q -m recipes
'

# hostile_repo WHAT LINK TARGET: the seed with the symbolic link LINK
# (in the repository) to TARGET committed, as the bare WHAT.git.
hostile_repo() {
	rm -rf $1.seed $1.git &&
	cp -r seed $1.seed &&
	mkdir -p "$(dirname $1.seed/$2)" &&
	ln -s "$3" $1.seed/$2 &&
	git -C $1.seed add -A && git -C $1.seed -c user.name=t -c user.email=t@t commit -q -m link &&
	git clone -q --bare $1.seed $1.git
}

# refused WHAT LINK: a worker on WHAT.git exits 5 naming LINK, writes
# nothing outside its clone and leaves no claim.
refused() {
	test_expect_code 5 knot worker --unboxed --once --poll=50 --repo=$T/$1.git \
		--silo=$T/shared.silo --work-dir=w-$1 2>err &&
	printf "knot: error: \047%s\047 in the repository is a symbolic link: a worker reads and writes only in its clone\n" "$2" >expect &&
	test_cmp expect err &&
	find outside -mindepth 1 >written &&
	test_must_be_empty written &&
	git --git-dir=$1.git for-each-ref refs/knot/claims/ >claims &&
	test_must_be_empty claims
}

test_expect_success 'a derived medo that is a link out of the clone' '
	hostile_repo derived deps/derived.medo "$T/outside" &&
	refused derived deps/derived.medo
'

test_expect_success 'a link deeper in the derived medo' '
	hostile_repo platform deps/derived.medo/$(knot_platform_dir) "$T/outside" &&
	refused platform deps/derived.medo/$(knot_platform_dir)
'

test_expect_success 'a derived treeptr or its signature that is a link' '
	hostile_repo treeptr deps/derived.medo/$(knot_platform_dir)/r1-1.0.treeptr "$T/outside/x" &&
	refused treeptr deps/derived.medo/$(knot_platform_dir)/r1-1.0.treeptr &&
	hostile_repo sig deps/derived.medo/$(knot_platform_dir)/r1-1.0.treeptr.sig "$T/outside/x" &&
	refused sig deps/derived.medo/$(knot_platform_dir)/r1-1.0.treeptr.sig
'

test_expect_success 'a source medo that is a link out of the clone' '
	rm -rf moved.seed && cp -r seed moved.seed &&
	mv moved.seed/deps/source.medo "$T/outside-medo" &&
	test_when_finished "rm -rf \"$T/outside-medo\"" &&
	ln -s "$T/outside-medo" moved.seed/deps/source.medo &&
	git -C moved.seed add -A && git -C moved.seed -c user.name=t -c user.email=t@t commit -q -m link &&
	git clone -q --bare moved.seed moved.git &&
	refused moved deps/source.medo
'

# failing_repo WHAT INSTALL-BODY [OBJECT]: the seed with a recipe f1
# beside r1, whose wedge-install runs INSTALL-BODY and whose source
# treeptr is r1's (naming OBJECT instead, when given), as WHAT.git.
failing_repo() {
	rm -rf $1.seed && cp -r seed $1.seed &&
	mkdir $1.seed/deps/source.medo/f1 &&
	sed "${3:+s/\"object\": \"[0-9a-f]*\"/\"object\": \"$3\"/}" seed/deps/source.medo/r1/r1-1.0.treeptr \
		>$1.seed/deps/source.medo/f1/f1-1.0.treeptr &&
	printf "WEDGE_NAME=f1\nWEDGE_VERSION=1.0\nwedge-make() { :; }\nwedge-install() { %s; }\n" "$2" \
		>$1.seed/deps/source.medo/f1/WEDGE &&
	git -C $1.seed add -A && git -C $1.seed -c user.name=t -c user.email=t@t commit -q -m f1 &&
	git clone -q --bare $1.seed $1.git
}

# goes_on WHAT MESSAGE: a worker on WHAT.git reports f1 failed with
# MESSAGE (a pattern), publishes r1 all the same, and exits 9.
goes_on() {
	test_expect_code 9 knot worker -v --unboxed --once --poll=50 --repo=$T/$1.git \
		--silo=$T/shared.silo --work-dir=w-$1 >out 2>err &&
	grep -q " failed f1/1.0 [0-9a-f]*: $2" out &&
	grep -q " published r1/1.0 " out &&
	grep -q " done: 1 built, 0 adopted, 1 failed," out
}

test_expect_success 'a recipe whose install directory is no tree fails; the worker goes on' '
	failing_repo gitdir "mkdir \$2/.git" &&
	goes_on gitdir "f1/1.0: its install directory cannot be published: "
'

test_expect_success 'a recipe whose source cannot be expanded fails; the worker goes on' '
	failing_repo nosrc : 1111111111111111111111111111111111111111 &&
	goes_on nosrc "cannot expand the source of f1/1.0: object 1111111111111111111111111111111111111111 is not in silo"
'

# A claim's age is its commit's time, which whoever pushes it chooses.
test_expect_success 'a claim dated in the far future has expired' '
	git clone -q --bare seed future.git &&
	key=$(knot key --unboxed seed/deps/source.medo/r1 | cut -d" " -f1) &&
	empty=$(git --git-dir=future.git hash-object -w -t tree /dev/null) &&
	claim=$(GIT_COMMITTER_DATE="@4000000000 +0000" git --git-dir=future.git -c user.name=t -c user.email=t@t \
		commit-tree -m "claim forever" $empty) &&
	git --git-dir=future.git update-ref refs/knot/claims/$key $claim &&
	knot worker -v --unboxed --once --poll=50 --claim-timeout=3600 --repo=$T/future.git \
		--silo=$T/shared.silo --work-dir=w-future >out &&
	grep -q " took over the expired claim on r1/1.0 $key\$" out &&
	grep -q " published r1/1.0 $key\$" out
'

test_expect_success 'a .gitignore of the repository does not keep a build from being published' '
	rm -rf ignore.seed && cp -r seed ignore.seed &&
	printf "*.treeptr\n*.json\n" >ignore.seed/.gitignore &&
	git -C ignore.seed add .gitignore && git -C ignore.seed -c user.name=t -c user.email=t@t commit -q -m ignore &&
	git clone -q --bare ignore.seed ignore.git &&
	knot worker -v --unboxed --once --poll=50 --repo=$T/ignore.git \
		--silo=$T/shared.silo --work-dir=w-ignore >out &&
	grep -q " published r1/1.0 " out &&
	git clone -q ignore.git ignore.check &&
	test -f ignore.check/deps/derived.medo/$(knot_platform_dir)/r1-1.0.treeptr &&
	test -f ignore.check/deps/derived.medo/SILO.json
'

test_expect_success 'the same repository without links builds' '
	git clone -q --bare seed plain.git &&
	knot worker --unboxed --once --poll=50 --repo=$T/plain.git --silo=$T/shared.silo --work-dir=w-plain &&
	git clone -q plain.git plain.check &&
	test -f plain.check/deps/derived.medo/$(knot_platform_dir)/r1-1.0.treeptr
'

test_done
