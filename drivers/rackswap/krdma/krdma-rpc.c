// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: messages and RPC over SEND/RECV.
 *
 * Flow control by credits: each side grants, in its handshake, the number
 * of requests it takes at once; both use the smaller grant. A caller holds
 * one slot (one credit) from its request until the slot's SEND completed
 * and its response arrived, so at most "credits" requests and "credits"
 * responses are ever in flight towards a node, which posted 2 * credits + 1
 * receive buffers before connecting (the +1: its hello, then the one
 * response that may arrive while the buffer of the previous one is being
 * reposted). A receive buffer is reposted before the response that frees
 * its credit is sent, so a receiver is never "not ready".
 *
 * Nothing here allocates memory after the connection is set up: buffers are
 * allocated and DMA-mapped once per connection.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

/* Handlers by op: written at (un)registration, read by handler works. */
static krdma_handler_t krdma_handlers[KRDMA_OP_MAX];

/* krdma's own ops (PING, GRANTS) and the layers' alike; process context */
int krdma_set_handler(u16 op, krdma_handler_t fn)
{
	if (op < KRDMA_OP_PING || op >= KRDMA_OP_MAX || !fn)
		return -EINVAL;
	if (cmpxchg(&krdma_handlers[op], NULL, fn))
		return -EBUSY;
	return 0;
}

void krdma_clear_handler(u16 op)
{
	if (op >= KRDMA_OP_MAX)
		return;
	WRITE_ONCE(krdma_handlers[op], NULL);
	/* a handler that already started finishes before we return */
	flush_workqueue(krdma.wq);
}

/* The layers above own [KRDMA_OP_FIRST_USER, KRDMA_OP_MAX) alone. */
int krdma_register_handler(u16 op, krdma_handler_t fn)
{
	if (op < KRDMA_OP_FIRST_USER)
		return -EINVAL;
	return krdma_set_handler(op, fn);
}
EXPORT_SYMBOL_GPL(krdma_register_handler);

void krdma_unregister_handler(u16 op)
{
	if (op >= KRDMA_OP_FIRST_USER)
		krdma_clear_handler(op);
}
EXPORT_SYMBOL_GPL(krdma_unregister_handler);

static int krdma_echo_handler(struct krdma_peer *peer, const void *req,
			      u32 len, void *resp, u32 *resp_len)
{
	if (len > *resp_len)
		return -EMSGSIZE;
	memcpy(resp, req, len);
	*resp_len = len;
	return 0;
}

int krdma_rpc_init(void)
{
	return krdma_set_handler(KRDMA_OP_PING, krdma_echo_handler);
}

static void krdma_unmap(struct krdma_peer *peer, struct krdma_buf *b,
			enum dma_data_direction dir)
{
	ib_dma_unmap_single(peer->dev, b->dma, KRDMA_MSG_SIZE, dir);
	kfree(b->data);
	b->data = NULL;
}

void krdma_bufs_free(struct krdma_peer *peer)
{
	while (peer->nr_recv_mapped > 0)
		krdma_unmap(peer, &peer->recv[--peer->nr_recv_mapped],
			    DMA_FROM_DEVICE);
	while (peer->nr_send_mapped > 0)
		krdma_unmap(peer, &peer->send[--peer->nr_send_mapped],
			    DMA_TO_DEVICE);
}

static void krdma_handle_work(struct work_struct *work);

static int krdma_map(struct krdma_peer *peer, struct krdma_buf *b,
		     enum dma_data_direction dir)
{
	b->data = rs_kzalloc(KRDMA_MSG_SIZE, GFP_KERNEL);
	if (!b->data)
		return -ENOMEM;
	b->dma = ib_dma_map_single(peer->dev, b->data, KRDMA_MSG_SIZE, dir);
	if (ib_dma_mapping_error(peer->dev, b->dma)) {
		kfree(b->data);
		b->data = NULL;
		return -ENOMEM;
	}
	b->peer = peer;
	return 0;
}

