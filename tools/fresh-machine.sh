#!/bin/sh
# The README's two commands, 'make test' and 'make demo', as a new user
# runs them on a fresh Debian 12 machine: a minbase root (mmdebstrap, with
# only git, make, sudo and ca-certificates added) and a copy of this
# checkout's files.  Each row is one kind of machine:
#
#	root	root, where user namespaces are refused (a chroot; the usual
#		Docker container): knot has no box
#	sudo	a user with sudo, same machine: make test installs through
#		sudo; make demo cannot build an absolute wedge without a box
#		and must say what is missing
#	user	a user without sudo, where user namespaces are allowed (the
#		root is entered with pivot_root in a mount namespace of its
#		own, not chroot), the packages installed beforehand by root
#
#	sh tools/fresh-machine.sh [ROW...]	(as root; default: all three)
#
# A row is OK when make test passes and make demo works or says what is
# missing (fails, saying "demo: knot cannot build dash here"), and when
# nothing is left behind: no process of the suite, no FUSE mount, no
# trash directory, no cache outside the trash directories.  Each row runs
# in PID and mount namespaces of its own, so that whatever is left ends
# with it.  Prints one line per row and exits 1 unless all are OK.
#
# The roots are cached in $SILO_FRESH_CACHE (default ~/.cache/silo-fresh),
# named by a hash of their inputs: the base root by mmdebstrap's version,
# the suite, the mirror and the packages; the root with the packages of
# tools/install-deps.sh by that and the script.  Downloaded packages are
# kept there too, so a second run does not fetch them again.
set -eu

SUITE=bookworm
MIRROR=${SILO_FRESH_MIRROR:-http://deb.debian.org/debian}
BASE_PACKAGES=git,make,sudo,ca-certificates
CACHE=${SILO_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/silo-fresh}
src=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "fresh-machine: $*" >&2
	exit 1
}

[ $# -gt 0 ] || set -- root sudo user
for row; do
	case $row in
	root | sudo | user) ;;
	*) echo "usage: sh tools/fresh-machine.sh [root|sudo|user]..." >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "needs root: it makes roots, mounts and namespaces"
if ! command -v mmdebstrap >/dev/null 2>&1; then
	echo "fresh-machine: installing mmdebstrap" >&2
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
		--no-install-recommends mmdebstrap >/dev/null || die "cannot install mmdebstrap"
fi

mkdir -p "$CACHE/apt-archives/partial"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/silo-fresh.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

hash() {
	sha256sum | cut -c1-16
}

# The base root: minbase and the four packages.
base_key=$(printf '%s\n' "$(mmdebstrap --version)" "$SUITE" minbase "$BASE_PACKAGES" "$MIRROR" \
	"$(dpkg --print-architecture)" | hash)
base=$CACHE/base-$base_key.tar
if ! [ -f "$base" ]; then
	echo "fresh-machine: making the base root ($base)" >&2
	mmdebstrap --quiet --variant=minbase --include="$BASE_PACKAGES" --mode=root --format=tar \
		"$SUITE" "$base.tmp" "$MIRROR" || die "mmdebstrap failed"
	mv "$base.tmp" "$base"
fi

# enter ROOT HOW CMD...: CMD in ROOT, in new PID and mount namespaces,
# with /proc, /dev and /sys; HOW is chroot (user namespaces refused) or
# pivot (allowed).  Downloaded packages go to the cache.
enter() {
	r=$1 how=$2
	shift 2
	cp /etc/resolv.conf "$r/etc/resolv.conf"
	unshare --pid --fork --mount --propagation private sh -c '
		r=$1 how=$2 archives=$3
		shift 3
		mount --bind "$r" "$r" &&
		mount -t proc proc "$r/proc" &&
		mount --rbind /dev "$r/dev" &&
		mount --rbind /sys "$r/sys" &&
		mount --bind "$archives" "$r/var/cache/apt/archives" || exit 1
		if [ "$how" = chroot ]; then
			exec chroot "$r" "$@"
		fi
		mkdir -p "$r/.old-root" && cd "$r" && pivot_root . .old-root &&
		cd / && umount -l /.old-root && rmdir /.old-root && exec "$@"
	' sh "$r" "$how" "$CACHE/apt-archives" "$@"
}

# unpack TAR DIR
unpack() {
	rm -rf "$2" && mkdir -p "$2" && tar -C "$2" -xf "$1"
}

# The root with the packages installed, for the row that has them.
full_key=$( { echo "$base_key"; cat "$src/tools/install-deps.sh"; } | hash)
full=$CACHE/full-$full_key.tar
full_root() {
	[ -f "$full" ] && return 0
	echo "fresh-machine: making the root with the packages ($full)" >&2
	unpack "$base" "$work/full"
	cp "$src/tools/install-deps.sh" "$work/full/install-deps.sh"
	enter "$work/full" chroot /bin/sh /install-deps.sh || die "installing the packages failed"
	rm -f "$work/full/install-deps.sh"
	tar -C "$work/full" -cf "$full.tmp" . && mv "$full.tmp" "$full"
	rm -rf "$work/full"
}

