#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# intree.sh: drivers/rackswap/ builds in-tree. Drops it (and its headers)
# into Debian's linux-source-6.1, hooks it into drivers/Kconfig and
# drivers/Makefile, configures Debian's config with CONFIG_RACKSWAP=m (and
# the test module) and builds the directory through the kernel's own Kbuild.
# A check-full step: unpacking and "make prepare" take a few minutes.
set -euo pipefail
. "$(dirname "$0")/rig/lib.sh"

SRC=/usr/src/linux-source-6.1.tar.xz
[ -e "$SRC" ] || die "no $SRC: run 'make setup'"
W=$BUILD/intree
K=$W/linux-source-6.1
if [ ! -e "$W/.unpacked" ] || [ "$SRC" -nt "$W/.unpacked" ]; then
	rm -rf "$W"
	mkdir -p "$W"
	echo "intree: unpacking $SRC"
	tar -C "$W" -xJf "$SRC"
	touch "$W/.unpacked"
fi

copy_sources "$K" # include/uapi/linux/rackswap.h lands beside the kernel's
grep -q 'drivers/rackswap/Kconfig' "$K/drivers/Kconfig" ||
	sed -i 's|^endmenu|source "drivers/rackswap/Kconfig"\n\nendmenu|' "$K/drivers/Kconfig"
grep -q 'rackswap/' "$K/drivers/Makefile" ||
	echo 'obj-$(CONFIG_RACKSWAP) += rackswap/' >>"$K/drivers/Makefile"

kver=$(stock_kver)
cd "$K"
cp "/boot/config-$kver" .config
# no Debian signing keys and no BTF here: they are not what this checks
scripts/config --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
	-d MODULE_SIG_ALL -d DEBUG_INFO_BTF -d DEBUG_INFO_DWARF5 -e DEBUG_INFO_NONE \
	-m RACKSWAP -m RACKSWAP_TEST
make -s olddefconfig
for o in RACKSWAP RACKSWAP_TEST; do
	grep -qx "CONFIG_$o=m" .config || die "Kconfig did not keep CONFIG_$o=m (depends on?)"
done
echo "intree: CONFIG_RACKSWAP=m CONFIG_RACKSWAP_TEST=m accepted by Kconfig"
make -s -j"$(nproc)" prepare
make -j"$(nproc)" W=1 KCFLAGS=-Werror drivers/rackswap/
ls -l drivers/rackswap/{krdma/krdma,dvs/dvs,blk/rackswap,test/rackswap_test}.o
echo "intree: drivers/rackswap/ built in-tree"
