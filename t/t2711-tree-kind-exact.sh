#!/bin/sh
test_description='the tree kind keeps modes and empty directories in an attribute record: exact round trip, every reader, hostile records, old treeptrs'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-treekind.sh"
. "$TEST_DIRECTORY/lib-gc.sh"
. "$TEST_DIRECTORY/lib-json.sh"

export SILO_CACHE_DIR=$TRASH_DIRECTORY/cache
umask 022

# The modes and types of everything below $1, as find prints them.
modes() {
	(cd "$1" && find . -printf '%p %m %y\n' | LC_ALL=C sort)
}

# The number in field $1 of treeptr $2.
number() {
	sed -n "s/^  \"$1\": \([0-9]*\),$/\1/p" "$2"
}

# The attribute record of treeptr $1, its NULs as newlines.
record() {
	silo cat --silo=deps.silo "$(field attrs "$1")" | tr '\0' '\n'
}

test_expect_success 'setup: a tree of empty directories, modes and symlinks' '
	silo init deps.silo && mkdir m && echo "{ \"silos\": [\"../deps.silo\"] }" >m/SILO.json &&
	mkdir -p src/empty src/nest/a/b src/only/x/y src/d700 src/d750 src/d755 src/files &&
	for p in 700 744 600 640 444 555 644 755; do
		echo $p >src/files/f$p && chmod $p src/files/f$p || return 1
	done &&
	echo in >src/d700/f && echo in >src/d750/f && echo in >src/d755/f && echo n >src/nest/f &&
	chmod 700 src/d700 && chmod 750 src/d750 && chmod 755 src/d755 &&
	ln -s files/f600 src/link && ln -s nowhere src/dangling && ln -s only src/dirlink &&
	medo add -q --kind=tree src m/src.treeptr
'

test_expect_success 'the record: empty directories and other modes, sorted, NUL-ended, naming its tree' '
	tree=$(field tree m/src.treeptr) &&
	cat >expect <<-EOF &&
	attrs 1 $tree
	d 0700 d700
	d 0750 d750
	d 0755 empty
	f 0444 files/f444
	f 0555 files/f555
	f 0600 files/f600
	f 0640 files/f640
	f 0700 files/f700
	f 0744 files/f744
	d 0755 nest/a
	d 0755 nest/a/b
	d 0755 only
	d 0755 only/x
	d 0755 only/x/y
	EOF
	record m/src.treeptr >actual &&
	test_cmp expect actual &&
	test "$(number attrs-size m/src.treeptr)" = "$(silo cat --silo=deps.silo $(field attrs m/src.treeptr) | wc -c)"
'

test_expect_success 'expand gives back every mode, empty directory and symlink' '
	medo expand m/src.treeptr out &&
	modes src >expect && modes out >actual &&
	test_cmp expect actual &&
	test "$(readlink out/link)" = files/f600 &&
	medo verify m/src.treeptr out
'

test_expect_success 'the same tree gives the same treeptr data; adding it again keeps the treeptr' '
	cp -a src copy && medo add -q --kind=tree copy m/copy.treeptr &&
	for f in tree object attrs; do
		test "$(field $f m/src.treeptr)" = "$(field $f m/copy.treeptr)" || return 1
	done &&
	test "$(number attrs-size m/src.treeptr)" = "$(number attrs-size m/copy.treeptr)" &&
	cp m/src.treeptr before &&
	medo add -q --kind=tree src m/src.treeptr && test_cmp before m/src.treeptr &&
	chmod 640 copy/files/f600 &&
	test_expect_code 8 medo add -q --kind=tree copy m/copy.treeptr 2>err &&
	grep "already names other data" err
'

test_expect_success 'a tree with nothing to record: a record of its first line only' '
	mkdir plain && echo p >plain/p &&
	medo add -q --kind=tree plain m/plain.treeptr &&
	echo "attrs 1 $(field tree m/plain.treeptr)" >expect &&
	record m/plain.treeptr >actual && test_cmp expect actual
'

