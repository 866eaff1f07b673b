#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench [QUICK=1]: boots the rig once and measures; never part of a
# test tier. The krdma part (rig/bench-krdma.sh: RPC and one-sided RDMA, the
# link floor) writes build/bench/krdma.md and krdma.json; the devices part
# (rig/bench-swap.sh: brd, zram, NVMe-oF RDMA, RNBD, rackswap, block and swap
# workloads, 3 rounds) writes build/bench/bench.md, bench.json and bench.png
# (tools/testing/bench-report.py); a second boot of two VMs (node2 serves
# NVMe-oF and the rackswap donor, node1 runs brd, nvmeof and rackswap)
# writes the same into build/bench/two-vm/. Each boot also measures issue
# 35's levers (page integrity off, encryption on) and connect times with
# and without a key (bench.json: integrity, encrypt, connect). QUICK=1: one
# round of smaller workloads.
# Figures under QEMU TCG mean something only as ratios within one boot.
set -uo pipefail
. "$(dirname "$0")/rig/lib.sh"
"$RIG_DIR/setup.sh" >/dev/null || exit 1
out=$BUILD/bench
mkdir -p "$out"
kver=$(stock_kver)
# RNBD/RTRS are not in Debian's kernel: built from its source for the rig
"$RIG_DIR/build-rnbd.sh" stock >/dev/null ||
	echo "bench: no RNBD modules: its column stays empty" >&2
args="bench.quick=${QUICK:-0}"
[ -z "${ROUNDS:-}" ] || args="$args bench.rounds=$ROUNDS"
# 5G: three 512M RAM disks, a 512M zram and the donor's 576M may all fill
"$RIG_DIR/vm.sh" -q -B -m 5G -a "$args" -o "$out/vm" bench-krdma bench-swap \
	>"$out/vm.log" 2>&1
rc=$?
r=$out/vm/node1.results
b() { tr -d '\r' <"$r" | sed -n "s/^BENCH $1 //p"; }
{
	echo "# krdma RPC benchmark ($(date -u +%Y-%m-%d), kernel $kver, QEMU TCG, rxe on dummy0, loopback mode)"
	echo
	echo "| what | p50 us | p99 us | calls/s | verified |"
	echo "|---|---|---|---|---|"
	for c in 1 8; do
		for s in 64 2032; do
			echo "| krdma echo RPC, $c caller(s), $s B | $(b krdma_${c}x${s}_p50_us) | $(b krdma_${c}x${s}_p99_us) | $(b krdma_${c}x${s}_calls_per_s) | $(b krdma_${c}x${s}_ok) ok, $(b krdma_${c}x${s}_errors) errors, $(b krdma_${c}x${s}_mismatches) mismatches |"
		done
	done
	for s in 64 2032; do
		echo "| ib_send_lat (user space, one way), $s B | $(b ib_send_lat_${s}_typical_us) (typical) | $(b ib_send_lat_${s}_p99_us) | | |"
	done
	echo
	echo "In-kernel one-sided RDMA, 4 KiB pages (rdma_test: random contents written, read back, every word verified):"
	echo
	echo "| what | READ p50 / p99 / p99.9 us | WRITE p50 / p99 / p99.9 us | I/Os per s | MB/s read / write | verified |"
	echo "|---|---|---|---|---|---|"
	for t in "qd1|QD1, 1 thread, sleeping" "qd1spin|QD1, 1 thread, poll_spin_us=50" \
		"qd32|QD32, 1 thread" "qd32x2|QD16 x 2 threads"; do
		k=rdma_${t%%|*}
		echo "| ${t#*|} | $(b ${k}_read_p50_us) / $(b ${k}_read_p99_us) / $(b ${k}_read_p999_us) | $(b ${k}_write_p50_us) / $(b ${k}_write_p99_us) / $(b ${k}_write_p999_us) | $(b ${k}_ios_per_s) | $(b ${k}_read_mbps) / $(b ${k}_write_mbps) | $(b ${k}_ok) of $(b ${k}_ios) ok, $(b ${k}_mismatches) mismatches |"
	done
	echo "| ib_read_lat (user space), 4 KiB | $(b ib_read_lat_4096_typical_us) (typical) / $(b ib_read_lat_4096_p99_us) / $(b ib_read_lat_4096_p999_us) | | | | |"
	echo "| ib_write_bw (user space, QD128), 4 KiB | | | $(b ib_write_bw_4096_ops_per_s) | / $(b ib_write_bw_4096_mbps) | |"
} >"$out/krdma.md"
tr -d '\r' <"$r" | sed -n 's/^BENCH \([^ ]*\) \(.*\)$/  "\1": "\2",/p' |
	sed '$ s/,$//' | { echo "{"; cat; echo "}"; } >"$out/krdma.json"
cat "$out/krdma.md"
# report VMLOG RESULTS OUTDIR VMRC: the tables; a boot whose run reported
# a failure (a kernel error line, a device that failed its workload) still
# has its figures: the failure is said in the table and here
report() {
	python3 "$(dirname "$0")/bench-report.py" "$2" "$3" "$kver" || return 1
	[ "$4" = 0 ] && return 0
	{
		echo
		echo "This boot's run reported a failure (exit $4; $(basename "$1")):"
		echo
		grep -E 'RIG-DMESG-BAD|^not ok' "$1" | head -n 5 | sed 's/^/    /'
	} | tee -a "$3/bench.md" >&2
}
report "$out/vm.log" "$r" "$out" $rc || exit 1

# the second boot: two VMs, node2 serves NVMe-oF and the rackswap donor
"$RIG_DIR/vm.sh" -q -B -n 2 -m 3G -a "$args" -o "$out/vm2" bench-swap \
	>"$out/vm2.log" 2>&1
report "$out/vm2.log" "$out/vm2/node1.results" "$out/two-vm" $? || exit 1
exit 0
