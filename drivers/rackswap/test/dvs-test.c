// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: test interface (debugfs, not ABI). /sys/kernel/debug/rackswap_test/dvs/
 * space takes one command per write and reads back the last result:
 *
 *   create <size> <rdma|dram> [<copies>]
 *				one test space (K/M/G suffixes), each slab
 *				in @copies copies (default 1), with the
 *				settings of the files below
 *   fill <timeout_ms>		wait for its pool to hold its target
 *   write <off> <len> <seed> [<io> [<wait_ms>]]
 *				the pattern of @seed in I/Os of @io bytes
 *				(default 1M); an I/O refused with -ENOSPC
 *				(empty pool) is tried again for @wait_ms,
 *				one refused with -EBUSY (a rebuild copies
 *				its range) at once
 *   read <off> <len> <seed> [<io>]	verify every word (seed 0: zeros)
 *   discard <off> <len>
 *   destroy
 *   rogue <peer id> <slab id>	send that donor peer DVS requests it must
 *				refuse (dvs-rogue.c); <slab id>: a slab it
 *				granted to another peer; "ok <refused>
 *				<sent> <dropped> <unknown>"
 *   flip <n|all>		as a donor: one bit flipped in every page
 *				of the n-th slab this node donates (0 the
 *				first granted) or of all of them, whoever
 *				holds them; "ok <slabs> <pages>"
 *   scan <marker>		as a donor: counts the places where the bytes
 *				of <marker> (1-31 of them) lie in a page of a
 *				slab this node donates, any client's, read
 *				with the CPU; "ok <hits> <slabs> <pages>"
 *
 * slab_size, pool_min, pool_max and release_delay_s hold the settings of
 * the next create (struct dvs_space_config; read: the value, write: a new
 * one, K/M/G suffixes for slab_size; the defaults of
 * dvs_space_config_init()). Each write checks its own range (-EINVAL and a
 * log line); create checks them together (pool_min <= pool_max).
 *
 * donor_sums reads one line per slab this node donates: "<peer id> <slab
 * id> <bytes> <crc32 of its pages>".
 *
 * skip_verify (Y/N, default N): page integrity off: dvs computes no sums
 * for the pages it writes (their sums cleared: never checked) and does not
 * check the pages its reads bring back (the negative controls corrupt them
 * below dvs, for the suite's own data checks to find; make bench measures
 * the data path without integrity).
 *
 * test_alloc_lie takes "<peer id> <count>": this node's next <count> ALLOC
 * answers to that peer name their first chunk's grant for their last one
 * too (dvs's test hook); a client must refuse them. Read: "peer=<id>
 * left=<answers still to lie>". 0 (and unloading) disarms.
 *
 * Results: "ok <ios> <us> <enospc retries>", "bad <words> <first bad
 * offset>" or "error <errno> <offset>".
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dvs/dvs-priv.h"
#include "test.h"

/* The test buffer: 16 entries of 128 KiB, so one I/O of 2 MiB fits. */
#define DVS_TEST_ORDER	5
#define DVS_TEST_ENTRY	(PAGE_SIZE << DVS_TEST_ORDER)

static struct {
	struct mutex		lock;	/* everything below */
	struct dvs_space	*space;
	/* the settings of the next create; backend and copies unused */
	struct dvs_space_config	cfg;
	struct page		*buf[KRDMA_IO_MAX_SGE];
	char			result[96];
} dvs_test = {
	.lock = __MUTEX_INITIALIZER(dvs_test.lock),
};

static struct dentry *dvs_test_dir;

struct dvs_test_io {
	struct dvs_io		io;
	struct completion	done;
	int			status;
	struct scatterlist	sg[KRDMA_IO_MAX_SGE];
};

static void dvs_test_done(struct dvs_io *io, int status)
{
	struct dvs_test_io *t = container_of(io, struct dvs_test_io, io);

	t->status = status;
	complete(&t->done);
}

static u64 dvs_test_word(u64 seed, u64 off)
{
	if (!seed)
		return 0;
	return (seed * 0x9e3779b97f4a7c15ULL) ^ off ^ (off << 29);
}

/* Fills (or checks, counting bad words) @len bytes at space offset @off. */
static u64 dvs_test_pattern(u64 seed, u64 off, u32 len, bool fill,
			    u64 *first_bad)
{
	u64 bad = 0;
	u32 done = 0;
	int e = 0;

	while (done < len) {
		u32 n = min_t(u32, len - done, DVS_TEST_ENTRY), i;
		u64 *w = page_address(dvs_test.buf[e++]);

		for (i = 0; i < n / 8; i++) {
			u64 want = dvs_test_word(seed, off + done + 8 * i);

			if (fill) {
				w[i] = want;
			} else if (w[i] != want) {
				if (!bad++)
					*first_bad = off + done + 8 * i;
			}
		}
		done += n;
	}
	return bad;
}

/* One synchronous I/O of the test buffer. */
static int dvs_test_io(u64 off, u32 len, bool write)
{
	struct dvs_test_io *t;
	u32 done = 0;
	int n = 0, ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	sg_init_table(t->sg, KRDMA_IO_MAX_SGE);
	while (done < len) {
		u32 l = min_t(u32, len - done, DVS_TEST_ENTRY);

		sg_set_page(&t->sg[n], dvs_test.buf[n], l, 0);
		n++;
		done += l;
	}
	sg_mark_end(&t->sg[n - 1]);
	init_completion(&t->done);
	t->io.offset = off;
	t->io.len = len;
	t->io.sg = t->sg;
	t->io.nents = n;
	t->io.write = write;
	t->io.deadline = jiffies + 30 * HZ;
	t->io.done = dvs_test_done;
	ret = dvs_io_submit(dvs_test.space, &t->io);
	if (!ret) {
		wait_for_completion(&t->done);
		ret = t->status;
	}
	kfree(t);
	return ret;
}

/* write / read: I/Os of at most @io bytes that never cross a slab. */
static void dvs_test_rw(u64 off, u64 len, u64 seed, u64 io, bool write,
			u64 wait_ms)
{
	u64 slab = dvs_slab_size_of(dvs_test.space), end = off + len;
	u64 bad = 0, first_bad = 0, ios = 0, t0 = ktime_get_ns();
	u64 retries = 0;
	unsigned long until;
	int ret, again;

	while (off < end) {
		u32 n = min3(end - off, io, slab - (off & (slab - 1)));

		if (write)
			dvs_test_pattern(seed, off, n, true, NULL);
		until = jiffies + msecs_to_jiffies(wait_ms);
		again = 0;
		/* -EAGAIN: the slab was lost under the write, it goes again */
		while ((ret = dvs_test_io(off, n, write)) == -EBUSY ||
		       (ret == -EAGAIN && ++again < 4) ||
		       (ret == -ENOSPC && time_before(jiffies, until))) {
			retries++;
			usleep_range(500, 1000);
		}
		if (ret) {
			snprintf(dvs_test.result, sizeof(dvs_test.result),
				 "error %d %llu\n", ret, off);
			return;
		}
		if (!write) {
			u64 fb = 0, b = dvs_test_pattern(seed, off, n, false,
							 &fb);

			if (b && !bad)
				first_bad = fb;
			bad += b;
		}
		ios++;
		off += n;
	}
	if (bad)
		snprintf(dvs_test.result, sizeof(dvs_test.result),
			 "bad %llu %llu\n", bad, first_bad);
	else
		snprintf(dvs_test.result, sizeof(dvs_test.result),
			 "ok %llu %llu %llu\n", ios,
			 div_u64(ktime_get_ns() - t0, 1000), retries);
}

static void dvs_test_free_buf(void)
{
	int i;

	for (i = 0; i < KRDMA_IO_MAX_SGE; i++) {
		if (dvs_test.buf[i])
			__free_pages(dvs_test.buf[i], DVS_TEST_ORDER);
		dvs_test.buf[i] = NULL;
	}
}

static int dvs_test_create(const char *sizestr, const char *backend,
			   unsigned int copies)
{
	struct dvs_space_config c = dvs_test.cfg;
	struct dvs_space *s;
	u64 size;
	int i, ret;

	if (rackswap_parse_size(sizestr, &size)) {
		pr_warn("dvs test: create: size '%s' is not a byte count\n",
			sizestr);
		return -EINVAL;
	}
	if (!strcmp(backend, "rdma")) {
		c.backend = DVS_BACKEND_RDMA;
	} else if (!strcmp(backend, "dram")) {
		c.backend = DVS_BACKEND_DRAM;
	} else {
		pr_warn("dvs test: create: backend '%s' is not rdma or dram\n",
			backend);
		return -EINVAL;
	}
	c.copies = copies;
	ret = dvs_space_config_check(&c, "dvs test");
	if (ret)
		return ret;
	if (dvs_test.space) {
		pr_warn("dvs test: create: a test space exists: destroy it first\n");
		return -EBUSY;
	}
	for (i = 0; i < KRDMA_IO_MAX_SGE; i++) {
		dvs_test.buf[i] = alloc_pages(GFP_KERNEL, DVS_TEST_ORDER);
		if (!dvs_test.buf[i]) {
			ret = -ENOMEM;
			goto err_buf;
		}
	}
	s = dvs_space_create(size, &c);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		goto err_buf;
	}
	dvs_test.space = s;
	return 0;

err_buf:
	dvs_test_free_buf();
	return ret;
}

