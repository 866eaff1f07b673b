// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: /sys/kernel/rackswap/dvs/, one value per file. The donor's
 * capacity and knobs, the rebuild rate, and the client side's counters
 * (all spaces). A space's own settings (slab size, pool, release delay)
 * are its creator's: /sys/block/rackswapN/ for the block devices.
 * Documentation/ABI/testing/sysfs-kernel-rackswap describes every file.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "dvs-priv.h"

static struct kobject *dvs_kobj;

static ssize_t donate_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%llu\n", dvs_donor_limit());
}

static ssize_t donate_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	int ret = dvs_donor_set_limit(buf);

	return ret ? ret : count;
}

/*
 * A setting kept in an unsigned int (read with READ_ONCE()) and set by its
 * own function, which checks and logs the value: @name_show and
 * @name_store.
 */
#define DVS_UINT_SETTING(name, var, set)				\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%u\n", READ_ONCE(var));			\
}									\
static ssize_t name##_store(struct kobject *kobj,			\
			    struct kobj_attribute *attr,		\
			    const char *buf, size_t count)		\
{									\
	int ret = set(buf);						\
									\
	return ret ? ret : count;					\
}

DVS_UINT_SETTING(grace_period_s, dvs_grace_period_s, dvs_set_grace)
DVS_UINT_SETTING(client_limit_mb, dvs_client_limit_mb, dvs_set_client_limit)
DVS_UINT_SETTING(rebuild_rate_mb, dvs_rebuild_rate_mb, dvs_set_rebuild_rate)

static ssize_t granted_bytes_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dvs_donor_granted());
}

static ssize_t granted_slabs_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dvs_donor_granted_slabs());
}

static ssize_t free_bytes_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dvs_donor_free());
}

static ssize_t holders_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return dvs_donor_holders(buf, PAGE_SIZE);
}

static ssize_t alloc_us_avg_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	u64 n = atomic64_read(&dvs_stats.allocs);
	u64 ns = atomic64_read(&dvs_stats.alloc_ns_total);

	return sysfs_emit(buf, "%llu\n", n ? div64_u64(ns, n) / 1000 : 0);
}

static ssize_t alloc_us_max_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  div_u64(atomic64_read(&dvs_stats.alloc_ns_max), 1000));
}

struct dvs_counter_attr {
	struct kobj_attribute	attr;
	atomic64_t		*counter;
};

static ssize_t dvs_counter_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct dvs_counter_attr *ca = container_of(attr, struct dvs_counter_attr,
						   attr);

	return sysfs_emit(buf, "%lld\n", atomic64_read(ca->counter));
}

#define DVS_COUNTER(_name, _member)					\
	{								\
		.attr = {						\
			.attr = { .name = _name, .mode = 0444 },	\
			.show = dvs_counter_show,			\
		},							\
		.counter = &dvs_stats._member,				\
	}

static struct dvs_counter_attr slabs_bound_attr =
	DVS_COUNTER("slabs_bound", slabs_bound);
static struct dvs_counter_attr slabs_pooled_attr =
	DVS_COUNTER("slabs_pooled", slabs_pooled);
static struct dvs_counter_attr slabs_released_attr =
	DVS_COUNTER("slabs_released", slabs_released);
static struct dvs_counter_attr slabs_lost_attr =
	DVS_COUNTER("slabs_lost", slabs_lost);
static struct dvs_counter_attr pool_hits_attr =
	DVS_COUNTER("pool_hits", pool_hits);
static struct dvs_counter_attr pool_misses_attr =
	DVS_COUNTER("pool_misses", pool_misses);
static struct dvs_counter_attr allocs_attr =
	DVS_COUNTER("allocs", allocs);
static struct dvs_counter_attr alloc_failures_attr =
	DVS_COUNTER("alloc_failures", alloc_failures);
static struct dvs_counter_attr copies_dropped_attr =
	DVS_COUNTER("copies_dropped", copies_dropped);
