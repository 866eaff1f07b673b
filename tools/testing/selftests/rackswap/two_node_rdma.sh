#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=2 tier=check debug=yes timeout=300
#
# Two VMs reach each other over RDMA: each node has its own hostname and
# SMBIOS UUID, rxe comes up on the link, node1 serves rping and node2
# sends COUNT validated pings to it.
. ./lib.sh
COUNT=50
[ "$NODES" -ge 2 ] || skip_all "needs two nodes"
tap_plan 4

check "hostname node$NODE" [ "$(hostname)" = "node$NODE" ]
uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)
check "SMBIOS UUID of node$NODE ($uuid)" [ "$uuid" = "$(printf '5241434b-5357-4150-8000-%012d' "$NODE")" ]
check "rxe on the links" rxe_links_up

if [ "$NODE" = 1 ]; then
	timeout 200 rping -s -a "$(link_addr 1 2)" -C $COUNT -S 4096 -V -v >/tmp/rping 2>&1
	rc=$?
	role=server
else
	retry 150 timeout 30 rping -c -a "$(link_addr 1 2)" -C $COUNT -S 4096 -V -v >/tmp/rping 2>&1
	rc=$?
	role=client
fi
n=$(grep -c 'ping data' /tmp/rping)
log "rping $role: rc=$rc, $n pings"
if [ $rc = 0 ] && [ "$n" = $COUNT ]; then
	ok "rping $role over the link: $COUNT validated pings"
else
	not_ok "rping $role over the link: $COUNT validated pings"
	tail -n 5 /tmp/rping | sed 's/^/# /'
fi
tap_done
