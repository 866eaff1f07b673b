// SPDX-License-Identifier: GPL-2.0
/*
 * dvs: the pages' encryption, for a space whose config says encrypt (the
 * rdma backend only). AES-256-GCM through the crypto API, a synchronous
 * implementation (usable where the I/O path runs: submission, softirq
 * completion, the rebuild's work). The key is drawn when the space is made
 * and set once; it is never sent nor logged, and goes with the space: the
 * tfm's copy is freed with kfree_sensitive() by crypto_free_aead().
 *
 * Each page is sealed on its own: nonce = a space-wide counter (le64),
 * taken once per page written, and the page's index in its slab (le32);
 * AAD = that index (le64), so a donor can neither replay an older page
 * (its nonce and tag are no longer the page's) nor move one. The client
 * keeps each page's nonce and tag (struct dvs_seal) with the slab, beside
 * the crc32c sums of dvs-sums.c, which stay the sums of the plaintext.
 *
 * A write is encrypted into bounce pages, one per page, taken at its
 * submission from the space's mempool without sleeping (GFP_NOWAIT: the
 * submission never sleeps); when neither the page allocator nor the
 * reserve has one, the write is refused with -EBUSY and tried again by its
 * submitter: the reserve is refilled by the writes in flight, which free
 * their pages when they end, so swap-out under memory pressure progresses.
 * All copies get the same ciphertext. A read is decrypted in place where
 * its sums are checked; a tag that does not match is a mismatch as a bad
 * crc is. The rebuild checks each tag into a page of its own, and copies
 * the ciphertext as it is.
 *
 * One page is processed at a time with the CPU's scratch (the request,
 * AAD, IV and tag), under local_bh_disable(): the completions run in
 * softirq, the submissions and the rebuild in process context.
 */
#include <crypto/aead.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "compat.h"
#include "dvs-priv.h"
#include "fault.h"

#define DVS_KEY_SIZE		32	/* AES-256 */
#define DVS_NONCE_SIZE		12	/* GCM's */
/* bounce pages each encrypted space keeps in reserve (1 MiB) */
#define DVS_BOUNCE_RESERVE	256

static_assert(PAGE_SHIFT == DVS_PAGE_SHIFT);

/* A CPU's scratch: kmalloc'd (the scatterlists point into it) */
struct dvs_crypt_scratch {
	__le64			aad;
	u8			tag[DVS_TAG_SIZE];
	u8			iv[DVS_NONCE_SIZE];
	struct scatterlist	src[3];
	struct scatterlist	dst[3];
	struct aead_request	*req;
};

struct dvs_crypt {
	struct crypto_aead	*tfm;		/* const, keyed once */
	mempool_t		*bounce;	/* pages; its own lock */
	atomic64_t		nonce;		/* the last one taken */
	/* each CPU's, used under local_bh_disable() */
	struct dvs_crypt_scratch * __percpu *cpu;
};

/* Frees each CPU's scratch that was made, and their table. */
static void dvs_crypt_free_scratch(struct dvs_crypt *cr)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct dvs_crypt_scratch *s = *per_cpu_ptr(cr->cpu, cpu);

		if (!s)
			continue;
		aead_request_free(s->req);
		kfree_sensitive(s);
	}
	free_percpu(cr->cpu);
	cr->cpu = NULL;
}

/* Each CPU's scratch, for @cr->tfm: all or none. -ENOMEM. */
static int dvs_crypt_alloc_scratch(struct dvs_crypt *cr)
{
	int cpu;

	cr->cpu = alloc_percpu(struct dvs_crypt_scratch *);
	if (!cr->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct dvs_crypt_scratch *s;

		s = rs_kzalloc(sizeof(*s), GFP_KERNEL);
		if (!s)
			goto err_free;
		*per_cpu_ptr(cr->cpu, cpu) = s;
		s->req = aead_request_alloc(cr->tfm, GFP_KERNEL);
		if (!s->req)
			goto err_free;
	}
	return 0;

err_free:
	dvs_crypt_free_scratch(cr);
	return -ENOMEM;
}

/*
 * A new key, set once and forgotten here: drawn once the CRNG is seeded
 * (a device sized early in boot waits for it; -ERESTARTSYS when a signal
 * comes first, and no key is made).
 */
static int dvs_crypt_key(struct crypto_aead *tfm)
{
	u8 key[DVS_KEY_SIZE];
	int ret;

	ret = wait_for_random_bytes();
	if (ret)
		return ret;
	get_random_bytes(key, sizeof(key));
	ret = crypto_aead_setkey(tfm, key, sizeof(key));
	memzero_explicit(key, sizeof(key));
	return ret;
}

/*
 * Sets up the encryption of @space when its config asks for it: the tfm
 * and its key, the bounce pages, each CPU's scratch. Before any slab is
 * made. Process context.
 */
