#!/bin/sh
test_description='the box keeps the host'"'"'s secrets: an unprivileged user, only the base system, files made for the box'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-knot.sh"

test_expect_success 'setup: a recipe that reports what it sees and copies the secrets it can' '
	knot_setup &&
	knot_recipe thief 1.0 "wedge-install() {
  local install_dir=\$2
  {
    echo \"id \$(id -u):\$(id -g) \$(id -un) \$(hostname)\"
    for f in /etc/shadow /etc/gshadow /etc/sudoers /etc/ssh /etc/machine-id /etc/ssl/private /root /home /run /var /tmp/silo-test.*; do
      if test -e \"\$f\"; then echo \"sees \$f\"; else echo \"no \$f\"; fi
    done
    echo \"passwd \$(cut -d: -f1,3 /etc/passwd | tr \"\\\\n\" \" \")\"
    echo \"group \$(cut -d: -f1,3 /etc/group | tr \"\\\\n\" \" \")\"
  } >\"\$install_dir/report\"
  for f in /etc/shadow /etc/gshadow /etc/ssh/ssh_host_*_key; do cp \"\$f\" \"\$install_dir/\" 2>/dev/null || continue; done
  cat /etc/shadow >\"\$install_dir/shadow-copy\" 2>/dev/null || rm -f \"\$install_dir/shadow-copy\"
}
wedge-smoke-test() { :; }"
'

cat >expect-report <<EOF
id 1000:1000 knot knot
no /etc/shadow
no /etc/gshadow
no /etc/sudoers
no /etc/ssh
no /etc/machine-id
no /etc/ssl/private
no /root
no /home
no /run
no /var
no /tmp/silo-test.*
passwd root:0 knot:1000 nobody:65534 
group root:0 knot:1000 nogroup:65534 
EOF

test_expect_success BOX 'boxed, the recipe sees none of the host and publishes only its report' '
	knot build deps/source.medo/thief &&
	medo expand $(knot_derived thief 1.0) x &&
	(cd x && find . -type f -o -type l | sort) >files &&
	echo ./report >expect &&
	test_cmp expect files &&
	test_cmp expect-report x/report
'

test_expect_success ROOT,BOX 'as root, the box is not root: root'"'"'s files are nobody'"'"'s in it, nothing root-only is published' '
	for f in /etc/shadow /etc/gshadow /etc/ssh/ssh_host_*_key; do
		test -f "$f" || continue
		for g in $(find x -type f); do
			! cmp -s "$f" "$g" || { echo "$g is $f"; return 1; }
		done
	done &&
	knot_recipe mapped 1.0 "wedge-install() {
  stat -c %u:%g /usr >\"\$2/owners\"
  grep ^Cap /proc/self/status >\"\$2/caps\"
}
wedge-smoke-test() { :; }" &&
	knot build deps/source.medo/mapped &&
	medo expand $(knot_derived mapped 1.0) m &&
	printf "65534:65534\n" >expect &&
	test_cmp expect m/owners &&
	printf "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n" >expect &&
	test_cmp expect m/caps
'

test_expect_success BOX 'the build directories are the box user'"'"'s; the host keeps them after' '
	knot_recipe owner 1.0 "wedge-make() {
  test -O . && test -O \"\$1\" && test -O \"\$1/data.txt\" && touch \"\$1/new\" && echo made >made
}
wedge-install() { cp made \"\$2/\"; }
wedge-smoke-test() { :; }" &&
	knot build deps/source.medo/owner &&
	ls "$TMPDIR" >left &&
	test_must_be_empty left
'

# Where user namespaces are refused: a user namespace of the test's own,
# in which no other may be made.
test_lazy_prereq USERNS 'unshare -r true'

no_userns() {
	unshare -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$@"' sh "$@"
}

test_expect_success USERNS 'without user namespaces, recipes are read on the host; a build says what is missing' '
	knot_recipe nobox 1.0 &&
	no_userns knot validate deps/source.medo/nobox >out &&
	test "$(cat out)" = "ok deps/source.medo/nobox nobox (1 version)" &&
	test_expect_code 9 no_userns knot build deps/source.medo/nobox 2>err &&
	grep "^knot: error: nobox/1.0: the build could not start (exit status 1): this system refuses to make user namespaces (bwrap: .*); knot builds recipes as an unprivileged user in one (bubblewrap): allow them (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone; a container run with them), or use --unboxed to run the recipes on the host with your own rights; log: " err &&
	! grep -q "^bwrap:" err
'

test_expect_success USERNS 'a task (as ninja runs it) that cannot make its box says why' '
	key=$(knot key deps/source.medo/owner | cut -d" " -f1) &&
	test_expect_code 9 no_userns knot run-task --rebuild --key=$key deps/source.medo/owner 2>err &&
	grep "^knot: error: owner/1.0: the build could not start (exit status 1): this system refuses to make user namespaces (bwrap: .*); knot builds recipes as an unprivileged user in one (bubblewrap): allow them .*, or use --unboxed to run the recipes on the host with your own rights; log: " err
'

test_expect_success ROOT,BOX 'as root, a recipe others cannot read is refused, saying why' '
	knot_recipe private 1.0 &&
	chmod 700 deps/source.medo/private &&
	test_when_finished "chmod 755 deps/source.medo/private" &&
	test_expect_code 5 knot validate deps/source.medo/private 2>err &&
	grep -q "Permission denied (the box reads recipes as the host'"'"'s uid 65534, not as root: they must be readable by others)\$" err &&
	knot validate --unboxed deps/source.medo/private >out &&
	echo "ok deps/source.medo/private private (1 version)" >expect &&
	test_cmp expect out
'

test_expect_success ROOT 'unboxed, an absolute wedge needs its path: the error names it' '
	knot_recipe abs 1.0 "WEDGE_IS_ABSOLUTE=1" &&
	mkdir user && cp -R deps deps.silo user/ && mkdir user/tmp &&
	chown -R 65534:65534 user && chmod 711 "$TRASH_DIRECTORY" &&
	test_when_finished "chmod 700 \"$TRASH_DIRECTORY\"" &&
	(cd user && as_user env HOME=$PWD TMPDIR=$PWD/tmp \
		knot build --unboxed deps/source.medo/abs 2>err; echo $? >status) &&
	test "$(cat user/status)" = 6 &&
	grep "^knot: error: abs/1.0 is an absolute wedge: unboxed, it is built at its own path '"'"'/wedge/oils-for-unix.org/pkg/abs/1.0'"'"', which cannot be made here (cannot create directory '"'"'/wedge[a-z./-]*'"'"': Permission denied); build it as root, or in the box (which needs user namespaces)$" user/err
'

test_done
