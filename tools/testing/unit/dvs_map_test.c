// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of drivers/rackswap/dvs/dvs-map.c: slab sizes, the geometry
 * of a space, locating a range, chunk splits, page maps, discards,
 * placement and the pool target. Prints TAP; exits 1 on any failure.
 * Built with the shim headers of tools/testing/unit/shim by dvs_map.sh.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/errno.h>
#include <linux/types.h>

#include "dvs-map.h"

#define KIB(x)		((u64)(x) << 10)
#define MIB(x)		((u64)(x) << 20)
#define GIB(x)		((u64)(x) << 30)
#define PIB(x)		((u64)(x) << 50)
#define PAGE		KIB(4)
#define NR_ITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- TAP ---- */

static int tap_n;
static int tap_failed;
static bool cur_ok = true;
static char diag[8192];
static size_t diag_len;
static int diag_lines;

static void note(int line, const char *fmt, ...)
{
	va_list ap;
	int len;

	cur_ok = false;
	if (++diag_lines > 20 || diag_len >= sizeof(diag) - 1)
		return;
	len = snprintf(diag + diag_len, sizeof(diag) - diag_len,
		       "#   line %d: ", line);
	if (len > 0)
		diag_len += len;
	if (diag_len >= sizeof(diag) - 1)
		return;
	va_start(ap, fmt);
	len = vsnprintf(diag + diag_len, sizeof(diag) - diag_len, fmt, ap);
	va_end(ap);
	if (len > 0)
		diag_len += len;
	if (diag_len >= sizeof(diag) - 1)
		diag_len = sizeof(diag) - 2;
	diag[diag_len++] = '\n';
	diag[diag_len] = '\0';
}

static void check_eq(int line, const char *expr, long long got, long long want)
{
	if (got != want)
		note(line, "%s = %lld (%#llx), want %lld (%#llx)", expr, got,
		     (unsigned long long)got, want, (unsigned long long)want);
}

static void check_true(int line, const char *expr, bool cond)
{
	if (!cond)
		note(line, "%s is false", expr);
}

