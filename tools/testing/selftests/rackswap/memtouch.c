// SPDX-License-Identifier: GPL-2.0
/*
 * memtouch: a workload that makes the kernel swap, and checks every word.
 *
 *   memtouch seq MIB ROUNDS	write MIB of memory, then verify every word;
 *				ROUNDS times with a new pattern each
 *   memtouch rand MIB TOUCHES	TOUCHES random page writes, each page
 *				verified before it is rewritten, then all
 *
 * Prints a summary line; exits 1 on any bad word, 2 on bad usage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE	4096UL
#define WORDS	(PAGE / sizeof(uint64_t))

static uint64_t word(uint64_t seed, uint64_t page, uint64_t i)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL ^ (page << 20) ^ i;

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ULL | 1;
}

static uint64_t check_page(uint64_t *p, uint64_t seed, uint64_t page)
{
	uint64_t i, bad = 0;

	for (i = 0; i < WORDS; i++)
		bad += p[i] != word(seed, page, i);
	return bad;
}

static void fill_page(uint64_t *p, uint64_t seed, uint64_t page)
{
	uint64_t i;

	for (i = 0; i < WORDS; i++)
		p[i] = word(seed, page, i);
}

int main(int argc, char **argv)
{
	uint64_t pages, n, r, pg, bad = 0, *mem;
	uint32_t *ver;
	char *base;

	if (argc != 4)
		return 2;
	pages = strtoull(argv[2], NULL, 0) * (1 << 20) / PAGE;
	n = strtoull(argv[3], NULL, 0);
	base = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED || !pages)
		return 2;
	if (!strcmp(argv[1], "seq")) {
		for (r = 1; r <= n; r++) {
			for (pg = 0; pg < pages; pg++)
				fill_page((uint64_t *)(base + pg * PAGE), r, pg);
			for (pg = 0; pg < pages; pg++)
				bad += check_page((uint64_t *)(base + pg * PAGE),
						  r, pg);
		}
	} else if (!strcmp(argv[1], "rand")) {
		ver = calloc(pages, sizeof(*ver));
		if (!ver)
			return 2;
		srand(getpid());
		for (pg = 0; pg < pages; pg++)
			fill_page((uint64_t *)(base + pg * PAGE), 0, pg);
		for (r = 0; r < n; r++) {
			pg = ((uint64_t)rand() << 16 ^ rand()) % pages;
			mem = (uint64_t *)(base + pg * PAGE);
			bad += check_page(mem, ver[pg], pg);
			fill_page(mem, ++ver[pg], pg);
		}
		for (pg = 0; pg < pages; pg++)
			bad += check_page((uint64_t *)(base + pg * PAGE),
					  ver[pg], pg);
	} else {
		return 2;
	}
	printf("memtouch %s %s MiB %s: %llu bad words\n", argv[1], argv[2],
	       argv[3], (unsigned long long)bad);
	return bad ? 1 : 0;
}
