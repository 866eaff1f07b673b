#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: installs what is missing, builds the module and the rig, boots
# one VM and shows rackswap running in it (its output streams here).
set -uo pipefail
. "$(dirname "$0")/rig/lib.sh"
"$RIG_DIR/setup.sh" || exit 1
out=$BUILD/demo
mkdir -p "$out"
rm -f "$out/node1.results"
"$RIG_DIR/vm.sh" -q -o "$out" demo >"$out/vm.log" 2>&1 &
vm=$!
echo "demo: booting Debian's kernel in QEMU (TCG) with rackswap; console: $out/node1.console"
# the results port carries the demo's output: follow it until QEMU exits
tail -n +1 -F --pid=$vm "$out/node1.results" 2>/dev/null | tr -d '\r' | grep -v '^RIG-'
wait $vm
rc=$?
grep -v '^RIG-COUNTS' "$out/vm.log"
[ $rc = 0 ] && echo "demo: done" || echo "demo: FAILED (rc=$rc)"
exit $rc
