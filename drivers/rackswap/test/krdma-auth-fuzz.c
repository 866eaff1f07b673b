// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: a fuzzer of the authenticated handshake, for tests, in
 * /sys/kernel/debug/rackswap_test/krdma/ (not ABI):
 *
 *   test_auth_fuzz	"<ip> <port> <seed> <count> <seconds> [<first>]":
 *			attempts <first> (default 0) to <first>+<count>-1
 *			of the run of <seed>, each a connect to that address
 *			(this node itself: loopback mode, keyed) with one
 *			field of its handshake changed (krdma's hook
 *			handshake_fuzz): a field of the connect request, of
 *			the HELLO message (before our proof: what a sender
 *			with the key may say; after it: what a relay may
 *			change), of a data connection's hello with its tag,
 *			of the accept with its nonce or of the accepting
 *			side's HELLO, or their lengths; to 0, 1, max, max-1,
 *			a random value or with one bit flipped. Attempt i
 *			draws from a PRNG seeded with <seed> and i only: one
 *			attempt replays alone. Each must be refused (counted
 *			in auth_stat, no proof held but those the refusing
 *			side checked before, no peer left) or, when
 *			the field is the sender's to choose or unchanged,
 *			accepted (data QPs up); no kernel warning. Stops
 *			after <seconds>. Needs a node with no peer listed.
 *			Read: "ok seed=S first=F attempts=N refused=N
 *			accepted=N failed=N stop=done|time|warning|peers"
 *			(each failure logged with the line that replays it)
 *
 * The hook is off but during a run, and when this module unloads.
 */
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "test.h"

#define FUZZ_MAX_COUNT		100000
#define FUZZ_MAX_SECONDS	3600
#define FUZZ_SETTLE_MS		20000	/* an attempt's outcome, at most */
#define FUZZ_CLOSE_MS		10000	/* its peers gone, at most */

/* What a change of a field must lead to. */
enum fuzz_rule {
	FUZZ_MAC,	/* covered by a proof, or checked: refused if changed */
	FUZZ_FREE,	/* the sender's to choose, or not read: accepted */
	FUZZ_NAME,	/* accepted if still a node name */
	FUZZ_FLAGS,	/* refused if it makes the HELLO a response */
	FUZZ_LEN,	/* the bytes sent: fewer refused, more accepted */
};

/* The HELLO message as krdma's hook KRDMA_FUZZ_HELLO sees it. */
struct fuzz_hello {
	struct krdma_msg_hdr	hdr;
	struct krdma_hello_msg	msg;
};

struct fuzz_field {
	const char	*name;
	u8		where;	/* a bit per enum krdma_fuzz_at it is in */
	u8		rule;	/* enum fuzz_rule */
	u16		off;
	u16		size;	/* 0 for FUZZ_LEN */
};

/* Where a field is: one use of the member each (no argument reused) */
#define CM_OFF(m)	offsetof(struct krdma_cm_hello, m)
#define CM_SZ(m)	sizeof_field(struct krdma_cm_hello, m)
#define MSG_OFF(m)	offsetof(struct krdma_hello_msg, m)
#define MSG_SZ(m)	sizeof_field(struct krdma_hello_msg, m)
#define FH_OFF(m)	offsetof(struct fuzz_hello, m)
#define FH_SZ(m)	sizeof_field(struct fuzz_hello, m)

/* an accept is a hello and a nonce: its fields are the hello's first */
#define CM_CTRL		(BIT(KRDMA_FUZZ_REQUEST) | BIT(KRDMA_FUZZ_ACCEPT))
#define CM_ALL		(CM_CTRL | BIT(KRDMA_FUZZ_DATA))
#define MSGS		(BIT(KRDMA_FUZZ_HELLO) | BIT(KRDMA_FUZZ_REPLY))

/*
 * The fields changed, each where it is sent. A data connection's caps,
 * credits, minor and incarnation are not read (its control connection's
 * are) and not changed; nor the accepting side's HELLO's nonce, zeros
 * that no one reads.
 */
