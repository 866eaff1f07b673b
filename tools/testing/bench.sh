#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boots the rig once and measures; never part of a test tier.
# Writes build/bench/krdma.md (a table) and build/bench/krdma.json.
# Figures under QEMU TCG mean something only as ratios within one boot.
set -uo pipefail
. "$(dirname "$0")/rig/lib.sh"
"$RIG_DIR/setup.sh" >/dev/null || exit 1
out=$BUILD/bench
mkdir -p "$out"
"$RIG_DIR/vm.sh" -q -o "$out/vm" bench-krdma >"$out/vm.log" 2>&1
rc=$?
r=$out/vm/node1.results
b() { tr -d '\r' <"$r" | sed -n "s/^BENCH $1 //p"; }
kver=$(stock_kver)
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
} >"$out/krdma.md"
tr -d '\r' <"$r" | sed -n 's/^BENCH \([^ ]*\) \(.*\)$/  "\1": "\2",/p' |
	sed '$ s/,$//' | { echo "{"; cat; echo "}"; } >"$out/krdma.json"
cat "$out/krdma.md"
[ $rc = 0 ] || { echo "bench: the VM run failed (rc=$rc): $out/vm.log" >&2; tail -n 20 "$out/vm.log" >&2; }
exit $rc
