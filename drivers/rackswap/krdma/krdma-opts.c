// SPDX-License-Identifier: GPL-2.0
/*
 * Connect strings: "<ip> <port>[ <key>=<value>...]", nvme-style. The
 * options set one connection's timing and queues; an accepted connection
 * takes the connecting side's from the hello (krdma_opts_from_hello()).
 * Every refusal is logged with what was wrong.
 */
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <net/ipv6.h>

#include "krdma-priv.h"

struct krdma_opt {
	const char	*key;
	size_t		off;	/* in struct krdma_opts */
	unsigned int	def, min, max;
};

#define KRDMA_OPT(k, d, lo, hi) \
	{ #k, offsetof(struct krdma_opts, k), d, lo, hi }

/* The order of the options file; the ranges the old parameters had. */
static const struct krdma_opt krdma_opt_table[] = {
	KRDMA_OPT(heartbeat_ms,		2000,	100,	10000),
	KRDMA_OPT(heartbeat_missed,	3,	1,	10),
	KRDMA_OPT(connect_timeout_ms,	10000,	100,	30000),
	KRDMA_OPT(rpc_timeout_ms,	10000,	101,	30000),
	KRDMA_OPT(reconnect_delay_ms,	1000,	10,	60000),
	KRDMA_OPT(reconnect_tries,	10,	0,	1000),
	KRDMA_OPT(data_qps,		0,	0,	KRDMA_MAX_DATA_QPS),
	KRDMA_OPT(queue_depth,		128,	16,	1024),
	KRDMA_OPT(ack_timeout,		16,	8,	20),
};

/* The longest window the table allows: 1000 * (90000 + 30000) ms. */
static_assert(KRDMA_RECONNECT_MAX_MS == 1000U * (60000 * 3 / 2 + 30000));

static unsigned int *krdma_opt_field(struct krdma_opts *o,
				     const struct krdma_opt *t)
{
	return (unsigned int *)((char *)o + t->off);
}

static unsigned int krdma_opt_get(const struct krdma_opts *o,
				  const struct krdma_opt *t)
{
	return *(const unsigned int *)((const char *)o + t->off);
}

void krdma_opts_init(struct krdma_opts *o)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(krdma_opt_table); i++)
		*krdma_opt_field(o, &krdma_opt_table[i]) =
			krdma_opt_table[i].def;
}

/*
 * Each option in its range, and what ties them: a heartbeat under an RPC.
 * @who: what the log line names.
 */
int krdma_opts_check(const struct krdma_opts *o, const char *who)
{
	const struct krdma_opt *t;
	int i;

	for (i = 0; i < ARRAY_SIZE(krdma_opt_table); i++) {
		t = &krdma_opt_table[i];
		if (krdma_opt_get(o, t) < t->min ||
		    krdma_opt_get(o, t) > t->max) {
			pr_warn("%s: %s=%u is not %u-%u\n", who, t->key,
				krdma_opt_get(o, t), t->min, t->max);
			return -EINVAL;
		}
	}
	if (o->rpc_timeout_ms <= o->heartbeat_ms) {
		pr_warn("%s: rpc_timeout_ms=%u is not above heartbeat_ms=%u\n",
			who, o->rpc_timeout_ms, o->heartbeat_ms);
		return -EINVAL;
	}
	return 0;
}

/* One "key=value" word; @seen: the keys given so far, by table index. */
static int krdma_parse_opt(char *word, struct krdma_opts *o,
			   unsigned long *seen)
{
	char *val = strchr(word, '=');
	const struct krdma_opt *t;
	unsigned int v;
	int i;

	if (!val) {
		pr_warn("connect: \"%.32s\" is not key=value\n", word);
		return -EINVAL;
	}
	*val++ = '\0';
	for (i = 0; i < ARRAY_SIZE(krdma_opt_table); i++)
		if (!strcmp(word, krdma_opt_table[i].key))
			break;
	if (i == ARRAY_SIZE(krdma_opt_table)) {
		pr_warn("connect: unknown option \"%.32s\"\n", word);
		return -EINVAL;
	}
	t = &krdma_opt_table[i];
	if (__test_and_set_bit(i, seen)) {
		pr_warn("connect: option %s given twice\n", t->key);
		return -EINVAL;
	}
	if (kstrtouint(val, 10, &v) || v < t->min || v > t->max) {
		pr_warn("connect: %s=\"%.16s\" is not %u-%u\n", t->key, val,
			t->min, t->max);
		return -EINVAL;
	}
	*krdma_opt_field(o, t) = v;
	return 0;
}

static int krdma_parse_ip(const char *ip, const char *port,
			  struct sockaddr_storage *ss)
{
	unsigned int pnum;