int krdma_bufs_alloc(struct krdma_peer *peer)
{
	int ret;

	while (peer->nr_recv_mapped < ARRAY_SIZE(peer->recv)) {
		struct krdma_buf *b = &peer->recv[peer->nr_recv_mapped];

		ret = krdma_map(peer, b, DMA_FROM_DEVICE);
		if (ret)
			return ret;
		b->cqe.done = krdma_recv_done;
		INIT_WORK(&b->work, krdma_handle_work);
		peer->nr_recv_mapped++;
	}
	while (peer->nr_send_mapped < ARRAY_SIZE(peer->send)) {
		struct krdma_buf *b = &peer->send[peer->nr_send_mapped];

		ret = krdma_map(peer, b, DMA_TO_DEVICE);
		if (ret)
			return ret;
		b->cqe.done = krdma_send_done;
		peer->nr_send_mapped++;
	}
	return 0;
}

static int krdma_post_recv(struct krdma_peer *peer, struct krdma_buf *b)
{
	struct ib_sge sge = {
		.addr	= b->dma,
		.length	= KRDMA_MSG_SIZE,
		.lkey	= peer->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe		= &b->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	ib_dma_sync_single_for_device(peer->dev, b->dma, KRDMA_MSG_SIZE,
				      DMA_FROM_DEVICE);
	return rs_ib_post_recv(peer->qp, &wr, NULL);
}

int krdma_post_all_recvs(struct krdma_peer *peer)
{
	int i, ret;

	/* a new connection: the remote's slots start afresh */
	spin_lock_irq(&peer->lock);
	memset(peer->rslots, 0, sizeof(peer->rslots));
	spin_unlock_irq(&peer->lock);
	for (i = 0; i < ARRAY_SIZE(peer->recv); i++) {
		ret = krdma_post_recv(peer, &peer->recv[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Posts the first @len bytes of @b; the caller holds peer->lock. */
int krdma_post_bytes_locked(struct krdma_peer *peer,
			    struct krdma_buf *b, u32 len)
{
	struct ib_sge sge = {
		.addr	= b->dma,
		.length	= len,
		.lkey	= peer->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.wr_cqe		= &b->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
		.opcode		= IB_WR_SEND,
		.send_flags	= IB_SEND_SIGNALED,
	};
	int ret;

	lockdep_assert_held(&peer->lock);
	ib_dma_sync_single_for_device(peer->dev, b->dma, len, DMA_TO_DEVICE);
	ret = rs_ib_post_send(RS_FAULT_RPC_SEND, peer->qp, &wr, NULL);
	if (!ret)
		atomic64_add(len, &peer->bytes_out);
	return ret;
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_post_bytes_locked);

/* Posts a message built in @b; the caller holds peer->lock. */
static int krdma_post_send_locked(struct krdma_peer *peer, struct krdma_buf *b)
{
	struct krdma_msg_hdr *hdr = b->data;

	return krdma_post_bytes_locked(peer, b,
				       sizeof(*hdr) + le32_to_cpu(hdr->len));
}

void krdma_fill_hdr(struct krdma_buf *b, u16 op, u16 flags, u32 len,
		    u32 id, int status)
{
	struct krdma_msg_hdr *hdr = b->data;

	hdr->op = cpu_to_le16(op);
	hdr->flags = cpu_to_le16(flags);
	hdr->len = cpu_to_le32(len);
	hdr->id = cpu_to_le32(id);
	hdr->status = cpu_to_le32((u32)status);
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_fill_hdr);

#if IS_ENABLED(CONFIG_RACKSWAP_TEST)
/*
 * Tests: keeps the HELLO we send, sends a kept one's nonce and proof, or
 * changes our name after the proof.
 */
static void krdma_hello_replay_hook(const struct krdma_peer *peer,
				    struct krdma_hello_msg *msg)
{
	struct krdma_test_hooks *t = &krdma_test_hooks;

	if (!peer->active)
		return;
	switch (READ_ONCE(t->hello_replay)) {
	case KRDMA_REPLAY_RECORD:
		t->hello = *msg;
		WRITE_ONCE(t->hello_kept, true);
		break;
	case KRDMA_REPLAY_SEND:
		if (!READ_ONCE(t->hello_kept))
			break;
		memcpy(msg->nonce, t->hello.nonce, sizeof(msg->nonce));
		memcpy(msg->mac, t->hello.mac, sizeof(msg->mac));
		peer_info(peer, "test: this HELLO replays a kept one's nonce and proof\n");
		break;
	case KRDMA_REPLAY_TAMPER:
		/* what a relay would do: the proof no longer covers it */
		msg->name[0] ^= 0x20;
		peer_info(peer, "test: this HELLO's name was changed after its proof\n");
		break;
	}
}

/*
 * Tests: a PING request, on slot 0, before our HELLO (peer->lock held):
 * the remote must not serve it. Slot 0 is not busy before the connection
 * is live: its send completion frees nothing.
 */
static void krdma_early_request_hook(struct krdma_peer *peer)
{
	struct krdma_buf *b = &peer->send[0];
	__le64 stamp = 0;

	if (!peer->active || !krdma_test_hook(early_request))
		return;
	krdma_fill_hdr(b, KRDMA_OP_PING, 0, sizeof(stamp), 0, 0);
	memcpy(b->data + sizeof(struct krdma_msg_hdr), &stamp, sizeof(stamp));
	if (!krdma_post_send_locked(peer, b))
		peer_info(peer, "test: a request before our HELLO\n");
}
#else
static inline void krdma_hello_replay_hook(const struct krdma_peer *peer,
					   struct krdma_hello_msg *msg)
{
}

static inline void krdma_early_request_hook(struct krdma_peer *peer)
{
}
#endif

/* Our HELLO message's name and reconnection window; the rest zeros. */
void krdma_hello_fill(const struct krdma_peer *peer,
		      struct krdma_hello_msg *msg)
{
	memset(msg, 0, sizeof(*msg));
	strscpy(msg->name, rs_self.name, sizeof(msg->name));
	if (peer->active)
		msg->reconnect_ms =
			cpu_to_le32(krdma_reconnect_window_ms(&peer->opts));
}

/*
 * Our HELLO message: the name, and when the connection authenticates our
 * proof (connecting: with our nonce). An accepting side that
 * authenticates sends it once the remote's proof held.
 */
int krdma_send_hello(struct krdma_peer *peer)
{
	struct krdma_buf *b = &peer->send[KRDMA_HELLO_BUF];
	struct krdma_hello_msg *msg = b->data + sizeof(struct krdma_msg_hdr);
	u32 n = sizeof(struct krdma_msg_hdr) + sizeof(*msg);
	unsigned long flags;
	int ret = -ENOTCONN;

	if (peer->auth.used)
		*msg = peer->auth.hello_out;	/* the fields our proof covers */
	else
		krdma_hello_fill(peer, msg);
	if (peer->auth.used) {
		if (peer->active)
			memcpy(msg->nonce, peer->auth.tr.nonce_a,
			       sizeof(msg->nonce));
		memcpy(msg->mac, peer->auth.mac_out, sizeof(msg->mac));
		krdma_hello_replay_hook(peer, msg);
	}
	krdma_fill_hdr(b, KRDMA_OP_HELLO, 0, sizeof(*msg), 0, 0);
	/* tests: the message as a relay would change it, its length too */
	krdma_fuzz(peer->active ? KRDMA_FUZZ_HELLO : KRDMA_FUZZ_REPLY, b->data,
		   &n, KRDMA_MSG_SIZE);
	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state == KRDMA_CONNECTING) {
		krdma_early_request_hook(peer);
		ret = krdma_post_bytes_locked(peer, b, n);
		peer->hello_sent = !ret;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (!ret)
		krdma_set_live_if_ready(peer);
	return ret;
}

/*
 * Frees a slot once its caller returned and its SEND and response are
 * done (a late response must not land in a reused slot); peer->lock held.
 */
void krdma_slot_put_locked(struct krdma_peer *peer,
			   struct krdma_slot *slot)
{
	if (slot->busy && !slot->owned && slot->send_done && slot->resp_done) {
		slot->busy = false;
		wake_up(&peer->slot_wait);
	}
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_slot_put_locked);

/* Fails the calls waiting on a closing peer. */
void krdma_fail_slots(struct krdma_peer *peer)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&peer->lock, flags);
	for (i = 0; i < KRDMA_MAX_CREDITS; i++) {
		struct krdma_slot *slot = &peer->slots[i];

		if (slot->busy && slot->waiting) {
			slot->status = -ENOTCONN;
			slot->resp_len = 0;
			slot->waiting = false;
			complete(&slot->done);
		}
	}
	spin_unlock_irqrestore(&peer->lock, flags);
}

void krdma_cancel_handlers(struct krdma_peer *peer)
{
	int i;

	for (i = 0; i < peer->nr_recv_mapped; i++)
		cancel_work_sync(&peer->recv[i].work);
}

void krdma_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct krdma_buf *b = container_of(wc->wr_cqe, struct krdma_buf, cqe);
	struct krdma_peer *peer = b->peer;
	int idx = b - peer->send;
	unsigned long flags;

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR) {
		peer_warn(peer, "send failed: %s\n",
			  ib_wc_status_msg(wc->status));
		krdma_conn_lost(peer, -EIO);
	}
	if (idx >= KRDMA_MAX_CREDITS)
		return;
	spin_lock_irqsave(&peer->lock, flags);
	peer->slots[idx].send_done = true;
	krdma_slot_put_locked(peer, &peer->slots[idx]);
	spin_unlock_irqrestore(&peer->lock, flags);
}

/* Reposts a receive buffer unless the peer is closing. */
static void krdma_repost(struct krdma_peer *peer, struct krdma_buf *b)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state < KRDMA_DOWN)
		ret = krdma_post_recv(peer, b);
	spin_unlock_irqrestore(&peer->lock, flags);
	if (ret)
		krdma_conn_lost(peer, ret);
}

