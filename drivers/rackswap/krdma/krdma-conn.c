// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: connections between nodes over rdma_cm (RC QPs): connecting, the
 * handshake (the hellos of rdma_cm's private data, then of messages), the
 * queues of a connection, its CM events and the module's parameters.
 * Accepting is in krdma-accept.c, teardown, heartbeats and reconnection in
 * krdma-recover.c, the peer object in krdma-peer.c; messages and RPC in
 * krdma-rpc.c, grants in krdma-grant.c, one-sided I/O in krdma-io.c.
 *
 * A peer is a relationship with one node (its UUID and incarnation) over
 * one connection at a time: a control connection (messages) and data
 * connections (one QP per CPU), all in one protection domain of the
 * peer's. Its state moves CONNECTING -> LIVE -> DOWN -> RECONNECTING ->
 * CONNECTING ... and, once closed for good, DOWN -> DEAD.
 * krdma_conn_lost() and krdma_peer_close() are the only ways to DOWN and
 * queue teardown_work, the only place that frees a connection's resources
 * and that schedules the next connection. The CM event handler and the
 * completion handlers only read the state and call those two.
 */
#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/addrconf.h>
#include <net/route.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_cm.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

unsigned int krdma_port = 7472;
module_param_named(port, krdma_port, uint, 0444);
MODULE_PARM_DESC(port, "rdma_cm port krdma listens on and connects to by default (1-65535, default 7472)");

static bool listen = true;
module_param(listen, bool, 0444);
MODULE_PARM_DESC(listen, "Accept connections from other nodes (default 1)");

static char *peers;
module_param(peers, charp, 0444);
MODULE_PARM_DESC(peers, "Peers to connect to at load: connect strings, comma-separated: \"<ip> <port>[ key=value...][,...]\"");

struct krdma krdma = {
	.lock	= __MUTEX_INITIALIZER(krdma.lock),
	.peers	= LIST_HEAD_INIT(krdma.peers),
	.ids	= IDA_INIT(krdma.ids),
};

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
struct krdma_test_hooks krdma_test_hooks;
EXPORT_SYMBOL_IF_RS_TEST(krdma_test_hooks);
#endif

static void krdma_connect_peers_work(struct work_struct *work);
static DECLARE_WORK(peers_work, krdma_connect_peers_work);

/*
 * Our hello on @peer's connection @kind (@index: of a data connection);
 * @request: a connect request, the one the test knob alters.
 */
void krdma_fill_cm_hello(struct krdma_cm_hello *h,
			 const struct krdma_peer *peer, bool request,
			 u8 kind, u8 index)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(KRDMA_MAGIC);
	h->major = cpu_to_le16(request && krdma_test_hook(proto_major) ?
			       krdma_test_hook(proto_major) :
			       KRDMA_PROTO_MAJOR);
	h->minor = cpu_to_le16(KRDMA_PROTO_MINOR);
	if (peer && peer->auth.used && kind == KRDMA_CONN_CTRL)
		h->caps = cpu_to_le32(KRDMA_CAP_AUTH);
	h->credits = cpu_to_le16(KRDMA_MAX_CREDITS);
	h->kind = kind;
	h->index = index;
	memcpy(h->uuid, &rs_self.uuid, sizeof(h->uuid));
	h->incarnation = cpu_to_le64(request && krdma_test_hook(incarnation) ?
				     krdma_test_hook(incarnation) :
				     rs_self.incarnation);
	h->session = cpu_to_le64(peer ? peer->session : 0);
	if (peer && peer->active && kind == KRDMA_CONN_CTRL)
		krdma_opts_to_hello(&peer->opts, h);
	if (peer && peer->active && kind == KRDMA_CONN_DATA)
		krdma_auth_tag_fill(peer, h, index);
}

