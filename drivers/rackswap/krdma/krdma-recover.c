// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: when a connection is lost: teardown, heartbeats, reconnection,
 * and closing a peer for good.
 */
#include <linux/delay.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/sched/mm.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_cm.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

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
bool krdma_port_up(struct rdma_cm_id *id)
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
			peer_info(peer, "port %s/%u is down: teardown waits for it\n",
				  dev_name(&id->device->dev), id->port_num);
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
	 * An accept's handler that ran into the quiesce may have armed its
	 * stranger deadline after teardown_work's cancel: it must not fire
	 * on a finished peer, nor cut the wait for a reconnection short.
	 */
	cancel_delayed_work_sync(&peer->reconnect_work);
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
	krdma_auth_conn_end(peer);
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
	u32 ms;

	if (atomic64_read(&peer->usage.granted_slabs))
		return READ_ONCE(krdma_grant_hold_ms);
	ms = READ_ONCE(peer->remote_reconnect_ms);
	return ms != KRDMA_RECONNECT_UNSAID ? ms :
	       krdma_reconnect_window_ms(&peer->opts);
}

/* The connecting thread has issued its rdma_resolve_addr(). */
void krdma_started(struct krdma_peer *peer)
{
	spin_lock_irq(&peer->lock);
	peer->starting = false;
	spin_unlock_irq(&peer->lock);
	wake_up_all(&peer->slot_wait);
}

void krdma_teardown_work(struct work_struct *work)
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
	gave_up = peer->active && peer->tries >= peer->opts.reconnect_tries;
	finish = peer->closing || !peer->was_live || READ_ONCE(krdma.stopping) ||
		 gave_up || (!peer->active && !peer->remote_reconnect_ms);
	if (finish) {
		peer->closing = true;
	} else {
		peer->state = KRDMA_RECONNECTING;
		if (peer->active)
			peer->tries++;
	}
	spin_unlock_irq(&peer->lock);

	if (finish) {
		if (gave_up && peer->opts.reconnect_tries)
			peer_warn(peer, "no connection after %u attempts: closing it\n",
				  peer->opts.reconnect_tries);
		krdma_peer_finish(peer);
		return;
	}
	wake_up_all(&peer->slot_wait);
	if (peer->active) {
		delay = peer->opts.reconnect_delay_ms +
			get_random_u32() % (peer->opts.reconnect_delay_ms / 2 + 1);
		/* our port was down: wait as long as a timed-out attempt */
		if (peer->conn_error == -ENETDOWN)
			delay += peer->opts.connect_timeout_ms;
		peer_info(peer, "reconnecting in %lu ms (attempt %u of %u; last: %pe)\n",
			  delay, peer->tries, peer->opts.reconnect_tries,
			  ERR_PTR(peer->conn_error));
	} else {
		delay = krdma_passive_wait_ms(peer);
		peer_info(peer, "waiting up to %lu ms for it to reconnect\n",
			  delay);
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
		peer_info(peer, "connection lost: %pe\n", ERR_PTR(why));
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
EXPORT_SYMBOL_IF_RS_TEST(krdma_peer_close);

/* No connection, and none being torn down. */
bool krdma_conn_is_down(struct krdma_peer *peer)
{
	enum krdma_state state = READ_ONCE(peer->state);

	return state == KRDMA_RECONNECTING || state == KRDMA_DEAD;
}

/*
 * Active peers: starts the next connection, or ends one that is still
 * connecting after the deadline. Passive peers: the wait for the remote
 * to come back is over, or a connection accepted is not live by its
 * deadline (krdma_stranger_ms()).
 */
static void krdma_reconnect(struct krdma_peer *peer)
{
	struct rdma_cm_id *id;
	bool start, close, late;
	int ret;

	spin_lock_irq(&peer->lock);
	start = peer->state == KRDMA_RECONNECTING;
	close = start && !peer->active;
	late = peer->state == KRDMA_CONNECTING;
	if (close) {
		peer->closing = true;
		peer->state = KRDMA_DOWN;
	}
	spin_unlock_irq(&peer->lock);
	if (close) {
		peer_warn(peer, "did not come back: closing it\n");
		queue_work(krdma.wq, &peer->teardown_work);
		return;
	}
	if (!start) {
		if (!late)
			return;
		/* the deadline of an attempt of ours, or of a stranger */
		if (!peer->active)
			krdma_stranger_dropped(peer);
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
			   msecs_to_jiffies(peer->opts.connect_timeout_ms));
	ret = rdma_resolve_addr(id, NULL, (struct sockaddr *)&peer->addr,
				peer->opts.connect_timeout_ms);
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
void krdma_reconnect_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(to_delayed_work(work),
					       struct krdma_peer,
					       reconnect_work);
	unsigned int noreclaim = memalloc_noreclaim_save();

	krdma_reconnect(peer);
	memalloc_noreclaim_restore(noreclaim);
}

void krdma_hb_work(struct work_struct *work)
{
	struct krdma_peer *peer = container_of(to_delayed_work(work),
					       struct krdma_peer, hb_work);
	u64 t0 = ktime_get_ns();
	__le64 stamp = cpu_to_le64(t0), echo = 0;
	u32 len = 0;
	int ret, dq;

	ret = krdma_call(peer, KRDMA_OP_PING, &stamp, sizeof(stamp), &echo,
			 sizeof(echo), &len, peer->opts.heartbeat_ms);
	if (ret == -ENOTCONN)
		return;
	dq = krdma_dq_stalled(peer, msecs_to_jiffies(peer->opts.rpc_timeout_ms));
	if (dq >= 0) {
		peer_warn(peer, "data QP %d completed nothing in %u ms with work in flight: resetting the connection\n",
			  dq, peer->opts.rpc_timeout_ms);
		atomic64_inc(&peer->io_stalls);
		krdma_conn_lost(peer, -ETIMEDOUT);
		return;
	}
	if (!ret && len == sizeof(echo) && echo == stamp) {
		peer->hb_missed = 0;
		WRITE_ONCE(peer->rtt_us, div_u64(ktime_get_ns() - t0, 1000));
	} else if (++peer->hb_missed >= peer->opts.heartbeat_missed) {
		peer_warn(peer, "%u heartbeats missed, peer lost\n",
			  peer->hb_missed);
		krdma_conn_lost(peer, -ETIMEDOUT);
		return;
	}
	queue_delayed_work(krdma.wq, &peer->hb_work,
			   msecs_to_jiffies(peer->opts.heartbeat_ms));
}
