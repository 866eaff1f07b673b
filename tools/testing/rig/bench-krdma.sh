#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench" (krdma part): in one boot, in loopback mode
# over rxe on dummy0, krdma's RPC round trip with 1 and 8 callers, its
# in-kernel 4 KiB RDMA READ/WRITE latency at QD1 (sleeping and with a
# 50 us spin) and throughput at QD32, and perftest's ib_send_lat,
# ib_read_lat and ib_write_bw on the same device as context.
# Prints "BENCH <key> <value>" lines for the host to tabulate.
. /selftests/rackswap/lib.sh
C=/sys/kernel/rackswap/krdma
CALLS=${CALLS:-2000}

die() { echo "bench: $*"; exit 1; }
rxe_loopback_up || die "no rxe"
rs_load loopback=1 || die "cannot load our modules"
conn_str $LOOP_ADDR 7472 >$C/connect || die "cannot connect"
p=$(krdma_peer direction=out) || die "no outgoing peer"

for callers in 1 8; do
	for size in 64 2032; do
		echo "$p $callers $((CALLS * 8 / callers)) $size" >$DK/rpc_test
		r=$(cat $DK/rpc_test)
		echo "# $r"
		for k in p50_us p99_us calls_per_s ok errors mismatches; do
			echo "BENCH krdma_${callers}x${size}_$k $(echo "$r" | sed -n "s/.* $k=\([0-9]*\).*/\1/p")"
		done
	done
done
# one-sided RDMA, 4 KiB pages, every word verified
echo 512 >$DK/test_grant_pages
# rdma NAME ARGS: one rdma_test run, its figures as BENCH rdma_NAME_<key>
rdma() {
	local name=$1 r k
	shift
	echo "$p $*" >$DK/rdma_test
	r=$(cat $DK/rdma_test)
	echo "# rdma $name: $r"
	for k in write_p50_us write_p99_us write_p999_us read_p50_us read_p99_us \
		read_p999_us write_mbps read_mbps ios_per_s ios ok errors mismatches; do
		echo "BENCH rdma_${name}_$k $(echo "$r" | sed -n "s/.* $k=\([0-9]*\).*/\1/p")"
	done
}
rdma qd1 1 512 4 1
echo 50 >$C/poll_spin_us
rdma qd1spin 1 512 4 1
echo 0 >$C/poll_spin_us
rdma qd32 1 512 8 32
rdma qd32x2 2 512 8 16
echo node1 >$C/disconnect
rs_unload

# perftest context, same device, same boot (user-space QPs: see RIG.md)
for size in 64 2032; do
	ib_send_lat -d rxe0 -R -s $size -n 2000 -U >/tmp/srv.$size 2>&1 &
	sleep 1
	ib_send_lat -d rxe0 -R -s $size -n 2000 -U $LOOP_ADDR >/tmp/lat.$size 2>&1
	wait
	# columns: bytes iterations t_min t_max t_typical t_avg t_stdev p99 p99.9
	l=$(awk -v s=$size '$1 == s && NF >= 9' /tmp/lat.$size | tail -n 1)
	echo "# ib_send_lat $size: $l"
	echo "BENCH ib_send_lat_${size}_typical_us $(echo "$l" | awk '{ print $5 }')"
	echo "BENCH ib_send_lat_${size}_p99_us $(echo "$l" | awk '{ print $8 }')"
done

# one-sided perftest, 4 KiB
ib_read_lat -d rxe0 -R -s 4096 -n 2000 -U >/tmp/srv.rl 2>&1 &
sleep 1
ib_read_lat -d rxe0 -R -s 4096 -n 2000 -U $LOOP_ADDR >/tmp/rl 2>&1
wait
l=$(awk '$1 == 4096 && NF >= 9' /tmp/rl | tail -n 1)
echo "# ib_read_lat 4096: $l"
echo "BENCH ib_read_lat_4096_typical_us $(echo "$l" | awk '{ print $5 }')"
echo "BENCH ib_read_lat_4096_p99_us $(echo "$l" | awk '{ print $8 }')"
echo "BENCH ib_read_lat_4096_p999_us $(echo "$l" | awk '{ print $9 }')"
ib_write_bw -d rxe0 -R -s 4096 -n 5000 -q 1 >/tmp/srv.wb 2>&1 &
sleep 1
ib_write_bw -d rxe0 -R -s 4096 -n 5000 -q 1 $LOOP_ADDR >/tmp/wb 2>&1
wait
# columns: bytes iterations BW_peak BW_average MsgRate
l=$(awk '$1 == 4096 && NF >= 5' /tmp/wb | tail -n 1)
echo "# ib_write_bw 4096: $l"
echo "BENCH ib_write_bw_4096_mbps $(echo "$l" | awk '{ printf "%d", $4 }')"
echo "BENCH ib_write_bw_4096_ops_per_s $(echo "$l" | awk '{ printf "%d", $5 * 1000000 }')"
