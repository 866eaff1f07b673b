#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=none debug=smoke timeout=600
#
# kmemleak (debug kernel) finds nothing of ours: load the modules, bring
# up rxe, unload; load again, connect to ourselves, run RDMA I/O on a grant
# given back and on one kept (voided by a disconnect) and a forged-key refusal
# with its reconnection, unload; then scan. A report fails the test when
# its backtrace names one of our modules, or holds a module address that
# no longer resolves (ours are the only modules the tests unload); other
# reports are logged.
. ./lib.sh
[ -e $KMEMLEAK ] || skip_all "no kmemleak in this kernel"
tap_plan

check "rxe0 on dummy0" rxe_loopback_up
cycle() { rs_load && rs_unload; }
check "load and unload our modules" cycle
connect() {
	rs_load loopback=1 reconnect_delay_ms=100 &&
		echo 64 >$DK/test_grant_pages &&
		conn_str $LOOP_ADDR 7472 >/sys/kernel/rackswap/krdma/connect
}
check "load in loopback mode, connect" connect
out=$(krdma_peer direction=out)
check "RDMA I/O, a grant kept, a forged key" sh -c "printf '%s 2 64 1 8' $out >$DK/rdma_test &&
	printf '%s 1 32 1 4 4 10000 0' $out >$DK/rdma_test &&
	echo $out >$DK/test_forge"
# both ends closed (by our node name): krdma voids the kept grant, before
# the test module's exit would destroy it
no_peers() { [ -z "$(ls /sys/kernel/rackswap/krdma/peers)" ]; }
check "disconnect: the kept grant voided" sh -c \
	"echo \"\$(cat /sys/kernel/rackswap/nodename)\" >/sys/kernel/rackswap/krdma/disconnect"
check "no peer left" retry 30 no_peers
check "unload" rs_unload
kmemleak_check
tap_done
