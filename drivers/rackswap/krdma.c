// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: connections between nodes over rdma_cm (RC QPs): listening,
 * connecting, the handshake, heartbeats and teardown. Messages and RPC are
 * in krdma-rpc.c.
 *
 * A peer is one connection. Its state moves CONNECTING -> LIVE -> CLOSING
 * -> DEAD and never back; krdma_peer_close() is the only way to CLOSING and
 * queues teardown_work, the only place that frees the connection's
 * resources. The CM event handler and the completion handlers only read
 * the state and call krdma_peer_close().
 */
#include <linux/inet.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/addrconf.h>
#include <net/route.h>
#include <rdma/ib_cm.h>

#include "rackswap.h"
#include "krdma-priv.h"

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

static unsigned int connect_timeout_ms = 10000;
module_param(connect_timeout_ms, uint, 0444);
MODULE_PARM_DESC(connect_timeout_ms, "Deadline of a connect, ms (100-30000, default 10000)");

unsigned int krdma_rpc_timeout_ms = 10000;
module_param_named(rpc_timeout_ms, krdma_rpc_timeout_ms, uint, 0444);
MODULE_PARM_DESC(rpc_timeout_ms, "Default deadline of an RPC, ms (up to 30000, default 10000)");

static unsigned int ack_timeout = 16;
module_param(ack_timeout, uint, 0444);
MODULE_PARM_DESC(ack_timeout, "QP ack timeout exponent: 4.096 us << n, 7 retries (8-20, default 16: a dead peer's QP errors in about 2 s)");

struct krdma krdma = {
	.lock	= __MUTEX_INITIALIZER(krdma.lock),
	.peers	= LIST_HEAD_INIT(krdma.peers),
	.ids	= IDA_INIT(krdma.ids),
};

u16 krdma_test_major;	/* debugfs test knob: advertise another version */

static void krdma_connect_peers_work(struct work_struct *work);
static DECLARE_WORK(peers_work, krdma_connect_peers_work);
static void krdma_hb_work(struct work_struct *work);
static void krdma_teardown_work(struct work_struct *work);

