/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krdma: the wire format between two nodes. Every field is little-endian,
 * every struct has explicit padding, and krdma_proto_check() pins every
 * size at compile time: changing a size means a new protocol version.
 *
 * Connection: the rdma_cm private data of the connect request, the accept
 * and the reject carries a struct krdma_cm_hello (at most 56 bytes fit in an
 * InfiniBand CM REQ); a 2.2 accept appends the accepting side's nonce
 * (struct krdma_cm_accept). Then each side sends one KRDMA_OP_HELLO message
 * with its name and, when both hellos have KRDMA_CAP_AUTH, its proof of the
 * key (HMAC-SHA256 over struct krdma_auth_transcript); the peer is live once
 * both hellos arrived and the remote's proof checked.
 *
 * Messages: a struct krdma_msg_hdr followed by len bytes of payload, in one
 * SEND of at most KRDMA_MSG_SIZE bytes. See
 * Documentation/networking/rackswap-protocol.rst for the message sequences.
 */
#ifndef _RACKSWAP_KRDMA_PROTO_H
#define _RACKSWAP_KRDMA_PROTO_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

#define KRDMA_MAGIC		0x4d44524bU	/* "KRDM" on the wire */
#define KRDMA_PROTO_MAJOR	2
#define KRDMA_PROTO_MINOR	2

#define KRDMA_NAME_LEN		64	/* with the terminating NUL */
#define KRDMA_MSG_SIZE		2048	/* one receive buffer */

/*
 * struct krdma_cm_hello.caps (2.2). KRDMA_CAP_AUTH: this side has a key and
 * authenticates the connection (in the HELLO messages); a side that has one
 * refuses a remote that does not.
 */
#define KRDMA_CAP_AUTH		0x1

/* struct krdma_cm_hello.kind */
#define KRDMA_CONN_CTRL		0	/* messages and RPC; the first one */
#define KRDMA_CONN_DATA		1	/* one-sided RDMA of one CPU queue */

struct krdma_cm_hello {
	__le32	magic;
	__le16	major;
	__le16	minor;
	__le32	caps;
	/* requests this side accepts at once: the credits it grants */
	__le16	credits;
	u8	kind;
	/* control: the data connections that follow; data: which one */
	u8	index;
	u8	uuid[16];
	__le64	incarnation;
	/*
	 * The connecting side's random id of this relationship: the same on
	 * every reconnection, so the accepting side finds its grants again.
	 */
	__le64	session;
	union {
		/*
		 * 2.1, a control connection's: the connecting side's
		 * options, which the accepting side takes for its end (0, as
		 * 2.0 sends: its defaults)
		 */
		struct {
			__le16	heartbeat_ms;
			__le16	rpc_timeout_ms;
			u8	heartbeat_missed;
			u8	ack_timeout;
			__le16	queue_depth;
		};
		/*
		 * 2.2, a data connection's when the control connection
		 * authenticated: its tag (krdma_auth_transcript, label "D")
		 */
		u8	tag[8];
	};
};

/* A 2.0 hello ends at @session. */
#define KRDMA_CM_HELLO_2_0	offsetof(struct krdma_cm_hello, heartbeat_ms)

#define KRDMA_NONCE_LEN		32
#define KRDMA_MAC_LEN		32	/* HMAC-SHA256 */
#define KRDMA_TAG_LEN		8	/* a data connection's, truncated */
#define KRDMA_KEY_LEN		32

/*
 * The private data of an accept (2.2): the hello, then the accepting
 * side's nonce for this connection (zeros when it does not authenticate).
 * A 2.1 reader takes the hello and ignores the rest. 196 bytes fit in a
 * CM REP.
 */
struct krdma_cm_accept {
	struct krdma_cm_hello	hello;
	u8	nonce[KRDMA_NONCE_LEN];
};

/* A HELLO message's bytes before its nonce: name, reconnect_ms, reserved */
#define KRDMA_HELLO_FIELDS_LEN	(KRDMA_NAME_LEN + 8)

/*
 * What an authenticated handshake's MACs cover, HMAC-SHA256 under the
 * connecting side's key: A is the connecting side, B the accepting one.
 * Never sent: each side builds it from both hellos, whole (identities,
 * incarnations, session, versions, capabilities, credits, options). @label
 * is "rackswap A" (A's proof, in its HELLO message), "rackswap B" (B's) or
 * "rackswap D" (a data connection's tag, @index its index; 0 otherwise),
 * NUL-padded. @hello: the first KRDMA_HELLO_FIELDS_LEN bytes of the
 * HELLO message that carries the proof, as sent (A's for "rackswap A",
 * B's for "rackswap B"; zeros for a tag).
 */
