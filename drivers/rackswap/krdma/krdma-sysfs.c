// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: sysfs, the stable control interface.
 *
 *   /sys/kernel/rackswap/{nodename,uuid,incarnation}	this node
 *   /sys/kernel/rackswap/krdma/{connect,disconnect}	control
 *   /sys/kernel/rackswap/krdma/{poll_spin_us,inline_softirq}	tuning
 *   /sys/kernel/rackswap/krdma/{key,allow,allowed,auth_stat}	authentication
 *   /sys/kernel/rackswap/krdma/peers/<id>/...		one value per file
 *
 * Documentation/ABI/testing/sysfs-kernel-rackswap describes every file.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "krdma-priv.h"

struct kobject *rackswap_kobj;
EXPORT_SYMBOL_GPL(rackswap_kobj);

static ssize_t nodename_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%s\n", rs_self.name);
}

static ssize_t uuid_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &rs_self.uuid);
}

static ssize_t incarnation_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", rs_self.incarnation);
}

static struct kobj_attribute nodename_attr = __ATTR_RO(nodename);
static struct kobj_attribute uuid_attr = __ATTR_RO(uuid);
static struct kobj_attribute incarnation_attr = __ATTR_RO(incarnation);

static struct attribute *self_attrs[] = {
	&nodename_attr.attr,
	&uuid_attr.attr,
	&incarnation_attr.attr,
	NULL,
};

static const struct attribute_group self_group = {
	.attrs = self_attrs,
};

/*
 * A control file: a write goes to @fn, whose error the write returns;
 * reading prints @usage. The keys' files are not readable.
 */
struct krdma_ctl_attr {
	struct kobj_attribute	attr;
	int			(*fn)(const char *buf, size_t count);
	const char		*usage;
};

static ssize_t ctl_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "Usage: %s\n",
			  container_of(attr, struct krdma_ctl_attr, attr)->usage);
}

static ssize_t ctl_store(struct kobject *kobj, struct kobj_attribute *attr,
			 const char *buf, size_t count)
{
	int ret = container_of(attr, struct krdma_ctl_attr, attr)->fn(buf, count);

	return ret ? ret : count;
}

#define KRDMA_CTL_ATTR(_name, _mode, _show, _fn, _usage)		\
	static struct krdma_ctl_attr _name##_attr = {			\
		.attr	= __ATTR(_name, _mode, _show, ctl_store),	\
		.fn	= _fn,						\
		.usage	= _usage,					\
	}

KRDMA_CTL_ATTR(connect, 0600, ctl_show, krdma_connect_str,
	       "echo \"<ip> <port>[ key=value...]\" > connect");
KRDMA_CTL_ATTR(disconnect, 0600, ctl_show, krdma_disconnect_str,
	       "echo \"<ip> <port>\" or <node name> > disconnect");
KRDMA_CTL_ATTR(key, 0200, NULL, krdma_key_store, NULL);
KRDMA_CTL_ATTR(allow, 0600, ctl_show, krdma_allow_store,
	       "<uuid>|any <hexkey> [final] | remove <uuid>|any | clear");

static ssize_t allowed_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return krdma_allowed_show(buf);
}

static ssize_t auth_stat_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return krdma_auth_stat_show(buf);
}

/* A tuning file: one unsigned value up to @max, read where it is used. */
struct krdma_tune_attr {
	struct kobj_attribute	attr;
	unsigned int		*val;
	unsigned int		max;
};

static ssize_t tune_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct krdma_tune_attr *t = container_of(attr, struct krdma_tune_attr,
						 attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*t->val));
}

static ssize_t tune_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	struct krdma_tune_attr *t = container_of(attr, struct krdma_tune_attr,
						 attr);
	unsigned int v;

	if (kstrtouint(buf, 10, &v) || v > t->max) {
		pr_warn("%s: \"%.*s\" is not 0-%u\n", attr->attr.name,
			(int)min_t(size_t, strcspn(buf, "\n"), 16), buf, t->max);
		return -EINVAL;
	}
	WRITE_ONCE(*t->val, v);
	return count;
}

#define KRDMA_TUNE_ATTR(_name, _max)					\
	static struct krdma_tune_attr _name##_attr = {			\
		.attr	= __ATTR(_name, 0644, tune_show, tune_store),	\
		.val	= &krdma_##_name,				\
		.max	= _max,						\
	}

KRDMA_TUNE_ATTR(poll_spin_us, 1000);
KRDMA_TUNE_ATTR(inline_softirq, KRDMA_INLINE_IDLE);

static struct kobj_attribute allowed_attr = __ATTR(allowed, 0400, allowed_show,
						   NULL);
static struct kobj_attribute auth_stat_attr = __ATTR_RO(auth_stat);

static struct attribute *krdma_attrs[] = {
	&connect_attr.attr.attr,
	&disconnect_attr.attr.attr,
	&poll_spin_us_attr.attr.attr,
	&inline_softirq_attr.attr.attr,
	&key_attr.attr.attr,
	&allow_attr.attr.attr,
	&allowed_attr.attr,
	&auth_stat_attr.attr,
	NULL,
};

