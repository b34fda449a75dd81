#!/bin/sh
test_description='trees of the tree kind holding names git refuses (.git and its NTFS and HFS+ aliases, .., .) are refused by expand, ls, cat, diff and mount: exit 8, nothing written'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"

export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache

# Everything in the trash directory but the silo, the git repository and
# the scratch files of the checks (x-*): what an expansion must not touch.
state() {
	find . -path ./deps.silo -prune -o -path ./r -prune -o -path ./cache -prune \
		-o -name "x-*" -prune -o -print | sort
}

# refused NAME [ENTRY]: m/NAME.treeptr is refused with exit 8 by expand
# (nothing written, no staging directory left), ls -r, cat and diff, each
# naming the entry ENTRY (default: NAME).
refused() {
	state >x-before &&
	test_expect_code 8 medo expand "m/$1.treeptr" dest 2>x-err &&
	grep "^medo: error: 'm/.*': tree [0-9a-f]* of '.*': refusing entry '" x-err &&
	grep -F "refusing entry '${2-$1}'" x-err &&
	state >x-after &&
	test_cmp x-before x-after &&
	test_expect_code 8 medo ls -r "m/$1.treeptr" >x-out 2>x-err &&
	test_must_be_empty x-out &&
	grep -F "refusing entry '${2-$1}'" x-err &&
	test_expect_code 8 medo cat "m/$1.treeptr" README >x-out 2>x-err &&
	test_must_be_empty x-out &&
	grep -F "refusing entry '${2-$1}'" x-err &&
	test_expect_code 8 medo diff m/plain.treeptr "m/$1.treeptr" 2>x-err &&
	grep -F "refusing entry '${2-$1}'" x-err
}

# hostile NAME TYPE: m/NAME.treeptr, a tree of README and NAME, a directory
# holding a git config (TYPE dir), a file (file) or a symlink (link).
hostile() {
	case $2 in
	dir) entry="40000 $1 $(cat config-tree)" && cat config-tree config >x-list ;;
	file) entry="100644 $1 $(cat payload)" && cat payload >x-list ;;
	link) entry="120000 $1 $(cat payload)" && cat payload >x-list ;;
	esac &&
	root=$(printf "%s\n" "100644 README $(cat readme)" "$entry" | mktree_raw r) &&
	cat readme >>x-list && echo $root >>x-list &&
	sizes_of r $root >x-sizes &&
	tree_treeptr r $root x-sizes deps.silo "m/$1.treeptr" x-list
}

test_expect_success 'setup: a silo, a medo directory, a git repository to make trees in' '
	silo init deps.silo &&
	mkdir m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	git init -q r &&
	echo hello | git -C r hash-object -w --stdin >readme &&
	printf "[core]\n\tfsmonitor = \"touch %s/pwned; false\"\n" "$TRASH_DIRECTORY" |
		git -C r hash-object -w --stdin >config &&
	echo payload | git -C r hash-object -w --stdin >payload &&
	printf "100644 blob %s\tconfig\n" $(cat config) | git -C r mktree >config-tree &&
	mkdir plain && echo hello >plain/README &&
	medo add -q --kind=tree plain m/plain.treeptr
'

test_expect_success 'the exploit: a .git repository in the tree, whose fsmonitor git status runs' '
	h=$(printf "ref: refs/heads/main\n" | git -C r hash-object -w --stdin) &&
	e=$(git -C r hash-object -w --stdin </dev/null) &&
	info=$(printf "100644 blob %s\tpacks\n" $e | git -C r mktree) &&
	objs=$(printf "040000 tree %s\tinfo\n" $info | git -C r mktree) &&
	refs=$(printf "100644 blob %s\t.keep\n" $e | git -C r mktree) &&
	dotgit=$(printf "100644 blob %s\tHEAD\n100644 blob %s\tconfig\n040000 tree %s\tobjects\n040000 tree %s\trefs\n" \
		$h $(cat config) $objs $refs | git -C r mktree) &&
	root=$(printf "040000 tree %s\t.git\n100644 blob %s\tREADME\n" $dotgit $(cat readme) | git -C r mktree) &&
	sizes_of r $root >sizes &&
	tree_treeptr r $root sizes deps.silo m/exploit.treeptr &&
	refused exploit .git &&
	! test -e dest &&
	! test -e pwned &&
	grep -F "refusing entry '"'.git'"': '"'.git'"' in its path" x-err
'

test_expect_success 'that tree written out as it is makes git status run the command' '
	root=$(sed -n "s/.*\"tree\": \"\([0-9a-f]*\)\".*/\1/p" m/exploit.treeptr) &&
	git -C r ls-tree -r $root >listing &&
	while read -r mode type id path; do
		mkdir -p "written/$(dirname "$path")" &&
		git -C r cat-file blob $id >"written/$path" || return 1
	done <listing &&
	(cd written && git status >/dev/null 2>&1 || true) &&
	test -e pwned && rm -rf pwned written
'

