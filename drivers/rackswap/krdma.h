/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krdma: kernel-to-kernel connections and RPC over rdma_cm. The interface
 * the other layers of rackswap use; struct krdma_peer is opaque to them.
 */
#ifndef _RACKSWAP_KRDMA_H
#define _RACKSWAP_KRDMA_H

#include <linux/types.h>

struct krdma_peer;

/*
 * An RPC handler runs in process context on a WQ_MEM_RECLAIM workqueue. It
 * reads @len bytes of @req and writes at most *@resp_len bytes (on entry:
 * the room) to @resp; it returns 0 or a negative errno, which the caller
 * receives as the call's result.
 */
typedef int (*krdma_handler_t)(struct krdma_peer *peer, const void *req,
			       u32 len, void *resp, u32 *resp_len);

int krdma_register_handler(u16 op, krdma_handler_t fn);
void krdma_unregister_handler(u16 op);

/*
 * krdma_call() sends @len bytes of @req to @peer's handler of @op and waits
 * for the response, at most @timeout_ms (0: the rpc_timeout_ms parameter).
 * It allocates nothing. Returns the handler's result (-EOPNOTSUPP when @op
 * has none), -ETIMEDOUT, -ENOTCONN, -EINVAL (@op out of range) or
 * -EMSGSIZE (@len too long); *@resp_len gets the response's length (it is
 * truncated to @resp_max).
 */
int krdma_call(struct krdma_peer *peer, u16 op, const void *req, u32 len,
	       void *resp, u32 resp_max, u32 *resp_len,
	       unsigned int timeout_ms);

struct krdma_peer *krdma_peer_get(int id);
void krdma_peer_put(struct krdma_peer *peer);

int krdma_init(void);
void krdma_exit(void);

#endif /* _RACKSWAP_KRDMA_H */
