// SPDX-License-Identifier: GPL-2.0
/*
 * The main job, step by step: a dma-buf MR registered on rxe0 through
 * rdma-core's ibv_reg_dmabuf_mr(), a stream of RDMA WRITEs into it while
 * a second thread has the exporter move the buffer to new pages again and
 * again, and every byte checked through the dma-buf's own mmap. Then an
 * RDMA READ of all of it back out, with the moves still going on.
 *
 * rxe handles loopback traffic in the poster's own system call, so the
 * moves come from another thread, on the other CPU: they land in the
 * middle of messages, not only between them.
 *
 * The exporter is the series' test exporter (/dev/dmabuf_test_exporter),
 * the only one here that moves its buffers on request. Exit status as for
 * a kselftest: 0 pass, 1 fail, 4 skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <infiniband/verbs.h>

#include "drivers/dma-buf/dma-buf-test-exporter-uapi.h"
#include "rc_pair.h"

#define DEV		"rxe0"
#define SIZE		(1UL << 20)
#define CHUNK		(64UL << 10)
#define NR_WRITES	(SIZE / CHUNK)
#define IOVA		0x20000000UL
#define TIMEOUT_MS	120000
#define ACCESS		(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

static int fail(const char *what)
{
	printf("demo: FAIL: %s (%s)\n", what, strerror(errno));
	return KSFT_FAIL;
}

struct mover {
	int dev_fd;
	int fd;
	atomic_bool stop;
	unsigned long moves;
	int error;
};

/*
 * Move the buffer every 100 ms until told to stop: to 4 KiB pages behind
 * a fence that signals 20 ms later, then synchronously to 16 KiB chunks.
 */