/* The remote's hello, if it is one of a version we speak; else NULL. */
const struct krdma_cm_hello *
krdma_check_cm_hello(const struct sockaddr_storage *addr, const void *data,
		     u8 len)
{
	const struct krdma_cm_hello *h = data;
	u16 major;

	if (!data || len < KRDMA_CM_HELLO_2_0 ||
	    le32_to_cpu(h->magic) != KRDMA_MAGIC) {
		krdma_refused_early();
		pr_warn("%pISpc: not a krdma peer (no handshake)\n", addr);
		return ERR_PTR(-EPROTO);
	}
	major = le16_to_cpu(h->major);
	if (major != KRDMA_PROTO_MAJOR) {
		krdma_refused_early();
		pr_warn("%pISpc: protocol version %u.%u refused: this node speaks %u.%u\n",
			addr, major, le16_to_cpu(h->minor), KRDMA_PROTO_MAJOR,
			KRDMA_PROTO_MINOR);
		return ERR_PTR(-EPROTONOSUPPORT);
	}
	return h;
}

/*
 * Takes the remote's identity, once it is verified (or the connection does
 * not authenticate). A reconnection that brings another node or a new
 * incarnation of it voids what the old one had: ready_work sees
 * new_identity. An older incarnation than the one known is a replay
 * (-ESTALE). Any context.
 */
int krdma_take_identity(struct krdma_peer *peer, const uuid_t *uuid, u64 inc)
{
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->was_live && uuid_equal(uuid, &peer->uuid) &&
	    inc < peer->incarnation) {
		spin_unlock_irqrestore(&peer->lock, flags);
		peer_warn(peer, "refused a connection of an old incarnation (%llu, now %llu): a replay\n",
			  inc, peer->incarnation);
		return -ESTALE;
	}
	if (peer->was_live && (!uuid_equal(uuid, &peer->uuid) ||
			       inc != peer->incarnation)) {
		peer->new_identity = true;
		peer_info(peer, "the remote restarted (incarnation %llu, was %llu): its grants are void\n",
			  inc, peer->incarnation);
	}
	uuid_copy(&peer->uuid, uuid);
	peer->incarnation = inc;
	spin_unlock_irqrestore(&peer->lock, flags);
	return 0;
}

/* The terms @t of a control connection's hello; peer->lock held. */
static void krdma_apply_terms_locked(struct krdma_peer *peer,
				     const struct krdma_terms *t)
{
	lockdep_assert_held(&peer->lock);
	peer->credits = t->credits;
	WRITE_ONCE(peer->minor, t->minor);
	if (!peer->active) {
		peer->session = t->session;
		peer->nr_dq = t->nr_dq;
		peer->opts = t->opts;
	}
}

/*
 * The remote proved its key: the terms its connect request staged for a
 * known relationship apply now. Any context.
 */
void krdma_take_terms(struct krdma_peer *peer)
{
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->auth.staged) {
		krdma_apply_terms_locked(peer, &peer->auth.terms);
		peer->auth.staged = false;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
}

/*
 * Checks the remote's hello on a control connection and takes its
 * credits and, unless the connection authenticates (then once the remote
 * proved its key: krdma_take_hello()), its identity. Accepting a known
 * relationship's reconnection that authenticates, the hello's terms wait
 * for the proof too (krdma_take_terms()): an unproven connection changes
 * nothing of the relationship.
 */
int krdma_take_cm_hello(struct krdma_peer *peer, const void *data, u8 len)
{
	const struct krdma_cm_hello *h;
	struct krdma_terms t = {};
	uuid_t uuid;
	int ret;

	h = krdma_check_cm_hello(&peer->addr, data, len);
	if (IS_ERR(h))
		return PTR_ERR(h);
	t.credits = le16_to_cpu(h->credits);
	if (!t.credits || h->kind != KRDMA_CONN_CTRL) {
		krdma_refused_early();
		pr_warn("%pISpc: bad control hello (credits %u, kind %u)\n",
			&peer->addr, t.credits, h->kind);
		return -EPROTO;
	}
	if (!peer->active && krdma_opts_from_hello(&t.opts, h, len)) {
		krdma_refused_early();
		pr_warn("%pISpc: bad control hello (options out of range)\n",
			&peer->addr);
		return -EPROTO;
	}
	ret = peer->active ? krdma_auth_accepted(peer, data, len) :
			     krdma_auth_request_in(peer, h, len);
	if (ret)
		return ret;
	t.credits = min_t(int, t.credits, KRDMA_MAX_CREDITS);
	t.minor = le16_to_cpu(h->minor);
	t.session = le64_to_cpu(h->session);
	t.nr_dq = clamp_t(int, h->index, 1, KRDMA_MAX_DATA_QPS);
	t.opts.data_qps = t.nr_dq;
	spin_lock_irq(&peer->lock);
	/* a relationship that went live is a known one: see krdma_accept_again() */
	peer->auth.staged = !peer->active && peer->auth.used && peer->was_live;
	if (peer->auth.staged)
		peer->auth.terms = t;
	else
		krdma_apply_terms_locked(peer, &t);
	spin_unlock_irq(&peer->lock);
	if (peer->auth.used)
		return 0;
	memcpy(&uuid, h->uuid, sizeof(uuid));
	return krdma_take_identity(peer, &uuid, le64_to_cpu(h->incarnation));
}

