// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: listening and accepting: connection requests from other nodes,
 * a known relationship's reconnection, its data connections, and the
 * relationships a restarted node leaves behind.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/string.h>
#include <rdma/ib_cm.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

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
		peer_info(p, "the node restarted or gave it up: closing the old relationship\n");
		krdma_peer_close(p, -ESTALE);
		krdma_peer_put(p);
	}
}

/*
 * What @peer's node left behind, once its connection proved the node's
 * key: a connection that authenticates changes no relationship before.
 */
void krdma_close_stale_of(struct krdma_peer *peer)
{
	struct krdma_cm_hello h = {};

	spin_lock_irq(&peer->lock);
	memcpy(h.uuid, &peer->uuid, sizeof(h.uuid));
	h.incarnation = cpu_to_le64(peer->incarnation);
	h.session = cpu_to_le64(peer->session);
	spin_unlock_irq(&peer->lock);
	krdma_close_stale(&h);
}

/* The hello of our refusals: nothing about this node but the version. */
static void krdma_reject(struct rdma_cm_id *id)
{
	struct krdma_cm_hello h;

	krdma_fill_cm_hello(&h, NULL, false, KRDMA_CONN_CTRL, 0);
	memset(h.uuid, 0, sizeof(h.uuid));
	h.incarnation = 0;
	rdma_reject(id, &h, sizeof(h), IB_CM_REJ_CONSUMER_DEFINED);
}

/*
 * A connection accepted: it has until the deadline to go live. Armed from
 * the accept's CM handler, which the teardown quiesces before it cancels
 * the deadline again (krdma_conn_teardown()).
 */
static void krdma_stranger_deadline(struct krdma_peer *peer)
{
	mod_delayed_work(krdma.wq, &peer->reconnect_work,
			 msecs_to_jiffies(krdma_stranger_ms()));
}

/*
 * A data connection of a peer whose control connection is up. Returns
 * non-zero to have @id destroyed.
 */
