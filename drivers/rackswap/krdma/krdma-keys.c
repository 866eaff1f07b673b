// SPDX-License-Identifier: GPL-2.0
/*
 * krdma: the keys of authentication (krdma-auth.c has the handshake).
 *
 * This node's own key, with which it proves itself when it connects
 * (sysfs "key"), and the allowlist of the identities that may connect to
 * it, each with its current and, during a rotation, its previous key
 * (sysfs "allow"); optionally a rack-wide key ("allow any"), which every
 * identity may use. A key is kept only as an HMAC-SHA256 transform set up
 * with it when it is written (process context): the handshake allocates
 * nothing. Readers (the handshake, in softirq or CM handler context) use
 * them under RCU; writers serialize on krdma_keys.lock and free what they
 * replaced after a grace period (crypto_free_shash() wipes the key).
 */
#include <crypto/hash.h>
#include <linux/kernel.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "compat.h"
#include "krdma-priv.h"

/* Identities of the allowlist, at most; their listing fits a page. */
#define KRDMA_ALLOW_MAX		64

/* One identity of the allowlist, or the rack-wide key (@any). */
struct krdma_allow {
	struct list_head	list;	/* on krdma_keys.allow, RCU */
	uuid_t			uuid;
	bool			any;
	/* const once listed: a rotation lists a new entry */
	struct crypto_shash	*cur;
	struct crypto_shash	*prev;	/* accepted too, until "final" */
	/* unlisted by a rotation: @cur is the new entry's @prev now */
	bool			gave_cur;
};

static struct {
	struct mutex			lock;	/* writers of the fields below */
	struct crypto_shash __rcu	*key;	/* ours, to connect out */
	struct list_head		allow;	/* RCU readers */
	int				nr_allow;
	bool				enabled; /* a key or an entry: READ_ONCE */
} krdma_keys = {
	.lock	= __MUTEX_INITIALIZER(krdma_keys.lock),
	.allow	= LIST_HEAD_INIT(krdma_keys.allow),
};

bool krdma_auth_enabled(void)
{
	return READ_ONCE(krdma_keys.enabled);
}

/* A transform keyed with the 64 hex digits of @hex; ERR_PTR on error. */
static struct crypto_shash *krdma_key_new(const char *hex)
{
	struct crypto_shash *tfm;
	u8 key[KRDMA_KEY_LEN];
	int ret;

	if (strlen(hex) != 2 * KRDMA_KEY_LEN ||
	    hex2bin(key, hex, KRDMA_KEY_LEN))
		return ERR_PTR(-EINVAL);
	tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(tfm))
		goto out;
	ret = crypto_shash_setkey(tfm, key, sizeof(key));
	if (ret) {
		crypto_free_shash(tfm);
		tfm = ERR_PTR(ret);
	}
out:
	memzero_explicit(key, sizeof(key));
	return tfm;
}

static void krdma_key_free(struct crypto_shash *tfm)
{
	if (!IS_ERR_OR_NULL(tfm))
		crypto_free_shash(tfm);
}

/* krdma_keys.lock held: whether the node authenticates now changed. */
static void krdma_keys_update(void)
{
	bool on = rcu_access_pointer(krdma_keys.key) ||
		  !list_empty(&krdma_keys.allow);

	lockdep_assert_held(&krdma_keys.lock);
	if (on == krdma_keys.enabled)
		return;
	WRITE_ONCE(krdma_keys.enabled, on);
	if (on)
		pr_info("authentication on: unauthenticated peers are refused\n");
	else
		pr_warn("no key and no allowlist: this node is open to any host on the fabric\n");
}

/*
 * The written value in @tmp (@size bytes), its trailing newline cut. The
 * write's buffer @buf is wiped: it is kernfs's (kmalloc'ed for this write,
 * ours until we return, then freed without being cleared), and a key's hex
 * text must not stay in freed memory. The caller wipes @tmp.
 */
static int krdma_keys_copy(char *tmp, size_t size, const char *buf,
			   size_t count)
{
	int ret = -EINVAL;

	if (count < size && strnlen(buf, count) == count) {
		memcpy(tmp, buf, count);
		tmp[count] = '\0';
		strim(tmp);
		ret = 0;
	}
	memzero_explicit((char *)buf, count);
	return ret;
}

/* sysfs "key": 64 hex digits, or "clear" or nothing to remove it. */
int krdma_key_store(const char *buf, size_t count)
{
	struct crypto_shash *tfm = NULL, *old;
	char tmp[2 * KRDMA_KEY_LEN + 8];
	int ret;

	ret = krdma_keys_copy(tmp, sizeof(tmp), buf, count);
	if (!ret && *tmp && strcmp(tmp, "clear")) {
		tfm = krdma_key_new(tmp);
		ret = PTR_ERR_OR_ZERO(tfm);
	}
	memzero_explicit(tmp, sizeof(tmp));
	if (ret) {
		pr_warn("key: expected %d hex digits, or \"clear\" (%pe)\n",
			2 * KRDMA_KEY_LEN, ERR_PTR(ret));
		return ret;
	}
	mutex_lock(&krdma_keys.lock);
	old = rcu_replace_pointer(krdma_keys.key, tfm,
				  lockdep_is_held(&krdma_keys.lock));
	krdma_keys_update();
	mutex_unlock(&krdma_keys.lock);
	pr_info("key %s: it applies to the next connections made\n",
		tfm ? "set" : "cleared");
	synchronize_rcu();
	krdma_key_free(old);
	return 0;
}

