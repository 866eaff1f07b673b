// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: authentication of connections (protocol 2.2), under the keys of
 * krdma-keys.c, and the bounds on strangers, the connections not yet live.
 *
 * The handshake (Documentation/networking/rackswap-protocol.rst): A
 * connects, B accepts with a fresh nonce_B; A's HELLO message brings
 * nonce_A and mac_A = HMAC(K, "rackswap A" | transcript); B finds K by A's
 * UUID, checks mac_A, and only then sends its HELLO with mac_B, which A
 * checks. The transcript binds both hellos whole (identities,
 * incarnations, session, versions, options), both nonces and the fields
 * of the HELLO message that carries the proof (name, reconnect_ms). The
 * tags of the data connections are derived with our proof.
 */
#include <crypto/hash.h>
#include <crypto/algapi.h>
#include <linux/kernel.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "compat.h"
#include "krdma-priv.h"

/* Counters of /sys/kernel/rackswap/krdma/auth_stat: atomic, no lock. */
static atomic64_t krdma_auth_ok;	/* remotes that proved their key */
static atomic64_t krdma_auth_failed;	/* refused: no or a wrong proof */
static atomic_t krdma_strangers;	/* accepted, not live yet */
static atomic_t krdma_strangers_peak;
static atomic64_t krdma_strangers_refused;	/* over the cap */
static atomic64_t krdma_strangers_dropped;	/* past the deadline */
static atomic64_t krdma_refused_early_n;	/* before any proof */

/* @buf: a page (sysfs_emit()) */
ssize_t krdma_auth_stat_show(char *buf)
{
	return sysfs_emit(buf, "%lld %lld %d %d %lld %lld %lld\n",
			  (long long)atomic64_read(&krdma_auth_ok),
			  (long long)atomic64_read(&krdma_auth_failed),
			  atomic_read(&krdma_strangers),
			  atomic_read(&krdma_strangers_peak),
			  (long long)atomic64_read(&krdma_strangers_refused),
			  (long long)atomic64_read(&krdma_strangers_dropped),
			  (long long)atomic64_read(&krdma_refused_early_n));
}
EXPORT_SYMBOL_IF_RS_TEST(krdma_auth_stat_show);

/*
 * A handshake refused before any proof was checked: a connect request, an
 * accept or a HELLO message malformed or out of range, a data connection
 * that matches no peer, an old incarnation. The caller logs why.
 */
void krdma_refused_early(void)
{
	atomic64_inc(&krdma_refused_early_n);
}

/* --- strangers --------------------------------------------------------- */

/* A place for one more stranger; false (counted) when all are taken. */
bool krdma_stranger_get(void)
{
	int n = atomic_inc_return(&krdma_strangers), peak;

	if (n > KRDMA_STRANGERS_MAX) {
		atomic_dec(&krdma_strangers);
		atomic64_inc(&krdma_strangers_refused);
		return false;
	}
	peak = atomic_read(&krdma_strangers_peak);
	while (n > peak && !atomic_try_cmpxchg(&krdma_strangers_peak, &peak, n))
		continue;
	return true;
}

void krdma_stranger_put(void)
{
	atomic_dec(&krdma_strangers);
}

/* @peer's connection is no stranger any more; peer->lock held. */
void krdma_stranger_end_locked(struct krdma_peer *peer)
{
	lockdep_assert_held(&peer->lock);
	if (peer->auth.stranger) {
		peer->auth.stranger = false;
		krdma_stranger_put();
	}
}

/* How long a stranger may take to go live, ms. */
unsigned int krdma_stranger_ms(void)
{
	return krdma_auth_enabled() ? KRDMA_AUTH_DEADLINE_MS :
	       KRDMA_HELLO_DEADLINE_MS;
}

void krdma_stranger_dropped(struct krdma_peer *peer)
{
	atomic64_inc(&krdma_strangers_dropped);
	peer_warn_rl(peer, "%pISpc: no %shello within %u ms: dropped\n",
		     &peer->addr, peer->auth.used ? "authenticated " : "",
		     krdma_stranger_ms());
}

/* --- the handshake ------------------------------------------------------ */

static const char * const krdma_labels[] = {
	[KRDMA_LABEL_A]	= "rackswap A",
	[KRDMA_LABEL_B]	= "rackswap B",
	[KRDMA_LABEL_D]	= "rackswap D",
};

