// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's measuring program: what memory regions on dma-bufs cost
 * against ordinary memory regions, on rxe0 and siw0.
 *
 *	dmabuf_bench short|full [-s SIZE] [-r REPS] [-t SECONDS] [-R ROUNDS]
 *		[-m MSG] [-c ORDER] [-o PART] [-k KIND] [-d DEV]
 *
 * short: one size (1 MiB), 5 repetitions, 2 s per throughput figure.
 * full: 4 KiB to 256 MiB, 9 repetitions, 10 s per throughput figure in 5
 * rounds of 2 s (see 4). What does not fit in the available memory is
 * skipped with a line saying so: in the guest's 1 GiB, the remap of 256 MiB,
 * which holds the old and the new pages at once (boot.sh with GUEST_MEM=2G
 * runs it); udmabuf takes at most 64 MiB in 5.10.
 * -s sets the one size, -r the repetitions, -t the seconds of each
 * throughput figure, -R the rounds they are cut into, -m its message size
 * (64 KiB), -c the test exporter's chunk order (0: chunks of one page, each
 * an entry of the scatter table, its worst case; its moves keep the order).
 * -o runs one part alone (reg, nth, remap or bw), -k one kind of memory in
 * reg and nth (ibv_reg_mr, udmabuf, system_heap, test_exporter), -d one
 * device (rxe0 or siw0): what harness/guest-bench.sh runs under perf to see
 * where the time goes.
 *
 *  1. reg, dereg: ibv_reg_mr() of touched anonymous memory against
 *     ibv_reg_dmabuf_mr() of a udmabuf (memfd pages), a buffer of the
 *     system dma-heap and one of the test exporter; each size registered
 *     and deregistered REPS times.
 *  2. nth_mr: the 1st, 2nd and 100th MR on one buffer of 4 KiB, one of
 *     1 MiB and one of 64 MiB: later MRs share the first one's attachment
 *     and mapping.
 *  3. remap: from the end of a move of the test exporter's buffer
 *     (DMABUF_TEST_IOCTL_MOVE, which copies it: the "move" figure) to the
 *     completion of the first RDMA WRITE into its MR, against a
 *     registration of the same size and its first WRITE (reg_first_write).
 *  4. write_bw: RDMA WRITE throughput into an MR of each kind, and into the
 *     test exporter's while a second thread moves it 1, 10 and 100 times a
 *     second; in rounds, each a slice of every figure in turn, one line a
 *     slice.
 *
 * 3 and 4 run on rxe0 alone: siw pins its dma-buf for as long as an MR
 * holds it (a move is refused with EBUSY), and two siw QPs connect only
 * through the iWARP CM, which rc_pair.h does not do.
 *
 * Each figure is one line, "bench: WHAT key=value ...", times in
 * microseconds: the median (us=) with the minimum and maximum over the
 * repetitions; a skipped figure is a "bench: skip" line with its reason,
 * a failure a "bench: error" line. The last line is "bench: summary".
 * Transfers' bytes are not checked, their completions' status is.
 *
 * A benchmark, not a test: the harness builds it with its guest tests but
 * does not list it for the kselftest runner; without arguments it prints
 * its usage and exits 4 (skip). Exit status 0, or 1 after an error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <infiniband/verbs.h>

#include "drivers/dma-buf/dma-buf-test-exporter-uapi.h"
#include "rc_pair.h"

#define KiB		1024UL
#define MiB		(1024 * KiB)
#define IOVA		0x20000000UL
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)
#define NTH_MRS		100		/* MRs on one buffer */
/*
 * Their buffers in the full form: a page, whose second MR costs what any
 * registration does (the floor of the others' second MRs); 1 MiB, where that
 * fixed cost weighs; 64 MiB, where it does not.
 */
static const size_t nth_sizes[] = { 4 * KiB, MiB, 64 * MiB };
#define DEPTH		16		/* RDMA WRITEs in flight */
#define BW_SIZE		MiB		/* the throughput's target buffer */
#define FIRST_WRITE	4096		/* the WRITE after a move or a reg */
#define UDMABUF_MAX	(64 * MiB)	/* udmabuf's size_limit_mb in 5.10 */
#define CQ_TIMEOUT_US	60e6

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const size_t full_sizes[] = {
	4 * KiB, 64 * KiB, MiB, 16 * MiB, 64 * MiB, 256 * MiB,
};

enum mem_kind { PLAIN, UDMABUF, SYSTEM_HEAP, TEST_EXPORTER, NR_KINDS };

static const char * const kind_names[NR_KINDS] = {
	[PLAIN] = "ibv_reg_mr",
	[UDMABUF] = "udmabuf",
	[SYSTEM_HEAP] = "system_heap",
	[TEST_EXPORTER] = "test_exporter",
};

struct opts {
	const char *form;
	const size_t *sizes;
	unsigned int nr_sizes;
	size_t one_size;		/* -s */
	int reps;
	double seconds;
	int rounds;			/* -R: slices of a throughput figure */
	size_t msg;
	const char *only;		/* -o: one part */
	int kind;			/* -k: one kind, or -1 */
	const char *dev;		/* -d: one device */
};