static void dvs_test_destroy(void)
{
	if (!dvs_test.space)
		return;
	dvs_space_destroy(dvs_test.space);
	dvs_test.space = NULL;
	dvs_test_free_buf();
}

/* one bit flipped: the lowest of the byte in the middle of @page */
static void dvs_test_flip_page(u8 *page, void *arg)
{
	page[PAGE_SIZE / 2] ^= 1;
}

/* flip <n|all>: corrupts this donor's memory (dvs_donor_walk()) */
static int dvs_test_flip(const char *which)
{
	u64 slabs, pages;
	int nth = -1, ret;

	if (strcmp(which, "all") && kstrtoint(which, 10, &nth)) {
		pr_warn("dvs test: flip: '%s' is not a slab number or all\n",
			which);
		return -EINVAL;
	}
	if (nth < -1 || (nth == -1 && strcmp(which, "all"))) {
		pr_warn("dvs test: flip: slab %d is not 0 or more\n", nth);
		return -EINVAL;
	}
	ret = dvs_donor_walk(nth, dvs_test_flip_page, NULL, &slabs, &pages);
	if (ret) {
		pr_warn("dvs test: flip %s: no such slab donated\n", which);
		return ret;
	}
	pr_info("dvs test: flip %s: one bit flipped in each of %llu pages of %llu slab(s)\n",
		which, pages, slabs);
	snprintf(dvs_test.result, sizeof(dvs_test.result), "ok %llu %llu\n",
		 slabs, pages);
	return 1;	/* the result is set */
}