void krdma_qp_event(struct ib_event *ev, void *context)
{
	struct krdma_peer *peer = context;

	switch (ev->event) {
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		peer_warn(peer, "QP error: %s\n", ib_event_msg(ev->event));
		krdma_conn_lost(peer, -EIO);
		break;
	default:
		break;
	}
}

void krdma_destroy_queues(struct krdma_peer *peer)
{
	if (peer->qp) {
		rdma_destroy_qp(peer->cm_id);
		peer->qp = NULL;
	}
	krdma_bufs_free(peer);
	if (peer->cq) {
		ib_free_cq(peer->cq);
		peer->cq = NULL;
	}
	if (peer->pd) {
		ib_dealloc_pd(peer->pd);
		peer->pd = NULL;
	}
}

/* PD, CQ, QP and buffers of a connection; called from the CM handler. */
int krdma_create_queues(struct krdma_peer *peer)
{
	struct ib_device *dev = peer->cm_id->device;
	/*
	 * +1 each for ib_drain_qp(); grant registrations go one at a time,
	 * two requests each (LOCAL_INV, REG_MR)
	 */
	int nsend = ARRAY_SIZE(peer->send) + 1 + 2;
	int nrecv = ARRAY_SIZE(peer->recv) + 1;
	struct ib_qp_init_attr attr = {};
	int ret;

	WRITE_ONCE(peer->dev, dev);
	peer->pd = ib_alloc_pd(dev, 0);
	if (IS_ERR(peer->pd)) {
		ret = PTR_ERR(peer->pd);
		peer->pd = NULL;
		goto err;
	}
	peer->cq = ib_alloc_cq(dev, peer, nsend + nrecv, 0, IB_POLL_SOFTIRQ);
	if (IS_ERR(peer->cq)) {
		ret = PTR_ERR(peer->cq);
		peer->cq = NULL;
		goto err;
	}
	attr.event_handler = krdma_qp_event;
	attr.qp_context = peer;
	attr.send_cq = peer->cq;
	attr.recv_cq = peer->cq;
	attr.cap.max_send_wr = nsend;
	attr.cap.max_recv_wr = nrecv;
	attr.cap.max_send_sge = 1;
	attr.cap.max_recv_sge = 1;
	attr.sq_sig_type = IB_SIGNAL_ALL_WR;
	attr.qp_type = IB_QPT_RC;
	ret = rdma_create_qp(peer->cm_id, peer->pd, &attr);
	if (ret)
		goto err;
	peer->qp = peer->cm_id->qp;
	ret = krdma_bufs_alloc(peer);
	if (ret)
		goto err;
	ret = krdma_post_all_recvs(peer);
	if (ret)
		goto err;
	ret = rdma_set_ack_timeout(peer->cm_id, peer->opts.ack_timeout);
	if (ret)
		goto err;
	return 0;

err:
	pr_warn("%pISpc: cannot set up the connection's queues: %pe\n",
		&peer->addr, ERR_PTR(ret));
	krdma_destroy_queues(peer);
	return ret;
}

/* Read/atomic depth each way: what the device allows, at most 16. */
static u8 krdma_rd_atom(struct ib_device *dev)
{
	return min3(dev->attrs.max_qp_rd_atom, dev->attrs.max_qp_init_rd_atom,
		    16);
}

