/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krdma internals, shared by the files of krdma.ko (and, through the
 * RACKSWAP_TEST namespace, by the test module): never by a layer above.
 */
#ifndef _RACKSWAP_KRDMA_PRIV_H
#define _RACKSWAP_KRDMA_PRIV_H

#include <linux/completion.h>
#include <linux/dcache.h>
#include <linux/kobject.h>
#include <linux/krdma.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/rackswap.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include "compat.h"
#include "krdma-proto.h"

struct file;

/* Requests we may have outstanding to one peer, before negotiation. */
#define KRDMA_MAX_CREDITS	32

/* Data connections of one peer at most: one per CPU. */
#define KRDMA_MAX_DATA_QPS	16

/*
 * A peer is a relationship with one remote node, over one connection at a
 * time: CONNECTING -> LIVE -> DOWN (connection torn down) -> RECONNECTING
 * (waiting to try again, or for the remote to) -> CONNECTING ... until it
 * is closed for good (peer->closing): DOWN -> DEAD.
 */
enum krdma_state {
	KRDMA_CONNECTING,	/* resolving, connecting, exchanging hellos */
	KRDMA_LIVE,		/* RPCs flow */
	KRDMA_DOWN,		/* teardown of the connection queued or running */
	KRDMA_RECONNECTING,	/* no connection: waiting for the next one */
	KRDMA_DEAD,		/* torn down for good; only references remain */
};

/* One data connection: a QP of one-sided RDMA ops, chosen by CPU. */
struct krdma_dataq {
	struct krdma_peer	*peer;
	int			index;
	/* the connection code's: created, torn down with the connection */
	struct rdma_cm_id	*cm_id;
	struct ib_cq		*cq;
	struct ib_qp		*qp;
	u32			max_sge;	/* per work request */

	spinlock_t		lock;	/* protects the fields below */
	bool			established;
	bool			usable;	/* established, keys current: post */
	int			sq_free; /* work requests we may still post */
	/* jiffies: the last completion, or a post to an idle send queue */
	unsigned long		progress;
	struct list_head	wait;	/* I/Os waiting for room, unmapped */
};

/* A region of ours granted to a peer. Protected by peer->grant_lock. */
struct krdma_grant {
	struct krdma_peer	*peer;	/* holds a reference */
	struct list_head	list;	/* on peer->grants, by id */
	u32			id;
	bool			is_void;
	struct sg_table		*sgt;
	u64			len;
	void			(*voided)(struct krdma_grant *g, void *priv);
	void			*priv;
	/* registration of the current connection, or none */
	struct ib_device	*dev;	/* sgt mapped for it */
	struct ib_mr		*mr;
	struct ib_cqe		inv_cqe;	/* the LOCAL_INV before it */
	struct ib_cqe		cqe;		/* the REG_MR */
	struct completion	reg_done;
	int			reg_status;
};