struct dvs_test_scan {
	const char	*marker;
	size_t		len;
	u64		hits;
};

/* counts the places in @page where the marker starts */
static void dvs_test_scan_page(u8 *page, void *arg)
{
	struct dvs_test_scan *sc = arg;
	u8 *p = page, *end = page + PAGE_SIZE - sc->len + 1;

	while (p < end && (p = memchr(p, sc->marker[0], end - p))) {
		if (!memcmp(p, sc->marker, sc->len))
			sc->hits++;
		p++;
	}
}

/* scan <marker>: looks for it in this donor's memory (dvs_donor_walk()) */
static int dvs_test_scan(const char *marker)
{
	struct dvs_test_scan sc = { .marker = marker, .len = strlen(marker) };
	u64 slabs, pages;
	int ret;

	ret = dvs_donor_walk(-1, dvs_test_scan_page, &sc, &slabs, &pages);
	if (ret) {
		pr_warn("dvs test: scan: no slab donated\n");
		return ret;
	}
	pr_info("dvs test: scan: %llu hit(s) of a marker of %zu bytes in %llu pages of %llu slab(s)\n",
		sc.hits, sc.len, pages, slabs);
	snprintf(dvs_test.result, sizeof(dvs_test.result), "ok %llu %llu %llu\n",
		 sc.hits, slabs, pages);
	return 1;	/* the result is set */
}

