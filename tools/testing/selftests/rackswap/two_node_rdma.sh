#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=yes timeout=300
#
# Two VMs reach each other over RDMA: each node has its own hostname and
# SMBIOS UUID, rxe comes up on the link, node1 serves rping and node2
# sends it validated pings.
. ./lib.sh
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
tap_plan

check "hostname node$NODE" [ "$(hostname)" = "node$NODE" ]
uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)
check "SMBIOS UUID of node$NODE ($uuid)" [ "$uuid" = "$(printf '5241434b-5357-4150-8000-%012d' "$NODE")" ]
check "rxe on the links" rxe_links_up

if [ "$NODE" = 1 ]; then
	role=server
	secs=200
else
	role=client
	secs=150
fi
rping_run $role "$(link_addr 1 2)" $secs /tmp/rping
rping_verdict $role $? /tmp/rping
tap_done
