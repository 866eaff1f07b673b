/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krdma: kernel-to-kernel connections and RPC over rdma_cm (krdma.ko), the
 * lowest layer of rackswap. The interface the layers above use (dvs.ko,
 * then rackswap.ko); struct krdma_peer is opaque to them. Every function
 * here is exported GPL-only.
 */
#ifndef _LINUX_KRDMA_H
#define _LINUX_KRDMA_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/types.h>
#include <rdma/ib_verbs.h>

struct krdma_peer;
struct krdma_grant;
struct krdma_remote;
struct scatterlist;
struct sg_table;

/*
 * An RPC handler runs in process context on a WQ_MEM_RECLAIM workqueue. It
 * reads @len bytes of @req and writes at most *@resp_len bytes (on entry:
 * the room) to @resp; it returns 0 or a negative errno, which the caller
 * receives as the call's result. -EPROTO is the exception: the request
 * broke the protocol (a payload of the wrong length): krdma logs it and
 * closes the connection for good instead of answering.
 */
typedef int (*krdma_handler_t)(struct krdma_peer *peer, const void *req,
			       u32 len, void *resp, u32 *resp_len);

/* The ops a layer above may register: [KRDMA_OP_FIRST_USER, KRDMA_OP_MAX). */
#define KRDMA_OP_FIRST_USER	16
#define KRDMA_OP_MAX		64

int krdma_register_handler(u16 op, krdma_handler_t fn);
void krdma_unregister_handler(u16 op);

/*
 * krdma_call() sends @len bytes of @req to @peer's handler of @op and waits
 * for the response, at most @timeout_ms (0: the rpc_timeout_ms parameter).
 * It allocates nothing. Returns the handler's result (-EOPNOTSUPP when @op
 * has none), -ETIMEDOUT, -ENOTCONN, -EINVAL (@op out of range) or
 * -EMSGSIZE (@len too long); *@resp_len gets the response's length (it is
 * truncated to @resp_max).
 */
int krdma_call(struct krdma_peer *peer, u16 op, const void *req, u32 len,
	       void *resp, u32 resp_max, u32 *resp_len,
	       unsigned int timeout_ms);

/*
 * Grants: memory of this node that @peer may reach with one-sided RDMA.
 *
 * krdma_grant_create() registers @sgt (pages of the caller's, DMA-mapped
 * by krdma) in @peer's own protection domain: no other peer can reach it.
 * The grant belongs to the peer's identity (UUID + incarnation): after a
 * reconnection of the same incarnation it is registered again under new
 * keys; when the peer is closed for good or comes back as a new
 * incarnation it is void: its MR is gone and @voided(@grant, @priv) runs
 * (process context). The caller then still owns @sgt and must call
 * krdma_grant_destroy(), which revokes a live grant first. Process context.
 */
struct krdma_grant *krdma_grant_create(struct krdma_peer *peer,
				       struct sg_table *sgt,
				       void (*voided)(struct krdma_grant *g,
						      void *priv),
				       void *priv);
void krdma_grant_destroy(struct krdma_grant *grant);
u32 krdma_grant_id(const struct krdma_grant *grant);
u64 krdma_grant_len(const struct krdma_grant *grant);

/*
 * Remotes: a region @peer granted to this node, by its grant id (the layer
 * above learns ids from its own RPCs). krdma fetches its keys and fetches
 * them again after each reconnection; the layer above never sees a key.
 * Returns -ENOENT when @peer holds no such grant for us.
 */
int krdma_remote_open(struct krdma_peer *peer, u32 grant_id,
		      struct krdma_remote **remote);
void krdma_remote_close(struct krdma_remote *remote);
u64 krdma_remote_len(const struct krdma_remote *remote);

/* The local scatterlist of one I/O has at most this many entries. */
#define KRDMA_IO_MAX_SGE	16
/*
 * Times an I/O the remote refused as an invalid request or a failed
 * operation is tried again on the next connection before it fails.
 */
#define KRDMA_IO_REFUSALS	2

/*
 * One one-sided RDMA READ or WRITE between local memory and a remote
 * region. The caller owns the struct (no allocation on the I/O path) and
 * fills the first block; @done runs once, in any context (it must not
 * sleep), after every work request the I/O posted completed or was
 * flushed: when @done runs, no RDMA op can touch @sg any more.
 *
 * An I/O meeting a connection loss is requeued and posted again after the
 * reconnection; it fails with -ETIMEDOUT once @deadline (jiffies) passed,
 * with -ENOTCONN when the peer is closed for good, with -ENXIO when the
 * grant is void and -EIO when the remote side refused it.
 */