/* @sender: the HELLO message the MAC goes in (NULL: a data connection's tag) */
static int krdma_auth_mac(struct crypto_shash *tfm,
			  struct krdma_auth_transcript *tr, int label,
			  u32 index, const struct krdma_hello_msg *sender,
			  u8 *out)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	int ret;

	memset(tr->label, 0, sizeof(tr->label));
	memcpy(tr->label, krdma_labels[label], strlen(krdma_labels[label]));
	tr->index = cpu_to_le32(index);
	if (sender)
		memcpy(tr->hello, sender, sizeof(tr->hello));
	else
		memset(tr->hello, 0, sizeof(tr->hello));
	desc->tfm = tfm;
	ret = crypto_shash_digest(desc, (const u8 *)tr, sizeof(*tr), out);
	shash_desc_zero(desc);
	return ret;
}

/*
 * Our HELLO message's fields and our proof (@ours: label A or B) over
 * them into mac_out, and the data connections' tags, all under @tfm.
 */
static int krdma_auth_derive(struct krdma_peer *peer, struct crypto_shash *tfm,
			     int ours)
{
	struct krdma_conn_auth *au = &peer->auth;
	/* accepting a reconnection: its data connections are still staged */
	int nr_dq = au->staged ? au->terms.nr_dq : peer->nr_dq;
	u32 n = KRDMA_HELLO_FIELDS_LEN;
	u8 mac[KRDMA_MAC_LEN];
	int i, ret;

	krdma_hello_fill(peer, &au->hello_out);
	/* tests: what a connecting sender with the key may say, proven */
	if (ours == KRDMA_LABEL_A) {
		krdma_fuzz(KRDMA_FUZZ_FIELDS, &au->hello_out, &n, n);
		n = KRDMA_NONCE_LEN;
		krdma_fuzz(KRDMA_FUZZ_NONCE, au->tr.nonce_a, &n, n);
	}
	ret = krdma_auth_mac(tfm, &au->tr, ours, 0, &au->hello_out,
			     au->mac_out);
	for (i = 0; !ret && i < nr_dq; i++) {
		ret = krdma_auth_mac(tfm, &au->tr, KRDMA_LABEL_D, i, NULL, mac);
		memcpy(au->tags[i], mac, KRDMA_TAG_LEN);
	}
	memzero_explicit(mac, sizeof(mac));
	return ret;
}

/*
 * Whether @msg, the remote's HELLO message, carries its proof (label
 * @theirs) under @tfm: over the transcript and the message's own fields.
 */
static bool krdma_auth_proves(struct krdma_peer *peer,
			      struct crypto_shash *tfm, int theirs,
			      const struct krdma_hello_msg *msg)
{
	u8 mac[KRDMA_MAC_LEN];
	bool ok;

	ok = !krdma_auth_mac(tfm, &peer->auth.tr, theirs, 0, msg, mac) &&
	     !crypto_memneq(mac, msg->mac, KRDMA_MAC_LEN);
	memzero_explicit(mac, sizeof(mac));
	return ok;
}

/* Whether @h (a connect request's or accept's hello) says it authenticates. */
static bool krdma_hello_auth(const struct krdma_cm_hello *h, u8 len)
{
	return len >= sizeof(*h) &&
	       (le32_to_cpu(h->caps) & KRDMA_CAP_AUTH);
}

/*
 * The connect request's hello @h, for the transcript: ours as sent
 * (connecting), or the remote's as received (accepting).
 */
void krdma_auth_request(struct krdma_peer *peer, const struct krdma_cm_hello *h)
{
	struct krdma_conn_auth *au = &peer->auth;

	au->tr.hello_a = *h;
}

/* Whether this node has a key to prove itself with when it connects. */
static bool krdma_auth_have_key(void)
{
	bool ok;

	rcu_read_lock();
	ok = !!krdma_keys_own();
	rcu_read_unlock();
	return ok;
}

/*
 * Connecting, before the connect request: whether this connection
 * authenticates; -ENOKEY (logged) when it must but we have no key (only
 * an allowlist).
 */
int krdma_auth_connecting(struct krdma_peer *peer)
{
	peer->auth.used = krdma_auth_wanted(true);
	if (!peer->auth.used || krdma_auth_have_key())
		return 0;
	pr_warn("%pISpc: no key to connect with (only an allowlist): set one in key\n",
		&peer->addr);
	return -ENOKEY;
}