test_expect_success 'expand --force leaves what DEST holds as it was' '
	mkdir keep && echo mine >keep/file &&
	test_expect_code 8 medo expand --force m/exploit.treeptr keep 2>err &&
	ls -A keep >actual && echo file >expect && test_cmp expect actual &&
	echo mine >expect && test_cmp expect keep/file &&
	ls -a >all && ! grep "^\.tmp-" all
'

test_expect_success 'a .git file with gitdir: pointing at a repository beside it' '
	h=$(printf "ref: refs/heads/main\n" | git -C r hash-object -w --stdin) &&
	e=$(git -C r hash-object -w --stdin </dev/null) &&
	sub=$(printf "100644 blob %s\tx\n" $e | git -C r mktree) &&
	repo=$(printf "100644 blob %s\tHEAD\n100644 blob %s\tconfig\n040000 tree %s\tobjects\n040000 tree %s\trefs\n" \
		$h $(cat config) $sub $sub | git -C r mktree) &&
	gitdir=$(printf "gitdir: payload\n" | git -C r hash-object -w --stdin) &&
	root=$(printf "100644 blob %s\t.git\n100644 blob %s\tREADME\n040000 tree %s\tpayload\n" \
		$gitdir $(cat readme) $repo | git -C r mktree) &&
	sizes_of r $root >sizes &&
	tree_treeptr r $root sizes deps.silo m/gitfile.treeptr &&
	refused gitfile .git &&
	! test -e pwned
'

# The names git refuses in a tree (fsck, verify_path with protectNTFS and
# protectHFS), as directories holding a config.
for name in .GIT .Git .gIT ".git " .git. ".git . ." git~1 GIT~1 ".git::\$INDEX_ALLOCATION" \
	".git:stream" "$(printf ".g\342\200\214it")" "$(printf ".git\357\273\277")" \
	"$(printf ".\342\200\215GIT")" 'sub\.git' '.git\x' .. .; do
	test_expect_success "a directory named '$name' is refused" "
		hostile '$name' dir &&
		refused '$name' &&
		! test -e pwned
	"
done

test_expect_success 'a file or a symlink named .git or git~1 is refused too' '
	hostile .git file && refused .git &&
	hostile "GiT~1" link && refused "GiT~1" &&
	hostile ".git. " file && refused ".git. "
'

test_expect_success 'a symlink NTFS or HFS+ reads as .gitmodules is refused; a file is kept' '
	hostile .gitmodules link && refused .gitmodules &&
	hostile GI7EBA~1 link && refused GI7EBA~1 &&
	hostile ".gitmodules . " link && refused ".gitmodules . " &&
	hostile .gitmodules file &&
	medo expand m/.gitmodules.treeptr gitmodules &&
	echo payload >expect && test_cmp expect gitmodules/.gitmodules
'

test_expect_success 'an empty name or a name with a slash, which git cannot check out, is refused' '
	root=$(printf "%s\n" "100644  $(cat readme)" "100644 README $(cat readme)" | mktree_raw r) &&
	printf "6\n6\n" >sizes &&
	echo $(cat readme) >list && echo $root >>list &&
	tree_treeptr r $root sizes deps.silo m/empty.treeptr list &&
	test_expect_code 8 medo expand m/empty.treeptr dest 2>err &&
	grep "refusing entry .*an empty name" err &&
	root=$(printf "%s\n" "100644 README $(cat readme)" "100644 a/b $(cat readme)" | mktree_raw r) &&
	echo $root >list2 && cat readme >>list2 &&
	tree_treeptr r $root sizes deps.silo m/slash.treeptr list2 &&
	test_expect_code 8 medo expand m/slash.treeptr dest 2>err &&
	grep "refusing entry .a/b.: a ./. in a name" err &&
	! test -e dest
'

test_expect_success 'names that only look like .git are kept, and expand as git writes them' '
	mkdir lookalike lookalike/.github lookalike/sub &&
	for n in .gitignore .gitattributes .git-blame-ignore-revs .gitx a.git "git~2" "git~10" \
		"git~1x" ".git-" "sub/.gitkeep" ".github/workflow.yml" "..." ".. " ".git~1"; do
		echo "kept: $n" >"lookalike/$n" || return 1
	done &&
	medo add -q --kind=tree lookalike m/lookalike.treeptr &&
	medo expand m/lookalike.treeptr lookalike-out &&
	diff -r lookalike lookalike-out &&
	medo verify m/lookalike.treeptr lookalike-out &&
	git init -q --bare g.git &&
	git --git-dir=g.git --work-tree=lookalike add -A &&
	git --git-dir=g.git write-tree >expect &&
	medo tree-id lookalike-out >actual &&
	test_cmp expect actual
'

test_expect_success FUSE 'medo mount refuses such a tree and mounts nothing' '
	mkdir mnt &&
	test_when_finished "! grep -q \" \$PWD/mnt fuse\" /proc/mounts || medo mount -u mnt" &&
	test_expect_code 8 medo mount m/exploit.treeptr mnt 2>err &&
	grep "refusing entry .\.git." err &&
	! grep " $PWD/mnt fuse" /proc/mounts &&
	ls -A mnt >actual && test_must_be_empty actual
'

test_done