struct dev {
	const char *name;
	/* Its QPs connect through their GIDs, and its MRs follow moves. */
	bool moves;
	struct ibv_context *ctx;
	struct ibv_pd *pd;
};

/* Memory to register: anonymous memory, or a dma-buf of an exporter. */
struct buf {
	enum mem_kind kind;
	size_t size;
	void *mem;		/* PLAIN: touched anonymous memory */
	int fd;			/* the dma-buf */
	int dev_fd;		/* its exporter's device */
	int memfd;		/* udmabuf's memfd */
};

/* Two RC QPs of rxe0 connected to each other, and the WRITEs' source. */
struct pair {
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	void *src;
	struct ibv_mr *src_mr;
};

struct stats {
	int n;
	double min, med, max;
};

static unsigned int figures, skipped, errors;
/* -c: every test exporter buffer is made of chunks of PAGE_SIZE << this. */
static unsigned int chunk_order;
static char why_buf[256];

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts @v. */
static struct stats stats_of(double *v, int n)
{
	struct stats s = { .n = n };

	qsort(v, n, sizeof(*v), cmp_double);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/* One timed figure; @fmt adds fields of its own. */
static void put_times(const char *what, const char *dev, enum mem_kind kind,
		      size_t size, const struct stats *s, const char *fmt, ...)
{
	va_list ap;

	printf("bench: %s dev=%s kind=%s size=%zu n=%d us=%.1f min_us=%.1f max_us=%.1f",
	       what, dev, kind_names[kind], size, s->n, s->med, s->min,
	       s->max);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	figures++;
}

static void put_skip(const char *what, const char *dev, const char *kind,
		     size_t size, const char *why)
{
	printf("bench: skip what=%s dev=%s kind=%s size=%zu why=\"%s\"\n",
	       what, dev, kind, size, why);
	skipped++;
}

/* @why with errno's text. */
static void put_error(const char *what, const char *dev, const char *kind,
		      size_t size, const char *why)
{
	printf("bench: error what=%s dev=%s kind=%s size=%zu why=\"%s: %s\"\n",
	       what, dev, kind, size, why, strerror(errno));
	errors++;
}

/* @what with errno's text, for a skip line. */
static const char *reason(const char *what)
{
	snprintf(why_buf, sizeof(why_buf), "%s: %s", what, strerror(errno));
	return why_buf;
}

static long mem_available(void)
{
	long kb = -1;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/*
 * NULL if @copies buffers of @size fit in the available memory with half
 * as much again to spare (page tables, scatter tables, rxe's map, KASAN's
 * quarantine); else why not. There is no swap: guessing wrong calls the
 * OOM killer.
 */
static const char *no_room(size_t size, int copies)
{
	long avail = mem_available();

	if (avail < 0 || (double)size * copies * 1.5 <= avail)
		return NULL;
	snprintf(why_buf, sizeof(why_buf),
		 "needs %zu MiB, %ld MiB available: give the guest more memory",
		 size * copies * 3 / 2 / MiB, avail / (long)MiB);
	return why_buf;
}

/* Nothing yet: what buf_destroy() leaves alone. */
static void buf_init(struct buf *b, enum mem_kind kind, size_t size)
{
	b->kind = kind;
	b->size = size;
	b->mem = MAP_FAILED;
	b->fd = -1;
	b->dev_fd = -1;
	b->memfd = -1;
}

/* NULL, or why @b could not be made; buf_destroy() @b either way. */
static const char *buf_create(struct buf *b, enum mem_kind kind, size_t size)
{
	buf_init(b, kind, size);
	switch (kind) {
	case PLAIN:
		b->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b->mem == MAP_FAILED)
			return reason("mmap");
		/* Touched: the registration pins pages, it does not fault them. */
		memset(b->mem, 0xa5, size);
		return NULL;
	case UDMABUF: {
		struct udmabuf_create c = {
			.flags = UDMABUF_FLAGS_CLOEXEC, .size = size,
		};

		if (size > UDMABUF_MAX)
			return "udmabuf takes at most 64 MiB in 5.10";
		b->dev_fd = open("/dev/udmabuf", O_RDWR);
		if (b->dev_fd < 0)
			return reason("/dev/udmabuf");
		b->memfd = memfd_create("dmabuf_bench", MFD_ALLOW_SEALING);
		if (b->memfd < 0 || ftruncate(b->memfd, size) ||
		    fcntl(b->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
			return reason("memfd");
		c.memfd = b->memfd;
		/* udmabuf reads in the memfd's pages as it creates the buffer. */
		b->fd = ioctl(b->dev_fd, UDMABUF_CREATE, &c);
		return b->fd < 0 ? reason("UDMABUF_CREATE") : NULL;
	}
	case SYSTEM_HEAP: {
		struct dma_heap_allocation_data c = {
			.len = size, .fd_flags = O_RDWR | O_CLOEXEC,
		};

		b->dev_fd = open("/dev/dma_heap/system", O_RDWR);
		if (b->dev_fd < 0)
			return reason("/dev/dma_heap/system");
		if (ioctl(b->dev_fd, DMA_HEAP_IOCTL_ALLOC, &c))
			return reason("DMA_HEAP_IOCTL_ALLOC");
		b->fd = c.fd;
		return NULL;
	}
	case TEST_EXPORTER: {
		struct dmabuf_test_create c = {
			.size = size, .chunk_order = chunk_order,
		};

		b->dev_fd = open("/dev/dmabuf_test_exporter", O_RDWR);
		if (b->dev_fd < 0)
			return reason("/dev/dmabuf_test_exporter");
		if (ioctl(b->dev_fd, DMABUF_TEST_IOCTL_CREATE, &c))
			return reason("DMABUF_TEST_IOCTL_CREATE");
		b->fd = c.fd;
		return NULL;
	}
	default:
		return "no such kind";
	}
}

static void buf_destroy(struct buf *b)
{
	if (b->mem != MAP_FAILED)
		munmap(b->mem, b->size);
	if (b->fd >= 0)
		close(b->fd);
	if (b->memfd >= 0)
		close(b->memfd);
	if (b->dev_fd >= 0)
		close(b->dev_fd);
}

static struct ibv_mr *buf_reg(struct ibv_pd *pd, const struct buf *b)
{
	if (b->kind == PLAIN)
		return ibv_reg_mr(pd, b->mem, b->size, ACCESS);
	return ibv_reg_dmabuf_mr(pd, 0, b->size, IOVA, b->fd, ACCESS);
}

/* Where the MR of @b starts, for RDMA. */
static uint64_t buf_addr(const struct buf *b)
{
	return b->kind == PLAIN ? (uintptr_t)b->mem : IOVA;
}

/* One synchronous move of a test exporter buffer, to new pages. */
static int buf_move(const struct buf *b)
{
	struct dmabuf_test_move m = { .fd = b->fd, .chunk_order = chunk_order };

	return ioctl(b->dev_fd, DMABUF_TEST_IOCTL_MOVE, &m);
}

/*
 * Without CONFIG_DMABUF_MOVE_NOTIFY the dma-buf core pins a mapped buffer,
 * and every move of it fails with EBUSY.
 */
static bool buf_map_pins(const struct buf *b)
{
	struct dmabuf_test_query q = { .fd = b->fd };

	return !ioctl(b->dev_fd, DMABUF_TEST_IOCTL_QUERY, &q) &&
	       (q.flags & DMABUF_TEST_QUERY_MAP_PINS);
}

/*
 * A registration that fails with EOPNOTSUPP is rdma-core's answer where
 * its provider has no reg_dmabuf_mr: a skip, not an error.
 */
static void put_reg_failure(const char *what, const struct dev *d,
			    enum mem_kind kind, size_t size)
{
	if (errno == EOPNOTSUPP)
		put_skip(what, d->name, kind_names[kind], size,
			 "this rdma-core has no ibv_reg_dmabuf_mr() here");
	else
		put_error(what, d->name, kind_names[kind], size, "registration");
}

/* 1. Registration and deregistration of each kind, at each size. */
static void bench_reg(const struct dev *d, const struct opts *o)
{
	double *reg = calloc(o->reps, sizeof(*reg));
	double *dereg = calloc(o->reps, sizeof(*dereg));
	double plain_reg, plain_dereg, t0, t1, t2;
	struct stats sr, sd;
	struct ibv_mr *mr;
	const char *why;
	unsigned int i;
	struct buf b;
	int k, r;

	for (i = 0; i < o->nr_sizes; i++) {
		size_t size = o->sizes[i];

		plain_reg = 0;
		plain_dereg = 0;
		for (k = 0; k < NR_KINDS; k++) {
			if (o->kind >= 0 && k != o->kind)
				continue;
			buf_init(&b, k, size);
			why = no_room(size, 1);
			if (!why)
				why = buf_create(&b, k, size);
			if (why) {
				put_skip("reg", d->name, kind_names[k], size, why);
				buf_destroy(&b);
				continue;
			}
			for (r = 0; r < o->reps; r++) {
				t0 = now_us();
				mr = buf_reg(d->pd, &b);
				t1 = now_us();
				if (!mr) {
					put_reg_failure("reg", d, k, size);
					break;
				}
				if (ibv_dereg_mr(mr)) {
					put_error("dereg", d->name, kind_names[k],
						  size, "ibv_dereg_mr");
					break;
				}
				t2 = now_us();
				reg[r] = t1 - t0;
				dereg[r] = t2 - t1;
			}
			buf_destroy(&b);
			if (r < o->reps)
				continue;
			sr = stats_of(reg, o->reps);
			sd = stats_of(dereg, o->reps);
			if (k == PLAIN) {
				plain_reg = sr.med;
				plain_dereg = sd.med;
			}
			if (k == PLAIN || !plain_reg) {
				put_times("reg", d->name, k, size, &sr, "");
				put_times("dereg", d->name, k, size, &sd, "");
				continue;
			}
			put_times("reg", d->name, k, size, &sr,
				  " vs_ibv_reg_mr=%.2f", sr.med / plain_reg);
			put_times("dereg", d->name, k, size, &sd,
				  " vs_ibv_reg_mr=%.2f", sd.med / plain_dereg);
		}
	}
	free(reg);
	free(dereg);
}

/*
 * 2. The 1st, 2nd and 100th of NTH_MRS MRs registered on one buffer of
 * @size, all alive at once; then all deregistered, REPS times over.
 */
static void bench_nth_size(const struct dev *d, const struct opts *o,
			   size_t size)
{
	static const int nth[] = { 1, 2, NTH_MRS };
	struct ibv_mr *mrs[NTH_MRS];
	double *t[ARRAY_SIZE(nth)];
	double t0, first = 0;
	struct stats s;
	const char *why;
	unsigned int j;
	struct buf b;
	int k, r, i, n;

	for (j = 0; j < ARRAY_SIZE(nth); j++)
		t[j] = calloc(o->reps, sizeof(double));
	for (k = 0; k < NR_KINDS; k++) {
		if (o->kind >= 0 && k != o->kind)
			continue;
		why = no_room(size, 1);
		if (why) {
			put_skip("nth_mr", d->name, kind_names[k], size, why);
			continue;
		}
		why = buf_create(&b, k, size);
		if (why) {
			put_skip("nth_mr", d->name, kind_names[k], size, why);
			buf_destroy(&b);
			continue;
		}
		for (r = 0; r < o->reps; r++) {
			for (n = 0, j = 0; n < NTH_MRS; n++) {
				t0 = now_us();
				mrs[n] = buf_reg(d->pd, &b);
				if (!mrs[n])
					break;
				if (n + 1 == nth[j])
					t[j++][r] = now_us() - t0;
			}
			if (n < NTH_MRS)
				put_reg_failure("nth_mr", d, k, size);
			for (i = 0; i < n; i++)
				ibv_dereg_mr(mrs[i]);
			if (n < NTH_MRS)
				break;
		}
		buf_destroy(&b);
		if (r < o->reps)
			continue;
		for (j = 0; j < ARRAY_SIZE(nth); j++) {
			s = stats_of(t[j], o->reps);
			if (!j)
				first = s.med;
			put_times("nth_mr", d->name, k, size, &s,
				  " nth=%d vs_first=%.2f", nth[j], s.med / first);
		}
	}
	for (j = 0; j < ARRAY_SIZE(nth); j++)
		free(t[j]);
}

/* The short form's one size, or each of nth_sizes[]. */
static void bench_nth(const struct dev *d, const struct opts *o)
{
	unsigned int i;

	if (o->nr_sizes == 1) {
		bench_nth_size(d, o, o->sizes[0]);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(nth_sizes); i++)
		bench_nth_size(d, o, nth_sizes[i]);
}

/* One RDMA WRITE of @len bytes into @addr, completed. */
static int write_once(struct pair *p, uint64_t addr, uint32_t rkey,
		      uint32_t len)
{
	return post_rdma(p->qp[0], IBV_WR_RDMA_WRITE, p->src, len,
			 p->src_mr->lkey, addr, rkey) ||
	       rc_wait_cq(p->cq, 1, CQ_TIMEOUT_US / 1e3, "bench") ? -1 : 0;
}

static int pair_create(const struct dev *d, struct pair *p, size_t len)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = DEPTH, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	union ibv_gid gid;
	int i;

	p->cq = ibv_create_cq(d->ctx, 2 * DEPTH, NULL, NULL, 0);
	if (!p->cq)
		return -1;
	init.send_cq = p->cq;
	init.recv_cq = p->cq;
	for (i = 0; i < 2; i++) {
		p->qp[i] = ibv_create_qp(d->pd, &init);
		if (!p->qp[i])
			return -1;
	}
	if (ibv_query_gid(d->ctx, PORT, GID_INDEX, &gid) ||
	    connect_qp(p->qp[0], p->qp[1]->qp_num, &gid, 1) ||
	    connect_qp(p->qp[1], p->qp[0]->qp_num, &gid, 1))
		return -1;
	p->src = malloc(len);
	if (!p->src)
		return -1;
	memset(p->src, 0x5a, len);
	p->src_mr = ibv_reg_mr(d->pd, p->src, len, ACCESS);
	return p->src_mr ? 0 : -1;
}

static void pair_destroy(struct pair *p)
{
	int i;

	if (p->src_mr)
		ibv_dereg_mr(p->src_mr);
	free(p->src);
	for (i = 0; i < 2; i++)
		if (p->qp[i])
			ibv_destroy_qp(p->qp[i]);
	if (p->cq)
		ibv_destroy_cq(p->cq);
}

/*
 * REPS registrations of @kind at @size, each timed up to the completion
 * of its first WRITE, into @v. 0, or -1 after an error line.
 */
static int reg_first_write(const struct dev *d, struct pair *p,
			   enum mem_kind kind, size_t size, int reps, double *v)
{
	const char *why;
	struct ibv_mr *mr;
	struct buf b;
	double t0;
	int r;

	why = buf_create(&b, kind, size);
	if (why) {
		put_skip("reg_first_write", d->name, kind_names[kind], size,
			 why);
		buf_destroy(&b);
		return -1;
	}
	for (r = 0; r < reps; r++) {
		t0 = now_us();
		mr = buf_reg(d->pd, &b);
		if (!mr) {
			put_reg_failure("reg_first_write", d, kind, size);
			break;
		}
		if (write_once(p, buf_addr(&b), mr->rkey, FIRST_WRITE)) {
			put_error("reg_first_write", d->name, kind_names[kind],
				  size, "RDMA WRITE");
			ibv_dereg_mr(mr);
			break;
		}
		v[r] = now_us() - t0;
		ibv_dereg_mr(mr);
	}
	buf_destroy(&b);
	return r < reps ? -1 : 0;
}

/*
 * 3. Remap after a move: REPS synchronous moves of the test exporter's
 * buffer under a registered MR, each timed from the return of the move's
 * ioctl to the completion of the first WRITE after it (the ioctl itself,
 * the exporter copying the buffer, is the "move" figure). The move's ioctl
 * copies the buffer and unmaps the MR (move_notify); rxe remaps it in a work
 * item, and a WRITE that arrives before that is held by the responder until
 * the remap is done (held= counts them; rnr_naks= the RNR NAKs, which only
 * a failed remap brings). Against it: a WRITE into
 * the mapped MR, and a registration of the same size with its first WRITE.
 * -1 if the QPs cannot go on.
 */
static int bench_remap(const struct dev *d, struct pair *p,
		       const struct opts *o)
{
	double *lat = calloc(o->reps, sizeof(double));
	double *move = calloc(o->reps, sizeof(double));
	double *remap = calloc(o->reps, sizeof(double));
	double *reg_te = calloc(o->reps, sizeof(double));
	double *reg_plain = calloc(o->reps, sizeof(double));
	const char *te = kind_names[TEST_EXPORTER], *why;
	long rnr0, held0, remaps0, rnr, held, remaps;
	struct stats s, sm, sr, st, sp;
	double t0, t1;
	struct ibv_mr *mr;
	unsigned int i;
	int r, ret = 0;
	struct buf b;

	for (i = 0; i < o->nr_sizes && !ret; i++) {
		size_t size = o->sizes[i];

		/* A move holds the old pages and the new ones at once. */
		why = no_room(size, 2);
		if (why) {
			put_skip("remap", d->name, te, size, why);
			continue;
		}
		why = buf_create(&b, TEST_EXPORTER, size);
		if (why) {
			put_skip("remap", d->name, te, size, why);
			buf_destroy(&b);
			continue;
		}
		mr = buf_reg(d->pd, &b);
		if (!mr) {
			put_reg_failure("remap", d, TEST_EXPORTER, size);
			buf_destroy(&b);
			continue;
		}
		if (buf_map_pins(&b)) {
			put_skip("remap", d->name, te, size,
				 "no CONFIG_DMABUF_MOVE_NOTIFY: a mapped buffer never moves");
			ibv_dereg_mr(mr);
			buf_destroy(&b);
			return 0;
		}
		ret = write_once(p, IOVA, mr->rkey, FIRST_WRITE);
		rnr0 = rc_hw_counter("rxe0", "dmabuf_rnr_nak_sent");
		held0 = rc_hw_counter("rxe0", "dmabuf_request_held");
		remaps0 = rc_hw_counter("rxe0", "dmabuf_remaps");
		for (r = 0; r < o->reps && !ret; r++) {
			t0 = now_us();
			ret = write_once(p, IOVA, mr->rkey, FIRST_WRITE);
			lat[r] = now_us() - t0;
			if (ret)
				break;
			t0 = now_us();
			if (buf_move(&b)) {
				put_error("remap", d->name, te, size, "move");
				break;
			}
			t1 = now_us();
			ret = write_once(p, IOVA, mr->rkey, FIRST_WRITE);
			move[r] = t1 - t0;
			remap[r] = now_us() - t1;
		}
		if (ret)
			put_error("remap", d->name, te, size, "RDMA WRITE");
		rnr = rc_hw_counter("rxe0", "dmabuf_rnr_nak_sent") - rnr0;
		held = rc_hw_counter("rxe0", "dmabuf_request_held") - held0;
		remaps = rc_hw_counter("rxe0", "dmabuf_remaps") - remaps0;
		ibv_dereg_mr(mr);
		buf_destroy(&b);
		if (r < o->reps || ret ||
		    reg_first_write(d, p, TEST_EXPORTER, size, o->reps, reg_te))
			continue;
		s = stats_of(lat, o->reps);
		sm = stats_of(move, o->reps);
		sr = stats_of(remap, o->reps);
		st = stats_of(reg_te, o->reps);
		put_times("write", d->name, TEST_EXPORTER, size, &s,
			  " msg=%d", FIRST_WRITE);
		put_times("move", d->name, TEST_EXPORTER, size, &sm, "");
		put_times("remap", d->name, TEST_EXPORTER, size, &sr,
			  " msg=%d held=%ld rnr_naks=%ld remaps=%ld vs_reg_first_write=%.2f",
			  FIRST_WRITE, held, rnr, remaps, sr.med / st.med);
		put_times("reg_first_write", d->name, TEST_EXPORTER, size, &st,
			  " msg=%d", FIRST_WRITE);
		if (reg_first_write(d, p, PLAIN, size, o->reps, reg_plain))
			continue;
		sp = stats_of(reg_plain, o->reps);
		put_times("reg_first_write", d->name, PLAIN, size, &sp,
			  " msg=%d", FIRST_WRITE);
	}
	free(lat);
	free(move);
	free(remap);
	free(reg_te);
	free(reg_plain);
	return ret;
}

struct mover {
	const struct buf *b;
	unsigned int rate;		/* moves a second */
	atomic_bool stop;
	unsigned long moves;
	int error;
};

/*
 * Move the buffer @rate times a second, on a fixed schedule; a move that
 * overruns its period delays the next one instead of bunching them.
 */
static void *mover(void *arg)
{
	struct mover *m = arg;
	long period = 1000000000L / m->rate;
	struct timespec next, now;

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&m->stop)) {
		next.tv_nsec += period;
		next.tv_sec += next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (atomic_load(&m->stop))
			break;
		if (buf_move(m->b)) {
			m->error = errno;
			break;
		}
		m->moves++;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec))
			next = now;
	}
	return NULL;
}

