/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: dvs
 *
 * dvs: distributed slab storage (dvs.ko), over krdma. The interface the
 * front ends use (rackswap.ko): a space is a linear range of bytes held in
 * slabs that are bound to storage (a donor's memory, or local memory) on
 * first write. Every function here is exported GPL-only.
 */
#ifndef _LINUX_DVS_H
#define _LINUX_DVS_H

#include <linux/krdma.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct dvs_space;
struct dvs_slab;

/**
 * enum dvs_backend - where the slabs of a space are stored
 * @DVS_BACKEND_RDMA: remote donors, through krdma
 * @DVS_BACKEND_DRAM: local memory
 */
enum dvs_backend {
	DVS_BACKEND_RDMA,
	DVS_BACKEND_DRAM,
};

/* The longest I/O, bytes: one 2 MiB chunk of a slab. */
#define DVS_IO_MAX		(2U << 20)

/*
 * The longest write of an encrypted space, bytes: each page is encrypted
 * into a page of its own, and an I/O posts at most KRDMA_IO_MAX_SGE.
 */
#define DVS_SEALED_IO_MAX	(KRDMA_IO_MAX_SGE * 4096U)

/* Copies of a slab on distinct donors (the rdma backend's replicas). */
#define DVS_MAX_COPIES		3

/* The slab sizes a space takes: powers of two from 2 MiB to 512 MiB. */
#define DVS_SLAB_SIZE_MIN	(2ULL << 20)
#define DVS_SLAB_SIZE_MAX	(512ULL << 20)
/* The slab size of a space unless its config says otherwise. */
#define DVS_DEFAULT_SLAB_SIZE	(64ULL << 20)
/* The largest pool_max (and pool_min) of a space, slabs. */
#define DVS_POOL_LIMIT		64
/* The longest release_delay_s of a space, s (one day). */
#define DVS_RELEASE_DELAY_MAX	86400

/**
 * struct dvs_space_config - the settings of a space
 * @slab_size: bytes per slab: a power of two from DVS_SLAB_SIZE_MIN to
 *	DVS_SLAB_SIZE_MAX (default DVS_DEFAULT_SLAB_SIZE). No I/O of the
 *	space crosses a multiple of it.
 * @backend: where its slabs are stored (default DVS_BACKEND_RDMA)
 * @copies: the copies of each slab, on distinct donors: 1 to
 *	DVS_MAX_COPIES; the dram backend keeps 1 (default 1)
 * @pool_min: slabs its pool keeps ready at least: 0 to @pool_max
 *	(default 2)
 * @pool_max: slabs its pool keeps ready at most: @pool_min to
 *	DVS_POOL_LIMIT (default 16)
 * @release_delay_s: how long a slab stays empty before it goes back to
 *	its backend, s: 0 to DVS_RELEASE_DELAY_MAX (default 10)
 * @encrypt: its pages are encrypted (AES-256-GCM) before they leave this
 *	node, with a key made for the space and never sent; the rdma backend
 *	only (default false). Its writes are then at most DVS_SEALED_IO_MAX
 *	bytes, and the entries of an I/O's scatterlist whole pages.
 *
 * Filled by dvs_space_config_init() and then by the caller; the space
 * keeps a copy made by dvs_space_create(): none of it changes afterwards.
 */
struct dvs_space_config {
	u64			slab_size;
	enum dvs_backend	backend;
	unsigned int		copies;
	unsigned int		pool_min;
	unsigned int		pool_max;
	unsigned int		release_delay_s;
	bool			encrypt;
};

/**
 * struct dvs_io - one read or write of a space
 * @offset: the offset in the space
 * @len: its length, bytes
 * @sg: the memory
 * @nents: the entries of @sg
 * @write: a write, else a read
 * @deadline: its deadline, jiffies
 * @done: runs once when the I/O ended, with its status
 * @priv: the caller's
 * @bad_pages: set by dvs before @done runs: the pages a read brought back
 *	corrupt (a checksum mismatch), each copy's counted; 0 for a write
 *
 * One read or write of a space, owned by the caller (nothing allocated per
 * I/O). The range is page-aligned and lies in one slab (a front end that
 * sets its chunk_sectors to DVS_IO_MAX, or to the slab size, never sends
 * one across: slab sizes are multiples of it); it is at most 2 MiB and its
 * scatterlist has at most KRDMA_IO_MAX_SGE entries. @done runs once, in
 * any context, possibly before dvs_io_submit() returns; when it runs no
 * RDMA op can touch @sg any more. Its status is 0 or a negative errno;
 * -EAGAIN (writes only) says every copy of its slab was lost under it: the
 * slab is marked lost and the write, submitted again, goes to the slab
 * that replaces it.
 *
 * Every page a read brings back from a donor is checked against the
 * crc32c its last write had (kept by dvs); a page that does not match is
 * never returned as data: the read goes to another copy, and fails with
 * -EIO when no copy has it right. @bad_pages then says how many pages came
 * back wrong (each copy's counted), also when another copy served the read.
 * In an encrypted space a page whose tag does not match its last write's
 * is such a page too.
 */
struct dvs_io {
	u64			offset;
	u32			len;
	struct scatterlist	*sg;
	unsigned int		nents;
	bool			write;
	unsigned long		deadline;
	void			(*done)(struct dvs_io *io, int status);
	void			*priv;
	u32			bad_pages;

	/* private: dvs's, while the I/O is submitted */
	struct dvs_space	*space;
	struct dvs_slab		*slab;
	u64			slab_off;
	bool			holes;		/* a read over unused pages */
	/* a read's view of its slab's writes at submission (see dvs_io_raced) */
	bool			wbusy;		/* some were in flight */
	u8			races;		/* mismatches read again */
	u32			wseq;		/* writes started */
	bool			summed;		/* a write counted in the slab's */
	atomic_t		parts;		/* of the copy it is on now */
	int			status;		/* ... and their first error */
	/* the rdma backend's: the copies (replicas) it goes to in turn */
	u8			copies;		/* still to try, a mask */
	u8			failed;		/* a write's copies that failed */
	s8			copy;		/* the copy it is on now */
	u8			epoch;		/* a write's: see dvs_rset */
	bool			landed;		/* a write landed on a copy */
	bool			split;		/* @ksg holds @sg split */
	struct krdma_io		kio[2];		/* one per chunk it touches */
	struct scatterlist	ksg[2][KRDMA_IO_MAX_SGE];
	/* an encrypted space's write: the ciphertext it posts (dvs-crypt.c) */
	bool			sealed;		/* @bsg holds it */
	struct page		*bounce[KRDMA_IO_MAX_SGE];
	struct scatterlist	bsg[KRDMA_IO_MAX_SGE];
};

/**
 * dvs_space_config_init() - the default settings of a space
 * @c: filled with the defaults (see struct dvs_space_config)
 *
 * Context: Any context.
 */
void dvs_space_config_init(struct dvs_space_config *c);

/**
 * dvs_slab_size_valid() - check a slab size
 * @slab_size: bytes
 *
 * Context: Any context.
 * Return: 0 for a power of two from DVS_SLAB_SIZE_MIN to DVS_SLAB_SIZE_MAX,
 * else -EINVAL (not logged: the caller names what it was given).
 */
int dvs_slab_size_valid(u64 slab_size);

/**
 * dvs_space_config_check() - check the settings of a space
 * @c: the settings
 * @who: names the caller's object in the log line (e.g. a device name)
 *
 * Checks every field of @c against its range (see struct
 * dvs_space_config), @pool_min against @pool_max and @copies against
 * @backend. The first bad field is logged as "<@who>: <field>: <value>
 * is not <what it must be>".
 *
 * Context: Any context.
 * Return: 0, or -EINVAL with a log line.
 */
int dvs_space_config_check(const struct dvs_space_config *c,
			   const char *who);

/**
 * dvs_space_create() - make a space
 * @size: its size, bytes (page-aligned)
 * @c: its settings (checked with dvs_space_config_check()); the space
 *	keeps a copy, @c may go once this returns
 *
 * Makes a space of @size bytes in slabs of @c->slab_size over
 * @c->backend, each slab in @c->copies copies, and starts filling its
 * pool.
 *
 * Context: Process context.
 * Return: the space, or an ERR_PTR(): -EINVAL for a size that is not a
 * multiple of the page size or bad settings (logged), -E2BIG for more
 * than 2^24 slabs, -ENOENT when @c->encrypt and the kernel has no
 * gcm(aes) (logged), -ERESTARTSYS when @c->encrypt and a signal came while
 * it waited for the CRNG to be seeded, for the key (logged), -ENOMEM.
 */
struct dvs_space *dvs_space_create(u64 size,
				   const struct dvs_space_config *c);

/**
 * dvs_space_destroy() - destroy a space
 * @space: the space
 *
 * Returns every slab; no I/O may be in flight.
 *
 * Context: Process context.
 */
void dvs_space_destroy(struct dvs_space *space);

/**
 * dvs_space_cipher() - the crypto driver that encrypts a space's pages
 * @space: the space
 *
 * Context: Any context.
 * Return: the driver's name (crypto_aead_driver_name(): it says whether
 * the CPU's AES instructions are used), valid while the space lives; NULL
 * when the space is not encrypted.
 */
const char *dvs_space_cipher(struct dvs_space *space);

/**
 * dvs_io_submit() - start an I/O on a space
 * @space: the space
 * @io: the I/O, its first block filled
 *
 * Reads of never-written pages return zeros without touching the network.
 * A write's pages are checksummed here (a crc32c pass each), and in an
 * encrypted space encrypted; a read's are decrypted and checked when it
 * completes.
 *
 * Context: Never sleeps; not with interrupts disabled.
 * Return: 0 (@io->done will run) or, without calling @io->done: -EINVAL
 * (bad range; in an encrypted space also a write over DVS_SEALED_IO_MAX or
 * an entry of @io->sg that is not whole pages, logged), -ENOSPC (a write
 * to an unbound slab and the pool is empty: the refill is kicked, try
 * again later), -EBUSY (a write to the range a rebuild copies right now,
 * or an encrypted space's write that finds no page to encrypt into: try
 * again in a moment), -EIO (the slab is lost; a write goes to a new slab
 * instead, and fails only when a few of them were lost in turn).
 */
int dvs_io_submit(struct dvs_space *space, struct dvs_io *io);

/**
 * dvs_discard() - forget a range of a space
 * @space: the space
 * @offset: the start of the range (page-aligned)
 * @len: its length (page-aligned, any number of slabs)
 *
 * Forgets the whole pages of [@offset, @offset + @len): they read as zeros
 * again, and a slab left empty goes back to its donor after the space's
 * release_delay_s.
 *
 * Context: Never sleeps.
 * Return: 0, or -EINVAL for an empty or unaligned range or one past the
 * end of the space.
 */
int dvs_discard(struct dvs_space *space, u64 offset, u64 len);

/**
 * dvs_space_growing() - whether the pool's refill can still make progress
 * @space: the space
 *
 * Context: Never sleeps.
 * Return: true when its last allocation succeeded, or failed only because
 * a donor is reconnecting or memory ran short for a moment (the tick tries
 * again); false once it failed otherwise, until one succeeds again.
 */
bool dvs_space_growing(struct dvs_space *space);

/**
 * dvs_space_degraded() - count the slabs of a space that miss a copy
 * @space: the space
 *
 * Context: Never sleeps.
 * Return: the slabs of the space that miss a copy now (being rebuilt).
 */
unsigned int dvs_space_degraded(struct dvs_space *space);

/**
 * dvs_space_fill_wait() - wait for the pool of a space to fill
 * @space: the space
 * @timeout_ms: the longest wait, ms
 *
 * Waits up to @timeout_ms for the pool to hold its target.
 *
 * Context: Process context.
 * Return: 0 or -ETIMEDOUT.
 */
int dvs_space_fill_wait(struct dvs_space *space, unsigned int timeout_ms);

#endif /* _LINUX_DVS_H */