static const struct fuzz_field fuzz_fields[] = {
	{ "magic", CM_ALL, FUZZ_MAC, CM_OFF(magic), CM_SZ(magic) },
	{ "major", CM_ALL, FUZZ_MAC, CM_OFF(major), CM_SZ(major) },
	{ "minor", CM_CTRL, FUZZ_MAC, CM_OFF(minor), CM_SZ(minor) },
	{ "caps", CM_CTRL, FUZZ_MAC, CM_OFF(caps), CM_SZ(caps) },
	{ "credits", CM_CTRL, FUZZ_MAC, CM_OFF(credits), CM_SZ(credits) },
	{ "kind", CM_ALL, FUZZ_MAC, CM_OFF(kind), CM_SZ(kind) },
	{ "index", CM_ALL, FUZZ_MAC, CM_OFF(index), CM_SZ(index) },
	{ "uuid", CM_ALL, FUZZ_MAC, CM_OFF(uuid), CM_SZ(uuid) },
	{ "incarnation", CM_CTRL, FUZZ_MAC, CM_OFF(incarnation),
	  CM_SZ(incarnation) },
	{ "session", CM_ALL, FUZZ_MAC, CM_OFF(session), CM_SZ(session) },
	{ "options or tag", CM_ALL, FUZZ_MAC, CM_OFF(tag), CM_SZ(tag) },
	{ "nonce", BIT(KRDMA_FUZZ_ACCEPT), FUZZ_MAC,
	  offsetof(struct krdma_cm_accept, nonce), KRDMA_NONCE_LEN },
	{ "length", CM_ALL | MSGS, FUZZ_LEN },
	{ "name", BIT(KRDMA_FUZZ_FIELDS), FUZZ_NAME, MSG_OFF(name),
	  MSG_SZ(name) },
	{ "reconnect_ms", BIT(KRDMA_FUZZ_FIELDS), FUZZ_FREE,
	  MSG_OFF(reconnect_ms), MSG_SZ(reconnect_ms) },
	{ "reserved", BIT(KRDMA_FUZZ_FIELDS), FUZZ_FREE, MSG_OFF(reserved),
	  MSG_SZ(reserved) },
	{ "nonce", BIT(KRDMA_FUZZ_NONCE), FUZZ_FREE, 0, KRDMA_NONCE_LEN },
	{ "op", MSGS, FUZZ_MAC, FH_OFF(hdr.op), FH_SZ(hdr.op) },
	{ "flags", MSGS, FUZZ_FLAGS, FH_OFF(hdr.flags), FH_SZ(hdr.flags) },
	{ "len", MSGS, FUZZ_MAC, FH_OFF(hdr.len), FH_SZ(hdr.len) },
	{ "id", MSGS, FUZZ_FREE, FH_OFF(hdr.id), FH_SZ(hdr.id) },
	{ "status", MSGS, FUZZ_FREE, FH_OFF(hdr.status), FH_SZ(hdr.status) },
	{ "name", MSGS, FUZZ_MAC, FH_OFF(msg.name), FH_SZ(msg.name) },
	{ "reconnect_ms", MSGS, FUZZ_MAC, FH_OFF(msg.reconnect_ms),
	  FH_SZ(msg.reconnect_ms) },
	{ "reserved", MSGS, FUZZ_MAC, FH_OFF(msg.reserved),
	  FH_SZ(msg.reserved) },
	{ "nonce", BIT(KRDMA_FUZZ_HELLO), FUZZ_MAC, FH_OFF(msg.nonce),
	  FH_SZ(msg.nonce) },
	{ "mac", MSGS, FUZZ_MAC, FH_OFF(msg.mac), FH_SZ(msg.mac) },
};

/* What is sent at each enum krdma_fuzz_at, for the logs */
static const char * const fuzz_where[] = {
	[KRDMA_FUZZ_REQUEST]	= "connect request",
	[KRDMA_FUZZ_FIELDS]	= "HELLO (before its proof)",
	[KRDMA_FUZZ_NONCE]	= "HELLO (before its proof)",
	[KRDMA_FUZZ_HELLO]	= "HELLO",
	[KRDMA_FUZZ_DATA]	= "data connect request",
	[KRDMA_FUZZ_ACCEPT]	= "accept",
	[KRDMA_FUZZ_REPLY]	= "accepting side's HELLO",
};

/*
 * The proofs that hold when an attempt changing what is sent at @at is
 * refused: none when the accepting side refuses the connecting side's
 * (a change of the accept is in the transcript the connecting side
 * proves), ours when the connecting side refuses the reply, both when a
 * data connection is refused.
 */
