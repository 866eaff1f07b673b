#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=smoke timeout=300
#
# Soft-RoCE works inside the VM: rxe on a dummy netdev comes up ACTIVE with
# a 4096-byte RoCE MTU (netdev MTU 9000), and rping to the VM's own address
# moves and validates its pings on both sides.
. ./lib.sh
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
info=$(ibv_devinfo -d rxe0)
check "rxe0 port active" sh -c "echo '$info' | grep -q 'state:.*PORT_ACTIVE'"
check "rxe0 active_mtu 4096" sh -c "echo '$info' | grep -q 'active_mtu:.*4096'"

rping_run server $LOOP_ADDR 120 /tmp/rping.s &
srv=$!
sleep 1
rping_run client $LOOP_ADDR 60 /tmp/rping.c
rc=$?
wait $srv
rping_verdict server $? /tmp/rping.s
rping_verdict client $rc /tmp/rping.c
tap_done
