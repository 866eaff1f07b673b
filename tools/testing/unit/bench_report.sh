#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.py on a made-up boot: medians and ranges over the rounds,
# ratios to rackswap, the targets judged, a failed verification counted,
# a device that did not come up left out.
. "$(dirname "$0")/tap.lib"
R=$(cd "$(dirname "$0")/.." && pwd)/bench-report.py
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

# fio DEV WORKLOAD ROUND READ_IOPS WRITE_IOPS READ_KiBps WRITE_KiBps P50_NS
fio() {
	printf 'FIO %s %s %s {"jobs": [{"error": 0, "read": {"iops": %s, "bw": %s, "clat_ns": {"percentile": {"50.000000": %s, "99.000000": %s, "99.900000": %s}}}, "write": {"iops": %s, "bw": %s}}]}\n' \
		"$1" "$2" "$3" "$4" "$6" "$8" $(($8 * 2)) $(($8 * 3)) "$5" "$7"
}
{
	echo "BENCH rdma_qd1_read_p50_us 100"
	echo "BENCH rdma_qd32_write_mbps 40"
	echo "BENCH rdma_qd32x2_read_mbps 100"
	echo "BENCH rounds 2"
	echo "BENCH lever_pc0 no readahead"
	for d in nvmeof:/dev/nvme0n1 rackswap:/dev/rackswap0; do
		echo "BENCH dev_${d%%:*} ${d#*:}"
	done
	for r in 1 2; do
		fio nvmeof randread_4k_qd1 $r 1000 0 4000 0 $((400000 + r * 100000))
		fio nvmeof randrw_4k_qd32 $r 2000 2000 0 0 0
		fio rackswap randread_4k_qd1 $r 3000 0 12000 0 120000
		fio rackswap randrw_4k_qd32 $r 6000 $((6000 + r * 1000)) 0 0 0
		echo "BENCH rackswap_qd1_driver_latency_$r 0,0,0,1,8,1,0"
		echo "BENCH cpu_rackswap_randrw_4k_qd32_$r $((90 + r * 2)),$((40 + r * 2))"
		fio rackswap seqwrite_128k $r 0 1 0 $((51200 * r)) 0
		echo "SWAP nvmeof seq $r 10000 1000 1000 9000 ok"
		echo "SWAP nvmeof rand $r 900 10 0 500 bad"
		echo "SWAP rackswap seq $r $((5000 + r * 1000)) 1000 1000 5000 ok"
		echo "SWAP rackswap rand $r 2000 500 500 1000 $([ $r = 1 ] && echo ok || echo bad)"
		echo "SWAP rackswap@pc0 seq $r $((3000 + r * 1000)) 1000 900 5000 ok"
		echo "SWAP rackswap@pc0 rand $r 3000 500 400 1000 ok"
		fio rackswap@pc0 randread_4k_qd1 $r 3000 0 12000 0 100000
		fio rackswap@pc0 randrw_4k_qd32 $r 5000 5000 0 0 0
	done
	echo 'FIO rackswap randread_4k_qd1 3 {not json'
	echo "BENCH rackswap_requests 100000"
	echo "BENCH rackswap_donor_rpcs_served 50"
} >"$D/results"

expect "it runs" 0 python3 "$R" "$D/results" "$D/out" 6.1.0-test
md=$D/out/bench.md
j=$D/out/bench.json
expect "rnbd, never set up, has no row" 1 grep -q '^| rnbd' "$md"
expect "randread p50: median 550 us (500-600) for nvmeof" 0 \
	grep -q '^| nvmeof (/dev/nvme0n1) | - | - | 550 (500-600) / ' "$md"
expect "rackswap's QD32 IOPS: median of 13000 and 14000; CPUs busy 93 and 43 %" 0 \
	grep -q '/ 360 | 13500 (13000-14000) | 93 / 43 |$' "$md"
expect "seq write MB/s: 50 and 100 give 75.0 (50.0-100.0)" 0 \
	grep -q '^| rackswap (/dev/rackswap0) | 75.0 (50.0-100.0) |' "$md"
expect "rackswap's own QD1 latency: the histograms of both rounds" 0 \
	grep -q 'p50 in 128-256 us, p99 in 256-512 us (20 reads)' "$md"
expect "swap seq ratio: nvmeof 10 s over rackswap's 6.5 s" 0 \
	grep -q '^| nvmeof | 1.54 | - | - | 0.30 | 4.58 |$' "$md"
expect "a device whose every run failed has no time, and no ratio" 0 \
	grep -q '^| nvmeof | rand | - | 10 | 0 | 0 | - | 0.5 | 0 of 2 |$' "$md"
expect "a failed verification is counted" 0 \
	grep -q '^| rackswap | rand | 2.0 | 500 | 500 | 4 | 0.02 | 1.0 | 1 of 2 |$' "$md"
expect "swap time target: (6.5 + 2) s over 10 s = 0.85, not met" 0 \
	grep -q '^| swap_time_vs_nvmeof | 0.85 | <= 0.7 | no |$' "$md"
expect "p50 vs the raw READ: 1.20, met" 0 \
	grep -q '^| randread_qd1_p50_vs_raw_read | 1.20 | <= 1.3 | yes |$' "$md"
expect "p99.9 is 3x p50 in this data: met" 0 \
	grep -q '^| randread_qd1_p999_vs_p50 | 3.00 | <= 3 | yes |$' "$md"
expect "IOPS vs nvmeof 3.38: met" 0 \
	grep -q '^| randrw_qd32_iops_vs_nvmeof | 3.38 | >= 1.5 | yes |$' "$md"
expect "donor RPCs per request" 0 grep -q '^| donor_rpcs_per_request | 0.00 | ~0 | yes |$' "$md"
expect "a lever: its times, (4.5 + 3) s over (6.5 + 2) s = 0.88, its fio figures" 0 \
	grep -q '^| pc0 | no readahead | 4.5 (4.0-5.0) | 3.0 | - | 900 / 400 / - | 0.88 | 2 of 2, 2 of 2, 0 of 0 | 100 | 10000 |$' "$md"
expect "the lever has no row of its own among the devices" 1 grep -q '^| rackswap@' "$md"
expect "the JSON keeps each round" 0 python3 -c "
import json, sys
d = json.load(open('$j'))
r = d['swap']['rackswap']['seq']['each_round']
sys.exit(0 if [x['ms'] for x in r] == [6000, 7000] and d['kernel'] == '6.1.0-test' else 1)"
done_testing
