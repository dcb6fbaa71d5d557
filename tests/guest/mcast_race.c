// SPDX-License-Identifier: GPL-2.0
/*
 * Two UD QPs of one rxe device attach to the same new multicast GID at the
 * same moment, then both detach; a new GID each round, so that every round
 * creates the group afresh.
 *
 * 5.10's rxe_mcast_get_grp() looks the group up and, not finding it,
 * allocates and inserts one without holding the pool lock across the two:
 * two attaches that race both allocate a group, the second insert finds
 * the key taken ("key already exists!") and that QP's group never enters
 * the tree. Its detach then finds the other group, not the QP on it, and
 * fails with EINVAL; the QP's usecnt stays raised, so ibv_destroy_qp()
 * fails with EBUSY and closing the device WARNs in
 * uverbs_destroy_ufile_hw() (what rdma-core's multicast tests hit, the
 * passive and the active side joining one group). Freeing the orphan group
 * rb_erase()s a node that was never in the tree and empties the tree.
 *
 * Build: gcc -O2 -Wall -I<kselftest dir> -o mcast_race mcast_race.c \
 *        -libverbs -lpthread
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <infiniband/verbs.h>

#include "kselftest_harness.h"

#define NQP		2
#define SECONDS		5

struct racer {
	struct ibv_qp *qp;
	pthread_barrier_t *barrier;
	union ibv_gid *gid;
	int attach_err, detach_err;
};

static void *attach_detach(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->barrier);
	r->attach_err = ibv_attach_mcast(r->qp, r->gid, 0);
	pthread_barrier_wait(r->barrier);
	if (!r->attach_err)
		r->detach_err = ibv_detach_mcast(r->qp, r->gid, 0);
	return NULL;
}

static struct ibv_context *open_dev(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return ctx;
}

TEST(two_qps_attach_one_new_group_at_once)
{
	struct ibv_context *ctx = open_dev("rxe0");
	struct racer racer[NQP];
	pthread_barrier_t barrier;
	struct timespec t0, t;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	union ibv_gid gid;
	long rounds = 0;
	int i;

	if (!ctx)
		SKIP(return, "no rxe0");
	pd = ibv_alloc_pd(ctx);
	ASSERT_NE(NULL, pd);
	cq = ibv_create_cq(ctx, 4, NULL, NULL, 0);
	ASSERT_NE(NULL, cq);
	ASSERT_EQ(0, pthread_barrier_init(&barrier, NULL, NQP));
	for (i = 0; i < NQP; i++) {
		struct ibv_qp_init_attr init = {
			.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_UD,
			.cap = { .max_send_wr = 1, .max_recv_wr = 1,
				 .max_send_sge = 1, .max_recv_sge = 1 },
		};

		racer[i].qp = ibv_create_qp(pd, &init);
		ASSERT_NE(NULL, racer[i].qp);
		racer[i].barrier = &barrier;
		racer[i].gid = &gid;
	}

	/* ff0e::4d43:<round>: a new multicast GID each round */
	memset(&gid, 0, sizeof(gid));
	gid.raw[0] = 0xff;
	gid.raw[1] = 0x0e;
	gid.raw[10] = 0x4d;
	gid.raw[11] = 0x43;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		pthread_t th[NQP];

		gid.raw[12] = rounds >> 24;
		gid.raw[13] = rounds >> 16;
		gid.raw[14] = rounds >> 8;
		gid.raw[15] = rounds;
		for (i = 0; i < NQP; i++) {
			racer[i].attach_err = racer[i].detach_err = 0;
			ASSERT_EQ(0, pthread_create(&th[i], NULL, attach_detach,
						    &racer[i]));
		}
		for (i = 0; i < NQP; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < NQP; i++) {
			/* libibverbs returns the errno value itself */
			EXPECT_EQ(0, racer[i].attach_err)
				TH_LOG("round %ld: QP %d attach: %s", rounds, i,
				       strerror(racer[i].attach_err));
			EXPECT_EQ(0, racer[i].detach_err)
				TH_LOG("round %ld: QP %d detach: %s", rounds, i,
				       strerror(racer[i].detach_err));
		}
		if (!_metadata->passed)
			break;
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < SECONDS);
	TH_LOG("%ld rounds of %d QPs attaching one new group", rounds, NQP);

	/* A detach that failed leaves the QP in use: EBUSY here. */
	for (i = 0; i < NQP; i++) {
		EXPECT_EQ(0, ibv_destroy_qp(racer[i].qp))
			TH_LOG("destroying QP %d: %s", i, strerror(errno));
	}
	pthread_barrier_destroy(&barrier);
	EXPECT_EQ(0, ibv_destroy_cq(cq));
	EXPECT_EQ(0, ibv_dealloc_pd(pd));
	EXPECT_EQ(0, ibv_close_device(ctx));
}

TEST_HARNESS_MAIN