static const u8 fuzz_ok_refused[] = {
	[KRDMA_FUZZ_DATA]	= 2,
	[KRDMA_FUZZ_REPLY]	= 1,
};

enum fuzz_kind { FK_ZERO, FK_ONE, FK_MAX, FK_MAX_1, FK_RANDOM, FK_FLIP, FK_NR };

static const char * const fuzz_kinds[FK_NR] = {
	"0", "1", "max", "max-1", "random", "a bit flipped",
};

/*
 * The attempt in progress, which the hook changes once: armed by the run,
 * then fired by the hook. Protected by fuzz_cb_lock.
 */
struct fuzz_attempt {
	const struct fuzz_field	*field;
	int			at;		/* enum krdma_fuzz_at */
	int			kind;
	struct rnd_state	rnd;
	bool			armed;
	bool			fired;
	bool			refuse;		/* what the change must lead to */
	u32			len, new_len;	/* bytes sent, before and after */
};

static DEFINE_SPINLOCK(fuzz_cb_lock);
static struct fuzz_attempt fuzz_now;

/* A message whose length is exact (a SEND's); else a CM's private data */
static bool fuzz_is_msg(const struct fuzz_attempt *a)
{
	return BIT(a->at) & MSGS;
}

static DEFINE_MUTEX(fuzz_lock);		/* one run at a time; fuzz_result */
static char fuzz_result[160] = "none\n";

/* The rule of a node name, as krdma's admin guide gives it. */
static bool fuzz_name_ok(const u8 *name)
{
	size_t i, n = strnlen(name, KRDMA_NAME_LEN);

	if (n == 0 || n == KRDMA_NAME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!isgraph(name[i]))
			return false;
	return true;
}

/* @size bytes at @p, a little-endian integer, changed as @a->kind says. */
static void fuzz_bytes(struct fuzz_attempt *a, u8 *p, u32 size)
{
	u32 bit, i, n;

	switch (a->kind) {
	case FK_ZERO:
	case FK_ONE:
		memset(p, 0, size);
		p[0] = a->kind == FK_ONE;
		break;
	case FK_MAX:
	case FK_MAX_1:
		memset(p, 0xff, size);
		p[0] -= a->kind == FK_MAX_1;
		break;
	case FK_RANDOM:
		if (a->field->rule == FUZZ_NAME) {
			/* a name that is one: the proof decides alone */
			memset(p, 0, size);
			n = 1 + prandom_u32_state(&a->rnd) % (KRDMA_NAME_LEN - 1);
			for (i = 0; i < n; i++)
				p[i] = '!' + prandom_u32_state(&a->rnd) % 94;
			break;
		}
		prandom_bytes_state(&a->rnd, p, size);
		break;
	default:
		bit = prandom_u32_state(&a->rnd) % (size * 8);
		p[bit / 8] ^= 1 << (bit % 8);
		break;
	}
}

/*
 * The bytes sent, @buf of *@len: fewer (what is cut off, a connect
 * request's receiver sees as zeros: so they are) or, up to @max, more
 * (random bytes; half the time the HELLO's header counts them).
 */
static void fuzz_length(struct fuzz_attempt *a, u8 *buf, u32 *len, u32 max)
{
	u32 n = *len;

	switch (a->kind) {
	case FK_ZERO:
		n = 0;
		break;
	case FK_ONE:
		n = 1;
		break;
	case FK_MAX:
		n = max;
		break;
	case FK_MAX_1:
		n = max - 1;
		break;
	case FK_RANDOM:
		n = prandom_u32_state(&a->rnd) % (max + 1);
		break;
	default:
		n = min(max, n ^ (1U << (prandom_u32_state(&a->rnd) % 12)));
		break;
	}
	if (n < *len && !fuzz_is_msg(a))
		memset(buf + n, 0, *len - n);
	if (n > *len) {
		prandom_bytes_state(&a->rnd, buf + *len, n - *len);
		if (prandom_u32_state(&a->rnd) & 1)
			((struct krdma_msg_hdr *)buf)->len =
				cpu_to_le32(n - sizeof(struct krdma_msg_hdr));
	}
	*len = n;
}

