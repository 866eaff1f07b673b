/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap tracepoints (events/rackswap/ in tracefs): block requests
 * submitted and completed, slabs bound to and released from a space.
 * Usable from perf and bpftrace, e.g.
 *   perf record -e 'rackswap:*' -a
 *   bpftrace -e 'tracepoint:rackswap:rackswap_rq_complete { @[args->op] = hist(args->usecs); }'
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM rackswap

#if !defined(_RACKSWAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _RACKSWAP_TRACE_H

#include <linux/tracepoint.h>

/* ops as the block layer numbers them (REQ_OP_*) */
#define rackswap_show_op(op)					\
	__print_symbolic(op, { 0, "read" }, { 1, "write" },	\
			 { 2, "flush" }, { 3, "discard" },	\
			 { 9, "write_zeroes" })

TRACE_EVENT(rackswap_rq_submit,
	TP_PROTO(int dev, unsigned int op, u64 pos, u32 len),
	TP_ARGS(dev, op, pos, len),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(unsigned int, op)
		__field(u64, pos)
		__field(u32, len)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->op = op;
		__entry->pos = pos;
		__entry->len = len;
	),
	TP_printk("rackswap%d %s pos=%llu len=%u", __entry->dev,
		  rackswap_show_op(__entry->op), __entry->pos, __entry->len)
);

TRACE_EVENT(rackswap_rq_complete,
	TP_PROTO(int dev, unsigned int op, u64 pos, u32 len, int status,
		 u64 usecs),
	TP_ARGS(dev, op, pos, len, status, usecs),
	TP_STRUCT__entry(
		__field(int, dev)
		__field(unsigned int, op)
		__field(u64, pos)
		__field(u32, len)
		__field(int, status)
		__field(u64, usecs)
	),
	TP_fast_assign(
		__entry->dev = dev;
		__entry->op = op;
		__entry->pos = pos;
		__entry->len = len;
		__entry->status = status;
		__entry->usecs = usecs;
	),
	TP_printk("rackswap%d %s pos=%llu len=%u status=%d usecs=%llu",
		  __entry->dev, rackswap_show_op(__entry->op), __entry->pos,
		  __entry->len, __entry->status, __entry->usecs)
);

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

#endif /* _RACKSWAP_TRACE_H */

/* out of tree: define_trace.h finds this file through -I$(src) */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
