// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: a rogue client, for tests only (the dvs test interface's "rogue"
 * command). It sends a donor a battery of DVS requests that the donor must
 * refuse: slab sizes out of range or over the donation, FREE of slabs that
 * are not the caller's, ops no one serves, and payloads of the wrong
 * length. A well-formed request for something the caller may not have is
 * refused with an errno and the connection stays; a malformed one breaks
 * the protocol and the donor closes the connection (the caller sees
 * ENOTCONN, then its peer reconnects).
 */
#include <asm/unaligned.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "dvs/dvs-priv.h"
#include "dvs/dvs-proto.h"
#include "test.h"

/* How long the rogue waits for its peer to be ready again after a drop. */
#define DVS_ROGUE_READY_MS	30000

struct dvs_rogue_case {
	const char	*what;
	u16		op;
	u32		len;	/* payload bytes */
	u64		arg;	/* the payload's first 8 bytes, little-endian */
	int		want;	/* the refusal expected */
};

static bool dvs_rogue_op_known(u16 op)
{
	return op == DVS_OP_ALLOC || op == DVS_OP_FREE || op == DVS_OP_STAT;
}

/* Waits until @peer's RPCs (and I/O) flow: after a drop it reconnects. */
static int dvs_rogue_wait(struct krdma_peer *peer)
{
	unsigned long until = jiffies + msecs_to_jiffies(DVS_ROGUE_READY_MS);

	while (!krdma_peer_is_ready(peer)) {
		if (krdma_peer_is_dead(peer) || time_after(jiffies, until))
			return -ENOTCONN;
		msleep(50);
	}
	return 0;
}

/* A slab of the rogue's own, given back at once: its id is then freed. */
static int dvs_rogue_freed_id(struct krdma_peer *peer, void *resp, u32 room,
			      u32 *id)
{
	struct dvs_alloc_req arq = { .slab_size = cpu_to_le64(DVS_CHUNK_SIZE) };
	struct dvs_alloc_resp *ars = resp;
	struct dvs_free_req frq = {};
	u32 len;
	int ret;

	ret = krdma_call(peer, DVS_OP_ALLOC, &arq, sizeof(arq), ars, room,
			 &len, 0);
	if (!ret && len < sizeof(*ars))
		ret = -EPROTO;
	if (ret)
		return ret;
	frq.slab_id = ars->slab_id;
	*id = le32_to_cpu(ars->slab_id);
	return krdma_call(peer, DVS_OP_FREE, &frq, sizeof(frq), NULL, 0, &len,
			  0);
}

/*
 * Runs the battery against peer @id; @foreign is the id of a slab the
 * donor granted to another peer. Writes "ok <refused> <sent> <dropped>
 * <unknown>" to @result: requests refused as expected, sent, that closed
 * the connection, and sent to ops the donor does not serve (refused by
 * krdma, so not counted in the donor's requests_refused). Returns 0, or
 * an error when the battery could not run.
 */
int dvs_rogue_run(int id, u32 foreign, char *result, size_t size)
{
	struct dvs_rogue_case cases[] = {
		{ "ALLOC of 0 bytes", DVS_OP_ALLOC, 8, 0, -EINVAL },
		{ "ALLOC of 6 MiB (not a power of two)", DVS_OP_ALLOC, 8,
		  6 * SZ_1M, -EINVAL },
		{ "ALLOC of 1 MiB (below 2 MiB)", DVS_OP_ALLOC, 8, SZ_1M,
		  -EINVAL },
		{ "ALLOC of 1 GiB (above 512 MiB)", DVS_OP_ALLOC, 8, SZ_1G,
		  -EINVAL },
		{ "ALLOC of 512 MiB (over the donation)", DVS_OP_ALLOC, 8,
		  SZ_512M, -ENOSPC },
		{ "FREE of a slab never granted", DVS_OP_FREE, 8, 0x7fffffff,
		  -ENOENT },
		{ "FREE of a slab freed", DVS_OP_FREE, 8, 0, -ENOENT },
		{ "FREE of another peer's slab", DVS_OP_FREE, 8, foreign,
		  -ENOENT },
		{ "unknown op 19", DVS_OP_STAT + 1, 0, 0, -EOPNOTSUPP },
		{ "unknown op 40", 40, 8, 0, -EOPNOTSUPP },
		{ "unknown op 63", KRDMA_OP_MAX - 1, 8, 0, -EOPNOTSUPP },
		/* malformed: the donor closes the connection */
		{ "ALLOC of 4 bytes", DVS_OP_ALLOC, 4, DVS_CHUNK_SIZE,
		  -ENOTCONN },
		{ "ALLOC of 12 bytes", DVS_OP_ALLOC, 12, DVS_CHUNK_SIZE,
		  -ENOTCONN },
		{ "FREE of 4 bytes", DVS_OP_FREE, 4, 0x7fffffff, -ENOTCONN },
		{ "STAT with 8 bytes", DVS_OP_STAT, 8, 0, -ENOTCONN },
	};
	u32 i, len, freed = 0, refused = 0, dropped = 0, unknown = 0;
	struct krdma_peer *peer;
	u8 req[16] = {};
	void *resp;
	int ret;

	peer = krdma_peer_get(id);
	if (!peer)
		return -ENOENT;
	resp = kmalloc(KRDMA_MAX_PAYLOAD, GFP_KERNEL);
	if (!resp) {
		ret = -ENOMEM;
		goto out_put;
	}
	ret = dvs_rogue_wait(peer);
	if (!ret)
		ret = dvs_rogue_freed_id(peer, resp, KRDMA_MAX_PAYLOAD, &freed);
	if (ret) {
		pr_warn("dvs rogue: peer %d: no slab of its own to free twice: %pe\n",
			id, ERR_PTR(ret));
		goto out_free;
	}
	cases[6].arg = freed;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct dvs_rogue_case *c = &cases[i];

		ret = dvs_rogue_wait(peer);
		if (ret) {
			pr_warn("dvs rogue: peer %d did not come back before \"%s\"\n",
				id, c->what);
			goto out_free;
		}
		put_unaligned_le64(c->arg, req);
		ret = krdma_call(peer, c->op, req, c->len, resp,
				 KRDMA_MAX_PAYLOAD, &len, 0);
		if (ret == c->want)
			refused++;
		else
			pr_warn("dvs rogue: %s: %pe, expected %pe\n", c->what,
				ERR_PTR(ret), ERR_PTR(c->want));
		dropped += ret == -ENOTCONN;
		unknown += !dvs_rogue_op_known(c->op);
	}
	ret = 0;
	snprintf(result, size, "ok %u %zu %u %u\n", refused, ARRAY_SIZE(cases),
		 dropped, unknown);
out_free:
	kfree(resp);
out_put:
	krdma_peer_put(peer);
	return ret;
}
