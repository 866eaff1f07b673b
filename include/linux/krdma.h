/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: krdma
 *
 * krdma: kernel-to-kernel connections and RPC over rdma_cm (krdma.ko), the
 * lowest layer of rackswap. The interface the layers above use (dvs.ko,
 * then rackswap.ko); struct krdma_peer is opaque to them. Every function
 * here is exported GPL-only.
 */
#ifndef _LINUX_KRDMA_H
#define _LINUX_KRDMA_H

#include <linux/atomic.h>
#include <linux/bits.h>
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

/**
 * typedef krdma_handler_t - the handler of one RPC op
 * @peer: the peer the request came from
 * @req: the request's payload
 * @len: the length of @req, bytes
 * @resp: where the response's payload goes
 * @resp_len: on entry the room in @resp, bytes; on return the length of
 *	the response written there
 *
 * The handler reads @len bytes of @req and writes at most *@resp_len bytes
 * to @resp.
 *
 * Context: Process context, on a WQ_MEM_RECLAIM workqueue.
 * Return: 0 or a negative errno, which the caller receives as the call's
 * result (with a response of *@resp_len bytes after 0, and none after an
 * error). -EPROTO is the exception: the request broke the protocol (a
 * payload of the wrong length): krdma logs it and closes the connection
 * for good instead of answering.
 */
typedef int (*krdma_handler_t)(struct krdma_peer *peer, const void *req,
			       u32 len, void *resp, u32 *resp_len);

/* The ops a layer above may register: [KRDMA_OP_FIRST_USER, KRDMA_OP_MAX). */
#define KRDMA_OP_FIRST_USER	16
#define KRDMA_OP_MAX		64

/**
 * krdma_register_handler() - install the handler of an RPC op
 * @op: the op, in [KRDMA_OP_FIRST_USER, KRDMA_OP_MAX)
 * @fn: its handler
 *
 * From now on a request of @op from any peer runs @fn.
 *
 * Return: 0, -EINVAL (@op out of range or @fn NULL) or -EBUSY (@op has a
 * handler already).
 */
int krdma_register_handler(u16 op, krdma_handler_t fn);

/**
 * krdma_unregister_handler() - remove the handler of an RPC op
 * @op: the op, in [KRDMA_OP_FIRST_USER, KRDMA_OP_MAX); any other is ignored
 *
 * A request of @op that arrives from now on is answered -EOPNOTSUPP. A
 * handler that already started finishes before this returns.
 *
 * Context: Process context (it waits for krdma's workqueue).
 */
void krdma_unregister_handler(u16 op);

/**
 * krdma_call() - call a peer's handler of an op and wait for its response
 * @peer: the peer
 * @op: the op
 * @req: the request's payload
 * @len: the length of @req, bytes
 * @resp: where the response's payload goes
 * @resp_max: the room in @resp, bytes
 * @resp_len: gets the response's length (it is truncated to @resp_max)
 * @timeout_ms: the longest wait, ms (0: the rpc_timeout_ms parameter)
 *
 * Sends @len bytes of @req to @peer's handler of @op and waits for the
 * response, at most @timeout_ms. It allocates nothing.
 *
 * Context: Process context (it sleeps).
 * Return: the handler's result (-EOPNOTSUPP when @op has none),
 * -ETIMEDOUT, -ENOTCONN, -EINVAL (@op out of range) or -EMSGSIZE (@len too
 * long).
 */
int krdma_call(struct krdma_peer *peer, u16 op, const void *req, u32 len,
	       void *resp, u32 resp_max, u32 *resp_len,
	       unsigned int timeout_ms);

