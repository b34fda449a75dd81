#!/bin/sh
test_description='huge objects stored as delta chains are read, verified and expanded in bounded memory'
. "$(dirname "$0")/test-lib.sh"

# Run a command and print its peak resident set in MiB (stdout of the
# command goes to the file named first).
peak_mib() {
	out=$1
	shift
	python3 - "$out" "$@" <<-'EOT'
	import os, sys
	out, argv = sys.argv[1], sys.argv[2:]
	pid = os.fork()
	if pid == 0:
	    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
	    os.dup2(fd, 1)
	    os.execvp(argv[0], argv)
	_, status, ru = os.wait4(pid, 0)
	if os.waitstatus_to_exitcode(status) != 0:
	    sys.exit(1)
	print(ru.ru_maxrss // 1024)
	EOT
}

# 64 MiB, then two versions each changing a few bytes of the one before;
# packed as deltas over one whole base.
test_expect_success 'setup: three 64 MiB versions, packed as deltas' '
	test_seeded_file v0 67108864 11 &&
	{ head -c 1000000 v0 && printf XXXXXXXX && tail -c +1000009 v0; } >v1 &&
	{ head -c 50000000 v1 && printf YYYY && tail -c +50000005 v1 && echo end; } >v2 &&
	silo init s &&
	silo put --silo s v0 v1 v2 >ids &&
	git hash-object v0 v1 v2 >expect &&
	test_cmp expect ids &&
	silo repack --silo s -q -a -d &&
	git verify-pack -v s/pack/*.idx >vp &&
	grep -c "^[0-9a-f]* blob .* [0-9a-f]\{40\}$" vp >deltas &&
	test $(cat deltas) -ge 1
'

test_expect_success 'each version reads back whole and verified' '
	for v in v0 v1 v2; do
		silo cat --silo s $(git hash-object $v) >out &&
		cmp $v out || return 1
	done
'

# A peak over 100 MiB means the base and the result were held whole
# (at least 128 MiB); streaming takes a small fraction of that.
test_expect_success 'reading a 64 MiB delta object stays far under its size twice' '
	for v in v1 v2; do
		id=$(git hash-object $v) &&
		peak=$(peak_mib out silo cat --silo s $id) &&
		cmp $v out &&
		say "silo cat of $v: peak $peak MiB" &&
		test "$peak" -lt 100 || return 1
	done
'

test_expect_success 'silo verify of the pack stays under the bound too' '
	peak=$(peak_mib out silo verify s) &&
	say "silo verify: peak $peak MiB" &&
	test "$peak" -lt 100
'

test_expect_success 'the same objects packed by git (its own choice of deltas) read back too' '
	git init -q repo &&
	git -C repo hash-object -w ../v0 ../v1 ../v2 >gids &&
	(cd repo && git pack-objects --window=10 --depth=10 -q .git/objects/pack/pack <../gids >../packname) &&
	git verify-pack -v repo/.git/objects/pack/pack-$(cat packname).idx >gvp &&
	grep "^chain length" gvp &&
	silo init g &&
	cp repo/.git/objects/pack/pack-$(cat packname).* g/pack/ &&
	for v in v0 v1 v2; do
		peak=$(peak_mib out silo cat --silo g $(git hash-object $v)) &&
		cmp $v out &&
		test "$peak" -lt 100 || return 1
	done &&
	silo repack --silo g -q &&
	silo verify g
'

test_expect_success 'a damaged delta is refused with the pack and offset named' '
	cp -R s bad &&
	pack=$(ls bad/pack/*.pack) &&
	chmod u+w "$pack" &&
	size=$(wc -c <"$pack") &&
	printf "\377\377\377\377" | dd of="$pack" bs=1 seek=$((size - 60)) conv=notrunc 2>/dev/null &&
	test_expect_code 1 silo verify bad 2>err &&
	grep "pack-.*\.pack" err
'

test_done
