// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: negative controls, for tests (/sys/kernel/debug/krdma/, not ABI).
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
 * flipped since the module loaded>" (dropped=<WRITEs> for the other).
 * Both are off (0) at load; arming is logged.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/scatterlist.h>

#include "rackswap.h"
#include "krdma-priv.h"

struct krdma_neg krdma_neg_flip = {
	.left	= ATOMIC_INIT(0),
	.acted	= ATOMIC64_INIT(0),
	.name	= "test_flip_reads",
	.verb	= "flipped",
	.what	= "RDMA READs get one bit flipped",
};

struct krdma_neg krdma_neg_drop = {
	.left	= ATOMIC_INIT(0),
	.acted	= ATOMIC64_INIT(0),
	.name	= "test_drop_writes",
	.verb	= "dropped",
	.what	= "RDMA WRITEs are acknowledged without being done",
};

/*
 * Flips the lowest bit of the byte in the middle of @io's first entry.
 * After the unmap: the CPU owns the buffer, the caller has not seen it.
 */
void krdma_neg_flip_bit(struct krdma_io *io)
{
	struct scatterlist *sg = io->sg;
	size_t off = sg->offset + sg->length / 2;
	struct page *page = nth_page(sg_page(sg), off >> PAGE_SHIFT);
	u8 *p;

	p = kmap_local_page(page);
	p[offset_in_page(off)] ^= 1;
	kunmap_local(p);
	flush_dcache_page(page);
}

static ssize_t neg_write(struct file *file, const char __user *ubuf,
			 size_t count, loff_t *ppos)
{
	struct krdma_neg *neg = file->private_data;
	unsigned int n;
	int ret;

	ret = kstrtouint_from_user(ubuf, count, 10, &n);
	if (ret || n > INT_MAX) {
		pr_warn("%s: expected a count of I/Os, 0-%d\n", neg->name,
			INT_MAX);
		return -EINVAL;
	}
	atomic_set(&neg->left, n);
	if (n)
		pr_notice("%s: armed: the next %u %s\n", neg->name, n,
			  neg->what);
	else
		pr_notice("%s: disarmed\n", neg->name);
	return count;
}

static ssize_t neg_read(struct file *file, char __user *ubuf, size_t count,
			loff_t *ppos)
{
	struct krdma_neg *neg = file->private_data;
	char buf[64];
	int len;

	len = scnprintf(buf, sizeof(buf), "left=%d %s=%lld\n",
			atomic_read(&neg->left), neg->verb,
			(long long)atomic64_read(&neg->acted));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations neg_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= neg_read,
	.write	= neg_write,
	.llseek	= default_llseek,
};

void krdma_neg_debugfs_init(struct dentry *dir)
{
	debugfs_create_file(krdma_neg_flip.name, 0600, dir, &krdma_neg_flip,
			    &neg_fops);
	debugfs_create_file(krdma_neg_drop.name, 0600, dir, &krdma_neg_drop,
			    &neg_fops);
}
