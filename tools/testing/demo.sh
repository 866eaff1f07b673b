#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: installs what is missing, builds the module and the rig, boots
# two VMs joined by a soft-RoCE link (node1 donates memory, node2 swaps to
# it), streams the swapper's output and prints a short summary. The logs
# stay in build/demo/.
set -uo pipefail
. "$(dirname "$0")/rig/lib.sh"
"$RIG_DIR/setup.sh" || exit 1
out=$BUILD/demo
mkdir -p "$out"
rm -f "$out"/node*.results
start=$(date +%s)
"$RIG_DIR/vm.sh" -q -n 2 -o "$out" demo >"$out/vm.log" 2>&1 &
vm=$!
echo "demo: booting two VMs (Debian's kernel in QEMU, TCG): node1 donates memory, node2 swaps to it"
echo "demo: consoles and results in $out"
# node2's results port carries the swapper's story: follow it until QEMU exits
tail -n +1 -F --pid=$vm "$out/node2.results" 2>/dev/null | tr -d '\r' |
	grep --line-buffered -v -e '^RIG-' -e '^SUMMARY '
wait $vm
rc=$?
grep -v '^RIG-COUNTS' "$out/vm.log"
tr -d '\r' <"$out/node1.results" | grep '^### ' | tail -n 2

# SUMMARY lines of both nodes
val() { tr -d '\r' <"$out"/node"$1".results | awk -v k="$2" '$1 == "SUMMARY" && $2 == k { print $3 }'; }
mib() { [ -n "$1" ] && echo "$(($1 / 1048576)) MiB" || echo "?"; }
cat <<EOF

==================== rackswap demo summary ====================
 workload (node2, in a cgroup):
   256 MiB written + verified under memory.max=64M  $(val 2 memtouch_seconds)s  verification $(val 2 memtouch_verify)
   sort of 300k lines (~36 MiB) under memory.max=24M  $(val 2 sort_seconds)s  output vs. unlimited run: $(val 2 sort_verify)
 paging:  pages out $(val 2 pswpout), pages in $(val 2 pswpin)
          requests: $(val 2 write_requests) writes, $(val 2 read_requests) reads, $(val 2 failed_requests) failed
 donor (node1): at most $(mib "$(val 1 donor_max_granted_bytes)") in $(val 1 donor_max_granted_slabs) slabs granted to node2; $(mib "$(val 1 donor_granted_at_end)") at the end
 elapsed: $(($(date +%s) - start))s (boot, workload, teardown), logs in $out
===============================================================
EOF
if [ $rc = 0 ] && [ "$(val 2 memtouch_verify)" = OK ] && [ "$(val 2 sort_verify)" = OK ]; then
	echo "demo: done"
	exit 0
fi
echo "demo: FAILED (rc=$rc)"
exit 1
