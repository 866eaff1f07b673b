// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: attacks on the authenticated handshake, for tests, in
 * /sys/kernel/debug/rackswap_test/krdma/ (not ABI):
 *
 *   test_auth_mode	krdma's test hook auth_mode: 1, this node's connect
 *			requests do not authenticate (as an unkeyed node's);
 *			2, its accepts do not; 0, off
 *   test_hello_replay	krdma's test hook hello_replay: 1, keep each HELLO
 *			message this node sends when it connects; 2, send the
 *			kept one's nonce and proof instead of the fresh ones
 *			(a recorded handshake replayed); 3, change the name
 *			in the HELLO after its proof (a relay's edit); 0, off
 *   test_early_request	krdma's test hook early_request: 1, this node sends a
 *			PING request before its HELLO message when it connects
 *			(the remote must drop the connection unserved); 0, off
 *   test_flood		"<ip> <port> <count> <parallel> <hold ms> [<peer>]":
 *			<count> half-open connects to that address, <parallel>
 *			at a time, each a stranger's (a random UUID, session
 *			and nonce; it says it authenticates): the connect
 *			request goes, the accept is never answered, and each
 *			is dropped after <hold ms> (or when refused). With
 *			<peer> (the id of a peer this node connected), each
 *			claims that relationship instead: this node's UUID
 *			and incarnation, the peer's session, and no proof to
 *			follow. Read: "ok started=N half_open=N refused=N
 *			errors=N"
 *
 * The hooks are off at load and when this module unloads.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "test.h"

#define FLOOD_MAX_COUNT		100000
#define FLOOD_MAX_PARALLEL	64
#define FLOOD_MAX_HOLD_MS	60000
#define FLOOD_STEP_MS		2000	/* each of resolve, route, connect */

enum flood_state {
	FLOOD_STARTING,		/* resolving, connecting */
	FLOOD_HALF_OPEN,	/* the remote accepted: never answered */
	FLOOD_REFUSED,
	FLOOD_FAILED,
};

/* One connect of the flood; its CM handler writes @state. */
struct flood_conn {
	struct rdma_cm_id	*id;
	struct krdma_cm_hello	hello;
	unsigned long		started;	/* jiffies */
	int			state;
	bool			counted;	/* its outcome is in the sums */
};

static DEFINE_MUTEX(flood_lock);	/* one flood at a time; flood_result */
static char flood_result[128] = "none\n";

static int flood_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct flood_conn *c = id->context;
	struct rdma_conn_param param = {};
	int ret = 0;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = rdma_resolve_route(id, FLOOD_STEP_MS);
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		/* no QP: the accept will never be answered (no RTU) */
		param.private_data = &c->hello;
		param.private_data_len = sizeof(c->hello);
		param.qp_num = get_random_u32() & 0xffffff;
		param.responder_resources = 1;
		param.initiator_depth = 1;
		param.retry_count = 7;
		ret = rdma_connect_locked(id, &param);
		break;
	case RDMA_CM_EVENT_CONNECT_RESPONSE:
		WRITE_ONCE(c->state, FLOOD_HALF_OPEN);
		break;
	case RDMA_CM_EVENT_REJECTED:
		WRITE_ONCE(c->state, FLOOD_REFUSED);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		WRITE_ONCE(c->state, FLOOD_FAILED);
		break;
	default:
		break;
	}
	if (ret)
		WRITE_ONCE(c->state, FLOOD_FAILED);
	return 0;	/* the flood destroys its ids itself */
}

/*
 * A stranger's connect request: random identity, says it authenticates;
 * @session non-zero: our own identity, under that relationship's session.
 */
static void flood_hello(struct krdma_cm_hello *h, u64 session)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(KRDMA_MAGIC);
	h->major = cpu_to_le16(KRDMA_PROTO_MAJOR);
	h->minor = cpu_to_le16(KRDMA_PROTO_MINOR);
	h->caps = cpu_to_le32(KRDMA_CAP_AUTH);
	h->credits = cpu_to_le16(KRDMA_MAX_CREDITS);
	h->kind = KRDMA_CONN_CTRL;
	h->index = 1;
	get_random_bytes(h->uuid, sizeof(h->uuid));
	h->incarnation = cpu_to_le64(ktime_get_real_ns());
	h->session = cpu_to_le64(get_random_u64() | 1);
	if (session) {
		memcpy(h->uuid, &rs_self.uuid, sizeof(h->uuid));
		h->incarnation = cpu_to_le64(rs_self.incarnation);
		h->session = cpu_to_le64(session);
	}
}

static int flood_start(struct flood_conn *c, struct sockaddr_storage *dst,
		       u64 session)
{
	int ret;

	flood_hello(&c->hello, session);
	c->state = FLOOD_STARTING;
	c->counted = false;
	c->started = jiffies;
	c->id = rdma_create_id(&init_net, flood_cm_handler, c, RDMA_PS_TCP,
			       IB_QPT_RC);
	if (IS_ERR(c->id)) {
		ret = PTR_ERR(c->id);
		c->id = NULL;
		return ret;
	}
	ret = rdma_resolve_addr(c->id, NULL, (struct sockaddr *)dst,
				FLOOD_STEP_MS);
	if (ret)
		c->state = FLOOD_FAILED;
	return 0;
}

