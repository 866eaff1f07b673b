#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=no timeout=600
#
# The authenticated handshake in one kernel (loopback mode: this node's key
# is also the key its allowlist holds for its own UUID). An open node says
# so at load. Keyed, a connection authenticates both ways (both ends count
# a proof that held, the accepting end takes the UUID only then) and its
# data QPs come up with their tags. Then each of these is refused, logged
# and counted, and leaves no peer: a recorded HELLO replayed on a new
# connection (test_hello_replay: its nonce and proof from the earlier
# connection), a HELLO whose name a relay changed after the proof, a
# request sent before the HELLO (test_early_request: the
# accepting end must not serve it), a connect request that does not
# authenticate, an accept
# that does not (the connecting side refuses it), a wrong key. A key
# rotation: with the new key and the previous one both accepted, either
# connects; after "final" only the new one. The rack-wide key is refused
# for an identity that is listed, accepted once it is not. The key file is not readable,
# the allowlist lists no key, no key is ever logged, bad input is refused.
# With every key cleared the node is open again and says so.
. ./lib.sh
C=/sys/kernel/rackswap/krdma
PORT=7472
tap_plan

no_peers() { [ -z "$(ls $C/peers)" ]; }
# disconnect: our connection to ourselves closed, both ends gone
disconnect() {
	echo "$LOOP_ADDR $PORT" >$C/disconnect && retry 30 no_peers
}
# refused WHAT LOGLINE: a connect is refused, LOGLINE is logged, auth_failed
# grew by one, no peer stays, nothing went live
refused() {
	local f0 e
	f0=$(auth_stat 2)
	kmsg_mark
	e=$(connect_err $LOOP_ADDR $PORT)
	log "$1: '$e'; $(since_mark | grep -m1 "$2")"
	[ -n "$e" ] && retry 10 logged "$2" && [ "$(auth_stat 2)" = $((f0 + 1)) ] &&
		retry 30 no_peers && ! logged 'is live'
}
# connects: a connect goes live, both ends' proofs held, then disconnect
connects() {
	local a0
	a0=$(auth_stat 1)
	[ -z "$(connect_err $LOOP_ADDR $PORT)" ] && [ "$(auth_stat 1)" = $((a0 + 2)) ] && disconnect
}

check "rxe0 on dummy0" rxe_loopback_up
kmsg_mark
check "load (loopback=1, no reconnection)" rs_load loopback=1 reconnect_tries=0
# our UUID: the module's, once it is loaded
ME=$(cat /sys/kernel/rackswap/uuid 2>/dev/null)
check "an open node says so at load" logged 'this node is open to any host'
check "auth_stat all zero" [ "$(cat $C/auth_stat)" = "0 0 0 0 0 0 0" ]

# --- keys --------------------------------------------------------------------
kmsg_mark
check "our key set" sh -c "echo $AUTH_KEY1 >$C/key"
check "our UUID allowed with it" sh -c "echo '$ME $AUTH_KEY1' >$C/allow"
check "authentication on, logged" logged 'authentication on'
check "allowed lists it without its key" [ "$(cat $C/allowed)" = "$ME 1" ]
check "the key file cannot be read" fails cat $C/key
check "bad keys refused (EINVAL)" refused_with $C/key 1234 "Invalid argument"
check "a bad allowlist line refused (EINVAL)" \
	refused_with $C/allow "$ME $AUTH_KEY1 maybe" "Invalid argument"
check "removing an identity not allowed: ENOENT" \
	refused_with $C/allow "remove $(node_uuid 9)" "No such file or directory"

# --- an authenticated connection, its HELLO recorded ------------------------------
echo 1 >$DK/test_hello_replay
loop_connect
echo 0 >$DK/test_hello_replay
check "both ends' proofs held (auth_stat $(cat $C/auth_stat))" [ "$(auth_stat 1)" = 2 ]
check "the accepting end took our UUID once verified" [ "$(cat $C/peers/$in/uuid)" = "$ME" ]
check "no stranger left" [ "$(auth_stat 3)" = 0 ]
check "disconnect" disconnect

# --- refusals ------------------------------------------------------------------------
echo 2 >$DK/test_hello_replay
check "a replayed HELLO (old nonce and proof) is refused" \
	refused replay 'authentication failed'
check "the replay was sent" logged 'replays a kept one'
echo 3 >$DK/test_hello_replay
check "a HELLO whose name changed after its proof is refused" \
	refused tampered-name 'authentication failed'
check "the changed HELLO was sent" logged 'name was changed after its proof'
echo 0 >$DK/test_hello_replay
echo 1 >$DK/test_early_request
check "a request before the HELLO is not served: the connection is refused" \
	refused early-request 'request op 2 before its hello'
check "the early request was sent" logged 'a request before our HELLO'
echo 0 >$DK/test_early_request
echo 1 >$DK/test_auth_mode
check "a connect request that does not authenticate is refused" \
	refused plain-request 'does not authenticate: refused'
echo 2 >$DK/test_auth_mode
check "an accept that does not authenticate is refused by the connecting side" \
	refused plain-accept 'does not authenticate: refused'
echo 0 >$DK/test_auth_mode
echo $AUTH_KEY_BAD >$C/key
check "a wrong key is refused" refused wrong-key 'authentication failed'

# --- rotation ---------------------------------------------------------------------------
check "rotate our identity to key 2 (key 1 still accepted)" \
	sh -c "echo '$ME $AUTH_KEY2' >$C/allow && [ \"\$(cat $C/allowed)\" = '$ME 2' ]"
echo $AUTH_KEY2 >$C/key
check "the new key connects" connects
echo $AUTH_KEY1 >$C/key
check "the previous key still connects" connects
check "final: key 2 only" \
	sh -c "echo '$ME $AUTH_KEY2 final' >$C/allow && [ \"\$(cat $C/allowed)\" = '$ME 1' ]"
check "the previous key is refused now" refused old-key 'authentication failed'
echo $AUTH_KEY2 >$C/key
check "the new key connects" connects

# --- the rack-wide key: only for identities not listed ------------------------------------
check "a rack-wide key (key 1) besides our identity's key 2" \
	sh -c "echo 'any $AUTH_KEY1' >$C/allow"
echo $AUTH_KEY1 >$C/key
check "our listed identity proving the rack-wide key is refused" \
	refused listed-any 'authentication failed'
check "our identity removed" sh -c "echo 'remove $ME' >$C/allow"
check "not listed, the rack-wide key connects" connects

# --- open again -------------------------------------------------------------------------
kmsg_mark
echo clear >$C/allow
echo clear >$C/key
check "keys cleared: the node says it is open" logged 'this node is open to any host'
check "allowed is empty" [ -z "$(cat $C/allowed)" ]
a0=$(auth_stat 1)
e=$(connect_err $LOOP_ADDR $PORT)
check "an open node connects without authenticating ('$e')" [ -z "$e" ]
check "no proof counted" [ "$(auth_stat 1)" = "$a0" ]
check "disconnect" disconnect
log "auth_stat: $(cat $C/auth_stat)"
check "no stranger left, at most 16 at once" \
	sh -c "[ $(auth_stat 3) = 0 ] && [ $(auth_stat 4) -le 16 ]"
check "no key was ever logged" no_key_logged
check "rmmod" rs_unload
tap_done