static int dvs_test_cmd(char *cmd)
{
	u64 a[5] = { 0, 0, 0, SZ_1M, 0 };
	char verb[16], s1[32], s2[16];
	unsigned int copies = 1;
	int n;

	n = sscanf(cmd, "%15s %31s %15s %u", verb, s1, s2, &copies);
	if (n < 1)
		return -EINVAL;
	if (!strcmp(verb, "create"))
		return n >= 3 ? dvs_test_create(s1, s2, copies) : -EINVAL;
	if (!strcmp(verb, "destroy")) {
		dvs_test_destroy();
		return 0;
	}
	if (!strcmp(verb, "flip"))
		return n == 2 ? dvs_test_flip(s1) : -EINVAL;
	if (!strcmp(verb, "scan"))
		return n == 2 ? dvs_test_scan(s1) : -EINVAL;
	if (!strcmp(verb, "rogue")) {
		int id, ret;
		u32 foreign;

		if (sscanf(cmd, "%15s %d %u", verb, &id, &foreign) != 3)
			return -EINVAL;
		ret = dvs_rogue_run(id, foreign, dvs_test.result,
				    sizeof(dvs_test.result));
		return ret ? ret : 1;	/* the result is set */
	}
	if (!dvs_test.space)
		return -ENODEV;
	n = sscanf(cmd, "%15s %llu %llu %llu %llu %llu", verb, &a[0], &a[1],
		   &a[2], &a[3], &a[4]);
	if (!strcmp(verb, "fill") && n == 2)
		return dvs_space_fill_wait(dvs_test.space, a[0]);
	if (!strcmp(verb, "discard") && n == 3)
		return dvs_discard(dvs_test.space, a[0], a[1]);
	if ((!strcmp(verb, "write") || !strcmp(verb, "read")) && n >= 4) {
		if (!a[3] || a[3] > DVS_CHUNK_SIZE || a[3] % PAGE_SIZE)
			return -EINVAL;
		dvs_test_rw(a[0], a[1], a[2], a[3], verb[0] == 'w', a[4]);
		return 1;	/* the result is set */
	}
	return -EINVAL;
}

static ssize_t dvs_test_write(struct file *file, const char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[128];
	int ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	strim(buf);
	mutex_lock(&dvs_test.lock);
	ret = dvs_test_cmd(buf);
	if (ret <= 0)
		snprintf(dvs_test.result, sizeof(dvs_test.result), "%s %d\n",
			 ret ? "error" : "ok", ret);
	mutex_unlock(&dvs_test.lock);
	return ret < 0 ? ret : count;
}

static ssize_t dvs_test_read(struct file *file, char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	return rs_test_read_result(&dvs_test.lock, dvs_test.result, ubuf, count,
				 ppos);
}

static const struct file_operations dvs_test_fops = {
	.owner = THIS_MODULE,
	.write = dvs_test_write,
	.read = dvs_test_read,
	.llseek = default_llseek,
};

/* A setting of the next create: one file each. */
struct dvs_test_setting {
	const char	*name;
	u64		max;
	bool		size;	/* K/M/G suffixes, a power of two from 2M */
};

enum {
	DVS_SET_SLAB_SIZE,
	DVS_SET_POOL_MIN,
	DVS_SET_POOL_MAX,
	DVS_SET_RELEASE_DELAY,
	DVS_SET_NR
};

static const struct dvs_test_setting dvs_test_settings[DVS_SET_NR] = {
	[DVS_SET_SLAB_SIZE]	= { "slab_size", DVS_SLAB_SIZE_MAX, true },
	[DVS_SET_POOL_MIN]	= { "pool_min", DVS_POOL_LIMIT },
	[DVS_SET_POOL_MAX]	= { "pool_max", DVS_POOL_LIMIT },
	[DVS_SET_RELEASE_DELAY]	= { "release_delay_s", DVS_RELEASE_DELAY_MAX },
};

/* Setting @i of the next create. dvs_test.lock held. */
static u64 dvs_setting_get(int i)
{
	switch (i) {
	case DVS_SET_SLAB_SIZE:
		return dvs_test.cfg.slab_size;
	case DVS_SET_POOL_MIN:
		return dvs_test.cfg.pool_min;
	case DVS_SET_POOL_MAX:
		return dvs_test.cfg.pool_max;
	default:
		return dvs_test.cfg.release_delay_s;
	}
}

