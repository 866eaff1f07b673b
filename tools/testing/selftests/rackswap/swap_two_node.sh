#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=no timeout=1200
#
# Swap to another machine's memory: node1 donates 384M, node2 swaps on
# /dev/rackswap0 (4 MiB slabs) over the rxe link. In a cgroup v2 with
# memory.max=64M on node2: 192 MiB written and verified, and two processes
# touching random pages of 64 MiB each, every page verified; pswpout
# grows; node1 lists node2 as the holder of the bytes it granted node2,
# and refuses rmmod meanwhile; after swapoff and reset node2 stores nothing
# and node1 has granted nothing; node1's memory and RDMA resources are back.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
B=/sys/block/rackswap0
PORT=7476
LOAD="port=$PORT slab_size=4M reconnect_delay_ms=500"
tap_plan

check "rxe on the links" rxe_links_up
res_snapshot /tmp/res.a
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	connect() { conn_str "$(link_addr 1 2)" $PORT >$C/connect 2>/dev/null; }
	check "connected to node1" retry 150 connect
	p=$(krdma_peer direction=out state=live)
	ready() { [ "$(cat $C/peers/$p/data_qps)" -ge 1 ]; }
	check "its data QP is up" retry 30 ready
	check "disksize 320M" sh -c "echo 320M >$B/disksize"
	check "mkswap" sh -c "mkswap /dev/rackswap0 >/dev/null"
	check "swapon" swapon /dev/rackswap0
	check "cgroup memory.max=64M" swap_cgroup 64M
	seq_verify 192 1
	rand_verify 2 64 20000
	stored=$(cat $C/peers/$p/stored_bytes)
	log "stored on node1: $stored; io_stat $(cat $B/io_stat)"
	check "slabs are stored on node1" [ "$stored" -gt 0 ]
	check "swapoff" swapoff /dev/rackswap0
	check "no request failed" [ "$(cut -d' ' -f6 $B/io_stat)" = 0 ]
	check "reset" sh -c "echo 1 >$B/reset"
	check "nothing stored any more" [ "$(cat $C/peers/$p/stored_bytes)" = 0 ]
	rmdir $CG/swap
	sleep 2
	check "rmmod" rs_unload
	tap_done
fi

echo 384M >$D/donate
check "node2 connected" retry 200 peer_in_live
p=$(krdma_peer direction=in state=live)
held() { [ "$(cat $D/granted_bytes)" -gt 0 ]; }
check "node2 swaps into our memory" retry 300 held
log "holders: $(cat $D/holders)"
# node2's pool may still be filling: the two reads must agree at one moment
listed() {
	[ "$(awk '{ print $1 }' $D/holders)" = "$p" ] &&
		[ "$(awk '{ print $4 }' $D/holders)" = "$(cat $C/peers/$p/granted_bytes)" ]
}
check "node2 is listed as holder, with its granted bytes" retry 30 listed
check "dvs holds itself while node2 holds slabs: rmmod refused" mod_pinned dvs
none() { [ "$(cat $D/granted_bytes)" = 0 ]; }
check "after node2's reset nothing is granted" retry 600 none
gone() { ! krdma_peer direction=in state=live >/dev/null; }
check "node2 left" retry 120 gone
check "rmmod" rs_unload
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back" \
	res_back /tmp/res.a $RES_OBJS 4096
tap_done