static void krdma_take_response(struct krdma_peer *peer,
				const struct krdma_msg_hdr *hdr, u32 len)
{
	u32 id = le32_to_cpu(hdr->id);
	u32 idx = id & 0xffff;
	struct krdma_slot *slot;
	unsigned long flags;

	if (idx >= KRDMA_MAX_CREDITS) {
		peer_warn(peer, "response to slot %u: no such slot\n", idx);
		krdma_peer_close(peer, -EPROTO);
		return;
	}
	slot = &peer->slots[idx];
	spin_lock_irqsave(&peer->lock, flags);
	if (!slot->busy || slot->resp_done || slot->gen != id >> 16 ||
	    slot->op != le16_to_cpu(hdr->op)) {
		spin_unlock_irqrestore(&peer->lock, flags);
		peer_warn(peer, "unexpected response op %u to slot %u gen %u (slot: busy %d op %u gen %u)\n",
			  le16_to_cpu(hdr->op), idx, id >> 16, slot->busy,
			  slot->op, slot->gen);
		krdma_peer_close(peer, -EPROTO);
		return;
	}
	slot->resp_done = true;
	if (slot->waiting) {
		slot->resp_len = min(len, slot->resp_max);
		memcpy(slot->resp, hdr + 1, slot->resp_len);
		slot->status = (s32)le32_to_cpu(hdr->status);
		if (slot->status > 0 || slot->status < -MAX_ERRNO)
			slot->status = -EPROTO;
		slot->waiting = false;
		complete(&slot->done);
	}
	krdma_slot_put_locked(peer, slot);
	spin_unlock_irqrestore(&peer->lock, flags);
}

