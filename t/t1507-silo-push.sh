#!/bin/sh
test_description='silo push: new objects and packs to a shared silo, a path or host:path over ssh'
. "$(dirname "$0")/test-lib.sh"

command -v rsync >/dev/null || test_skip_all RSYNC "rsync is missing"

test_expect_success 'setup: a silo with a pack, loose objects and temporary files' '
	silo init s &&
	for i in 1 2 3 4; do test_seeded_file f$i 20000 $i || return 1; done &&
	silo put --silo s f1 f2 >/dev/null &&
	silo repack --silo s -q -a -d &&
	silo put --silo s f3 >/dev/null &&
	echo partial >s/objects/tmp_obj_123 &&
	echo partial >s/pack/tmp_pack_456
'

test_expect_success 'push to a new path copies every object, skips temporary files' '
	silo push -v --silo s shared >out &&
	grep -q "^[0-9]* files copied to shared\$" out &&
	silo verify shared &&
	silo ls --silo s | sort >expect &&
	silo ls --silo shared | sort >actual &&
	test_cmp expect actual &&
	find shared -name "tmp_*" >tmps &&
	test_must_be_empty tmps &&
	ls shared/pack/*.idx shared/pack/*.pack >/dev/null
'

test_expect_success 'a second push copies nothing; a new object is pushed alone' '
	silo push -v --silo s shared >out &&
	echo "0 files copied to shared" >expect &&
	test_cmp expect out &&
	silo put --silo s f4 >/dev/null &&
	silo push -v --silo s shared >out &&
	echo "1 files copied to shared" >expect &&
	test_cmp expect out &&
	silo ls --silo shared | grep -q "^$(git hash-object f4)\$"
'

test_lazy_prereq STRACE 'strace -o /dev/null true'

test_expect_success STRACE 'the passes are in a safe order: objects, packs, then their indexes and lists' '
	rm -rf shared2 &&
	strace -f -e trace=rename,renameat,renameat2 -o trace silo push --silo s shared2 2>/dev/null &&
	sed -n "s/.*rename[at2]*(.*\"\([^\"]*\)\"[^\"]* = 0$/\1/p" trace |
		sed "s|.*/||" >order &&
	last_obj=$(grep -n "\.gz\$" order | tail -n 1 | cut -d: -f1) &&
	first_pack=$(grep -n "\.pack\$" order | head -n 1 | cut -d: -f1) &&
	first_idx=$(grep -n "\.idx\$" order | head -n 1 | cut -d: -f1) &&
	packs_list=$(grep -n "^packs\$" order | head -n 1 | cut -d: -f1) &&
	test "$(grep -n "^config.json\$" order | cut -d: -f1)" = 1 &&
	test "$last_obj" -lt "$first_pack" && test "$first_pack" -lt "$first_idx" &&
	test "$first_idx" -lt "$packs_list" &&
	silo verify shared2
'

# pack_list DIR: the packs that silo DIR's pack/packs lists, one a line.
pack_list() {
	sed -n "s/^P //p" "$1/pack/packs"
}

# packs_in DIR: the packs in silo DIR's pack/, one a line.
packs_in() {
	(cd "$1/pack" && ls pack-*.pack)
}

test_expect_success 'a second push lists the new pack at the destination' '
	test_seeded_file f5 20000 5 &&
	silo put --silo s f5 >/dev/null && silo repack --silo s -q &&
	test $(packs_in s | wc -l) = 2 &&
	silo push --silo s shared &&
	packs_in s >expect &&
	pack_list shared >actual &&
	test_cmp expect actual &&
	silo verify shared
'

test_expect_success 'the list of two silos pushed to one holds the packs of both' '
	silo init other && test_seeded_file f6 20000 6 &&
	silo put --silo other f6 >/dev/null && silo repack --silo other -q &&
	silo push --silo other shared &&
	silo push --silo s shared &&
	{ packs_in s && packs_in other; } | sort >expect &&
	pack_list shared >actual &&
	test_cmp expect actual &&
	silo verify shared
'

