// SPDX-License-Identifier: GPL-2.0
/*
 * krdma RPC tests, in /sys/kernel/debug/rackswap_test/krdma/:
 *
 *   rpc_test			"<peer id> <threads> <calls per thread>
 *				<payload bytes>": echo RPCs from many threads,
 *				payloads verified; read it for the results
 *   test_send_bad		"<peer id> <kind>": send a peer a malformed
 *				message (len|short|op|slot|response|hello|
 *				replay|dup); it must close the connection
 *   test_call_op		"<peer id> <op>": call an op with no handler
 *   test_proto_major		advertise another protocol major
 *   test_incarnation		connect as another incarnation
 *   test_handler_delay_ms	slow the request handlers down
 *   loopback			1: this node may connect to itself
 *   test_grants_lie		"<peer id> dup|more|count|off": this node's
 *				GRANTS answers to that peer lie so (the
 *				last grant twice, `more` on a message not
 *				full, a count beyond the grants sent); a
 *				client must refuse them. Read: "peer=<id>
 *				lie=<kind>"
 *
 * The last five are krdma's test hooks (krdma-priv.h).
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "fault.h"
#include "test.h"

static int rs_test_echo_handler(struct krdma_peer *peer, const void *req,
				u32 len, void *resp, u32 *resp_len)
{
	if (len > *resp_len)
		return -EMSGSIZE;
	memcpy(resp, req, len);
	*resp_len = len;
	return 0;
}

/* --- rpc_test: "<peer id> <threads> <calls per thread> <payload bytes>" --- */

#define RPC_TEST_MAX_THREADS	64
#define RPC_TEST_MAX_CALLS	(1024 * 1024)	/* in all */

struct rpc_test {
	struct krdma_peer	*peer;
	u32			size;
	u32			calls;	/* per thread */
	u32			*lat_us; /* threads * calls */
	u32			*made;	/* calls each thread made */
	atomic64_t		ok;
	atomic64_t		errors;
	atomic64_t		mismatches;
	atomic_t		running;
	struct completion	done;
	int			first_error;
};

struct rpc_test_thread {
	struct rpc_test		*t;
	int			index;
};

static DEFINE_MUTEX(rpc_test_lock);	/* one test at a time; last_result */
static char rpc_test_result[256] = "no test run yet\n";

static int rpc_test_fn(void *arg)
{
	struct rpc_test_thread *th = arg;
	struct rpc_test *t = th->t;
	u8 *req, *resp;
	u32 i = 0, len;
	int ret;

	req = rs_kmalloc(t->size + 1, GFP_KERNEL);
	resp = rs_kmalloc(t->size + 1, GFP_KERNEL);
	if (!req || !resp) {
		atomic64_add(t->calls, &t->errors);
		goto out;
	}
	for (i = 0; i < t->calls; i++) {
		u64 t0 = ktime_get_ns();

		get_random_bytes(req, t->size);
		memset(resp, 0, t->size);
		ret = krdma_call(t->peer, RS_TEST_OP_ECHO, req, t->size, resp,
				 t->size, &len, 0);
		t->lat_us[th->index * t->calls + i] =
			div_u64(ktime_get_ns() - t0, NSEC_PER_USEC);
		if (ret) {
			atomic64_inc(&t->errors);
			cmpxchg(&t->first_error, 0, ret);
			if (ret == -ENOTCONN)	/* the rest would fail at once */
				break;
		} else if (len != t->size || memcmp(req, resp, t->size)) {
			atomic64_inc(&t->mismatches);
			pr_warn_ratelimited("rpc_test: call %u of thread %d: %u bytes back, %u sent%s\n",
					    i, th->index, len, t->size,
					    len == t->size ? ", contents differ" : "");
		} else {
			atomic64_inc(&t->ok);
		}
	}
out:
	t->made[th->index] = i;
	kfree(req);
	kfree(resp);
	kfree(th);
	/* the last one: no code of this module runs after the wake-up */
	if (atomic_dec_and_test(&t->running))
		kthread_complete_and_exit(&t->done, 0);
	return 0;
}

