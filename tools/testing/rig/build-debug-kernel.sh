#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh [OUT_DIR]: rebuilds the rig's debug kernel from
# Debian's linux-source-6.1 (the source of the stock kernel the rig boots):
# Debian's config of the stock kernel (/boot/config-<ver>) with
# debug-kernel.config applied (KASAN, UBSAN, lockdep, kmemleak, hung-task
# and soft-lockup detectors, fault injection), packaged with bindeb-pkg as
# linux-image-*.deb and linux-headers-*.deb in OUT_DIR (default
# build/debug-kernel-build/). Use them with
#   DEBUG_KERNEL_DIR=build/debug-kernel-build make check-debug
#
# Never run in CI or by a test target: it builds all of Debian's modules
# with KASAN on, which takes hours on 2 cores (not measured here; the
# prebuilt kernel in /work/shared/debug-kernel, from x86_64_defconfig, took
# 44 minutes). It installs its build dependencies from Debian's registry.
#
# build-debug-kernel.sh --check-fragment [REF]: only checks that every
# setting of debug-kernel.config holds in REF (default: the prebuilt debug
# kernel's debug.config); no build. tools/testing/unit/ runs it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FRAG=$RIG_DIR/debug-kernel.config

# settings FILE: its CONFIG_ settings as NAME=VALUE, one a line, sorted;
# "# CONFIG_X is not set" is X=n
settings() {
	sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*\)=\(.*\)$/\1=\2/p' \
		-e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' "$1" | sort
}

# fragment_holds FRAG CONFIG: every setting of FRAG is in CONFIG with the
# same value; prints those that are not
fragment_holds() {
	local missing
	missing=$(comm -23 <(settings "$1") <(settings "$2"))
	[ -z "$missing" ] && return 0
	echo "$missing"
	return 1
}

if [ "${1:-}" = --check-fragment ]; then
	ref=${2:-$DEBUG_KERNEL_DIR/debug.config}
	[ -e "$ref" ] || die "no $ref"
	if ! fragment_holds "$FRAG" "$ref" >/tmp/frag.$$; then
		echo "build-debug-kernel: not in $ref:" >&2
		cat /tmp/frag.$$ >&2
		rm -f /tmp/frag.$$
		exit 1
	fi
	rm -f /tmp/frag.$$
	exit 0
fi

[ "${CI:-}" != true ] || die "build-debug-kernel.sh does not run in CI (hours of build)"
OUT=${1:-$BUILD/debug-kernel-build}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
kernel_env stock
DEBCONF=/boot/config-$KVER
[ -e "$DEBCONF" ] || die "no $DEBCONF (Debian's config of $KVER): run 'make setup'"

DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev \
	dwarves rsync cpio kmod fakeroot dpkg-dev python3 >/dev/null

SRC=$OUT/linux-source-6.1
OBJ=$OUT/obj # bindeb-pkg leaves the .debs beside it, in $OUT
[ -d "$SRC" ] || tar -C "$OUT" -xf /usr/src/linux-source-6.1.tar.xz
mkdir -p "$OBJ"
cp "$DEBCONF" "$OBJ/.config"
cd "$SRC"
scripts/kconfig/merge_config.sh -m -O "$OBJ" "$OBJ/.config" "$FRAG" >"$OUT/config.log"
# Debian's config names its own signing keys, which are not in the source
# package: the build makes its own (modules are signed with a throw-away key)
scripts/config --file "$OBJ/.config" --set-str SYSTEM_TRUSTED_KEYS "" \
	--set-str SYSTEM_REVOCATION_KEYS ""
make O="$OBJ" olddefconfig >>"$OUT/config.log"
# olddefconfig drops what a dependency forbids: the fragment must survive
if ! fragment_holds "$FRAG" "$OBJ/.config" >"$OUT/config.missing"; then
	cat "$OUT/config.missing" >&2
	die "these settings of debug-kernel.config did not hold (see $OUT/config.log)"
fi
echo "build-debug-kernel: building in $OBJ (log: $OUT/build.log)"
rm -f "$OUT"/linux-*.deb
make O="$OBJ" -j"$(nproc)" bindeb-pkg KBUILD_PKG_ROOTCMD=fakeroot >"$OUT/build.log" 2>&1 ||
	die "build failed: see $OUT/build.log"
# the image and the headers (the module build tree) are what the rig uses
rm -f "$OUT"/linux-libc-dev_*.deb "$OUT"/linux-image-*-dbg_*.deb
ls -l "$OUT"/linux-image-*.deb "$OUT"/linux-headers-*.deb
