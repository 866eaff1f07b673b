/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap tracepoints (events/rackswap/ in tracefs) of the block devices:
 * requests submitted and completed (dvs.ko adds its slab events to the
 * same system: dvs/trace.h).
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

#endif /* _RACKSWAP_TRACE_H */

/* out of tree: define_trace.h finds this file through -I$(src) */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
