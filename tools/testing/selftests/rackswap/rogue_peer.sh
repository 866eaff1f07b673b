#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=yes timeout=600
#
# A rogue peer in one kernel (loopback mode): a good client stores a dvs
# space on this node's donation through one connection (10.99.0.1); the
# rogue, the same module driven by its test files, connects a second time
# (10.99.0.2) and speaks the protocol badly. Each thing it tries is refused:
# a request replayed or sent on a credit still in use (the connection is
# closed), a battery of DVS requests the donor must refuse (sizes out of
# range or over the donation, FREE of slabs that are not its own, ops no
# one serves: an errno and the connection stays; payloads of the wrong
# length: the connection is closed), the donor's count of refusals matches,
# one-sided RDMA past, across and before its grant and with keys never
# granted or destroyed (the donor's HCA refuses it, the connection drops
# and comes back, the rogue's buffer receives nothing), and a connection
# from an old incarnation of the node. The donor's checksums of the good
# client's slabs do not change, its connection never drops, and it writes
# and reads back afterwards. Then the rogue plays a lying donor: its GRANTS
# answers list a grant twice, set `more` on a message that is not full, or
# count a grant they do not hold; each time the client refuses the answer
# (EPROTO, logged naming the peer), opens nothing and closes the peer for
# good. An ALLOC answer of the donor's naming one grant for both chunks of
# a slab is refused too (logged), and the slab freed by its token. The good
# client still reads its data back.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
SUMS=$DT/donor_sums
ROGUE_ADDR=10.99.0.2
PORT=7472
tap_plan

# good_sums FILE: the donor's checksums of the good client's slabs
good_sums() { awk -v a="$good_out" -v b="$good_in" '$1 == a || $1 == b' $SUMS >"$1"; }
# rogue_in: the incoming end of the rogue's connection (it changes when
# the donor closes it)
rogue_in() {
	local p
	for p in $(ls $C/peers); do
		[ "$p" != "$good_in" ] && [ "$(cat $C/peers/$p/direction)" = in ] &&
			[ "$(cat $C/peers/$p/state)" = live ] && { echo "$p"; return 0; }
	done
	return 1
}
rogue_ready() {
	[ "$(cat $C/peers/$rogue/state 2>/dev/null)" = live ] && rogue_in >/dev/null &&
		[ "$(cat $C/peers/$rogue/data_qps)" -ge 1 ]
}
good_live() {
	[ "$(cat $C/peers/$good_out/state)" = live ] && [ "$(cat $C/peers/$good_in/state)" = live ]
}

check "rxe0 on dummy0" rxe_loopback_up
ip addr add $ROGUE_ADDR/24 dev dummy0 2>/dev/null
check "the rogue's address $ROGUE_ADDR on dummy0" sh -c "ip addr show dev dummy0 | grep -q ' $ROGUE_ADDR/'"
check "load (loopback=1, 4M slabs, pool of 2)" rs_load loopback=1 slab_size=4M \
	pool_min=2 pool_max=2 release_delay_s=3600 reconnect_delay_ms=300 reconnect_tries=30
echo 48M >$D/donate

# --- the good client: 16M written into a 32M space -----------------------
loop_connect
good_out=$out
good_in=$in
check "a space of 32M over rdma" sh -c "echo 'create 32M rdma' >$S"
check "its pool fills" sh -c "echo 'fill 20000' >$S"
r=$(cmd "write 0 $((16 * M)) 21 $M 20000")
check "the good client writes 16M ($r)" sh -c "echo '$r' | grep -q '^ok'"
check "its pool fills again" sh -c "echo 'fill 20000' >$S"
r=$(cmd "read 0 $((16 * M)) 21")
check "and reads it back ($r)" sh -c "echo '$r' | grep -q '^ok'"
good_sums /tmp/sums.a
log "donor sums of the good client's slabs: $(tr '\n' ';' </tmp/sums.a)"
check "the donor holds 6 slabs for it (4 written, 2 pooled)" [ "$(wc -l </tmp/sums.a)" = 6 ]
sleep 2
good_sums /tmp/sums.b
check "their checksums are stable while nothing writes" cmp -s /tmp/sums.a /tmp/sums.b
foreign=$(awk 'NR == 1 { print $2 }' /tmp/sums.a)
rc0=$(cat $C/peers/$good_out/reconnects)

# --- the rogue connects ----------------------------------------------------
check "the rogue connects to $ROGUE_ADDR" sh -c "echo '$(conn_str $ROGUE_ADDR $PORT)' >$C/connect"
rogue=$(krdma_peer "address=$ROGUE_ADDR $PORT")
check "its RDMA is ready (peer $rogue)" retry 30 rogue_ready

