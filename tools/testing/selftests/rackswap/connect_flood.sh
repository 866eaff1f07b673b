#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=full debug=yes timeout=1800
#
# Strangers are bounded. node1 donates and allows node2 with key 1; node2
# holds key 1 and swaps on /dev/rackswap0 stored on node1 (a workload
# writing and verifying every word in a cgroup with memory.max=48M). While
# it runs, node2's test module sends node1 1,000 half-open connect requests
# (test_flood: each from a random identity that claims to authenticate, no
# QP behind it, the accept never answered), 32 at a time, each held 6 s:
# node1 accepts at most 16 at once (strangers_peak), refuses the rest
# (strangers_refused) and drops each accepted one after 5 s
# (strangers_dropped); none goes live. Then node2 sends 50 connect
# requests that claim its own live relationship (its UUID, incarnation and
# session, from the same host, no proof to follow): node1 refuses each and
# its live connection is not ended. The workload finishes with 0 bad
# words, node2's connection never dropped and no request failed. Once node2
# left, node1 has no stranger and its RDMA resources, slab objects and
# free memory are back to what they were before node2 came.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7498
FLOOD=1000
if debug_run; then MIB=64; else MIB=160; fi
LOAD="port=$PORT uuid=$(node_uuid "$NODE") slab_size=4M reconnect_delay_ms=500 reconnect_tries=2"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	A=$(link_addr 1 2)
	keyed_work $PORT $MIB
	t0=$(date +%s)
	check "flood: $FLOOD half-open connects, 32 at a time, held 6 s" \
		sh -c "echo '$A $PORT $FLOOD 32 6000' >$DK/test_flood"
	r=$(cat $DK/test_flood)
	log "flood: $r in $(($(date +%s) - t0)) s"
	check "told node1 the flood is over" tell 1 flooded
	check "all $FLOOD sent" [ "$(field started "$r")" = $FLOOD ]
	check "node1 accepted some, half-open ($(field half_open "$r"))" \
		[ "$(field half_open "$r")" -ge 1 ]
	check "and refused others ($(field refused "$r"))" [ "$(field refused "$r")" -ge 1 ]
	check "50 unproven connect requests under our relationship's session" \
		sh -c "echo '$A $PORT 50 4 1000 $p' >$DK/test_flood"
	r=$(cat $DK/test_flood)
	log "claims: $r"
	check "each refused ($(field refused "$r")), none accepted ($(field half_open "$r"))" \
		test "$(field refused "$r")" = 50 -a "$(field half_open "$r")" = 0
	check "our connection was not ended" [ "$(cat $C/peers/$p/state)" = live ]
	keyed_work_end
	check "disconnect" sh -c "echo '$A $PORT' >$C/disconnect"
	check "told node1" tell 1 end
	check "rmmod" rs_unload
	tap_done
fi

res_snapshot /tmp/res.a
keyed_donor
kmsg_mark
# the most strangers seen by sampling each second until node2 says the
# flood is over, next to the module's own peak
hear flooded 1800 >/dev/null &
hp=$!
top=0
while kill -0 $hp 2>/dev/null; do
	n=$(auth_stat 3)
	[ "$n" -le $top ] || top=$n
	sleep 1
done
check "node2 says the flood is over" wait $hp
log "auth_stat $(cat $C/auth_stat) (authenticated auth_failed strangers peak refused dropped refused_early); sampled top $top"
check "at most 16 strangers at once (peak $(auth_stat 4), sampled $top)" \
	sh -c "[ $(auth_stat 4) -le 16 ] && [ $top -le 16 ]"
check "strangers over the cap were refused" [ "$(auth_stat 5)" -ge 1 ]
check "strangers were dropped at their deadline" [ "$(auth_stat 6)" -ge 1 ]
check "the drops were logged" logged 'hello within 5000 ms: dropped'
none_live() { ! since_mark | grep -q 'is live'; }
check "no stranger went live" none_live
check "node2's connection stayed live" [ "$(cat $C/peers/$p/state)" = live ]
check "node2 is done" hear end 1800
check "no stranger now" [ "$(auth_stat 3)" = 0 ]
no_peers() { [ -z "$(ls $C/peers)" ]; }
check "node2's relationship closed" retry 120 no_peers
check "nothing granted" [ "$(cat $D/granted_bytes)" = 0 ]
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back to before" \
	res_back /tmp/res.a $RES_OBJS 4096
check "rmmod" rs_unload
tap_done