	if (kstrtouint(port, 10, &pnum) || pnum == 0 || pnum > 65535) {
		pr_warn("connect: port \"%.16s\" is not 1-65535\n", port);
		return -EINVAL;
	}
	if (inet_pton_with_scope(&init_net, AF_UNSPEC, ip, port, ss)) {
		pr_warn("connect: \"%.64s\" is not an IPv4 or IPv6 address\n",
			ip);
		return -EINVAL;
	}
	if (ss->ss_family == AF_INET) {
		__be32 a = ((struct sockaddr_in *)ss)->sin_addr.s_addr;

		if (ipv4_is_zeronet(a) || ipv4_is_multicast(a) ||
		    ipv4_is_lbcast(a))
			goto err_unicast;
	} else {
		const struct in6_addr *a = &((struct sockaddr_in6 *)ss)->sin6_addr;

		if (ipv6_addr_any(a) || ipv6_addr_is_multicast(a))
			goto err_unicast;
	}
	return 0;

err_unicast:
	pr_warn("connect: %.64s is not a unicast address\n", ip);
	return -EINVAL;
}

/*
 * Parses "<ip> <port>[ <key>=<value>...]" in @str (changed: split in
 * words) into @ss and @o, @o starting from the defaults; @o may be NULL
 * when no option is allowed.
 */
int krdma_parse_connect(char *str, struct sockaddr_storage *ss,
			struct krdma_opts *o)
{
	DECLARE_BITMAP(seen, ARRAY_SIZE(krdma_opt_table)) = {};
	char *cur = strim(str), *ip, *port, *word;
	int ret;

	ip = strsep(&cur, " \t");
	cur = cur ? skip_spaces(cur) : NULL;
	port = cur ? strsep(&cur, " \t") : NULL;
	if (!*ip || !port || !*port) {
		pr_warn("connect: expected \"<ip> <port>[ key=value...]\", got \"%.64s\"\n",
			ip);
		return -EINVAL;
	}
	ret = krdma_parse_ip(ip, port, ss);
	if (ret)
		return ret;
	if (o)
		krdma_opts_init(o);
	while (cur && *(cur = skip_spaces(cur))) {
		word = strsep(&cur, " \t");
		if (!o) {
			pr_warn("connect: no option is taken here (\"%.32s\")\n",
				word);
			return -EINVAL;
		}
		ret = krdma_parse_opt(word, o, seen);
		if (ret)
			return ret;
	}
	return o ? krdma_opts_check(o, "connect") : 0;
}

/* The options file: every key=value, in the table's order. */
int krdma_opts_show(const struct krdma_opts *o, char *buf)
{
	int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(krdma_opt_table); i++)
		n += sysfs_emit_at(buf, n, "%s%s=%u", i ? " " : "",
				   krdma_opt_table[i].key,
				   krdma_opt_get(o, &krdma_opt_table[i]));
	return n + sysfs_emit_at(buf, n, "\n");
}

/* How long a peer of options @o keeps reconnecting after a loss, at most. */
u32 krdma_reconnect_window_ms(const struct krdma_opts *o)
{
	return o->reconnect_tries *
	       (o->reconnect_delay_ms * 3 / 2 + o->connect_timeout_ms);
}

void krdma_opts_to_hello(const struct krdma_opts *o,
			 struct krdma_cm_hello *h)
{
	h->heartbeat_ms = cpu_to_le16(o->heartbeat_ms);
	h->rpc_timeout_ms = cpu_to_le16(o->rpc_timeout_ms);
	h->heartbeat_missed = o->heartbeat_missed;
	h->ack_timeout = o->ack_timeout;
	h->queue_depth = cpu_to_le16(o->queue_depth);
}

/*
 * An accepted connection's options: the connecting side's from its hello
 * of @len bytes, the defaults for what a 2.0 hello lacks (or sends as 0).
 * Out of range: -EPROTO.
 */
int krdma_opts_from_hello(struct krdma_opts *o,
			  const struct krdma_cm_hello *h, u8 len)
{
	struct krdma_opts n;

	krdma_opts_init(&n);
	if (len >= sizeof(*h)) {
		n.heartbeat_ms = le16_to_cpu(h->heartbeat_ms) ?: n.heartbeat_ms;
		n.rpc_timeout_ms = le16_to_cpu(h->rpc_timeout_ms) ?:
				   n.rpc_timeout_ms;
		n.heartbeat_missed = h->heartbeat_missed ?: n.heartbeat_missed;
		n.ack_timeout = h->ack_timeout ?: n.ack_timeout;
		n.queue_depth = le16_to_cpu(h->queue_depth) ?: n.queue_depth;
	}
	if (krdma_opts_check(&n, "hello"))
		return -EPROTO;
	*o = n;
	return 0;
}