const char *krdma_state_name(enum krdma_state state)
{
	static const char * const names[] = {
		[KRDMA_CONNECTING]	= "connecting",
		[KRDMA_LIVE]		= "live",
		[KRDMA_CLOSING]		= "closing",
		[KRDMA_DEAD]		= "dead",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

/* Our hello; @request: a connect request, the one the test knob alters. */
static void krdma_fill_cm_hello(struct krdma_cm_hello *h, bool request)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(KRDMA_MAGIC);
	h->major = cpu_to_le16(request && krdma_test_major ? krdma_test_major :
			       KRDMA_PROTO_MAJOR);
	h->minor = cpu_to_le16(KRDMA_PROTO_MINOR);
	h->caps = cpu_to_le32(KRDMA_CAPS);
	h->credits = cpu_to_le16(KRDMA_MAX_CREDITS);
	memcpy(h->uuid, &rs_self.uuid, sizeof(h->uuid));
	h->incarnation = cpu_to_le64(rs_self.incarnation);
}

/* Checks the remote's hello and takes its identity and credits. */
static int krdma_take_cm_hello(struct krdma_peer *peer, const void *data, u8 len)
{
	const struct krdma_cm_hello *h = data;
	u16 major, minor, credits;

	if (!data || len < sizeof(*h) || le32_to_cpu(h->magic) != KRDMA_MAGIC) {
		pr_warn("%pISpc: not a krdma peer (no handshake)\n", &peer->addr);
		return -EPROTO;
	}
	major = le16_to_cpu(h->major);
	minor = le16_to_cpu(h->minor);
	if (major != KRDMA_PROTO_MAJOR) {
		pr_warn("%pISpc: protocol version %u.%u refused: this node speaks %u.%u\n",
			&peer->addr, major, minor, KRDMA_PROTO_MAJOR,
			KRDMA_PROTO_MINOR);
		return -EPROTONOSUPPORT;
	}
	credits = le16_to_cpu(h->credits);
	if (!credits) {
		pr_warn("%pISpc: peer grants no credits\n", &peer->addr);
		return -EPROTO;
	}
	peer->credits = min_t(int, credits, KRDMA_MAX_CREDITS);
	memcpy(&peer->uuid, h->uuid, sizeof(peer->uuid));
	peer->incarnation = le64_to_cpu(h->incarnation);
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

	peer = kzalloc(sizeof(*peer), GFP_KERNEL);
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
	atomic64_set(&peer->rpcs_out, 0);
	atomic64_set(&peer->rpcs_in, 0);
	atomic64_set(&peer->bytes_out, 0);
	atomic64_set(&peer->bytes_in, 0);
	atomic64_set(&peer->rpc_errors, 0);
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

static void krdma_qp_event(struct ib_event *ev, void *context)
{
	struct krdma_peer *peer = context;

	switch (ev->event) {
	case IB_EVENT_QP_FATAL:
	case IB_EVENT_QP_REQ_ERR:
	case IB_EVENT_QP_ACCESS_ERR:
		pr_warn("peer %d: QP error: %s\n", peer->id,
			ib_event_msg(ev->event));
		krdma_peer_close(peer, -EIO);
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
	/* +1 each for ib_drain_qp() */
	int nsend = ARRAY_SIZE(peer->send) + 1;
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
	ret = rdma_set_ack_timeout(peer->cm_id, ack_timeout);
	if (ret)
		goto err;
	return 0;

err:
	pr_warn("%pISpc: cannot set up the connection's queues: %pe\n",
		&peer->addr, ERR_PTR(ret));
	krdma_destroy_queues(peer);
	return ret;
}

static void krdma_conn_param(struct rdma_conn_param *param,
			     struct krdma_cm_hello *hello, bool request)
{
	memset(param, 0, sizeof(*param));
	krdma_fill_cm_hello(hello, request);
	param->private_data = hello;
	param->private_data_len = sizeof(*hello);
	param->retry_count = 7;
	/* receive buffers are always posted: a receiver-not-ready is a bug */
	param->rnr_retry_count = 0;
}

static void krdma_teardown_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(work, struct krdma_peer,
					       teardown_work);

	cancel_delayed_work_sync(&peer->hb_work);
	if (peer->cm_id) {
		/* handlers that started before CLOSING have finished */
		rdma_lock_handler(peer->cm_id);
		rdma_unlock_handler(peer->cm_id);
		rdma_disconnect(peer->cm_id);
	}
	if (peer->qp)
		ib_drain_qp(peer->qp);
	krdma_cancel_handlers(peer);
	krdma_destroy_queues(peer);
	if (peer->cm_id) {
		rdma_destroy_id(peer->cm_id);
		peer->cm_id = NULL;
	}

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
	kobject_put(&peer->kobj);	/* the list's reference */
}

/*
 * Starts closing a peer: fails its calls with -ENOTCONN and queues its
 * teardown. Any context; idempotent. @why is what a connect waiting on it
 * returns.
 */
void krdma_peer_close(struct krdma_peer *peer, int why)
{
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state >= KRDMA_CLOSING) {
		spin_unlock_irqrestore(&peer->lock, flags);
		return;
	}
	if (peer->state == KRDMA_CONNECTING)
		peer->conn_error = why;
	else
		pr_info("peer %d (%s): connection lost: %pe\n", peer->id,
			peer->name, ERR_PTR(why));
	peer->state = KRDMA_CLOSING;
	spin_unlock_irqrestore(&peer->lock, flags);

	krdma_fail_slots(peer);
	wake_up_all(&peer->slot_wait);
	queue_work(krdma.wq, &peer->teardown_work);
}

static void krdma_hb_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(to_delayed_work(work),
					       struct krdma_peer, hb_work);
	u64 t0 = ktime_get_ns();
	__le64 stamp = cpu_to_le64(t0), echo = 0;
	u32 len = 0;
	int ret;

	ret = krdma_call(peer, KRDMA_OP_PING, &stamp, sizeof(stamp), &echo,
			 sizeof(echo), &len, heartbeat_ms);
	if (ret == -ENOTCONN)
		return;
	if (!ret && len == sizeof(echo) && echo == stamp) {
		peer->hb_missed = 0;
		WRITE_ONCE(peer->rtt_us, div_u64(ktime_get_ns() - t0, 1000));
	} else if (++peer->hb_missed >= heartbeat_missed) {
		pr_warn("peer %d (%s): %u heartbeats missed, peer lost\n",
			peer->id, peer->name, peer->hb_missed);
		krdma_peer_close(peer, -ETIMEDOUT);
		return;
	}
	queue_delayed_work(krdma.wq, &peer->hb_work,
			   msecs_to_jiffies(heartbeat_ms));
}

/* LIVE once our hello went out and theirs came in. Any context. */
void krdma_set_live_if_ready(struct krdma_peer *peer)
{
	unsigned long flags;
	bool live = false;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state == KRDMA_CONNECTING && peer->hello_sent &&
	    peer->hello_rcvd) {
		peer->state = KRDMA_LIVE;
		live = true;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (!live)
		return;
	pr_info("peer %d: %s (%pUb) at %pISpc is live, %s, %d credits\n",
		peer->id, peer->name, &peer->uuid, &peer->addr,
		peer->active ? "connected" : "accepted", peer->credits);
	complete_all(&peer->established);
	wake_up_all(&peer->slot_wait);
	queue_delayed_work(krdma.wq, &peer->hb_work,
			   msecs_to_jiffies(heartbeat_ms));
}

