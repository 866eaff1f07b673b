/* SPDX-License-Identifier: GPL-2.0 */
/* rackswap: the optional local backing device of a block device (backing.c). */
#ifndef _RACKSWAP_BACKING_H
#define _RACKSWAP_BACKING_H

#include <linux/blk-mq.h>
#include <linux/workqueue.h>

struct rs_backing;
struct rs_bwrite;

int rs_backing_init(void);
void rs_backing_exit(void);

/* Opens @path for @holder: a block device, not @holder's own kind. */
struct rs_backing *rs_backing_open(const char *path, void *holder);
void rs_backing_close(struct rs_backing *b);
const char *rs_backing_path(const struct rs_backing *b);
struct block_device *rs_backing_bdev(const struct rs_backing *b);

/* Maps @size bytes (at sizing); stop waits for the writes in flight. */
int rs_backing_start(struct rs_backing *b, u64 size);
void rs_backing_stop(struct rs_backing *b);

/*
 * A write of @rq (@len bytes at @pos): prepare copies its data before the
 * request is submitted (NULL: skipped, its pages unbacked); after the
 * submission issue writes the copy, cancel drops it.
 */
struct rs_bwrite *rs_backing_write_prepare(struct rs_backing *b,
					   struct request *rq, u64 pos,
					   u32 len);
void rs_backing_write_issue(struct rs_bwrite *bw);
void rs_backing_write_cancel(struct rs_bwrite *bw);
void rs_backing_discard(struct rs_backing *b, u64 pos, u64 len);

/* Does the backing device hold the last write of every page of the range? */
bool rs_backing_covers(struct rs_backing *b, u64 pos, u32 len);
/* Reads @rq's pages from @pos of the backing device; may sleep. */
int rs_backing_read(struct rs_backing *b, struct request *rq, u64 pos);
/* Runs @work on the backing workqueue (WQ_MEM_RECLAIM). */
void rs_backing_queue(struct work_struct *work);

ssize_t rs_backing_stat(struct rs_backing *b, char *buf);

#endif /* _RACKSWAP_BACKING_H */
