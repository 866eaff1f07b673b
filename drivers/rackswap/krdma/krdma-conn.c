// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: connections between nodes over rdma_cm (RC QPs): listening,
 * connecting, the handshake, heartbeats, teardown and reconnection.
 * Messages and RPC are in krdma-rpc.c, grants in krdma-grant.c, one-sided
 * I/O in krdma-io.c.
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

static unsigned int port = 7472;
module_param(port, uint, 0444);
MODULE_PARM_DESC(port, "rdma_cm port krdma listens on and connects to by default (1-65535, default 7472)");

static bool listen = true;
module_param(listen, bool, 0444);
MODULE_PARM_DESC(listen, "Accept connections from other nodes (default 1)");

static char *peers;
module_param(peers, charp, 0444);
MODULE_PARM_DESC(peers, "Peers to connect to at load: \"<ip> <port>[,<ip> <port>...]\"");

bool krdma_loopback;
module_param_named(loopback, krdma_loopback, bool, 0444);
MODULE_PARM_DESC(loopback, "Test mode: allow connecting to this node's own addresses (default 0)");

static unsigned int heartbeat_ms = 2000;
module_param(heartbeat_ms, uint, 0444);
MODULE_PARM_DESC(heartbeat_ms, "Heartbeat interval per peer in ms (100-10000, below rpc_timeout_ms; default 2000)");

static unsigned int heartbeat_missed = 3;
module_param(heartbeat_missed, uint, 0444);
MODULE_PARM_DESC(heartbeat_missed, "Heartbeats missed in a row before a peer is lost (1-10, default 3)");

unsigned int krdma_connect_timeout_ms = 10000;
module_param_named(connect_timeout_ms, krdma_connect_timeout_ms, uint, 0444);
MODULE_PARM_DESC(connect_timeout_ms, "Deadline of a connect, ms (100-30000, default 10000)");

unsigned int krdma_rpc_timeout_ms = 10000;
module_param_named(rpc_timeout_ms, krdma_rpc_timeout_ms, uint, 0444);
MODULE_PARM_DESC(rpc_timeout_ms, "Default deadline of an RPC, ms (up to 30000, default 10000); also the longest a data QP with work in flight may go without a completion");

static unsigned int reconnect_delay_ms = 1000;
module_param(reconnect_delay_ms, uint, 0444);
MODULE_PARM_DESC(reconnect_delay_ms, "Delay before reconnecting a lost peer, ms, plus up to half of it at random (10-60000, default 1000)");

static unsigned int reconnect_tries = 10;
module_param(reconnect_tries, uint, 0444);
MODULE_PARM_DESC(reconnect_tries, "Reconnection attempts in a row before a lost peer is closed for good (0-1000, 0: never reconnect; default 10)");

static unsigned int data_qps;
module_param(data_qps, uint, 0444);
MODULE_PARM_DESC(data_qps, "Data connections (QPs) per peer for one-sided RDMA (0: one per online CPU; at most 16; default 0)");

unsigned int krdma_queue_depth = 128;
module_param_named(queue_depth, krdma_queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "Work requests in flight per data QP (16-1024, default 128)");

unsigned int krdma_ack_timeout = 16;
module_param_named(ack_timeout, krdma_ack_timeout, uint, 0444);
MODULE_PARM_DESC(ack_timeout, "QP ack timeout exponent: 4.096 us << n, 7 retries (8-20, default 16: a dead peer's QP errors in about 2 s; soft-RoCE retries without end)");

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
static void krdma_hb_work(struct work_struct *work);
static void krdma_teardown_work(struct work_struct *work);
static void krdma_ready_work(struct work_struct *work);
static void krdma_reconnect_work(struct work_struct *work);
static int krdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev);