static struct dvs_counter_attr copies_rebuilt_attr =
	DVS_COUNTER("copies_rebuilt", copies_rebuilt);
static struct dvs_counter_attr rebuild_bytes_attr =
	DVS_COUNTER("rebuild_bytes", rebuild_bytes);
static struct dvs_counter_attr rebuild_ms_attr =
	DVS_COUNTER("rebuild_ms", rebuild_ms);
static struct dvs_counter_attr slabs_degraded_attr =
	DVS_COUNTER("slabs_degraded", slabs_degraded);
static struct dvs_counter_attr slabs_rebound_attr =
	DVS_COUNTER("slabs_rebound", slabs_rebound);
static struct dvs_counter_attr frees_deferred_attr =
	DVS_COUNTER("frees_deferred", frees_deferred);

static struct dvs_counter_attr requests_refused_attr =
	DVS_COUNTER("requests_refused", requests_refused);
static struct dvs_counter_attr quota_refused_attr =
	DVS_COUNTER("quota_refused", quota_refused);

static struct kobj_attribute donate_attr = __ATTR_RW_MODE(donate, 0644);
static struct kobj_attribute grace_period_s_attr =
	__ATTR_RW_MODE(grace_period_s, 0644);
static struct kobj_attribute client_limit_mb_attr =
	__ATTR_RW_MODE(client_limit_mb, 0644);
static struct kobj_attribute granted_bytes_attr = __ATTR_RO(granted_bytes);
static struct kobj_attribute granted_slabs_attr = __ATTR_RO(granted_slabs);
static struct kobj_attribute free_bytes_attr = __ATTR_RO(free_bytes);
static struct kobj_attribute holders_attr = __ATTR_RO(holders);
static struct kobj_attribute rebuild_rate_mb_attr =
	__ATTR_RW_MODE(rebuild_rate_mb, 0644);
static struct kobj_attribute alloc_us_avg_attr = __ATTR_RO(alloc_us_avg);
static struct kobj_attribute alloc_us_max_attr = __ATTR_RO(alloc_us_max);

static struct attribute *dvs_attrs[] = {
	&donate_attr.attr,
	&grace_period_s_attr.attr,
	&client_limit_mb_attr.attr,
	&granted_bytes_attr.attr,
	&granted_slabs_attr.attr,
	&free_bytes_attr.attr,
	&holders_attr.attr,
	&requests_refused_attr.attr.attr,
	&quota_refused_attr.attr.attr,
	&rebuild_rate_mb_attr.attr,
	&slabs_bound_attr.attr.attr,
	&slabs_pooled_attr.attr.attr,
	&slabs_released_attr.attr.attr,
	&slabs_lost_attr.attr.attr,
	&pool_hits_attr.attr.attr,
	&pool_misses_attr.attr.attr,
	&allocs_attr.attr.attr,
	&alloc_failures_attr.attr.attr,
	&copies_dropped_attr.attr.attr,
	&copies_rebuilt_attr.attr.attr,
	&rebuild_bytes_attr.attr.attr,
	&rebuild_ms_attr.attr.attr,
	&slabs_degraded_attr.attr.attr,
	&slabs_rebound_attr.attr.attr,
	&frees_deferred_attr.attr.attr,
	&alloc_us_avg_attr.attr,
	&alloc_us_max_attr.attr,
	NULL,
};

static const struct attribute_group dvs_group = {
	.attrs = dvs_attrs,
};

int dvs_sysfs_init(void)
{
	int ret;

	dvs_kobj = kobject_create_and_add("dvs", rackswap_kobj);
	if (!dvs_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(dvs_kobj, &dvs_group);
	if (ret)
		kobject_put(dvs_kobj);
	return ret;
}

void dvs_sysfs_exit(void)
{
	sysfs_remove_group(dvs_kobj, &dvs_group);
	kobject_put(dvs_kobj);
}
