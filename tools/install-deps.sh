#!/bin/sh
# Install what building and testing need on Debian, if anything is missing:
# with apt-get as root, through sudo otherwise.  Quiet when all is there.
set -e

PACKAGES="build-essential pkg-config zlib1g-dev libarchive-dev libjansson-dev
libssl-dev libcurl4-openssl-dev openssl git perl scdoc nginx-light rsync
curl pigz hyperfine time xz-utils bzip2 zip unzip python3
bubblewrap cmake"

missing=
for p in $PACKAGES; do
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
echo "install-deps: installing$missing" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