/*
 * Parameters of a connection of @peer on @dev, with our hello in @priv.
 * @ev: the connect request being accepted (its depths bound ours; the
 * accept carries a nonce after the hello, zeros until krdma_auth_accept()
 * puts one), or NULL when connecting (the hello alone).
 */
void krdma_conn_param(struct rdma_conn_param *param,
		      struct krdma_cm_accept *priv,
		      const struct krdma_peer *peer, struct ib_device *dev,
		      const struct rdma_cm_event *ev, u8 kind, u8 index)
{
	u8 depth = krdma_rd_atom(dev);

	memset(param, 0, sizeof(*param));
	memset(priv, 0, sizeof(*priv));
	krdma_fill_cm_hello(&priv->hello, peer, !ev, kind, index);
	param->private_data = priv;
	param->private_data_len = ev ? sizeof(*priv) : sizeof(priv->hello);
	param->responder_resources = depth;
	param->initiator_depth = depth;
	if (ev) {
		param->responder_resources =
			min(depth, ev->param.conn.initiator_depth);
		param->initiator_depth = min(depth,
					     ev->param.conn.responder_resources);
	}
	param->retry_count = 7;
	/* receive buffers are always posted: a receiver-not-ready is a bug */
	param->rnr_retry_count = 0;
}

/* LIVE once our hello went out and theirs came in. Any context. */
void krdma_set_live_if_ready(struct krdma_peer *peer)
{
	unsigned long flags;
	bool live = false, again = false;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state == KRDMA_CONNECTING && peer->hello_sent &&
	    peer->hello_rcvd) {
		peer->state = KRDMA_LIVE;
		krdma_stranger_end_locked(peer);
		again = peer->was_live;
		peer->was_live = true;
		peer->hb_missed = 0;
		live = true;
		/* while LIVE: the teardown, after DOWN, cancels them */
		queue_work(krdma.wq, &peer->ready_work);
		queue_delayed_work(krdma.wq, &peer->hb_work,
				   msecs_to_jiffies(peer->opts.heartbeat_ms));
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (!live)
		return;
	if (again)
		atomic64_inc(&peer->reconnects);
	peer_info(peer, "%pUb at %pISpc is live, %s, %d credits\n",
		  &peer->uuid, &peer->addr,
		  again ? "reconnected" : peer->active ? "connected" : "accepted",
		  peer->credits);
	complete_all(&peer->established);
	wake_up_all(&peer->slot_wait);
}

/* All data connections of this connection are up. */
static bool krdma_dqs_established(struct krdma_peer *peer)
{
	int i, n = READ_ONCE(peer->nr_dq);

	for (i = 0; i < n; i++)
		if (!READ_ONCE(peer->dq[i].established))
			return false;
	return true;
}

/* Active side: opens data connection @i; the CM handler goes on. */
static int krdma_dq_connect(struct krdma_peer *peer, int i)
{
	struct rdma_cm_id *id;
	bool ok;
	int ret;

	id = rdma_create_id(&init_net, krdma_cm_handler, peer, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	spin_lock_irq(&peer->lock);
	ok = peer->state == KRDMA_LIVE && !peer->dq[i].cm_id;
	if (ok)
		peer->dq[i].cm_id = id;
	spin_unlock_irq(&peer->lock);
	if (!ok) {
		rdma_destroy_id(id);
		return -ENOTCONN;
	}
	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)&peer->addr,
				peer->opts.connect_timeout_ms);
	/* the id is the peer's now: the teardown destroys it */
	return ret;
}

/*
 * Once a connection is live: voids what a restarted remote had, registers
 * our grants in this connection's PD, brings up the data connections,
 * fetches the keys of the remote's grants, then lets I/O flow.
 */