test_expect_success 'a silo with no loose object pushes a silo that takes writes' '
	silo init packed-only && silo put --silo packed-only f1 >/dev/null &&
	silo repack -q -a -d --silo packed-only && ! test -e packed-only/objects/* &&
	rm -rf packed-only/objects packed-only/derived &&
	silo push --silo packed-only fresh-dest &&
	silo put --silo fresh-dest f2 >/dev/null &&
	test -d fresh-dest/derived && silo verify fresh-dest
'

test_expect_success 'a push from something that is not a silo fails, naming it' '
	mkdir notasilo &&
	test_expect_code 3 silo push --silo notasilo dest 2>err &&
	grep -q "notasilo" err
'

. "$TEST_DIRECTORY/lib-sshd.sh"

test_expect_success SSHD 'push to host:path over ssh with rsync' '
	silo push -v --silo s 127.0.0.1:$PWD/remote >out &&
	grep -q "^[0-9]* files copied to 127.0.0.1:" out &&
	silo verify remote &&
	silo ls --silo s | sort >expect &&
	silo ls --silo remote | sort >actual &&
	test_cmp expect actual &&
	silo push -v --silo s 127.0.0.1:$PWD/remote >out &&
	grep -q "^0 files copied" out
'

test_expect_success SSHD 'over ssh too, the list holds every pack the destination has' '
	silo push --silo other 127.0.0.1:$PWD/remote &&
	test_seeded_file f7 20000 7 &&
	silo put --silo s f7 >/dev/null && silo repack --silo s -q &&
	silo push --silo s 127.0.0.1:$PWD/remote &&
	{ packs_in s && packs_in other; } | sort >expect &&
	pack_list remote >actual &&
	test_cmp expect actual &&
	silo verify remote
'

test_expect_success SSHD 'a silo that never had a pack pushes over ssh; its list is empty' '
	silo init loose-only && silo put --silo loose-only f1 >/dev/null &&
	silo push --silo loose-only 127.0.0.1:$PWD/remote-loose &&
	printf "\n" >expect && test_cmp expect remote-loose/pack/packs &&
	silo verify remote-loose
'

# mtime PATH: its modification time, in seconds.
mtime() {
	stat -c %Y "$1"
}

# mtime PATH: its modification time, in seconds.
mtime() {
	stat -c %Y "$1"
}

test_expect_success SSHD 'over ssh, a pack made young here is made young there, and no older' '
	p=$(cd s/pack && ls pack-*.pack | head -n 1) &&
	touch -d 2020-01-01 s/pack/$p remote/pack/$p &&
	touch -d 2021-01-01 s/pack/$p &&
	silo push --silo s 127.0.0.1:$PWD/remote &&
	test $(mtime remote/pack/$p) = $(date -d 2021-01-01 +%s) &&
	touch -d 2020-01-01 s/pack/$p &&
	silo push --silo s 127.0.0.1:$PWD/remote &&
	test $(mtime remote/pack/$p) = $(date -d 2021-01-01 +%s)
'

# A file whose time cannot be set (another user's; here, immutable).
test_lazy_prereq CHATTR '
	touch probe-immutable && chattr +i probe-immutable && chattr -i probe-immutable
'

test_expect_success SSHD,CHATTR 'a file whose time cannot be set there stays as it is; the push goes on' '
	p=$(cd s/pack && ls pack-*.pack | head -n 1) &&
	touch -d 2020-01-01 remote/pack/$p && chattr +i remote/pack/$p &&
	test_when_finished "chattr -i remote/pack/$p" &&
	touch s/pack/$p &&
	test_seeded_file f8 20000 8 && silo put --silo s f8 >id8 &&
	silo push --silo s 127.0.0.1:$PWD/remote 2>err &&
	test_must_be_empty err &&
	test $(mtime remote/pack/$p) = $(date -d 2020-01-01 +%s) &&
	silo cat --silo remote $(cat id8) | cmp - f8 &&
	touch -d 2020-01-01 shared/pack/$p && chattr +i shared/pack/$p &&
	test_when_finished "chattr -i shared/pack/$p" &&
	silo push --silo s shared 2>err &&
	test_must_be_empty err &&
	test $(mtime shared/pack/$p) = $(date -d 2020-01-01 +%s)
'

test_expect_success SSHD 'over ssh, the directories of a shared silo keep their modes' '
	chmod 2775 remote/pack remote/objects &&
	silo push --silo s 127.0.0.1:$PWD/remote &&
	test $(stat -c %a remote/pack) = 2775 && test $(stat -c %a remote/objects) = 2775
'

test_expect_success SSHD 'a push to an unreachable host fails with the network exit status' '
	test_expect_code 7 silo push --silo s 127.0.0.1:/nonexistent/dir/that/cannot/be/made 2>err &&
	grep -q "rsync to .* failed" err
'

test_done