static int rpc_test_run(int id, u32 threads, u32 calls, u32 size)
{
	struct rpc_test *t;
	u64 t0, elapsed, n;
	u32 i, started = 0;
	int ret;

	t = rs_kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->peer = krdma_peer_get(id);
	if (!t->peer) {
		pr_warn("rpc_test: no peer %d\n", id);
		ret = -ENOENT;
		goto out_free;
	}
	t->size = size;
	t->calls = calls;
	t->lat_us = rs_kvcalloc(threads * calls, sizeof(u32), GFP_KERNEL);
	t->made = rs_kcalloc(threads, sizeof(u32), GFP_KERNEL);
	if (!t->lat_us || !t->made) {
		ret = -ENOMEM;
		goto out_put;
	}
	init_completion(&t->done);
	atomic_set(&t->running, 1);
	t0 = ktime_get_ns();
	for (i = 0; i < threads; i++) {
		struct rpc_test_thread *th = rs_kzalloc(sizeof(*th), GFP_KERNEL);
		struct task_struct *task;

		if (!th)
			break;
		th->t = t;
		th->index = i;
		atomic_inc(&t->running);
		task = kthread_run(rpc_test_fn, th, "krdma_rpc_test/%u", i);
		if (IS_ERR(task)) {
			atomic_dec(&t->running);
			kfree(th);
			break;
		}
		started++;
	}
	/* every call is bounded by its deadline: so is this wait */
	if (!atomic_dec_and_test(&t->running))
		rs_test_wait_run(&t->done);
	elapsed = ktime_get_ns() - t0;

	/* the latencies of the calls made, packed, sorted */
	for (n = 0, i = 0; i < started; i++) {
		memmove(t->lat_us + n, t->lat_us + (u64)i * calls,
			t->made[i] * sizeof(u32));
		n += t->made[i];
	}
	sort(t->lat_us, n, sizeof(u32), rs_test_cmp_u32, NULL);
	snprintf(rpc_test_result, sizeof(rpc_test_result),
		 "peer=%d threads=%u calls=%llu size=%u ok=%lld errors=%lld mismatches=%lld p50_us=%u p99_us=%u max_us=%u calls_per_s=%llu first_error=%d\n",
		 id, started, n, size,
		 (long long)atomic64_read(&t->ok),
		 (long long)atomic64_read(&t->errors),
		 (long long)atomic64_read(&t->mismatches),
		 n ? t->lat_us[n / 2] : 0,
		 n ? t->lat_us[n * 99 / 100] : 0,
		 n ? t->lat_us[n - 1] : 0,
		 elapsed ? div64_u64(n * NSEC_PER_SEC, elapsed) : 0,
		 t->first_error);
	ret = started < threads ? -ENOMEM :
	      (atomic64_read(&t->ok) == n ? 0 : -EIO);
out_put:
	kvfree(t->lat_us);
	kfree(t->made);
	krdma_peer_put(t->peer);
out_free:
	kfree(t);
	return ret;
}

static ssize_t rpc_test_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	u32 threads, calls, size;
	char buf[64];
	int id, ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(buf, "%d %u %u %u", &id, &threads, &calls, &size) != 4 ||
	    threads < 1 || threads > RPC_TEST_MAX_THREADS || calls < 1 ||
	    calls > RPC_TEST_MAX_CALLS / threads || size > KRDMA_MAX_PAYLOAD) {
		pr_warn("rpc_test: expected \"<peer id> <threads 1-%d> <calls per thread> <bytes 0-%zu>\"\n",
			RPC_TEST_MAX_THREADS, KRDMA_MAX_PAYLOAD);
		return -EINVAL;
	}
	mutex_lock(&rpc_test_lock);
	ret = rpc_test_run(id, threads, calls, size);
	mutex_unlock(&rpc_test_lock);
	return ret ? ret : count;
}

static ssize_t rpc_test_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	return rs_test_read_result(&rpc_test_lock, rpc_test_result, ubuf, count,
				 ppos);
}

static const struct file_operations rpc_test_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= rpc_test_read,
	.write	= rpc_test_write,
	.llseek	= default_llseek,
};

/*
 * Two ECHO requests on one slot of ours, posted together from
 * its buffer (the second at offset @second): the same generation twice
 * (@replay: the second is a replay), else the next one (a second request
 * on a slot still in service, when the receiver's handlers are slowed
 * down by test_handler_delay_ms). The slot expects the answer to the
 * first, so that one is taken as any; the receiver must refuse the second
 * and close the connection.
 */
