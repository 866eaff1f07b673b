// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: negative controls, for tests (in /sys/kernel/debug/rackswap_test/
 * krdma/, not ABI), the files of krdma's test hooks flip_reads and
 * drop_writes (krdma-priv.h).
 * Each makes krdma's one-sided I/O (krdma-io.c) lie to its callers, so
 * that a test shows its data checks fail when the data is wrong: every
 * user of krdma_io_submit() is hit (dvs's rdma backend, hence swap on
 * /dev/rackswapN; rdma_test).
 *
 *   test_flip_reads	write N: the next N RDMA READs that complete well
 *			get one bit of their data flipped before their
 *			caller sees it (krdma_io_finish())
 *   test_drop_writes	write N: the next N RDMA WRITEs are completed
 *			successfully without being posted: the remote
 *			memory keeps what it held (krdma_io_post())
 *
 * Writing 0 disarms. Read: "left=<I/Os still to act on> flipped=<READs
 * flipped since krdma loaded>" (dropped=<WRITEs> for the other).
 * Both are off (0) at load and when this module unloads; arming is logged.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>

#include "test.h"

/* One file of a negative control: its hook in krdma_test_hooks. */
struct neg_file {
	struct krdma_neg	*neg;
	const char		*name;	/* the debugfs file */
	const char		*verb;	/* what it did, in that file */
	const char		*what;	/* what it does, for the log */
};

static struct neg_file neg_files[] = {
	{
		.neg	= &krdma_test_hooks.flip_reads,
		.name	= "test_flip_reads",
		.verb	= "flipped",
		.what	= "RDMA READs get one bit flipped",
	}, {
		.neg	= &krdma_test_hooks.drop_writes,
		.name	= "test_drop_writes",
		.verb	= "dropped",
		.what	= "RDMA WRITEs are acknowledged without being done",
	},
};

static ssize_t neg_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct neg_file *nf = file->private_data;
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 10, &n);
	if (ret || n > INT_MAX) {
		pr_warn("%s: expected a count of I/Os, 0-%d\n", nf->name,
			INT_MAX);
		return -EINVAL;
	}
	atomic_set(&nf->neg->left, n);
	if (n)
		pr_notice("%s: armed: the next %u %s\n", nf->name, n,
			  nf->what);
	else
		pr_notice("%s: disarmed\n", nf->name);
	return count;
}

static ssize_t neg_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct neg_file *nf = file->private_data;
	char buf[64];
	int len;

	len = scnprintf(buf, sizeof(buf), "left=%d %s=%lld\n",
			atomic_read(&nf->neg->left), nf->verb,
			(long long)atomic64_read(&nf->neg->acted));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations neg_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= neg_read,
	.write	= neg_write,
	.llseek	= default_llseek,
};

void krdma_neg_init(struct dentry *dir)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(neg_files); i++)
		debugfs_create_file(neg_files[i].name, 0600, dir, &neg_files[i],
				    &neg_fops);
}

/* After the files are gone: the product modules stay honest. */
void krdma_neg_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(neg_files); i++)
		atomic_set(&neg_files[i].neg->left, 0);
}