static struct krdma_allow *krdma_allow_find(const uuid_t *uuid, bool any)
{
	struct krdma_allow *a;

	list_for_each_entry_rcu(a, &krdma_keys.allow, list,
				lockdep_is_held(&krdma_keys.lock))
		if (a->any == any && (any || uuid_equal(&a->uuid, uuid)))
			return a;
	return NULL;
}

/*
 * Adds the identity, or rotates its key: the previous one stays accepted
 * unless @final. Under krdma_keys.lock; takes @tfm. Returns the entry
 * replaced (to free after a grace period), NULL or an ERR_PTR.
 */
static struct krdma_allow *krdma_allow_set(const uuid_t *uuid, bool any,
					   struct crypto_shash *tfm,
					   bool final)
{
	struct krdma_allow *old = krdma_allow_find(uuid, any), *a;

	if (!old && krdma_keys.nr_allow >= KRDMA_ALLOW_MAX)
		return ERR_PTR(-ENOSPC);
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return ERR_PTR(-ENOMEM);
	uuid_copy(&a->uuid, uuid);
	a->any = any;
	a->cur = tfm;
	if (old && !final) {
		/* readers may still use the old entry: it stays as it is */
		a->prev = old->cur;
		old->gave_cur = true;
	}
	if (old) {
		list_replace_rcu(&old->list, &a->list);
	} else {
		list_add_tail_rcu(&a->list, &krdma_keys.allow);
		krdma_keys.nr_allow++;
	}
	return old;
}

static void krdma_allow_free(struct krdma_allow *a)
{
	if (IS_ERR_OR_NULL(a))
		return;
	if (!a->gave_cur)
		krdma_key_free(a->cur);
	krdma_key_free(a->prev);
	kfree(a);
}

/* "remove <uuid>|any" and "clear": the entries unlisted on @gone. */
static int krdma_allow_remove(const uuid_t *uuid, bool any, bool all,
			      struct list_head *gone)
{
	struct krdma_allow *a, *n;
	int found = 0;

	list_for_each_entry_safe(a, n, &krdma_keys.allow, list) {
		if (!all && (a->any != any ||
			     (!any && !uuid_equal(&a->uuid, uuid))))
			continue;
		list_del_rcu(&a->list);
		list_add(&a->list, gone);	/* after the grace period */
		krdma_keys.nr_allow--;
		found++;
	}
	return found || all ? 0 : -ENOENT;
}

/* The identity a word names: "any" or a UUID. */
static int krdma_allow_who(const char *word, uuid_t *uuid, bool *any)
{
	*any = !strcmp(word, "any");
	if (*any) {
		uuid_copy(uuid, &uuid_null);
		return 0;
	}
	return uuid_parse(word, uuid) ? -EINVAL : 0;
}

/* One command of sysfs "allow", parsed. */
struct krdma_allow_cmd {
	enum { KRDMA_ALLOW_ADD, KRDMA_ALLOW_REMOVE, KRDMA_ALLOW_CLEAR } op;
	uuid_t			uuid;
	bool			any;
	bool			final;
	const char		*who;	/* the identity, for the log */
	struct crypto_shash	*tfm;	/* ADD: its key */
};

/*
 * "<uuid>|any <hexkey> [final]", "remove <uuid>|any" or "clear", in
 * @line; the key's digits are wiped once read. -EINVAL when malformed.
 */
static int krdma_allow_parse(char *line, struct krdma_allow_cmd *c)
{
	char *w[4] = {}, *cur = line;
	int nw = 0;

	while (nw < ARRAY_SIZE(w) && (w[nw] = strsep(&cur, " \t")))
		if (*w[nw])
			nw++;
	if (nw == 0 || nw == ARRAY_SIZE(w) || cur)
		return -EINVAL;
	if (nw == 1 && !strcmp(w[0], "clear")) {
		c->op = KRDMA_ALLOW_CLEAR;
		c->who = "every identity";
		return 0;
	}
	if (nw == 2 && !strcmp(w[0], "remove")) {
		c->op = KRDMA_ALLOW_REMOVE;
		c->who = w[1];
		return krdma_allow_who(w[1], &c->uuid, &c->any);
	}
	c->final = nw == 3 && !strcmp(w[2], "final");
	if ((nw != 2 && !c->final) || krdma_allow_who(w[0], &c->uuid, &c->any))
		return -EINVAL;
	c->op = KRDMA_ALLOW_ADD;
	c->who = w[0];
	c->tfm = krdma_key_new(w[1]);
	memzero_explicit(w[1], strlen(w[1]));
	return PTR_ERR_OR_ZERO(c->tfm);
}