/*
 * RDMA WRITEs of @msg bytes into the MR of @b, DEPTH in flight, round the
 * buffer, for @secs seconds; then the ones in flight are reaped. Bytes per
 * second, or -1 on a bad completion or none within CQ_TIMEOUT_US.
 */
static double write_bw(struct pair *p, const struct buf *b, uint32_t rkey,
		       size_t msg, double secs, unsigned long *msgs)
{
	unsigned long posted = 0, done = 0, slots = b->size / msg;
	double t0 = now_us(), end = t0 + secs * 1e6, last = t0, t;
	struct ibv_wc wc[DEPTH];
	int i, n;

	while (posted < DEPTH)
		if (post_rdma(p->qp[0], IBV_WR_RDMA_WRITE, p->src, msg,
			      p->src_mr->lkey,
			      buf_addr(b) + posted++ % slots * msg, rkey))
			return -1;
	while (done < posted) {
		n = ibv_poll_cq(p->cq, DEPTH, wc);
		if (n < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (wc[i].status != IBV_WC_SUCCESS) {
				printf("bench: completion with status %s\n",
				       ibv_wc_status_str(wc[i].status));
				errno = EIO;
				return -1;
			}
		done += n;
		t = now_us();
		if (n) {
			last = t;
		} else if (t - last > CQ_TIMEOUT_US) {
			errno = ETIMEDOUT;
			return -1;
		}
		for (; n > 0 && t < end; n--)
			if (post_rdma(p->qp[0], IBV_WR_RDMA_WRITE, p->src, msg,
				      p->src_mr->lkey,
				      buf_addr(b) + posted++ % slots * msg,
				      rkey))
				return -1;
	}
	*msgs = done;
	return done * msg / ((last - t0) / 1e6);
}

/* A throughput figure: WRITEs into an MR of @kind, moved @rate times a second. */
struct bw_figure {
	enum mem_kind kind;
	unsigned int rate;
};

static const struct bw_figure bw_figures[] = {
	{ PLAIN, 0 }, { UDMABUF, 0 }, { SYSTEM_HEAP, 0 }, { TEST_EXPORTER, 0 },
	{ TEST_EXPORTER, 1 }, { TEST_EXPORTER, 10 }, { TEST_EXPORTER, 100 },
};

/*
 * One slice of a throughput figure: @secs seconds of WRITEs into @mr of @b,
 * a mover thread moving @b @rate times a second meanwhile. Its line says
 * the round and the CPU the writer ended on. -1 if the QPs cannot go on.
 */
static int bw_slice(const struct dev *d, struct pair *p, const struct buf *b,
		    const struct ibv_mr *mr, unsigned int rate, int round,
		    double secs, const struct opts *o)
{
	struct mover m = { .b = b, .rate = rate };
	long rnr0, held0, remaps0;
	unsigned long msgs = 0;
	pthread_t thread;
	double bps;

	rnr0 = rc_hw_counter("rxe0", "dmabuf_rnr_nak_sent");
	held0 = rc_hw_counter("rxe0", "dmabuf_request_held");
	remaps0 = rc_hw_counter("rxe0", "dmabuf_remaps");
	if (rate && pthread_create(&thread, NULL, mover, &m)) {
		put_error("write_bw", d->name, kind_names[b->kind], b->size,
			  "start the mover");
		return 0;
	}
	bps = write_bw(p, b, mr->rkey, o->msg, secs, &msgs);
	if (bps < 0)
		put_error("write_bw", d->name, kind_names[b->kind], b->size,
			  "RDMA WRITE");
	atomic_store(&m.stop, true);
	if (rate)
		pthread_join(thread, NULL);
	if (bps < 0)
		return -1;
	if (m.error) {
		errno = m.error;
		put_error("write_bw", d->name, kind_names[b->kind], b->size,
			  "move");
	}
	printf("bench: write_bw dev=%s kind=%s size=%zu msg=%zu moves_per_s=%u round=%d",
	       d->name, kind_names[b->kind], b->size, o->msg, rate, round);
	printf(" MBps=%.2f msgs=%lu seconds=%.1f moves=%lu held=%ld rnr_naks=%ld remaps=%ld cpu=%d\n",
	       bps / 1e6, msgs, secs, m.moves,
	       rc_hw_counter("rxe0", "dmabuf_request_held") - held0,
	       rc_hw_counter("rxe0", "dmabuf_rnr_nak_sent") - rnr0,
	       rc_hw_counter("rxe0", "dmabuf_remaps") - remaps0, sched_getcpu());
	figures++;
	return 0;
}

/*
 * 4. RDMA WRITE throughput into an MR of each kind, and into the test
 * exporter's while a mover thread moves it at each rate of bw_figures[].
 * The emulated guest's throughput drifts and flips over seconds, so that
 * figures measured one after the other differ by more than what they
 * measure: each figure is cut into -R slices, taken in rounds of one slice
 * of every figure, and a figure is compared with its baseline round by
 * round (harness/bench_table.py). -1 if the QPs cannot go on.
 */
static int bench_bw(const struct dev *d, struct pair *p, const struct opts *o)
{
	size_t size = o->msg > BW_SIZE ? o->msg : BW_SIZE;
	double secs = o->seconds / o->rounds;
	struct ibv_mr *mr[NR_KINDS] = { NULL };
	struct buf b[NR_KINDS];
	bool moving = true;
	const char *why;
	int k, round, ret = 0;
	unsigned int i;

	size = (size + 4 * KiB - 1) & ~(4 * KiB - 1);
	for (k = 0; k < NR_KINDS; k++) {
		why = buf_create(&b[k], k, size);
		mr[k] = why ? NULL : buf_reg(d->pd, &b[k]);
		if (why)
			put_skip("write_bw", d->name, kind_names[k], size, why);
		else if (!mr[k])
			put_reg_failure("write_bw", d, k, size);
	}
	if (mr[TEST_EXPORTER] && buf_map_pins(&b[TEST_EXPORTER])) {
		put_skip("write_bw", d->name, kind_names[TEST_EXPORTER], size,
			 "no CONFIG_DMABUF_MOVE_NOTIFY: a mapped buffer never moves");
		moving = false;
	}
	for (round = 1; round <= o->rounds && !ret; round++)
		for (i = 0; i < ARRAY_SIZE(bw_figures) && !ret; i++) {
			const struct bw_figure *f = &bw_figures[i];

			if (!mr[f->kind] || (f->rate && !moving))
				continue;
			ret = bw_slice(d, p, &b[f->kind], mr[f->kind], f->rate,
				       round, secs, o);
		}
	for (k = 0; k < NR_KINDS; k++) {
		if (mr[k])
			ibv_dereg_mr(mr[k]);
		buf_destroy(&b[k]);
	}
	return ret;
}

/* Whether -o leaves @part to run. */
static bool runs(const struct opts *o, const char *part)
{
	return !o->only || !strcmp(o->only, part);
}

static void bench_dev(struct dev *d, const struct opts *o)
{
	struct pair p = { 0 };
	const char *na;

	d->ctx = open_device(d->name);
	d->pd = d->ctx ? ibv_alloc_pd(d->ctx) : NULL;
	if (!d->pd) {
		put_skip("all", d->name, "all", 0, "no such RDMA device");
		goto out;
	}
	if (runs(o, "reg"))
		bench_reg(d, o);
	if (runs(o, "nth"))
		bench_nth(d, o);
	if (!runs(o, "remap") && !runs(o, "bw"))
		goto out;
	if (!d->moves) {
		na = "siw pins its dma-bufs (no move) and connects QPs only through the iWARP CM";
		put_skip("remap", d->name, kind_names[TEST_EXPORTER], 0, na);
		put_skip("write_bw", d->name, "all", 0, na);
		goto out;
	}
	if (pair_create(d, &p, o->msg > FIRST_WRITE ? o->msg : FIRST_WRITE)) {
		put_error("pair", d->name, "all", 0, "two connected RC QPs");
		pair_destroy(&p);
		goto out;
	}
	/* The throughput figures need the remap's pair working. */
	if (runs(o, "remap") && bench_remap(d, &p, o))
		goto destroy;
	if (runs(o, "bw"))
		bench_bw(d, &p, o);
destroy:
	pair_destroy(&p);
out:
	if (d->pd)
		ibv_dealloc_pd(d->pd);
	if (d->ctx)
		ibv_close_device(d->ctx);
}

/* A size with an optional K, M or G suffix; 0 if not one. */
static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K':
		v <<= 10, end++;
		break;
	case 'M':
		v <<= 20, end++;
		break;
	case 'G':
		v <<= 30, end++;
		break;
	}
	return *end ? 0 : v;
}