static void *mover(void *arg)
{
	struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	struct mover *m = arg;

	while (!atomic_load(&m->stop)) {
		struct dmabuf_test_move move = { .fd = m->fd };

		if (m->moves & 1) {
			move.chunk_order = 2;
		} else {
			move.flags = DMABUF_TEST_MOVE_PIPELINED;
			move.delay_ms = 20;
		}
		if (ioctl(m->dev_fd, DMABUF_TEST_IOCTL_MOVE, &move)) {
			m->error = errno;
			break;
		}
		m->moves++;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static int query(int dev_fd, int fd, struct dmabuf_test_query *q)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	return ioctl(dev_fd, DMABUF_TEST_IOCTL_QUERY, q);
}

static size_t count_mismatches(const unsigned char *a, const unsigned char *b,
			       size_t len)
{
	size_t i, bad = 0;

	for (i = 0; i < len; i++)
		bad += a[i] != b[i];
	return bad;
}

static int write_stream(struct ibv_qp *qp, struct ibv_mr *src_mr,
			unsigned char *src, uint32_t rkey)
{
	unsigned long i;

	for (i = 0; i < NR_WRITES; i++)
		if (post_rdma(qp, IBV_WR_RDMA_WRITE, src + i * CHUNK, CHUNK,
			      src_mr->lkey, IOVA + i * CHUNK, rkey))
			return -1;
	return 0;
}

int main(void)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = NR_WRITES + 1, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	struct dmabuf_test_create create = { .size = SIZE, .chunk_order = 2 };
	struct mover m = { .stop = false };
	pthread_t thread;
	struct dmabuf_test_query q0, q1;
	struct ibv_context *ctx;
	struct ibv_mr *mr, *src_mr, *dst_mr;
	struct ibv_qp_attr attr;
	unsigned char *map, *src, *dst;
	union ibv_gid gid;
	struct ibv_qp *qp[2];
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	long held0, held1, rnr0, rnr1;
	double t0, t1;
	size_t bad_bytes;
	int i, dev_fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = open_device(DEV);
	if (!ctx) {
		printf("demo: SKIP: no RDMA device " DEV "\n");
		return KSFT_SKIP;
	}
	dev_fd = open("/dev/dmabuf_test_exporter", O_RDWR);
	if (dev_fd < 0) {
		printf("demo: SKIP: no /dev/dmabuf_test_exporter\n");
		return KSFT_SKIP;
	}

	pd = ibv_alloc_pd(ctx);
	cq = ibv_create_cq(ctx, 2 * NR_WRITES, NULL, NULL, 0);
	if (!pd || !cq)
		return fail("PD or CQ");
	init.send_cq = cq;
	init.recv_cq = cq;
	for (i = 0; i < 2; i++) {
		qp[i] = ibv_create_qp(pd, &init);
		if (!qp[i])
			return fail("create QP");
	}
	if (ibv_query_gid(ctx, PORT, GID_INDEX, &gid) ||
	    connect_qp(qp[0], qp[1]->qp_num, &gid, 1) ||
	    connect_qp(qp[1], qp[0]->qp_num, &gid, 1))
		return fail("connect QPs");

	if (ioctl(dev_fd, DMABUF_TEST_IOCTL_CREATE, &create))
		return fail("create a test exporter buffer");
	map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   create.fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap the dma-buf");
	query(dev_fd, create.fd, &q0);
	if (q0.flags & DMABUF_TEST_QUERY_MAP_PINS) {
		/* The kselftests check what such a kernel promises instead. */
		printf("demo: SKIP: no CONFIG_DMABUF_MOVE_NOTIFY: a mapped buffer never moves\n");
		return KSFT_SKIP;
	}
	printf("demo: dma-buf of %lu KiB from the test exporter, chunks of %lu KiB\n",
	       SIZE >> 10, (4096UL << q0.chunk_order) >> 10);

	mr = ibv_reg_dmabuf_mr(pd, 0, SIZE, IOVA, create.fd, ACCESS);
	if (!mr && errno == EOPNOTSUPP) {
		printf("demo: SKIP: this rdma-core has no ibv_reg_dmabuf_mr() for " DEV "\n");
		return KSFT_SKIP;
	}
	if (!mr)
		return fail("ibv_reg_dmabuf_mr");
	printf("demo: ibv_reg_dmabuf_mr(fd %d, offset 0, length %zu, iova %#lx): lkey %#x rkey %#x\n",
	       create.fd, mr->length, IOVA, mr->lkey, mr->rkey);

	src = malloc(SIZE);
	dst = calloc(1, SIZE);
	src_mr = src ? ibv_reg_mr(pd, src, SIZE, ACCESS) : NULL;
	dst_mr = dst ? ibv_reg_mr(pd, dst, SIZE, ACCESS) : NULL;
	if (!src_mr || !dst_mr)
		return fail("ordinary MRs");
	srandom(42);
	for (i = 0; i < (int)SIZE; i++)
		src[i] = random();
	memset(map, 0, SIZE);

	/* The stream, with the moves going on. */
	held0 = rc_hw_counter(DEV, "dmabuf_request_held");
	rnr0 = rc_hw_counter(DEV, "dmabuf_rnr_nak_sent");
	query(dev_fd, create.fd, &q0);
	m.dev_fd = dev_fd;
	m.fd = create.fd;
	if (pthread_create(&thread, NULL, mover, &m))
		return fail("start the mover thread");
	printf("demo: a second thread moves the buffer every 100 ms (to 4 KiB pages behind a 20 ms fence, then to 16 KiB chunks at once)\n");
	t0 = rc_now_ms();
	if (write_stream(qp[0], src_mr, src, mr->rkey))
		return fail("post the RDMA WRITEs");
	if (rc_wait_cq(cq, NR_WRITES, TIMEOUT_MS, "demo"))
		return fail("the stream did not complete");
	t1 = rc_now_ms();
	held1 = rc_hw_counter(DEV, "dmabuf_request_held");
	rnr1 = rc_hw_counter(DEV, "dmabuf_rnr_nak_sent");
	query(dev_fd, create.fd, &q1);
	printf("demo: %lu RDMA WRITEs of %lu KiB into the dma-buf MR completed in %.0f ms (emulated guest)\n",
	       NR_WRITES, CHUNK >> 10, t1 - t0);
	printf("demo: meanwhile: %llu moves, %llu move_notify calls to the MR, %ld packets held while the MR was remapped, %ld RNR NAKs\n",
	       (unsigned long long)(q1.moves - q0.moves),
	       (unsigned long long)(q1.move_notifies - q0.move_notifies),
	       held1 - held0, rnr1 - rnr0);
	bad_bytes = count_mismatches(src, map, SIZE);
	printf("demo: bytes checked through the dma-buf's mmap: %zu of %lu right\n",
	       SIZE - bad_bytes, SIZE);
	if (bad_bytes)
		return fail("bytes differ");

	/* Out of the buffer, still moving: an RDMA READ of all of it. */
	query(dev_fd, create.fd, &q0);
	if (post_rdma(qp[0], IBV_WR_RDMA_READ, dst, SIZE, dst_mr->lkey, IOVA,
		      mr->rkey) || rc_wait_cq(cq, 1, TIMEOUT_MS, "demo"))
		return fail("RDMA READ out of the dma-buf MR");
	query(dev_fd, create.fd, &q1);
	atomic_store(&m.stop, true);
	pthread_join(thread, NULL);
	if (m.error) {
		errno = m.error;
		return fail("a move failed");
	}
	bad_bytes = count_mismatches(src, dst, SIZE);
	printf("demo: RDMA READ of 1 MiB out of the dma-buf MR, across %llu more moves: %zu of %lu bytes right\n",
	       (unsigned long long)(q1.moves - q0.moves), SIZE - bad_bytes,
	       SIZE);
	if (bad_bytes)
		return fail("bytes differ");
	if (!m.moves)
		return fail("the buffer never moved");

	for (i = 0; i < 2; i++) {
		struct ibv_qp_init_attr ia;

		if (ibv_query_qp(qp[i], &attr, IBV_QP_STATE, &ia) ||
		    attr.qp_state != IBV_QPS_RTS)
			return fail("a QP left RTS");
	}
	printf("demo: both QPs still in RTS\n");

	if (ibv_dereg_mr(mr))
		return fail("ibv_dereg_mr");
	query(dev_fd, create.fd, &q1);
	printf("demo: ibv_dereg_mr done; the exporter's buffer now has %u attachments, %u mappings\n",
	       q1.attachments, q1.maps);
	if (q1.attachments || q1.maps)
		return fail("the MR left an attachment or a mapping behind");
	ibv_dereg_mr(src_mr);
	ibv_dereg_mr(dst_mr);
	for (i = 0; i < 2; i++)
		ibv_destroy_qp(qp[i]);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	munmap(map, SIZE);
	close(create.fd);
	close(dev_fd);
	free(src);
	free(dst);
	printf("demo: PASS\n");
	return KSFT_PASS;
}