static void krdma_ready(struct krdma_peer *peer)
{
	bool new_identity, close_stale;
	int i, ret;

	spin_lock_irq(&peer->lock);
	new_identity = peer->new_identity;
	peer->new_identity = false;
	close_stale = peer->auth.close_stale;
	peer->auth.close_stale = false;
	spin_unlock_irq(&peer->lock);
	if (new_identity)
		krdma_grants_void(peer);
	/* what the node, now verified, left behind (krdma_accept_req()) */
	if (close_stale)
		krdma_close_stale_of(peer);

	ret = krdma_grants_register(peer);
	if (ret)
		goto lost;
	spin_lock_irq(&peer->lock);
	peer->grants_ready = true;
	spin_unlock_irq(&peer->lock);

	for (i = 0; peer->active && i < peer->nr_dq; i++) {
		ret = krdma_dq_connect(peer, i);
		if (ret)
			goto lost;
	}
	if (!wait_event_timeout(peer->slot_wait, krdma_dqs_established(peer) ||
				READ_ONCE(peer->state) != KRDMA_LIVE,
				msecs_to_jiffies(peer->opts.connect_timeout_ms))) {
		peer_warn(peer, "data connections not up in time\n");
		ret = -ETIMEDOUT;
		goto lost;
	}
	if (READ_ONCE(peer->state) != KRDMA_LIVE)
		return;
	ret = krdma_remotes_refresh(peer);
	if (ret)
		goto lost;

	/*
	 * Under peer->lock: after krdma_conn_lost() no QP becomes usable
	 * again, so nothing is posted after the teardown's drain. The QPs
	 * are usable before io_ready: a post under io_ready finds its QP.
	 */
	spin_lock_irq(&peer->lock);
	if (peer->state == KRDMA_LIVE) {
		krdma_dq_set_usable(peer, true);
		peer->io_ready = true;
		peer->tries = 0;
	}
	spin_unlock_irq(&peer->lock);
	krdma_io_resume(peer);
	wake_up_all(&peer->slot_wait);
	peer_info(peer, "RDMA ready, %d data QPs\n", peer->nr_dq);
	return;

lost:
	peer_warn(peer, "cannot set up RDMA: %pe\n", ERR_PTR(ret));
	krdma_conn_lost(peer, ret);
}

/* PF_MEMALLOC: see krdma_reconnect_work() */
void krdma_ready_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(work, struct krdma_peer,
					       ready_work);
	unsigned int noreclaim = memalloc_noreclaim_save();

	krdma_ready(peer);
	memalloc_noreclaim_restore(noreclaim);
}

static void krdma_log_reject(struct krdma_peer *peer, struct rdma_cm_id *id,
			     struct rdma_cm_event *ev)
{
	const struct krdma_cm_hello *h;
	u8 len = 0;

	u16 ours = krdma_test_hook(proto_major) ?: KRDMA_PROTO_MAJOR;

	h = rdma_consumer_reject_data(id, ev, &len);
	if (h && len >= sizeof(*h) && le32_to_cpu(h->magic) == KRDMA_MAGIC &&
	    le16_to_cpu(h->major) != ours) {
		pr_warn("%pISpc refused the connection: it speaks protocol %u.%u, this node %u.%u\n",
			&peer->addr, le16_to_cpu(h->major),
			le16_to_cpu(h->minor), ours, KRDMA_PROTO_MINOR);
		krdma_conn_lost(peer, -EPROTONOSUPPORT);
		return;
	}
	pr_warn("%pISpc refused the connection: %s\n", &peer->addr,
		rdma_reject_msg(id, ev->status));
	krdma_conn_lost(peer, -ECONNREFUSED);
}

/* The error a CM event means for a connection (0: none). */
static int krdma_cm_event_errno(const struct rdma_cm_event *ev)
{
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
		return ev->status < 0 ? ev->status : -EHOSTUNREACH;
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		return -EHOSTUNREACH;
	case RDMA_CM_EVENT_REJECTED:
		return -ECONNREFUSED;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		return -ENOTCONN;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* the ib_client remove callback waits for the teardown */
		return -ENODEV;
	default:
		return 0;
	}
}

static struct krdma_dataq *krdma_dq_of(struct krdma_peer *peer,
				       struct rdma_cm_id *id)
{
	int i;

	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++)
		if (READ_ONCE(peer->dq[i].cm_id) == id)
			return &peer->dq[i];
	return NULL;
}