const char *krdma_state_name(enum krdma_state state)
{
	static const char * const names[] = {
		[KRDMA_CONNECTING]	= "connecting",
		[KRDMA_LIVE]		= "live",
		[KRDMA_DOWN]		= "down",
		[KRDMA_RECONNECTING]	= "reconnecting",
		[KRDMA_DEAD]		= "dead",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

/* Data connections a new peer gets. */
static int krdma_nr_data_qps(void)
{
	return min_t(int, data_qps ? data_qps : num_online_cpus(),
		     KRDMA_MAX_DATA_QPS);
}

/*
 * Our hello on @peer's connection @kind (@index: of a data connection);
 * @request: a connect request, the one the test knob alters.
 */
static void krdma_fill_cm_hello(struct krdma_cm_hello *h,
				const struct krdma_peer *peer, bool request,
				u8 kind, u8 index)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(KRDMA_MAGIC);
	h->major = cpu_to_le16(request && krdma_test_hook(proto_major) ?
			       krdma_test_hook(proto_major) :
			       KRDMA_PROTO_MAJOR);
	h->minor = cpu_to_le16(KRDMA_PROTO_MINOR);
	h->caps = cpu_to_le32(KRDMA_CAPS);
	h->credits = cpu_to_le16(KRDMA_MAX_CREDITS);
	h->kind = kind;
	h->index = index;
	memcpy(h->uuid, &rs_self.uuid, sizeof(h->uuid));
	h->incarnation = cpu_to_le64(request && krdma_test_hook(incarnation) ?
				     krdma_test_hook(incarnation) :
				     rs_self.incarnation);
	h->session = cpu_to_le64(peer ? peer->session : 0);
}

/* The remote's hello, if it is one of a version we speak; else NULL. */
static const struct krdma_cm_hello *
krdma_check_cm_hello(const struct sockaddr_storage *addr, const void *data,
		     u8 len)
{
	const struct krdma_cm_hello *h = data;
	u16 major;

	if (!data || len < sizeof(*h) || le32_to_cpu(h->magic) != KRDMA_MAGIC) {
		pr_warn("%pISpc: not a krdma peer (no handshake)\n", addr);
		return ERR_PTR(-EPROTO);
	}
	major = le16_to_cpu(h->major);
	if (major != KRDMA_PROTO_MAJOR) {
		pr_warn("%pISpc: protocol version %u.%u refused: this node speaks %u.%u\n",
			addr, major, le16_to_cpu(h->minor), KRDMA_PROTO_MAJOR,
			KRDMA_PROTO_MINOR);
		return ERR_PTR(-EPROTONOSUPPORT);
	}
	return h;
}

/*
 * Checks the remote's hello on a control connection and takes its
 * identity and credits. A reconnection that brings another node or a new
 * incarnation of it voids what the old one had: ready_work sees
 * new_identity.
 */
static int krdma_take_cm_hello(struct krdma_peer *peer, const void *data, u8 len)
{
	const struct krdma_cm_hello *h;
	u16 credits;
	uuid_t uuid;
	u64 inc;

	h = krdma_check_cm_hello(&peer->addr, data, len);
	if (IS_ERR(h))
		return PTR_ERR(h);
	credits = le16_to_cpu(h->credits);
	if (!credits || h->kind != KRDMA_CONN_CTRL) {
		pr_warn("%pISpc: bad control hello (credits %u, kind %u)\n",
			&peer->addr, credits, h->kind);
		return -EPROTO;
	}
	memcpy(&uuid, h->uuid, sizeof(uuid));
	inc = le64_to_cpu(h->incarnation);
	spin_lock_irq(&peer->lock);
	if (peer->was_live && uuid_equal(&uuid, &peer->uuid) &&
	    inc < peer->incarnation) {
		spin_unlock_irq(&peer->lock);
		pr_warn("peer %d (%s): refused a connection of an old incarnation (%llu, now %llu): a replay\n",
			peer->id, peer->name, inc, peer->incarnation);
		return -ESTALE;
	}
	if (peer->was_live && (!uuid_equal(&uuid, &peer->uuid) ||
			       inc != peer->incarnation)) {
		peer->new_identity = true;
		pr_info("peer %d (%s): the remote restarted (incarnation %llu, was %llu): its grants are void\n",
			peer->id, peer->name, inc, peer->incarnation);
	}
	peer->credits = min_t(int, credits, KRDMA_MAX_CREDITS);
	uuid_copy(&peer->uuid, &uuid);
	peer->incarnation = inc;
	if (!peer->active) {
		peer->session = le64_to_cpu(h->session);
		peer->nr_dq = clamp_t(int, h->index, 1, KRDMA_MAX_DATA_QPS);
	}
	spin_unlock_irq(&peer->lock);
	return 0;
}

static bool krdma_is_self(const struct krdma_peer *peer)
{
	return uuid_equal(&peer->uuid, &rs_self.uuid) &&
	       peer->incarnation == rs_self.incarnation;
}

static struct krdma_peer *krdma_peer_alloc(const struct sockaddr *addr,
					   bool active)
{
	struct krdma_peer *peer;
	int i;

	peer = rs_kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return NULL;
	kobject_init(&peer->kobj, &krdma_peer_ktype);
	INIT_LIST_HEAD(&peer->list);
	peer->id = -1;
	peer->active = active;
	memcpy(&peer->addr, addr, rdma_addr_size(addr));
	spin_lock_init(&peer->lock);
	peer->state = KRDMA_CONNECTING;
	for (i = 0; i < KRDMA_MAX_CREDITS; i++)
		init_completion(&peer->slots[i].done);
	init_waitqueue_head(&peer->slot_wait);
	init_completion(&peer->established);
	init_completion(&peer->dead);
	INIT_DELAYED_WORK(&peer->hb_work, krdma_hb_work);
	INIT_WORK(&peer->teardown_work, krdma_teardown_work);
	INIT_WORK(&peer->ready_work, krdma_ready_work);
	INIT_DELAYED_WORK(&peer->reconnect_work, krdma_reconnect_work);
	INIT_DELAYED_WORK(&peer->io_timer, krdma_io_timer);
	INIT_LIST_HEAD(&peer->requeue);
	mutex_init(&peer->grant_lock);
	mutex_init(&peer->remote_lock);
	INIT_LIST_HEAD(&peer->grants);
	INIT_LIST_HEAD(&peer->remotes);
	peer->next_grant_id = 1;
	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++) {
		struct krdma_dataq *dq = &peer->dq[i];

		dq->peer = peer;
		dq->index = i;
		spin_lock_init(&dq->lock);
		INIT_LIST_HEAD(&dq->wait);
	}
	if (active) {
		peer->session = get_random_u64() | 1;
		peer->nr_dq = krdma_nr_data_qps();
	}
	/* kzalloc'ed: the atomic64_t counters start at 0 */
	return peer;
}

static bool krdma_same_addr(const struct sockaddr_storage *a,
			    const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       !memcmp(a, b, rdma_addr_size((const struct sockaddr *)a));
}

/*
 * Gives the peer an id and a sysfs directory and lists it. An active peer is
 * refused (-EEXIST) while another active peer to the same address is not
 * dead. The list holds the peer's first reference.
 */
static int krdma_peer_publish(struct krdma_peer *peer)
{
	struct krdma_peer *p;
	int ret;

	mutex_lock(&krdma.lock);
	if (krdma.stopping) {
		ret = -ESHUTDOWN;
		goto out_unlock;
	}
	if (peer->active) {
		list_for_each_entry(p, &krdma.peers, list) {
			if (p->active && krdma_same_addr(&p->addr, &peer->addr)) {
				pr_warn("already connected to %pISpc (peer %d)\n",
					&peer->addr, p->id);
				ret = -EEXIST;
				goto out_unlock;
			}
		}
	}
	ret = ida_alloc(&krdma.ids, GFP_KERNEL);
	if (ret < 0)
		goto out_unlock;
	peer->id = ret;
	ret = krdma_peer_sysfs_add(peer);
	if (ret)
		goto out_unlock;
	list_add_tail(&peer->list, &krdma.peers);
out_unlock:
	mutex_unlock(&krdma.lock);
	return ret;
}

void krdma_qp_event(struct ib_event *ev, void *context)
{
	struct krdma_peer *peer = context;

	switch (ev->event) {
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		pr_warn("peer %d: QP error: %s\n", peer->id,
			ib_event_msg(ev->event));
		krdma_conn_lost(peer, -EIO);
		break;
	default:
		break;
	}
}

static void krdma_destroy_queues(struct krdma_peer *peer)
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
static int krdma_create_queues(struct krdma_peer *peer)
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
	ret = rdma_set_ack_timeout(peer->cm_id, krdma_ack_timeout);
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
 * Parameters of a connection of @peer on @dev. @ev: the connect request
 * being accepted (its depths bound ours), or NULL when connecting.
 */
