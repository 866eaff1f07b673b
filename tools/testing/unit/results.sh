#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rig's results.sh: how guest reports become passes, failures and skips.
. "$(dirname "$0")/tap.lib"
R=$(dirname "$0")/../rig/results.sh
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

node() { # N results-lines... (console empty unless $CONSOLE is set)
	local n=$1
	shift
	printf '%s\r\n' "$@" >"$D/node$n.results"
	printf '%s\n' "${CONSOLE:-[ 1.0] booting}" >"$D/node$n.console"
}
counts() { # WANT "p f s" NODES TEST...
	local want=$1 got
	shift
	got=$("$R" -q "$D" "$@" | sed -n 's/^RIG-COUNTS //p')
	[ "$got" = "$want" ] || { echo "counts '$got', want '$want'"; return 1; }
}

node 1 "RIG-BEGIN" "RIG-TEST a" "RIG-RESULT pass a 1.0" "RIG-TEST b" "RIG-RESULT skip b 0.1" \
	"RIG-TEST c" "RIG-RESULT fail c 2.0" "RIG-END"
expect "pass counted; skip and fail counted as failures" 0 counts "1 2 0" 1 a b c
expect "exit status non-zero on a failure" 1 "$R" -q "$D" 1 c
node 1 "RIG-BEGIN" "RIG-TEST a" "RIG-RESULT pass a 1.0"
expect "a test the VM never reported fails" 0 counts "1 1 0" 1 a b
node 1 "RIG-BEGIN" "RIG-RESULT pass a 1.0" "RIG-END"
node 2 "RIG-BEGIN" "RIG-RESULT fail a 1.0" "RIG-END"
expect "a failure on one node fails the test" 0 counts "0 1 0" 2 a
node 2 "RIG-BEGIN" "RIG-RESULT skip a 1.0" "RIG-END"
expect "a skip on one node is a failure, not a pass" 0 counts "0 1 0" 2 a
node 2 "RIG-BEGIN" "RIG-RESULT pass a 1.0" "RIG-END"
expect "passed on both nodes" 0 counts "1 0 0" 2 a
CONSOLE="[ 5.0] Oops: 0002 [#1] PREEMPT SMP NOPTI" node 1 "RIG-BEGIN" "RIG-TEST a"
expect "an Oops that killed the VM: test and kernel log fail" 0 counts "0 2 0" 1 a
node 1 "RIG-BEGIN" "RIG-DMESG-BAD boot: [ 1.0] UBSAN: x" "RIG-RESULT pass a 1.0" "RIG-END"
expect "a bad line at boot fails the run" 0 counts "1 1 0" 1 a
rm -f "$D/node2.results"
node 1 "RIG-BEGIN" "RIG-RESULT pass a 1.0" "RIG-END"
expect "a node that wrote nothing fails the test" 0 counts "0 1 0" 2 a
node 1 "RIG-BEGIN" "RIG-TEST a" "RIG-KILLED by node2 in a"
node 2 "RIG-BEGIN" "RIG-RESULT pass a 1.0" "RIG-END"
expect "a node killed on purpose: the other node's verdict counts" 0 counts "1 0 0" 2 a
node 2 "RIG-BEGIN" "RIG-RESULT fail a 1.0" "RIG-END"
expect "... and its failure fails the test" 0 counts "0 1 0" 2 a
node 2 "RIG-BEGIN" "RIG-RESULT pass a 1.0" "RIG-RESULT pass b 1.0" "RIG-END"
expect "a kill excuses only the test that asked for it, not the next one" 0 counts "1 1 0" 2 a b
node 1 "RIG-BEGIN" "RIG-TEST a" "RIG-KILLED by node2 in c"
expect "... nor a test that did not ask" 0 counts "0 1 0" 2 a
rm -f "$D/node2.results"
# 28 lines of test output after them: out of the summary's 25-line tail
more=()
for _ in $(seq 28); do
	more+=(x)
done
node 1 "RIG-BEGIN" "RIG-TEST a" "RIG-MEM-HIGH 90.1s: SUnreclaim 300000 kB of 1000000 kB" \
	"RIG-MEM-HIGH   kmalloc-8k: 280000 kB, 35000 objects" "${more[@]}" "RIG-RESULT fail a 60.0" "RIG-END"
mem_shown() { "$R" "$D" 1 a | grep -q '! RIG-MEM-HIGH   kmalloc-8k: 280000 kB'; }
expect "a failed test's summary shows its RIG-MEM-HIGH lines" 0 mem_shown
done_testing