struct krdma_auth_transcript {
	char	label[16];
	struct krdma_cm_hello	hello_a;	/* A's connect request's */
	struct krdma_cm_hello	hello_b;	/* B's accept's */
	u8	nonce_a[KRDMA_NONCE_LEN];
	u8	nonce_b[KRDMA_NONCE_LEN];
	__le32	index;
	__le32	reserved;
	u8	hello[KRDMA_HELLO_FIELDS_LEN];
};

/* struct krdma_msg_hdr.flags */
#define KRDMA_F_RESPONSE	0x0001

/*
 * krdma's own operations; the other layers register theirs from
 * KRDMA_OP_FIRST_USER to KRDMA_OP_MAX (<linux/krdma.h>). 3, 5 and 6 are not
 * used: test builds of 2.0 had test ops there.
 */
enum krdma_op {
	KRDMA_OP_HELLO		= 1,	/* payload: struct krdma_hello_msg */
	KRDMA_OP_PING		= 2,	/* heartbeat; payload echoed */
	KRDMA_OP_GRANTS		= 4,	/* keys of the grants held for the caller */
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
	/*
	 * 2.1: how long the sender, when it is the connecting side, keeps
	 * reconnecting after a loss, ms; the accepting side keeps the
	 * relationship that long (0: it does not wait; a 2.0 hello without
	 * the field: its default)
	 */
	__le32	reconnect_ms;
	__le32	reserved;
	/*
	 * 2.2, when both hellos have KRDMA_CAP_AUTH: the connecting side's
	 * nonce (zeros from the accepting side) and the sender's proof,
	 * HMAC-SHA256 of struct krdma_auth_transcript
	 */
	u8	nonce[KRDMA_NONCE_LEN];
	u8	mac[KRDMA_MAC_LEN];
};

/* A 2.0 hello holds the name only; a 2.1 one ends at @nonce. */
#define KRDMA_HELLO_MSG_2_0	KRDMA_NAME_LEN
#define KRDMA_HELLO_MSG_2_1	offsetof(struct krdma_hello_msg, nonce)

/* KRDMA_OP_GRANTS: the grants with id >= first_id, in id order */
struct krdma_grants_req {
	__le32	first_id;
	__le32	reserved;
};

/* One region this node may reach: [addr, addr + len) with rkey. */
struct krdma_grant_desc {
	__le32	id;
	__le32	rkey;
	__le64	addr;
	__le64	len;
};

struct krdma_grants_resp {
	__le32	count;
	/* 1: grants with higher ids follow; only on a message of the most */
	__le32	more;
	struct krdma_grant_desc	desc[];
};

#define KRDMA_GRANTS_PER_MSG	((KRDMA_MAX_PAYLOAD - \
				  sizeof(struct krdma_grants_resp)) / \
				 sizeof(struct krdma_grant_desc))

static inline void krdma_proto_check(void)
{
	BUILD_BUG_ON(sizeof(struct krdma_cm_hello) != 56);
	BUILD_BUG_ON(KRDMA_CM_HELLO_2_0 != 48);
	BUILD_BUG_ON(sizeof(struct krdma_cm_hello) > 56);
	BUILD_BUG_ON(sizeof(struct krdma_msg_hdr) != 16);
	BUILD_BUG_ON(offsetof(struct krdma_cm_hello, tag) != 48);
	BUILD_BUG_ON(sizeof(struct krdma_cm_accept) != 88);
	BUILD_BUG_ON(sizeof(struct krdma_auth_transcript) != 272);
	BUILD_BUG_ON(offsetof(struct krdma_auth_transcript, hello) != 200);
	BUILD_BUG_ON(KRDMA_HELLO_FIELDS_LEN !=
		     offsetof(struct krdma_hello_msg, nonce));
	BUILD_BUG_ON(offsetof(struct krdma_hello_msg, nonce) != 72);
	BUILD_BUG_ON(sizeof(struct krdma_hello_msg) != KRDMA_NAME_LEN + 72);
	BUILD_BUG_ON(sizeof(struct krdma_grants_req) != 8);
	BUILD_BUG_ON(sizeof(struct krdma_grant_desc) != 24);
	BUILD_BUG_ON(sizeof(struct krdma_grants_resp) != 8);
	/* a `more` comes only on a full message: both sides count alike */
	BUILD_BUG_ON(KRDMA_GRANTS_PER_MSG != 84);
}

#endif /* _RACKSWAP_KRDMA_PROTO_H */
