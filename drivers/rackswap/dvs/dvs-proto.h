/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dvs wire format: the slab RPCs a client sends a donor over krdma.
 * Little-endian, fixed layout. A slab is made of 2 MiB chunks, each one
 * krdma grant of the donor's; the response names the grants and krdma
 * fetches their keys (the layer above never sees one).
 */
#ifndef _RACKSWAP_DVS_PROTO_H
#define _RACKSWAP_DVS_PROTO_H

#include <linux/krdma.h>
#include <linux/types.h>

enum dvs_op {
	DVS_OP_ALLOC	= KRDMA_OP_FIRST_USER,	/* a zeroed slab for the caller */
	DVS_OP_FREE,				/* give one back */
	DVS_OP_STAT,				/* the donor's capacity */
};

/*
 * DVS_OP_ALLOC. Refusals are the call's result: -EACCES (donation
 * disabled: limit 0), -ENOSPC (over the limit), -ENOMEM (the donor's
 * memory is short), -EINVAL (bad slab size), -ESHUTDOWN (unloading).
 */
struct dvs_alloc_req {
	__le64	slab_size;
	/*
	 * 2.1: the caller's name for this request (never 0), so that it can
	 * free the slab when the answer does not reach it (FREE by token);
	 * a 2.0 caller sends the first 8 bytes only
	 */
	__le64	token;
};

#define DVS_ALLOC_REQ_2_0	8

struct dvs_alloc_resp {
	__le32	slab_id;	/* never 0 */
	__le32	nr_chunks;
	/* krdma grant of each 2 MiB chunk, ascending (the client checks) */
	__le32	grant_id[];
};

/* DVS_OP_FREE: -ENOENT when the caller holds no such slab. */
struct dvs_free_req {
	__le32	slab_id;
	__le32	flags;		/* 0 in 2.0 */
	/* 2.1, with DVS_FREE_BY_TOKEN: the slab is the one its ALLOC named so */
	__le64	token;
};

#define DVS_FREE_REQ_2_0	8
#define DVS_FREE_BY_TOKEN	0x1

/*
 * DVS_OP_STAT: no request payload. A client refuses an answer a donor
 * cannot give (dvs_stat_check(): @limit above DVS_DONATE_MAX, @free above
 * what @limit leaves beyond @granted).
 */
struct dvs_stat_resp {
	__le64	limit;		/* the donation limit, bytes */
	__le64	granted;	/* bytes in slabs granted to anyone */
	__le64	free;		/* what it can still give */
};

#endif /* _RACKSWAP_DVS_PROTO_H */
