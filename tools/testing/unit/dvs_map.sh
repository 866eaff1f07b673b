#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dvs-map.c (slots, slabs, chunks, page maps, placement, the pool target)
# built for the host with the shim headers and run: dvs_map_test prints
# its own TAP and exits non-zero on any failure.
TOP=$(cd "$(dirname "$0")/../../.." && pwd) || exit 1
if ! command -v cc >/dev/null; then
	echo "dvs_map.sh: cc not found: cannot build dvs_map_test" >&2
	exit 1
fi
D=$(mktemp -d) || exit 1
trap 'rm -rf "$D"' EXIT

cd "$TOP" || exit 1
if ! cc -Wall -Wextra -Werror -O1 -I tools/testing/unit/shim \
	-I drivers/rackswap/dvs -o "$D/dvs_map_test" drivers/rackswap/dvs/dvs-map.c \
	tools/testing/unit/dvs_map_test.c; then
	echo "not ok 1 - dvs_map_test builds"
	echo "1..1"
	exit 1
fi
"$D/dvs_map_test"