/* Whether our connect requests (@active) or accepts authenticate. */
bool krdma_auth_wanted(bool active)
{
	return krdma_auth_enabled() &&
	       krdma_test_hook(auth_mode) != (active ? KRDMA_AUTH_HOOK_NO_REQ :
						       KRDMA_AUTH_HOOK_NO_ACCEPT);
}

/*
 * Connecting, at ESTABLISHED: the accept (@data, @len) came. When we
 * authenticate, the remote must too: its nonce taken, ours made, the
 * proofs and tags derived under our key. Its identity waits for its proof
 * (krdma_auth_check()).
 */
int krdma_auth_accepted(struct krdma_peer *peer, const void *data, u8 len)
{
	const struct krdma_cm_accept *acc = data;
	struct krdma_conn_auth *au = &peer->auth;
	struct crypto_shash *tfm;
	int ret;

	if (!au->used)
		return 0;
	if (!krdma_hello_auth(&acc->hello, len) || len < sizeof(*acc)) {
		atomic64_inc(&krdma_auth_failed);
		pr_warn("%pISpc does not authenticate: refused\n", &peer->addr);
		return -EACCES;
	}
	memcpy(&au->claim_uuid, acc->hello.uuid, sizeof(au->claim_uuid));
	au->claim_incarnation = le64_to_cpu(acc->hello.incarnation);
	au->tr.hello_b = acc->hello;
	memcpy(au->tr.nonce_b, acc->nonce, KRDMA_NONCE_LEN);
	get_random_bytes(au->tr.nonce_a, KRDMA_NONCE_LEN);

	rcu_read_lock();
	tfm = krdma_keys_own();
	ret = tfm ? krdma_auth_derive(peer, tfm, KRDMA_LABEL_A) : -ENOKEY;
	rcu_read_unlock();
	if (ret)
		pr_warn("%pISpc: no key to authenticate with: %pe\n",
			&peer->addr, ERR_PTR(ret));
	return ret;
}

/*
 * Accepting: whether this connection authenticates; the connect request's
 * hello @h, unverified, is only noted. Refuses (counted) a remote that does
 * not authenticate when we do.
 */
int krdma_auth_request_in(struct krdma_peer *peer,
			  const struct krdma_cm_hello *h, u8 len)
{
	struct krdma_conn_auth *au = &peer->auth;

	au->used = krdma_auth_wanted(false);
	if (!au->used)
		return 0;
	if (!krdma_hello_auth(h, len))
		return krdma_auth_refuse_plain(&peer->addr);
	memcpy(&au->claim_uuid, h->uuid, sizeof(au->claim_uuid));
	au->claim_incarnation = le64_to_cpu(h->incarnation);
	krdma_auth_request(peer, h);
	return 0;
}

/* A connect request that does not authenticate, to a node that does. */
int krdma_auth_refuse_plain(const struct sockaddr_storage *addr)
{
	atomic64_inc(&krdma_auth_failed);
	pr_warn_ratelimited("%pISpc does not authenticate: refused\n",
			    addr);
	return -EACCES;
}

/* Accepting: our accept's hello and nonce, in @acc before it goes. */
void krdma_auth_accept(struct krdma_peer *peer, struct krdma_cm_accept *acc)
{
	struct krdma_conn_auth *au = &peer->auth;

	if (!au->used)
		return;
	au->tr.hello_b = acc->hello;
	get_random_bytes(au->tr.nonce_b, KRDMA_NONCE_LEN);
	memcpy(acc->nonce, au->tr.nonce_b, KRDMA_NONCE_LEN);
}

/*
 * Accepting: whether @msg carries the proof under one of the keys of the
 * identity the remote claims; then our proof and the tags are under it.
 */
static bool krdma_auth_try(struct krdma_peer *peer,
			   const struct krdma_hello_msg *msg)
{
	struct crypto_shash *keys[KRDMA_KEYS_MAX];
	bool ok = false;
	int i, n;

	rcu_read_lock();
	n = krdma_keys_of(&peer->auth.claim_uuid, keys);
	for (i = 0; i < n; i++) {
		if (krdma_auth_proves(peer, keys[i], KRDMA_LABEL_A, msg)) {
			ok = !krdma_auth_derive(peer, keys[i], KRDMA_LABEL_B);
			break;
		}
	}
	rcu_read_unlock();
	return ok;
}