static int krdma_test_send_pair(struct krdma_peer *peer, bool replay)
{
	const u32 second = KRDMA_MSG_SIZE / 2;
	struct krdma_buf *b, *hb = &peer->send[KRDMA_HELLO_BUF];
	struct ib_sge sge[2] = {};
	struct ib_send_wr wr[2] = {};
	struct krdma_msg_hdr *hdr2;
	struct krdma_slot *slot;
	unsigned long flags;
	int s, i, ret = -ENOTCONN;
	u16 gen;

	s = krdma_get_slot(peer);
	if (s < 0)
		return s;
	slot = &peer->slots[s];
	b = &peer->send[s];
	hdr2 = b->data + second;
	for (i = 0; i < 2; i++) {
		sge[i].addr = b->dma + i * second;
		sge[i].length = sizeof(struct krdma_msg_hdr);
		sge[i].lkey = peer->pd->local_dma_lkey;
		/* the second's completion is the hello buffer's: ignored */
		wr[i].wr_cqe = i ? &hb->cqe : &b->cqe;
		wr[i].sg_list = &sge[i];
		wr[i].num_sge = 1;
		wr[i].opcode = IB_WR_SEND;
		wr[i].send_flags = IB_SEND_SIGNALED;
	}
	wr[0].next = &wr[1];

	spin_lock_irqsave(&peer->lock, flags);
	gen = slot->gen;
	krdma_fill_hdr(b, RS_TEST_OP_ECHO, 0, 0, s | (u32)gen << 16, 0);
	memcpy(hdr2, b->data, sizeof(*hdr2));
	if (!replay)
		gen++;
	hdr2->id = cpu_to_le32(s | (u32)gen << 16);
	slot->op = RS_TEST_OP_ECHO;
	slot->resp = NULL;
	slot->resp_max = 0;
	if (peer->state == KRDMA_LIVE) {
		ib_dma_sync_single_for_device(peer->dev, b->dma, KRDMA_MSG_SIZE,
					      DMA_TO_DEVICE);
		ret = ib_post_send(peer->qp, wr, NULL);
	}
	if (ret) {
		/* nothing in flight: the slot is free again */
		slot->send_done = true;
		slot->resp_done = true;
	}
	/* else the SEND's completion and the answer (or the reconnection) */
	slot->owned = false;
	krdma_slot_put_locked(peer, slot);
	spin_unlock_irqrestore(&peer->lock, flags);
	if (ret)
		wake_up(&peer->slot_wait);
	return ret;
}

/*
 * test_send_bad: sends @peer one message that breaks the protocol, from the
 * hello buffer (unused once live). The receiver must refuse it, log it and
 * close the connection.
 */
static int krdma_test_send_bad(struct krdma_peer *peer, const char *kind)
{
	struct krdma_buf *b = &peer->send[KRDMA_HELLO_BUF];
	u32 bytes = sizeof(struct krdma_msg_hdr);
	unsigned long flags;
	int ret = -ENOTCONN;

	if (!strcmp(kind, "replay"))		/* one request twice */
		return krdma_test_send_pair(peer, true);
	if (!strcmp(kind, "dup"))		/* a credit in use */
		return krdma_test_send_pair(peer, false);
	if (!strcmp(kind, "len")) {		/* length field past the bytes */
		krdma_fill_hdr(b, RS_TEST_OP_ECHO, 0, KRDMA_MAX_PAYLOAD, 0, 0);
	} else if (!strcmp(kind, "short")) {	/* shorter than a header */
		krdma_fill_hdr(b, RS_TEST_OP_ECHO, 0, 0, 0, 0);
		bytes = 8;
	} else if (!strcmp(kind, "op")) {	/* no such op */
		krdma_fill_hdr(b, KRDMA_OP_MAX + 1, 0, 0, 0, 0);
	} else if (!strcmp(kind, "slot")) {	/* a slot never granted */
		krdma_fill_hdr(b, RS_TEST_OP_ECHO, 0, 0, KRDMA_MAX_CREDITS + 7, 0);
	} else if (!strcmp(kind, "response")) {	/* answers no request */
		krdma_fill_hdr(b, RS_TEST_OP_ECHO, KRDMA_F_RESPONSE, 0,
			       0xffff0000 | 3, 0);
	} else if (!strcmp(kind, "hello")) {	/* a second hello */
		struct krdma_hello_msg *msg = b->data + bytes;

		memset(msg, 0, sizeof(*msg));
		strscpy(msg->name, "again", sizeof(msg->name));
		krdma_fill_hdr(b, KRDMA_OP_HELLO, 0, sizeof(*msg), 0, 0);
		bytes += sizeof(*msg);
	} else {
		return -EINVAL;
	}
	spin_lock_irqsave(&peer->lock, flags);
	if (peer->state == KRDMA_LIVE)
		ret = krdma_post_bytes_locked(peer, b, bytes);
	spin_unlock_irqrestore(&peer->lock, flags);
	return ret;
}

/* "<peer id> <kind>" for test_send_bad, "<peer id> <op>" for test_call_op */
static int parse_peer_arg(struct file *file, const char __user *ubuf,
			  size_t count, struct krdma_peer **peer, char *arg,
			  size_t argsz)
{
	char buf[64], fmt[24];
	int id, ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	snprintf(fmt, sizeof(fmt), "%%d %%%zus", argsz - 1);
	if (sscanf(buf, fmt, &id, arg) != 2)
		return -EINVAL;
	*peer = krdma_peer_get(id);
	return *peer ? 0 : -ENOENT;
}

static ssize_t test_send_bad_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct krdma_peer *peer = NULL;
	char kind[16];
	int ret;

	ret = parse_peer_arg(file, ubuf, count, &peer, kind, sizeof(kind));
	if (!ret)
		ret = krdma_test_send_bad(peer, kind);
	if (ret == -EINVAL || ret == -ENOENT)
		pr_warn("test_send_bad: expected \"<peer id> len|short|op|slot|response|hello|replay|dup\"\n");
	if (peer)
		krdma_peer_put(peer);
	return ret ? ret : count;
}

