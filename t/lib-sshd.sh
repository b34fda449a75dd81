# Helpers for tests that reach 127.0.0.1 over ssh: an sshd of the test's
# own with throwaway keys; RSYNC_RSH is set to reach it.  Sets the
# prerequisite SSHD, or says why it cannot.

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
port=$((20000 + $$ % 20000))
start_sshd() {
	test -x "$SSHD" || { echo "no sshd"; return 1; }
	# As root, sshd wants its privilege separation directory (the
	# openssh-server package makes it at boot).
	if [ "$(id -u)" -eq 0 ] && ! [ -d /run/sshd ]; then mkdir -p -m 755 /run/sshd; fi
	mkdir -p sshd && chmod 700 sshd &&
	ssh-keygen -q -t ed25519 -N "" -f sshd/host_key &&
	ssh-keygen -q -t ed25519 -N "" -f sshd/user_key &&
	cp sshd/user_key.pub sshd/authorized_keys &&
	cat >sshd/config <<-EOF &&
	Port $port
	ListenAddress 127.0.0.1
	HostKey $PWD/sshd/host_key
	AuthorizedKeysFile $PWD/sshd/authorized_keys
	PidFile $PWD/sshd/pid
	UsePAM no
	StrictModes no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	${SSHD_EXTRA_CONFIG:-}
	EOF
	"$SSHD" -f sshd/config -E "$PWD/sshd/log" || return 1
	# Stopped at exit even when the check below fails (for a user
	# whose login shell refuses commands, for one).
	test_atexit 'kill $(cat "$TRASH_DIRECTORY/sshd/pid") 2>/dev/null'
	RSYNC_RSH="ssh -p $port -i $PWD/sshd/user_key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR" &&
	export RSYNC_RSH &&
	test_wait_for '$RSYNC_RSH 127.0.0.1 true 2>/dev/null' 10
}
if start_sshd >sshd-start.log 2>&1; then
	test_set_prereq SSHD
else
	test_missing_prereq SSHD "sshd cannot start here ($(tail -n 1 sshd/log 2>/dev/null || tail -n 1 sshd-start.log))"
	say "the ssh case is skipped: $(test_prereq_reason_ SSHD)"
fi

