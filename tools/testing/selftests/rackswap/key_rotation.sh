#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=full debug=no timeout=1500
#
# A key rotation under load loses nothing. node1 donates and allows node2
# with key 1; node2 holds key 1 and swaps on /dev/rackswap0 stored on node1
# (a workload writing and verifying every word in a cgroup with
# memory.max=48M). While it runs: node1 rotates node2 to key 2 (key 1 still
# accepted: allowed lists 2 keys), node2 takes key 2, and its connection is
# reset (test_qp_error) so that it reconnects with the new key; node1 then
# accepts key 2 only ("final") and node2's connection is reset again: both
# reconnections authenticate, the connection drops for nothing else, and
# the workload finds 0 bad words with no request failed. Afterwards, key 1
# is refused; node1 swaps its allowlist for a rack-wide key (key 2 as
# "any"), with which node2 connects again.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
C=/sys/kernel/rackswap/krdma
D=/sys/kernel/rackswap/dvs
PORT=7499
MIB=160
LOAD="port=$PORT uuid=$(node_uuid "$NODE") slab_size=4M reconnect_delay_ms=500"
tap_plan

check "rxe on the links" rxe_links_up
check "load $MOD" rs_load $LOAD

if [ "$NODE" = 2 ]; then
	A=$(link_addr 1 2)
	# reset_conn: our connection to node1 is reset and comes back
	# authenticated (a proof more checked, one reconnection more)
	reset_conn() {
		local a0 r0
		a0=$(auth_stat 1)
		r0=$(cat $C/peers/$p/reconnects)
		echo "$p" >$DK/test_qp_error || return 1
		retry 60 sh -c "[ \$(cat $C/peers/$p/reconnects) -gt $r0 ]" &&
			retry 60 peer_live "$p" && [ "$(auth_stat 1)" -gt "$a0" ]
	}
	keyed_work $PORT $MIB
	check "told node1 to rotate" tell 1 rotate
	check "node1 rotated us to key 2" hear rotated
	check "our key: key 2" sh -c "echo $AUTH_KEY2 >$C/key"
	check "reset under load: we reconnect with key 2" reset_conn
	check "told node1 to finish the rotation" tell 1 final
	check "node1 accepts key 2 only" hear finalized
	check "reset under load: we reconnect with key 2 again" reset_conn
	keyed_work_end 2
	check "disconnect" sh -c "echo '$A $PORT' >$C/disconnect"
	echo $AUTH_KEY1 >$C/key
	e=$(connect_err "$A" $PORT)
	check "key 1 is refused now ('$e')" [ -n "$e" ]
	check "nothing left of it" retry 30 no_peer_at "$A" $PORT
	echo $AUTH_KEY2 >$C/key
	check "told node1 to go rack-wide" tell 1 any
	check "node1 has a rack-wide key" hear anykey
	e=$(connect_err "$A" $PORT)
	check "the rack-wide key connects ('$e')" [ -z "$e" ]
	check "disconnect" sh -c "echo '$A $PORT' >$C/disconnect"
	check "told node1" tell 1 end
	check "no key was ever logged" no_key_logged
	check "rmmod" rs_unload
	tap_done
fi

U2=$(node_uuid 2)
keyed_donor
check "node2 says rotate" hear rotate 1800
check "node2 rotated to key 2: both accepted" sh -c \
	"echo '$U2 $AUTH_KEY2' >$C/allow && [ \"\$(cat $C/allowed)\" = '$U2 2' ]"
check "node2's connection is still live" [ "$(cat $C/peers/$p/state)" = live ]
check "told node2" tell 2 rotated
check "node2 says final" hear final 600
check "key 2 only" sh -c \
	"echo '$U2 $AUTH_KEY2 final' >$C/allow && [ \"\$(cat $C/allowed)\" = '$U2 1' ]"
check "told node2" tell 2 finalized
check "node2 says any" hear any 1800
check "a rack-wide key (key 2), node2 removed" sh -c \
	"echo 'any $AUTH_KEY2' >$C/allow && echo 'remove $U2' >$C/allow && [ \"\$(cat $C/allowed)\" = 'any 1' ]"
check "told node2" tell 2 anykey
check "node2 is done" hear end 1800
none() { [ "$(cat $D/granted_bytes)" = 0 ]; }
check "nothing granted at the end" retry 120 none
log "auth_stat $(cat $C/auth_stat)"
check "no stranger left" [ "$(auth_stat 3)" = 0 ]
check "no key was ever logged" no_key_logged
check "rmmod" rs_unload
tap_done