struct flood_sums {
	u32	started;
	u32	half_open;
	u32	refused;
	u32	errors;
};

/*
 * Whether @c is over: refused, failed, held long enough, or stuck past
 * its steps' time. Counts its outcome once.
 */
static bool flood_over(struct flood_conn *c, unsigned long hold,
		       struct flood_sums *s)
{
	int state = READ_ONCE(c->state);
	unsigned long age = jiffies - c->started;

	if (state == FLOOD_HALF_OPEN && !c->counted) {
		s->half_open++;
		c->counted = true;
	}
	if (state == FLOOD_REFUSED || state == FLOOD_FAILED) {
		if (!c->counted)
			state == FLOOD_REFUSED ? s->refused++ : s->errors++;
		return true;
	}
	if (state == FLOOD_HALF_OPEN)
		return age >= hold;
	if (age >= msecs_to_jiffies(4 * FLOOD_STEP_MS)) {
		s->errors++;
		return true;
	}
	return false;
}

static void flood_run(struct sockaddr_storage *dst, u32 count, u32 parallel,
		      u32 hold_ms, u64 session)
{
	unsigned long hold = msecs_to_jiffies(hold_ms);
	struct flood_sums s = {};
	struct flood_conn *c;
	int i, busy;

	c = kcalloc(parallel, sizeof(*c), GFP_KERNEL);
	if (!c) {
		snprintf(flood_result, sizeof(flood_result), "error -12\n");
		return;
	}
	do {
		busy = 0;
		for (i = 0; i < parallel; i++) {
			if (c[i].id && flood_over(&c[i], hold, &s)) {
				rdma_destroy_id(c[i].id);
				c[i].id = NULL;
			}
			if (!c[i].id && s.started < count) {
				s.started++;
				if (flood_start(&c[i], dst, session))
					s.errors++;
			}
			busy += !!c[i].id;
		}
		usleep_range(5000, 10000);
	} while (busy);
	kfree(c);
	snprintf(flood_result, sizeof(flood_result),
		 "ok started=%u half_open=%u refused=%u errors=%u\n",
		 s.started, s.half_open, s.refused, s.errors);
	pr_info("test_flood: %s", flood_result);
}

/* The session of our peer @id, one we connected; 0 when there is none. */
static u64 flood_session_of(int id)
{
	struct krdma_peer *peer = krdma_peer_get(id);
	u64 session = 0;

	if (!peer)
		return 0;
	if (peer->active)
		session = peer->session;
	krdma_peer_put(peer);
	return session;
}

static ssize_t flood_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	u32 n, parallel, hold_ms, port;
	struct sockaddr_storage dst;
	char buf[96], ip[48], p[8];
	u64 session = 0;
	int ret, as = 0;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	ret = sscanf(buf, "%47s %u %u %u %u %d", ip, &port, &n, &parallel,
		     &hold_ms, &as);
	if (ret < 5 || !port || port > 65535 || !n ||
	    n > FLOOD_MAX_COUNT || !parallel ||
	    parallel > FLOOD_MAX_PARALLEL || hold_ms > FLOOD_MAX_HOLD_MS)
		goto bad;
	if (ret == 6) {
		session = flood_session_of(as);
		if (!session) {
			pr_warn("test_flood: no peer %d that this node connected\n",
				as);
			return -ENOENT;
		}
	}
	snprintf(p, sizeof(p), "%u", port);
	if (inet_pton_with_scope(&init_net, AF_UNSPEC, ip, p, &dst))
		goto bad;
	mutex_lock(&flood_lock);
	pr_info("test_flood: %u half-open connects to %pISpc, %u at a time, held %u ms%s\n",
		n, &dst, parallel, hold_ms,
		session ? ", under our relationship's session" : "");
	flood_run(&dst, n, parallel, hold_ms, session);
	mutex_unlock(&flood_lock);
	return count;
bad:
	pr_warn("test_flood: expected \"<ip> <port> <count 1-%d> <parallel 1-%d> <hold ms 0-%d> [<peer>]\"\n",
		FLOOD_MAX_COUNT, FLOOD_MAX_PARALLEL, FLOOD_MAX_HOLD_MS);
	return -EINVAL;
}

static ssize_t flood_read(struct file *file, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	return rs_test_read_result(&flood_lock, flood_result, ubuf, count,
				   ppos);
}

static const struct file_operations flood_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= flood_read,
	.write	= flood_write,
	.llseek	= default_llseek,
};

void krdma_auth_test_init(struct dentry *dir)
{
	debugfs_create_u8("test_auth_mode", 0600, dir,
			  &krdma_test_hooks.auth_mode);
	debugfs_create_u8("test_hello_replay", 0600, dir,
			  &krdma_test_hooks.hello_replay);
	debugfs_create_bool("test_early_request", 0600, dir,
			    &krdma_test_hooks.early_request);
	debugfs_create_file("test_flood", 0600, dir, NULL, &flood_fops);
}

/* After the files are gone: no hook of ours stays set. */
void krdma_auth_test_exit(void)
{
	WRITE_ONCE(krdma_test_hooks.auth_mode, 0);
	WRITE_ONCE(krdma_test_hooks.hello_replay, 0);
	WRITE_ONCE(krdma_test_hooks.hello_kept, false);
	WRITE_ONCE(krdma_test_hooks.early_request, false);
}