static void print_usage(void)
{
	printf("usage: dmabuf_bench short|full [-s SIZE] [-r REPS] [-t SECONDS]\n"
	       "                    [-R ROUNDS] [-m MSG] [-c ORDER] [-o reg|nth|remap|bw]\n"
	       "                    [-k KIND] [-d rxe0|siw0]\n"
	       "  short: one size (1M), 5 repetitions, 2 s per throughput figure\n"
	       "  full: 4K to 256M, 9 repetitions, 10 s per throughput figure in 5 rounds\n"
	       "A benchmark (bench: lines), not a test: without a form, nothing runs.\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	if (argc < 2)
		return -1;
	o->form = argv[1];
	o->msg = 64 * KiB;
	o->kind = -1;
	if (!strcmp(o->form, "short")) {
		o->one_size = MiB;
		o->reps = 5;
		o->seconds = 2;
		o->rounds = 1;
	} else if (!strcmp(o->form, "full")) {
		o->sizes = full_sizes;
		o->nr_sizes = ARRAY_SIZE(full_sizes);
		o->reps = 9;
		o->seconds = 10;
		o->rounds = 5;
	} else {
		return -1;
	}
	/* getopt() takes the form for the program's name. */
	while ((c = getopt(argc - 1, argv + 1, "s:r:t:R:m:c:o:k:d:")) != -1) {
		switch (c) {
		case 's':
			o->one_size = parse_size(optarg);
			if (!o->one_size || o->one_size % (4 * KiB))
				return -1;
			o->sizes = NULL;
			break;
		case 'r':
			o->reps = atoi(optarg);
			if (o->reps < 1)
				return -1;
			break;
		case 't':
			o->seconds = atof(optarg);
			if (o->seconds <= 0)
				return -1;
			break;
		case 'R':
			o->rounds = atoi(optarg);
			if (o->rounds < 1)
				return -1;
			break;
		case 'm':
			o->msg = parse_size(optarg);
			if (!o->msg || o->msg > 16 * MiB)
				return -1;
			break;
		case 'c':
			chunk_order = atoi(optarg);
			if (chunk_order > DMABUF_TEST_MAX_CHUNK_ORDER)
				return -1;
			break;
		case 'o':
			if (strcmp(optarg, "reg") && strcmp(optarg, "nth") &&
			    strcmp(optarg, "remap") && strcmp(optarg, "bw"))
				return -1;
			o->only = optarg;
			break;
		case 'k':
			for (o->kind = 0; o->kind < NR_KINDS; o->kind++)
				if (!strcmp(optarg, kind_names[o->kind]))
					break;
			if (o->kind == NR_KINDS)
				return -1;
			break;
		case 'd':
			if (strcmp(optarg, "rxe0") && strcmp(optarg, "siw0"))
				return -1;
			o->dev = optarg;
			break;
		default:
			return -1;
		}
	}
	if (optind + 1 < argc)
		return -1;
	if (!o->sizes) {
		o->sizes = &o->one_size;
		o->nr_sizes = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct dev devs[] = {
		{ .name = "rxe0", .moves = true },
		{ .name = "siw0", .moves = false },
	};
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	struct opts o = { 0 };
	struct utsname u;
	unsigned int i;
	double t0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		print_usage();
		return KSFT_SKIP;
	}
	if (parse_opts(argc, argv, &o)) {
		print_usage();
		return 2;
	}
	/*
	 * siw counts the pages of an ordinary MR against RLIMIT_MEMLOCK even
	 * for root (64 KiB by default); rxe and dma-buf MRs do not.
	 */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited))
		printf("bench: RLIMIT_MEMLOCK stays as it is: %s\n",
		       strerror(errno));
	uname(&u);
	printf("bench: start form=%s sizes=", o.form);
	for (i = 0; i < o.nr_sizes; i++)
		printf("%s%zu", i ? "," : "", o.sizes[i]);
	printf(" reps=%d seconds=%.0f rounds=%d msg=%zu depth=%d chunk_order=%u",
	       o.reps, o.seconds, o.rounds, o.msg, DEPTH, chunk_order);
	printf(" kernel=%s mem_available_mib=%ld\n", u.release,
	       mem_available() / (long)MiB);
	t0 = now_us();
	for (i = 0; i < ARRAY_SIZE(devs); i++)
		if (!o.dev || !strcmp(o.dev, devs[i].name))
			bench_dev(&devs[i], &o);
	printf("bench: summary form=%s figures=%u skipped=%u errors=%u seconds=%.0f\n",
	       o.form, figures, skipped, errors, (now_us() - t0) / 1e6);
	return errors ? KSFT_FAIL : KSFT_PASS;
}
