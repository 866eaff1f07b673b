#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rig: nodes=1 tier=check debug=no timeout=420
#
# Negative control: RDMA WRITEs acknowledged without being done (krdma's
# test hook test_drop_writes, at the one-sided I/O layer), in the loopback
# mode: a read gives back what the remote memory held before (zeros, or
# stale data). The suite's data checks must see it: under the hook krdma's
# rdma_test finds exactly the 8 pages whose write was dropped
# (mismatches=8), fio --verify=crc32c on /dev/rackswap0 fails its verify,
# memtouch swapping to /dev/rackswap0 (48 MiB under memory.max=16M) finds
# bad words; disarmed, all three are clean, and the hook's counter says it
# acted only while armed. A lost write is no I/O error: no request failed,
# no swap Write-error line, and the kernel stays healthy (neg_lib.sh has
# the steps).
. ./lib.sh
. ./neg_lib.sh
neg_run test_drop_writes dropped