/* Events of a data connection; any failure loses the whole connection. */
static void krdma_data_cm_event(struct krdma_peer *peer, struct rdma_cm_id *id,
				struct rdma_cm_event *ev)
{
	struct krdma_dataq *dq = krdma_dq_of(peer, id);
	struct krdma_cm_accept mine;
	struct rdma_conn_param param;
	int ret = 0;

	if (!dq)
		return;
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = krdma_port_up(id) ?
		      rdma_resolve_route(id, peer->opts.connect_timeout_ms) :
		      -ENETDOWN;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		if (id->device != READ_ONCE(peer->dev)) {
			ret = -EXDEV;
			break;
		}
		ret = krdma_dq_create(dq, id);
		if (ret)
			break;
		krdma_conn_param(&param, &mine, peer, id->device, NULL,
				 KRDMA_CONN_DATA, dq->index);
		krdma_fuzz_param(KRDMA_FUZZ_DATA, &mine, &param);
		ret = rdma_connect_locked(id, &param);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		spin_lock_irq(&dq->lock);
		dq->established = true;
		spin_unlock_irq(&dq->lock);
		wake_up_all(&peer->slot_wait);
		break;
	default:
		ret = krdma_cm_event_errno(ev);
		break;
	}
	if (ret) {
		peer_warn(peer, "data connection %d: %s: %pe\n",
			  dq->index, rdma_event_msg(ev->event), ERR_PTR(ret));
		krdma_conn_lost(peer, ret);
	}
}

static int krdma_cm_event(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct krdma_peer *peer = id->context;
	struct krdma_cm_accept mine;
	struct rdma_conn_param param;
	int ret = 0;

	if (!peer)	/* a listener's */
		return ev->event == RDMA_CM_EVENT_CONNECT_REQUEST ?
		       krdma_accept_req(id, ev) : 0;
	if (READ_ONCE(peer->state) >= KRDMA_DOWN)
		return 0;
	if (id != READ_ONCE(peer->cm_id)) {
		krdma_data_cm_event(peer, id, ev);
		return 0;
	}

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = krdma_port_up(id) ?
		      rdma_resolve_route(id, peer->opts.connect_timeout_ms) :
		      -ENETDOWN;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		ret = krdma_auth_connecting(peer);
		if (!ret)
			ret = krdma_create_queues(peer);
		if (ret)
			break;
		krdma_conn_param(&param, &mine, peer, id->device, NULL,
				 KRDMA_CONN_CTRL, peer->nr_dq);
		krdma_auth_request(peer, &mine.hello);
		krdma_fuzz_param(KRDMA_FUZZ_REQUEST, &mine, &param);
		ret = rdma_connect_locked(id, &param);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		if (peer->active)
			ret = krdma_take_cm_hello(peer, ev->param.conn.private_data,
						  ev->param.conn.private_data_len);
		/* an accepting side that authenticates answers the proof */
		if (!ret && (peer->active || !peer->auth.used))
			ret = krdma_send_hello(peer);
		break;
	case RDMA_CM_EVENT_REJECTED:
		krdma_log_reject(peer, id, ev);
		break;
	default:
		ret = krdma_cm_event_errno(ev);
		break;
	}
	if (ret)
		krdma_conn_lost(peer, ret);
	return 0;
}

/*
 * PF_MEMALLOC for the connections we make (see krdma_reconnect_work()):
 * not for those we accept, a stranger's connect request first, which
 * must not spend the reserves reclaim needs.
 */
int krdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct krdma_peer *peer = id->context;
	unsigned int noreclaim;
	int ret;

	if (!peer || !peer->active)
		return krdma_cm_event(id, ev);
	noreclaim = memalloc_noreclaim_save();
	ret = krdma_cm_event(id, ev);
	memalloc_noreclaim_restore(noreclaim);
	return ret;
}

static bool krdma_addr_is_local(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	if (ss->ss_family == AF_INET)
		return inet_addr_type(&init_net, sin->sin_addr.s_addr) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	if (ss->ss_family == AF_INET6)
		return ipv6_chk_addr(&init_net,
				     &((const struct sockaddr_in6 *)ss)->sin6_addr,
				     NULL, 0);
#endif
	return false;
}

