#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make bench" (krdma part): in one boot, in loopback mode
# over rxe on dummy0, krdma's RPC round trip with 1 and 8 callers, and
# perftest's ib_send_lat / ib_send_bw on the same device as context.
# Prints "BENCH <key> <value>" lines for the host to tabulate.
. /selftests/rackswap/lib.sh
C=/sys/kernel/rackswap/krdma
DK=/sys/kernel/debug/krdma
CALLS=${CALLS:-2000}

die() { echo "bench: $*"; exit 1; }
rxe_loopback_up || die "no rxe"
modprobe rackswap loopback=1 || die "cannot load rackswap"
echo "$LOOP_ADDR 7472" >$C/connect || die "cannot connect"
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
echo node1 >$C/disconnect
rmmod rackswap

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
