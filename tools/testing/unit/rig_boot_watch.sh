#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh's boot watch: a VM that does not reach its tests in time is booted
# again, with every other VM of the run, once; the run then passes and the
# event is on record (with the hung node's console, at loglevel 7, and its
# CPU registers). Two stock VMs; node2's first boot is held in init
# (RIG_HOLD_BOOT), node1 boots normally.
. "$(dirname "$0")/tap.lib"
. "$(dirname "$0")/../rig/lib.sh"
out=$BUILD/unit/rig_boot_watch
rm -rf "$out"
mkdir -p "$out"

# 45 s: five times a normal stock boot to the tests here (9 s)
RIG_BOOT_WAIT=45 RIG_HOLD_BOOT=2 "$RIG_DIR/vm.sh" -q -n 2 -o "$out/run" rxe_loopback \
	>"$out/vm.log" 2>&1
rc=$?
sed 's/^/# /' "$out/vm.log"
expect "the run passes (vm.sh status $rc)" 0 test "$rc" = 0
expect "its test passed on both nodes" 0 grep -qx 'RIG-COUNTS 1 0 0' "$out/vm.log"
expect "one boot again, logged" 0 test "$(wc -l <"$out/run/rebooted")" = 1
expect "the boot watch named node2" 0 grep -q 'boot watch: node2 did not reach' "$out/run/rebooted"
expect "and not node1" 1 grep -q 'node1 did not\|node1 node2' "$out/run/rebooted"
expect "stderr said so" 0 grep -q '^rig: boot watch: node2' "$out/vm.log"
expect "node2's held console kept" 0 test -s "$out/run/node2.console.hung"
expect "node2's CPU registers kept: 3 samples" 0 \
	test "$(grep -c '^RIP=' "$out/run/node2.regs.hung")" = 3
expect "node2's console shows the boot's info lines (loglevel 7)" 0 \
	grep -q 'Freeing unused kernel' "$out/run/node2.console.hung"
for n in 1 2; do
	expect "node$n's second boot reached its tests" 0 grep -q '^RIG-BEGIN' "$out/run/node$n.results"
	expect "node$n finished" 0 grep -q '^RIG-END' "$out/run/node$n.results"
done
done_testing