test_expect_success 'verify and status report modes and empty directories that changed' '
	cp -a out changed && chmod 644 changed/files/f600 && chmod 755 changed/d700 &&
	rmdir changed/only/x/y && mkdir changed/new && mkdir changed/files/sub && echo s >changed/files/sub/s &&
	test_expect_code 1 medo verify m/src.treeptr changed >actual &&
	cat >expect <<-\EOF &&
	mode changed/d700
	mode changed/files/f600
	added changed/files/sub/s
	added changed/new
	removed changed/only/x/y
	EOF
	test_cmp expect actual &&
	test_expect_code 1 medo verify --json m/src.treeptr changed >out.json &&
	json_check out.json "
assert [(c[\"change\"], c[\"path\"]) for c in d[\"trees\"][0][\"differences\"]] == [(\"mode\", \"changed/d700\"), (\"mode\", \"changed/files/f600\"), (\"added\", \"changed/files/sub/s\"), (\"added\", \"changed/new\"), (\"removed\", \"changed/only/x/y\")], d" &&
	mkdir -p sm st && cp m/SILO.json m/src.treeptr sm/ && cp -a out st/src &&
	medo status sm st >actual && test_must_be_empty actual &&
	chmod 700 st/src/files/f644 && rmdir st/src/empty &&
	test_expect_code 1 medo status sm st >actual &&
	printf "differs st/src\n\tremoved st/src/empty\n\tmode st/src/files/f644\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'expand onto a tree of other modes: refused without --force, replaced with it' '
	test_expect_code 8 medo expand m/src.treeptr changed 2>err &&
	grep "holds something other than" err &&
	medo expand --force m/src.treeptr changed &&
	modes src >expect && modes changed >actual && test_cmp expect actual &&
	medo expand m/src.treeptr changed
'

# A user cannot read through a directory of mode 000 that expand made
# (root can): --force replaces it all the same; without it the error
# names the directory.  Root adds the tree (a user cannot read it) and
# expands it as uid 65534.
test_lazy_prereq ROOT 'test "$(id -u)" = 0 || { echo "not root"; false; }'
test_expect_success ROOT 'a directory of mode 000: as a user, expand --force replaces it' '
	mkdir -p closed/d000 && echo x >closed/d000/f && chmod 000 closed/d000 &&
	test_when_finished "chmod 755 closed/d000 u/out/d000 2>/dev/null; :" &&
	medo add -q --kind=tree closed m/closed.treeptr &&
	mkdir -m 777 u && cp -R m deps.silo u/ && chmod -R a+rwX u/m u/deps.silo &&
	mkdir -p ubin && cp "$SILO_BUILD_DIR/bin/silobox" ubin/ && ln -s silobox ubin/medo &&
	chmod 755 "$TRASH_DIRECTORY" ubin &&
	as="setpriv --reuid=65534 --regid=65534 --clear-groups env PATH=$PWD/ubin:$PATH" &&
	(cd u && $as env HOME="$PWD" SILO_CACHE_DIR="$PWD/cache" medo expand m/closed.treeptr out) &&
	(cd u && test_expect_code 6 $as env HOME="$PWD" SILO_CACHE_DIR="$PWD/cache" \
		medo expand m/closed.treeptr out 2>err) &&
	grep "d000.*Permission denied" u/err &&
	(cd u && $as env HOME="$PWD" SILO_CACHE_DIR="$PWD/cache" medo expand --force m/closed.treeptr out) &&
	test "$(stat -c %a u/out/d000)" = 0 &&
	! ls u/.tmp-* 2>/dev/null
'

test_expect_success 'modes the umask takes: expand again, verify and status see the tree expand wrote' '
	mkdir -p wide/d777 wide/e777 wide/files && echo w >wide/d777/f666 && echo p >wide/files/p &&
	chmod 666 wide/d777/f666 && chmod 777 wide/d777 wide/e777 &&
	medo add -q --kind=tree wide m/wide.treeptr &&
	medo expand m/wide.treeptr wide-out &&
	printf "./d777 755 d\n./d777/f666 644 f\n./e777 755 d\n" >expect &&
	modes wide-out | grep "^\./[de]777" >actual && test_cmp expect actual &&
	medo verify m/wide.treeptr wide-out &&
	medo expand m/wide.treeptr wide-out 2>err && test_must_be_empty err &&
	(
		umask 077 &&
		medo expand m/src.treeptr tight && test "$(stat -c %a tight/files/f644)" = 600 &&
		medo verify m/src.treeptr tight && medo expand m/src.treeptr tight &&
		mkdir -p s77 t77 && cp m/SILO.json m/src.treeptr s77/ && mv tight t77/src &&
		medo status s77 t77 >actual && test_must_be_empty actual &&
		chmod 640 t77/src/files/f644 && chmod 750 t77/src/empty &&
		test_expect_code 1 medo verify m/src.treeptr t77/src >actual &&
		printf "mode t77/src/empty\nmode t77/src/files/f644\n" >expect &&
		test_cmp expect actual
	)
'

test_expect_success 'ls lists empty directories and, with --json, permission bits' '
	medo ls -r m/src.treeptr >actual &&
	empty=$(git hash-object -t tree /dev/null) &&
	grep -x "040000 tree $empty	empty" actual &&
	grep -x "040000 tree $empty	only/x/y" actual &&
	grep -x "040000 tree $empty	nest/a/b" actual &&
	! grep "	only/x$" actual &&
	medo ls m/src.treeptr only >actual &&
	grep "	only/x$" actual &&
	medo ls --json m/src.treeptr files >out.json &&
	json_check out.json "
assert [(e[\"path\"], e[\"perm\"]) for e in d[\"entries\"]] == [(\"files/f444\", \"0444\"), (\"files/f555\", \"0555\"), (\"files/f600\", \"0600\"), (\"files/f640\", \"0640\"), (\"files/f644\", \"0644\"), (\"files/f700\", \"0700\"), (\"files/f744\", \"0744\"), (\"files/f755\", \"0755\")], d" &&
	medo ls --json m/src.treeptr >out.json &&
	json_check out.json "
assert {e[\"path\"]: e[\"perm\"] for e in d[\"entries\"] if e[\"type\"] == \"tree\"} == {\"d700\": \"0700\", \"d750\": \"0750\", \"d755\": \"0755\", \"empty\": \"0755\", \"files\": \"0755\", \"nest\": \"0755\", \"only\": \"0755\"}, d"
'

test_expect_success 'show counts empty directories and other modes' '
	medo show m/src.treeptr >actual &&
	grep -x "attributes: $(field attrs m/src.treeptr) ($(number attrs-size m/src.treeptr) bytes)" actual &&
	grep -x "files: 15" actual &&
	grep -x "empty directories: 6" actual &&
	grep -x "other modes: 8" actual &&
	medo show --json m/src.treeptr >out.json &&
	json_check out.json "
i = d[\"items\"][0]
assert (i[\"empty-dirs\"], i[\"modes\"], i[\"attrs\"], i[\"attrs-size\"]) == (6, 8, \"$(field attrs m/src.treeptr)\", $(number attrs-size m/src.treeptr)), i"
'

test_expect_success 'diff names modes and empty directories that changed' '
	medo add -q --kind=tree changed m/same.treeptr &&
	medo diff m/src.treeptr m/same.treeptr >actual && test_must_be_empty actual &&
	cp -a src v2 && chmod 600 v2/files/f644 && chmod 700 v2/nest && rmdir v2/empty && mkdir v2/more &&
	medo add -q --kind=tree v2 m/v2.treeptr &&
	test_expect_code 1 medo diff m/src.treeptr m/v2.treeptr >actual &&
	cat >expect <<-\EOF &&
	removed empty
	mode files/f644
	added more
	mode nest
	EOF
	test_cmp expect actual &&
	test_expect_code 1 medo diff --json m/src.treeptr m/v2.treeptr >out.json &&
	json_check out.json "
assert [(c[\"change\"], c[\"path\"]) for c in d[\"changes\"]] == [(\"removed\", \"empty\"), (\"mode\", \"files/f644\"), (\"added\", \"more\"), (\"mode\", \"nest\")], d" &&
	test_expect_code 1 medo diff m/src.treeptr v2 >actual &&
	test_cmp expect actual &&
	test_expect_code 1 medo diff --stat m/src.treeptr m/v2.treeptr >actual &&
	grep -x "mode: 2 files, 4 -> 4 bytes" actual &&
	medo diff m/src.treeptr src >actual && test_must_be_empty actual
'

test_expect_success FUSE 'mount shows the modes (less write bits) and the empty directories' '
	mkdir mnt && medo mount m/src.treeptr mnt &&
	test_when_finished "medo mount -u mnt" &&
	(cd mnt && find . -printf "%p %m %y\n" | LC_ALL=C sort) >actual &&
	modes src | while read p m y; do
		test $y = l || m=$(printf %o $((0$m & 0555))) &&
		echo "$p $m $y" || return 1
	done >expect &&
	test_cmp expect actual
'

test_expect_success 'reachable names the record; prune keeps it; fsck finds it missing' '
	medo reachable m/src.treeptr >keep &&
	grep -x "$(field attrs m/src.treeptr)" keep &&
	cp -R deps.silo kept.silo && age_silo kept.silo &&
	silo prune -q --silo kept.silo --keep keep --force &&
	rm -rf again && medo expand --silo kept.silo m/src.treeptr again &&
	modes src >expect && modes again >actual && test_cmp expect actual &&
	medo fsck --silo kept.silo m/src.treeptr &&
	attrs=$(field attrs m/src.treeptr) &&
	copy_without deps.silo lacking.silo $attrs &&
	test_expect_code 1 medo fsck --silo lacking.silo m/src.treeptr 2>err &&
	echo "medo: error: '\''m/src.treeptr'\'' in silo '\''lacking.silo'\'': attribute record $attrs is missing" >expect &&
	test_cmp expect err &&
	test_expect_code 3 medo expand --silo lacking.silo m/src.treeptr lacking 2>err &&
	grep "attribute record $attrs" err && test ! -e lacking
'

test_expect_success 'silo repack -a keeps the record in its tree'"'"'s section' '
	cp -R deps.silo repacked.silo && silo repack -q -a -d --silo repacked.silo &&
	root=$(field tree m/src.treeptr) &&
	p=$(for idx in repacked.silo/pack/*.idx; do
		git verify-pack -v $idx | sed -n "s|^$root .*|$idx|p"
	done) &&
	test -n "$p" && test "$(echo "$p" | wc -l)" = 1 &&
	git verify-pack -v $p | sed -n "/^[0-9a-f]\{40\} /p" | sort -k5n | cut -d" " -f1 >order &&
	grep -n -x -e "$(field attrs m/src.treeptr)" -e "$(field object m/src.treeptr)" order >at &&
	test_line_count = 2 at &&
	rm -rf rp && medo expand --silo repacked.silo m/src.treeptr rp &&
	modes src >expect && modes rp >actual && test_cmp expect actual
'

test_expect_success 'an old treeptr (no record) expands, verifies and lists as before' '
	grep -v "\"attrs" m/src.treeptr >m/old.treeptr &&
	medo expand m/old.treeptr old &&
	cat >expect <<-\EOF &&
	. 755 d
	./d700 755 d
	./d700/f 644 f
	./d750 755 d
	./d750/f 644 f
	./d755 755 d
	./d755/f 644 f
	./dangling 777 l
	./dirlink 777 l
	./files 755 d
	./files/f444 644 f
	./files/f555 755 f
	./files/f600 644 f
	./files/f640 644 f
	./files/f644 644 f
	./files/f700 755 f
	./files/f744 755 f
	./files/f755 755 f
	./link 777 l
	./nest 755 d
	./nest/f 644 f
	EOF
	modes old >actual && test_cmp expect actual &&
	medo verify m/old.treeptr old && medo verify m/old.treeptr out &&
	medo ls -r m/old.treeptr >actual && ! grep "	empty$" actual
'

# hostile NAME BYTES: m/NAME.treeptr, the tree of m/src.treeptr with the
# record BYTES (printf format, \0 for NULs), stored loose.
hostile() {
	printf "$2" >x-$1 &&
	id=$(git hash-object x-$1) &&
	silo put --silo=deps.silo x-$1 >/dev/null &&
	sed -e "s/\"attrs\": \"[0-9a-f]*\"/\"attrs\": \"$id\"/" \
	    -e "s/\"attrs-size\": [0-9]*/\"attrs-size\": $(wc -c <x-$1)/" m/src.treeptr >m/$1.treeptr
}

# refused NAME STATUS TEXT: expand, ls and verify of m/NAME.treeptr exit
# STATUS naming the treeptr, the record and TEXT; nothing is written;
# fsck finds the record bad.
refused() {
	test_expect_code $2 medo expand m/$1.treeptr x-dest 2>x-err &&
	test ! -e x-dest && ! ls -a | grep "^\.tmp-" &&
	grep "^medo: error: 'm/$1.treeptr': attribute record [0-9a-f]*: $3" x-err &&
	test_expect_code $2 medo ls m/$1.treeptr 2>x-err &&
	grep "attribute record [0-9a-f]*: $3" x-err &&
	test_expect_code 1 medo fsck m/$1.treeptr 2>x-err &&
	grep "^medo: error: 'm/$1.treeptr' in silo '\.\./deps\.silo': attribute record [0-9a-f]*: $3" x-err
}

test_expect_success 'hostile records are refused: names git refuses (exit 8)' '
	t="attrs 1 $(field tree m/src.treeptr)\0" &&
	hostile dotdot "${t}d 0755 ../escape\0" && refused dotdot 8 "record 1: refusing '\''\.\./escape'\''" &&
	hostile dotgit "${t}d 0755 .git\0" && refused dotgit 8 "record 1: refusing '\''\.git'\''" &&
	hostile abs "${t}d 0755 /etc\0" && refused abs 8 "record 1: refusing '\''/etc'\''" &&
	hostile deepgit "${t}d 0755 only/.GIT\0" && refused deepgit 8 "record 1: refusing '\''only/\.GIT'\''"
'

test_expect_success 'hostile records are refused: malformed (exit 4)' '
	t="attrs 1 $(field tree m/src.treeptr)\0" &&
	hostile dup "${t}d 0755 a\0d 0755 a\0" && refused dup 4 "record 2: '\''a'\'' is recorded twice" &&
	hostile order "${t}d 0755 b\0d 0755 a\0" && refused order 4 "record 2: '\''a'\'' is out of order" &&
	hostile setuid "${t}f 4755 files/f755\0" && refused setuid 4 "record 1: mode 4755 has setuid, setgid or sticky bits" &&
	hostile type "${t}f 100600 files/f644\0" && refused type 4 "record 1: mode 100600 has file type bits" &&
	hostile short "${t}f 600 files/f644\0" && refused short 4 "record 1: mode '\''600'\'' is not four octal digits" &&
	hostile endless "${t}d 0755 a\0d 0755 bbbbbbbb" && refused endless 4 "record 2 does not end" &&
	hostile notree "attrs 1 $(printf %040d 0)\0" && refused notree 4 "does not start with" &&
	hostile nofile "${t}f 0600 nothere\0" && refused nofile 4 "record 1: '\''nothere'\'' is not a file of the tree" &&
	hostile exec "${t}f 0700 files/f644\0" && refused exec 4 "record 1: mode 0700 of '\''files/f644'\'' disagrees" &&
	hostile orphan "${t}d 0755 no/where\0" && refused orphan 4 "record 1: '\''no/where'\'' is in no directory" &&
	hostile normal "${t}f 0644 files/f644\0" && refused normal 4 "record 1: '\''files/f644'\'' has the mode git gives back" &&
	hostile overfile "${t}d 0755 link\0" && refused overfile 4 "record 1: '\''link'\'' is a file of the tree"
'

test_expect_success 'a record of another size than the treeptr says, or none at all' '
	sed "s/\"attrs-size\": [0-9]*/\"attrs-size\": 3/" m/src.treeptr >m/size.treeptr &&
	test_expect_code 4 medo expand m/size.treeptr x-dest 2>err &&
	grep "attribute record $(field attrs m/src.treeptr) has [0-9]* bytes, not the 3 the treeptr says" err &&
	sed "s/\"attrs-size\": [0-9]*,//" m/src.treeptr >m/nosize.treeptr &&
	test_expect_code 5 medo expand m/nosize.treeptr x-dest 2>err &&
	grep "missing field '\''attrs-size'\''" err &&
	sed "s/\"attrs-size\": [0-9]*/\"attrs-size\": -1/" m/src.treeptr >m/negative.treeptr &&
	test_expect_code 5 medo expand m/negative.treeptr x-dest 2>err &&
	echo "medo: error: '\''m/negative.treeptr'\'': field '\''attrs-size'\'': expected a size in bytes, not -1" >expect &&
	test_cmp expect err &&
	test ! -e x-dest
'

test_done