static void krdma_conn_param(struct rdma_conn_param *param,
			     struct krdma_cm_hello *hello,
			     const struct krdma_peer *peer, struct ib_device *dev,
			     const struct rdma_cm_event *ev, u8 kind, u8 index)
{
	u8 depth = krdma_rd_atom(dev);

	memset(param, 0, sizeof(*param));
	krdma_fill_cm_hello(hello, peer, !ev, kind, index);
	param->private_data = hello;
	param->private_data_len = sizeof(*hello);
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

/* Slots owned by no caller are free again; the others free on return. */
static void krdma_reset_slots(struct krdma_peer *peer)
{
	int i;

	spin_lock_irq(&peer->lock);
	for (i = 0; i < KRDMA_MAX_CREDITS; i++) {
		struct krdma_slot *slot = &peer->slots[i];

		slot->send_done = true;
		slot->resp_done = true;
		if (!slot->owned)
			slot->busy = false;
	}
	peer->hello_sent = false;
	peer->hello_rcvd = false;
	peer->grants_ready = false;
	spin_unlock_irq(&peer->lock);
}

/* Holds off the CM handlers of @id that started before DOWN. */
static void krdma_cm_quiesce(struct rdma_cm_id *id)
{
	if (!id)
		return;
	rdma_lock_handler(id);
	rdma_unlock_handler(id);
	rdma_disconnect(id);
}

/* How long a teardown waits for its port to come back, at most. */
#define KRDMA_PORT_WAIT_MS	30000

/*
 * Whether @id's port is up: the core's cached port state (querying the
 * device makes rxe log a line per query while the carrier is off) and,
 * for RoCE, whether its netdev is running. Soft-RoCE on 6.1 puts its QP1
 * in the error state for good when a CM message is sent while its netdev
 * is administratively down (no route): no connection can be made on that
 * device again. So we send none while the port is down. The netdev is
 * the earlier sign: it stops running before its routes go, and the port
 * state changes only later, in rxe's and then the cache's event handlers;
 * a connection whose send failed on the missing route is torn down, and
 * would send its disconnect, in between.
 */
static bool krdma_port_up(struct rdma_cm_id *id)
{
	const struct rdma_dev_addr *da = &id->route.addr.dev_addr;
	struct net_device *ndev;
	enum ib_port_state state;
	bool up;

	if (ib_get_cached_port_state(id->device, id->port_num, &state) ||
	    state != IB_PORT_ACTIVE)
		return false;
	if (!da->bound_dev_if)
		return true;
	rcu_read_lock();
	ndev = dev_get_by_index_rcu(da->net ? da->net : &init_net,
				    da->bound_dev_if);
	up = ndev && netif_running(ndev);
	rcu_read_unlock();
	return up;
}

/*
 * Waits until the port of the connection is active again (at most
 * KRDMA_PORT_WAIT_MS, or until the device goes away): disconnecting sends
 * a CM message (see krdma_port_up()).
 */
static void krdma_wait_port_active(struct krdma_peer *peer)
{
	struct rdma_cm_id *id = peer->cm_id;
	int waited = 0;

	if (!id || !id->device)
		return;
	while (waited < KRDMA_PORT_WAIT_MS && !READ_ONCE(peer->dev_gone)) {
		if (krdma_port_up(id))
			break;
		if (!waited)
			pr_info("peer %d (%s): port %s/%u is down: teardown waits for it\n",
				peer->id, peer->name, dev_name(&id->device->dev),
				id->port_num);
		msleep(100);
		waited += 100;
	}
}

/*
 * Frees everything of the current connection: its work requests flushed
 * (every I/O posted is completed or requeued), grants unregistered, QPs,
 * CQs, PD and CM ids destroyed. teardown_work only.
 */
static void krdma_conn_teardown(struct krdma_peer *peer)
{
	int i;

	cancel_delayed_work_sync(&peer->hb_work);
	krdma_wait_port_active(peer);
	krdma_cm_quiesce(peer->cm_id);
	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++)
		krdma_cm_quiesce(peer->dq[i].cm_id);
	/*
	 * Nothing is posted after DOWN: drained, every work request is done,
	 * a registration ready_work waits for too.
	 */
	if (peer->qp)
		ib_drain_qp(peer->qp);
	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++)
		if (peer->dq[i].qp)
			ib_drain_qp(peer->dq[i].qp);
	/* it waits on nothing that outlives DOWN and the drain */
	cancel_work_sync(&peer->ready_work);
	krdma_cancel_handlers(peer);
	krdma_grants_unregister(peer);
	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++)
		krdma_dq_destroy(&peer->dq[i]);
	krdma_destroy_queues(peer);
	if (peer->cm_id) {
		rdma_destroy_id(peer->cm_id);
		peer->cm_id = NULL;
	}
	WRITE_ONCE(peer->dev, NULL);
	WRITE_ONCE(peer->dev_gone, false);
	krdma_reset_slots(peer);
}

/* The peer is closed for good: it leaves the list and sysfs. */
static void krdma_peer_finish(struct krdma_peer *peer)
{
	krdma_io_fail_all(peer, -ENOTCONN);
	cancel_delayed_work_sync(&peer->io_timer);
	krdma_grants_void(peer);

	mutex_lock(&krdma.lock);
	list_del_init(&peer->list);
	mutex_unlock(&krdma.lock);
	kobject_del(&peer->kobj);

	spin_lock_irq(&peer->lock);
	peer->state = KRDMA_DEAD;
	spin_unlock_irq(&peer->lock);
	pr_info("peer %d (%s, %pISpc) closed\n", peer->id,
		peer->name[0] ? peer->name : "-", &peer->addr);
	complete_all(&peer->established);
	complete_all(&peer->dead);
	wake_up_all(&peer->slot_wait);
	kobject_put(&peer->kobj);	/* the list's reference */
}

/* Set by the storage layer: its grace period; read locklessly. */
static unsigned int krdma_grant_hold_ms;

void krdma_set_grant_hold_ms(unsigned int ms)
{
	WRITE_ONCE(krdma_grant_hold_ms, ms);
}
EXPORT_SYMBOL_GPL(krdma_set_grant_hold_ms);

/*
 * How long an accepting side waits for a lost peer to come back, ms: the
 * grace period when the peer holds grants of ours (the storage layer's
 * slabs), else as long as the remote keeps trying.
 */
static unsigned long krdma_passive_wait_ms(struct krdma_peer *peer)
{
	if (atomic64_read(&peer->usage.granted_slabs))
		return READ_ONCE(krdma_grant_hold_ms);
	return (unsigned long)reconnect_tries *
	       (reconnect_delay_ms * 3 / 2 + krdma_connect_timeout_ms);
}

/* The connecting thread has issued its rdma_resolve_addr(). */
static void krdma_started(struct krdma_peer *peer)
{
	spin_lock_irq(&peer->lock);
	peer->starting = false;
	spin_unlock_irq(&peer->lock);
	wake_up_all(&peer->slot_wait);
}

