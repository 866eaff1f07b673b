#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 timeout=1500
#
# Guest side of "make demo", on two VMs joined by a soft-RoCE link: node1
# donates memory, node2 swaps to it through /dev/rackswap0. On node2 a
# workload bigger than its cgroup's memory.max runs: a process writing
# 256 MiB and verifying every word under 64M, then sort of 300k generated
# lines (about 36 MiB of memory) under 24M, its output checked against the
# same sort without a limit. Each node
# prints "SUMMARY <key> <value>" lines for the host's summary.
. /selftests/rackswap/lib.sh
set -u
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7477
say() { printf '\n### node%s: %s\n' "$NODE" "$*"; }
sum() { echo "SUMMARY $*"; }
fail() { echo "demo: $*" >&2; exit 1; }

say "kernel $(uname -r), $(grep MemTotal /proc/meminfo | tr -s ' ')"
rxe_links_up || fail "no soft-RoCE on the link"

if [ "$NODE" = 1 ]; then
	say "modprobe krdma port=$PORT; modprobe dvs; echo 512M >$D/donate   (the donor)"
	{ modprobe krdma port=$PORT && modprobe dvs && echo 512M >$D/donate; } || fail "modprobe"
	# follow the swapper: the most memory granted, until it gave all back
	max=0 seen=0 t=0
	while [ $t -lt 1200 ]; do
		g=$(cat $D/granted_bytes)
		[ "$g" -gt "$max" ] && { max=$g; slabs=$(cat $D/granted_slabs); holders=$(cat $D/holders); }
		[ "$g" -gt 0 ] && seen=1
		[ $seen = 1 ] && [ "$g" = 0 ] && break
		sleep 1
		t=$((t + 1))
	done
	say "most granted at once: $max bytes in ${slabs:-0} slabs, to: ${holders:-nobody}"
	sum donor_max_granted_bytes "$max"
	sum donor_max_granted_slabs "${slabs:-0}"
	sum donor_granted_at_end "$(cat $D/granted_bytes)"
	sleep 3
	modprobe -r dvs || fail "rmmod"
	say "modprobe -r dvs: done"
	exit 0
fi

say "modprobe krdma port=$PORT; modprobe rackswap; echo 4M >$B/slab_size   (the swapper)"
{ modprobe krdma port=$PORT && modprobe dvs && modprobe rackswap && echo 4M >$B/slab_size; } ||
	fail "modprobe"
# the connection's settings go in the connect string (2000: the default)
say "echo '$(link_addr 1 2) $PORT heartbeat_ms=2000' >$C/connect"
connect() { echo "$(link_addr 1 2) $PORT heartbeat_ms=2000" >$C/connect 2>/dev/null; }
retry 150 connect || fail "cannot connect to node1"
p=$(krdma_peer direction=out state=live)
retry 30 sh -c "[ \$(cat $C/peers/$p/data_qps) -ge 1 ]" || fail "no data QP"
say "connected to $(cat $C/peers/$p/name) at $(cat $C/peers/$p/address)"
rdma link show
echo 512M >$B/disksize
mkswap /dev/rackswap0 >/dev/null
swapon -d /dev/rackswap0 || fail "swapon"	# -d: discard once and as freed
cat /proc/swaps
swap_cgroup 64M || fail "no cgroup"
say "cgroup memory.max=64M; the workload runs in it"

out0=$(vmstat pswpout) in0=$(vmstat pswpin) t0=$(date +%s)
r=$(in_cgroup memtouch seq 256 1)
t1=$(date +%s)
say "memtouch: $r"
echo "$r" | grep -q ': 0 bad words' && v1=OK || v1=FAILED
sort_job 300000
echo 24M >$CG/swap/memory.max
t2=$(date +%s)
got=$(in_cgroup sh /tmp/sortjob)
t3=$(date +%s)
ref=$(sh /tmp/sortjob)
say "sort of 300k lines under 24M: $got; without a limit: $ref"
[ -n "$ref" ] && [ "$got" = "$ref" ] && v2=OK || v2=FAILED
stored=$(cat $C/peers/$p/stored_bytes)
say "io_stat: $(cat $B/io_stat)"
say "read latency buckets (<16us, x2 each): $(cat $B/read_latency)"
sum pswpout $(($(vmstat pswpout) - out0))
sum pswpin $(($(vmstat pswpin) - in0))
sum memtouch_seconds $((t1 - t0))
sum memtouch_verify "$v1"
sum sort_seconds $((t3 - t2))
sum sort_verify "$v2"
sum stored_on_donor_bytes "$stored"
sum read_requests "$(cut -d' ' -f1 $B/io_stat)"
sum write_requests "$(cut -d' ' -f2 $B/io_stat)"
sum failed_requests "$(cut -d' ' -f6 $B/io_stat)"
swapoff /dev/rackswap0 || fail "swapoff"
echo 1 >$B/reset
rmdir $CG/swap
say "swapoff, reset: stored on node1 now $(cat $C/peers/$p/stored_bytes) bytes"
modprobe -r rackswap || fail "rmmod"
[ $v1 = OK ] && [ $v2 = OK ]