/**
 * krdma_grant_create() - let a peer reach memory of this node
 * @peer: the peer that may reach it
 * @sgt: the memory: pages of the caller's, DMA-mapped by krdma
 * @voided: runs when the grant becomes void
 * @priv: passed to @voided
 *
 * Grants: memory of this node that @peer may reach with one-sided RDMA.
 *
 * Registers @sgt in @peer's own protection domain: no other peer can reach
 * it. The grant belongs to the peer's identity (UUID + incarnation): after
 * a reconnection of the same incarnation it is registered again under new
 * keys; when the peer is closed for good or comes back as a new
 * incarnation it is void: its MR is gone and @voided(@grant, @priv) runs
 * (process context, under the peer's grant lock: it must not call
 * krdma_grant_create() or krdma_grant_destroy()). The caller then still
 * owns @sgt and must call krdma_grant_destroy().
 *
 * Context: Process context.
 * Return: the grant, or an ERR_PTR(): -EINVAL (an entry of @sgt that is not
 * whole pages at offset 0, or more than 512 pages in all), -ENOMEM,
 * -ENOSPC (@peer holds KRDMA_PEER_MAX_GRANTS grants already) or -ENOTCONN
 * (@peer is closing or closed for good).
 */
struct krdma_grant *krdma_grant_create(struct krdma_peer *peer,
				       struct sg_table *sgt,
				       void (*voided)(struct krdma_grant *g,
						      void *priv),
				       void *priv);

/*
 * The grants one peer may hold of this node at most (2 TiB of 2 MiB
 * grants): krdma_grant_create() refuses more, and a peer that lists more
 * of its own to us breaks the protocol.
 */
#define KRDMA_PEER_MAX_GRANTS	BIT(20)

/**
 * krdma_grant_destroy() - revoke and free a grant
 * @grant: the grant, from krdma_grant_create()
 *
 * Revokes a live grant first (later remote operations on it fail), then
 * frees it. The caller still owns the grant's sg_table.
 *
 * Context: Process context.
 */
void krdma_grant_destroy(struct krdma_grant *grant);

/**
 * krdma_grant_id() - the id of a grant
 * @grant: the grant
 *
 * The peer opens the grant by this id (krdma_remote_open()); the layer
 * above tells it the id through its own RPCs.
 *
 * Context: Any context.
 * Return: @grant's id.
 */
u32 krdma_grant_id(const struct krdma_grant *grant);

/**
 * krdma_grant_len() - the length of a grant
 * @grant: the grant
 *
 * Context: Any context.
 * Return: the bytes of @grant's memory.
 */
u64 krdma_grant_len(const struct krdma_grant *grant);

/**
 * krdma_remote_open() - open a region a peer granted to this node
 * @peer: the peer that granted it
 * @grant_id: its grant id (the layer above learns ids from its own RPCs)
 * @remote: gets the remote
 *
 * Remotes: a region @peer granted to this node, by its grant id. krdma
 * fetches its keys and fetches them again after each reconnection; the
 * layer above never sees a key.
 *
 * The peer's answer is checked (see the protocol document); a malformed
 * one closes @peer for good.
 *
 * Context: Process context.
 * Return: 0 and the remote in *@remote, -ENOENT when @peer holds no such
 * grant for us, -EPROTO when @grant_id is open already or the peer's
 * answer broke the protocol (logged), or another negative errno.
 */
int krdma_remote_open(struct krdma_peer *peer, u32 grant_id,
		      struct krdma_remote **remote);

/**
 * krdma_remote_close() - close and free a remote
 * @remote: the remote, from krdma_remote_open()
 *
 * Context: Process context.
 */
void krdma_remote_close(struct krdma_remote *remote);

/**
 * krdma_remote_len() - the length of a remote region
 * @remote: the remote
 *
 * Context: Any context.
 * Return: the bytes of the region @remote reaches.
 */
u64 krdma_remote_len(const struct krdma_remote *remote);

/* The local scatterlist of one I/O has at most this many entries. */
#define KRDMA_IO_MAX_SGE	16
/*
 * Times an I/O the remote refused as an invalid request or a failed
 * operation is tried again on the next connection before it fails.
 */
#define KRDMA_IO_REFUSALS	2

/**
 * struct krdma_io - one one-sided RDMA READ or WRITE
 * @remote: the remote region
 * @offset: the offset into the remote region
 * @sg: the local memory
 * @nents: the entries of @sg: 1 .. KRDMA_IO_MAX_SGE
 * @len: bytes: the sum of @sg
 * @write: RDMA WRITE, else READ
 * @deadline: jiffies: when a requeued I/O fails
 * @done: runs once when the I/O ended, with its status
 * @priv: the caller's
 *
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
	u64			offset;
	struct scatterlist	*sg;
	unsigned int		nents;
	u32			len;
	bool			write;
	unsigned long		deadline;
	void			(*done)(struct krdma_io *io, int status);
	void			*priv;

	/* private: krdma's, while the I/O is submitted */
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