static void krdma_teardown_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(work, struct krdma_peer,
					       teardown_work);
	unsigned long delay;
	bool finish, gave_up;

	/* the id a connect is about to use stays until it used it */
	wait_event(peer->slot_wait, !READ_ONCE(peer->starting));
	cancel_delayed_work_sync(&peer->reconnect_work);
	krdma_conn_teardown(peer);

	spin_lock_irq(&peer->lock);
	gave_up = peer->active && peer->tries >= reconnect_tries;
	finish = peer->closing || !peer->was_live || READ_ONCE(krdma.stopping) ||
		 gave_up || (!peer->active && !reconnect_tries);
	if (finish) {
		peer->closing = true;
	} else {
		peer->state = KRDMA_RECONNECTING;
		if (peer->active)
			peer->tries++;
	}
	spin_unlock_irq(&peer->lock);

	if (finish) {
		if (gave_up && reconnect_tries)
			pr_warn("peer %d (%s): no connection after %u attempts: closing it\n",
				peer->id, peer->name, reconnect_tries);
		krdma_peer_finish(peer);
		return;
	}
	wake_up_all(&peer->slot_wait);
	if (peer->active) {
		delay = reconnect_delay_ms +
			get_random_u32() % (reconnect_delay_ms / 2 + 1);
		/* our port was down: wait as long as a timed-out attempt */
		if (peer->conn_error == -ENETDOWN)
			delay += krdma_connect_timeout_ms;
		pr_info("peer %d (%s): reconnecting in %lu ms (attempt %u of %u; last: %pe)\n",
			peer->id, peer->name, delay, peer->tries,
			reconnect_tries, ERR_PTR(peer->conn_error));
	} else {
		delay = krdma_passive_wait_ms(peer);
		pr_info("peer %d (%s): waiting up to %lu ms for it to reconnect\n",
			peer->id, peer->name, delay);
	}
	queue_delayed_work(krdma.wq, &peer->reconnect_work,
			   msecs_to_jiffies(delay));
}

/*
 * The current connection is lost (or connecting failed): I/O stops, calls
 * fail with -ENOTCONN, the teardown is queued; it reconnects unless the
 * peer is closing. Any context; idempotent. @why is what a connect
 * waiting on it returns.
 */
void krdma_conn_lost(struct krdma_peer *peer, int why)
{
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state != KRDMA_CONNECTING && peer->state != KRDMA_LIVE) {
		spin_unlock_irqrestore(&peer->lock, flags);
		return;
	}
	if (peer->state == KRDMA_LIVE)
		pr_info("peer %d (%s): connection lost: %pe\n", peer->id,
			peer->name, ERR_PTR(why));
	peer->conn_error = why;
	peer->state = KRDMA_DOWN;
	peer->io_ready = false;
	spin_unlock_irqrestore(&peer->lock, flags);

	krdma_dq_set_usable(peer, false);
	krdma_fail_slots(peer);
	wake_up_all(&peer->slot_wait);
	queue_work(krdma.wq, &peer->teardown_work);
}

/* Closes @peer for good: no reconnection; its grants become void. */
void krdma_peer_close(struct krdma_peer *peer, int why)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&peer->lock, flags);
	peer->closing = true;
	idle = peer->state == KRDMA_RECONNECTING;
	if (idle)
		peer->state = KRDMA_DOWN;
	spin_unlock_irqrestore(&peer->lock, flags);
	if (idle)
		queue_work(krdma.wq, &peer->teardown_work);
	else
		krdma_conn_lost(peer, why);
}

/* No connection, and none being torn down. */
bool krdma_conn_is_down(struct krdma_peer *peer)
{
	enum krdma_state state = READ_ONCE(peer->state);

	return state == KRDMA_RECONNECTING || state == KRDMA_DEAD;
}

/*
 * Active peers: starts the next connection, or ends one that is still
 * connecting after the deadline. Passive peers: the wait for the remote
 * to come back is over.
 */
static void krdma_reconnect(struct krdma_peer *peer)
{
	struct rdma_cm_id *id;
	bool start, close;
	int ret;

	spin_lock_irq(&peer->lock);
	start = peer->state == KRDMA_RECONNECTING;
	close = start && !peer->active;
	if (close) {
		peer->closing = true;
		peer->state = KRDMA_DOWN;
	}
	spin_unlock_irq(&peer->lock);
	if (close) {
		pr_warn("peer %d (%s): did not come back: closing it\n",
			peer->id, peer->name);
		queue_work(krdma.wq, &peer->teardown_work);
		return;
	}
	if (!start) {
		/* the deadline of an attempt of ours */
		if (peer->active && READ_ONCE(peer->state) == KRDMA_CONNECTING)
			krdma_conn_lost(peer, -ETIMEDOUT);
		return;
	}

	id = rdma_create_id(&init_net, krdma_cm_handler, peer, RDMA_PS_TCP,
			    IB_QPT_RC);
	spin_lock_irq(&peer->lock);
	start = peer->state == KRDMA_RECONNECTING && !IS_ERR(id);
	if (start) {
		peer->state = KRDMA_CONNECTING;
		peer->conn_error = 0;
		peer->cm_id = id;
		peer->starting = true;
	} else if (peer->state == KRDMA_RECONNECTING) {
		/* counts as a failed attempt */
		peer->state = KRDMA_DOWN;
		queue_work(krdma.wq, &peer->teardown_work);
	}
	spin_unlock_irq(&peer->lock);
	if (!start) {
		if (!IS_ERR(id))
			rdma_destroy_id(id);
		return;
	}
	/* the deadline of this attempt */
	queue_delayed_work(krdma.wq, &peer->reconnect_work,
			   msecs_to_jiffies(krdma_connect_timeout_ms));
	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)&peer->addr,
				krdma_connect_timeout_ms);
	krdma_started(peer);
	if (ret)
		krdma_conn_lost(peer, ret);
}

/*
 * Keeps the live connection's QPs from its teardown (the gate a connect
 * issuing its id uses) until krdma_conn_unpin(): false when the connection
 * is not live with I/O ready. For tests.
 */
bool krdma_conn_pin(struct krdma_peer *peer)
{
	bool pinned;

	spin_lock_irq(&peer->lock);
	pinned = peer->state == KRDMA_LIVE && peer->io_ready &&
		 !peer->starting;
	if (pinned)
		peer->starting = true;
	spin_unlock_irq(&peer->lock);
	return pinned;
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_conn_pin);

