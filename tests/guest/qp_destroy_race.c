// SPDX-License-Identifier: GPL-2.0
/*
 * Destroy an RC QP of rxe0 while packets it sent are still in the network
 * stack, round after round for a few seconds.
 *
 * rxe_send() takes a reference to the QP for each packet it hands to the
 * IP stack, which the packet's destructor drops when the stack frees it.
 * Here the QP sends to a neighbour of veth0 that is not there (a permanent
 * ARP entry with a MAC address no one has): its transport timer resends
 * the window every jiffy from a tasklet, the packets queue up on veth1's
 * backlog, and the NET_RX softirq drops them there, one after the other.
 * When ibv_destroy_qp() drops its own reference before the last of them
 * goes, the QP's last reference is dropped in softirq context: 5.10's rxe
 * then queues the QP's cleanup on a work item inside the QP (rxe_qp_cleanup()
 * with execute_in_process_context()) and rxe_elem_release() frees the QP
 * at once, so that the workqueue runs a work item in freed memory. KASAN
 * reports it as a use-after-free in worker_thread(), which the harness's
 * health rows catch; the same happens when a packet *to* a QP being
 * destroyed is dropped by rxe_rcv() in a tasklet, as rdma:dmabuf_mr once
 * hit.
 *
 * Each round then closes everything at once: the CQ, the MR, the PD and
 * the device context. A cleanup that still runs after ibv_destroy_qp()
 * returned reads what they freed: the QP's references to its CQ and PD,
 * and its queues' mmap information, which reads the context (KASAN: a
 * use-after-free in rxe_mmap_release(), as CI hit once, with the rest of
 * the run hung behind the corrupted objects). The test itself asserts
 * that every verb succeeds; the kernel's verdict is KASAN's, on the
 * console, which the harness's health rows read.
 *
 * Build: gcc -O2 -Wall -I<kselftest dir> -o qp_destroy_race \
 *        qp_destroy_race.c -libverbs -lpthread
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "rc_pair.h"

/*
 * About one destroy in nine leaves the QP's last reference to the softirq
 * (measured with a print in rxe_qp_cleanup(): 18 of 165 in 25 s, emulated
 * guest); 10 s, some 60 rounds, make it all but certain to happen.
 */
#define SECONDS		10

/* The transport timer on one CPU, the destroy on the other. */
static void pin_to(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) <= cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A neighbour of veth0 that is not there: its permanent ARP entry names a
 * MAC address no one has, so that packets to it go out through veth0 and
 * veth1 drops them, in softirq context.
 */
#define NOBODY_IP	"192.0.2.99"
#define NOBODY_MAC	"02:00:00:00:00:99"
#define WRITE_LEN	(64 * 1024)	/* 64 packets at path MTU 1024 */

/*
 * Bring @qp to RTS towards a QP of the absent neighbour, with the shortest
 * transport timer rxe has (one jiffy) and retry_cnt 7: it resends its
 * window from a tasklet every jiffy.
 */
static int connect_nobody(struct ibv_qp *qp)
{
	union ibv_gid dgid = { .raw = { [10] = 0xff, [11] = 0xff,
					[12] = 192, [13] = 0, [14] = 2,
					[15] = 99 } };

	return connect_qp_timeout(qp, 0x4242, &dgid, 1, 1);
}

TEST(destroy_qp_with_its_packets_in_the_network_stack)
{
	struct ibv_context *probe = open_device("rxe0");
	struct timespec t0, t;
	long rounds = 0;
	void *buf;

	if (!probe)
		SKIP(return, "no rxe0");
	ibv_close_device(probe);
	ASSERT_EQ(0, system("/bin/ip neigh replace " NOBODY_IP " lladdr "
			    NOBODY_MAC " dev veth0 nud permanent"));
	buf = calloc(1, WRITE_LEN);
	ASSERT_NE(NULL, buf);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct ibv_qp_init_attr init = {
			.qp_type = IBV_QPT_RC,
			.cap = { .max_send_wr = 1, .max_recv_wr = 1,
				 .max_send_sge = 1, .max_recv_sge = 1 },
		};
		struct ibv_context *ctx;
		struct ibv_qp *qp;
		struct ibv_cq *cq;
		struct ibv_mr *mr;
		struct ibv_pd *pd;

		/* the QP's transport timer, and its resends, on CPU 1... */
		pin_to(1);
		ctx = open_device("rxe0");
		ASSERT_NE(NULL, ctx);
		pd = ibv_alloc_pd(ctx);
		ASSERT_NE(NULL, pd);
		mr = ibv_reg_mr(pd, buf, WRITE_LEN, IBV_ACCESS_LOCAL_WRITE);
		ASSERT_NE(NULL, mr);
		cq = ibv_create_cq(ctx, 2, NULL, NULL, 0);
		ASSERT_NE(NULL, cq);
		init.send_cq = cq;
		init.recv_cq = cq;
		qp = ibv_create_qp(pd, &init);
		ASSERT_NE(NULL, qp);
		ASSERT_EQ(0, connect_nobody(qp));
		/* the remote address and key do not matter: no one answers */
		ASSERT_EQ(0, post_rdma(qp, IBV_WR_RDMA_WRITE, buf, WRITE_LEN,
				       mr->lkey, 0x1000, 0x4242));
		/* a few resends of the window, from the transport timer */
		usleep(1000 + rounds % 7 * 1000);
		/* ...its destroy on CPU 0, and all the QP used, at once */
		pin_to(0);
		EXPECT_EQ(0, ibv_destroy_qp(qp));
		EXPECT_EQ(0, ibv_destroy_cq(cq));
		EXPECT_EQ(0, ibv_dereg_mr(mr));
		EXPECT_EQ(0, ibv_dealloc_pd(pd));
		EXPECT_EQ(0, ibv_close_device(ctx));
		if (!_metadata->passed)
			break;
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < SECONDS);
	TH_LOG("%ld QPs destroyed while resending to " NOBODY_IP
	       ", each with its CQ, MR, PD and context", rounds);

	free(buf);
	system("/bin/ip neigh del " NOBODY_IP " dev veth0");
}

TEST_HARNESS_MAIN
