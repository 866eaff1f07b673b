#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=4 tier=full debug=yes timeout=1200
#
# Placement when donors stop giving, with two copies of every slab. node1
# keeps a dvs space of 256M in two copies of each 4M slab over three
# donors: node2 (donates 160M), node3 (128M) and node4 (64M).
# - 16M written: node2, the donor with the most room, holds a copy of
#   every slab; the other copies are on node3 and node4.
# - node2 lowers its limit to 2M, below what it holds: nothing is revoked,
#   the next 32M go to node3 and node4 only, two copies each, and node2
#   grants nothing more.
# - node4's limit is reached (the 48M after that): its slabs are refused,
#   as a donor out of memory refuses them; the writes still land, each
#   slab on as many donors as have room: some with one copy, the space
#   degraded, nothing lost.
# - node2 raises its limit again: the missing copies are made there
#   (rebuild: bytes, time and count logged), the space is no longer
#   degraded, all 96M read back word for word, two copies of every bound
#   slab (a pooled one gets its missing copy once bound).
# At the end every donor has granted nothing and its memory and RDMA
# resources are back; a donor waits for node1 to be gone with nothing
# granted (a connection lost and made again is not node1 leaving).
#
# node1 tells node2 when to lower and raise its limit (tell/hear).
. ./lib.sh
[ "$NODES" -ge 4 ] || skip_all "needs four nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7485
LOAD="port=$PORT slab_size=4M pool_min=2 pool_max=2 reconnect_delay_ms=500 connect_timeout_ms=2000"
tap_plan