void krdma_conn_unpin(struct krdma_peer *peer)
{
	krdma_started(peer);
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_conn_unpin);

/*
 * A swap device's I/O waits for the connection to come back, and the
 * kernel's reclaim waits for that I/O: setting a connection up must not
 * wait on reclaim itself. Like reclaim (and sunrpc's reconnect of a swap
 * transport), it runs with PF_MEMALLOC: its allocations may use the
 * reserves and fail rather than wait.
 */
static void krdma_reconnect_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(to_delayed_work(work),
					       struct krdma_peer,
					       reconnect_work);
	unsigned int noreclaim = memalloc_noreclaim_save();

	krdma_reconnect(peer);
	memalloc_noreclaim_restore(noreclaim);
}

static void krdma_hb_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(to_delayed_work(work),
					       struct krdma_peer, hb_work);
	u64 t0 = ktime_get_ns();
	__le64 stamp = cpu_to_le64(t0), echo = 0;
	u32 len = 0;
	int ret, dq;

	ret = krdma_call(peer, KRDMA_OP_PING, &stamp, sizeof(stamp), &echo,
			 sizeof(echo), &len, heartbeat_ms);
	if (ret == -ENOTCONN)
		return;
	dq = krdma_dq_stalled(peer, msecs_to_jiffies(krdma_rpc_timeout_ms));
	if (dq >= 0) {
		pr_warn("peer %d (%s): data QP %d completed nothing in %u ms with work in flight: resetting the connection\n",
			peer->id, peer->name, dq, krdma_rpc_timeout_ms);
		atomic64_inc(&peer->io_stalls);
		krdma_conn_lost(peer, -ETIMEDOUT);
		return;
	}
	if (!ret && len == sizeof(echo) && echo == stamp) {
		peer->hb_missed = 0;
		WRITE_ONCE(peer->rtt_us, div_u64(ktime_get_ns() - t0, 1000));
	} else if (++peer->hb_missed >= heartbeat_missed) {
		pr_warn("peer %d (%s): %u heartbeats missed, peer lost\n",
			peer->id, peer->name, peer->hb_missed);
		krdma_conn_lost(peer, -ETIMEDOUT);
		return;
	}
	queue_delayed_work(krdma.wq, &peer->hb_work,
			   msecs_to_jiffies(heartbeat_ms));
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
		again = peer->was_live;
		peer->was_live = true;
		peer->hb_missed = 0;
		live = true;
		/* while LIVE: the teardown, after DOWN, cancels them */
		queue_work(krdma.wq, &peer->ready_work);
		queue_delayed_work(krdma.wq, &peer->hb_work,
				   msecs_to_jiffies(heartbeat_ms));
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (!live)
		return;
	if (again)
		atomic64_inc(&peer->reconnects);
	pr_info("peer %d: %s (%pUb) at %pISpc is live, %s, %d credits\n",
		peer->id, peer->name, &peer->uuid, &peer->addr,
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
				krdma_connect_timeout_ms);
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
	bool new_identity;
	int i, ret;

	spin_lock_irq(&peer->lock);
	new_identity = peer->new_identity;
	peer->new_identity = false;
	spin_unlock_irq(&peer->lock);
	if (new_identity)
		krdma_grants_void(peer);

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
				msecs_to_jiffies(krdma_connect_timeout_ms))) {
		pr_warn("peer %d (%s): data connections not up in time\n",
			peer->id, peer->name);
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
	pr_info("peer %d (%s): RDMA ready, %d data QPs\n", peer->id,
		peer->name, peer->nr_dq);
	return;

lost:
	pr_warn("peer %d (%s): cannot set up RDMA: %pe\n", peer->id,
		peer->name, ERR_PTR(ret));
	krdma_conn_lost(peer, ret);
}

/* PF_MEMALLOC: see krdma_reconnect_work() */
static void krdma_ready_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(work, struct krdma_peer,
					       ready_work);
	unsigned int noreclaim = memalloc_noreclaim_save();

	krdma_ready(peer);
	memalloc_noreclaim_restore(noreclaim);
}

static bool krdma_match_session(const struct krdma_peer *p, const void *arg)
{
	const struct krdma_cm_hello *h = arg;

	return !p->active && p->session == le64_to_cpu(h->session) &&
	       !memcmp(&p->uuid, h->uuid, sizeof(h->uuid)) &&
	       !READ_ONCE(p->closing) && READ_ONCE(p->state) != KRDMA_DEAD;
}

/*
 * Relationships a restarted node had opened to us, and those a node gave
 * up (a new session from the same incarnation while the old one waits for
 * a reconnection: a connecting side reconnects under its session, so it
 * closed that one for good). Those we opened find a new incarnation
 * themselves when they reconnect.
 */
static bool krdma_match_stale(const struct krdma_peer *p, const void *arg)
{
	const struct krdma_cm_hello *h = arg;

	if (p->active || memcmp(&p->uuid, h->uuid, sizeof(h->uuid)) ||
	    !READ_ONCE(p->was_live) || READ_ONCE(p->closing))
		return false;
	if (p->incarnation != le64_to_cpu(h->incarnation))
		return true;
	return p->session != le64_to_cpu(h->session) &&
	       READ_ONCE(p->state) != KRDMA_LIVE;
}

/*
 * A relationship with a later incarnation of the node of @arg (a hello)
 * than the hello's: the hello replays an old incarnation. Incarnations are
 * load times: a node's next one is later.
 */
static bool krdma_match_newer(const struct krdma_peer *p, const void *arg)
{
	const struct krdma_cm_hello *h = arg;

	return !memcmp(&p->uuid, h->uuid, sizeof(h->uuid)) &&
	       READ_ONCE(p->was_live) && !READ_ONCE(p->closing) &&
	       READ_ONCE(p->state) != KRDMA_DEAD &&
	       p->incarnation > le64_to_cpu(h->incarnation);
}

/* A new incarnation of a node voids the relationships with the old one. */
static void krdma_close_stale(const struct krdma_cm_hello *h)
{
	struct krdma_peer *p;

	while ((p = krdma_peer_find(krdma_match_stale, h))) {
		pr_info("peer %d (%s): the node restarted or gave it up: closing the old relationship\n",
			p->id, p->name);
		krdma_peer_close(p, -ESTALE);
		krdma_peer_put(p);
	}
}

/*
 * A data connection of a peer whose control connection is up. Returns
 * non-zero to have @id destroyed.
 */
