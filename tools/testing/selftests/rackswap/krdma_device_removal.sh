#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=300
#
# A connection to ourselves (loopback: the test module's hook, set after
# the load, so not through peers=, which load_params covers), with its
# reconnection delay in the connect string, then an RDMA device removed
# under live connections ("rdma link delete" while RPCs are in flight): the
# connections are torn down through the ib_client remove callback, the
# calls fail instead of hanging, the peers wait to reconnect; once the
# device is back they reconnect, and the module unloads.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
check "load with loopback=1" rs_load loopback=1 reconnect_delay_ms=500
loop_connect
check "the connection is live" retry 20 krdma_peer direction=out state=live
out=$(krdma_peer direction=out state=live)
check "its reconnection delay is the connect string's" \
	grep -q 'reconnect_delay_ms=500' "$C/peers/$out/options"

(echo "$out 8 100000 512" >$DK/rpc_test 2>/dev/null; cat $DK/rpc_test >/tmp/rm.res) &
bg=$!
sleep 2
t0=$(uptime_s)
rdma link delete rxe0
wait $bg
ms=$(echo "$t0 $(uptime_s)" | awk '{ printf "%d", ($2 - $1) * 1000 }')
log "rdma link delete under load: calls ended after $ms ms: $(cat /tmp/rm.res)"
calls_failed() { grep -q 'errors=[1-9]' /tmp/rm.res && ! grep -q 'mismatches=[1-9]' /tmp/rm.res; }
check "in-flight calls failed (no hang, no bad payload)" calls_failed
check "removal logged" sh -c "dmesg | grep -q 'rxe0 removed: closing its connections'"
check "the outgoing peer waits to reconnect" retry 10 krdma_peer direction=out state=reconnecting
check "device back" rdma link add rxe0 type rxe netdev dummy0
check "the peer reconnected" retry 30 krdma_peer direction=out state=live
check "it counts the reconnection" [ "$(cat $C/peers/$out/reconnects)" -ge 1 ]
check "rmmod with live peers" rs_unload
tap_done