/* A region a peer granted us. Keys: written by ready_work, while no I/O. */
struct krdma_remote {
	struct krdma_peer	*peer;	/* holds a reference */
	struct list_head	list;	/* on peer->remotes; remote_lock */
	u32			id;
	u64			len;
	u64			addr;
	u32			rkey;
	bool			seen;	/* in the last refresh */
	bool			is_void; /* peer->lock */
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

/*
 * A slot of the remote's, as its requests use it. Protected by peer->lock;
 * cleared for each connection (a generation means something only within
 * the connection that carried it).
 */
struct krdma_rslot {
	u16			gen;	/* of the last request on it */
	bool			seen;	/* a request used it: @gen is valid */
	bool			serving; /* its request runs: no new one yet */
};

/*
 * Strangers: accepted connections not live yet (not authenticated, when
 * the node authenticates). At most KRDMA_STRANGERS_MAX at once; each
 * dropped when it is not live after the deadline.
 */
#define KRDMA_STRANGERS_MAX	16
#define KRDMA_AUTH_DEADLINE_MS	5000	/* when the node authenticates */
#define KRDMA_HELLO_DEADLINE_MS	60000	/* when it does not */

/* The labels of struct krdma_auth_transcript (krdma-auth.c). */
enum {
	KRDMA_LABEL_A,		/* the connecting side's proof */
	KRDMA_LABEL_B,		/* the accepting side's */
	KRDMA_LABEL_D,		/* a data connection's tag */
};

/*
 * A connection's options: the "key=value" words of its connect string
 * (krdma-opts.c), the defaults for what it does not name. An accepted
 * connection takes the timing and depth the connecting side sends in its
 * hello. An active peer's are written before it is listed, an accepted
 * one's from each connection's hello before it goes live; const while live.
 */
struct krdma_opts {
	unsigned int	heartbeat_ms;
	unsigned int	heartbeat_missed;
	unsigned int	connect_timeout_ms;
	unsigned int	rpc_timeout_ms;
	unsigned int	reconnect_delay_ms;
	unsigned int	reconnect_tries;
	unsigned int	data_qps;	/* 0: one per online CPU */
	unsigned int	queue_depth;	/* per data QP */
	unsigned int	ack_timeout;	/* 4.096 us << n */
};

/*
 * What a control connection's hello sets for the relationship: credits and
 * version, and (accepting) the session, data connections and options.
 */
struct krdma_terms {
	u64			session;
	int			nr_dq;
	int			credits;
	u16			minor;
	struct krdma_opts	opts;
};

/*
 * The authentication of a peer's current connection (krdma-auth.c).
 * Written by its handshake, one step at a time (the CM handler before our
 * accept or hello is sent, the receive of the remote's hello after), read
 * by the next step; @stranger under peer->lock. Wiped by the teardown.
 */
struct krdma_conn_auth {
	bool			used;	/* this connection authenticates */
	bool			verified; /* the remote proved the key */
	bool			stranger; /* counted: accepted, not live */
	/* accepting: ready_work closes what the remote's node left */
	bool			close_stale;
	/*
	 * accepting a known relationship's reconnection: its connect
	 * request's terms, applied once the proof held (krdma_take_terms())
	 */
	bool			staged;
	struct krdma_terms	terms;
	/* the remote's identity as its hello claims it, until verified */
	uuid_t			claim_uuid;
	u64			claim_incarnation;
	struct krdma_auth_transcript tr;
	/* our HELLO message's name and reconnect_ms, as our proof covers them */
	struct krdma_hello_msg	hello_out;
	u8			mac_out[KRDMA_MAC_LEN];	/* our proof */
	u8			tags[KRDMA_MAX_DATA_QPS][KRDMA_TAG_LEN];
};

struct krdma_peer {
	/* sysfs directory and reference count: the release frees the peer */
	struct kobject		kobj;
	/* on krdma.peers; protected by krdma.lock */
	struct list_head	list;
	int			id;	/* directory name; const once listed */
	bool			active;	/* we connected; else we accepted */
	struct sockaddr_storage	addr;	/* remote address; const once listed */
	struct krdma_opts	opts;

	/* identity of the remote node: written before LIVE, then const
	 * until the connection is down
	 */
	char			name[KRDMA_NAME_LEN];
	uuid_t			uuid;
	u64			incarnation;
	u16			minor;	/* its protocol minor version */
	/* the relationship's id (struct krdma_cm_hello.session); const */
	u64			session;
	struct krdma_conn_auth	auth;

	spinlock_t		lock;	/* protects the fields below to stats */
	enum krdma_state	state;
	bool			closing;	/* for good: no reconnection */
	bool			starting;	/* a connect's id, a test: QPs stay */
	bool			was_live;	/* a connection went live once */
	bool			new_identity;	/* the remote restarted */
	bool			hello_sent;
	bool			hello_rcvd;
	bool			grants_ready;	/* registered in this connection */
	bool			io_ready;	/* keys current: I/O flows */
	int			conn_error;	/* why connecting failed */
	/* accepted: how long the remote reconnects, from its hello */
	u32			remote_reconnect_ms;
#define KRDMA_RECONNECT_UNSAID	U32_MAX	/* not said: our default */
	int			nr_dq;		/* data connections */
	struct list_head	requeue;	/* I/Os waiting for a connection */
	struct krdma_slot	slots[KRDMA_MAX_CREDITS];
	int			credits; /* slots usable: negotiated */
	struct krdma_rslot	rslots[KRDMA_MAX_CREDITS];
	u32			rtt_us;	/* last heartbeat round trip */

