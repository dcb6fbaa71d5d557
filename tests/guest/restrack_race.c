// SPDX-License-Identifier: GPL-2.0
/*
 * Race the RDMA resource dumps of "rdma res show qp" / "rdma res show mr"
 * against QP and MR destruction.
 *
 * Reader threads dump RDMA_NLDEV_CMD_RES_QP_GET and RDMA_NLDEV_CMD_RES_MR_GET
 * over NETLINK_RDMA in a loop; a writer thread creates a QP (taken to INIT,
 * so that nldev's fill_res_qp_entry() queries it through the driver) and
 * registers an MR, then destroys both, as fast as it can.
 *
 * Without the restrack fixes, rdma_restrack_del() returns at once for QPs
 * and MRs, so the driver frees the object while a dump may still hold the
 * entry: KASAN reports a use-after-free in fill_res_qp_entry() /
 * ib_query_qp() / rxe_query_qp() or in fill_res_mr_entry(), and kmemleak
 * reports the task_struct of this process (the leaked task reference).
 * The program itself only checks that every verb and every dump succeeds;
 * the verdict on the kernel side is the guest's health gate (KASAN,
 * kmemleak), which is why the writer counts its iterations and the readers
 * their dumps: a run that raced nothing proves nothing.
 *
 * Build: gcc -O2 -Wall -o restrack_race restrack_race.c -libverbs -lpthread
 * Usage: restrack_race [device (default rxe0)] [seconds (default 10)]
 * Exit:  0 pass, 1 fail, 4 skip (no such device), as kselftest does.
 */
#include <errno.h>
#include <infiniband/verbs.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <rdma/rdma_netlink.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KSFT_SKIP	4
#define NREADERS	2

static atomic_bool stop;
static atomic_long dumps, cycles;
static atomic_int failed;

static void fail(const char *what, int err)
{
	fprintf(stderr, "restrack_race: %s: %s\n", what, strerror(err));
	atomic_store(&failed, 1);
	atomic_store(&stop, true);
}

/* One NLM_F_DUMP of a resource type; reads the reply to NLMSG_DONE. */
static int dump_once(int fd, unsigned int cmd, unsigned int seq)
{
	struct {
		struct nlmsghdr nlh;
	} req = {
		.nlh.nlmsg_len = NLMSG_LENGTH(0),
		.nlh.nlmsg_type = RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, cmd),
		.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		.nlh.nlmsg_seq = seq,
	};
	static __thread char buf[1 << 16];

	if (send(fd, &req, req.nlh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (len < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error;
			}
		}
	}
}

static void *reader(void *arg)
{
	unsigned int seq = 0;
	int fd;

	(void)arg;
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_RDMA);
	if (fd < 0) {
		fail("socket(NETLINK_RDMA)", errno);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		int ret = dump_once(fd, RDMA_NLDEV_CMD_RES_QP_GET, ++seq);

		if (!ret)
			ret = dump_once(fd, RDMA_NLDEV_CMD_RES_MR_GET, ++seq);
		if (ret) {
			fail("resource dump", -ret);
			break;
		}
		atomic_fetch_add(&dumps, 1);
	}
	close(fd);
	return NULL;
}

struct writer_ctx {
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	void *buf;
};

static void *writer(void *arg)
{
	struct writer_ctx *w = arg;

	while (!atomic_load(&stop)) {
		struct ibv_qp_init_attr init = {
			.send_cq = w->cq, .recv_cq = w->cq, .qp_type = IBV_QPT_RC,
			.cap = { .max_send_wr = 1, .max_recv_wr = 1,
				 .max_send_sge = 1, .max_recv_sge = 1 },
		};
		struct ibv_qp_attr attr = {
			.qp_state = IBV_QPS_INIT, .port_num = 1,
			.qp_access_flags = IBV_ACCESS_REMOTE_WRITE,
		};
		struct ibv_qp *qp;
		struct ibv_mr *mr;
		int ret;

		qp = ibv_create_qp(w->pd, &init);
		if (!qp) {
			fail("ibv_create_qp", errno);
			break;
		}
		ret = ibv_modify_qp(qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				    IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
		mr = ibv_reg_mr(w->pd, w->buf, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (ret || !mr) {
			fail(ret ? "ibv_modify_qp" : "ibv_reg_mr", ret ?: errno);
			ibv_destroy_qp(qp);
			break;
		}
		if (ibv_dereg_mr(mr) || ibv_destroy_qp(qp)) {
			fail("destroy", errno);
			break;
		}
		atomic_fetch_add(&cycles, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "rxe0";
	int seconds = argc > 2 ? atoi(argv[2]) : 10;
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	pthread_t r[NREADERS], wt;
	struct writer_ctx w;
	int i;

	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	if (!ctx) {
		printf("restrack_race: SKIP: no device %s\n", name);
		return KSFT_SKIP;
	}
	w.pd = ibv_alloc_pd(ctx);
	w.cq = w.pd ? ibv_create_cq(ctx, 4, NULL, NULL, 0) : NULL;
	w.buf = aligned_alloc(4096, 4096);
	if (!w.cq || !w.buf) {
		fprintf(stderr, "restrack_race: setup failed\n");
		return 1;
	}

	for (i = 0; i < NREADERS; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	pthread_create(&wt, NULL, writer, &w);
	for (i = 0; i < seconds * 10 && !atomic_load(&stop); i++)
		usleep(100000);
	atomic_store(&stop, true);
	pthread_join(wt, NULL);
	for (i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);

	printf("restrack_race: %ld QP+MR create/destroy cycles against %ld QP+MR dumps\n",
	       atomic_load(&cycles), atomic_load(&dumps));
	ibv_destroy_cq(w.cq);
	ibv_dealloc_pd(w.pd);
	ibv_close_device(ctx);
	ibv_free_device_list(list);
	free(w.buf);
	if (atomic_load(&failed) || !atomic_load(&cycles) || !atomic_load(&dumps))
		return 1;
	printf("restrack_race: PASS (the kernel's verdict is KASAN/kmemleak on the console)\n");
	return 0;
}