int dvs_crypt_create(struct dvs_space *space)
{
	struct dvs_crypt *cr;
	int ret;

	if (!space->cfg.encrypt)
		return 0;
	cr = rs_kzalloc(sizeof(*cr), GFP_KERNEL);
	if (!cr)
		return -ENOMEM;
	atomic64_set(&cr->nonce, 0);
	cr->tfm = crypto_alloc_aead("gcm(aes)", 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(cr->tfm)) {
		ret = PTR_ERR(cr->tfm);
		pr_warn("space %u: no synchronous gcm(aes) to encrypt with: %pe\n",
			space->id, cr->tfm);
		goto err_free;
	}
	ret = crypto_aead_setauthsize(cr->tfm, DVS_TAG_SIZE);
	if (!ret)
		ret = dvs_crypt_key(cr->tfm);
	if (ret) {
		pr_warn("space %u: no key for %s: %pe\n", space->id,
			crypto_aead_driver_name(cr->tfm), ERR_PTR(ret));
		goto err_tfm;
	}
	cr->bounce = mempool_create_page_pool(DVS_BOUNCE_RESERVE, 0);
	if (!cr->bounce) {
		ret = -ENOMEM;
		goto err_tfm;
	}
	ret = dvs_crypt_alloc_scratch(cr);
	if (ret)
		goto err_pool;
	space->crypt = cr;
	pr_info("space %u: pages encrypted by %s\n", space->id,
		crypto_aead_driver_name(cr->tfm));
	return 0;

err_pool:
	mempool_destroy(cr->bounce);
err_tfm:
	crypto_free_aead(cr->tfm);
err_free:
	kfree(cr);
	return ret;
}

/* Drops the key and the rest, once no I/O is in flight. Process context. */
void dvs_crypt_destroy(struct dvs_space *space)
{
	struct dvs_crypt *cr = space->crypt;

	if (!cr)
		return;
	dvs_crypt_free_scratch(cr);
	mempool_destroy(cr->bounce);
	crypto_free_aead(cr->tfm);
	kfree(cr);
	space->crypt = NULL;
}

const char *dvs_space_cipher(struct dvs_space *space)
{
	return space->crypt ? crypto_aead_driver_name(space->crypt->tfm) :
			      NULL;
}
EXPORT_SYMBOL_GPL(dvs_space_cipher);

/*
 * At submission, an I/O of an encrypted space: a write fits in its bounce
 * pages, and every entry of its scatterlist is whole pages (each page is
 * encrypted on its own). -EINVAL, logged.
 */
int dvs_crypt_io_check(struct dvs_space *space, struct dvs_io *io)
{
	struct scatterlist *sg;
	unsigned int i;

	if (!space->crypt)
		return 0;
	if (io->write && io->len > DVS_SEALED_IO_MAX)
		goto bad;
	for_each_sg(io->sg, sg, io->nents, i)
		if (!PAGE_ALIGNED(sg->offset) || !PAGE_ALIGNED(sg->length))
			goto bad;
	return 0;
bad:
	pr_warn_ratelimited("space %u: an I/O of %u bytes at %llu refused: an encrypted space takes whole pages, writes of %u bytes at most\n",
			    space->id, io->len, io->offset,
			    DVS_SEALED_IO_MAX);
	return -EINVAL;
}

/*
 * One page through the cipher: @in encrypted into @out (@enc; its tag
 * into @tag), or decrypted and checked against @tag into @out (in place
 * when @out is NULL). -EBADMSG: the tag did not match.
 */
static int dvs_crypt_page(struct dvs_crypt *cr, bool enc, u32 index,
			  u64 nonce, struct page *in, struct page *out,
			  u8 *tag)
{
	struct dvs_crypt_scratch *s;
	struct scatterlist *dst;
	int ret;

	local_bh_disable();
	s = *this_cpu_ptr(cr->cpu);
	s->aad = cpu_to_le64(index);
	put_unaligned_le64(nonce, s->iv);
	put_unaligned_le32(index, s->iv + 8);
	if (!enc)
		memcpy(s->tag, tag, DVS_TAG_SIZE);
	sg_init_table(s->src, enc ? 2 : 3);
	sg_set_buf(&s->src[0], &s->aad, sizeof(s->aad));
	sg_set_page(&s->src[1], in, PAGE_SIZE, 0);
	if (!enc)
		sg_set_buf(&s->src[2], s->tag, DVS_TAG_SIZE);
	dst = s->src;
	if (out) {
		/* gcm skips the AAD of @dst: it only has to be there */
		dst = s->dst;
		sg_init_table(dst, enc ? 3 : 2);
		sg_set_buf(&dst[0], &s->aad, sizeof(s->aad));
		sg_set_page(&dst[1], out, PAGE_SIZE, 0);
		if (enc)
			sg_set_buf(&dst[2], s->tag, DVS_TAG_SIZE);
	}
	aead_request_set_callback(s->req, 0, NULL, NULL);
	aead_request_set_ad(s->req, sizeof(s->aad));
	aead_request_set_crypt(s->req, s->src, dst,
			       enc ? PAGE_SIZE : PAGE_SIZE + DVS_TAG_SIZE,
			       s->iv);
	ret = enc ? crypto_aead_encrypt(s->req) : crypto_aead_decrypt(s->req);
	if (enc && !ret)
		memcpy(tag, s->tag, DVS_TAG_SIZE);
	local_bh_enable();
	return ret;
}