# The script run in the root, as root: the user's two commands, then what
# is left behind.  Its results go to /fresh/.
cat >"$work/row.sh" <<'EOF'
#!/bin/sh
user=$1
home=$(getent passwd "$user" | cut -d: -f6)
# As the user logs in: a login shell, in the checkout.
as_user() {
	runuser -l "$user" -c "cd src && $1"
}
# What STEP left behind: processes (but this shell, its children and
# init), FUSE mounts, trash and work directories (a script that failed
# keeps its trash directory: counted only after a step that passed),
# and caches (the suite keeps its own in its trash directories; the demo
# fills the user's cache of sources, as documented).
leftovers() {
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		{ [ "$pid" = 1 ] || [ "$pid" = $$ ]; } && continue
		ppid=$(cut -d' ' -f4 "$p/stat" 2>/dev/null) || continue
		[ "$ppid" = $$ ] && continue
		echo "process $pid: $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
	done
	awk '$3 ~ /^fuse/ { print "mount " $2 }' /proc/self/mounts
	# the demo keeps its files where it says, on purpose
	kept=$(sed -n 's/.*the demo.s files are kept in \([^ ]*\) .*/\1/p' /fresh/demo.log 2>/dev/null)
	for d in /tmp/silo-* /var/tmp/silo-* "$home"/src/build*/install-check "$home/.cache/silo"; do
		[ -e "$d" ] && [ "$d" != "$kept" ] && echo "$d"
	done
	[ "$1" != test ] || ! [ -e "$home/.cache/silo-sources" ] || echo "$home/.cache/silo-sources"
}
: >/fresh/left
: >/fresh/seen
for step in test demo; do
	start=$(date +%s)
	as_user "make $step" >/fresh/$step.log 2>&1
	rc=$?
	echo $rc >/fresh/$step.rc
	echo $(($(date +%s) - start)) >/fresh/$step.secs
	# Not in a pipeline: its command substitutions are this shell's
	# children, which the process check leaves out.
	leftovers $step >/fresh/now
	if [ $rc -eq 0 ]; then
		grep -v -x -F -f /fresh/seen /fresh/now
	else
		grep -e '^process ' -e '^mount ' /fresh/now | grep -v -x -F -f /fresh/seen
	fi | sed "s|^|$step: |" >>/fresh/left
	cat /fresh/now >>/fresh/seen
done
exit 0
EOF

# run_row ROW: prints "ROW: result; make test: ...; make demo: ...;
# what was left", then the skips make test counted.
run_row() {
	row=$1
	row_start=$(date +%s)
	r=$work/$row
	case $row in
	root) unpack "$base" "$r"; how=chroot user=root ;;
	sudo) unpack "$base" "$r"; how=chroot user=dev ;;
	user) full_root; unpack "$full" "$r"; how=pivot user=dev ;;
	esac
	if [ $user != root ]; then
		chroot "$r" useradd -m -s /bin/bash dev
		[ $row != sudo ] || echo "dev ALL=(ALL) NOPASSWD: ALL" >"$r/etc/sudoers.d/dev"
	fi
	home=$(chroot "$r" getent passwd $user | cut -d: -f6)
	mkdir -p "$r$home/src" "$r/fresh"
	# The checkout's files, as git would list them (no build output).
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar --null -T - -cf -) | tar -C "$r$home/src" -xf -
	chroot "$r" chown -R $user: "$home/src"
	cp "$work/row.sh" "$r/fresh/row.sh"
	enter "$r" $how /bin/sh /fresh/row.sh $user || die "row $row could not run"
	keep=$CACHE/logs/$row
	rm -rf "$keep" && mkdir -p "$keep" && cp "$r"/fresh/*.log "$r/fresh/left" "$keep/"
	t=$(cat "$r/fresh/test.rc") d=$(cat "$r/fresh/demo.rc")
	result=OK
	summary=$(grep -E '^(Files=|skipped:)' "$r/fresh/test.log" | tr '\n' ' ')
	if [ "$t" = 0 ]; then
		tr="OK ($(cat "$r/fresh/test.secs") s: $summary)"
	else
		tr="FAIL (exit $t: $(grep -E '^t/t[0-9]+.*\(Wstat' "$r/fresh/test.log" | cut -d' ' -f1 | tr '\n' ' ')$summary)"
		result=FAIL
	fi
	if [ "$d" = 0 ]; then
		dr="OK ($(cat "$r/fresh/demo.secs") s)"
	elif grep -q "^demo: knot cannot build dash here" "$r/fresh/demo.log"; then
		dr="OK, says what is missing: $(grep "^demo: run " "$r/fresh/demo.log")"
	else
		dr="FAIL (exit $d: $(tail -n 1 "$r/fresh/demo.log"))"
		result=FAIL
	fi
	if [ -s "$r/fresh/left" ]; then
		lr="FAIL (left: $(tr '\n' ';' <"$r/fresh/left"))"
		result=FAIL
	else
		lr="nothing left"
	fi
	echo "$row: $result in $(($(date +%s) - row_start)) s; make test: $tr; make demo: $dr; $lr"
	sed -n '/^skipped:/,$ s/^  /    /p' "$r/fresh/test.log"
	rm -rf "$r"
	[ $result = OK ]
}

status=0
for row; do
	run_row $row || status=1
done
[ $status -eq 0 ] || echo "fresh-machine: logs in $CACHE/logs" >&2
exit $status
