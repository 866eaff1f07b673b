#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=smoke timeout=300
#
# Soft-RoCE works inside the VM: rxe on a dummy netdev comes up ACTIVE with
# a 4096-byte RoCE MTU (netdev MTU 9000), and rping to the VM's own address
# moves and validates COUNT pings.
. ./lib.sh
COUNT=50
tap_plan 4

check "rxe0 on dummy0" rxe_loopback_up
info=$(ibv_devinfo -d rxe0)
check "rxe0 port active" sh -c "echo '$info' | grep -q 'state:.*PORT_ACTIVE'"
check "rxe0 active_mtu 4096" sh -c "echo '$info' | grep -q 'active_mtu:.*4096'"

timeout 120 rping -s -a $LOOP_ADDR -C $COUNT -S 4096 -V >/tmp/rping.s 2>&1 &
srv=$!
sleep 1
t0=$(uptime_s)
retry 30 timeout 60 rping -c -a $LOOP_ADDR -C $COUNT -S 4096 -V -v >/tmp/rping.c 2>&1
rc=$?
wait $srv
src=$?
n=$(grep -c 'ping data' /tmp/rping.c)
log "rping: client rc=$rc server rc=$src, $n pings in $(echo "$t0 $(uptime_s)" | awk '{ printf "%.1f", $2 - $1 }')s"
if [ $rc = 0 ] && [ $src = 0 ] && [ "$n" = $COUNT ]; then
	ok "rping to $LOOP_ADDR: $COUNT validated pings"
else
	not_ok "rping to $LOOP_ADDR: $COUNT validated pings"
	sed 's/^/# client: /' /tmp/rping.c | tail -n 5
	sed 's/^/# server: /' /tmp/rping.s | tail -n 5
fi
tap_done