static int krdma_accept_data(struct rdma_cm_id *id, struct rdma_cm_event *ev,
			     const struct krdma_cm_hello *h)
{
	struct krdma_cm_hello mine;
	struct rdma_conn_param param;
	struct krdma_peer *peer;
	struct krdma_dataq *dq = NULL;
	int ret;

	peer = krdma_peer_find(krdma_match_session, h);
	if (!peer) {
		pr_warn("%pISpc: data connection of no known peer\n",
			&id->route.addr.dst_addr);
		return -ENOENT;
	}
	spin_lock_irq(&peer->lock);
	if ((peer->state == KRDMA_CONNECTING || peer->state == KRDMA_LIVE) &&
	    h->index < peer->nr_dq && !peer->dq[h->index].cm_id &&
	    id->device == peer->dev) {
		dq = &peer->dq[h->index];
		dq->cm_id = id;
	}
	spin_unlock_irq(&peer->lock);
	if (!dq) {
		pr_warn("peer %d: unexpected data connection %u\n", peer->id,
			h->index);
		krdma_peer_put(peer);
		return -EINVAL;
	}
	/* the id is the peer's now: the teardown destroys it */
	id->context = peer;
	ret = krdma_dq_create(dq, id);
	if (!ret) {
		krdma_conn_param(&param, &mine, peer, id->device, ev,
				 KRDMA_CONN_DATA, dq->index);
		ret = rdma_accept(id, &param);
	}
	if (ret) {
		pr_warn("peer %d: data connection %d failed: %pe\n", peer->id,
			dq->index, ERR_PTR(ret));
		krdma_conn_lost(peer, ret);
	}
	krdma_peer_put(peer);
	return 0;
}

/*
 * The remote of a relationship we know connects again. Returns non-zero
 * to have @id destroyed.
 */
static int krdma_accept_again(struct krdma_peer *peer, struct rdma_cm_id *id,
			      struct rdma_cm_event *ev)
{
	struct krdma_cm_hello mine;
	struct rdma_conn_param param;
	bool busy;
	int ret;

	spin_lock_irq(&peer->lock);
	busy = peer->state != KRDMA_RECONNECTING;
	if (!busy) {
		peer->state = KRDMA_CONNECTING;
		peer->conn_error = 0;
		peer->cm_id = id;
	}
	spin_unlock_irq(&peer->lock);
	if (busy) {
		/* our end of the old connection has not noticed yet */
		krdma_conn_lost(peer, -ECONNRESET);
		return -EBUSY;
	}
	cancel_delayed_work(&peer->reconnect_work);
	id->context = peer;
	ret = krdma_take_cm_hello(peer, ev->param.conn.private_data,
				  ev->param.conn.private_data_len);
	if (!ret)
		ret = krdma_create_queues(peer);
	if (!ret) {
		krdma_conn_param(&param, &mine, peer, id->device, ev,
				 KRDMA_CONN_CTRL, 0);
		ret = rdma_accept(id, &param);
	}
	if (ret) {
		pr_warn("peer %d: reconnection failed: %pe\n", peer->id,
			ERR_PTR(ret));
		krdma_conn_lost(peer, ret);
	}
	return 0;
}

/* CONNECT_REQUEST on a listener: returns non-zero to have @id destroyed. */
static int krdma_accept_req(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct sockaddr_storage *src = &id->route.addr.dst_addr;
	const struct krdma_cm_hello *h;
	struct krdma_cm_hello mine;
	struct rdma_conn_param param;
	struct krdma_peer *peer;
	int ret;

	krdma_fill_cm_hello(&mine, NULL, false, KRDMA_CONN_CTRL, 0);
	h = krdma_check_cm_hello(src, ev->param.conn.private_data,
				 ev->param.conn.private_data_len);
	if (IS_ERR(h)) {
		ret = PTR_ERR(h);
		goto err_reject;
	}
	peer = krdma_peer_find(krdma_match_newer, h);
	if (peer) {
		pr_warn("%pISpc: refused a connection of an old incarnation of %s (%llu; peer %d has %llu): a replay\n",
			src, peer->name, le64_to_cpu(h->incarnation), peer->id,
			peer->incarnation);
		krdma_peer_put(peer);
		ret = -ESTALE;
		goto err_reject;
	}
	if (h->kind == KRDMA_CONN_DATA) {
		ret = krdma_accept_data(id, ev, h);
		if (ret)
			goto err_reject;
		return 0;
	}
	peer = krdma_peer_find(krdma_match_session, h);
	if (peer) {
		ret = krdma_accept_again(peer, id, ev);
		krdma_peer_put(peer);
		if (ret)
			goto err_reject;
		return 0;
	}
	krdma_close_stale(h);

	peer = krdma_peer_alloc((struct sockaddr *)src, false);
	if (!peer) {
		ret = -ENOMEM;
		goto err_reject;
	}
	ret = krdma_take_cm_hello(peer, ev->param.conn.private_data,
				  ev->param.conn.private_data_len);
	if (ret)
		goto err_put;
	if (krdma_is_self(peer) && !krdma_loopback) {
		pr_warn("%pISpc: refusing a connection from this node itself (loopback=0)\n",
			&peer->addr);
		ret = -EINVAL;
		goto err_put;
	}
	peer->cm_id = id;
	ret = krdma_create_queues(peer);
	if (ret)
		goto err_put;
	ret = krdma_peer_publish(peer);
	if (ret)
		goto err_queues;
	id->context = peer;
	krdma_conn_param(&param, &mine, peer, id->device, ev,
			 KRDMA_CONN_CTRL, 0);
	ret = rdma_accept(id, &param);
	if (ret) {
		pr_warn("%pISpc: accept failed: %pe\n", &peer->addr, ERR_PTR(ret));
		/* listed: the teardown destroys the id */
		krdma_conn_lost(peer, ret);
	}
	return 0;

err_queues:
	krdma_destroy_queues(peer);
err_put:
	peer->cm_id = NULL;
	kobject_put(&peer->kobj);
err_reject:
	rdma_reject(id, &mine, sizeof(mine), IB_CM_REJ_CONSUMER_DEFINED);
	return ret;
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
	struct krdma_cm_hello mine;
	struct rdma_conn_param param;
	int ret = 0;

	if (!dq)
		return;
	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = krdma_port_up(id) ?
		      rdma_resolve_route(id, krdma_connect_timeout_ms) :
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
		pr_warn("peer %d: data connection %d: %s: %pe\n", peer->id,
			dq->index, rdma_event_msg(ev->event), ERR_PTR(ret));
		krdma_conn_lost(peer, ret);
	}
}

