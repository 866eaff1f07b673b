#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of "make demo": shows rackswap running inside the rig's VM.
# Later issues grow it into the full remote-swap demonstration.
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
say "modprobe rackswap"
modprobe rackswap
lsmod | grep -E '^(Module|rackswap)'
say "/sys/kernel/debug/rackswap/"
ls -l $DBG
cat $DBG/version
say "kernel log"
dmesg | grep rackswap
say "rmmod rackswap"
rmmod rackswap
[ ! -e $DBG ] && echo "debugfs directory removed; module unloaded cleanly"
