#!/bin/sh
test_description='medo tree-id of a directory equals git write-tree'
. "$(dirname "$0")/test-lib.sh"

GIT_CONFIG_NOSYSTEM=1
GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
export GIT_CONFIG_NOSYSTEM GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL

# What 'git add -A && git write-tree' prints for DIR, without touching it.
git_tree_id() {
	rm -rf "$TRASH_DIRECTORY/g.git" &&
	git init -q --bare --object-format="$2" "$TRASH_DIRECTORY/g.git" &&
	git --git-dir="$TRASH_DIRECTORY/g.git" --work-tree="$1" add -A &&
	git --git-dir="$TRASH_DIRECTORY/g.git" write-tree
}

# Both formats: medo tree-id DIR equals git's answer.
check_tree() {
	for f in sha1 sha256; do
		git_tree_id "$1" $f >expect &&
		medo tree-id --object-format=$f "$1" >actual &&
		test_cmp expect actual || return 1
	done
}

long=$(printf 'x%.0s' $(seq 1 200))
nl='
'

test_expect_success 'an empty directory is the empty tree' '
	mkdir empty &&
	echo 4b825dc642cb6eb9a060e54bf8d69288fbee4904 >expect &&
	medo tree-id empty >actual &&
	test_cmp expect actual &&
	echo 6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321 >expect &&
	medo tree-id --object-format=sha256 empty >actual &&
	test_cmp expect actual
'

test_expect_success 'a known small tree has its known id' '
	mkdir small && echo hello >small/a &&
	echo 0976950c1fdbcb52435a433913017bf044b3a58f >expect &&
	medo tree-id small >actual &&
	test_cmp expect actual
'

test_expect_success 'plain, empty and executable files' '
	mkdir t1 &&
	echo one >t1/file && : >t1/empty &&
	echo run >t1/exec && chmod 755 t1/exec &&
	echo own >t1/owner-x && chmod 744 t1/owner-x &&
	echo grp >t1/group-x && chmod 654 t1/group-x &&
	echo ro >t1/read-only && chmod 444 t1/read-only &&
	check_tree t1
'

test_expect_success 'symlinks: relative, absolute, dangling, to a directory' '
	mkdir -p t2/sub &&
	echo x >t2/sub/target &&
	ln -s sub/target t2/rel &&
	ln -s /etc/passwd t2/abs &&
	ln -s does/not/exist t2/dangling &&
	ln -s sub t2/dirlink &&
	ln -s .. t2/sub/up &&
	check_tree t2
'

test_expect_success 'odd names: spaces, newlines, UTF-8, not UTF-8, 200 bytes' '
	mkdir -p "t3/with space/in dir" &&
	echo s >"t3/with space/in dir/a file" &&
	echo n >"t3/new${nl}line" &&
	mkdir "t3/dir${nl}nl" && echo m >"t3/dir${nl}nl/f" &&
	echo u >"t3/$(printf "\303\251t\303\251")" &&
	echo k >"t3/$(printf "\346\227\245\346\234\254")" &&
	echo b >"t3/$(printf "latin1-\351")" &&
	ln -s "$(printf "to-\351")" t3/link-latin1 &&
	mkdir "t3/$long" && echo l >"t3/$long/$long" &&
	check_tree t3
'

test_expect_success 'deep nesting' '
	d=t4 && for i in $(seq 1 60); do d=$d/d$i; done &&
	mkdir -p $d && echo deep >$d/leaf && echo top >t4/top &&
	check_tree t4
'

test_expect_success 'git order: a, a.b, a/ (a directory), a0, a-, a_' '
	mkdir -p t5/a t5/b && echo 1 >t5/a.b && echo 2 >t5/a/x && echo 3 >t5/a0 &&
	echo 4 >t5/a- && echo 5 >t5/a_ && echo 6 >t5/b/c && echo 7 >t5/b.c &&
	mkdir t5/a/a && echo 8 >t5/a/a/a && echo 9 >t5/a/a.txt && echo 10 >t5/a/a0 &&
	echo 11 >t5/Z && echo 12 >t5/_ &&
	check_tree t5
'

test_expect_success 'empty directories are absent, even nested ones' '
	mkdir -p t6/empty t6/e1/e2/e3 t6/full/empty && echo f >t6/full/f &&
	check_tree t6 &&
	medo tree-id t6 >with &&
	rm -rf t6/empty t6/e1 t6/full/empty &&
	medo tree-id t6 >without &&
	test_cmp with without
'

test_expect_success 'a content, mode or name change changes the id' '
	mkdir t7 && echo a >t7/f &&
	medo tree-id t7 >before &&
	chmod 755 t7/f && medo tree-id t7 >after-mode &&
	! test_cmp before after-mode &&
	chmod 644 t7/f && echo b >t7/f && medo tree-id t7 >after-content &&
	! test_cmp before after-content &&
	echo a >t7/f && medo tree-id t7 >again &&
	test_cmp before again
'

test_expect_success 'many files, hashed in parallel, still equal git' '
	mkdir -p t8 &&
	for i in $(seq 1 40); do
		mkdir -p t8/d$((i % 7)) && echo "file $i" >t8/d$((i % 7))/f$i || return 1
	done &&
	test_seeded_file t8/big 3000000 1 &&
	check_tree t8
'

test_expect_success 'a fifo is an error naming it (exit 5)' '
	mkdir -p t9/sub && echo x >t9/f && mkfifo t9/sub/pipe &&
	test_expect_code 5 medo tree-id t9 >out 2>err &&
	test_must_be_empty out &&
	grep "^medo: error: .t9/sub/pipe. is a fifo" err
'

test_expect_success 'a trailing slash or a symlink to the directory changes nothing' '
	medo tree-id t5 >expect &&
	medo tree-id t5/ >actual &&
	test_cmp expect actual &&
	ln -s t5 t5-link &&
	medo tree-id t5-link >actual &&
	test_cmp expect actual
'

test_expect_success 'a file is not a directory (exit 5)' '
	echo x >plain &&
	test_expect_code 5 medo tree-id plain 2>err &&
	echo "medo: error: '\''plain'\'' is not a directory" >expect &&
	test_cmp expect err
'

test_expect_success 'a missing directory exits 3' '
	test_expect_code 3 medo tree-id no-such-dir 2>err &&
	grep "no-such-dir" err
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 medo tree-id 2>err &&
	test_expect_code 2 medo tree-id a b 2>err &&
	test_expect_code 2 medo tree-id --object-format=md5 empty 2>err &&
	grep "unknown object format .md5." err &&
	test_expect_code 2 medo tree-id --archive x.tar empty 2>err
'

test_expect_success 'tree-id --help shows the usage' '
	medo tree-id --help >out &&
	grep "^usage: medo tree-id" out
'

test_done