	/* stats: atomic, no lock */
	atomic64_t		rpcs_out;	/* calls answered */
	atomic64_t		rpcs_in;	/* requests served */
	atomic64_t		bytes_out;	/* message bytes sent */
	atomic64_t		bytes_in;	/* message bytes received */
	atomic64_t		rpc_errors;	/* calls failed or timed out */
	atomic64_t		reconnects;	/* connections after the first */
	atomic64_t		grants_voided;	/* ours, by a restart or close */
	atomic64_t		registrations;	/* of our grants, all connections */
	atomic64_t		rdma_reads;	/* I/Os completed */
	atomic64_t		rdma_writes;
	atomic64_t		rdma_bytes;
	atomic64_t		io_requeued;	/* waited for a connection */
	atomic64_t		io_failed;	/* completed with an error */
	atomic64_t		io_stalls;	/* data QP resets: no progress */
	struct krdma_peer_usage	usage;		/* the storage layer's */

	/* set up before the connection, torn down by teardown_work */
	struct rdma_cm_id	*cm_id;
	/* the device, once known: only compared (ib_client remove) */
	struct ib_device	*dev;
	bool			dev_gone;	/* it is being removed */
	struct ib_pd		*pd;
	struct ib_cq		*cq;
	struct ib_qp		*qp;
	/* receive buffers: credits for requests, as many for responses, 1 hello */
	struct krdma_buf	recv[2 * KRDMA_MAX_CREDITS + 1];
	/* send buffers: [0, MAX) our requests by slot, [MAX, 2 MAX) our
	 * responses by the remote slot, [2 MAX] our hello
	 */
	struct krdma_buf	send[2 * KRDMA_MAX_CREDITS + 1];
#define KRDMA_HELLO_BUF		(2 * KRDMA_MAX_CREDITS)	/* in @send */
	int			nr_recv_mapped;
	int			nr_send_mapped;

	/* data connections; set up and torn down like the control one */
	struct krdma_dataq	dq[KRDMA_MAX_DATA_QPS];

	/*
	 * Grants and remotes. Two locks: the GRANTS handler takes grant_lock
	 * while the refresh of our remotes, under remote_lock, waits for the
	 * other side's handler; one lock would deadlock two nodes that grant
	 * each other memory.
	 */
	struct mutex		grant_lock;	/* grants, registrations */
	struct list_head	grants;
	struct mutex		remote_lock;	/* remotes, their keys */
	struct list_head	remotes;
	u32			next_grant_id;	/* grant_lock */
	u32			nr_grants;	/* on @grants; grant_lock */