static int krdma_accept_data(struct rdma_cm_id *id, struct rdma_cm_event *ev,
			     const struct krdma_cm_hello *h)
{
	struct krdma_cm_accept mine;
	struct rdma_conn_param param;
	struct krdma_peer *peer;
	struct krdma_dataq *dq = NULL;
	bool expected;
	int ret;

	peer = krdma_peer_find(krdma_match_session, h);
	if (!peer) {
		krdma_refused_early();
		pr_warn("%pISpc: data connection of no known peer\n",
			&id->route.addr.dst_addr);
		return -ENOENT;
	}
	spin_lock_irq(&peer->lock);
	expected = (peer->state == KRDMA_CONNECTING ||
		    peer->state == KRDMA_LIVE) &&
		   h->index < peer->nr_dq && !peer->dq[h->index].cm_id &&
		   id->device == peer->dev;
	/* a wrong tag is counted as a failed proof */
	if (expected && krdma_auth_tag_ok(peer, h)) {
		dq = &peer->dq[h->index];
		dq->cm_id = id;
	}
	spin_unlock_irq(&peer->lock);
	if (!dq) {
		if (!expected)
			krdma_refused_early();
		peer_warn_rl(peer, "%s data connection %u: refused\n",
			     expected ? "a wrong tag on" : "unexpected",
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
		peer_warn(peer, "data connection %d failed: %pe\n",
			  dq->index, ERR_PTR(ret));
		krdma_conn_lost(peer, ret);
	}
	krdma_peer_put(peer);
	return 0;
}

/*
 * The remote of a relationship we know connects again. Returns non-zero
 * to have @id destroyed.
 *
 * Not a stranger: a relationship has one connection at a time, so
 * reconnections take none of the strangers' places. When it has one:
 *  - on an open node, our end of the old connection has not noticed its
 *    loss yet: it ends, and the remote tries again;
 *  - on a node that authenticates, one being proven (its proof not held
 *    yet) is replaced: this request is refused, the remote's next one
 *    finds the relationship waiting. A live, verified connection is never
 *    ended by a request nobody proved: the heartbeat finds a dead one out.
 */
static int krdma_accept_again(struct krdma_peer *peer, struct rdma_cm_id *id,
			      struct rdma_cm_event *ev)
{
	struct krdma_cm_accept mine;
	struct rdma_conn_param param;
	bool busy, unproven;
	int ret;

	spin_lock_irq(&peer->lock);
	busy = peer->state != KRDMA_RECONNECTING;
	unproven = peer->state == KRDMA_CONNECTING && !peer->hello_rcvd;
	if (!busy) {
		peer->state = KRDMA_CONNECTING;
		peer->conn_error = 0;
		peer->cm_id = id;
	}
	spin_unlock_irq(&peer->lock);
	if (busy) {
		krdma_refused_early();
		if (!krdma_auth_enabled()) {
			krdma_conn_lost(peer, -ECONNRESET);
		} else if (unproven) {
			peer_warn_rl(peer, "%pISpc: a newer request replaces the unproven one\n",
				     &id->route.addr.dst_addr);
			krdma_conn_lost(peer, -ECONNRESET);
		} else {
			peer_warn_rl(peer, "%pISpc: it has a connection: request refused\n",
				     &id->route.addr.dst_addr);
		}
		return -EBUSY;
	}
	krdma_stranger_deadline(peer);
	id->context = peer;
	ret = krdma_take_cm_hello(peer, ev->param.conn.private_data,
				  ev->param.conn.private_data_len);
	if (!ret)
		ret = krdma_create_queues(peer);
	if (!ret) {
		krdma_conn_param(&param, &mine, peer, id->device, ev,
				 KRDMA_CONN_CTRL, 0);
		krdma_auth_accept(peer, &mine);
		ret = rdma_accept(id, &param);
	}
	if (ret) {
		peer_warn(peer, "reconnection failed: %pe\n", ERR_PTR(ret));
		krdma_conn_lost(peer, ret);
	}
	return 0;
}

/* CONNECT_REQUEST on a listener: returns non-zero to have @id destroyed. */
int krdma_accept_req(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct sockaddr_storage *src = &id->route.addr.dst_addr;
	u8 len = ev->param.conn.private_data_len;
	const struct krdma_cm_hello *h;
	struct krdma_cm_accept mine;
	struct rdma_conn_param param;
	struct krdma_peer *peer;
	int ret;

	h = krdma_check_cm_hello(src, ev->param.conn.private_data, len);
	if (IS_ERR(h)) {
		ret = PTR_ERR(h);
		goto err_reject;
	}
	/* nothing else from a node that does not authenticate when we do */
	if (krdma_auth_wanted(false) &&
	    (len < sizeof(*h) || !(le32_to_cpu(h->caps) & KRDMA_CAP_AUTH))) {
		ret = krdma_auth_refuse_plain(src);
		goto err_reject;
	}
	peer = krdma_peer_find(krdma_match_newer, h);
	if (peer) {
		pr_warn("%pISpc: refused a connection of an old incarnation of %s (%llu; peer %d has %llu): a replay\n",
			src, peer->name, le64_to_cpu(h->incarnation), peer->id,
			peer->incarnation);
		krdma_peer_put(peer);
		krdma_refused_early();
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
	if (krdma_hello_is_self(h) && !krdma_test_hook(loopback)) {
		krdma_refused_early();
		pr_warn("%pISpc: refusing a connection from this node itself\n",
			src);
		ret = -EINVAL;
		goto err_reject;
	}
	/* authenticated, only once its node proved its key (krdma_ready()) */
	if (!krdma_auth_wanted(false))
		krdma_close_stale(h);
	if (!krdma_stranger_get()) {
		pr_warn_ratelimited("%pISpc: %d connections not live yet: refused\n",
				    src, KRDMA_STRANGERS_MAX);
		ret = -EBUSY;
		goto err_reject;
	}

	peer = krdma_peer_alloc((struct sockaddr *)src, NULL);
	if (!peer) {
		ret = -ENOMEM;
		goto err_stranger;
	}
	ret = krdma_take_cm_hello(peer, ev->param.conn.private_data, len);
	if (ret)
		goto err_put;
	peer->cm_id = id;
	ret = krdma_create_queues(peer);
	if (ret)
		goto err_put;
	peer->auth.close_stale = peer->auth.used;
	/* once listed, the peer counts the stranger: LIVE or teardown ends it */
	peer->auth.stranger = true;
	ret = krdma_peer_publish(peer);
	if (ret)
		goto err_queues;
	krdma_stranger_deadline(peer);
	id->context = peer;
	krdma_conn_param(&param, &mine, peer, id->device, ev,
			 KRDMA_CONN_CTRL, 0);
	krdma_auth_accept(peer, &mine);
	krdma_fuzz_param(KRDMA_FUZZ_ACCEPT, &mine, &param);
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
err_stranger:
	krdma_stranger_put();
err_reject:
	krdma_reject(id);
	return ret;
}

int krdma_listen_on(struct rdma_cm_id **idp, int family)
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
		sin->sin_port = htons(krdma_port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(krdma_port);
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

void krdma_stop_listening(void)
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