/* One line for each command of "allow", never with a key. */
static void krdma_allow_log(const struct krdma_allow_cmd *c, bool replaced,
			    int ret)
{
	if (ret == -ENOENT)
		pr_warn("allow: %s is not allowed: nothing removed\n", c->who);
	else if (ret == -ENOSPC)
		pr_warn("allow: %s: already %d identities\n", c->who,
			KRDMA_ALLOW_MAX);
	else if (ret)
		pr_warn("allow: cannot add %s: %pe\n", c->who, ERR_PTR(ret));
	else if (c->op != KRDMA_ALLOW_ADD)
		pr_info("allow: %s removed\n", c->who);
	else
		pr_info("allow: %s %s%s\n", c->any ? "any (the rack-wide key)" : c->who,
			!replaced ? "added" : c->final ? "has a new key, the only one" :
			"has a new key; its previous key is accepted too",
			c->any ? ": any node that holds it is trusted" : "");
}

/* sysfs "allow": one command (krdma_allow_parse()). */
int krdma_allow_store(const char *buf, size_t count)
{
	struct krdma_allow_cmd c = {};
	struct krdma_allow *a, *n, *old = NULL;
	LIST_HEAD(gone);
	char tmp[160];
	int ret;

	ret = krdma_keys_copy(tmp, sizeof(tmp), buf, count);
	if (!ret)
		ret = krdma_allow_parse(tmp, &c);
	if (ret) {
		memzero_explicit(tmp, sizeof(tmp));
		if (ret == -EINVAL)
			pr_warn("allow: expected \"<uuid>|any <64 hex digits> [final]\", \"remove <uuid>|any\" or \"clear\"\n");
		else
			pr_warn("allow: cannot set up the key: %pe\n", ERR_PTR(ret));
		return ret;
	}
	mutex_lock(&krdma_keys.lock);
	if (c.op == KRDMA_ALLOW_ADD) {
		old = krdma_allow_set(&c.uuid, c.any, c.tfm, c.final);
		ret = PTR_ERR_OR_ZERO(old);
	} else {
		ret = krdma_allow_remove(&c.uuid, c.any,
					 c.op == KRDMA_ALLOW_CLEAR, &gone);
	}
	krdma_keys_update();
	mutex_unlock(&krdma_keys.lock);
	krdma_allow_log(&c, !IS_ERR_OR_NULL(old), ret);
	memzero_explicit(tmp, sizeof(tmp));
	if (ret) {
		krdma_key_free(c.tfm);
		return ret;
	}
	/* what was unlisted: once no reader can hold it */
	synchronize_rcu();
	krdma_allow_free(old);
	list_for_each_entry_safe(a, n, &gone, list)
		krdma_allow_free(a);
	return 0;
}

/* sysfs "allowed": one line per identity and the keys accepted for it. */
ssize_t krdma_allowed_show(char *buf)
{
	struct krdma_allow *a;
	ssize_t n = 0;

	mutex_lock(&krdma_keys.lock);
	list_for_each_entry(a, &krdma_keys.allow, list) {
		if (a->any)
			n += sysfs_emit_at(buf, n, "any %d\n", 1 + !!a->prev);
		else
			n += sysfs_emit_at(buf, n, "%pUb %d\n", &a->uuid,
					   1 + !!a->prev);
	}
	mutex_unlock(&krdma_keys.lock);
	return n;
}

/*
 * The key this node proves itself with when it connects: its own, else
 * the rack-wide key; NULL when it has neither. rcu_read_lock() held.
 */
struct crypto_shash *krdma_keys_own(void)
{
	struct crypto_shash *tfm = rcu_dereference(krdma_keys.key);
	struct krdma_allow *any;

	if (tfm)
		return tfm;
	any = krdma_allow_find(NULL, true);
	return any ? any->cur : NULL;
}

/*
 * The keys a remote that claims @uuid may prove itself with, in the order
 * to try them: that identity's current and previous ones when it is
 * listed, else the rack-wide key's. Fills @keys (KRDMA_KEYS_MAX), returns
 * how many. rcu_read_lock() held.
 */
int krdma_keys_of(const uuid_t *uuid, struct crypto_shash **keys)
{
	struct krdma_allow *a = krdma_allow_find(uuid, false);
	int n = 0;

	if (!a)
		a = krdma_allow_find(NULL, true);
	if (!a)
		return 0;
	keys[n++] = a->cur;
	if (a->prev)
		keys[n++] = a->prev;
	return n;
}

void krdma_keys_init(void)
{
	if (!krdma_auth_enabled())
		pr_warn("no key and no allowlist: this node is open to any host on the fabric (see \"Security\" in the admin guide)\n");
}

/* Unload: every peer is gone. */
void krdma_keys_exit(void)
{
	struct krdma_allow *a, *n;

	synchronize_rcu();
	krdma_key_free(rcu_dereference_protected(krdma_keys.key, true));
	RCU_INIT_POINTER(krdma_keys.key, NULL);
	list_for_each_entry_safe(a, n, &krdma_keys.allow, list) {
		list_del(&a->list);
		krdma_allow_free(a);
	}
}
