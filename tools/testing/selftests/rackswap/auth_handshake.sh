#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=yes timeout=1500
#
# Two keyed nodes: node1 donates and allows node2's UUID with key 1; node2
# holds key 1 and swaps on /dev/rackswap0 stored on node1 (a cgroup with
# memory.max=48M; every word verified). Both sides checked each other's
# proof (auth_stat), and each sees the other's UUID. Then node2 leaves and
# tries again with a wrong key, and with no key at all: node1 refuses
# both, logs and counts them, lists no new peer and grants nothing (no
# ALLOC ever reaches it). Node1 then drops its allowlist (open): node2,
# keyed, refuses node1 ("does not authenticate", counted on node2). With
# node1 keyed again, node2 connects again.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7494
if debug_run; then MIB=64; else MIB=160; fi
LOAD="port=$PORT uuid=$(node_uuid "$NODE") slab_size=4M reconnect_delay_ms=500"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD (uuid $(node_uuid "$NODE"))" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	A=$(link_addr 1 2)
	keyed_work $PORT $MIB
	check "we checked node1's proof; it is node1" sh -c \
		"[ $(auth_stat 1) = 1 ] && [ \"\$(cat $C/peers/$p/uuid)\" = $(node_uuid 1) ]"
	check "stored on node1" [ "$(cat $C/peers/$p/stored_bytes)" -gt 0 ]
	keyed_work_end
	check "disconnect" sh -c "echo '$A $PORT' >$C/disconnect"
	check "told node1 we left" tell 1 left
	check "node1 says try" hear try

	echo $AUTH_KEY_BAD >$C/key
	e=$(connect_err "$A" $PORT)
	check "with a wrong key: refused ('$e')" [ -n "$e" ]
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	echo clear >$C/key
	e=$(connect_err "$A" $PORT)
	check "with no key: refused ('$e')" [ -n "$e" ]
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	check "told node1" tell 1 refused

	echo $AUTH_KEY1 >$C/key
	check "node1 is open" hear open
	f0=$(auth_stat 2)
	kmsg_mark
	e=$(connect_err "$A" $PORT)
	log "to an open node1: '$e'; $(since_mark | grep -m1 'does not authenticate')"
	check "keyed, we refuse an open node1 ('$e')" [ -n "$e" ]
	check "logged and counted" sh -c \
		"dmesg | grep -q 'does not authenticate: refused' && [ $(auth_stat 2) = $((f0 + 1)) ]"
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	check "told node1" tell 1 finished
	check "node1 is keyed again" hear keyed
	check "we connect again" retry 60 sh -c \
		"echo '$(conn_str "$A" $PORT)' >$C/connect 2>/dev/null"
	check "told node1" tell 1 again
	check "node1 saw us" hear seen
	check "disconnect" sh -c "echo '$A $PORT' >$C/disconnect"
	check "no key was ever logged" no_key_logged
	check "rmmod" rs_unload
	tap_done
fi

keyed_donor
check "its proof held; it is node2" sh -c \
	"[ $(auth_stat 1) -ge 1 ] && [ \"\$(cat $C/peers/$p/uuid)\" = $(node_uuid 2) ]"
held() { [ "$(cat $D/granted_bytes)" -gt 0 ]; }
check "node2 swaps into our memory" retry 300 held
check "node2 left" hear left 1800
none() { [ "$(cat $D/granted_bytes)" = 0 ]; }
check "nothing granted any more" retry 120 none
alone() { ! krdma_peer direction=in state=live >/dev/null; }
check "no live peer" retry 60 alone
f0=$(auth_stat 2)
kmsg_mark
check "told node2 to try" tell 2 try
check "node2's attempts are over" hear refused 600
log "auth_stat: $(cat $C/auth_stat); $(since_mark | grep -m2 -e 'authentication failed' -e 'does not authenticate' | tr '\n' ';')"
check "the wrong key: logged" logged 'authentication failed'
check "no key: logged" logged 'does not authenticate: refused'
check "both counted" [ "$(auth_stat 2)" -ge $((f0 + 2)) ]
none_live() { ! since_mark | grep -q 'is live'; }
check "neither went live" none_live
check "nothing was granted meanwhile" sh -c "[ $(cat $D/granted_bytes) = 0 ] && [ -z \"\$(cat $D/holders)\" ]"
check "no stranger left, at most 16 at once" \
	sh -c "[ $(auth_stat 3) = 0 ] && [ $(auth_stat 4) -le 16 ]"

check "allowlist cleared: open" sh -c "echo clear >$C/allow"
check "told node2" tell 2 open
check "node2 is done" hear finished 600
check "node2 allowed again" sh -c "echo '$(node_uuid 2) $AUTH_KEY1' >$C/allow"
check "told node2" tell 2 keyed
check "node2 says it connected again" hear again
check "node2 connected again" retry 60 peer_in_live
check "told node2" tell 2 seen
check "node2 left" retry 300 alone
check "no key was ever logged" no_key_logged
check "rmmod" rs_unload
tap_done
