// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: peers, the relationships with other nodes: their allocation,
 * listing and lookup, what the layers above ask of them, and the RDMA
 * devices' arrival and removal (ib_client).
 */
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ipv6.h>
#include <rdma/ib_cm.h>

#include "compat.h"
#include "krdma-priv.h"
#include "fault.h"

/* Its node name, "-" until its hello came. */
const char *krdma_peer_tag(const struct krdma_peer *peer)
{
	return peer->name[0] ? peer->name : "-";
}

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

/* Data connections a new peer of options @o gets. */
static int krdma_nr_data_qps(const struct krdma_opts *o)
{
	return min_t(int, o->data_qps ? o->data_qps : num_online_cpus(),
		     KRDMA_MAX_DATA_QPS);
}

/* @h, a connect request's hello, is this node's own. */
bool krdma_hello_is_self(const struct krdma_cm_hello *h)
{
	return !memcmp(h->uuid, &rs_self.uuid, sizeof(h->uuid)) &&
	       le64_to_cpu(h->incarnation) == rs_self.incarnation;
}

/*
 * A peer we connect to with options @o, or (@o NULL) one that connected to
 * us: its options come with its hello.
 */
struct krdma_peer *krdma_peer_alloc(const struct sockaddr *addr,
				    const struct krdma_opts *o)
{
	struct krdma_peer *peer;
	int i;

	peer = rs_kzalloc(sizeof(*peer), GFP_KERNEL);
	if (!peer)
		return NULL;
	kobject_init(&peer->kobj, &krdma_peer_ktype);
	INIT_LIST_HEAD(&peer->list);
	peer->id = -1;
	peer->active = !!o;
	if (o)
		peer->opts = *o;
	else
		krdma_opts_init(&peer->opts);
	memcpy(&peer->addr, addr, rdma_addr_size(addr));
	spin_lock_init(&peer->lock);
	peer->state = KRDMA_CONNECTING;
	peer->remote_reconnect_ms = KRDMA_RECONNECT_UNSAID;
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
	if (o) {
		peer->session = get_random_u64() | 1;
		peer->nr_dq = krdma_nr_data_qps(o);
	}
	/* kzalloc'ed: the atomic64_t counters start at 0 */
	return peer;
}

bool krdma_same_addr(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	return a->ss_family == b->ss_family &&
	       !memcmp(a, b, rdma_addr_size((const struct sockaddr *)a));
}

/* The same host: the same address, whatever the ports. */
bool krdma_same_host(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
	       ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
}

/*
 * Gives the peer an id and a sysfs directory and lists it. An active peer is
 * refused (-EEXIST) while another active peer to the same address is not
 * dead. The list holds the peer's first reference.
 */
int krdma_peer_publish(struct krdma_peer *peer)
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

static bool krdma_match_dev(const struct krdma_peer *p, const void *dev)
{
	return !dev || READ_ONCE(p->dev) == dev;
}

/*
 * @dev: the connections on @dev are lost (they reconnect once a device is
 * there again); waits until each is torn down. NULL: closes every peer
 * for good and waits until each is dead.
 */
void krdma_close_all(struct ib_device *dev)
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

struct ib_client krdma_ib_client = {
	.name	= "rackswap_krdma",
	.add	= krdma_add_one,
	.remove	= krdma_remove_one,
};

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

/* Is @p one of @flags (KRDMA_PEERS_*)? */
static bool krdma_peer_in(const struct krdma_peer *p, unsigned int flags)
{
	return !(flags & KRDMA_PEERS_OPENED) || p->active;
}

int krdma_peers_ready(struct krdma_peer **peers, int max, unsigned int flags)
{
	struct krdma_peer *p;
	int n = 0;

	mutex_lock(&krdma.lock);
	list_for_each_entry(p, &krdma.peers, list) {
		if (n == max)
			break;
		if (!READ_ONCE(p->io_ready) || !krdma_peer_in(p, flags))
			continue;
		kobject_get(&p->kobj);
		peers[n++] = p;
	}
	mutex_unlock(&krdma.lock);
	return n;
}
EXPORT_SYMBOL_GPL(krdma_peers_ready);

int krdma_peers_returning(unsigned int flags)
{
	struct krdma_peer *p;
	int n = 0;

	mutex_lock(&krdma.lock);
	list_for_each_entry(p, &krdma.peers, list)
		if (krdma_peer_in(p, flags) && !READ_ONCE(p->io_ready) &&
		    !READ_ONCE(p->closing) &&
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

u16 krdma_peer_proto_minor(const struct krdma_peer *peer)
{
	return READ_ONCE(peer->minor);
}
EXPORT_SYMBOL_GPL(krdma_peer_proto_minor);

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