/*
 * The remote's proof, on a connection that authenticates: then its
 * identity (krdma_take_identity()) and the terms its connect request
 * staged (krdma_take_terms()) are taken. Else (logged, counted) the
 * connection is lost, and a relationship it claimed waits for its node.
 */
static int krdma_take_proof(struct krdma_peer *peer,
			    const struct krdma_hello_msg *msg, u32 len)
{
	int ret;

	if (!peer->auth.used || READ_ONCE(peer->hello_rcvd))
		return 0;
	ret = krdma_auth_check(peer, msg, len);
	if (!ret)
		ret = krdma_take_identity(peer, &peer->auth.claim_uuid,
					  peer->auth.claim_incarnation);
	if (ret) {
		krdma_conn_lost(peer, ret);
		return ret;
	}
	krdma_take_terms(peer);
	return 0;
}

static void krdma_take_hello(struct krdma_peer *peer,
			     const struct krdma_msg_hdr *hdr, u32 len)
{
	const struct krdma_hello_msg *msg = (const void *)(hdr + 1);
	unsigned long flags;
	bool dup;
	int ret;

	/* the connection is being torn down: its HELLO means nothing now */
	if (READ_ONCE(peer->state) >= KRDMA_DOWN)
		return;
	/* the name goes to logs and sysfs: the rule of our own nodename */
	if (len < KRDMA_HELLO_MSG_2_0 ||
	    !memchr(msg->name, '\0', sizeof(msg->name)) ||
	    !rs_name_ok(msg->name)) {
		krdma_refused_early();
		peer_warn(peer, "malformed hello (%u bytes; a name is 1-63 printable characters without spaces)\n",
			  len);
		/* unproven: it loses its connection, not the relationship */
		if (peer->auth.used)
			krdma_conn_lost(peer, -EPROTO);
		else
			krdma_peer_close(peer, -EPROTO);
		return;
	}
	if (krdma_take_proof(peer, msg, len))
		return;
	spin_lock_irqsave(&peer->lock, flags);
	dup = peer->hello_rcvd;
	if (!dup) {
		strscpy(peer->name, msg->name, sizeof(peer->name));
		if (!peer->active && len >= KRDMA_HELLO_MSG_2_1)
			peer->remote_reconnect_ms =
				min(le32_to_cpu(msg->reconnect_ms),
				    KRDMA_RECONNECT_MAX_MS);
		peer->hello_rcvd = true;
		peer->auth.verified = peer->auth.used;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (dup) {
		peer_warn(peer, "second hello\n");
		krdma_peer_close(peer, -EPROTO);
		return;
	}
	/* an accepting side that authenticates answers with its proof */
	if (!peer->active && peer->auth.used) {
		ret = krdma_send_hello(peer);
		if (ret)
			krdma_conn_lost(peer, ret);
		return;
	}
	krdma_set_live_if_ready(peer);
}

/*
 * A request on the remote's slot @idx (below its credits): refused when
 * that slot's previous request is still being served (a credit the remote
 * does not have) or when it repeats that request's generation (a replay).
 * Marks the slot in service. Returns false (logged) when refused.
 */
static bool krdma_take_request(struct krdma_peer *peer, u32 id, u16 op)
{
	struct krdma_rslot *rs = &peer->rslots[id & 0xffff];
	u16 gen = id >> 16;
	const char *why = NULL;
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	if (rs->seen && rs->gen == gen)
		why = "a replay of its previous request";
	else if (rs->serving)
		why = "its previous request is still being served";
	if (!why) {
		rs->serving = true;
		rs->seen = true;
		rs->gen = gen;
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (why)
		peer_warn(peer, "request op %u on slot %u gen %u refused: %s\n",
			  op, id & 0xffff, gen, why);
	return !why;
}

/*
 * A message that came in. Before the remote's HELLO was taken (and, when
 * the connection authenticates, its proof held: hello_rcvd says both) only
 * a HELLO is: anything else, a request or a response, ends the connection
 * unserved. hello_rcvd is read without the lock: only this CQ's poller, in
 * order, sets it (krdma_take_hello()), and the teardown after the drain
 * clears it.
 */
void krdma_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct krdma_buf *b = container_of(wc->wr_cqe, struct krdma_buf, cqe);
	struct krdma_peer *peer = b->peer;
	const struct krdma_msg_hdr *hdr = b->data;
	bool resp;
	u32 len;
	u16 op;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR) {
			peer_warn(peer, "receive failed: %s\n",
				  ib_wc_status_msg(wc->status));
			krdma_conn_lost(peer, -EIO);
		}
		return;
	}
	ib_dma_sync_single_for_cpu(peer->dev, b->dma, KRDMA_MSG_SIZE,
				   DMA_FROM_DEVICE);
	atomic64_add(wc->byte_len, &peer->bytes_in);
	len = le32_to_cpu(hdr->len);
	op = le16_to_cpu(hdr->op);
	if (wc->byte_len < sizeof(*hdr) || len > wc->byte_len - sizeof(*hdr)) {
		if (!READ_ONCE(peer->hello_rcvd))
			krdma_refused_early();
		peer_warn(peer, "malformed message (%u bytes, length field %u)\n",
			  wc->byte_len, len);
		krdma_peer_close(peer, -EPROTO);
		return;
	}
	resp = le16_to_cpu(hdr->flags) & KRDMA_F_RESPONSE;
	if ((resp || op != KRDMA_OP_HELLO) && !READ_ONCE(peer->hello_rcvd)) {
		/* nothing is served, nor taken, before the remote's hello */
		krdma_auth_early(peer, op, resp);
		krdma_conn_lost(peer, -EPROTO);
	} else if (resp) {
		krdma_take_response(peer, hdr, len);
		krdma_repost(peer, b);
	} else if (op == KRDMA_OP_HELLO) {
		krdma_take_hello(peer, hdr, len);
		krdma_repost(peer, b);
	} else if ((le32_to_cpu(hdr->id) & 0xffff) >= READ_ONCE(peer->credits) ||
		   op >= KRDMA_OP_MAX) {
		peer_warn(peer, "request op %u slot %u out of range\n",
			  op, le32_to_cpu(hdr->id) & 0xffff);
		krdma_peer_close(peer, -EPROTO);
	} else if (!krdma_take_request(peer, le32_to_cpu(hdr->id), op)) {
		krdma_peer_close(peer, -EPROTO);
	} else {
		queue_work(krdma.wq, &b->work);
	}
}