# --- krdma: a replayed request, a credit still in use ------------------------
# rogue_msg KIND LOGLINE: the rogue sends that; the donor logs LOGLINE and
# closes its end; the rogue reconnects
# (the donor's end of it keeps its peer id: a reconnection under the same
# session; the rogue's reconnects count tells the connection was closed)
rogue_msg() {
	local before
	before=$(cat $C/peers/$rogue/reconnects)
	kmsg_mark
	echo "$rogue $1" >$DK/test_send_bad || return 1
	retry 10 logged "$2" || { log "$1: no '$2' in the log"; return 1; }
	log "$1: $(since_mark | grep -m1 "$2")"
	ROGUE_RC0=$before
	retry 30 rogue_back
}
rogue_back() {
	rogue_ready && [ "$(cat $C/peers/$rogue/reconnects)" -gt "$ROGUE_RC0" ]
}
check "a replayed request: refused, connection closed, the rogue reconnects" \
	rogue_msg replay "a replay of its previous request"
echo 300 >$DK/test_handler_delay_ms
check "a second request on a credit in use: refused, closed, reconnects" \
	rogue_msg dup "its previous request is still being served"
echo 0 >$DK/test_handler_delay_ms

# --- dvs: the battery of bad requests -------------------------------------------
ref0=$(cat $D/requests_refused)
kmsg_mark
r=$(cmd "rogue $rogue $foreign")
ref1=$(cat $D/requests_refused)
log "rogue DVS requests: $r (ok <refused> <sent> <dropped> <unknown ops>); donor refused $((ref1 - ref0))"
since_mark | grep 'dvs rogue' | sed 's/^/# /'
# shellcheck disable=SC2086 # the result's fields
set -- $r
check "every DVS request refused as expected ($2 of $3)" sh -c "[ '$1' = ok ] && [ '$2' = '$3' ] && [ '$3' -ge 15 ]"
check "the 4 malformed ones closed the connection ($4)" [ "$4" = 4 ]
check "the donor counted each refusal it made ($((ref1 - ref0)) = $3 - $5 to unknown ops)" \
	[ $((ref1 - ref0)) = $(($3 - $5)) ]
check "the donor logged each malformed one" [ "$(since_mark | grep -c 'broke the protocol')" = 4 ]
check "the foreign slab is still there" sh -c "awk '\$2 == $foreign' $SUMS | grep -q ."
check "the rogue is back" retry 30 rogue_ready

# --- RDMA outside its grant -----------------------------------------------------
echo "$rogue" >$DK/test_rogue_rdma
r=$(cat $DK/test_rogue_rdma)
log "rogue RDMA: $r"
check "RDMA past, across, before its grant, keys one off, a destroyed grant's key: 6 of 6 failed" \
	[ "$(field refused "$r")/$(field sent "$r")" = 6/6 ]
check "each broke the connection (reconnects: $(field drops "$r"))" [ "$(field drops "$r")" -ge 6 ]
check "krdma_io_submit() refuses an offset outside the region itself (EINVAL)" [ "$(field api "$r")" = -22 ]
check "the rogue's buffer received nothing" [ "$(field untouched "$r")" = 1 ]
check "the grant and its neighbour kept every byte (crc $(field crc_before "$r") = $(field crc_after "$r"))" \
	[ "$(field intact "$r")" = 1 ]
check "a read inside the grant works before and after" \
	[ "$(field legit_ok "$r")$(field after_ok "$r")" = 11 ]

# --- a connection from an old incarnation ---------------------------------------
check "the rogue disconnects" sh -c "echo '$ROGUE_ADDR $PORT' >$C/disconnect"
# incarnation 1: older than any load of ours (load times in ns)
echo 1 >$DK/test_incarnation
kmsg_mark
n0=$(ls $C/peers | wc -l)
check "a connection as an older incarnation is refused" sh -c "! echo '$(conn_str $ROGUE_ADDR $PORT)' >$C/connect 2>/dev/null"
echo 0 >$DK/test_incarnation
log "$(since_mark | grep -m1 'old incarnation')"
check "the donor logged it as a replay" logged 'refused a connection of an old incarnation'
check "no peer was added" [ "$(ls $C/peers | wc -l)" -le "$n0" ]

# --- the good client, untouched ------------------------------------------------------
check "the good client's connection is live" good_live
check "and never dropped (reconnects $rc0 -> $(cat $C/peers/$good_out/reconnects))" \
	[ "$(cat $C/peers/$good_out/reconnects)" = "$rc0" ]