/* Gives back a write's bounce pages. Any context but hard IRQ. */
void dvs_io_bounce_put(struct dvs_io *io)
{
	unsigned int i;

	if (!io->sealed)
		return;
	io->sealed = false;
	for (i = 0; i < io->len >> PAGE_SHIFT; i++)
		if (io->bounce[i])
			mempool_free(io->bounce[i], io->space->crypt->bounce);
}

/*
 * Takes the bounce pages of a write of an encrypted space (@io->space
 * set), all or none: -EBUSY when none is left now. Never sleeps.
 */
int dvs_io_bounce_get(struct dvs_io *io)
{
	struct dvs_crypt *cr = io->space->crypt;
	unsigned int i, n = io->len >> PAGE_SHIFT;

	io->sealed = false;
	if (!cr || !io->write)
		return 0;
	memset(io->bounce, 0, sizeof(io->bounce));
	io->sealed = true;
	sg_init_table(io->bsg, n);
	for (i = 0; i < n; i++) {
		io->bounce[i] = mempool_alloc(cr->bounce, GFP_NOWAIT);
		if (!io->bounce[i]) {
			dvs_io_bounce_put(io);
			return -EBUSY;
		}
		sg_set_page(&io->bsg[i], io->bounce[i], PAGE_SIZE, 0);
	}
	return 0;
}

/*
 * A write of an encrypted space, counted in its slab's writes (after
 * dvs_io_sum()) and about to be posted: each page encrypted into its
 * bounce page, with a new nonce, its seal kept. A page the cipher fails
 * on (not expected) is posted as zeros, never as what its bounce page
 * held before, and sealed with a tag of zeros: its reads fail rather
 * than return what a donor sends unauthenticated. Never sleeps.
 */
void dvs_io_seal(struct dvs_io *io)
{
	struct dvs_crypt *cr = io->space->crypt;
	struct dvs_slab *slab = io->slab;
	u32 index = io->slab_off >> PAGE_SHIFT, b = 0;
	u32 n = io->len >> PAGE_SHIFT;
	struct scatterlist *sg;
	unsigned int i, k;

	if (!io->sealed)
		return;
	for_each_sg(io->sg, sg, io->nents, i) {
		for (k = 0; k < sg->length >> PAGE_SHIFT && b < n;
		     k++, b++, index++) {
			struct dvs_seal *seal = &slab->seals[index];
			u64 nonce = atomic64_inc_return(&cr->nonce);
			u8 tag[DVS_TAG_SIZE];

			if (dvs_crypt_page(cr, true, index, nonce,
					   nth_page(sg_page(sg),
						    (sg->offset >> PAGE_SHIFT) + k),
					   io->bounce[b], tag)) {
				pr_err_ratelimited("space %u: a page of slot %d not encrypted: it reads back bad\n",
						   io->space->id, slab->slot);
				clear_highpage(io->bounce[b]);
				memset(tag, 0, sizeof(tag));
			}
			memcpy(seal->tag, tag, DVS_TAG_SIZE);
			WRITE_ONCE(seal->nonce, nonce);
		}
	}
}

/*
 * Decrypts the pages in use of @len bytes read from @slab_off of @slab (in
 * @sg, whole pages), in place, or each in turn into the one page @out
 * (which then holds the last one: a check that leaves @sg as it is),
 * each checked against its seal: returns those whose tag did not match,
 * the first (counted from @slab_off) at *@first_bad. A page never
 * encrypted (not in use, or its first write not posted) is left as it is.
 * Any context but hard IRQ.
 */
u32 dvs_pages_open(struct dvs_slab *slab, u64 slab_off,
		   struct scatterlist *sg, unsigned int nents, u32 len,
		   struct page *out, u32 *first_bad)
{
	struct dvs_crypt *cr = slab->space->crypt;
	u32 first = slab_off >> PAGE_SHIFT, index = first, bad = 0;
	u32 end = first + (len >> PAGE_SHIFT);
	unsigned int i, k;

	if (!cr)
		return 0;
	for_each_sg(sg, sg, nents, i) {
		for (k = 0; k < sg->length >> PAGE_SHIFT && index < end;
		     k++, index++) {
			struct dvs_seal *seal = &slab->seals[index];
			u64 nonce = READ_ONCE(seal->nonce);

			if (!nonce || !test_bit(index, slab->map))
				continue;
			if (!dvs_crypt_page(cr, false, index, nonce,
					    nth_page(sg_page(sg),
						     (sg->offset >> PAGE_SHIFT) + k),
					    out, seal->tag))
				continue;
			if (!bad++)
				*first_bad = index - first;
		}
	}
	return dvs_test_hook(skip_verify) ? 0 : bad;
}
