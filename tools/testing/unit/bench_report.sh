#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-report.py on a made-up boot: medians and ranges over the rounds,
# ratios to rackswap, the targets judged, a failed verification counted,
# a device that did not come up left out; issue 35's rows (integrity,
# encrypt, connect) and, without them, what was skipped.
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
	echo "BENCH lever_integrity_off no sums"
	echo "BENCH lever_encrypt encrypt=1"
	echo "BENCH encrypt_driver gcm_base(ctr(aes-aesni),ghash-generic)"
	echo "BENCH encrypt_cipher gcm(aes)"
	echo "BENCH cpu_aes yes"
	echo "BENCH connect_mode loopback"
	echo "BENCH connect_timer_us 900,1100,1000"
	echo "BENCH connect_open_us 10000,20000,30000,40000,50000,60000,70000,80000,90000,100000"
	echo "BENCH connect_open_failed 0"
	echo "BENCH connect_keyed_us 110000,20000,30000,40000,50000,60000,70000,80000,90000,100000"
	echo "BENCH connect_keyed_failed 1"
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
		echo "SWAP rackswap@integrity_off seq $r $((4500 + r * 1000)) 1000 900 5000 ok"
		echo "SWAP rackswap@integrity_off rand $r 1900 500 400 1000 ok"
		fio rackswap@integrity_off randread_4k_qd1 $r 3000 0 12000 0 100000
		fio rackswap@integrity_off randrw_4k_qd32 $r 7000 7000 0 0 0
		echo "SWAP rackswap@encrypt seq $r 8000 1000 900 5000 ok"
		echo "SWAP rackswap@encrypt rand $r 3000 500 400 1000 ok"
		fio rackswap@encrypt randread_4k_qd1 $r 3000 0 12000 0 150000
		fio rackswap@encrypt randrw_4k_qd32 $r 5000 5000 0 0 0
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
expect "integrity: on and off, ratios (6.5 + 2) s over (6 + 1.9) s = 1.08" 0 sh -c "
	grep -q '^| integrity on (rackswap) | 6.5 | 2.0 | - | 120 | 13500 | 2 of 2, 1 of 2, 0 of 0 |\$' '$md' &&
	grep -q '^| integrity off | 6.0 | 1.9 | - | 100 | 14000 | 2 of 2, 2 of 2, 0 of 0 |\$' '$md' &&
	grep -q '^| on/off | 1.08 | 1.05 | - | 1.20 | 0.96 | all three: 1.08 |\$' '$md'"
expect "integrity's target: 1.08, met" 0 \
	grep -q '^| integrity_swap_time_on_vs_off | 1.08 | <= 1.15 | yes |$' "$md"
expect "encrypt: its cipher, driver, AES instructions, ratios to rackswap" 0 sh -c "
	grep -q 'cipher gcm(aes), driver gcm_base(ctr(aes-aesni),ghash-generic); the CPU.s aes flag: yes; AES instructions used: yes' '$md' &&
	grep -q '^| on/off | 1.23 | 1.50 | - | 1.25 | 0.74 | all three: 1.29 |\$' '$md'"
expect "connect: medians 55 and 65 ms, p90 90 and 100 ms, a failure counted" 0 sh -c "
	grep -q '^| none | 55.0 | 90.0 | 10 (0) |\$' '$md' &&
	grep -q '^| on both sides | 65.0 | 100.0 | 10 (1) |\$' '$md' &&
	grep -q '^| keyed/open | 1.18 | 1.11 | |\$' '$md' &&
	grep -q 'timer itself takes 1000 us' '$md'"
expect "the JSON has them under integrity, encrypt and connect" 0 python3 -c "
import json, sys
d = json.load(open('$j'))
ok = (abs(d['integrity']['ratios_on_off']['swap_time'] - 8.5 / 7.9) < 1e-9 and
      d['encrypt']['aes_instructions_used'] is True and
      d['encrypt']['off']['seconds']['seq'] == 6.5 and
      d['connect']['keyed']['each_us'][0] == 110000 and
      d['connect']['open']['p90_ms'] == 90.0)
sys.exit(0 if ok else 1)"

# the same boot without encryption in the build and without connect times
grep -v -e '^BENCH connect_' -e 'encrypt' "$D/results" >"$D/results2"
echo "BENCH encrypt_skipped no /sys/block/rackswap0/encrypt in this build" >>"$D/results2"
expect "it runs without them" 0 python3 "$R" "$D/results2" "$D/out2" 6.1.0-test
expect "encryption said skipped, not zero" 0 grep -q \
	'^Encryption (issue 35): skipped (no /sys/block/rackswap0/encrypt in this build); the CPU.s aes flag: yes.$' \
	"$D/out2/bench.md"
expect "no encryption row" 1 grep -q '^| encrypt on' "$D/out2/bench.md"
expect "connect time said not measured" 0 grep -q \
	'^Connect time (issue 35): not measured in this boot.$' "$D/out2/bench.md"
expect "the JSON says skipped" 0 python3 -c "
import json, sys
d = json.load(open('$D/out2/bench.json'))
sys.exit(0 if 'skipped' in d['encrypt'] and 'skipped' in d['connect'] and
         'ratios_on_off' in d['integrity'] else 1)"
done_testing
