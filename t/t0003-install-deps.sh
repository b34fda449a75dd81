#!/bin/sh
test_description='tools/install-deps.sh: what it installs, and no service left running'
. "$(dirname "$0")/test-lib.sh"

# Stand-ins for dpkg-query, apt-get, sudo, systemctl and update-rc.d
# that log what they are asked.  Packages named in $FAKE_MISSING are not
# installed; apt-get install exits $FAKE_APT_STATUS and logs whether
# starting a service was allowed at that moment.
test_expect_success 'set up stand-ins' '
	mkdir bin &&
	cat >bin/dpkg-query <<-\EOF &&
	#!/bin/sh
	for p; do :; done
	case " $FAKE_MISSING " in
	*" $p "*) exit 1 ;;
	esac
	echo "install ok installed"
	EOF
	cat >bin/apt-get <<-\EOF &&
	#!/bin/sh
	echo "apt-get $*" >>"$LOG"
	case " $* " in
	*" install "*)
		if test -x "$INSTALL_DEPS_POLICY_RC_D"; then
			"$INSTALL_DEPS_POLICY_RC_D" nginx start
			echo "policy-rc.d says $?" >>"$LOG"
		else
			echo "no policy-rc.d" >>"$LOG"
		fi
		exit ${FAKE_APT_STATUS:-0} ;;
	esac
	EOF
	printf "#!/bin/sh\nexec \"\$@\"\n" >bin/sudo &&
	printf "#!/bin/sh\necho \"systemctl \$*\" >>\"\$LOG\"\n" >bin/systemctl &&
	printf "#!/bin/sh\necho \"update-rc.d \$*\" >>\"\$LOG\"\n" >bin/update-rc.d &&
	chmod +x bin/* &&
	INSTALL_DEPS_POLICY_RC_D=$PWD/policy-rc.d &&
	cat >env <<-EOF
	PATH=$PWD/bin:\$PATH
	LOG=$PWD/log
	INSTALL_DEPS_POLICY_RC_D=$INSTALL_DEPS_POLICY_RC_D
	export PATH LOG INSTALL_DEPS_POLICY_RC_D
	EOF
'

DEPS=$TEST_DIRECTORY/../tools/install-deps.sh

test_expect_success 'nothing missing: no apt-get, no output' '
	rm -f log &&
	(. ./env && FAKE_MISSING= sh "$DEPS") >out 2>&1 &&
	test_must_be_empty out &&
	! test -e log
'

test_expect_success 'a package with a service: not started, disabled, policy removed' '
	rm -f log &&
	(. ./env && FAKE_MISSING="nginx-light rclone" sh "$DEPS") 2>err &&
	cat >expect <<-\EOF &&
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends nginx-light rclone
	policy-rc.d says 101
	systemctl disable --quiet nginx
	update-rc.d nginx disable
	EOF
	test_cmp expect log &&
	! test -e policy-rc.d &&
	cat >expect <<-\EOF &&
	install-deps: installing nginx-light rclone
	install-deps: installed nginx, not started, disabled at boot
	EOF
	test_cmp expect err
'

test_expect_success 'a failed install still removes the policy' '
	rm -f log &&
	test_expect_code 100 sh -c '"'"'. ./env && FAKE_MISSING=openssh-server FAKE_APT_STATUS=100 exec sh "$1"'"'"' sh "$DEPS" 2>err &&
	grep "^policy-rc.d says 101$" log &&
	! grep systemctl log &&
	! test -e policy-rc.d
'

test_expect_success 'a policy-rc.d already there is left as it is' '
	rm -f log &&
	printf "#!/bin/sh\nexit 104\n" >policy-rc.d && chmod 755 policy-rc.d &&
	cp policy-rc.d policy-before &&
	(. ./env && FAKE_MISSING=strace sh "$DEPS") 2>err &&
	grep "^policy-rc.d says 104$" log &&
	test_cmp policy-before policy-rc.d &&
	rm policy-rc.d
'

test_expect_success 'what only make bench uses is installed with --bench only' '
	rm -f log &&
	(. ./env && FAKE_MISSING="pigz hyperfine" sh "$DEPS") >out 2>&1 &&
	test_must_be_empty out && ! test -e log &&
	(. ./env && FAKE_MISSING="pigz hyperfine" sh "$DEPS" --bench) 2>err &&
	grep "install -y -qq --no-install-recommends pigz hyperfine$" log
'

test_expect_success 'the packages tests on their way need are in the test list' '
	rm -f log &&
	pkgs="bubblewrap ninja-build fuse3 libfuse3-dev libdeflate-dev rclone openssh-server strace clang" &&
	pkgs="$pkgs man-db bash-completion jq" &&
	(. ./env && FAKE_MISSING="$pkgs" sh "$DEPS") 2>err &&
	grep "install -y -qq --no-install-recommends $pkgs$" log
'

test_expect_success 'an unknown option is a usage error' '
	(. ./env && test_expect_code 2 sh "$DEPS" --frob) 2>err &&
	grep "^usage: sh tools/install-deps.sh \[--bench\]$" err
'

test_done