/* Runs the handler of a request, then answers it. */
static void krdma_handle_work(struct work_struct *work)
{
	struct krdma_buf *b = container_of(work, struct krdma_buf, work);
	struct krdma_peer *peer = b->peer;
	const struct krdma_msg_hdr *hdr = b->data;
	u32 id = le32_to_cpu(hdr->id);
	u16 op = le16_to_cpu(hdr->op);
	struct krdma_buf *rb = &peer->send[KRDMA_MAX_CREDITS + (id & 0xffff)];
	u32 rlen = KRDMA_MAX_PAYLOAD;
	krdma_handler_t fn;
	unsigned long flags;
	int status, ret = 0;

	/* only requests of a remote whose hello (and proof) we took come */
	if (!READ_ONCE(peer->hello_rcvd)) {
		peer_warn_rl(peer, "request op %u before its hello: not served\n",
			     op);
		krdma_conn_lost(peer, -EPROTO);
		return;
	}
	/* tests: keep the request in service a while */
	if (unlikely(krdma_test_hook(handler_delay_ms)))
		msleep(min_t(u32, krdma_test_hook(handler_delay_ms), 5000));
	fn = READ_ONCE(krdma_handlers[op]);
	status = fn ? fn(peer, hdr + 1, le32_to_cpu(hdr->len),
			 rb->data + sizeof(*hdr), &rlen) : -EOPNOTSUPP;
	if (status == -EPROTO) {
		/* the handler found the request malformed: no answer */
		peer_warn(peer, "request op %u (%u bytes) broke the protocol: closing the connection\n",
			  op, le32_to_cpu(hdr->len));
		krdma_peer_close(peer, -EPROTO);
		return;
	}
	if (status || rlen > KRDMA_MAX_PAYLOAD)
		rlen = 0;
	krdma_fill_hdr(rb, op, KRDMA_F_RESPONSE, rlen, id, status);
	atomic64_inc(&peer->rpcs_in);

	/* the request's buffer goes back before its credit does */
	spin_lock_irqsave(&peer->lock, flags);
	peer->rslots[id & 0xffff].serving = false;
	if (peer->state < KRDMA_DOWN) {
		ret = krdma_post_recv(peer, b);
		if (!ret)
			ret = krdma_post_send_locked(peer, rb);
	}
	spin_unlock_irqrestore(&peer->lock, flags);
	if (ret)
		krdma_conn_lost(peer, ret);
}

