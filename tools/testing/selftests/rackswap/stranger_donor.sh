#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=no timeout=1500
#
# Donors by configuration, and a donor's limit per client. node1 keeps a
# dvs space (128M, 4 MiB slabs, a pool of 2) over node2, the donor it
# connected to (donates 256M, at most 40M to any one client). node3, which
# node1 was never told to use, connects *to* node1 and donates 1P: the
# most free space any donor can claim. Before node1 writes, node3's
# connection to it is live.
# - node1 writes 24M, read back word for word: node2 holds it all; node3
#   holds nothing (node1's stored bytes on its peer of node3, node3's
#   granted bytes and its peer's of node1: 0).
# - node1 writes on: once it holds 40M on node2, node2 refuses its ALLOCs
#   (ENOSPC: logged "over the per-client limit", counted in quota_refused
#   and requests_refused); node1's write fails with ENOSPC (error -28),
#   node1 never holds more than 40M there, and everything it wrote reads
#   back. Still nothing on node3.
# - node3 then becomes node2's second client: it connects to node2 and
#   writes and reads back 16M of its own: the limit is each client's, not
#   one for all (node2 lists both holders, node1 with 40M at most).
# At the end node2 has granted nothing and its memory and RDMA resources
# are back; node3 never granted anything.
#
# The nodes tell each other where they are (tell/hear).
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7494
LIMIT=40
LOAD="port=$PORT slab_size=4M pool_min=2 pool_max=2 reconnect_delay_ms=500 connect_timeout_ms=2000"
tap_plan

check "rxe on the links" rxe_links_up
res_snapshot /tmp/res.a
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 1 ]; then
	check "node2 set its limits" hear up 300
	connect_donors $PORT 2
	stranger() {
		p3=$(krdma_peer direction=in state=live name=node3) && peer_live "$p3"
	}
	check "node3 connected to us (a peer we did not open)" retry 300 stranger
	check "node3 is not a peer we connected to" [ "$(cat $C/peers/$p3/direction)" = in ]
	on3() { cat $C/peers/$p3/stored_bytes; }
	check "a space of 128M" ctl "create 128M rdma"
	check "its pool fills" ctl "fill 60000"
	check "24M written" ok_res "$(cmd "write 0 $((24 * M)) 5 786432 30000")"
	check "read back: every word verified" ok_res "$(cmd "read 0 $((24 * M)) 5 786432")"
	log "stored: node2 $(stored_on 2), node3 $(on3)"
	check "node2 holds it all" [ "$(stored_on 2)" -ge $((24 * M)) ]
	check "node3 (1P free, never configured) holds nothing" [ "$(on3)" = 0 ]

	kmsg_mark
	r=$(cmd "write $((24 * M)) $((64 * M)) 6 786432 5000")
	log "beyond node2's ${LIMIT}M per client: $r; stored: node2 $(stored_on 2), node3 $(on3)"
	check "a write past node2's limit for us fails with ENOSPC" \
		sh -c "echo '$r' | grep -q '^error -28 '"
	check "node2 holds no more than ${LIMIT}M of ours" [ "$(stored_on 2)" -le $((LIMIT * M)) ]
	check "... and more than the 24M written" [ "$(stored_on 2)" -gt $((24 * M)) ]
	check "node3 still holds nothing" [ "$(on3)" = 0 ]
	check "the first 24M read back" ok_res "$(cmd "read 0 $((24 * M)) 5 786432")"
	off=$(echo "$r" | awk '{ print $3 }')
	if [ -n "$off" ] && [ "$off" -gt $((24 * M)) ]; then
		check "what the second write wrote before it failed reads back" \
			ok_res "$(cmd "read $((24 * M)) $((off - 24 * M)) 6 786432")"
	fi
	check "told node2 we are over its limit" tell 2 quota
	check "told node3 so" tell 3 quota
	check "node3 was node2's second client" hear done3 1200
	check "node3 holds nothing of ours at the end" [ "$(on3)" = 0 ]
	check "destroy the space" ctl "destroy"
	check "nothing stored on node2 any more" [ "$(stored_on 2)" = 0 ]
	check "told node3 we are done" tell 3 bye
	check "rmmod" rs_unload
	tap_done
