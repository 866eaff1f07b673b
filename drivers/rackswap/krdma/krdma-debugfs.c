// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: /sys/kernel/debug/rackswap/krdma/, the RackMem-compatible control
 * files and a diagnostic (not ABI; sysfs has the same operations):
 *
 *   connect, disconnect	as in sysfs ("<ip> <port>")
 *   peers			a table of the peers
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "krdma-priv.h"

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
EXPORT_SYMBOL_IF_RS_TEST(krdma_user_str);

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

void krdma_debugfs_init(void)
{
	krdma_dir = debugfs_create_dir("krdma", rackswap_debugfs_root);
	debugfs_create_file("connect", 0200, krdma_dir, NULL, &connect_fops);
	debugfs_create_file("disconnect", 0200, krdma_dir, NULL,
			    &disconnect_fops);
	debugfs_create_file("peers", 0444, krdma_dir, NULL, &peers_fops);
}

void krdma_debugfs_exit(void)
{
	debugfs_remove(krdma_dir);
	krdma_dir = NULL;
}