/* A free slot, marked busy; -EAGAIN when none, -ENOTCONN when not live. */
int krdma_get_slot(struct krdma_peer *peer)
{
	unsigned long flags;
	int i, ret = -EAGAIN;

	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state != KRDMA_LIVE) {
		ret = -ENOTCONN;
		goto out;
	}
	for (i = 0; i < peer->credits; i++) {
		struct krdma_slot *slot = &peer->slots[i];

		if (!slot->busy) {
			slot->busy = true;
			slot->owned = true;
			slot->gen++;
			slot->send_done = false;
			slot->resp_done = false;
			slot->waiting = false;
			ret = i;
			break;
		}
	}
out:
	spin_unlock_irqrestore(&peer->lock, flags);
	return ret;
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_get_slot);

int krdma_call(struct krdma_peer *peer, u16 op, const void *req, u32 len,
	       void *resp, u32 resp_max, u32 *resp_len,
	       unsigned int timeout_ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(timeout_ms ?
					timeout_ms : peer->opts.rpc_timeout_ms);
	struct krdma_slot *slot;
	unsigned long flags;
	long left;
	int s, ret;

	*resp_len = 0;
	if (op < KRDMA_OP_PING || op >= KRDMA_OP_MAX)
		return -EINVAL;
	if (len > KRDMA_MAX_PAYLOAD)
		return -EMSGSIZE;
	left = wait_event_timeout(peer->slot_wait,
				  (s = krdma_get_slot(peer)) != -EAGAIN,
				  max_t(long, deadline - jiffies, 1));
	if (!left && s == -EAGAIN) {
		ret = -ETIMEDOUT;
		goto out;
	}
	if (s < 0) {
		ret = s;
		goto out;
	}
	slot = &peer->slots[s];
	krdma_fill_hdr(&peer->send[s], op, 0, len, s | (u32)slot->gen << 16, 0);
	memcpy(peer->send[s].data + sizeof(struct krdma_msg_hdr), req, len);

	spin_lock_irqsave(&peer->lock, flags);
	slot->op = op;
	slot->resp = resp;
	slot->resp_max = resp_max;
	slot->resp_len = 0;
	reinit_completion(&slot->done);
	ret = -ENOTCONN;
	if (peer->state == KRDMA_LIVE)
		ret = krdma_post_send_locked(peer, &peer->send[s]);
	if (ret) {
		/* nothing in flight: the slot is free again */
		slot->busy = false;
		slot->owned = false;
		spin_unlock_irqrestore(&peer->lock, flags);
		wake_up(&peer->slot_wait);
		if (ret != -ENOTCONN)
			krdma_conn_lost(peer, ret);
		ret = -ENOTCONN;
		goto out;
	}
	slot->waiting = true;
	spin_unlock_irqrestore(&peer->lock, flags);

	wait_for_completion_timeout(&slot->done,
				    max_t(long, deadline - jiffies, 1));

	spin_lock_irqsave(&peer->lock, flags);
	slot->owned = false;
	if (slot->waiting) {
		/* no answer in time; the slot stays busy until it comes */
		slot->waiting = false;
		ret = -ETIMEDOUT;
		peer_warn_rl(peer, "op %u slot %d timed out (sent %d)\n",
			     op, s, slot->send_done);
	} else {
		ret = slot->status;
		*resp_len = slot->resp_len;
	}
	krdma_slot_put_locked(peer, slot);
	spin_unlock_irqrestore(&peer->lock, flags);
out:
	if (ret)
		atomic64_inc(&peer->rpc_errors);
	else
		atomic64_inc(&peer->rpcs_out);
	return ret;
}
EXPORT_SYMBOL_GPL(krdma_call);