/**
 * krdma_io_submit() - start a one-sided I/O
 * @io: the I/O, its first block filled
 *
 * @io->done may run before this returns (soft-RoCE with inline_softirq):
 * the caller must not hold anything @io->done takes.
 *
 * Context: Never sleeps.
 * Return: 0 (then @io->done will run) or, without calling @io->done,
 * -EINVAL (a bad I/O), -ENXIO (void grant) or -ENOTCONN (peer closed).
 */
int krdma_io_submit(struct krdma_io *io);

/**
 * krdma_io_wait() - wait for the completion of I/Os
 * @wq: the waitqueue the caller's completion callbacks wake up
 * @count: incremented by the caller's completion callbacks
 *
 * Waits until *@count is non-zero: a bounded spin (parameter
 * poll_spin_us), then a sleep on @wq.
 *
 * Context: Process context.
 */
void krdma_io_wait(wait_queue_head_t *wq, atomic_t *count);

/**
 * krdma_peer_get() - find a peer by its id
 * @id: the peer's id (krdma_peer_id())
 *
 * Context: Process context.
 * Return: the peer with id @id, with a reference the caller drops with
 * krdma_peer_put(); NULL when there is none.
 */
struct krdma_peer *krdma_peer_get(int id);

/**
 * krdma_peer_put() - drop a reference to a peer
 * @peer: the peer
 */
void krdma_peer_put(struct krdma_peer *peer);

/**
 * krdma_peer_id() - the id of a peer
 * @peer: the peer
 *
 * Context: Any context.
 * Return: @peer's id: the one krdma_peer_get() takes, and the name of its
 * directory in /sys/kernel/rackswap/krdma/peers/.
 */
int krdma_peer_id(const struct krdma_peer *peer);

/**
 * krdma_peer_name() - the node name of a peer
 * @peer: the peer
 *
 * Context: Any context.
 * Return: the remote's node name: stable once the peer was live.
 */
const char *krdma_peer_name(const struct krdma_peer *peer);

/*
 * Flags of krdma_peers_ready() and krdma_peers_returning():
 * KRDMA_PEERS_OPENED: only the peers this node connected to (the connect
 * file, the peers parameter), not those that connected to it. A client
 * stores data only on those: any host on the fabric can connect to it.
 */
#define KRDMA_PEERS_OPENED	0x1

/**
 * krdma_peers_ready() - the peers whose one-sided I/O flows now
 * @peers: gets the peers
 * @max: the room in @peers
 * @flags: 0 (every peer) or KRDMA_PEERS_OPENED
 *
 * Up to @max peers whose one-sided I/O flows now (live, keys current),
 * each with a reference the caller drops with krdma_peer_put(). Peers
 * @flags leaves out take no room in @peers.
 *
 * Context: Process context.
 * Return: how many.
 */
int krdma_peers_ready(struct krdma_peer **peers, int max, unsigned int flags);

/**
 * krdma_peers_returning() - count the peers on their way back
 * @flags: 0 (every peer) or KRDMA_PEERS_OPENED
 *
 * Context: Process context.
 * Return: how many peers of @flags are on their way back (connecting,
 * down or waiting to reconnect, not closed for good): their one-sided I/O
 * will flow again.
 */
int krdma_peers_returning(unsigned int flags);

/**
 * krdma_peer_is_dead() - whether a peer is closed for good
 * @peer: the peer
 *
 * Context: Any context.
 * Return: true when the peer is closed for good: its remotes and grants
 * are void.
 */
bool krdma_peer_is_dead(const struct krdma_peer *peer);

/**
 * krdma_peer_is_ready() - whether a peer's one-sided I/O flows
 * @peer: the peer
 *
 * Context: Any context.
 * Return: true when the peer's one-sided I/O flows now (live, keys
 * current).
 */