static int krdma_connect_addr(struct sockaddr_storage *ss,
			      const struct krdma_opts *o)
{
	unsigned long t0 = jiffies;
	struct krdma_peer *peer;
	struct rdma_cm_id *id;
	int ret;

	if (!krdma_test_hook(loopback) && krdma_addr_is_local(ss)) {
		pr_warn("connect %pISpc: refusing to connect to this node's own address\n",
			ss);
		return -EINVAL;
	}
	peer = krdma_peer_alloc((struct sockaddr *)ss, o);
	if (!peer)
		return -ENOMEM;
	id = rdma_create_id(&init_net, krdma_cm_handler, peer, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id)) {
		kobject_put(&peer->kobj);
		return PTR_ERR(id);
	}
	peer->cm_id = id;
	/* listed, it can be closed at once: the id stays until we used it */
	peer->starting = true;
	kobject_get(&peer->kobj);	/* ours, while we wait */
	ret = krdma_peer_publish(peer);
	if (ret) {
		rdma_destroy_id(id);
		peer->cm_id = NULL;
		kobject_put(&peer->kobj);
		kobject_put(&peer->kobj);
		return ret;
	}
	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)ss,
				o->connect_timeout_ms);
	krdma_started(peer);
	if (ret)
		krdma_peer_close(peer, ret);
	wait_for_completion_timeout(&peer->established,
				    msecs_to_jiffies(o->connect_timeout_ms));
	spin_lock_irq(&peer->lock);
	if (peer->state == KRDMA_LIVE)
		ret = 0;
	else
		ret = peer->conn_error ? peer->conn_error : -ETIMEDOUT;
	spin_unlock_irq(&peer->lock);
	if (ret) {
		krdma_peer_close(peer, ret);
		/* the teardown is bounded; a new connect may follow at once */
		wait_for_completion_timeout(&peer->dead, 10 * HZ);
		pr_warn("connect %pISpc failed after %u ms: %pe\n", ss,
			jiffies_to_msecs(jiffies - t0), ERR_PTR(ret));
	}
	kobject_put(&peer->kobj);
	return ret;
}

/*
 * Parses a connect string of @len bytes (a trailing newline allowed) into
 * @ss and, when @o, its options. Every refusal is logged.
 */
static int krdma_parse_str(const char *buf, size_t len,
			   struct sockaddr_storage *ss, struct krdma_opts *o)
{
	char tmp[256];

	if (len == 0 || len >= sizeof(tmp) || strnlen(buf, len) != len) {
		pr_warn("connect: expected \"<ip> <port>[ key=value...]\" (%zu bytes given)\n",
			len);
		return -EINVAL;
	}
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	return krdma_parse_connect(tmp, ss, o);
}

int krdma_connect_str(const char *buf, size_t len)
{
	struct sockaddr_storage ss;
	struct krdma_opts o;
	int ret;

	ret = krdma_parse_str(buf, len, &ss, &o);
	if (ret)
		return ret;
	return krdma_connect_addr(&ss, &o);
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_connect_str);

/* What disconnect names: "<ip> <port>" or a node name. */
struct krdma_target {
	bool			by_addr;
	struct sockaddr_storage	addr;
	char			name[KRDMA_NAME_LEN];
};

static int krdma_parse_target(const char *buf, size_t len,
			      struct krdma_target *t)
{
	t->by_addr = memchr(buf, ' ', len) && len < 256;
	if (t->by_addr)
		return krdma_parse_str(buf, len, &t->addr, NULL);
	if (len == 0 || len >= sizeof(t->name) || strnlen(buf, len) != len)
		return -EINVAL;
	memcpy(t->name, buf, len);
	t->name[len] = '\0';
	strim(t->name);
	return 0;
}

static bool krdma_match_target(const struct krdma_peer *p, const void *arg)
{
	const struct krdma_target *t = arg;

	if (READ_ONCE(p->closing) || READ_ONCE(p->state) == KRDMA_DEAD)
		return false;
	return t->by_addr ? krdma_same_addr(&p->addr, &t->addr) :
			    !strcmp(p->name, t->name);
}

