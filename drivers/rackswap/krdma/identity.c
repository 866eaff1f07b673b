// SPDX-License-Identifier: GPL-2.0
/*
 * rackswap: this node's identity, carried by every handshake: a name, a
 * UUID and an incarnation (the load time, so that it changes at every load).
 */
#include <linux/ctype.h>
#include <linux/dmi.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "krdma-priv.h"

static char *nodename;
module_param(nodename, charp, 0444);
MODULE_PARM_DESC(nodename, "This node's name in handshakes (default: the hostname; 1-63 printable characters)");

static char *uuid;
module_param(uuid, charp, 0444);
MODULE_PARM_DESC(uuid, "This node's UUID (default: the DMI product UUID, else random)");

struct rackswap_identity rs_self;
EXPORT_SYMBOL_GPL(rs_self);

/* A node name: 1-63 printable characters without spaces (ours or a remote's). */
bool rs_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(rs_self.name))
		return false;
	for (; *s; s++)
		if (!isgraph(*s))
			return false;
	return true;
}

int rackswap_identity_init(void)
{
	const char *src = nodename ? nodename : init_utsname()->nodename;
	const char *dmi;

	if (!rs_name_ok(src)) {
		pr_err("nodename '%s' is invalid: 1-63 printable characters without spaces\n",
		       src);
		return -EINVAL;
	}
	strscpy(rs_self.name, src, sizeof(rs_self.name));

	dmi = dmi_get_system_info(DMI_PRODUCT_UUID);
	if (uuid) {
		if (uuid_parse(uuid, &rs_self.uuid)) {
			pr_err("uuid '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
			       uuid);
			return -EINVAL;
		}
	} else if (!dmi || uuid_parse(dmi, &rs_self.uuid) ||
		   uuid_is_null(&rs_self.uuid)) {
		uuid_gen(&rs_self.uuid);
	}
	rs_self.incarnation = ktime_get_real_ns();
	pr_info("node %s uuid %pUb incarnation %llu\n", rs_self.name,
		&rs_self.uuid, rs_self.incarnation);
	return 0;
}