#define CHECK_EQ(got, want) \
	check_eq(__LINE__, #got, (long long)(got), (long long)(want))
#define CHECK(cond)	check_true(__LINE__, #cond, cond)

/* Ends the current test: one TAP line, then its diagnostics. */
static void tap_result(const char *todo, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cur_ok && !todo)
		tap_failed++;
	printf("%s %d - ", cur_ok ? "ok" : "not ok", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (todo)
		printf(" # TODO %s", todo);
	printf("\n");
	if (diag_lines > 20)
		printf("#   ... %d more\n", diag_lines - 20);
	fputs(diag, stdout);
	cur_ok = true;
	diag[0] = '\0';
	diag_len = 0;
	diag_lines = 0;
}

#define TEST_DONE(...)	tap_result(NULL, __VA_ARGS__)

/* A fixed-seed xorshift32: the same sequence on every run. */
static u32 prng_state = 2463534242U;

static u32 prng(void)
{
	u32 x = prng_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	prng_state = x;
	return x;
}

/* ---- dvs_slab_size_valid ---- */

static void test_slab_size_valid(void)
{
	static const u64 good[] = { MIB(2), MIB(4), MIB(64), MIB(512) };
	static const u64 bad[] = {
		0, 1, PAGE, MIB(1), MIB(3), MIB(6), MIB(96), MIB(2) + PAGE,
		MIB(512) - 1, GIB(1), GIB(2), 1ULL << 63, ~0ULL,
	};
	size_t i;

	for (i = 0; i < NR_ITEMS(good); i++) {
		CHECK_EQ(dvs_slab_size_valid(good[i]), 0);
		TEST_DONE("dvs_slab_size_valid(%llu MiB) is valid",
			  (unsigned long long)(good[i] >> 20));
	}
	for (i = 0; i < NR_ITEMS(bad); i++) {
		CHECK_EQ(dvs_slab_size_valid(bad[i]), -EINVAL);
		TEST_DONE("dvs_slab_size_valid(%#llx) is -EINVAL",
			  (unsigned long long)bad[i]);
	}
}

/* ---- dvs_geom_init ---- */

static void check_geom(int line, u64 size, u64 slab, unsigned int shift,
		       u32 slots, u32 pages, u32 chunks)
{
	struct dvs_geom g;
	int ret;

	memset(&g, 0xa5, sizeof(g));
	ret = dvs_geom_init(&g, size, slab);
	check_eq(line, "ret", ret, 0);
	if (ret)
		return;
	check_eq(line, "g.size", g.size, size);
	check_eq(line, "g.slab_shift", g.slab_shift, shift);
	check_eq(line, "g.nr_slots", g.nr_slots, slots);
	check_eq(line, "g.slab_pages", g.slab_pages, pages);
	check_eq(line, "g.nr_chunks", g.nr_chunks, chunks);
}

static void test_geom_init(void)
{
	struct dvs_geom g;

	check_geom(__LINE__, GIB(1), MIB(64), 26, 16, 16384, 32);
	TEST_DONE("geom 1 GiB / 64 MiB: 16 slots of 16384 pages, 32 chunks");

	check_geom(__LINE__, MIB(100), MIB(64), 26, 2, 16384, 32);
	TEST_DONE("geom 100 MiB / 64 MiB: 2 slots (last one partial)");

	check_geom(__LINE__, MIB(128), MIB(64), 26, 2, 16384, 32);
	check_geom(__LINE__, MIB(128) + PAGE, MIB(64), 26, 3, 16384, 32);
	TEST_DONE("geom 128 MiB (+4 KiB) / 64 MiB: 2 (3) slots");

	check_geom(__LINE__, PAGE, MIB(2), 21, 1, 512, 1);
	check_geom(__LINE__, PAGE, MIB(512), 29, 1, 131072, DVS_MAX_CHUNKS);
	check_geom(__LINE__, GIB(1), MIB(2), 21, 512, 512, 1);
	TEST_DONE("geom: 4 KiB space, smallest and largest slabs");

	CHECK_EQ(dvs_geom_init(&g, 0, MIB(64)), -EINVAL);
	TEST_DONE("geom: size 0 is -EINVAL");

	CHECK_EQ(dvs_geom_init(&g, 4097, MIB(64)), -EINVAL);
	CHECK_EQ(dvs_geom_init(&g, MIB(64) + 512, MIB(64)), -EINVAL);
	CHECK_EQ(dvs_geom_init(&g, 1, MIB(64)), -EINVAL);
	TEST_DONE("geom: size not a multiple of 4 KiB is -EINVAL");

	CHECK_EQ(dvs_geom_init(&g, GIB(1), MIB(3)), -EINVAL);
	CHECK_EQ(dvs_geom_init(&g, GIB(1), MIB(1)), -EINVAL);
	CHECK_EQ(dvs_geom_init(&g, GIB(1), GIB(1)), -EINVAL);
	CHECK_EQ(dvs_geom_init(&g, GIB(1), 0), -EINVAL);
	TEST_DONE("geom: bad slab size is -EINVAL");

	/* 1 << 24 slots at most: 8 PiB of 512 MiB slabs, 32 TiB of 2 MiB */
	check_geom(__LINE__, PIB(8), MIB(512), 29, 1U << 24, 131072, 256);
	CHECK_EQ(dvs_geom_init(&g, PIB(8) + PAGE, MIB(512)), -E2BIG);
	CHECK_EQ(dvs_geom_init(&g, KIB(32ULL << 30) + PAGE, MIB(2)), -E2BIG);
	CHECK_EQ(dvs_geom_init(&g, PIB(1024), MIB(512)), -E2BIG);
	TEST_DONE("geom: 1 << 24 slots accepted, one more is -E2BIG");

	/*
	 * Near 2^64 the slot count must still be -E2BIG, not a wrapped
	 * size + slab_size - 1 that makes a space of 0 slots.
	 */
	memset(&g, 0, sizeof(g));
	CHECK_EQ(dvs_geom_init(&g, ~0ULL - PAGE + 1, MIB(512)), -E2BIG);
	CHECK_EQ(dvs_geom_init(&g, ~0ULL - PAGE + 1, MIB(2)), -E2BIG);
	TEST_DONE("geom: a size near 2^64 is -E2BIG");
}

/* ---- dvs_locate ---- */

static void check_locate(int line, const struct dvs_geom *g, u64 off,
			 u64 len, int want, u32 want_slot, u64 want_off)
{
	u32 slot = 0xdeadbeef;
	u64 slab_off = 0xdeadbeef;
	int ret;

	ret = dvs_locate(g, off, len, &slot, &slab_off);
	check_eq(line, "ret", ret, want);
	if (ret || want)
		return;
	check_eq(line, "slot", slot, want_slot);
	check_eq(line, "slab_off", slab_off, want_off);
}

#define LOCATE_OK(g, off, len, slot, soff) \
	check_locate(__LINE__, g, off, len, 0, slot, soff)
#define LOCATE_BAD(g, off, len) \
	check_locate(__LINE__, g, off, len, -EINVAL, 0, 0)

static void test_locate(void)
{
	struct dvs_geom g, p;

	if (dvs_geom_init(&g, GIB(1), MIB(64)) ||
	    dvs_geom_init(&p, MIB(100), MIB(64))) {
		note(__LINE__, "dvs_geom_init failed");
		TEST_DONE("locate: geometries");
		return;
	}

	LOCATE_OK(&g, 0, PAGE, 0, 0);
	LOCATE_OK(&g, 0, 2 * PAGE, 0, 0);
	TEST_DONE("locate: first page is slot 0 offset 0");

	LOCATE_OK(&g, 3 * MIB(64) + 2 * PAGE, PAGE, 3, 2 * PAGE);
	LOCATE_OK(&g, MIB(64) + MIB(3), MIB(1), 1, MIB(3));
	TEST_DONE("locate: pages inside a slab");

	LOCATE_OK(&g, MIB(64) - PAGE, PAGE, 0, MIB(64) - PAGE);
	LOCATE_OK(&g, 2 * MIB(64) - PAGE, PAGE, 1, MIB(64) - PAGE);
	LOCATE_OK(&g, GIB(1) - PAGE, PAGE, 15, MIB(64) - PAGE);
	TEST_DONE("locate: last page of a slab and of the space");

	LOCATE_OK(&g, MIB(64) + MIB(60), MIB(4), 1, MIB(60));
	LOCATE_OK(&g, 2 * MIB(64), MIB(64), 2, 0);
	LOCATE_OK(&g, GIB(1) - MIB(64), MIB(64), 15, 0);
	TEST_DONE("locate: ranges ending exactly at a slab end");

	LOCATE_BAD(&g, MIB(64) - PAGE, 2 * PAGE);
	LOCATE_BAD(&g, MIB(60), MIB(8));
	LOCATE_BAD(&g, 0, MIB(64) + PAGE);
	LOCATE_BAD(&g, 0, MIB(128));
	TEST_DONE("locate: a range crossing a slab boundary is -EINVAL");

	LOCATE_BAD(&g, GIB(1), PAGE);
	LOCATE_BAD(&g, GIB(2), PAGE);
	LOCATE_BAD(&g, GIB(1) - PAGE, 2 * PAGE);
	LOCATE_BAD(&g, 1ULL << 63, PAGE);
	LOCATE_BAD(&g, ~0ULL - PAGE + 1, PAGE);
	LOCATE_BAD(&g, 0, GIB(2));
	LOCATE_BAD(&g, PAGE, ~0ULL - PAGE + 1);
	TEST_DONE("locate: a range beyond the space is -EINVAL");

	LOCATE_BAD(&g, 100, PAGE);
	LOCATE_BAD(&g, PAGE + 512, PAGE);
	LOCATE_BAD(&g, 0, 100);
	LOCATE_BAD(&g, 0, PAGE + 1);
	LOCATE_BAD(&g, PAGE, PAGE - 1);
	TEST_DONE("locate: unaligned offset or length is -EINVAL");

	LOCATE_BAD(&g, 0, 0);
	LOCATE_BAD(&g, MIB(64), 0);
	TEST_DONE("locate: length 0 is -EINVAL");

	LOCATE_OK(&p, MIB(64), MIB(36), 1, 0);
	LOCATE_OK(&p, MIB(100) - PAGE, PAGE, 1, MIB(36) - PAGE);
	LOCATE_OK(&p, MIB(64) - PAGE, PAGE, 0, MIB(64) - PAGE);
	LOCATE_BAD(&p, MIB(64), MIB(36) + PAGE);
	LOCATE_BAD(&p, MIB(64), MIB(64));
	LOCATE_BAD(&p, MIB(100), PAGE);
	LOCATE_BAD(&p, MIB(128) - PAGE, PAGE);
	TEST_DONE("locate: the last, partial slab of a 100 MiB space");
}

/* ---- dvs_chunk_split ---- */

static void check_split(int line, u64 off, u64 len, int want, u32 want_chunk,
			u64 want_first)
{
	u32 chunk = 0xdeadbeef;
	u64 first_len = 0xdeadbeef;
	int ret;

	ret = dvs_chunk_split(off, len, &chunk, &first_len);
	check_eq(line, "pieces", ret, want);
	if (ret < 0 || want < 0)
		return;
	check_eq(line, "chunk", chunk, want_chunk);
	check_eq(line, "first_len", first_len, want_first);
}

#define SPLIT(off, len, want, chunk, first) \
	check_split(__LINE__, off, len, want, chunk, first)

static void test_chunk_split(void)
{
	SPLIT(0, PAGE, 1, 0, PAGE);
	SPLIT(PAGE, 2 * PAGE, 1, 0, 2 * PAGE);
	SPLIT(5 * MIB(2) + PAGE, PAGE, 1, 5, PAGE);
	SPLIT(MIB(2) - PAGE, PAGE, 1, 0, PAGE);
	SPLIT(MIB(1), MIB(1), 1, 0, MIB(1));
	TEST_DONE("chunk split: within one chunk is 1 piece of len");

	SPLIT(MIB(2) - PAGE, 2 * PAGE, 2, 0, PAGE);
	SPLIT(3 * MIB(2) + MIB(1), MIB(2), 2, 3, MIB(1));
	SPLIT(MIB(4) + PAGE, MIB(2), 2, 2, MIB(2) - PAGE);
	SPLIT(MIB(510) - PAGE, 3 * PAGE, 2, 254, PAGE);
	TEST_DONE("chunk split: crossing a chunk boundary is 2 pieces");

	SPLIT(0, MIB(2), 1, 0, MIB(2));
	SPLIT(MIB(4), MIB(2), 1, 2, MIB(2));
	SPLIT(MIB(512) - MIB(2), MIB(2), 1, 255, MIB(2));
	TEST_DONE("chunk split: a full aligned chunk is 1 piece");

	SPLIT(0, MIB(2) + PAGE, -EINVAL, 0, 0);
	SPLIT(MIB(2), MIB(4), -EINVAL, 0, 0);
	SPLIT(0, ~0ULL, -EINVAL, 0, 0);
	TEST_DONE("chunk split: len > 2 MiB is -EINVAL");

	SPLIT(0, 0, -EINVAL, 0, 0);
	SPLIT(MIB(2) - PAGE, 0, -EINVAL, 0, 0);
	TEST_DONE("chunk split: len 0 is -EINVAL");
}

/* ---- page maps ---- */

#define MAP_PAGES	16384U
#define MAP_GUARD	0x5a5a5a5a5a5a5a5aUL

static unsigned long map[MAP_PAGES / DVS_MAP_BITS + 1];
static unsigned char ref[MAP_PAGES];

static bool bit(u32 i)
{
	return (map[i / DVS_MAP_BITS] >> (i % DVS_MAP_BITS)) & 1;
}

static void map_reset(void)
{
	memset(map, 0, sizeof(map));
	map[MAP_PAGES / DVS_MAP_BITS] = MAP_GUARD;
}

static u32 map_pop(void)
{
	u32 i, pop = 0;

	for (i = 0; i < MAP_PAGES; i++)
		pop += bit(i);
	return pop;
}

/* The map holds exactly the pages [first, first + n), guard intact. */
static void check_only(int line, u32 first, u32 n)
{
	u32 i;

	for (i = 0; i < MAP_PAGES; i++) {
		if (bit(i) != (i >= first && i - first < n)) {
			note(line, "page %u is %s, want [%u, %u) only", i,
			     bit(i) ? "set" : "clear", first, first + n);
			break;
		}
	}
	if (map[MAP_PAGES / DVS_MAP_BITS] != MAP_GUARD)
		note(line, "the word after the map changed: %#lx",
		     map[MAP_PAGES / DVS_MAP_BITS]);
}

#define ONLY(first, n)	check_only(__LINE__, first, n)

static void test_map_longs(void)
{
	CHECK_EQ(dvs_map_longs(MAP_PAGES), MAP_PAGES / DVS_MAP_BITS);
	CHECK_EQ(dvs_map_longs(0), 0);
	CHECK_EQ(dvs_map_longs(1), 1);
	CHECK_EQ(dvs_map_longs(DVS_MAP_BITS), 1);
	CHECK_EQ(dvs_map_longs(DVS_MAP_BITS + 1), 2);
	CHECK_EQ(dvs_map_longs(512), 512 / DVS_MAP_BITS);
	TEST_DONE("dvs_map_longs rounds pages up to longs");
}

static void test_map_set(void)
{
	map_reset();
	CHECK_EQ(dvs_map_set(map, 0, 10), 10);
	ONLY(0, 10);
	TEST_DONE("map set [0, 10): 10 new");

	CHECK_EQ(dvs_map_set(map, 5, 15), 10);
	ONLY(0, 20);
	TEST_DONE("map set [5, 20) over [0, 10): 10 new");

	CHECK_EQ(dvs_map_set(map, 0, 20), 0);
	CHECK_EQ(dvs_map_set(map, 7, 1), 0);
	CHECK_EQ(dvs_map_set(map, 20, 0), 0);
	ONLY(0, 20);
	TEST_DONE("map set of set pages or of none: 0 new");

	map_reset();
	CHECK_EQ(dvs_map_set(map, 60, 10), 10);
	ONLY(60, 10);
	TEST_DONE("map set [60, 70) across a word boundary: 10");

	map_reset();
	CHECK_EQ(dvs_map_set(map, 63, 66), 66);
	ONLY(63, 66);
	CHECK_EQ(map[1], ~0UL);
	CHECK_EQ(dvs_map_set(map, 60, 10), 3);
	ONLY(60, 69);
	TEST_DONE("map set [63, 129) across two boundaries: 66");

	map_reset();
	CHECK_EQ(dvs_map_set(map, 64, 64), 64);
	ONLY(64, 64);
	CHECK_EQ(map[0], 0);
	CHECK_EQ(map[1], ~0UL);
	CHECK_EQ(map[2], 0);
	TEST_DONE("map set [64, 128), a full word: 64");

	map_reset();
	CHECK_EQ(dvs_map_set(map, MAP_PAGES - 1, 1), 1);
	ONLY(MAP_PAGES - 1, 1);
	CHECK_EQ(map[MAP_PAGES / DVS_MAP_BITS - 1], 1UL << (DVS_MAP_BITS - 1));
	TEST_DONE("map set of the last page 16383: 1");

	map_reset();
	CHECK_EQ(dvs_map_set(map, 0, MAP_PAGES), MAP_PAGES);
	ONLY(0, MAP_PAGES);
	CHECK_EQ(dvs_map_set(map, 0, MAP_PAGES), 0);
	TEST_DONE("map set of all 16384 pages");
}

static void test_map_clear(void)
{
	map_reset();
	dvs_map_set(map, 0, 20);
	CHECK_EQ(dvs_map_clear(map, 0, 10), 10);
	ONLY(10, 10);
	CHECK_EQ(dvs_map_clear(map, 5, 10), 5);
	ONLY(15, 5);
	CHECK_EQ(dvs_map_clear(map, 0, 20), 5);
	ONLY(0, 0);
	CHECK_EQ(dvs_map_clear(map, 0, 20), 0);
	TEST_DONE("map clear counts only the pages it cleared");

	map_reset();
	dvs_map_set(map, 0, 192);
	CHECK_EQ(dvs_map_clear(map, 60, 10), 10);
	CHECK_EQ(dvs_map_clear(map, 63, 66), 59);
	CHECK_EQ(map[1], 0);
	CHECK_EQ(map_pop(), 192 - 69);
	CHECK_EQ(dvs_map_clear(map, 0, 192), 192 - 69);
	ONLY(0, 0);
	TEST_DONE("map clear across word boundaries");

	map_reset();
	dvs_map_set(map, 0, MAP_PAGES);
	CHECK_EQ(dvs_map_clear(map, MAP_PAGES - 1, 1), 1);
	CHECK_EQ(dvs_map_clear(map, 64, 64), 64);
	CHECK_EQ(map[1], 0);
	CHECK_EQ(map[0], ~0UL);
	CHECK_EQ(map[2], ~0UL);
	CHECK_EQ(dvs_map_clear(map, 10, 0), 0);
	CHECK_EQ(dvs_map_clear(map, 0, MAP_PAGES), MAP_PAGES - 65);
	ONLY(0, 0);
	TEST_DONE("map clear of a full word, the last page, all pages");
}

static void test_map_any(void)
{
	map_reset();
	CHECK(!dvs_map_any(map, 0, MAP_PAGES));
	CHECK(!dvs_map_any(map, 0, 1));
	CHECK(!dvs_map_any(map, MAP_PAGES - 1, 1));
	TEST_DONE("map any on an empty map is false");

	dvs_map_set(map, 63, 1);
	CHECK(dvs_map_any(map, 63, 1));
	CHECK(!dvs_map_any(map, 62, 1));
	CHECK(!dvs_map_any(map, 64, 1));
	CHECK(dvs_map_any(map, 0, 64));
	CHECK(!dvs_map_any(map, 0, 63));
	CHECK(!dvs_map_any(map, 64, 64));
	CHECK(dvs_map_any(map, 60, 4));
	CHECK(!dvs_map_any(map, 60, 3));
	CHECK(dvs_map_any(map, 63, 100));
	CHECK(dvs_map_any(map, 0, MAP_PAGES));
	CHECK(!dvs_map_any(map, 64, MAP_PAGES - 64));
	CHECK(!dvs_map_any(map, 63, 0));
	TEST_DONE("map any with only page 63 (top bit of word 0) set");

	map_reset();
	dvs_map_set(map, 64, 1);
	CHECK(dvs_map_any(map, 64, 1));
	CHECK(!dvs_map_any(map, 63, 1));
	CHECK(!dvs_map_any(map, 65, 1));
	CHECK(dvs_map_any(map, 60, 5));
	CHECK(!dvs_map_any(map, 60, 4));
	CHECK(!dvs_map_any(map, 0, 64));
	CHECK(!dvs_map_any(map, 65, 200));
	TEST_DONE("map any with only page 64 (bottom bit of word 1) set");

	map_reset();
	dvs_map_set(map, MAP_PAGES - 1, 1);
	CHECK(dvs_map_any(map, MAP_PAGES - 1, 1));
	CHECK(dvs_map_any(map, MAP_PAGES - 64, 64));
	CHECK(!dvs_map_any(map, MAP_PAGES - 64, 63));
	CHECK(!dvs_map_any(map, 0, MAP_PAGES - 1));
	dvs_map_clear(map, MAP_PAGES - 1, 1);
	CHECK(!dvs_map_any(map, 0, MAP_PAGES));
	TEST_DONE("map any with only the last page set, then cleared");

	map_reset();
	dvs_map_set(map, 100, 300);
	dvs_map_clear(map, 128, 64);
	CHECK(dvs_map_any(map, 100, 28));
	CHECK(!dvs_map_any(map, 128, 64));
	CHECK(dvs_map_any(map, 128, 65));
	CHECK(dvs_map_any(map, 127, 2));
	CHECK(!dvs_map_any(map, 400, MAP_PAGES - 400));
	CHECK(!dvs_map_any(map, 0, 100));
	TEST_DONE("map any around a cleared full word");
}

/* The reference: one byte per page, one page at a time. */
static u32 ref_set(u32 first, u32 n)
{
	u32 i, c = 0;

	for (i = first; i < first + n; i++) {
		c += !ref[i];
		ref[i] = 1;
	}
	return c;
}

static u32 ref_clear(u32 first, u32 n)
{
	u32 i, c = 0;

	for (i = first; i < first + n; i++) {
		c += ref[i];
		ref[i] = 0;
	}
	return c;
}

static bool ref_any(u32 first, u32 n)
{
	u32 i;

	for (i = first; i < first + n; i++)
		if (ref[i])
			return true;
	return false;
}

static u32 ref_count(u32 first, u32 n)
{
	u32 i, c = 0;

	for (i = first; i < first + n; i++)
		c += ref[i];
	return c;
}

static void test_map_random(void)
{
	static const char * const op_name[] = { "set", "clear", "any",
						"count" };
	u32 op, first, n, r, got, want, pop = 0, i;
	int bad_ret = 0, bad_map = 0, bad_pop = 0;

	map_reset();
	memset(ref, 0, sizeof(ref));
	prng_state = 2463534242U;
	for (op = 0; op < 5000; op++) {
		r = prng();
		first = prng() % MAP_PAGES;
		/* mostly short ranges, some up to the end of the map */
		if (r % 8 == 0)
			n = prng() % (MAP_PAGES - first + 1);
		else
			n = prng() % 200;
		if (n > MAP_PAGES - first)
			n = MAP_PAGES - first;
		switch (r % 4) {
		case 0:
			got = dvs_map_set(map, first, n);
			want = ref_set(first, n);
			pop += want;
			break;
		case 1:
			got = dvs_map_clear(map, first, n);
			want = ref_clear(first, n);
			pop -= want;
			break;
		case 2:
			got = dvs_map_any(map, first, n);
			want = ref_any(first, n);
			break;
		default:
			got = dvs_map_count(map, first, n);
			want = ref_count(first, n);
			break;
		}
		if (got != want && !bad_ret++)
			note(__LINE__, "op %u: %s [%u, %u) = %u, want %u", op,
			     op_name[r % 4],
			     first, first + n, got, want);
		if (map_pop() != pop && !bad_pop++)
			note(__LINE__, "op %u: population %u, want %u", op,
			     map_pop(), pop);
		for (i = 0; i < MAP_PAGES; i++) {
			if (bit(i) != ref[i]) {
				if (!bad_map++)
					note(__LINE__, "op %u: page %u differs",
					     op, i);
				break;
			}
		}
	}
	CHECK_EQ(bad_ret, 0);
	CHECK_EQ(bad_map, 0);
	CHECK_EQ(bad_pop, 0);
	CHECK_EQ(map[MAP_PAGES / DVS_MAP_BITS], MAP_GUARD);
	/* the sequence must have exercised a well-filled map */
	CHECK(pop > 0 && pop < MAP_PAGES);
	TEST_DONE("map: 5000 random set/clear/any/count match a per-page reference (population %u)",
		  pop);
}

/* ---- dvs_discard_pages ---- */

static void check_discard(int line, u64 off, u64 len, u32 want, u32 first)
{
	u32 got_first = 0xdeadbeef, got;

	got = dvs_discard_pages(off, len, &got_first);
	check_eq(line, "pages", got, want);
	if (want)
		check_eq(line, "first", got_first, first);
}

#define DISCARD(off, len, want, first) \
	check_discard(__LINE__, off, len, want, first)

static void test_discard(void)
{
	DISCARD(0, PAGE, 1, 0);
	DISCARD(2 * PAGE, 4 * PAGE, 4, 2);
	DISCARD(MIB(2), MIB(2), 512, 512);
	DISCARD(0, MIB(512), 131072, 0);
	TEST_DONE("discard: an aligned range covers all its pages");

	DISCARD(100, 2 * PAGE, 1, 1);
	DISCARD(PAGE + 1, 3 * PAGE, 2, 2);
	DISCARD(0, 2 * PAGE + 10, 2, 0);
	DISCARD(PAGE - 1, PAGE + 2, 1, 1);
	DISCARD(3 * PAGE + 2048, 5 * PAGE, 4, 4);
	TEST_DONE("discard: partial first or last pages do not count");

	DISCARD(10, 100, 0, 0);
	DISCARD(PAGE, PAGE - 1, 0, 0);
	DISCARD(PAGE + 1, PAGE - 1, 0, 0);
	DISCARD(2048, PAGE, 0, 0);
	DISCARD(PAGE, 0, 0, 0);
	TEST_DONE("discard: a range within one page (or two halves) is 0");
}

/* ---- dvs_stat_check ---- */

static void test_stat_check(void)
{
	CHECK_EQ(dvs_stat_check(0, 0, 0), 0);
	CHECK_EQ(dvs_stat_check(GIB(2), 0, GIB(2)), 0);
	CHECK_EQ(dvs_stat_check(GIB(2), MIB(64), GIB(2) - MIB(64)), 0);
	CHECK_EQ(dvs_stat_check(GIB(2), GIB(2), 0), 0);
	CHECK_EQ(dvs_stat_check(PIB(1), 0, PIB(1)), 0);
	/* a limit lowered below what is granted */
	CHECK_EQ(dvs_stat_check(MIB(64), GIB(1), 0), 0);
	/* less free than the limit leaves (a per-client limit) */
	CHECK_EQ(dvs_stat_check(GIB(2), 0, MIB(64)), 0);
	TEST_DONE("stat_check: answers a donor can give");

	CHECK_EQ(dvs_stat_check(GIB(2), 0, ~0ULL), -EPROTO);
	CHECK_EQ(dvs_stat_check(~0ULL, 0, ~0ULL), -EPROTO);
	CHECK_EQ(dvs_stat_check(PIB(1) + 1, 0, 0), -EPROTO);
	CHECK_EQ(dvs_stat_check(GIB(2), 0, GIB(2) + 1), -EPROTO);
	CHECK_EQ(dvs_stat_check(GIB(2), MIB(64), GIB(2)), -EPROTO);
	CHECK_EQ(dvs_stat_check(MIB(64), GIB(1), 1), -EPROTO);
	CHECK_EQ(dvs_stat_check(GIB(2), ~0ULL, GIB(1)), -EPROTO);
	TEST_DONE("stat_check: free beyond the limit or the room left is -EPROTO");
}

/* ---- dvs_place ---- */

static void test_place(void)
{
	static const struct dvs_cand refused[] = {
		{ .free = MIB(100), .refused = true },
		{ .free = MIB(200), .refused = true },
	};
	static const struct dvs_cand small[] = {
		{ .free = MIB(1) }, { .free = 0 }, { .free = MIB(2) - 1 },
	};
	static const struct dvs_cand mixed[] = {
		{ .free = MIB(1) }, { .free = GIB(1), .refused = true },
	};
	static const struct dvs_cand one[] = {
		{ .free = 0 }, { .free = MIB(10), .refused = true },
		{ .free = MIB(2) }, { .free = MIB(1) },
	};
	static const struct dvs_cand two[] = {
		{ .free = 100 }, { .free = 300 },
	};
	static const struct dvs_cand two_rev[] = {
		{ .free = 300 }, { .free = 100 },
		{ .free = 1000, .refused = true },
	};
	static const struct dvs_cand four[] = {
		{ .free = 0 }, { .free = 100 }, { .free = 200 },
		{ .free = 1000, .refused = true },
	};
	static const struct dvs_cand equal[] = {
		{ .free = 500 }, { .free = 500, .refused = true },
		{ .free = 500 }, { .free = 10 }, { .free = 500 },
	};
	static const struct dvs_cand graded[] = {
		{ .free = 10 }, { .free = 40 }, { .free = 20 }, { .free = 30 },
	};
	int count[8], ret, bad;
	u32 rnd, i;

	prng_state = 88675123U;
	CHECK_EQ(dvs_place(two, 0, 1, 0), -ENOSPC);
	CHECK_EQ(dvs_place(two, 0, 0, 12345), -ENOSPC);
	TEST_DONE("place: no candidates is -ENOSPC");

	CHECK_EQ(dvs_place(refused, 2, MIB(2), 0), -ENOSPC);
	CHECK_EQ(dvs_place(refused, 2, 0, 7), -ENOSPC);
	CHECK_EQ(dvs_place(small, 3, MIB(2), 0), -ENOSPC);
	CHECK_EQ(dvs_place(small, 3, MIB(2), ~0U), -ENOSPC);
	CHECK_EQ(dvs_place(mixed, 2, MIB(2), 3), -ENOSPC);
	TEST_DONE("place: all refused or too small is -ENOSPC");

	bad = 0;
	for (rnd = 0; rnd < 10000; rnd++)
		bad += dvs_place(one, 4, MIB(2), rnd) != 2;
	for (i = 0; i < 1000; i++)
		bad += dvs_place(one, 4, MIB(2), prng()) != 2;
	bad += dvs_place(one, 4, MIB(2), ~0U) != 2;
	CHECK_EQ(bad, 0);
	CHECK_EQ(dvs_place(one, 4, MIB(2), 1), 2);
	TEST_DONE("place: the one eligible candidate, whatever rnd");

	bad = 0;
	for (rnd = 0; rnd < 10000; rnd++) {
		bad += dvs_place(two, 2, 50, rnd) != 1;
		bad += dvs_place(two_rev, 3, 50, rnd) != 0;
	}
	for (i = 0; i < 1000; i++) {
		rnd = prng();
		bad += dvs_place(two, 2, 50, rnd) != 1;
		bad += dvs_place(two_rev, 3, 50, rnd) != 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(dvs_place(two, 2, 50, 0), 1);
	CHECK_EQ(dvs_place(two_rev, 3, 50, 1), 0);
	TEST_DONE("place: of two eligible, always the one with more free");

	CHECK_EQ(dvs_place(two, 2, 300, 0), 1);
	CHECK_EQ(dvs_place(two, 2, 300, 1), 1);
	CHECK_EQ(dvs_place(two, 2, 301, 1), -ENOSPC);
	TEST_DONE("place: free == need is eligible, free < need is not");

	memset(count, 0, sizeof(count));
	bad = 0;
	for (rnd = 0; rnd < 10000; rnd++) {
		ret = dvs_place(four, 4, 50, rnd);
		if (ret < 0 || ret >= 4)
			bad++;
		else
			count[ret]++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(count[0], 0);
	CHECK_EQ(count[3], 0);
	CHECK(count[2] > count[1]);
	CHECK_EQ(count[1] + count[2], 10000);
	TEST_DONE("place: {0, 100, 200, refused 1000} need 50: never 0 or 3, mostly 2 (%d/%d)",
		  count[2], count[1]);

	memset(count, 0, sizeof(count));
	bad = 0;
	for (rnd = 0; rnd < 10000; rnd++) {
		ret = dvs_place(equal, 5, 100, rnd);
		if (ret < 0 || ret >= 5)
			bad++;
		else
			count[ret]++;
	}
	CHECK_EQ(bad, 0);
	CHECK(count[0] > 0);
	CHECK(count[2] > 0);
	CHECK(count[4] > 0);
	CHECK_EQ(count[1], 0);
	CHECK_EQ(count[3], 0);
	TEST_DONE("place: 3 eligible with equal free: each chosen (%d %d %d)",
		  count[0], count[2], count[4]);

	/* power of two choices over full-range rnd: the least free never */
	memset(count, 0, sizeof(count));
	bad = 0;
	for (i = 0; i < 12000; i++) {
		ret = dvs_place(graded, 4, 1, prng());
		if (ret < 0 || ret >= 4)
			bad++;
		else
			count[ret]++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(count[0], 0);
	CHECK(count[1] > count[3]);
	CHECK(count[3] > count[2]);
	CHECK(count[2] > 0);
	/* expected 1/2, 1/3, 1/6 of 12000 */
	CHECK(count[1] > 5400 && count[1] < 6600);
	CHECK(count[3] > 3500 && count[3] < 4500);
	CHECK(count[2] > 1500 && count[2] < 2500);
	TEST_DONE("place: free {10, 40, 20, 30}, random rnd: %d %d %d %d",
		  count[0], count[1], count[2], count[3]);
}

/* ---- dvs_pool_target ---- */

static void test_pool_target(void)
{
	unsigned int cur, cmin, cmax, t, steps;
	int bad = 0;

	CHECK_EQ(dvs_pool_target(1, 1, 16, true, false), 2);
	CHECK_EQ(dvs_pool_target(2, 1, 16, true, false), 4);
	CHECK_EQ(dvs_pool_target(4, 1, 16, true, false), 8);
	cur = 1;
	cur = dvs_pool_target(cur, 1, 64, true, false);
	CHECK_EQ(cur, 2);
	cur = dvs_pool_target(cur, 1, 64, true, false);
	CHECK_EQ(cur, 4);
	TEST_DONE("pool target: a miss doubles it (1 -> 2 -> 4)");

	CHECK_EQ(dvs_pool_target(8, 1, 16, true, false), 16);
	CHECK_EQ(dvs_pool_target(9, 1, 16, true, false), 16);
	CHECK_EQ(dvs_pool_target(16, 1, 16, true, false), 16);
	CHECK_EQ(dvs_pool_target(5, 0, 6, true, false), 6);
	TEST_DONE("pool target: doubling is capped at max");

	CHECK_EQ(dvs_pool_target(0, 0, 16, true, false), 1);
	CHECK_EQ(dvs_pool_target(0, 4, 16, true, false), 4);
	CHECK_EQ(dvs_pool_target(0, 0, 0, true, false), 0);
	TEST_DONE("pool target: a miss from 0 gives 1, then clamped to min");

	CHECK_EQ(dvs_pool_target(10, 2, 16, false, true), 9);
	CHECK_EQ(dvs_pool_target(3, 2, 16, false, true), 2);
	CHECK_EQ(dvs_pool_target(2, 2, 16, false, true), 2);
	CHECK_EQ(dvs_pool_target(1, 0, 16, false, true), 0);
	cur = 16;
	for (steps = 0; steps < 100 && cur > 4; steps++)
		cur = dvs_pool_target(cur, 4, 16, false, true);
	CHECK_EQ(steps, 12);
	CHECK_EQ(dvs_pool_target(cur, 4, 16, false, true), 4);
	TEST_DONE("pool target: idle decays by one down to min");

	CHECK_EQ(dvs_pool_target(10, 2, 16, false, false), 10);
	CHECK_EQ(dvs_pool_target(2, 2, 16, false, false), 2);
	CHECK_EQ(dvs_pool_target(16, 2, 16, false, false), 16);
	TEST_DONE("pool target: neither missed nor idle leaves it unchanged");

	CHECK_EQ(dvs_pool_target(5, 1, 64, true, true), 10);
	TEST_DONE("pool target: a miss wins over idle");

	CHECK_EQ(dvs_pool_target(1, 4, 16, false, false), 4);
	CHECK_EQ(dvs_pool_target(1, 4, 16, false, true), 4);
	CHECK_EQ(dvs_pool_target(40, 4, 16, false, false), 16);
	CHECK_EQ(dvs_pool_target(40, 4, 16, false, true), 16);
	for (cmin = 0; cmin <= 8; cmin++)
		for (cmax = cmin; cmax <= 80; cmax++)
			for (cur = 0; cur <= 100; cur++)
				for (t = 0; t < 4; t++) {
					unsigned int r;

					r = dvs_pool_target(cur, cmin, cmax,
							    t & 1, t & 2);
					if (r < cmin || r > cmax)
						bad++;
				}
	CHECK_EQ(bad, 0);
	TEST_DONE("pool target: always within [min, max]");
}

static void test_write_copies(void)
{
	/* no rebuild: the live copies, wherever the write lies */
	CHECK_EQ(dvs_write_copies(0x3, -1, 0, 0, 0, PAGE), 0x3);
	CHECK_EQ(dvs_write_copies(0x5, -1, MIB(1), MIB(2), MIB(1), MIB(1) + PAGE), 0x5);
	TEST_DONE("write copies: without a rebuild, the live ones");

	/* copy 2 built, window [1M, 1M + 64K) */
	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, 0, PAGE), 0x7);
	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, MIB(1) - PAGE, MIB(1)), 0x7);
	TEST_DONE("write copies: below the window, the new copy too");

	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, MIB(1) + 65536, MIB(1) + 65536 + PAGE), 0x3);
	CHECK_EQ(dvs_write_copies(0x1, 2, MIB(1), MIB(1) + 65536, MIB(3), MIB(4)), 0x1);
	TEST_DONE("write copies: above it, only the live ones (the rebuild copies it later)");

	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, MIB(1), MIB(1) + PAGE), -EBUSY);
	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, MIB(1) + 65536 - PAGE, MIB(1) + 65536), -EBUSY);
	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, MIB(1) - PAGE, MIB(1) + PAGE), -EBUSY);
	CHECK_EQ(dvs_write_copies(0x3, 2, MIB(1), MIB(1) + 65536, 0, MIB(2)), -EBUSY);
	TEST_DONE("write copies: overlapping the window, -EBUSY");

	/* before the first window (empty at 0) and after the last (at the end) */
	CHECK_EQ(dvs_write_copies(0x1, 1, 0, 0, 0, PAGE), 0x1);
	CHECK_EQ(dvs_write_copies(0x1, 1, MIB(4), MIB(4), MIB(4) - PAGE, MIB(4)), 0x3);
	TEST_DONE("write copies: an empty window at 0 takes nothing, at the end everything");
}