/* Whether the change of @old into @buf must be refused. */
static bool fuzz_expect_refused(const struct fuzz_attempt *a, const u8 *old,
				const u8 *buf)
{
	const struct fuzz_field *f = a->field;

	switch (f->rule) {
	case FUZZ_FREE:
		return false;
	case FUZZ_NAME:
		return !fuzz_name_ok(buf + f->off);
	case FUZZ_FLAGS:
		return le16_to_cpu(((const struct krdma_msg_hdr *)buf)->flags) &
		       KRDMA_F_RESPONSE;
	case FUZZ_LEN:
		if (fuzz_is_msg(a))
			return a->new_len < a->len;
		return memcmp(old, buf, a->len) != 0;
	default:
		return memcmp(old + f->off, buf + f->off, f->size) != 0;
	}
}

/* krdma's hook handshake_fuzz: changes the field of the attempt, once. */
static void fuzz_hook(enum krdma_fuzz_at at, void *buf, u32 *len, u32 max)
{
	struct fuzz_attempt *a = &fuzz_now;
	u8 old[sizeof(struct fuzz_hello)];
	unsigned long flags;

	spin_lock_irqsave(&fuzz_cb_lock, flags);
	/* a data connection: the one of index 0 */
	if (!a->armed || a->at != at || *len > sizeof(old) ||
	    (at == KRDMA_FUZZ_DATA &&
	     ((struct krdma_cm_hello *)buf)->index != 0))
		goto out;
	a->armed = false;
	a->len = *len;
	memcpy(old, buf, *len);
	if (a->field->rule == FUZZ_LEN)
		fuzz_length(a, buf, len, max);
	else
		fuzz_bytes(a, buf + a->field->off, a->field->size);
	a->new_len = *len;
	a->refuse = fuzz_expect_refused(a, old, buf);
	a->fired = true;
out:
	spin_unlock_irqrestore(&fuzz_cb_lock, flags);
}

/* --- the run --------------------------------------------------------- */

struct fuzz_run {
	char		target[64];	/* "<ip> <port>" */
	char		conn[112];	/* the connect string */
	u64		seed;
	u32		first, count;
	unsigned long	end;		/* jiffies: the time budget */
	char		*page;		/* for auth_stat */
	u32		attempts, refused, accepted, failed;
	const char	*stop;
};

/* auth_stat's columns the checks need */
struct fuzz_stat {
	long long	ok, failed, strangers, early;
};

static int fuzz_stat_read(struct fuzz_run *r, struct fuzz_stat *s)
{
	long long peak, s_refused, dropped;

	krdma_auth_stat_show(r->page);
	if (sscanf(r->page, "%lld %lld %lld %lld %lld %lld %lld", &s->ok,
		   &s->failed, &s->strangers, &peak, &s_refused, &dropped,
		   &s->early) != 7) {
		pr_warn("test_auth_fuzz: auth_stat '%s' has not 7 columns\n",
			r->page);
		return -EPROTO;
	}
	return 0;
}

static bool fuzz_match_any(const struct krdma_peer *p, const void *arg)
{
	return true;
}

static bool fuzz_match_open(const struct krdma_peer *p, const void *arg)
{
	return !READ_ONCE(p->closing) && READ_ONCE(p->state) != KRDMA_DEAD;
}

static bool fuzz_any_listed(void)
{
	struct krdma_peer *p = krdma_peer_find(fuzz_match_any, NULL);

	if (p)
		krdma_peer_put(p);
	return p;
}

static bool fuzz_any_ready(void)
{
	struct krdma_peer *ready[4];
	int i, n = krdma_peers_ready(ready, ARRAY_SIZE(ready), 0);

	for (i = 0; i < n; i++)
		krdma_peer_put(ready[i]);
	return n > 0;
}

enum fuzz_outcome { FUZZ_GONE, FUZZ_READY, FUZZ_STUCK };

/* Waits until a peer is ready for I/O (accepted) or none is listed. */
static int fuzz_settle(void)
{
	unsigned long end = jiffies + msecs_to_jiffies(FUZZ_SETTLE_MS);

	do {
		if (fuzz_any_ready())
			return FUZZ_READY;
		if (!fuzz_any_listed())
			return FUZZ_GONE;
		usleep_range(10000, 20000);
	} while (time_before(jiffies, end));
	return FUZZ_STUCK;
}