good_sums /tmp/sums.c
check "the donor's checksums of its slabs are unchanged" cmp -s /tmp/sums.a /tmp/sums.c
r=$(cmd "read 0 $((16 * M)) 21")
check "its data reads back ($r)" sh -c "echo '$r' | grep -q '^ok'"
r=$(cmd "write 0 $((16 * M)) 22 $M 20000")
check "it still writes ($r)" sh -c "echo '$r' | grep -q '^ok'"
r=$(cmd "read 0 $((16 * M)) 22")
check "and reads back ($r)" sh -c "echo '$r' | grep -q '^ok'"
# --- a lying donor: GRANTS answers the client must refuse ------------------------
# lie KIND: the rogue connects again; our answers to its GRANTS requests
# (its donor end) lie so; it asks for a test grant and opens it: the open
# fails with EPROTO (rdma_test's first error; no I/O ran), the refusal is
# logged naming the rogue's peer, and that peer is closed for good
echo 1 >$DK/test_grant_pages
lie() {
	local ri e res
	# (the last rogue's peer may still be leaving the list: EEXIST)
	retry 30 sh -c "echo '$(conn_str $ROGUE_ADDR $PORT)' >$C/connect 2>/dev/null" ||
		{ log "$1: the rogue cannot connect"; return 1; }
	rogue=$(krdma_peer "address=$ROGUE_ADDR $PORT") || { log "$1: no rogue peer"; return 1; }
	retry 30 rogue_ready || { log "$1: the rogue is not ready"; return 1; }
	ri=$(rogue_in)
	echo "$ri $1" >$DK/test_grants_lie || return 1
	kmsg_mark
	e=$(write_err $DK/rdma_test "$rogue 1 1 1 1")
	echo "$ri off" >$DK/test_grants_lie
	res=$(cat $DK/rdma_test)
	log "$1: rdma_test: '$e' first_error=$(field first_error "$res") ios=$(field ios "$res"); $(since_mark | grep -m1 'GRANTS response refused')"
	[ -n "$e" ] && [ "$(field first_error "$res")" = -71 ] && [ "$(field ios "$res")" = 0 ] ||
		{ log "$1: the open was not refused with EPROTO before any I/O"; return 1; }
	logged "peer $rogue (.*): GRANTS response refused" || { log "$1: no refusal naming peer $rogue"; return 1; }
	retry 30 sh -c "[ ! -e $C/peers/$rogue ]" || { log "$1: peer $rogue not closed"; return 1; }
}
check "GRANTS answer listing a grant twice: refused, logged, the peer closed" lie dup
check "GRANTS answer with \`more\` on a message not full: refused, logged, closed" lie more
check "GRANTS answer counting a grant it does not hold: refused, logged, closed" lie count
echo 0 >$DK/test_grant_pages

# --- a lying donor: an ALLOC answer naming one grant for two chunks --------------
# the good client's next slab (its pool refills once a write binds one)
# comes with its last chunk's grant id the same as its first's: the client
# refuses it (logged) and frees it by its ALLOC's token, as an answer it
# never saw; the donor frees it
echo "$good_in 1" >$DT/test_alloc_lie
kmsg_mark
r=$(cmd "write $((16 * M)) $((4 * M)) 23 $M 20000")
check "a write binds a pool slab ($r)" sh -c "echo '$r' | grep -q '^ok'"
alloc_lied() { [ "$(cat $DT/test_alloc_lie)" = "peer=$good_in left=0" ]; }
check "the refill's ALLOC answer lied" retry 30 alloc_lied
check "the client refused it, logged" retry 10 logged "slab grant refused: chunk 1 has grant id"
check "it freed that slab by its token, and the donor did" \
	retry 30 logged "its ALLOC's answer did not reach the client"
echo "$good_in 0" >$DT/test_alloc_lie
r=$(cmd "read $((16 * M)) $((4 * M)) 23")
check "what the write wrote reads back ($r)" sh -c "echo '$r' | grep -q '^ok'"
check "the good client's connection is still live" good_live
r=$(cmd "read 0 $((16 * M)) 22")
check "its data still reads back ($r)" sh -c "echo '$r' | grep -q '^ok'"
check "destroy" sh -c "echo destroy >$S"
check "nothing granted any more" retry 20 sh -c "[ \$(cat $D/granted_bytes) = 0 ]"
check "rmmod" rs_unload
ip addr del $ROGUE_ADDR/24 dev dummy0 2>/dev/null
tap_done
