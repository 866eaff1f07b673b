# SPDX-License-Identifier: GPL-2.0
#
# Host-side helpers of the rig, sourced by its scripts.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$RIG_DIR/../../.." && pwd)
SELFTESTS=$TOP/tools/testing/selftests/rackswap
BUILD=${BUILD:-$TOP/build}
# The prebuilt debug kernel (its .debs): ../shared/debug-kernel beside the
# tree, else the workplace's /work/shared/debug-kernel (a clone elsewhere).
if [ -z "${DEBUG_KERNEL_DIR:-}" ]; then
	DEBUG_KERNEL_DIR=$(cd "$TOP/.." && pwd)/shared/debug-kernel
	[ -d "$DEBUG_KERNEL_DIR" ] || DEBUG_KERNEL_DIR=/work/shared/debug-kernel
fi

die() { echo "rig: $*" >&2; exit 1; }

# stock_kver: the newest installed Debian kernel of the rig's series,
# RIG_SERIES (default 6.1, Debian 12's), never just the newest installed
# (another series' headers pull in their image, and would move every
# target to it); the ABI number is never hard-coded: it moves with
# Debian's updates.
RIG_SERIES=${RIG_SERIES:-6.1}
stock_kver() {
	ls /lib/modules 2>/dev/null | grep -- "^${RIG_SERIES//./\\.}\.[0-9]*-[0-9]*-amd64\$" |
		sort -V | tail -n 1
}

debug_present() {
	compgen -G "$DEBUG_KERNEL_DIR/linux-image-*.deb" >/dev/null &&
		compgen -G "$DEBUG_KERNEL_DIR/linux-headers-*.deb" >/dev/null
}

# kernel_env stock|debug: sets KVER, KROOT (the root holding
# lib/modules/$KVER and boot/), KIMAGE and KHDR (the module build tree).
kernel_env() {
	case $1 in
	stock)
		KVER=$(stock_kver)
		[ -n "$KVER" ] || die "no Debian kernel installed: run 'make setup'"
		KROOT=/
		KIMAGE=/boot/vmlinuz-$KVER
		KHDR=/usr/src/linux-headers-$KVER
		;;
	debug)
		debug_present || die "no debug kernel in $DEBUG_KERNEL_DIR"
		KROOT=$BUILD/debug-kernel
		local stamp=$KROOT/.unpacked
		if [ ! -e "$stamp" ] || [ -n "$(find "$DEBUG_KERNEL_DIR" -name '*.deb' -newer "$stamp")" ]; then
			rm -rf "$KROOT"
			mkdir -p "$KROOT"
			for deb in "$DEBUG_KERNEL_DIR"/linux-image-*.deb "$DEBUG_KERNEL_DIR"/linux-headers-*.deb; do
				dpkg -x "$deb" "$KROOT"
			done
			touch "$stamp"
		fi
		KVER=$(ls "$KROOT/lib/modules" | head -n 1)
		KIMAGE=$KROOT/boot/vmlinuz-$KVER
		KHDR=$KROOT/usr/src/linux-headers-$KVER
		;;
	*)
		die "unknown kernel '$1' (stock or debug)"
		;;
	esac
	[ -e "$KIMAGE" ] || die "no kernel image $KIMAGE"
	[ -d "$KHDR" ] || die "no kernel headers $KHDR"
}

# rig_field TEST FIELD: a field of a selftest's "# rig:" line (nodes, tier,
# debug, timeout), or of the rig's own script of that name (the demo); the
# timeout defaults to the selftests' settings file.
rig_field() {
	local v f=$SELFTESTS/$1.sh
	[ -f "$f" ] || f=$RIG_DIR/$1.sh
	v=$(sed -n "s/^# rig:.* $2=\([^ ]*\).*/\1/p" "$f" 2>/dev/null)
	[ -z "$v" ] && [ "$2" = timeout ] && v=$(sed -n 's/^timeout=//p' "$SELFTESTS/settings")
	echo "$v"
}

# copy_sources DIR: the module's sources into DIR/drivers/rackswap/ and the
# shared headers into DIR/include/ (merged with what DIR already has): never
# the objects of an in-place build, which may be for another kernel.
copy_sources() {
	local d
	rm -rf "$1/drivers/rackswap"
	mkdir -p "$1/drivers/rackswap"
	cp "$TOP"/drivers/rackswap/{Makefile,Kconfig,*.mk,*.h} "$1/drivers/rackswap/"
	for d in krdma dvs blk test; do
		mkdir -p "$1/drivers/rackswap/$d"
		cp "$TOP"/drivers/rackswap/$d/{Makefile,*.c,*.h} "$1/drivers/rackswap/$d/"
		rm -f "$1"/drivers/rackswap/$d/*.mod.c
	done
	cp -r "$TOP/include" "$1/"
}

# fault_option KHDR: "CONFIG_RACKSWAP_FAULT_INJECTION=y" when that kernel has
# the fault-injection debugfs (the debug kernel), else nothing: out of tree,
# the option is a make variable (the Kbuild file defines it for the code)
fault_option() {
	grep -qsx 'CONFIG_FAULT_INJECTION_DEBUG_FS=y' "$1/.config" &&
		echo CONFIG_RACKSWAP_FAULT_INJECTION=y
}

# build_module KVER KHDR: builds the modules (krdma, dvs, rackswap and the test
# module rackswap_test) for one kernel in its own copy of the tree (so stock
# and debug objects never mix), with the fault points when the kernel has
# fault injection; prints the paths of the .ko files.
build_module() {
	local out=$BUILD/obj/$1
	copy_sources "$out"
	# shellcheck disable=SC2046
	if ! make -s -C "$2" M="$out/drivers/rackswap" CONFIG_RACKSWAP=m $(fault_option "$2") \
		CONFIG_RACKSWAP_TEST=m W=1 KCFLAGS=-Werror modules >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "module build failed for $1"
	fi
	echo "$out"/drivers/rackswap/{krdma/krdma,dvs/dvs,blk/rackswap,test/rackswap_test}.ko
}