bool krdma_peer_is_ready(const struct krdma_peer *peer);

/**
 * krdma_peer_proto_minor() - the minor protocol version a peer speaks
 * @peer: the peer
 *
 * The layers above use it to send a newer request only to a peer that
 * takes it.
 *
 * Context: Any context.
 * Return: the minor version of the peer's last hello (0 before one).
 */
u16 krdma_peer_proto_minor(const struct krdma_peer *peer);

/**
 * krdma_peer_same_node() - whether two peers are the same node
 * @a: a peer
 * @b: another peer
 *
 * Are @a and @b the same node (its UUID: a node we connected to and that
 * connected to us is two peers)?
 *
 * Context: Any context.
 * Return: true when they are.
 */
bool krdma_peer_same_node(const struct krdma_peer *a,
			  const struct krdma_peer *b);

/**
 * krdma_remote_is_void() - whether a remote's grant is gone
 * @remote: the remote
 *
 * Context: Any context.
 * Return: true when the remote's grant is gone (void, or its peer closed
 * for good).
 */
bool krdma_remote_is_void(const struct krdma_remote *remote);

/**
 * struct krdma_peer_usage - storage accounting of a peer
 * @granted_slabs: slabs of ours the peer holds
 * @granted_bytes: the bytes of the slabs counted in @granted_slabs
 * @stored_slabs: slabs of the peer's we hold
 * @stored_bytes: the bytes of the slabs counted in @stored_slabs
 * @checksum_errors: pages of ours read back from the peer corrupt (their
 *	checksum did not match what we wrote)
 *
 * Storage accounting the layer above keeps per peer; krdma shows it in
 * the peer's sysfs directory. Atomic: no lock.
 */
struct krdma_peer_usage {
	atomic64_t	granted_slabs;
	atomic64_t	granted_bytes;
	atomic64_t	stored_slabs;
	atomic64_t	stored_bytes;
	atomic64_t	checksum_errors;
};

/**
 * krdma_peer_usage() - the storage accounting of a peer
 * @peer: the peer
 *
 * Context: Any context.
 * Return: @peer's accounting, which the layer above keeps.
 */
struct krdma_peer_usage *krdma_peer_usage(struct krdma_peer *peer);

/**
 * krdma_set_grant_hold_ms() - set the donor's grace period
 * @ms: the time, ms
 *
 * How long an accepting side waits for a lost peer that holds grants of
 * ours (granted_slabs > 0) to come back before it closes the peer and its
 * grants become void: the donor's grace period, set by the layer above.
 */
void krdma_set_grant_hold_ms(unsigned int ms);

/**
 * struct rackswap_identity - a node's identity
 * @name: its name (the nodename parameter, else the hostname)
 * @uuid: its UUID (the uuid parameter, else the DMI product UUID, else
 *	random)
 * @incarnation: load time, ns since the epoch
 *
 * This node, as every layer of rackswap shows it. Set once when krdma.ko
 * loads, before any layer above can run, then const until it unloads.
 */
struct rackswap_identity {
	char	name[64];
	uuid_t	uuid;
	u64	incarnation;
};

/**
 * DOC: rs_self
 *
 * ``extern struct rackswap_identity rs_self``: the node's identity,
 * carried by every handshake.
 */
extern struct rackswap_identity rs_self;

/**
 * DOC: rackswap_kobj
 *
 * ``extern struct kobject *rackswap_kobj``: /sys/kernel/rackswap/, made
 * when krdma.ko loads and removed when it unloads. krdma/ and dvs/
 * (dvs.ko's) are under it.
 */
extern struct kobject *rackswap_kobj;

/**
 * rackswap_parse_size() - parse a byte count
 * @s: the text
 * @size: gets the bytes
 *
 * A byte count with a K/M/G/T/P/E suffix, overflow and trailing garbage
 * refused.
 *
 * Return: 0, -ERANGE (the number or the size does not fit in 64 bits) or
 * -EINVAL.
 */
int rackswap_parse_size(const char *s, u64 *size);

#endif /* _LINUX_KRDMA_H */