	wait_queue_head_t	slot_wait;	/* a slot freed or state changed */
	struct completion	established;	/* LIVE or failed: connect waits */
	struct completion	dead;		/* teardown finished */
	struct delayed_work	hb_work;
	int			hb_missed;	/* only hb_work touches it */
	struct work_struct	teardown_work;
	/* once a connection is live: grants, data connections, keys */
	struct work_struct	ready_work;
	/* active: the next connect; passive: the end of the wait */
	struct delayed_work	reconnect_work;
	unsigned int		tries;	/* reconnects failed in a row */
	/* fails requeued I/Os whose deadline passed */
	struct delayed_work	io_timer;
};

/*
 * Log lines about a peer all start alike: "krdma: peer <id> (<its node
 * name>, "-" before its hello): ".
 */
const char *krdma_peer_tag(const struct krdma_peer *peer);
#define peer_printk(pr, peer, fmt, ...)					\
do {									\
	const struct krdma_peer *__p = (peer);				\
									\
	pr("peer %d (%s): " fmt, __p->id, krdma_peer_tag(__p),		\
	   ##__VA_ARGS__);						\
} while (0)
#define peer_info(peer, fmt, ...)	peer_printk(pr_info, peer, fmt, ##__VA_ARGS__)
#define peer_warn(peer, fmt, ...)	peer_printk(pr_warn, peer, fmt, ##__VA_ARGS__)
#define peer_warn_rl(peer, fmt, ...)					\
	peer_printk(pr_warn_ratelimited, peer, fmt, ##__VA_ARGS__)

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

/* parameters (krdma-conn.c) */
extern unsigned int krdma_port;

/* tuning files of /sys/kernel/rackswap/krdma (krdma-io.c) */
enum krdma_inline {
	KRDMA_INLINE_OFF,
	KRDMA_INLINE_ALWAYS,
	KRDMA_INLINE_IDLE,	/* a post to a data QP with nothing in flight */
};

extern unsigned int krdma_poll_spin_us;
extern unsigned int krdma_inline_softirq;

/* krdma-opts.c: connect strings */
void krdma_opts_init(struct krdma_opts *o);
int krdma_parse_connect(char *str, struct sockaddr_storage *ss,
			struct krdma_opts *o);
int krdma_opts_check(const struct krdma_opts *o, const char *who);
int krdma_opts_show(const struct krdma_opts *o, char *buf);
void krdma_opts_to_hello(const struct krdma_opts *o,
			 struct krdma_cm_hello *h);
int krdma_opts_from_hello(struct krdma_opts *o,
			  const struct krdma_cm_hello *h, u8 len);
u32 krdma_reconnect_window_ms(const struct krdma_opts *o);
#define KRDMA_RECONNECT_MAX_MS	120000000U

extern struct dentry *rackswap_debugfs_root;	/* debugfs.c */

/* the module's parts, started in this order (krdma-main.c) */
int rackswap_identity_init(void);
bool rs_name_ok(const char *s);
int rackswap_debugfs_init(void);
void rackswap_debugfs_exit(void);
int rackswap_sysfs_init(void);
void rackswap_sysfs_exit(void);
int krdma_init(void);
void krdma_exit(void);

/* krdma-conn.c: connecting and the handshake */
int krdma_connect_str(const char *buf, size_t len);
int krdma_disconnect_str(const char *buf, size_t len);
void krdma_set_live_if_ready(struct krdma_peer *peer);
void krdma_qp_event(struct ib_event *ev, void *context);
int krdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev);
void krdma_fill_cm_hello(struct krdma_cm_hello *h,
			 const struct krdma_peer *peer, bool request,
			 u8 kind, u8 index);
const struct krdma_cm_hello *
krdma_check_cm_hello(const struct sockaddr_storage *addr, const void *data,
		     u8 len);
int krdma_take_cm_hello(struct krdma_peer *peer, const void *data, u8 len);
void krdma_take_terms(struct krdma_peer *peer);
int krdma_take_identity(struct krdma_peer *peer, const uuid_t *uuid, u64 inc);
void krdma_conn_param(struct rdma_conn_param *param,
		      struct krdma_cm_accept *priv,
		      const struct krdma_peer *peer, struct ib_device *dev,
		      const struct rdma_cm_event *ev, u8 kind, u8 index);
int krdma_create_queues(struct krdma_peer *peer);
void krdma_destroy_queues(struct krdma_peer *peer);
void krdma_ready_work(struct work_struct *work);

/* krdma-accept.c: listening and accepting */
int krdma_accept_req(struct rdma_cm_id *id, struct rdma_cm_event *ev);
void krdma_close_stale_of(struct krdma_peer *peer);
int krdma_listen_on(struct rdma_cm_id **idp, int family);
void krdma_stop_listening(void);

/* krdma-recover.c: teardown, heartbeats, reconnection, closing */
void krdma_conn_lost(struct krdma_peer *peer, int why);
void krdma_peer_close(struct krdma_peer *peer, int why);
bool krdma_conn_is_down(struct krdma_peer *peer);
bool krdma_port_up(struct rdma_cm_id *id);
void krdma_started(struct krdma_peer *peer);
void krdma_teardown_work(struct work_struct *work);
void krdma_reconnect_work(struct work_struct *work);
void krdma_hb_work(struct work_struct *work);
bool krdma_conn_pin(struct krdma_peer *peer);
void krdma_conn_unpin(struct krdma_peer *peer);

/* krdma-keys.c: the keys and the allowlist */
struct crypto_shash;
#define KRDMA_KEYS_MAX		2	/* krdma_keys_of()'s at most */
bool krdma_auth_enabled(void);
int krdma_key_store(const char *buf, size_t count);
int krdma_allow_store(const char *buf, size_t count);
ssize_t krdma_allowed_show(char *buf);
struct crypto_shash *krdma_keys_own(void);
int krdma_keys_of(const uuid_t *uuid, struct crypto_shash **keys);
void krdma_keys_init(void);
void krdma_keys_exit(void);

/* krdma-auth.c: the authenticated handshake, strangers */
bool krdma_auth_wanted(bool active);
int krdma_auth_connecting(struct krdma_peer *peer);
ssize_t krdma_auth_stat_show(char *buf);
void krdma_refused_early(void);
bool krdma_stranger_get(void);
void krdma_stranger_put(void);
void krdma_stranger_end_locked(struct krdma_peer *peer);
unsigned int krdma_stranger_ms(void);
void krdma_stranger_dropped(struct krdma_peer *peer);
void krdma_auth_request(struct krdma_peer *peer,
			const struct krdma_cm_hello *h);
int krdma_auth_accepted(struct krdma_peer *peer, const void *data, u8 len);
int krdma_auth_request_in(struct krdma_peer *peer,
			  const struct krdma_cm_hello *h, u8 len);
int krdma_auth_refuse_plain(const struct sockaddr_storage *addr);
void krdma_auth_accept(struct krdma_peer *peer, struct krdma_cm_accept *acc);
int krdma_auth_check(struct krdma_peer *peer, const struct krdma_hello_msg *msg,
		     u32 len);
void krdma_auth_early(struct krdma_peer *peer, u16 op, bool resp);
bool krdma_peer_proven(struct krdma_peer *peer);
void krdma_auth_tag_fill(const struct krdma_peer *peer,
			 struct krdma_cm_hello *h, u8 index);
bool krdma_auth_tag_ok(const struct krdma_peer *peer,
		       const struct krdma_cm_hello *h);
void krdma_auth_conn_end(struct krdma_peer *peer);

/* krdma-peer.c: the peer object, its lookup, the RDMA devices */
extern struct ib_client krdma_ib_client;
const char *krdma_state_name(enum krdma_state state);
struct krdma_peer *krdma_peer_alloc(const struct sockaddr *addr,
				    const struct krdma_opts *o);
int krdma_peer_publish(struct krdma_peer *peer);
struct krdma_peer *
krdma_peer_find(bool (*match)(const struct krdma_peer *p, const void *arg),
		const void *arg);
bool krdma_hello_is_self(const struct krdma_cm_hello *h);
bool krdma_same_host(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b);
bool krdma_same_addr(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b);
void krdma_close_all(struct ib_device *dev);

/* krdma-rpc.c */
int krdma_bufs_alloc(struct krdma_peer *peer);
void krdma_bufs_free(struct krdma_peer *peer);
int krdma_post_all_recvs(struct krdma_peer *peer);
int krdma_send_hello(struct krdma_peer *peer);
void krdma_hello_fill(const struct krdma_peer *peer,
		      struct krdma_hello_msg *msg);
void krdma_fail_slots(struct krdma_peer *peer);
void krdma_cancel_handlers(struct krdma_peer *peer);
void krdma_send_done(struct ib_cq *cq, struct ib_wc *wc);
void krdma_recv_done(struct ib_cq *cq, struct ib_wc *wc);
int krdma_rpc_init(void);
int krdma_set_handler(u16 op, krdma_handler_t fn);
void krdma_clear_handler(u16 op);
/* the message machinery, for the test module's malformed messages */
int krdma_get_slot(struct krdma_peer *peer);
void krdma_slot_put_locked(struct krdma_peer *peer, struct krdma_slot *slot);
void krdma_fill_hdr(struct krdma_buf *b, u16 op, u16 flags, u32 len, u32 id,
		    int status);
int krdma_post_bytes_locked(struct krdma_peer *peer, struct krdma_buf *b,
			    u32 len);

/* krdma-grant.c */
int krdma_grants_register(struct krdma_peer *peer);
void krdma_grants_unregister(struct krdma_peer *peer);
void krdma_grants_void(struct krdma_peer *peer);
int krdma_remotes_refresh(struct krdma_peer *peer);
int krdma_grant_init(void);
void krdma_grant_exit(void);

/* krdma-io.c */
int krdma_dq_create(struct krdma_dataq *dq, struct rdma_cm_id *id);
void krdma_dq_destroy(struct krdma_dataq *dq);
void krdma_dq_set_usable(struct krdma_peer *peer, bool usable);
void krdma_io_resume(struct krdma_peer *peer);
void krdma_io_fail_all(struct krdma_peer *peer, int status);
void krdma_io_timer(struct work_struct *work);
int krdma_dq_stalled(struct krdma_peer *peer, unsigned long limit);

/*
 * Test hooks (CONFIG_RACKSWAP_TEST only: packages leave it off). The test
 * module sets them through its debugfs files; krdma reads them on its real
 * paths, and a build without the option has neither the hooks nor the
 * reads. Each field is written and read once at a time, without a lock.
 *
 * The negative controls make krdma's one-sided I/O (krdma-io.c) lie to its
 * callers, so that a test shows its data checks fail when the data is
 * wrong: the next @left I/Os of their kind are corrupted. Atomics only: the
 * I/O path reads @left once when it is not armed. @acted may lag @left's
 * decrement for a moment (read it once the I/O completed).
 */
struct krdma_neg {
	atomic_t		left;	/* I/Os still to corrupt */
	atomic64_t		acted;	/* I/Os corrupted since load */
};

/* How the GRANTS answers to one peer lie (krdma_test_hooks.grants_lie). */
enum krdma_grants_lie {
	KRDMA_LIE_NONE,
	KRDMA_LIE_DUP,		/* the last grant listed twice */
	KRDMA_LIE_MORE,		/* `more` on a message that is not full */
	KRDMA_LIE_COUNT,	/* a count one beyond the grants sent */
	KRDMA_LIE_MAX,
};

/* krdma_test_hooks.auth_mode: a keyed node that acts as an unkeyed one */
#define KRDMA_AUTH_HOOK_NO_REQ		1	/* when it connects */
#define KRDMA_AUTH_HOOK_NO_ACCEPT	2	/* when it accepts */

/* krdma_test_hooks.hello_replay */
#define KRDMA_REPLAY_RECORD	1	/* keep each HELLO message we send */
#define KRDMA_REPLAY_SEND	2	/* send the kept one's nonce and proof */
#define KRDMA_REPLAY_TAMPER	3	/* change our name after the proof */

/*
 * krdma_test_hooks.handshake_fuzz: where it may change the handshake of a
 * new connection. @buf holds *@len bytes; the hook may change them and
 * *@len, up to @max. Connecting:
 */
enum krdma_fuzz_at {
	/* a control connection's connect request (its hello), after our
	 * transcript took it: what a relay would change
	 */
	KRDMA_FUZZ_REQUEST,
	/* our HELLO's first KRDMA_HELLO_FIELDS_LEN bytes, before our proof */
	KRDMA_FUZZ_FIELDS,
	/* our nonce, before our proof */
	KRDMA_FUZZ_NONCE,
	/* the HELLO message as it goes, header first: after our proof */
	KRDMA_FUZZ_HELLO,
	/* a data connection's connect request (its hello, with its tag) */
	KRDMA_FUZZ_DATA,
	/*
	 * Accepting a stranger: our accept (hello and nonce) after our
	 * transcript took it, and our HELLO message as it goes
	 */
	KRDMA_FUZZ_ACCEPT,
	KRDMA_FUZZ_REPLY,
};

typedef void (*krdma_fuzz_fn)(enum krdma_fuzz_at at, void *buf, u32 *len,
			      u32 max);

struct krdma_test_hooks {
	u16			proto_major;	/* advertise another major */
	u64			incarnation;	/* connect as another one */
	u32			handler_delay_ms; /* slow handlers down */
	bool			loopback;	/* connect to ourselves */
	/* GRANTS answers to peer @grants_lie_peer lie so (0: they do not) */
	u32			grants_lie;	/* enum krdma_grants_lie */
	int			grants_lie_peer;
	u8			auth_mode;	/* KRDMA_AUTH_HOOK_* */
	u8			hello_replay;	/* KRDMA_REPLAY_* */
	bool			early_request;	/* a request before our HELLO */
	bool			hello_kept;	/* @hello holds one */
	struct krdma_hello_msg	hello;		/* the HELLO kept */
	krdma_fuzz_fn		handshake_fuzz;	/* changes our handshake */
	struct krdma_neg	flip_reads;	/* a bit flipped per READ */
	struct krdma_neg	drop_writes;	/* WRITEs acked, not done */
};

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
extern struct krdma_test_hooks krdma_test_hooks;
#define krdma_test_hook(field)	READ_ONCE(krdma_test_hooks.field)

/* Takes one I/O for @neg when it is armed; one read when it is not. */
static inline bool krdma_neg_take(struct krdma_neg *neg)
{
	if (likely(!atomic_read(&neg->left)))
		return false;
	if (atomic_dec_if_positive(&neg->left) < 0)
		return false;
	atomic64_inc(&neg->acted);
	return true;
}

#define krdma_test_neg(field)	krdma_neg_take(&krdma_test_hooks.field)

/* Tests: the handshake fuzzer changes what we send at @at. */
static inline void krdma_fuzz(enum krdma_fuzz_at at, void *buf, u32 *len,
			      u32 max)
{
	krdma_fuzz_fn fn = READ_ONCE(krdma_test_hooks.handshake_fuzz);

	if (unlikely(fn))
		fn(at, buf, len, max);
}
#else
#define krdma_test_hook(field)	0
#define krdma_test_neg(field)	false

static inline void krdma_fuzz(enum krdma_fuzz_at at, void *buf, u32 *len,
			      u32 max)
{
}
#endif

/*
 * Tests: the handshake fuzzer may change our connect request or accept,
 * @mine as @param carries it, within its length (a CM REQ holds no more;
 * the reader of a REP takes the accept's bytes only).
 */
static inline void krdma_fuzz_param(enum krdma_fuzz_at at,
				    struct krdma_cm_accept *mine,
				    struct rdma_conn_param *param)
{
	u32 len = param->private_data_len;

	krdma_fuzz(at, mine, &len, len);
	param->private_data_len = len;
}

/* krdma-sysfs.c */
int krdma_sysfs_init(void);
void krdma_sysfs_exit(void);
int krdma_peer_sysfs_add(struct krdma_peer *peer);
extern const struct kobj_type krdma_peer_ktype;

/* krdma-debugfs.c */
int krdma_user_str(struct file *file, char *buf, size_t size,
		   const char __user *ubuf, size_t count);
void krdma_debugfs_init(void);
void krdma_debugfs_exit(void);

#endif /* _RACKSWAP_KRDMA_PRIV_H */
