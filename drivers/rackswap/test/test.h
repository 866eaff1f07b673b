/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rackswap_test: tests, benchmarks and attacks on the product modules,
 * driven through /sys/kernel/debug/rackswap_test/ (not ABI). Built with
 * CONFIG_RACKSWAP_TEST, never shipped: it reaches the internals it needs
 * through the RACKSWAP_TEST symbol namespace.
 */
#ifndef _RACKSWAP_TEST_H
#define _RACKSWAP_TEST_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "krdma/krdma-priv.h"

struct dentry;

/*
 * The test module's RPC ops, registered with krdma like any layer's: a
 * node without the test module answers them -EOPNOTSUPP.
 */
enum rs_test_op {
	RS_TEST_OP_ECHO		= 56,	/* payload echoed */
	RS_TEST_OP_GRANT	= 57,	/* grant the caller fresh pages */
	RS_TEST_OP_UNGRANT	= 58,	/* revoke and free them */
};

/* RS_TEST_OP_GRANT request; the response is one krdma_grant_desc */
struct rs_test_grant_req {
	__le32	pages;
	__le32	reserved;
};

/* RS_TEST_OP_UNGRANT */
struct rs_test_ungrant_req {
	__le32	id;
	__le32	reserved;
};

/*
 * Waits for a test run's threads, whose every request is bounded by its
 * deadline, waking every 10 s: a run longer than the hung-task timeout (a
 * cable pulled on the debug kernel) is not reported as a hung task.
 */
static inline void rs_test_wait_run(struct completion *done)
{
	while (!wait_for_completion_timeout(done, 10 * HZ))
		continue;
}

/* test-main.c */
ssize_t rs_test_read_result(struct mutex *lock, const char *result,
			    char __user *ubuf, size_t count, loff_t *ppos);
int rs_test_cmp_u32(const void *a, const void *b);

/* krdma-rpc-test.c: RPC tests and malformed messages */
int krdma_rpc_test_init(struct dentry *dir);
void krdma_rpc_test_exit(void);

/* krdma-test.c: one-sided RDMA tests */
int krdma_test_init(struct dentry *dir);
void krdma_test_exit(void);

/* krdma-neg.c: the negative controls' files */
void krdma_neg_init(struct dentry *dir);
void krdma_neg_exit(void);

/* krdma-auth-test.c: the handshake's test hooks, a flood of strangers */
void krdma_auth_test_init(struct dentry *dir);
void krdma_auth_test_exit(void);

/* krdma-auth-fuzz.c: a fuzzer of the handshake's fields */
void krdma_auth_fuzz_init(struct dentry *dir);
void krdma_auth_fuzz_exit(void);

/* dvs-test.c, dvs-rogue.c */
void dvs_test_init(struct dentry *dir);
void dvs_test_exit(void);
int dvs_rogue_run(int id, u32 foreign, char *result, size_t size);

#endif /* _RACKSWAP_TEST_H */
