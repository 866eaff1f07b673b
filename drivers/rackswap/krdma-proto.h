/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krdma: the wire format between two nodes. Every field is little-endian,
 * every struct has explicit padding, and krdma_proto_check() pins every
 * size at compile time: changing a size means a new protocol version.
 *
 * Connection: the rdma_cm private data of the connect request, the accept
 * and the reject carries a struct krdma_cm_hello (at most 56 bytes fit in an
 * InfiniBand CM REQ). Then each side sends one KRDMA_OP_HELLO message with
 * its name; the peer is live once both hellos arrived.
 *
 * Messages: a struct krdma_msg_hdr followed by len bytes of payload, in one
 * SEND of at most KRDMA_MSG_SIZE bytes. See
 * Documentation/admin-guide/rackswap.rst for the message sequences.
 */
#ifndef _RACKSWAP_KRDMA_PROTO_H
#define _RACKSWAP_KRDMA_PROTO_H

#include <linux/build_bug.h>
#include <linux/types.h>

#define KRDMA_MAGIC		0x4d44524bU	/* "KRDM" on the wire */
#define KRDMA_PROTO_MAJOR	1
#define KRDMA_PROTO_MINOR	0

#define KRDMA_NAME_LEN		64	/* with the terminating NUL */
#define KRDMA_MSG_SIZE		2048	/* one receive buffer */

/* struct krdma_cm_hello.caps: none defined yet */
#define KRDMA_CAPS		0

struct krdma_cm_hello {
	__le32	magic;
	__le16	major;
	__le16	minor;
	__le32	caps;
	/* requests this side accepts at once: the credits it grants */
	__le16	credits;
	__le16	reserved;
	u8	uuid[16];
	__le64	incarnation;
};

/* struct krdma_msg_hdr.flags */
#define KRDMA_F_RESPONSE	0x0001

/* Operations; the other layers register theirs from KRDMA_OP_FIRST_USER. */
enum krdma_op {
	KRDMA_OP_HELLO		= 1,	/* payload: struct krdma_hello_msg */
	KRDMA_OP_PING		= 2,	/* heartbeat; payload echoed */
	KRDMA_OP_ECHO		= 3,	/* test: payload echoed */
	KRDMA_OP_FIRST_USER	= 16,
	KRDMA_OP_MAX		= 64,
};

struct krdma_msg_hdr {
	__le16	op;
	__le16	flags;
	/* payload bytes after this header */
	__le32	len;
	/* request: low 16 bits the caller's slot, high 16 its generation;
	 * a response carries the id of its request
	 */
	__le32	id;
	/* response: 0 or a negative errno */
	__le32	status;
};

#define KRDMA_MAX_PAYLOAD	(KRDMA_MSG_SIZE - sizeof(struct krdma_msg_hdr))

struct krdma_hello_msg {
	char	name[KRDMA_NAME_LEN];
};

static inline void krdma_proto_check(void)
{
	BUILD_BUG_ON(sizeof(struct krdma_cm_hello) != 40);
	BUILD_BUG_ON(sizeof(struct krdma_cm_hello) > 56);
	BUILD_BUG_ON(sizeof(struct krdma_msg_hdr) != 16);
	BUILD_BUG_ON(sizeof(struct krdma_hello_msg) != KRDMA_NAME_LEN);
}

#endif /* _RACKSWAP_KRDMA_PROTO_H */
