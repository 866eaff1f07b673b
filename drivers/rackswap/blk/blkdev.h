/* SPDX-License-Identifier: GPL-2.0 */
/* rackswap: the block devices (blkdev.c). */
#ifndef _RACKSWAP_BLKDEV_H
#define _RACKSWAP_BLKDEV_H

int rackswap_blkdev_init(void);
void rackswap_blkdev_exit(void);

#endif /* _RACKSWAP_BLKDEV_H */
