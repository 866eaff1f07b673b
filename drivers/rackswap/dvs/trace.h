/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dvs tracepoints, in the rackswap system of tracefs (events/rackswap/,
 * beside the block devices' own): slabs bound to and released from a space.
 *   perf record -e 'rackswap:rackswap_slab_*' -a
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rackswap

#if !defined(_DVS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DVS_TRACE_H

#include <linux/tracepoint.h>

/* reasons a slab leaves a space */
#define RACKSWAP_SLAB_EMPTY	0	/* empty for release_delay_s */
#define RACKSWAP_SLAB_LOST	1	/* its storage is gone */
#define RACKSWAP_SLAB_DESTROY	2	/* the space was destroyed */

TRACE_EVENT(rackswap_slab_bind,
	TP_PROTO(unsigned int space, int slot, unsigned int backend),
	TP_ARGS(space, slot, backend),
	TP_STRUCT__entry(
		__field(unsigned int, space)
		__field(int, slot)
		__field(unsigned int, backend)
	),
	TP_fast_assign(
		__entry->space = space;
		__entry->slot = slot;
		__entry->backend = backend;
	),
	/* enum dvs_backend */
	TP_printk("space=%u slot=%d backend=%s", __entry->space,
		  __entry->slot, __print_symbolic(__entry->backend,
						  { 0, "rdma" }, { 1, "dram" }))
);

TRACE_EVENT(rackswap_slab_release,
	TP_PROTO(unsigned int space, int slot, unsigned int reason),
	TP_ARGS(space, slot, reason),
	TP_STRUCT__entry(
		__field(unsigned int, space)
		__field(int, slot)
		__field(unsigned int, reason)
	),
	TP_fast_assign(
		__entry->space = space;
		__entry->slot = slot;
		__entry->reason = reason;
	),
	TP_printk("space=%u slot=%d reason=%s", __entry->space, __entry->slot,
		  __print_symbolic(__entry->reason, { 0, "empty" },
				   { 1, "lost" }, { 2, "destroy" }))
);

#endif /* _DVS_TRACE_H */

/* out of tree: define_trace.h finds this file through -I$(src) */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
