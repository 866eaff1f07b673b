// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch: a workload that makes the kernel swap, and checks every word.
 *
 *   memtouch [-H] [-v N] seq MIB ROUNDS
 *		write MIB of memory, then verify every word; ROUNDS times
 *		with a new pattern each; after the last round's verify, N
 *		more passes that only read and verify (no rewrite)
 *   memtouch [-H] rand MIB TOUCHES
 *		TOUCHES random page writes, each page verified before it is
 *		rewritten, then all
 *
 *   -H		the memory is 2 MiB-aligned and madvise(MADV_HUGEPAGE)d:
 *		transparent huge pages, swapped out whole where the kernel can
 *   -m MARKER	every 64-byte line of every page starts with MARKER (its
 *		first 16 bytes, zero-padded), checked like the other words:
 *		what a scan of the swapped pages' storage can look for
 *
 * Every word is salted with a value drawn at random for the run and with
 * the process id: a page of another process, or of an earlier run, never
 * passes for one of ours. Prints a summary line ending in ": N bad words"
 * (with the pages swapped in during the verify-only passes, from
 * /proc/vmstat's pswpin, when there are any); the first bad word of a run
 * is described on stderr. Exits 1 on any bad word, 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#define PAGE	4096UL
#define WORDS	(PAGE / sizeof(uint64_t))
#define HPAGE	(2UL << 20)

static uint64_t salt;
static uint64_t bad_seen;
/* -m: the two words that start every 64-byte line; none without it */
static uint64_t marker[2];
static int marked;

static uint64_t word(uint64_t seed, uint64_t page, uint64_t i)
{
	uint64_t x = (seed * 0x9e3779b97f4a7c15ULL ^ (page << 20) ^ i) + salt;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x | 1;
}

/* word @i of page @page as written with @seed: the marker's, or word() */
static uint64_t want(uint64_t seed, uint64_t page, uint64_t i)
{
	if (marked && i % 8 < 2)
		return marker[i % 8];
	return word(seed, page, i);
}

static uint64_t check_page(uint64_t *p, uint64_t seed, uint64_t page)
{
	uint64_t i, bad = 0;

	for (i = 0; i < WORDS; i++) {
		if (p[i] == want(seed, page, i))
			continue;
		if (!bad_seen++)
			fprintf(stderr,
				"memtouch: page %llu word %llu: 0x%016llx, want 0x%016llx\n",
				(unsigned long long)page, (unsigned long long)i,
				(unsigned long long)p[i],
				(unsigned long long)want(seed, page, i));
		bad++;
	}
	return bad;
}

static void fill_page(uint64_t *p, uint64_t seed, uint64_t page)
{
	uint64_t i;

	for (i = 0; i < WORDS; i++)
		p[i] = want(seed, page, i);
}

/* pswpin of /proc/vmstat, 0 when it cannot be read */
static uint64_t pswpin(void)
{
	unsigned long long v = 0;
	char key[64];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%63s %llu", key, &v) == 2)
		if (!strcmp(key, "pswpin"))
			break;
	fclose(f);
	return v;
}

static uint64_t check_all(char *base, uint64_t pages, uint64_t seed)
{
	uint64_t pg, bad = 0;

	for (pg = 0; pg < pages; pg++)
		bad += check_page((uint64_t *)(base + pg * PAGE), seed, pg);
	return bad;
}

static uint64_t run_seq(char *base, uint64_t pages, uint64_t rounds,
			uint64_t verify, uint64_t *vin)
{
	uint64_t r, v, pg, in0, bad = 0;

	for (r = 1; r <= rounds; r++) {
		for (pg = 0; pg < pages; pg++)
			fill_page((uint64_t *)(base + pg * PAGE), r, pg);
		bad += check_all(base, pages, r);
	}
	for (v = 0; v < verify; v++) {
		in0 = pswpin();
		bad += check_all(base, pages, rounds);
		*vin += pswpin() - in0;
	}
	return bad;
}

static uint64_t run_rand(char *base, uint64_t pages, uint64_t touches)
{
	uint64_t r, pg, bad = 0, *mem;
	uint32_t *ver;

	ver = calloc(pages, sizeof(*ver));
	if (!ver)
		exit(2);
	srand(getpid() ^ (unsigned int)salt);
	for (pg = 0; pg < pages; pg++)
		fill_page((uint64_t *)(base + pg * PAGE), 0, pg);
	for (r = 0; r < touches; r++) {
		pg = ((uint64_t)rand() << 16 ^ rand()) % pages;
		mem = (uint64_t *)(base + pg * PAGE);
		bad += check_page(mem, ver[pg], pg);
		fill_page(mem, ++ver[pg], pg);
	}
	for (pg = 0; pg < pages; pg++)
		bad += check_page((uint64_t *)(base + pg * PAGE), ver[pg], pg);
	free(ver);
	return bad;
}

static char *map(uint64_t len, int huge)
{
	char *p;

	if (!huge) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	}
	/* one huge page more, to start the region on a 2 MiB boundary */
	p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	if (madvise(p, len, MADV_HUGEPAGE))
		return NULL;
	return p;
}

int main(int argc, char **argv)
{
	uint64_t pages, n, verify = 0, vin = 0, bad;
	int opt, huge = 0;
	char *base;

	while ((opt = getopt(argc, argv, "Hm:v:")) != -1) {
		switch (opt) {
		case 'H':
			huge = 1;
			break;
		case 'm':
			memcpy(marker, optarg, strnlen(optarg, sizeof(marker)));
			marked = 1;
			break;
		case 'v':
			verify = strtoull(optarg, NULL, 0);
			break;
		default:
			return 2;
		}
	}
	if (argc - optind != 3)
		return 2;
	argv += optind;
	pages = strtoull(argv[1], NULL, 0) * (1 << 20) / PAGE;
	n = strtoull(argv[2], NULL, 0);
	if (getrandom(&salt, sizeof(salt), 0) != sizeof(salt))
		return 2;
	salt ^= (uint64_t)getpid() << 32;
	base = pages ? map(pages * PAGE, huge) : NULL;
	if (!base)
		return 2;
	if (!strcmp(argv[0], "seq"))
		bad = run_seq(base, pages, n, verify, &vin);
	else if (!strcmp(argv[0], "rand"))
		bad = run_rand(base, pages, n);
	else
		return 2;
	printf("memtouch %s %s MiB %s%s%s, salt %016llx", argv[0], argv[1],
	       argv[2], huge ? " (THP)" : "", marked ? " (marked)" : "",
	       (unsigned long long)salt);
	if (verify)
		printf(", %llu verify-only pass(es): pswpin +%llu",
		       (unsigned long long)verify, (unsigned long long)vin);
	printf(": %llu bad words\n", (unsigned long long)bad);
	return bad ? 1 : 0;
}