/* CONNECT_REQUEST on a listener: returns non-zero to have @id destroyed. */
static int krdma_accept_req(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct krdma_cm_hello mine;
	struct rdma_conn_param param;
	struct krdma_peer *peer;
	int ret;

	krdma_fill_cm_hello(&mine, false);
	peer = krdma_peer_alloc((struct sockaddr *)&id->route.addr.dst_addr,
				false);
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
	krdma_conn_param(&param, &mine, false);
	ret = rdma_accept(id, &param);
	if (ret) {
		pr_warn("%pISpc: accept failed: %pe\n", &peer->addr, ERR_PTR(ret));
		/* listed: the teardown destroys the id */
		krdma_peer_close(peer, ret);
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

	u16 ours = krdma_test_major ? krdma_test_major : KRDMA_PROTO_MAJOR;

	h = rdma_consumer_reject_data(id, ev, &len);
	if (h && len >= sizeof(*h) && le32_to_cpu(h->magic) == KRDMA_MAGIC &&
	    le16_to_cpu(h->major) != ours) {
		pr_warn("%pISpc refused the connection: it speaks protocol %u.%u, this node %u.%u\n",
			&peer->addr, le16_to_cpu(h->major),
			le16_to_cpu(h->minor), ours, KRDMA_PROTO_MINOR);
		krdma_peer_close(peer, -EPROTONOSUPPORT);
		return;
	}
	pr_warn("%pISpc refused the connection: %s\n", &peer->addr,
		rdma_reject_msg(id, ev->status));
	krdma_peer_close(peer, -ECONNREFUSED);
}

static int krdma_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct krdma_peer *peer = id->context;
	struct krdma_cm_hello mine;
	struct rdma_conn_param param;
	int ret = 0;

	if (!peer)	/* a listener's */
		return ev->event == RDMA_CM_EVENT_CONNECT_REQUEST ?
		       krdma_accept_req(id, ev) : 0;
	if (READ_ONCE(peer->state) >= KRDMA_CLOSING)
		return 0;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = rdma_resolve_route(id, connect_timeout_ms);
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		ret = krdma_create_queues(peer);
		if (ret)
			break;
		krdma_conn_param(&param, &mine, true);
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
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
		ret = ev->status < 0 ? ev->status : -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		ret = -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		ret = -ENOTCONN;
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* the ib_client remove callback waits for the teardown */
		ret = -ENODEV;
		break;
	default:
		break;
	}
	if (ret)
		krdma_peer_close(peer, ret);
	return 0;
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
	ret = krdma_peer_publish(peer);
	if (ret) {
		rdma_destroy_id(id);
		peer->cm_id = NULL;
		kobject_put(&peer->kobj);
		return ret;
	}
	kobject_get(&peer->kobj);	/* ours, while we wait */
	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)ss,
				connect_timeout_ms);
	if (ret)
		krdma_peer_close(peer, ret);
	wait_for_completion_timeout(&peer->established,
				    msecs_to_jiffies(connect_timeout_ms));
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
static struct krdma_peer *
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

	if (READ_ONCE(p->state) >= KRDMA_CLOSING)
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

	list = kstrdup(peers, GFP_KERNEL);
	if (!list)
		return;
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

/* Closes the peers matching @dev (NULL: all) and waits for their teardown. */
static void krdma_close_all(struct ib_device *dev)
{
	struct krdma_peer *p;

	while ((p = krdma_peer_find(krdma_match_dev, dev))) {
		krdma_peer_close(p, dev ? -ENODEV : -ESHUTDOWN);
		wait_for_completion(&p->dead);
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
	    connect_timeout_ms < 100 || connect_timeout_ms > 30000 ||
	    ack_timeout < 8 || ack_timeout > 20) {
		pr_err("invalid parameters: need port 1-65535, heartbeat_ms 100-10000 < rpc_timeout_ms <= 30000, heartbeat_missed 1-10, connect_timeout_ms 100-30000, ack_timeout 8-20\n");
		return -EINVAL;
	}
	return 0;
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
	if (ret)
		return ret;
	krdma.wq = alloc_workqueue("krdma", WQ_MEM_RECLAIM, 0);
	if (!krdma.wq)
		return -ENOMEM;
	ret = krdma_rpc_init();
	if (ret)
		goto err_wq;
	ret = ib_register_client(&krdma_ib_client);
	if (ret)
		goto err_wq;
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

void krdma_peer_put(struct krdma_peer *peer)
{
	kobject_put(&peer->kobj);
}