check "rxe on the links" rxe_links_up
res_snapshot /tmp/res.a
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	# placement reads each donor's room when the pool fills: the donors
	# set their limits before we connect (else one may have none yet)
	hear3() { hear up 300 && hear up 300 && hear up 300; }
	check "the donors set their limits" hear3
	connect_donors $PORT 2 3 4
	slabs() { echo $(($(cat $D/slabs_bound) + $(cat $D/slabs_pooled))); }
	stored() { log "slabs $(slabs); stored: node2 $(stored_on 2) node3 $(stored_on 3) node4 $(stored_on 4); degraded $(cat $D/slabs_degraded)"; }
	# two copies of every slab, on two donors; $1 pooled slabs may have
	# one (made while donors were short: the repair waits for them to be
	# bound, they hold no data yet)
	two_copies() {
		local s=$(slabs) sum=$(($(stored_on 2) + $(stored_on 3) + $(stored_on 4)))
		[ "$sum" -le $((2 * s * 4 * M)) ] &&
			[ "$sum" -ge $(((2 * s - ${1:-0}) * 4 * M)) ] &&
			[ "$(stored_on 2)" -le $((s * 4 * M)) ] &&
			[ "$(stored_on 3)" -le $((s * 4 * M)) ] &&
			[ "$(stored_on 4)" -le $((s * 4 * M)) ] &&
			[ "$(cat $D/slabs_degraded)" = 0 ]
	}
	check "a space of 256M in 2 copies" ctl "create 256M rdma 2"
	check "its pool fills" ctl "fill 60000"
	check "16M written" ok_res "$(cmd "write 0 $((16 * M)) 5 786432 30000")"
	check "two copies of every slab" retry 30 two_copies
	stored
	check "node2 (the most room) holds a copy of every slab" \
		[ "$(stored_on 2)" = $(($(slabs) * 4 * M)) ]
	on2=$(stored_on 2)

	ask() { tell 2 "$1" && hear "$2"; }
	check "node2 lowers its limit to 2M" ask lower lowered
	r=$(cmd "write $((16 * M)) $((32 * M)) 6 786432 30000")
	check "32M more written" ok_res "$r"
	check "two copies of every slab, none more on node2" retry 30 two_copies
	stored
	check "node2 holds what it held" [ "$(stored_on 2)" = "$on2" ]
	check "the first 48M read back" ok_res "$(cmd "read 0 $((16 * M)) 5 786432")"
	check "... and the next 32M" ok_res "$(cmd "read $((16 * M)) $((32 * M)) 6 786432")"

	kmsg_mark
	r=$(cmd "write $((48 * M)) $((48 * M)) 7 786432 30000")
	check "48M more written, beyond node4's limit" ok_res "$r"
	stored
	degraded() { [ "$(cat $D/slabs_degraded)" -gt 0 ]; }
	check "node4 full: slabs with one copy, degraded" retry 30 degraded
	one_copy_logged() { since_mark | grep -q 'a slab got 1 of 2 copies'; }
	check "logged" one_copy_logged
	check "all 96M read back (first 16M)" ok_res "$(cmd "read 0 $((16 * M)) 5 786432")"
	check "... the next 32M" ok_res "$(cmd "read $((16 * M)) $((32 * M)) 6 786432")"
	check "... the last 48M" ok_res "$(cmd "read $((48 * M)) $((48 * M)) 7 786432")"

	rebuilt0=$(cat $D/copies_rebuilt)
	t0=$(date +%s)
	rebuilt() { [ "$(cat $D/copies_rebuilt)" -gt "$rebuilt0" ] && [ "$(cat $D/slabs_degraded)" = 0 ]; }
	check "still degraded when node2 raises its limit" degraded
	check "node2 raises its limit again" ask raise raised
	check "the missing copies made on node2, nothing degraded" retry 300 rebuilt
	log "rebuilt $(($(cat $D/copies_rebuilt) - rebuilt0)) copies in $(($(date +%s) - t0)) s: $(cat $D/rebuild_bytes) bytes in $(cat $D/rebuild_ms) ms"
	check "two copies of every bound slab (pooled ones: once bound)" \
		retry 30 two_copies "$(cat $D/slabs_pooled)"
	stored
	check "all 96M read back (first 16M)" ok_res "$(cmd "read 0 $((16 * M)) 5 786432")"
	check "... the next 32M" ok_res "$(cmd "read $((16 * M)) $((32 * M)) 6 786432")"
	check "... the last 48M" ok_res "$(cmd "read $((48 * M)) $((48 * M)) 7 786432")"
	check "no slab lost" [ "$(cat $D/slabs_lost)" = 0 ]
	check "destroy the space" ctl "destroy"
	check "rmmod" rs_unload
	tap_done
fi

case $NODE in
2) echo 160M >$D/donate ;;
3) echo 128M >$D/donate ;;
4) echo 64M >$D/donate ;;
esac
check "told node1 the limit is set" tell 1 up
check "node1 connected" retry 200 peer_in_live
if [ "$NODE" = 2 ]; then
	check "told to lower the limit" hear lower
	check "limit lowered to 2M, below what is granted" sh -c "echo 2M >$D/donate"
	# a grant decided before the new limit may still be on its way
	sleep 2
	g=$(granted)
	log "granted $g"
	check "nothing revoked" [ "$g" -gt $((2 * M)) ]
	check "told node1" tell 1 lowered
	check "told to raise it" hear raise
	check "nothing more granted while lowered" [ "$(granted)" = "$g" ]
	echo 160M >$D/donate
	check "told node1" tell 1 raised
	more() { [ "$(granted)" -gt "$g" ]; }
	check "node1 places its missing copies here" retry 300 more
fi
if [ "$NODE" = 4 ]; then
	full() { [ "$(granted)" = $((64 * M)) ]; }
	check "node1 filled the 64M" retry 600 full
fi
# gone and holding nothing here: a connection lost and made again
# (a reconnection keeps its slabs) is not node1 leaving
none() { ! krdma_peer direction=in state=live >/dev/null && [ "$(granted)" = 0 ]; }
check "node1 left" retry 900 none
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back" \
	res_back /tmp/res.a $RES_OBJS 4096
tap_done