static const struct attribute_group krdma_group = {
	.attrs = krdma_attrs,
};

/* --- one directory per peer ---------------------------------------------- */

#define to_peer(k) container_of(k, struct krdma_peer, kobj)

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);
	char name[KRDMA_NAME_LEN];
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	strscpy(name, peer->name, sizeof(name));
	spin_unlock_irqrestore(&peer->lock, flags);
	return sysfs_emit(buf, "%s\n", name);
}

static ssize_t peer_uuid_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &to_peer(kobj)->uuid);
}

static ssize_t peer_incarnation_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_peer(kobj)->incarnation);
}

static ssize_t address_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);

	/* "<ip> <port>", as written to connect */
	if (peer->addr.ss_family == AF_INET6)
		return sysfs_emit(buf, "%pI6c %u\n",
				  &((struct sockaddr_in6 *)&peer->addr)->sin6_addr,
				  ntohs(((struct sockaddr_in6 *)&peer->addr)->sin6_port));
	return sysfs_emit(buf, "%pI4 %u\n",
			  &((struct sockaddr_in *)&peer->addr)->sin_addr,
			  ntohs(((struct sockaddr_in *)&peer->addr)->sin_port));
}

static ssize_t direction_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%s\n", to_peer(kobj)->active ? "out" : "in");
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);
	enum krdma_state state = READ_ONCE(peer->state);

	/* "closing": for good, not to reconnect */
	return sysfs_emit(buf, "%s\n", READ_ONCE(peer->closing) &&
			  state != KRDMA_DEAD ? "closing" :
			  krdma_state_name(state));
}

static ssize_t credits_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_peer(kobj)->credits));
}

static ssize_t rtt_us_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_peer(kobj)->rtt_us));
}

static ssize_t counter_show(char *buf, atomic64_t *counter)
{
	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(counter));
}

/* A read-only file with the value of one atomic64_t counter of the peer. */
struct krdma_counter_attr {
	struct kobj_attribute	attr;
	size_t			offset;	/* in struct krdma_peer */
};

static ssize_t krdma_counter_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	struct krdma_counter_attr *ca = container_of(attr,
						     struct krdma_counter_attr,
						     attr);

	return counter_show(buf, (void *)to_peer(kobj) + ca->offset);
}

#define KRDMA_COUNTER(_name, _member)					\
	{								\
		.attr = {						\
			.attr = { .name = _name, .mode = 0444 },	\
			.show = krdma_counter_show,			\
		},							\
		.offset = offsetof(struct krdma_peer, _member),		\
	}

static struct krdma_counter_attr rpcs_out_attr =
	KRDMA_COUNTER("rpcs_out", rpcs_out);
static struct krdma_counter_attr rpcs_in_attr =
	KRDMA_COUNTER("rpcs_in", rpcs_in);
static struct krdma_counter_attr rpc_errors_attr =
	KRDMA_COUNTER("rpc_errors", rpc_errors);
static struct krdma_counter_attr bytes_out_attr =
	KRDMA_COUNTER("bytes_out", bytes_out);
static struct krdma_counter_attr bytes_in_attr =
	KRDMA_COUNTER("bytes_in", bytes_in);
static struct krdma_counter_attr reconnects_attr =
	KRDMA_COUNTER("reconnects", reconnects);
static struct krdma_counter_attr grants_voided_attr =
	KRDMA_COUNTER("grants_voided", grants_voided);
static struct krdma_counter_attr registrations_attr =
	KRDMA_COUNTER("registrations", registrations);
static struct krdma_counter_attr rdma_reads_attr =
	KRDMA_COUNTER("rdma_reads", rdma_reads);
static struct krdma_counter_attr rdma_writes_attr =
	KRDMA_COUNTER("rdma_writes", rdma_writes);
static struct krdma_counter_attr rdma_bytes_attr =
	KRDMA_COUNTER("rdma_bytes", rdma_bytes);
static struct krdma_counter_attr io_requeued_attr =
	KRDMA_COUNTER("io_requeued", io_requeued);
static struct krdma_counter_attr io_failed_attr =
	KRDMA_COUNTER("io_failed", io_failed);
static struct krdma_counter_attr io_stalls_attr =
	KRDMA_COUNTER("io_stalls", io_stalls);
static struct krdma_counter_attr granted_slabs_attr =
	KRDMA_COUNTER("granted_slabs", usage.granted_slabs);
static struct krdma_counter_attr granted_bytes_attr =
	KRDMA_COUNTER("granted_bytes", usage.granted_bytes);
static struct krdma_counter_attr stored_slabs_attr =
	KRDMA_COUNTER("stored_slabs", usage.stored_slabs);
static struct krdma_counter_attr stored_bytes_attr =
	KRDMA_COUNTER("stored_bytes", usage.stored_bytes);
static struct krdma_counter_attr checksum_errors_attr =
	KRDMA_COUNTER("checksum_errors", usage.checksum_errors);

/* Entries of @list, counted under @lock. */
static ssize_t list_count_show(char *buf, struct mutex *lock,
			       struct list_head *list)
{
	struct list_head *pos;
	size_t n = 0;