fi

if [ "$NODE" = 3 ]; then
	check "donate 1P" sh -c "echo 1P >$D/donate"
	a=$(conn_str "$(link_addr 1 3)" $PORT)
	check "connected to node1 (it never connected to us)" retry 150 sh -c \
		"echo '$a' >$C/connect 2>/dev/null"
	p1=$(krdma_peer "address=$(link_addr 1 3) $PORT")
	check "node1 is over node2's limit" hear quota 1200
	check "we granted node1 nothing" [ "$(granted)" = 0 ]
	check "... nor did our peer of node1" [ "$(cat $C/peers/$p1/granted_bytes)" = 0 ]
	# node2's second client (connect_donors is node1's: our address differs)
	a2=$(link_addr 2 3)
	check "connected to node2" retry 150 sh -c \
		"echo '$(conn_str "$a2" $PORT)' >$C/connect 2>/dev/null"
	p2=$(krdma_peer "address=$a2 $PORT")
	check "RDMA ready to node2" retry 60 peer_live "$p2"
	check "a space of 32M" ctl "create 32M rdma"
	check "its pool fills" ctl "fill 60000"
	check "16M written on node2 while node1 is at its limit" \
		ok_res "$(cmd "write 0 $((16 * M)) 7 786432 30000")"
	check "read back: every word verified" ok_res "$(cmd "read 0 $((16 * M)) 7 786432")"
	check "node2 holds it" [ "$(stored_on 2)" -ge $((16 * M)) ]
	check "told node2" tell 2 second
	check "node2 saw both clients" hear seen 600
	check "destroy the space" ctl "destroy"
	check "nothing stored on node2 any more" [ "$(stored_on 2)" = 0 ]
	check "told node1" tell 1 done3
	check "node1 is done" hear bye 1200
	check "we never granted anything" [ "$(granted)" = 0 ]
	check "rmmod" rs_unload
	tap_done
fi

check "donate 256M" sh -c "echo 256M >$D/donate"
check "at most ${LIMIT}M per client" sh -c "echo $LIMIT >$D/client_limit_mb"
check "told node1 the limits are set" tell 1 up
check "node1 connected" retry 200 krdma_peer direction=in state=live name=node1
p1=$(krdma_peer direction=in state=live name=node1)
ref0=$(cat $D/requests_refused)
q0=$(cat $D/quota_refused)
kmsg_mark
check "node1 is over our limit" hear quota 1200
log "holders: $(cat $D/holders | tr '\n' ';'); quota_refused $q0 -> $(cat $D/quota_refused)"
check "node1 holds ${LIMIT}M at most" [ "$(cat $C/peers/$p1/granted_bytes)" -le $((LIMIT * M)) ]
check "its ALLOCs past the limit were refused and counted" [ "$(cat $D/quota_refused)" -gt "$q0" ]
check "... also as requests refused" [ "$(cat $D/requests_refused)" -gt "$ref0" ]
check "... and logged" logged "ALLOC refused: over the per-client limit"
check "node3 is our second client" hear second 1200
p3=$(krdma_peer direction=in state=live name=node3)
log "holders: $(cat $D/holders | tr '\n' ';')"
check "both are holders, node1 within the limit, node3 with slabs" sh -c \
	"[ \$(wc -l <$D/holders) = 2 ] && [ \$(cat $C/peers/$p1/granted_bytes) -le $((LIMIT * M)) ] &&
	 [ \$(cat $C/peers/$p3/granted_bytes) -gt 0 ]"
check "told node3" tell 3 seen
none() { ! krdma_peer direction=in state=live >/dev/null && [ "$(granted)" = 0 ]; }
check "node1 and node3 left" retry 900 none
check "nothing granted at the end" [ "$(granted)" = 0 ]
check "rmmod" rs_unload
check "RDMA resources, slab objects (+$RES_OBJS) and memory (4M) back" \
	res_back /tmp/res.a $RES_OBJS 4096
tap_done
