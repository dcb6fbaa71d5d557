// SPDX-License-Identifier: GPL-2.0
/*
 * RC traffic between two QPs of one software RDMA device, through the
 * device's own IPv4-mapped GID: RDMA WRITE, RDMA READ and SEND, with every
 * byte checked. The harness's proof that the guest, rxe and rdma-core work
 * before any patch of the series is involved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <infiniband/verbs.h>

#include "kselftest_harness.h"
#include "rc_pair.h"

#define CQ_TIMEOUT_MS	10000

FIXTURE(rc)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	struct ibv_mr *mr[2];
	unsigned char *buf[2];
};

FIXTURE_VARIANT(rc)
{
	const char *dev;
	size_t len;
	bool page_aligned;	/* an MR of whole pages, ending on a page */
};

FIXTURE_VARIANT_ADD(rc, rxe_one_byte) { .dev = "rxe0", .len = 1 };
FIXTURE_VARIANT_ADD(rc, rxe_one_page) { .dev = "rxe0", .len = 4096 };
FIXTURE_VARIANT_ADD(rc, rxe_unaligned) { .dev = "rxe0", .len = 3 * 4096 + 123 };
FIXTURE_VARIANT_ADD(rc, rxe_one_mib) { .dev = "rxe0", .len = 1 << 20 };
/* 256 pages: exactly one full page map of rxe, read to its very end. */
FIXTURE_VARIANT_ADD(rc, rxe_one_mib_page_aligned) {
	.dev = "rxe0", .len = 1 << 20, .page_aligned = true };

/* Wait for @n successful completions; any error status fails. */
static int wait_cq(struct ibv_cq *cq, int n, struct ibv_wc *last)
{
	struct timespec t0, t;
	struct ibv_wc wc;
	int got;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n > 0) {
		got = ibv_poll_cq(cq, 1, &wc);
		if (got < 0)
			return -1;
		if (got) {
			if (wc.status != IBV_WC_SUCCESS) {
				fprintf(stderr, "wc status %s (%d), opcode %d\n",
					ibv_wc_status_str(wc.status), wc.status, wc.opcode);
				return -1;
			}
			*last = wc;
			n--;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >
		    CQ_TIMEOUT_MS) {
			fprintf(stderr, "no completion within %d ms\n", CQ_TIMEOUT_MS);
			return -1;
		}
	}
	return 0;
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	srandom(seed);
	for (i = 0; i < len; i++)
		p[i] = random();
}

FIXTURE_SETUP(rc)
{
	struct ibv_qp_init_attr init = {
		.qp_type = IBV_QPT_RC,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	union ibv_gid gid;
	int i;

	self->ctx = open_device(variant->dev);
	if (!self->ctx)
		SKIP(return, "no RDMA device %s", variant->dev);
	self->pd = ibv_alloc_pd(self->ctx);
	ASSERT_NE(NULL, self->pd);
	self->cq = ibv_create_cq(self->ctx, 16, NULL, NULL, 0);
	ASSERT_NE(NULL, self->cq);
	init.send_cq = self->cq;
	init.recv_cq = self->cq;
	for (i = 0; i < 2; i++) {
		if (variant->page_aligned)
			self->buf[i] = aligned_alloc(4096, variant->len);
		else
			self->buf[i] = malloc(variant->len);
		ASSERT_NE(NULL, self->buf[i]);
		memset(self->buf[i], 0, variant->len);
		self->mr[i] = ibv_reg_mr(self->pd, self->buf[i], variant->len,
					 IBV_ACCESS_LOCAL_WRITE |
					 IBV_ACCESS_REMOTE_WRITE |
					 IBV_ACCESS_REMOTE_READ);
		ASSERT_NE(NULL, self->mr[i]);
		self->qp[i] = ibv_create_qp(self->pd, &init);
		ASSERT_NE(NULL, self->qp[i]);
	}
	ASSERT_EQ(0, ibv_query_gid(self->ctx, PORT, GID_INDEX, &gid));
	ASSERT_EQ(0, connect_qp(self->qp[0], self->qp[1]->qp_num, &gid, 12));
	ASSERT_EQ(0, connect_qp(self->qp[1], self->qp[0]->qp_num, &gid, 12));
}

FIXTURE_TEARDOWN(rc)
{
	int i;

	if (!self->ctx)
		return;
	for (i = 0; i < 2; i++) {
		if (self->qp[i])
			ibv_destroy_qp(self->qp[i]);
		if (self->mr[i])
			ibv_dereg_mr(self->mr[i]);
		free(self->buf[i]);
	}
	if (self->cq)
		ibv_destroy_cq(self->cq);
	if (self->pd)
		ibv_dealloc_pd(self->pd);
	ibv_close_device(self->ctx);
}

/* SKIP() in a fixture's setup does not stop the test body in this tree. */
#define NEED_DEVICE() do { \
	if (!self->ctx) \
		SKIP(return, "no RDMA device %s", variant->dev); \
} while (0)

static int post_rdma_rc(FIXTURE_DATA(rc) *self, size_t len,
			enum ibv_wr_opcode op, int local, int remote)
{
	return post_rdma(self->qp[local], op, self->buf[local], len,
			 self->mr[local]->lkey, (uintptr_t)self->buf[remote],
			 self->mr[remote]->rkey);
}

TEST_F(rc, write_lands_every_byte)
{
	struct ibv_wc wc;

	NEED_DEVICE();

	fill(self->buf[0], variant->len, 1);
	ASSERT_EQ(0, post_rdma_rc(self, variant->len, IBV_WR_RDMA_WRITE, 0, 1));
	ASSERT_EQ(0, wait_cq(self->cq, 1, &wc));
	ASSERT_EQ(IBV_WC_RDMA_WRITE, wc.opcode);
	ASSERT_EQ(0, memcmp(self->buf[0], self->buf[1], variant->len));
}

TEST_F(rc, read_returns_every_byte)
{
	struct ibv_wc wc;

	NEED_DEVICE();

	fill(self->buf[1], variant->len, 2);
	ASSERT_EQ(0, post_rdma_rc(self, variant->len, IBV_WR_RDMA_READ, 0, 1));
	ASSERT_EQ(0, wait_cq(self->cq, 1, &wc));
	ASSERT_EQ(IBV_WC_RDMA_READ, wc.opcode);
	ASSERT_EQ(0, memcmp(self->buf[0], self->buf[1], variant->len));
}

TEST_F(rc, send_lands_in_posted_receive)
{
	struct ibv_recv_wr rwr = { .wr_id = 7, .num_sge = 1 }, *rbad;
	struct ibv_sge rsge;
	struct ibv_wc wc;

	NEED_DEVICE();
	rsge.addr = (uintptr_t)self->buf[1];
	rsge.length = variant->len;
	rsge.lkey = self->mr[1]->lkey;
	rwr.sg_list = &rsge;
	fill(self->buf[0], variant->len, 3);
	ASSERT_EQ(0, ibv_post_recv(self->qp[1], &rwr, &rbad));
	ASSERT_EQ(0, post_rdma_rc(self, variant->len, IBV_WR_SEND, 0, 1));
	ASSERT_EQ(0, wait_cq(self->cq, 2, &wc));
	ASSERT_EQ(0, memcmp(self->buf[0], self->buf[1], variant->len));
}

TEST_HARNESS_MAIN