struct krdma_io {
	struct krdma_remote	*remote;
	u64			offset;		/* into the remote region */
	struct scatterlist	*sg;		/* local memory */
	unsigned int		nents;		/* 1 .. KRDMA_IO_MAX_SGE */
	u32			len;		/* bytes: the sum of @sg */
	bool			write;		/* RDMA WRITE, else READ */
	unsigned long		deadline;
	void			(*done)(struct krdma_io *io, int status);
	void			*priv;		/* the caller's */

	/* krdma's, while the I/O is submitted */
	struct list_head	entry;
	struct ib_cqe		cqe;
	struct ib_device	*dev;		/* @sg is mapped for it */
	void			*dq;		/* its queue while posted */
	atomic_t		pending;	/* work requests in flight */
	int			nr_wr;
	int			wc_status;	/* first failed completion */
	unsigned int		refusals;	/* transport refusals retried */
	struct ib_sge		sge[KRDMA_IO_MAX_SGE];
	struct ib_rdma_wr	wr[KRDMA_IO_MAX_SGE];
};

/*
 * Starts @io. Returns 0 (then @done will run) or, without calling @done,
 * -EINVAL (a bad I/O), -ENXIO (void grant) or -ENOTCONN (peer closed).
 * @done may run before this returns (soft-RoCE with inline_softirq): the
 * caller must not hold anything @done takes.
 */
int krdma_io_submit(struct krdma_io *io);

/*
 * Waits until *@count (incremented by the caller's @done callbacks) is
 * non-zero: a bounded spin (parameter poll_spin_us), then a sleep on @wq.
 */
void krdma_io_wait(wait_queue_head_t *wq, atomic_t *count);

struct krdma_peer *krdma_peer_get(int id);
void krdma_peer_put(struct krdma_peer *peer);
int krdma_peer_id(const struct krdma_peer *peer);
const char *krdma_peer_name(const struct krdma_peer *peer);

/*
 * Up to @max peers whose one-sided I/O flows now (live, keys current),
 * each with a reference the caller drops with krdma_peer_put(). Returns
 * how many.
 */
int krdma_peers_ready(struct krdma_peer **peers, int max);

/*
 * How many peers are on their way back (connecting, down or waiting to
 * reconnect, not closed for good): their one-sided I/O will flow again.
 */
int krdma_peers_returning(void);

/* The peer is closed for good: its remotes and grants are void. */
bool krdma_peer_is_dead(const struct krdma_peer *peer);
/* The peer's one-sided I/O flows now (live, keys current). Any context. */
bool krdma_peer_is_ready(const struct krdma_peer *peer);
/*
 * Are @a and @b the same node (its UUID: a node we connected to and that
 * connected to us is two peers)? Any context.
 */
bool krdma_peer_same_node(const struct krdma_peer *a,
			  const struct krdma_peer *b);

/* The remote's grant is gone (void, or its peer closed for good). */
bool krdma_remote_is_void(const struct krdma_remote *remote);

/*
 * Storage accounting the layer above keeps per peer; krdma shows it in
 * the peer's sysfs directory. Atomic: no lock.
 */
struct krdma_peer_usage {
	atomic64_t	granted_slabs;	/* slabs of ours the peer holds */
	atomic64_t	granted_bytes;
	atomic64_t	stored_slabs;	/* slabs of the peer's we hold */
	atomic64_t	stored_bytes;
};

struct krdma_peer_usage *krdma_peer_usage(struct krdma_peer *peer);

/*
 * How long an accepting side waits for a lost peer that holds grants of
 * ours (granted_slabs > 0) to come back before it closes the peer and its
 * grants become void: the donor's grace period, set by the layer above.
 */
void krdma_set_grant_hold_ms(unsigned int ms);

/*
 * This node, as every layer of rackswap shows it. Set once when krdma.ko
 * loads, before any layer above can run, then const until it unloads.
 */
struct rackswap_identity {
	char	name[64];
	uuid_t	uuid;
	u64	incarnation;	/* load time, ns since the epoch */
};

/* The node's identity, carried by every handshake. */
extern struct rackswap_identity rs_self;

/* /sys/kernel/rackswap/: krdma/ and dvs/ (dvs.ko's) are under it. */
extern struct kobject *rackswap_kobj;

/*
 * A byte count with a K/M/G/T/P/E suffix, overflow and trailing garbage
 * refused: 0 or -EINVAL.
 */
int rackswap_parse_size(const char *s, u64 *size);

#endif /* _LINUX_KRDMA_H */
