#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=yes timeout=300
#
# A peer dies (its QEMU is killed: a real crash, no goodbye on the wire)
# while RPCs and RDMA I/Os to it are in flight: on the survivor every call
# fails within the deadlines (heartbeats: 1 s x 3, RPC deadline 5 s); the
# I/Os are requeued and fail at their deadline (6 s), and no page whose
# read failed is touched afterwards; after 2 reconnection attempts the peer
# is closed, nothing hangs, and the module unloads.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
# a port of its own: node2 may start this test while node1 still runs the
# previous one
PORT=7474

if [ "$NODE" = 1 ]; then
	tap_plan
	check "rxe on the links" rxe_links_up
	check "load $MOD" rs_load port=$PORT heartbeat_ms=1000
	echo 512 >$DK/test_grant_pages
	check "node2 connected" retry 200 krdma_peer state=live
	# node2 kills this VM now; stay busy until then
	sleep 250
	not_ok "node1 was not killed"
	tap_done
fi

tap_plan
check "rxe on the links" rxe_links_up
check "load $MOD with 1 s heartbeats, 5 s RPC deadline, 2 reconnection attempts" \
	rs_load port=$PORT heartbeat_ms=1000 heartbeat_missed=3 rpc_timeout_ms=5000 \
	reconnect_tries=2 reconnect_delay_ms=500 connect_timeout_ms=2000
retry 150 sh -c "echo '$(conn_str "$(link_addr 1 2)" $PORT)' > $C/connect" 2>/dev/null
p=$(krdma_peer state=live)
check "connected to node1 (peer $p)" [ -n "$p" ]
ready() { [ "$(cat $C/peers/$p/data_qps)" = 1 ]; }
check "its data QP is up" retry 30 ready
# node1 may not allow test grants yet
check "node1 grants test pages" retry 30 sh -c "printf '%s 1 1 1 1' $p >$DK/rdma_test"
(echo "$p 8 100000 512" >$DK/rpc_test 2>/dev/null; cat $DK/rpc_test >/tmp/kill.res) &
bg=$!
(printf '%s 2 256 1000 16 1 6000' "$p" >$DK/rdma_test 2>/dev/null; cat $DK/rdma_test >/tmp/kill.rdma) &
bg2=$!
sleep 3
t0=$(uptime_s)
echo "RIG-KILL 1"
wait $bg
ms=$(echo "$t0 $(uptime_s)" | awk '{ printf "%d", ($2 - $1) * 1000 }')
log "node1 killed under load: calls ended after $ms ms: $(cat /tmp/kill.res)"
failed_fast() {
	grep -q 'errors=[1-9]' /tmp/kill.res && ! grep -q 'mismatches=[1-9]' /tmp/kill.res &&
		[ "$ms" -lt 60000 ] # bounded, well below the hung-task timeout
}
check "in-flight calls failed within the deadlines ($ms ms)" failed_fast
wait $bg2
log "RDMA I/Os: $(cat /tmp/kill.rdma)"
io_failed_at_deadline() {
	grep -q 'errors=[1-9].* mismatches=0 touched=0 first_error=-110' /tmp/kill.rdma
}
check "in-flight I/Os failed at their deadline (ETIMEDOUT), no page touched after" io_failed_at_deadline
gone() { [ -z "$(ls $C/peers)" ]; }
check "the dead peer was closed after its reconnection attempts" retry 30 gone
check "the attempts were logged" sh -c "dmesg | grep -q 'no connection after 2 attempts'"
check "its loss was logged" sh -c "dmesg | grep -qE 'peer lost|connection lost'"
t0=$(uptime_s)
check "rmmod" rs_unload
log "rmmod took $(echo "$t0 $(uptime_s)" | awk '{ printf "%d", ($2 - $1) * 1000 }') ms"
tap_done