/* Closes every connection to "<ip> <port>" or to the node so named. */
int krdma_disconnect_str(const char *buf, size_t len)
{
	struct krdma_target t;
	struct krdma_peer *peer;
	int n = 0;

	if (krdma_parse_target(buf, len, &t)) {
		pr_warn("disconnect: expected \"<ip> <port>\" or a node name\n");
		return -EINVAL;
	}
	while ((peer = krdma_peer_find(krdma_match_target, &t))) {
		krdma_peer_close(peer, -ENOTCONN);
		wait_for_completion_timeout(&peer->dead, 10 * HZ);
		kobject_put(&peer->kobj);
		n++;
	}
	if (!n) {
		pr_warn("disconnect: no peer \"%.*s\"\n", (int)min_t(size_t, len, 64),
			buf);
		return -ENOENT;
	}
	return 0;
}

static void krdma_connect_peers_work(struct work_struct *work)
{
	char *list, *cur, *tok;

	list = rs_kstrdup(peers, GFP_KERNEL);
	if (!list) {
		pr_warn("peers: out of memory: no peer connected at load\n");
		return;
	}
	cur = list;
	while ((tok = strsep(&cur, ",")))
		if (*tok)
			krdma_connect_str(tok, strlen(tok));
	kfree(list);
}

/*
 * Every entry of peers= must be a connect string: a bad one fails the load
 * (krdma_parse_connect() logs what is wrong), a failed connect does not.
 */
static int krdma_check_peers(void)
{
	struct sockaddr_storage ss;
	char *list, *cur, *tok;
	struct krdma_opts o;
	int ret = 0;

	if (!peers || !*peers)
		return 0;
	list = kstrdup(peers, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while (!ret && (tok = strsep(&cur, ",")))
		if (*tok)
			ret = krdma_parse_str(tok, strlen(tok), &ss, &o);
	kfree(list);
	if (ret)
		pr_err("peers: '%s' is not \"<ip> <port>[ key=value...][,...]\"\n",
		       peers);
	return ret;
}

int krdma_init(void)
{
	int ret;

	krdma_proto_check();
	if (krdma_port < 1 || krdma_port > 65535) {
		pr_err("port: %u is not 1-65535\n", krdma_port);
		return -EINVAL;
	}
	ret = krdma_check_peers();
	if (ret)
		return ret;
	krdma.wq = alloc_workqueue("krdma", WQ_MEM_RECLAIM, 0);
	if (!krdma.wq)
		return -ENOMEM;
	ret = krdma_rpc_init();
	if (!ret)
		ret = krdma_grant_init();
	if (ret)
		goto err_wq;
	ret = ib_register_client(&krdma_ib_client);
	if (ret)
		goto err_handlers;
	ret = krdma_sysfs_init();
	if (ret)
		goto err_client;
	krdma_debugfs_init();
	krdma_keys_init();
	if (listen) {
		ret = krdma_listen_on(&krdma.listen4, AF_INET);
		if (ret) {
			pr_err("cannot listen on port %u: %pe\n", krdma_port,
			       ERR_PTR(ret));
			goto err_debugfs;
		}
		/* IPv6 is optional: the kernel may have it disabled */
		if (krdma_listen_on(&krdma.listen6, AF_INET6))
			krdma.listen6 = NULL;
		pr_info("listening on port %u\n", krdma_port);
	}
	if (peers && *peers)
		queue_work(krdma.wq, &peers_work);
	return 0;

err_debugfs:
	krdma_debugfs_exit();
	krdma_sysfs_exit();
err_client:
	ib_unregister_client(&krdma_ib_client);
err_handlers:
	krdma_grant_exit();
err_wq:
	destroy_workqueue(krdma.wq);
	return ret;
}

void krdma_exit(void)
{
	/* no new peer from user space, from peers= or from the network */
	mutex_lock(&krdma.lock);
	krdma.stopping = true;
	mutex_unlock(&krdma.lock);
	krdma_debugfs_exit();
	cancel_work_sync(&peers_work);
	krdma_stop_listening();
	krdma_close_all(NULL);
	krdma_grant_exit();
	krdma_sysfs_exit();
	krdma_keys_exit();
	ib_unregister_client(&krdma_ib_client);
	destroy_workqueue(krdma.wq);
	ida_destroy(&krdma.ids);
}
