// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: /sys/kernel/debug/krdma/, the RackMem-compatible control files and
 * diagnostics (not ABI; sysfs has the same operations):
 *
 *   connect, disconnect	as in sysfs ("<ip> <port>")
 *   peers			a table of the peers
 *   rpc_test			echo RPCs from many threads, payloads verified
 *   test_proto_major		advertise another protocol major (tests)
 *   test_incarnation		connect as another incarnation (tests)
 *   test_handler_delay_ms	slow the request handlers down (tests)
 *   test_send_bad		send a peer a malformed message (tests)
 *   test_call_op		call an op with no handler (tests)
 *
 * and the files of krdma-test.c (one-sided RDMA tests) and krdma-neg.c
 * (negative controls).
 */
#include <linux/debugfs.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "rackswap.h"
#include "krdma-priv.h"
#include "fault.h"

static struct dentry *krdma_dir;

/* The written bytes as a string in @buf; refused (logged) if they do not fit. */
int krdma_user_str(struct file *file, char *buf, size_t size,
		   const char __user *ubuf, size_t count)
{
	if (count >= size) {
		pr_warn("%pD: %zu bytes is too long\n", file, count);
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

static ssize_t krdma_ctl_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos,
			       int (*fn)(const char *, size_t))
{
	char buf[128];
	int ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	ret = fn(buf, count);
	return ret ? ret : count;
}

static ssize_t connect_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	return krdma_ctl_write(file, ubuf, count, ppos, krdma_connect_str);
}

static ssize_t disconnect_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	return krdma_ctl_write(file, ubuf, count, ppos, krdma_disconnect_str);
}

static const struct file_operations connect_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= connect_write,
	.llseek	= noop_llseek,
};

static const struct file_operations disconnect_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= disconnect_write,
	.llseek	= noop_llseek,
};

static int peers_show(struct seq_file *m, void *v)
{
	char addr[64];
	struct krdma_peer *p;

	seq_puts(m, "id dir state      name             address                 credits rtt_us rpcs_out rpcs_in errors\n");
	mutex_lock(&krdma.lock);
	list_for_each_entry(p, &krdma.peers, list) {
		/* no field width on %pIS: vsprintf pads the port in a small buffer */
		snprintf(addr, sizeof(addr), "%pISpc", &p->addr);
		seq_printf(m, "%-2d %-3s %-10s %-16s %-23s %7d %6u %8lld %7lld %6lld\n",
			   p->id, p->active ? "out" : "in",
			   krdma_state_name(READ_ONCE(p->state)),
			   p->name[0] ? p->name : "-", addr,
			   READ_ONCE(p->credits), READ_ONCE(p->rtt_us),
			   (long long)atomic64_read(&p->rpcs_out),
			   (long long)atomic64_read(&p->rpcs_in),
			   (long long)atomic64_read(&p->rpc_errors));
	}
	mutex_unlock(&krdma.lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(peers);

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
		ret = krdma_call(t->peer, KRDMA_OP_ECHO, req, t->size, resp,
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
	if (atomic_dec_and_test(&t->running))
		complete(&t->done);
	return 0;
}

/* sort() order of u32 values, for the latency percentiles */
int krdma_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
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
		krdma_wait_run(&t->done);
	elapsed = ktime_get_ns() - t0;

	/* the latencies of the calls made, packed, sorted */
	for (n = 0, i = 0; i < started; i++) {
		memmove(t->lat_us + n, t->lat_us + (u64)i * calls,
			t->made[i] * sizeof(u32));
		n += t->made[i];
	}
	sort(t->lat_us, n, sizeof(u32), krdma_cmp_u32, NULL);
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

/* Reads the string @result, which @lock protects. */
ssize_t krdma_read_result(struct mutex *lock, const char *result,
			  char __user *ubuf, size_t count, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, result,
				      strlen(result));
	mutex_unlock(lock);
	return ret;
}

static ssize_t rpc_test_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	return krdma_read_result(&rpc_test_lock, rpc_test_result, ubuf, count,
				 ppos);
}

static const struct file_operations rpc_test_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= rpc_test_read,
	.write	= rpc_test_write,
	.llseek	= default_llseek,
};

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

void krdma_debugfs_init(void)
{
	krdma_dir = debugfs_create_dir("krdma", NULL);
	debugfs_create_file("connect", 0200, krdma_dir, NULL, &connect_fops);
	debugfs_create_file("disconnect", 0200, krdma_dir, NULL,
			    &disconnect_fops);
	debugfs_create_file("peers", 0444, krdma_dir, NULL, &peers_fops);
	debugfs_create_file("rpc_test", 0600, krdma_dir, NULL, &rpc_test_fops);
	debugfs_create_u16("test_proto_major", 0600, krdma_dir,
			   &krdma_test_major);
	debugfs_create_u64("test_incarnation", 0600, krdma_dir,
			   &krdma_test_incarnation);
	debugfs_create_u32("test_handler_delay_ms", 0600, krdma_dir,
			   &krdma_test_handler_delay_ms);
	debugfs_create_file("test_send_bad", 0200, krdma_dir, NULL,
			    &test_send_bad_fops);
	debugfs_create_file("test_call_op", 0200, krdma_dir, NULL,
			    &test_call_op_fops);
	krdma_test_debugfs_init(krdma_dir);
	krdma_neg_debugfs_init(krdma_dir);
}

void krdma_debugfs_exit(void)
{
	debugfs_remove(krdma_dir);
	krdma_dir = NULL;
}