/* Closes every peer; true once none is listed. */
static bool fuzz_close_all(void)
{
	unsigned long end = jiffies + msecs_to_jiffies(FUZZ_CLOSE_MS);
	struct krdma_peer *p;

	while ((p = krdma_peer_find(fuzz_match_open, NULL))) {
		krdma_peer_close(p, -ECONNRESET);
		wait_for_completion_timeout(&p->dead,
					    msecs_to_jiffies(FUZZ_CLOSE_MS));
		krdma_peer_put(p);
	}
	while (fuzz_any_listed()) {
		if (time_after(jiffies, end))
			return false;
		usleep_range(10000, 20000);
	}
	return true;
}

/* How many (field, where it is sent) there are to change */
static u32 fuzz_places(void)
{
	u32 i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fuzz_fields); i++)
		n += hweight8(fuzz_fields[i].where);
	return n;
}

/*
 * Attempt @i's field, where it is sent and its change, drawn from the
 * seed and @i alone, each place alike.
 */
static void fuzz_draw(struct fuzz_run *r, u32 i, struct fuzz_attempt *a)
{
	const struct fuzz_field *f = fuzz_fields;
	u32 n;

	memset(a, 0, sizeof(*a));
	prandom_seed_state(&a->rnd, r->seed ^ ((u64)i * 0x9e3779b97f4a7c15ULL));
	n = prandom_u32_state(&a->rnd) % fuzz_places();
	while (n >= hweight8(f->where))
		n -= hweight8(f++->where);
	a->field = f;
	a->at = __ffs(f->where);
	while (n--)
		a->at = __ffs(f->where & ~GENMASK(a->at, 0));
	a->kind = prandom_u32_state(&a->rnd) % FK_NR;
	a->armed = true;
}

/*
 * Why attempt @a (outcome @out, deltas @d) is wrong; NULL when right. Not
 * the connect's result: a data connection refused may lose the control
 * connection before its connect returned (the proofs counted tell).
 */
static const char *fuzz_verdict(const struct fuzz_attempt *a, int out,
				const struct fuzz_stat *d)
{
	if (!a->fired)
		return "the change was never sent";
	if (out == FUZZ_STUCK)
		return "peers stayed, neither ready nor gone";
	if (a->refuse && out == FUZZ_READY)
		return "accepted, not refused";
	if (!a->refuse && out != FUZZ_READY)
		return "refused, not accepted";
	if (out == FUZZ_READY)
		return d->ok == 2 && !d->failed && !d->early ?
		       NULL : "accepted, not counted as 2 proofs held";
	if (d->failed + d->early < 1)
		return "refused, not counted in auth_stat";
	if (d->ok != fuzz_ok_refused[a->at])
		return "refused, but not with the proofs it must have";
	return NULL;
}

/* Attempt @i; false when the run must stop (r->stop says why). */
static bool fuzz_attempt(struct fuzz_run *r, u32 i)
{
	struct fuzz_stat s0, s1, d;
	bool warned = test_taint(TAINT_WARN);
	struct fuzz_attempt a;
	const char *why;
	int ret, out;

	if (fuzz_stat_read(r, &s0))
		goto stop_peers;
	spin_lock_irq(&fuzz_cb_lock);
	fuzz_draw(r, i, &fuzz_now);
	spin_unlock_irq(&fuzz_cb_lock);

	ret = krdma_connect_str(r->conn, strlen(r->conn));
	out = fuzz_settle();

	spin_lock_irq(&fuzz_cb_lock);
	fuzz_now.armed = false;
	a = fuzz_now;
	spin_unlock_irq(&fuzz_cb_lock);
	if (!fuzz_close_all() || fuzz_stat_read(r, &s1))
		goto stop_peers;
	d.ok = s1.ok - s0.ok;
	d.failed = s1.failed - s0.failed;
	d.early = s1.early - s0.early;

	r->attempts++;
	if (out == FUZZ_READY)
		r->accepted++;
	else
		r->refused++;
	why = fuzz_verdict(&a, out, &d);
	if (!why && s1.strangers)
		why = "strangers left";
	if (why) {
		r->failed++;
		pr_warn("test_auth_fuzz: attempt %u: %s %s set to %s (%u -> %u bytes): %s (connect %d; auth_stat +%lld ok +%lld failed +%lld early); replay: echo '%s %llu 1 60 %u'\n",
			i, fuzz_where[a.at], a.field->name, fuzz_kinds[a.kind],
			a.len, a.new_len, why, ret, d.ok, d.failed, d.early,
			r->target, r->seed, i);
	}
	if (!warned && test_taint(TAINT_WARN)) {
		pr_warn("test_auth_fuzz: a kernel warning during attempt %u (%s %s set to %s)\n",
			i, fuzz_where[a.at], a.field->name, fuzz_kinds[a.kind]);
		r->failed++;
		r->stop = "warning";
		return false;
	}
	return true;

stop_peers:
	r->failed++;
	r->stop = "peers";
	pr_warn("test_auth_fuzz: attempt %u: peers not back to none, or no auth_stat: stopping\n",
		i);
	return false;
}

