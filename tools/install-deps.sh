#!/bin/sh
# Install the Debian packages that building and testing need, if any is
# missing: with apt-get as root, through sudo otherwise.  Quiet when all
# is there.
#
#	sh tools/install-deps.sh		build, test, demo (make test)
#	sh tools/install-deps.sh --bench	also what only make bench uses
#
# Services: some packages the tests need ship a daemon (nginx-light, lighttpd,
# openssh-server, ceph's), but the tests start their own on 127.0.0.1 and never
# use the system's.  While this script installs, a temporary
# /usr/sbin/policy-rc.d forbids starting any service (it is removed
# afterwards, also on failure; one that was already there is left as it
# is), and the services of packages it installed are then disabled at
# boot.  So no web or ssh server is left running, now or after a reboot.
set -e

# Building and testing (libdeflate-dev: loose objects and pack entries
# are compressed with it).  Some are for tests on their way: bubblewrap,
# ninja-build, fuse3, libfuse3-dev, rclone,
# openssh-server, strace, clang; lighttpd and lighttpd-mod-webdav, the
# WebDAV server silo push writes to.  man-db and bash-completion: what the
# installed man pages and completion need (make check installs them into
# a scratch root and reads them back); jq: examples of the manual pages;
# diffutils: medo diff -p runs diff -u.  xfsprogs: a file system with
# reflinks (medo expand shares the blocks of identical files), made
# and loop-mounted where the tests run as root.  mmdebstrap (with its
# uidmap, for unprivileged users): knot base makes Debian roots with it.
# podman and skopeo: images that medo add --kind=image stores are
# loaded and inspected by them.
# chromium and tidy: the pages of medo web and knot reports, loaded in a headless browser
# and checked by an HTML validator.  ceph-mon, ceph-osd, radosgw,
# ceph-common and uuid-runtime: a one-node Ceph with its S3 gateway, for
# silos in S3 buckets (t/lib-radosgw.sh).
TEST_PACKAGES="build-essential pkg-config zlib1g-dev libarchive-dev libjansson-dev
libssl-dev libcurl4-openssl-dev openssl git perl scdoc nginx-light rsync
curl xz-utils bzip2 zip unzip python3 util-linux e2fsprogs
bubblewrap ninja-build fuse3 libfuse3-dev libdeflate-dev rclone
openssh-server openssh-client strace clang cmake man-db bash-completion jq
chromium tidy diffutils xfsprogs mmdebstrap uidmap podman skopeo
lighttpd lighttpd-mod-webdav
ceph-mon ceph-osd radosgw ceph-common uuid-runtime"

# Only make bench: the peers it measures and the timer.
BENCH_PACKAGES="pigz hyperfine time"

# package:service for the packages whose daemon must not run.
SERVICES="nginx-light:nginx openssh-server:ssh lighttpd:lighttpd
ceph-common:ceph.target ceph-common:rbdmap ceph-common:ceph-crash
ceph-mon:ceph-mon.target ceph-osd:ceph-osd.target radosgw:ceph-radosgw.target
ceph-osd:smartmontools uuid-runtime:uuidd"

POLICY_RC_D=${INSTALL_DEPS_POLICY_RC_D:-/usr/sbin/policy-rc.d}

packages=$TEST_PACKAGES
case ${1-} in
--bench) packages="$TEST_PACKAGES $BENCH_PACKAGES" ;;
'') ;;
*)
	echo "usage: sh tools/install-deps.sh [--bench]" >&2
	exit 2
	;;
esac

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: no apt-get here; install them by hand" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "install-deps: need root or sudo to install:$missing" >&2
	exit 1
fi

# No service starts while packages are installed (invoke-rc.d and
# deb-systemd-invoke ask policy-rc.d; 101 means "not allowed").
our_policy=
if [ ! -e "$POLICY_RC_D" ]; then
	trap '$SUDO rm -f "$POLICY_RC_D"' EXIT
	trap 'exit 130' INT TERM
	$SUDO sh -c 'printf "#!/bin/sh\n# install-deps: no services while installing\nexit 101\n" >"$1" &&
		chmod 755 "$1"' sh "$POLICY_RC_D"
	our_policy=1
fi

echo "install-deps: installing$missing" >&2
$SUDO apt-get -o DPkg::Lock::Timeout=300 update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
	install -y -qq --no-install-recommends $missing >/dev/null

# Not at boot either, for the services this run installed.
for ps in $SERVICES; do
	case " $missing " in
	*" ${ps%%:*} "*) ;;
	*) continue ;;
	esac
	service=${ps#*:}
	if command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --quiet "$service" >/dev/null 2>&1 || :
	fi
	if command -v update-rc.d >/dev/null 2>&1; then
		$SUDO update-rc.d "$service" disable >/dev/null 2>&1 || :
	fi
	echo "install-deps: installed $service, not started, disabled at boot" >&2
done

if [ -n "$our_policy" ]; then
	$SUDO rm -f "$POLICY_RC_D"
	trap - EXIT
fi
