#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-rnbd.sh [stock|debug]: builds the RTRS and RNBD modules (rtrs-core,
# rtrs-client, rtrs-server, rnbd-client, rnbd-server) out of tree for that
# kernel, from Debian's linux-source-6.1: Debian's config leaves
# CONFIG_INFINIBAND_RTRS and CONFIG_BLK_DEV_RNBD off, so it ships none of them.
#
# Only drivers/infiniband/ulp/rtrs/ and drivers/block/rnbd/ are unpacked, in
# the source's layout, into $BUILD/rnbd/src-$KVER, and built there with their
# own Makefiles under a generated top-level Kbuild: one M= tree, so a single
# Module.symvers resolves rnbd-client's and rnbd-server's calls into rtrs.
# The .ko files (and that Module.symvers) go to $BUILD/rnbd/$KVER, whose path
# is the only line printed on stdout; progress goes to stderr. Nothing is
# rebuilt while the source tarball and the kernel's headers are unchanged.
set -euo pipefail
# shellcheck source=lib.sh source-path=SCRIPTDIR disable=SC1091
. "$(dirname "$0")/lib.sh"

kernel_env "${1:-stock}"

TARBALL=/usr/src/linux-source-6.1.tar.xz
MODS="rtrs-core rtrs-client rtrs-server rnbd-client rnbd-server"
RTRS=drivers/infiniband/ulp/rtrs
RNBD=drivers/block/rnbd
src=$BUILD/rnbd/src-$KVER
out=$BUILD/rnbd/$KVER
stamp=$out/.stamp

say() { echo "build-rnbd: $*" >&2; }

# A kernel that has them already (the debug kernel builds them in) must not
# get a second copy: their symbols would clash.
kconfig() { sed -n "s/^$1=//p" "$KHDR/.config"; }
v=$(kconfig CONFIG_INFINIBAND_RTRS)
[ -z "$v" ] || die "$KVER has CONFIG_INFINIBAND_RTRS=$v: nothing to build"
[ "$(kconfig CONFIG_INFINIBAND_ADDR_TRANS)" = y ] ||
	die "$KVER lacks CONFIG_INFINIBAND_ADDR_TRANS (rdma_cm), which rtrs needs"

if [ ! -e "$TARBALL" ]; then
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	say "installing linux-source-6.1"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
		linux-source-6.1 >/dev/null
	[ -e "$TARBALL" ] || die "linux-source-6.1 installed no $TARBALL"
fi

# What the modules are built from: the tarball, the headers' Module.symvers
# and this script. The stamp holds them, not only its mtime: dpkg gives files
# their package's mtimes, which may predate an earlier build.
key="$KVER $(stat -c '%s %Y' "$TARBALL") $(cksum <"$KHDR/Module.symvers") $(cksum <"$0")"

up_to_date() {
	local m
	[ "$stamp" -nt "$TARBALL" ] || return 1
	[ "$(cat "$stamp")" = "$key" ] || return 1
	for m in $MODS; do
		[ "$out/$m.ko" -nt "$TARBALL" ] || return 1
	done
}

if up_to_date; then
	echo "$out"
	exit 0
fi

t0=$(date +%s)