static ssize_t test_call_op_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct krdma_peer *peer = NULL;
	u8 req = 0, resp = 0;
	char opstr[8];
	u32 len;
	u16 op;
	int ret;

	ret = parse_peer_arg(file, ubuf, count, &peer, opstr, sizeof(opstr));
	if (!ret && kstrtou16(opstr, 10, &op))
		ret = -EINVAL;
	if (ret) {
		pr_warn("test_call_op: expected \"<peer id> <op>\" of a listed peer\n");
		goto out;
	}
	ret = krdma_call(peer, op, &req, sizeof(req), &resp, sizeof(resp),
			 &len, 0);
out:
	if (peer)
		krdma_peer_put(peer);
	return ret ? ret : count;
}

static const char * const grants_lies[KRDMA_LIE_MAX] = {
	[KRDMA_LIE_NONE]	= "off",
	[KRDMA_LIE_DUP]		= "dup",
	[KRDMA_LIE_MORE]	= "more",
	[KRDMA_LIE_COUNT]	= "count",
};

/* "<peer id> dup|more|count" arms a lie to a listed peer; "<any> off" */
static ssize_t test_grants_lie_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	struct krdma_peer *peer = NULL;
	char buf[64], kind[8];
	int id, lie, ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	lie = -EINVAL;
	if (sscanf(buf, "%d %7s", &id, kind) == 2)
		lie = match_string(grants_lies, KRDMA_LIE_MAX, kind);
	if (lie > KRDMA_LIE_NONE) {
		peer = krdma_peer_get(id);
		if (!peer)
			lie = -ENOENT;
	}
	if (lie < 0) {
		pr_warn("test_grants_lie: expected \"<peer id> dup|more|count\" of a listed peer, or \"<peer id> off\"\n");
		return lie;
	}
	WRITE_ONCE(krdma_test_hooks.grants_lie_peer, id);
	WRITE_ONCE(krdma_test_hooks.grants_lie, lie);
	pr_notice("test_grants_lie: GRANTS answers to peer %d: %s\n", id,
		  grants_lies[lie]);
	if (peer)
		krdma_peer_put(peer);
	return count;
}

static ssize_t test_grants_lie_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	u32 lie = READ_ONCE(krdma_test_hooks.grants_lie);
	char buf[48];
	int len;

	len = scnprintf(buf, sizeof(buf), "peer=%d lie=%s\n",
			READ_ONCE(krdma_test_hooks.grants_lie_peer),
			lie < KRDMA_LIE_MAX ? grants_lies[lie] : "?");
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations test_grants_lie_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= test_grants_lie_read,
	.write	= test_grants_lie_write,
	.llseek	= default_llseek,
};

static const struct file_operations test_send_bad_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= test_send_bad_write,
	.llseek	= noop_llseek,
};

static const struct file_operations test_call_op_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= test_call_op_write,
	.llseek	= noop_llseek,
};

int krdma_rpc_test_init(struct dentry *dir)
{
	int ret;

	ret = krdma_register_handler(RS_TEST_OP_ECHO, rs_test_echo_handler);
	if (ret)
		return ret;
	debugfs_create_file("rpc_test", 0600, dir, NULL, &rpc_test_fops);
	debugfs_create_u16("test_proto_major", 0600, dir,
			   &krdma_test_hooks.proto_major);
	debugfs_create_u64("test_incarnation", 0600, dir,
			   &krdma_test_hooks.incarnation);
	debugfs_create_u32("test_handler_delay_ms", 0600, dir,
			   &krdma_test_hooks.handler_delay_ms);
	debugfs_create_bool("loopback", 0600, dir, &krdma_test_hooks.loopback);
	debugfs_create_file("test_send_bad", 0200, dir, NULL,
			    &test_send_bad_fops);
	debugfs_create_file("test_call_op", 0200, dir, NULL,
			    &test_call_op_fops);
	debugfs_create_file("test_grants_lie", 0600, dir, NULL,
			    &test_grants_lie_fops);
	return 0;
}

/* After the files are gone: no knob of ours stays set. */
void krdma_rpc_test_exit(void)
{
	WRITE_ONCE(krdma_test_hooks.proto_major, 0);
	WRITE_ONCE(krdma_test_hooks.incarnation, 0);
	WRITE_ONCE(krdma_test_hooks.handler_delay_ms, 0);
	WRITE_ONCE(krdma_test_hooks.loopback, false);
	WRITE_ONCE(krdma_test_hooks.grants_lie, KRDMA_LIE_NONE);
	krdma_unregister_handler(RS_TEST_OP_ECHO);
}
