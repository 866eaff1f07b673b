#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tell and hear (selftests/rackswap/lib.sh), run by busybox sh as in the
# VM, on the host's loopback: a word told again because its
# acknowledgement was lost is acknowledged and dropped, so the next hear
# takes the next word, not the repeat (the negative control: the same
# word with a new sequence number is taken).
. "$(dirname "$0")/tap.lib"
LIB=$(cd "$(dirname "$0")/../selftests/rackswap" && pwd)/lib.sh
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT

# bb SCRIPT: SCRIPT in busybox sh with lib.sh, as node 2, every node's
# address the loopback
bb() {
	busybox sh -c "nc() { busybox nc \"\$@\"; }
		timeout() { busybox timeout \"\$@\"; }
		. '$LIB'; TELL_DIR='$D'; NODE=2
		link_addr() { echo 127.0.0.1; }
		$1"
}
# told LINE: LINE sent as is, once a listener takes it
told() { bb "retry 20 tell_once 1 '$1'"; }
heard() { bb "next_word ${2:-30}" >"$D/out.$1" & }
waited() { wait; [ "$(cat "$D/out.$1")" = "$2" ]; }

heard 1; told "1 1 alpha"
expect "the first word is heard" 0 waited 1 alpha
heard 2; told "1 1 alpha"; told "1 2 beta"
expect "its repeat is dropped: the next hear takes the next word" 0 waited 2 beta
heard 3; told "3 1 gamma"
expect "another node's numbers are its own" 0 waited 3 gamma
heard 4; told "1 3 beta"
expect "the same word with a new number is heard" 0 waited 4 beta
heard 5; bb "tell 1 'two words'"
expect "tell numbers the words it sends" 0 waited 5 "two words"
expect "... and keeps the count per node" 0 [ "$(cat "$D/told.1")" = 1 ]
heard 6 3
expect "nothing told: hear gives up empty" 0 waited 6 ""
done_testing
