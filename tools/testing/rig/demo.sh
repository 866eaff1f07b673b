#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make demo": shows rackswap running inside the rig's VM.
# Later issues grow it into the full remote-swap demonstration; today it
# shows the transport: a node connecting to itself and echo RPCs.
. /selftests/rackswap/lib.sh
set -e
say() { printf '\n### %s\n' "$*"; }

say "node $(hostname), kernel $(uname -r), SMBIOS UUID $(cat /sys/class/dmi/id/product_uuid)"
say "soft-RoCE on a dummy netdev (loopback test mode: donor and swapper in one kernel)"
rxe_loopback_up
rdma link show
ibv_devinfo -d rxe0 | grep -E 'hca_id|state|active_mtu'

say "modinfo rackswap"
modinfo rackswap
say "modprobe rackswap loopback=1   (test mode: this node may connect to itself)"
modprobe rackswap loopback=1
lsmod | grep -E '^(Module|rackswap)'
K=/sys/kernel/rackswap
echo "identity: $(cat $K/nodename) $(cat $K/uuid) incarnation $(cat $K/incarnation)"
cat $DBG/version
say "echo \"$LOOP_ADDR 7472\" > $K/krdma/connect"
echo "$LOOP_ADDR 7472" >$K/krdma/connect
cat /sys/kernel/debug/krdma/peers
for p in $(ls $K/krdma/peers); do
	echo "peers/$p: $(for f in name direction state address credits; do printf '%s=%s ' $f "$(cat $K/krdma/peers/$p/$f)"; done)"
done
out=$(krdma_peer direction=out)
say "8 threads x 500 echo RPCs of 1 KiB, every payload verified by the module"
echo "$out 8 500 1024" >/sys/kernel/debug/krdma/rpc_test
cat /sys/kernel/debug/krdma/rpc_test
say "kernel log"
dmesg | grep rackswap
say "rmmod rackswap (closes the connections)"
rmmod rackswap
[ ! -e $DBG ] && [ ! -e $K ] && echo "sysfs and debugfs removed; module unloaded cleanly"
