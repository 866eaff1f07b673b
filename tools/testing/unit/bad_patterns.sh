#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The rig's bad-patterns catch every kind of kernel report a VM test must
# fail on, and none of the lines a healthy boot of the rig prints.
. "$(dirname "$0")/tap.lib"
P=$(dirname "$0")/../rig/bad-patterns
F=$(dirname "$0")/fixtures

while IFS= read -r line; do
	expect "caught: ${line:0:60}" 0 grep -q -E -f "$P" <<<"$line"
done <"$F/dmesg-bad"
while IFS= read -r line; do
	expect "not flagged: ${line:0:60}" 1 grep -q -E -f "$P" <<<"$line"
done <"$F/dmesg-good"
done_testing