static void fuzz_run(struct fuzz_run *r)
{
	u32 i;

	r->stop = "done";
	WRITE_ONCE(krdma_test_hooks.handshake_fuzz, fuzz_hook);
	for (i = r->first; i - r->first < r->count; i++) {
		if (time_after(jiffies, r->end)) {
			r->stop = "time";
			break;
		}
		if (!fuzz_attempt(r, i))
			break;
	}
	WRITE_ONCE(krdma_test_hooks.handshake_fuzz, NULL);
	fuzz_close_all();
}

static int fuzz_parse(const char *buf, struct fuzz_run *r)
{
	struct sockaddr_storage dst;
	u32 port, seconds;
	char ip[48], p[8];
	int n;

	n = sscanf(buf, "%47s %u %llu %u %u %u", ip, &port, &r->seed,
		   &r->count, &seconds, &r->first);
	if (n < 5 || !port || port > 65535 || !r->count ||
	    r->count > FUZZ_MAX_COUNT || !seconds ||
	    seconds > FUZZ_MAX_SECONDS)
		return -EINVAL;
	snprintf(p, sizeof(p), "%u", port);
	if (inet_pton_with_scope(&init_net, AF_UNSPEC, ip, p, &dst))
		return -EINVAL;
	/* one connection each: a reconnection would not be the attempt's */
	snprintf(r->target, sizeof(r->target), "%s %u", ip, port);
	snprintf(r->conn, sizeof(r->conn),
		 "%s connect_timeout_ms=5000 reconnect_tries=0", r->target);
	r->end = jiffies + seconds * HZ;
	return 0;
}

static ssize_t fuzz_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	struct fuzz_run *r;
	char buf[96];
	int ret;

	ret = krdma_user_str(file, buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->page = (char *)__get_free_page(GFP_KERNEL);
	if (!r->page) {
		ret = -ENOMEM;
		goto out_run;
	}
	ret = fuzz_parse(buf, r);
	if (ret) {
		pr_warn("test_auth_fuzz: expected \"<ip> <port> <seed> <count 1-%d> <seconds 1-%d> [<first>]\"\n",
			FUZZ_MAX_COUNT, FUZZ_MAX_SECONDS);
		goto out_page;
	}
	mutex_lock(&fuzz_lock);
	if (fuzz_any_listed()) {
		pr_warn("test_auth_fuzz: needs a node with no peer listed: close them first\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	pr_info("test_auth_fuzz: seed %llu, attempts %u to %u, at %s\n",
		r->seed, r->first, r->first + r->count - 1, r->conn);
	fuzz_run(r);
	snprintf(fuzz_result, sizeof(fuzz_result),
		 "ok seed=%llu first=%u attempts=%u refused=%u accepted=%u failed=%u stop=%s\n",
		 r->seed, r->first, r->attempts, r->refused, r->accepted,
		 r->failed, r->stop);
	pr_info("test_auth_fuzz: %s", fuzz_result);
	ret = count;
out_unlock:
	mutex_unlock(&fuzz_lock);
out_page:
	free_page((unsigned long)r->page);
out_run:
	kfree(r);
	return ret;
}

static ssize_t fuzz_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	return rs_test_read_result(&fuzz_lock, fuzz_result, ubuf, count, ppos);
}

static const struct file_operations fuzz_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= fuzz_read,
	.write	= fuzz_write,
	.llseek	= default_llseek,
};

void krdma_auth_fuzz_init(struct dentry *dir)
{
	debugfs_create_file("test_auth_fuzz", 0600, dir, NULL, &fuzz_fops);
}

/* After the file is gone: the hook is off (a run, holding us, is over). */
void krdma_auth_fuzz_exit(void)
{
	WRITE_ONCE(krdma_test_hooks.handshake_fuzz, NULL);
}