static int krdma_cm_event(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct krdma_peer *peer = id->context;
	struct krdma_cm_hello mine;
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
		      rdma_resolve_route(id, krdma_connect_timeout_ms) :
		      -ENETDOWN;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		ret = krdma_create_queues(peer);
		if (ret)
			break;
		krdma_conn_param(&param, &mine, peer, id->device, NULL,
				 KRDMA_CONN_CTRL, peer->nr_dq);
		ret = rdma_connect_locked(id, &param);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		if (peer->active)
			ret = krdma_take_cm_hello(peer, ev->param.conn.private_data,
						  ev->param.conn.private_data_len);
		if (!ret)
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

/* PF_MEMALLOC: see krdma_reconnect_work() */
static int krdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	unsigned int noreclaim = memalloc_noreclaim_save();
	int ret = krdma_cm_event(id, ev);

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

static int krdma_connect_addr(struct sockaddr_storage *ss)
{
	unsigned long t0 = jiffies;
	struct krdma_peer *peer;
	struct rdma_cm_id *id;
	int ret;

	if (!krdma_loopback && krdma_addr_is_local(ss)) {
		pr_warn("connect %pISpc: refusing to connect to this node's own address (loopback=0)\n",
			ss);
		return -EINVAL;
	}
	peer = krdma_peer_alloc((struct sockaddr *)ss, true);
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
				krdma_connect_timeout_ms);
	krdma_started(peer);
	if (ret)
		krdma_peer_close(peer, ret);
	wait_for_completion_timeout(&peer->established,
				    msecs_to_jiffies(krdma_connect_timeout_ms));
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
 * Parses "<ip> <port>" (IPv4 or IPv6, a trailing newline allowed). Every
 * refusal is logged.
 */
static int krdma_parse_addr(const char *buf, size_t len,
			    struct sockaddr_storage *ss)
{
	char tmp[128], *ip, *p;
	unsigned int pnum;

	if (len == 0 || len >= sizeof(tmp) || strnlen(buf, len) != len) {
		pr_warn("connect: expected \"<ip> <port>\" (%zu bytes given)\n",
			len);
		return -EINVAL;
	}
	memcpy(tmp, buf, len);
	tmp[len] = '\0';
	ip = strim(tmp);
	p = strchr(ip, ' ');
	if (!p) {
		pr_warn("connect: expected \"<ip> <port>\", got \"%s\"\n", ip);
		return -EINVAL;
	}
	*p++ = '\0';
	p = skip_spaces(p);
	if (kstrtouint(p, 10, &pnum) || pnum == 0 || pnum > 65535) {
		pr_warn("connect: port \"%s\" is not 1-65535\n", p);
		return -EINVAL;
	}
	if (inet_pton_with_scope(&init_net, AF_UNSPEC, ip, p, ss)) {
		pr_warn("connect: \"%s\" is not an IPv4 or IPv6 address\n", ip);
		return -EINVAL;
	}
	if (ss->ss_family == AF_INET) {
		__be32 a = ((struct sockaddr_in *)ss)->sin_addr.s_addr;

		if (ipv4_is_zeronet(a) || ipv4_is_multicast(a) ||
		    ipv4_is_lbcast(a))
			goto err_unicast;
	} else {
		const struct in6_addr *a = &((struct sockaddr_in6 *)ss)->sin6_addr;

		if (ipv6_addr_any(a) || ipv6_addr_is_multicast(a))
			goto err_unicast;
	}
	return 0;

err_unicast:
	pr_warn("connect: %s is not a unicast address\n", ip);
	return -EINVAL;
}

int krdma_connect_str(const char *buf, size_t len)
{
	struct sockaddr_storage ss;
	int ret;

	ret = krdma_parse_addr(buf, len, &ss);
	if (ret)
		return ret;
	return krdma_connect_addr(&ss);
}

/* The first listed peer @match accepts, with a reference; or NULL. */
struct krdma_peer *
krdma_peer_find(bool (*match)(const struct krdma_peer *p, const void *arg),
		const void *arg)
{
	struct krdma_peer *p, *found = NULL;

	mutex_lock(&krdma.lock);
	list_for_each_entry(p, &krdma.peers, list) {
		if (match(p, arg)) {
			found = p;
			kobject_get(&found->kobj);
			break;
		}
	}
	mutex_unlock(&krdma.lock);
	return found;
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_peer_find);

/* What disconnect names: "<ip> <port>" or a node name. */
struct krdma_target {
	bool			by_addr;
	struct sockaddr_storage	addr;
	char			name[KRDMA_NAME_LEN];
};

static int krdma_parse_target(const char *buf, size_t len,
			      struct krdma_target *t)
{
	t->by_addr = memchr(buf, ' ', len) && len < 128;
	if (t->by_addr)
		return krdma_parse_addr(buf, len, &t->addr);
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

static bool krdma_match_dev(const struct krdma_peer *p, const void *dev)
{
	return !dev || READ_ONCE(p->dev) == dev;
}

/*
 * @dev: the connections on @dev are lost (they reconnect once a device is
 * there again); waits until each is torn down. NULL: closes every peer
 * for good and waits until each is dead.
 */
static void krdma_close_all(struct ib_device *dev)
{
	struct krdma_peer *p;

	while ((p = krdma_peer_find(krdma_match_dev, dev))) {
		if (dev) {
			WRITE_ONCE(p->dev_gone, true);
			krdma_conn_lost(p, -ENODEV);
			wait_event(p->slot_wait, krdma_conn_is_down(p) ||
				   READ_ONCE(p->dev) != dev);
		} else {
			krdma_peer_close(p, -ESHUTDOWN);
			wait_for_completion(&p->dead);
		}
		kobject_put(&p->kobj);
	}
}

static int krdma_add_one(struct ib_device *dev)
{
	return 0;
}

static void krdma_remove_one(struct ib_device *dev, void *client_data)
{
	pr_info("RDMA device %s removed: closing its connections\n",
		dev_name(&dev->dev));
	krdma_close_all(dev);
}

static struct ib_client krdma_ib_client = {
	.name	= "rackswap_krdma",
	.add	= krdma_add_one,
	.remove	= krdma_remove_one,
};

static int krdma_listen_on(struct rdma_cm_id **idp, int family)
{
	struct sockaddr_storage ss = {};
	struct rdma_cm_id *id;
	int ret;

	id = rdma_create_id(&init_net, krdma_cm_handler, NULL, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		ret = rdma_set_afonly(id, 1);
		if (ret)
			goto err;
	}
	ret = rdma_bind_addr(id, (struct sockaddr *)&ss);
	if (ret)
		goto err;
	ret = rdma_listen(id, 128);
	if (ret)
		goto err;
	*idp = id;
	return 0;
err:
	rdma_destroy_id(id);
	return ret;
}

static int krdma_check_params(void)
{
	if (port < 1 || port > 65535 ||
	    heartbeat_ms < 100 || heartbeat_ms > 10000 ||
	    heartbeat_missed < 1 || heartbeat_missed > 10 ||
	    krdma_rpc_timeout_ms <= heartbeat_ms ||
	    krdma_rpc_timeout_ms > 30000 ||
	    krdma_connect_timeout_ms < 100 || krdma_connect_timeout_ms > 30000 ||
	    reconnect_delay_ms < 10 || reconnect_delay_ms > 60000 ||
	    reconnect_tries > 1000 || data_qps > KRDMA_MAX_DATA_QPS ||
	    krdma_queue_depth < 16 || krdma_queue_depth > 1024 ||
	    krdma_ack_timeout < 8 || krdma_ack_timeout > 20) {
		pr_err("invalid parameters: need port 1-65535, heartbeat_ms 100-10000 < rpc_timeout_ms <= 30000, heartbeat_missed 1-10, connect_timeout_ms 100-30000, reconnect_delay_ms 10-60000, reconnect_tries 0-1000, data_qps 0-16, queue_depth 16-1024, ack_timeout 8-20\n");
		return -EINVAL;
	}
	return 0;
}

/*
 * Every entry of peers= must be "<ip> <port>": a bad one fails the load
 * (krdma_parse_addr() logs what is wrong), a failed connect does not.
 */
static int krdma_check_peers(void)
{
	struct sockaddr_storage ss;
	char *list, *cur, *tok;
	int ret = 0;

	if (!peers || !*peers)
		return 0;
	list = kstrdup(peers, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while (!ret && (tok = strsep(&cur, ",")))
		if (*tok)
			ret = krdma_parse_addr(tok, strlen(tok), &ss);
	kfree(list);
	if (ret)
		pr_err("peers: '%s' is not \"<ip> <port>[,<ip> <port>...]\"\n",
		       peers);
	return ret;
}

static void krdma_stop_listening(void)
{
	struct rdma_cm_id *id4, *id6;

	mutex_lock(&krdma.lock);
	id4 = krdma.listen4;
	id6 = krdma.listen6;
	krdma.listen4 = NULL;
	krdma.listen6 = NULL;
	mutex_unlock(&krdma.lock);
	/*
	 * Not under krdma.lock: rdma_destroy_id() waits for a running
	 * CONNECT_REQUEST handler, which takes krdma.lock to list its peer.
	 */
	if (id6)
		rdma_destroy_id(id6);
	if (id4)
		rdma_destroy_id(id4);
}

int krdma_init(void)
{
	int ret;

	krdma_proto_check();
	ret = krdma_check_params();
	if (!ret)
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
	if (listen) {
		ret = krdma_listen_on(&krdma.listen4, AF_INET);
		if (ret) {
			pr_err("cannot listen on port %u: %pe\n", port,
			       ERR_PTR(ret));
			goto err_debugfs;
		}
		/* IPv6 is optional: the kernel may have it disabled */
		if (krdma_listen_on(&krdma.listen6, AF_INET6))
			krdma.listen6 = NULL;
		pr_info("listening on port %u\n", port);
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
	ib_unregister_client(&krdma_ib_client);
	destroy_workqueue(krdma.wq);
	ida_destroy(&krdma.ids);
}

static bool krdma_match_id(const struct krdma_peer *p, const void *id)
{
	return p->id == *(const int *)id;
}

/* The peer with id @id, with a reference; NULL when there is none. */
struct krdma_peer *krdma_peer_get(int id)
{
	return krdma_peer_find(krdma_match_id, &id);
}
EXPORT_SYMBOL_GPL(krdma_peer_get);

void krdma_peer_put(struct krdma_peer *peer)
{
	kobject_put(&peer->kobj);
}
EXPORT_SYMBOL_GPL(krdma_peer_put);

int krdma_peer_id(const struct krdma_peer *peer)
{
	return peer->id;
}
EXPORT_SYMBOL_GPL(krdma_peer_id);

/* The remote's node name: stable once the peer was live. */
const char *krdma_peer_name(const struct krdma_peer *peer)
{
	return peer->name;
}
EXPORT_SYMBOL_GPL(krdma_peer_name);

int krdma_peers_ready(struct krdma_peer **peers, int max)
{
	struct krdma_peer *p;
	int n = 0;

	mutex_lock(&krdma.lock);
	list_for_each_entry(p, &krdma.peers, list) {
		if (n == max)
			break;
		if (!READ_ONCE(p->io_ready))
			continue;
		kobject_get(&p->kobj);
		peers[n++] = p;
	}
	mutex_unlock(&krdma.lock);
	return n;
}
EXPORT_SYMBOL_GPL(krdma_peers_ready);

int krdma_peers_returning(void)
{
	struct krdma_peer *p;
	int n = 0;

	mutex_lock(&krdma.lock);
	list_for_each_entry(p, &krdma.peers, list)
		if (!READ_ONCE(p->io_ready) && !READ_ONCE(p->closing) &&
		    READ_ONCE(p->state) != KRDMA_DEAD)
			n++;
	mutex_unlock(&krdma.lock);
	return n;
}
EXPORT_SYMBOL_GPL(krdma_peers_returning);

bool krdma_peer_is_ready(const struct krdma_peer *peer)
{
	return READ_ONCE(peer->io_ready);
}
EXPORT_SYMBOL_GPL(krdma_peer_is_ready);

bool krdma_peer_same_node(const struct krdma_peer *a,
			  const struct krdma_peer *b)
{
	return a == b || uuid_equal(&a->uuid, &b->uuid);
}
EXPORT_SYMBOL_GPL(krdma_peer_same_node);

bool krdma_peer_is_dead(const struct krdma_peer *peer)
{
	return READ_ONCE(peer->state) == KRDMA_DEAD;
}
EXPORT_SYMBOL_GPL(krdma_peer_is_dead);

struct krdma_peer_usage *krdma_peer_usage(struct krdma_peer *peer)
{
	return &peer->usage;
}
EXPORT_SYMBOL_GPL(krdma_peer_usage);