/*
 * The remote's HELLO message @msg (@len bytes) on a connection that
 * authenticates: its proof checked (accepting: under the keys of the
 * identity it claims, current or previous, or the rack-wide key's when
 * that identity is not listed; connecting: under our key, which a write
 * to key since our own proof may have changed: then this attempt fails).
 * 0 when it holds; else -EKEYREJECTED, counted and logged.
 */
int krdma_auth_check(struct krdma_peer *peer, const struct krdma_hello_msg *msg,
		     u32 len)
{
	struct krdma_conn_auth *au = &peer->auth;
	struct crypto_shash *tfm;
	bool ok = false;

	if (len < sizeof(*msg))
		goto fail;
	if (peer->active) {
		rcu_read_lock();
		tfm = krdma_keys_own();
		ok = tfm && krdma_auth_proves(peer, tfm, KRDMA_LABEL_B, msg);
		rcu_read_unlock();
	} else {
		memcpy(au->tr.nonce_a, msg->nonce, KRDMA_NONCE_LEN);
		ok = krdma_auth_try(peer, msg);
	}
	if (ok) {
		atomic64_inc(&krdma_auth_ok);
		return 0;
	}
fail:
	atomic64_inc(&krdma_auth_failed);
	/* the claimed identity only: it is not known to be the remote's */
	pr_warn_ratelimited("%pISpc: authentication failed (claims %pUb): refused\n",
			    &peer->addr, &au->claim_uuid);
	return -EKEYREJECTED;
}

/*
 * A message other than the remote's HELLO (@resp: a response) came before
 * that HELLO was taken (and, authenticating, its proof held): logged, and
 * counted as a failed authentication when the connection authenticates.
 * The caller ends the connection.
 */
void krdma_auth_early(struct krdma_peer *peer, u16 op, bool resp)
{
	if (peer->auth.used)
		atomic64_inc(&krdma_auth_failed);
	peer_warn_rl(peer, "%pISpc: %s op %u before its hello: connection refused\n",
		     &peer->addr, resp ? "response" : "request", op);
}

/*
 * Whether @peer's remote is one that proved itself (or, on a connection
 * that does not authenticate, said its hello): the current connection's
 * hello was taken, or a connection went live and no accepted one is being
 * proven now. What a request may spend is for such a remote only.
 */
bool krdma_peer_proven(struct krdma_peer *peer)
{
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&peer->lock, flags);
	ok = peer->hello_rcvd ||
	     (peer->was_live &&
	      (peer->active || peer->state != KRDMA_CONNECTING));
	spin_unlock_irqrestore(&peer->lock, flags);
	return ok;
}

/* The tag of our data connection @index, into @h: connecting side. */
void krdma_auth_tag_fill(const struct krdma_peer *peer,
			 struct krdma_cm_hello *h, u8 index)
{
	if (peer->auth.verified && index < KRDMA_MAX_DATA_QPS) {
		h->caps |= cpu_to_le32(KRDMA_CAP_AUTH);
		memcpy(h->tag, peer->auth.tags[index], KRDMA_TAG_LEN);
	}
}

/*
 * Accepting a data connection of @peer: when its control connection
 * authenticates, only once that is verified and with the right tag. A
 * refusal is a failed proof (counted). peer->lock held.
 */
bool krdma_auth_tag_ok(const struct krdma_peer *peer,
		       const struct krdma_cm_hello *h)
{
	const struct krdma_conn_auth *au = &peer->auth;
	bool ok;

	lockdep_assert_held(&peer->lock);
	if (!au->used)
		ok = !krdma_auth_enabled();
	else
		ok = au->verified && h->index < KRDMA_MAX_DATA_QPS &&
		     !crypto_memneq(h->tag, au->tags[h->index], KRDMA_TAG_LEN);
	if (!ok)
		atomic64_inc(&krdma_auth_failed);
	return ok;
}

/* The connection is gone: a stranger no more; its secrets wiped. */
void krdma_auth_conn_end(struct krdma_peer *peer)
{
	spin_lock_irq(&peer->lock);
	krdma_stranger_end_locked(peer);
	memzero_explicit(&peer->auth, sizeof(peer->auth));
	spin_unlock_irq(&peer->lock);
}