/* Sets setting @i to @v, in its range. dvs_test.lock held. */
static void dvs_setting_set(int i, u64 v)
{
	switch (i) {
	case DVS_SET_SLAB_SIZE:
		dvs_test.cfg.slab_size = v;
		break;
	case DVS_SET_POOL_MIN:
		dvs_test.cfg.pool_min = v;
		break;
	case DVS_SET_POOL_MAX:
		dvs_test.cfg.pool_max = v;
		break;
	default:
		dvs_test.cfg.release_delay_s = v;
	}
}

static ssize_t dvs_setting_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	int i = (long)file->private_data;
	const struct dvs_test_setting *st = &dvs_test_settings[i];
	char buf[32];
	u64 v;
	int ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	strim(buf);
	if (st->size)
		ret = rackswap_parse_size(buf, &v);
	else
		ret = kstrtou64(buf, 10, &v);
	if (ret || (st->size ? dvs_slab_size_valid(v) : v > st->max)) {
		if (st->size)
			pr_warn("dvs test: slab_size '%s' is not a power of two from 2M to 512M\n",
				buf);
		else
			pr_warn("dvs test: %s '%s' is not 0-%llu\n", st->name,
				buf, st->max);
		return -EINVAL;
	}
	mutex_lock(&dvs_test.lock);
	dvs_setting_set(i, v);
	mutex_unlock(&dvs_test.lock);
	return count;
}

static ssize_t dvs_setting_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	int i = (long)file->private_data;
	char buf[32];
	u64 v;
	int n;

	mutex_lock(&dvs_test.lock);
	v = dvs_setting_get(i);
	mutex_unlock(&dvs_test.lock);
	n = scnprintf(buf, sizeof(buf), "%llu\n", v);
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations dvs_setting_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = dvs_setting_write,
	.read = dvs_setting_read,
	.llseek = default_llseek,
};

static int donor_sums_show(struct seq_file *m, void *v)
{
	dvs_donor_sums(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(donor_sums);

static ssize_t alloc_lie_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[32];
	int id, n, ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(buf, "%d %d", &id, &n) != 2 || n < 0) {
		pr_warn("dvs test: test_alloc_lie: expected \"<peer id> <count>\"\n");
		return -EINVAL;
	}
	WRITE_ONCE(dvs_test_hooks.alloc_lie_peer, id);
	atomic_set(&dvs_test_hooks.alloc_lies, n);
	pr_notice("dvs test: the next %d ALLOC answers to peer %d lie\n", n,
		  id);
	return count;
}

static ssize_t alloc_lie_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[48];
	int n;

	n = scnprintf(buf, sizeof(buf), "peer=%d left=%d\n",
		      READ_ONCE(dvs_test_hooks.alloc_lie_peer),
		      atomic_read(&dvs_test_hooks.alloc_lies));
	return simple_read_from_buffer(ubuf, count, ppos, buf, n);
}

static const struct file_operations alloc_lie_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = alloc_lie_write,
	.read = alloc_lie_read,
	.llseek = default_llseek,
};

void dvs_test_init(struct dentry *dir)
{
	long i;

	dvs_test_dir = dir;
	dvs_space_config_init(&dvs_test.cfg);
	debugfs_create_file("space", 0600, dvs_test_dir, NULL, &dvs_test_fops);
	for (i = 0; i < DVS_SET_NR; i++)
		debugfs_create_file(dvs_test_settings[i].name, 0600,
				    dvs_test_dir, (void *)i, &dvs_setting_fops);
	debugfs_create_file("donor_sums", 0400, dvs_test_dir, NULL,
			    &donor_sums_fops);
	debugfs_create_bool("skip_verify", 0600, dvs_test_dir,
			    &dvs_test_hooks.skip_verify);
	debugfs_create_file("test_alloc_lie", 0600, dvs_test_dir, NULL,
			    &alloc_lie_fops);
}

void dvs_test_exit(void)
{
	atomic_set(&dvs_test_hooks.alloc_lies, 0);
	mutex_lock(&dvs_test.lock);
	dvs_test_destroy();
	mutex_unlock(&dvs_test.lock);
	WRITE_ONCE(dvs_test_hooks.skip_verify, false);
}
