#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-initramfs.sh stock|debug: builds our modules for that kernel and an
# initramfs holding busybox, kmod, the RDMA user tools with their libraries,
# the kernel modules the tests need (with dependencies, via depmod), our
# module, the rig's guest side and the selftests.
# Prints the path of the initramfs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel_env "${1:-stock}"
kos=$(build_module "$KVER" "$KHDR")
out=$BUILD/rig/$KVER
R=$out/root
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,usr/bin,usr/sbin,lib64} \
	"$R/lib/modules/$KVER/extra"

cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
	[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
# kmod's modprobe/insmod/... (they know module parameters and dependencies)
rm -f "$R"/bin/{modprobe,insmod,rmmod,lsmod,modinfo,depmod}

copy_with_libs() {
	local f=$1 l
	mkdir -p "$R$(dirname "$f")"
	cp -L "$f" "$R$f"
	for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$R$l" ] && continue
		mkdir -p "$R$(dirname "$l")"
		cp -L "$l" "$R$l"
	done
}

BINS="/usr/bin/kmod /usr/bin/rdma /usr/bin/rping /usr/bin/ibv_devices
/usr/bin/ibv_devinfo /usr/bin/ib_send_lat /usr/bin/ib_read_lat /usr/bin/ib_write_bw
/usr/sbin/mkswap /usr/sbin/swapon /usr/sbin/swapoff /usr/bin/fio
/usr/sbin/blkdiscard /usr/bin/fallocate /usr/sbin/tc"
# verbs user space: the rxe provider, and libgcc_s (needed by rping's threads)
LIBS="/lib/x86_64-linux-gnu/libgcc_s.so.1
/usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav34.so"
for f in $BINS $LIBS; do
	[ -e "$f" ] || die "missing $f: run 'make setup'"
	copy_with_libs "$f"
done
# RIG_EXTRA_BINS="/usr/bin/perf ...": more host programs for ad-hoc work
# (profiling a workload in the guest); never needed by the tests
for f in ${RIG_EXTRA_BINS:-}; do
	[ -e "$f" ] || die "missing $f (RIG_EXTRA_BINS)"
	copy_with_libs "$f"
done
for a in modprobe insmod rmmod lsmod modinfo depmod; do
	ln -sf /usr/bin/kmod "$R/sbin/$a"
done
mkdir -p "$R/etc/libibverbs.d"
cp /etc/libibverbs.d/rxe.driver "$R/etc/libibverbs.d/"
cp /etc/services /etc/protocols "$R/etc/"
echo "root:x:0:0:root:/root:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"
echo "127.0.0.1 localhost" >"$R/etc/hosts"

# Kernel modules (built-in ones are skipped: modprobe reports them "builtin").
# The optional ones: the benchmark's other devices (make bench), where a
# kernel without one of them only loses that column, netem, which
# krdma_lossy_link needs, and null_blk, backing_slow's slow device (each
# fails without it; they run on the stock kernel only), and the AES-NI
# and PCLMULQDQ drivers (x86: an encrypting device then uses the CPU's AES
# instructions; without them the generic code). gcm, ctr and ghash: an
# encrypting device's gcm(aes) (dvs soft-depends on gcm, which asks the
# crypto API for the others through modprobe).
MODS="configfs crc32_generic dummy e1000 ib_core ib_uverbs ib_cm iw_cm rdma_cm
rdma_ucm rdma_rxe loop gcm ctr ghash_generic"
OPT_MODS="brd zram nvmet nvmet-rdma nvme-rdma nvme-fabrics sch_netem null_blk"
OPT_MODS="$OPT_MODS aesni_intel ghash_clmulni_intel"
# The kernel's modules ours need: ib_core, rdma_cm, and libcrc32c (dvs's
# page checksums) on kernels where crc32c is a module; --show-depends also
# gives the crc32c implementations libcrc32c asks for (soft dependencies).
for k in $kos; do
	for d in $(modinfo -F depends "$k" | tr ',' ' '); do
		case " krdma dvs rackswap rackswap_test " in
		*" $d "*) ;;
		*) MODS="$MODS $d" ;;
		esac
	done
done
for m in $MODS $OPT_MODS; do
	if ! deps=$(modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>/dev/null); then
		case " $OPT_MODS " in
		*" $m "*) echo "initramfs: no $m for $KVER (optional)" >&2; continue ;;
		esac
		die "kernel $KVER has no module $m"
	fi
	echo "$deps" | awk '$1 == "insmod" { print $2 }' | while read -r k; do
		rel=${k#"${KROOT%/}"}
		mkdir -p "$R$(dirname "$rel")"
		cp -n "$k" "$R$rel"
	done
done
cp "$KROOT"/lib/modules/"$KVER"/modules.{order,builtin,builtin.modinfo} "$R/lib/modules/$KVER/"
# shellcheck disable=SC2086
cp $kos "$R/lib/modules/$KVER/extra/"
# RNBD/RTRS, when build-rnbd.sh made them for this kernel (make bench does)
if [ -d "$BUILD/rnbd/$KVER" ]; then
	cp "$BUILD/rnbd/$KVER"/*.ko "$R/lib/modules/$KVER/extra/"
fi
depmod -b "$R" "$KVER"

# The guest side of the rig and the selftests.
mkdir -p "$R/rig" "$R/selftests"
cp "$RIG_DIR/init" "$R/init"
cp "$RIG_DIR/run-tests" "$RIG_DIR/bad-patterns" "$RIG_DIR/ioerr-patterns" "$RIG_DIR/demo.sh" \
	"$RIG_DIR/bench-krdma.sh" "$RIG_DIR/bench-swap.sh" "$R/rig/"
cp -r "$SELFTESTS" "$R/selftests/rackswap"
# the ABI files, which abi_files compares with what the modules create
cp -r "$TOP/Documentation/ABI/testing" "$R/rig/abi"
# the swap workloads' verifier: static, the initramfs has no libc of its own
cc -O2 -static -Wall -o "$R/usr/bin/memtouch" "$SELFTESTS/memtouch.c" ||
	{ echo "cannot build memtouch" >&2; exit 1; }
chmod +x "$R/init" "$R/rig/run-tests" "$R"/selftests/rackswap/*.sh

(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1 >"$out/initrd.cpio.gz.tmp")
mv "$out/initrd.cpio.gz.tmp" "$out/initrd.cpio.gz"
echo "$out/initrd.cpio.gz"
