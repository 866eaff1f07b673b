#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what the rig needs from Debian's registry. A no-op when all of it
# is present. linux-image-amd64 and linux-headers-amd64 are installed in one
# command so that their ABI versions match.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static kmod
build-essential bc cpio gzip xz-utils rdma-core ibverbs-providers ibverbs-utils
rdmacm-utils perftest fio util-linux iproute2 sparse linux-source-6.1 socat
flex bison libelf-dev libssl-dev gnuplot-nox"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done

# The meta packages may be installed while the image and headers of the
# same ABI are not (a half-removed system): check the pair too.
kver=$(stock_kver || true)
if [ -z "$kver" ] || [ ! -e "/boot/vmlinuz-$kver" ] || [ ! -d "/usr/src/linux-headers-$kver" ]; then
	missing="$missing linux-image-amd64 linux-headers-amd64"
fi

if [ -z "$missing" ]; then
	echo "setup: all rig packages present (kernel $kver)"
	exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "setup: installing:$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is wanted
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
kver=$(stock_kver)
echo "setup: done (kernel $kver)"
