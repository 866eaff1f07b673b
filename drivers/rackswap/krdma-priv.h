/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krdma internals, shared by krdma.c (connections), krdma-rpc.c (messages),
 * krdma-sysfs.c and krdma-debugfs.c.
 */
#ifndef _RACKSWAP_KRDMA_PRIV_H
#define _RACKSWAP_KRDMA_PRIV_H

#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "krdma.h"
#include "krdma-proto.h"

/* Requests we may have outstanding to one peer, before negotiation. */
#define KRDMA_MAX_CREDITS	32

enum krdma_state {
	KRDMA_CONNECTING,	/* resolving, connecting, exchanging hellos */
	KRDMA_LIVE,		/* RPCs flow */
	KRDMA_CLOSING,		/* teardown queued or running */
	KRDMA_DEAD,		/* torn down; only references remain */
};

/* One message buffer, DMA-mapped for the peer's device. */
struct krdma_buf {
	void			*data;	/* KRDMA_MSG_SIZE bytes */
	u64			dma;
	struct ib_cqe		cqe;
	struct krdma_peer	*peer;
	/* receive buffers: runs the handler of a request */
	struct work_struct	work;
};

/* One outstanding request of ours. Protected by peer->lock. */
struct krdma_slot {
	struct completion	done;
	u16			gen;	/* bumped at each use: stale responses */
	u16			op;	/* of the request in flight */
	bool			busy;	/* a caller owns it or it is in flight */
	bool			owned;	/* its caller has not returned yet */
	bool			send_done; /* its SEND completed or flushed */
	bool			resp_done; /* its response arrived */
	bool			waiting; /* the caller waits: resp is valid */
	void			*resp;
	u32			resp_max;
	u32			resp_len;
	int			status;
};

struct krdma_peer {
	/* sysfs directory and reference count: the release frees the peer */
	struct kobject		kobj;
	/* on krdma.peers; protected by krdma.lock */
	struct list_head	list;
	int			id;	/* directory name; const once listed */
	bool			active;	/* we connected; else we accepted */
	struct sockaddr_storage	addr;	/* remote address; const once listed */

	/* identity of the remote node: written before LIVE, then const */
	char			name[KRDMA_NAME_LEN];
	uuid_t			uuid;
	u64			incarnation;

	spinlock_t		lock;	/* protects the fields below to stats */
	enum krdma_state	state;
	bool			hello_sent;
	bool			hello_rcvd;
	int			conn_error;	/* why connecting failed */
	struct krdma_slot	slots[KRDMA_MAX_CREDITS];
	int			credits; /* slots usable: negotiated */
	u32			rtt_us;	/* last heartbeat round trip */

	/* stats: atomic, no lock */
	atomic64_t		rpcs_out;	/* calls answered */
	atomic64_t		rpcs_in;	/* requests served */
	atomic64_t		bytes_out;	/* message bytes sent */
	atomic64_t		bytes_in;	/* message bytes received */
	atomic64_t		rpc_errors;	/* calls failed or timed out */

	/* set up before the connection, torn down by teardown_work */
	struct rdma_cm_id	*cm_id;
	/* the device, once known: only compared (ib_client remove) */
	struct ib_device	*dev;
	struct ib_pd		*pd;
	struct ib_cq		*cq;
	struct ib_qp		*qp;
	/* receive buffers: credits for requests, as many for responses, 1 hello */
	struct krdma_buf	recv[2 * KRDMA_MAX_CREDITS + 1];
	/* send buffers: [0, MAX) our requests by slot, [MAX, 2 MAX) our
	 * responses by the remote slot, [2 MAX] our hello
	 */
	struct krdma_buf	send[2 * KRDMA_MAX_CREDITS + 1];
	int			nr_recv_mapped;
	int			nr_send_mapped;

	wait_queue_head_t	slot_wait;	/* a slot freed or state changed */
	struct completion	established;	/* LIVE or failed: connect waits */
	struct completion	dead;		/* teardown finished */
	struct delayed_work	hb_work;
	int			hb_missed;	/* only hb_work touches it */
	struct work_struct	teardown_work;
};

struct krdma {
	struct mutex		lock;	/* peers list, listeners, ids, stopping */
	struct list_head	peers;
	bool			stopping;	/* unloading: no new peer */
	struct ida		ids;
	struct rdma_cm_id	*listen4;
	struct rdma_cm_id	*listen6;
	struct workqueue_struct	*wq;	/* WQ_MEM_RECLAIM: handlers, teardown */
	struct kobject		*kobj;	/* /sys/kernel/rackswap/krdma */
	struct kobject		*peers_kobj;
};

extern struct krdma krdma;

/* parameters (krdma.c) */
extern unsigned int krdma_rpc_timeout_ms;
extern bool krdma_loopback;
extern u16 krdma_test_major;

/* krdma.c */
void krdma_peer_close(struct krdma_peer *peer, int why);
int krdma_connect_str(const char *buf, size_t len);
int krdma_disconnect_str(const char *buf, size_t len);
const char *krdma_state_name(enum krdma_state state);
void krdma_set_live_if_ready(struct krdma_peer *peer);

/* krdma-rpc.c */
int krdma_bufs_alloc(struct krdma_peer *peer);
void krdma_bufs_free(struct krdma_peer *peer);
int krdma_post_all_recvs(struct krdma_peer *peer);
int krdma_send_hello(struct krdma_peer *peer);
void krdma_fail_slots(struct krdma_peer *peer);
void krdma_cancel_handlers(struct krdma_peer *peer);
void krdma_send_done(struct ib_cq *cq, struct ib_wc *wc);
void krdma_recv_done(struct ib_cq *cq, struct ib_wc *wc);
int krdma_rpc_init(void);
int krdma_test_send_bad(struct krdma_peer *peer, const char *kind);

/* krdma-sysfs.c */
int krdma_sysfs_init(void);
void krdma_sysfs_exit(void);
int krdma_peer_sysfs_add(struct krdma_peer *peer);
extern const struct kobj_type krdma_peer_ktype;

/* krdma-debugfs.c */
void krdma_debugfs_init(void);
void krdma_debugfs_exit(void);

#endif /* _RACKSWAP_KRDMA_PRIV_H */