	mutex_lock(lock);
	list_for_each(pos, list)
		n++;
	mutex_unlock(lock);
	return sysfs_emit(buf, "%zu\n", n);
}

static ssize_t grants_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);

	return list_count_show(buf, &peer->grant_lock, &peer->grants);
}

static ssize_t remotes_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);

	return list_count_show(buf, &peer->remote_lock, &peer->remotes);
}

static ssize_t data_qps_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);
	int i, n = 0;

	for (i = 0; i < KRDMA_MAX_DATA_QPS; i++)
		n += READ_ONCE(peer->dq[i].usable);
	return sysfs_emit(buf, "%d\n", n);
}

static ssize_t options_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct krdma_peer *peer = to_peer(kobj);
	struct krdma_opts o;
	unsigned long flags;

	spin_lock_irqsave(&peer->lock, flags);
	o = peer->opts;
	spin_unlock_irqrestore(&peer->lock, flags);
	return krdma_opts_show(&o, buf);
}

static struct kobj_attribute options_attr = __ATTR_RO(options);
static struct kobj_attribute grants_attr = __ATTR_RO(grants);
static struct kobj_attribute remotes_attr = __ATTR_RO(remotes);
static struct kobj_attribute data_qps_attr = __ATTR_RO(data_qps);

static struct kobj_attribute name_attr = __ATTR_RO(name);
static struct kobj_attribute peer_uuid_attr =
	__ATTR(uuid, 0444, peer_uuid_show, NULL);
static struct kobj_attribute peer_incarnation_attr =
	__ATTR(incarnation, 0444, peer_incarnation_show, NULL);
static struct kobj_attribute address_attr = __ATTR_RO(address);
static struct kobj_attribute direction_attr = __ATTR_RO(direction);
static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute credits_attr = __ATTR_RO(credits);
static struct kobj_attribute rtt_us_attr = __ATTR_RO(rtt_us);

static struct attribute *peer_attrs[] = {
	&name_attr.attr,
	&peer_uuid_attr.attr,
	&peer_incarnation_attr.attr,
	&address_attr.attr,
	&direction_attr.attr,
	&state_attr.attr,
	&credits_attr.attr,
	&rtt_us_attr.attr,
	&options_attr.attr,
	&rpcs_out_attr.attr.attr,
	&rpcs_in_attr.attr.attr,
	&rpc_errors_attr.attr.attr,
	&bytes_out_attr.attr.attr,
	&bytes_in_attr.attr.attr,
	&reconnects_attr.attr.attr,
	&data_qps_attr.attr,
	&grants_attr.attr,
	&remotes_attr.attr,
	&grants_voided_attr.attr.attr,
	&registrations_attr.attr.attr,
	&rdma_reads_attr.attr.attr,
	&rdma_writes_attr.attr.attr,
	&rdma_bytes_attr.attr.attr,
	&io_requeued_attr.attr.attr,
	&io_failed_attr.attr.attr,
	&io_stalls_attr.attr.attr,
	&granted_slabs_attr.attr.attr,
	&granted_bytes_attr.attr.attr,
	&stored_slabs_attr.attr.attr,
	&stored_bytes_attr.attr.attr,
	&checksum_errors_attr.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(peer);

static void krdma_peer_release(struct kobject *kobj)
{
	struct krdma_peer *peer = to_peer(kobj);

	if (peer->id >= 0)
		ida_free(&krdma.ids, peer->id);
	kfree(peer);
}

const struct kobj_type krdma_peer_ktype = {
	.release	= krdma_peer_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= peer_groups,
};

int krdma_peer_sysfs_add(struct krdma_peer *peer)
{
	return kobject_add(&peer->kobj, krdma.peers_kobj, "%d", peer->id);
}

int krdma_sysfs_init(void)
{
	int ret;

	krdma.kobj = kobject_create_and_add("krdma", rackswap_kobj);
	if (!krdma.kobj)
		return -ENOMEM;
	ret = sysfs_create_group(krdma.kobj, &krdma_group);
	if (ret)
		goto err_put;
	krdma.peers_kobj = kobject_create_and_add("peers", krdma.kobj);
	if (!krdma.peers_kobj) {
		ret = -ENOMEM;
		goto err_group;
	}
	return 0;

err_group:
	sysfs_remove_group(krdma.kobj, &krdma_group);
err_put:
	kobject_put(krdma.kobj);
	return ret;
}

void krdma_sysfs_exit(void)
{
	kobject_put(krdma.peers_kobj);
	sysfs_remove_group(krdma.kobj, &krdma_group);
	kobject_put(krdma.kobj);
}

int rackswap_sysfs_init(void)
{
	int ret;

	rackswap_kobj = kobject_create_and_add(RACKSWAP_NAME, kernel_kobj);
	if (!rackswap_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(rackswap_kobj, &self_group);
	if (ret)
		kobject_put(rackswap_kobj);
	return ret;
}

void rackswap_sysfs_exit(void)
{
	sysfs_remove_group(rackswap_kobj, &self_group);
	kobject_put(rackswap_kobj);
}