static void test_pick_copy(void)
{
	int load[3] = { 5, 1, 3 };

	CHECK_EQ(dvs_pick_copy(0x7, 0x7, load, 3), 1);
	CHECK_EQ(dvs_pick_copy(0x5, 0x7, load, 3), 2);
	CHECK_EQ(dvs_pick_copy(0x7, 0x5, load, 3), 2);
	TEST_DONE("pick copy: the reachable one with the fewest I/Os in flight");

	CHECK_EQ(dvs_pick_copy(0x3, 0x4, load, 3), 1);
	CHECK_EQ(dvs_pick_copy(0x1, 0x0, load, 3), 0);
	TEST_DONE("pick copy: none reachable, the least loaded of the others");

	CHECK_EQ(dvs_pick_copy(0x0, 0x7, load, 3), -1);
	TEST_DONE("pick copy: no copy, -1");

	load[0] = load[1] = load[2] = 0;
	CHECK_EQ(dvs_pick_copy(0x6, 0x6, load, 3), 1);
	TEST_DONE("pick copy: a tie goes to the lowest index");
}

int main(void)
{
	printf("TAP version 13\n");
	test_slab_size_valid();
	test_geom_init();
	test_locate();
	test_chunk_split();
	test_map_longs();
	test_map_set();
	test_map_clear();
	test_map_any();
	test_map_random();
	test_discard();
	test_stat_check();
	test_place();
	test_pool_target();
	test_write_copies();
	test_pick_copy();
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}