# The tarball's top directory (linux-source-6.1/): read from its first
# member rather than assumed. head closes the pipe early: no pipefail here.
top=$(set +o pipefail; tar -tJf "$TARBALL" | head -n 1)
top=${top%%/*}
[ -n "$top" ] || die "cannot list $TARBALL"

say "unpacking $RTRS and $RNBD from $TARBALL"
rm -rf "$src"
mkdir -p "$src"
tar -xJf "$TARBALL" -C "$src" --strip-components=1 \
	"$top/$RTRS" "$top/$RNBD" "$top/Makefile"
# Keep the source's version only: a Makefile here would read as the tree's.
src_version=$(sed -n 's/^\(VERSION\|PATCHLEVEL\|SUBLEVEL\) = \([0-9]*\)$/\2/p' \
	"$src/Makefile" | paste -sd .)
rm "$src/Makefile"
echo "$src_version" >"$src/linux-version"

# rnbd's Makefile adds -I$(srctree)/drivers/infiniband/ulp/rtrs, which is the
# headers' tree in an M= build and has no rtrs: subdir-ccflags-y points both
# directories at the rtrs copy here. The CONFIG_ symbols are exported to the
# sub-makes that read the two Makefiles.
cat >"$src/Kbuild" <<EOF
# SPDX-License-Identifier: GPL-2.0
# Written by tools/testing/rig/build-rnbd.sh: RTRS and RNBD from linux-source
# $src_version as modules, for $KVER.
export CONFIG_INFINIBAND_RTRS := m
export CONFIG_INFINIBAND_RTRS_CLIENT := m
export CONFIG_INFINIBAND_RTRS_SERVER := m
export CONFIG_BLK_DEV_RNBD := y
export CONFIG_BLK_DEV_RNBD_CLIENT := m
export CONFIG_BLK_DEV_RNBD_SERVER := m

subdir-ccflags-y += -I$src/$RTRS

obj-m += $RTRS/ $RNBD/
EOF

say "building for $KVER against $KHDR"
if ! make -C "$KHDR" M="$src" -j"$(nproc)" modules >"$src/build.log" 2>&1; then
	cat "$src/build.log" >&2
	die "build failed for $KVER (log: $src/build.log)"
fi
if grep -q 'undefined!' "$src/build.log"; then
	grep 'undefined!' "$src/build.log" >&2
	die "unresolved symbols (log: $src/build.log)"
fi
grep -i 'warning' "$src/build.log" | sed 's/^/build-rnbd: /' >&2 || true

# The copies lose their debug info, as Debian's own modules do (an eighth of
# the size in the initramfs); the unstripped ones stay in $src.
rm -rf "$out"
mkdir -p "$out"
for m in $MODS; do
	f=$(find "$src" -name "$m.ko")
	[ -n "$f" ] || die "no $m.ko was built (log: $src/build.log)"
	cp "$f" "$out/"
	strip --strip-debug "$out/$m.ko"
done
cp "$src/Module.symvers" "$out/"

# Each module must carry the kernel's vermagic (that of its own rdma_cm when
# the kernel ships it) and depend on what it calls into.
ref=$(modinfo -b "$KROOT" -k "$KVER" -F vermagic rdma_cm 2>/dev/null || true)
for m in $MODS; do
	magic=$(modinfo -F vermagic "$out/$m.ko")
	deps=$(modinfo -F depends "$out/$m.ko")
	[ "${magic%% *}" = "$KVER" ] || die "$m.ko: vermagic '$magic', not $KVER"
	[ -z "$ref" ] || [ "$magic" = "$ref" ] ||
		die "$m.ko: vermagic '$magic', the kernel's rdma_cm has '$ref'"
	case $m in
	rtrs-core) want="ib_core rdma_cm" ;;
	rtrs-client | rtrs-server) want="rtrs-core ib_core rdma_cm" ;;
	rnbd-client) want="rtrs-client" ;;
	rnbd-server) want="rtrs-server" ;;
	esac
	for d in $want; do
		case ",$deps," in
		*",$d,"*) ;;
		*) die "$m.ko: depends '$deps' lacks $d" ;;
		esac
	done
	say "$m.ko: depends=$deps"
done
say "vermagic ${magic}"

hdr_version=$(make -s -C "$KHDR" kernelversion 2>/dev/null || echo unknown)
if [ "$src_version" = "$hdr_version" ]; then
	say "linux-source $src_version, the same as the headers of $KVER"
else
	say "note: linux-source $src_version, but the headers of $KVER are $hdr_version"
fi

echo "$key" >"$stamp"
say "built in $(($(date +%s) - t0)) s"
echo "$out"
