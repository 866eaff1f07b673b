#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=3 tier=full debug=yes timeout=1800
#
# A node that claims a victim's identity, without its key, changes none of
# the victim's relationships. node1 donates and allows node2 (the victim)
# with key 1; node2 holds key 1 and swaps on /dev/rackswap0 stored on
# node1, a workload writing and verifying every word in a cgroup with
# memory.max=48M. While it runs, node3 loads with node2's UUID (uuid=; a
# later load, so a newer incarnation) and connects to node1: with no key,
# with a wrong key, and with a wrong key claiming the largest incarnation
# there is (which would lock the real node out if it were taken). node1
# refuses each (logged, counted: its proof failed, or it gave none), and
# before any proof nothing moved: node2's relationship on node1 is the same
# peer, live, never reconnected, with node2's incarnation, no grant of its
# voided, no old relationship closed, its slabs still granted; node2's
# connection never dropped, no request failed, and its workload finds 0 bad
# words. At the end nothing is granted.
. ./lib.sh
[ "$NODES" -ge 3 ] || skip_all "needs three nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7496
VICTIM=$(node_uuid 2)
if debug_run; then MIB=64; else MIB=160; fi
U=$(node_uuid "$NODE")
[ "$NODE" = 3 ] && U=$VICTIM
LOAD="port=$PORT uuid=$U slab_size=4M reconnect_delay_ms=500"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD (uuid $U)" rs_load $LOAD

if [ "$NODE" = 3 ]; then
	A=$(link_addr 1 3)
	check "our UUID is the victim's" [ "$(cat /sys/kernel/rackswap/uuid)" = "$VICTIM" ]
	check "node2 says go" hear go 1800
	e=$(connect_err "$A" $PORT)
	check "as node2 with no key: refused ('$e')" [ -n "$e" ]
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	echo $AUTH_KEY_BAD >$C/key
	e=$(connect_err "$A" $PORT)
	check "as node2 with a wrong key: refused ('$e')" [ -n "$e" ]
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	echo 18446744073709551615 >$DK/test_incarnation
	e=$(connect_err "$A" $PORT)
	echo 0 >$DK/test_incarnation
	check "as node2's last incarnation, wrong key: refused ('$e')" [ -n "$e" ]
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	check "told node1" tell 1 finished
	check "told node2" tell 2 finished
	check "no key was ever logged" no_key_logged
	check "rmmod" rs_unload
	tap_done
fi

if [ "$NODE" = 2 ]; then
	keyed_work $PORT $MIB
	check "node1 is watching" hear watching 600
	check "told node3 to go" tell 3 go
	check "node3 is done" hear finished 1800
	check "stored on node1" [ "$(cat $C/peers/$p/stored_bytes)" -gt 0 ]
	keyed_work_end
	check "told node1" tell 1 end
	check "rmmod" rs_unload
	tap_done
fi

keyed_donor
held() { [ "$(cat $D/granted_bytes)" -gt 0 ]; }
check "node2 swaps into our memory" retry 300 held
inc=$(cat $C/peers/$p/incarnation)
rc0=$(cat $C/peers/$p/reconnects)
gv0=$(cat $C/peers/$p/grants_voided)
# refusals: a failed proof (auth_failed) or none reached (refused_early)
refusals() { echo $(($(auth_stat 2) + $(auth_stat 7))); }
f0=$(refusals)
kmsg_mark
check "told node2 we watch" tell 2 watching
check "node3's attempts are over" hear finished 1800
log "auth_stat $(cat $C/auth_stat); holders: $(cat $D/holders | tr '\n' ';')"
since_mark | grep -e 'authentication failed' -e 'does not authenticate' | sed 's/^/# /'
check "refused for no proof" logged 'does not authenticate: refused'
check "refused for wrong proofs" logged 'authentication failed'
check "three refusals counted" [ "$(refusals)" -ge $((f0 + 3)) ]
check "node2's relationship: the same peer, live, with node2's identity" sh -c \
	"[ \"\$(cat $C/peers/$p/state)\" = live ] && [ \"\$(cat $C/peers/$p/uuid)\" = $VICTIM ] &&
	 [ \"\$(cat $C/peers/$p/incarnation)\" = $inc ]"
check "it never reconnected, none of its grants was voided" sh -c \
	"[ \$(cat $C/peers/$p/reconnects) = $rc0 ] && [ \$(cat $C/peers/$p/grants_voided) = $gv0 ]"
quiet() { ! since_mark | grep -q -e 'closing the old relationship' -e 'remote restarted'; }
check "no relationship closed, no restart seen" quiet
check "node2 still holds slabs here" [ "$(cat $C/peers/$p/granted_bytes)" -gt 0 ]
check "no stranger left, at most 16 at once" \
	sh -c "[ $(auth_stat 3) = 0 ] && [ $(auth_stat 4) -le 16 ]"
check "node2 is done" hear end 1800
none() { [ "$(cat $D/granted_bytes)" = 0 ]; }
check "nothing granted at the end" retry 120 none
check "no key was ever logged" no_key_logged
check "rmmod" rs_unload
tap_done
