/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the harness's guest tests share: opening an RDMA device by name and
 * connecting two RC QPs of one device to each other through its
 * IPv4-mapped GID, posting one RDMA operation, waiting for completions and
 * reading a port's hardware counter.
 */
#ifndef RC_PAIR_H
#define RC_PAIR_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define GID_INDEX	1	/* IPv4-mapped GID of the veth address */
#define PORT		1

static inline struct ibv_context *open_device(const char *name)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	int i;

	if (!list)
		return NULL;
	for (i = 0; list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), name))
			ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	return ctx;
}

/*
 * Bring @qp to RTS, talking to @dest_qpn at @gid, with the transport timer
 * @timeout (4.096 us << @timeout). retry_cnt and rnr_retry are 7 ("for
 * ever" on rxe): a responder defers packets while the pages of a dma-buf MR
 * are being moved, and a READ reply may be late.
 */
static inline int connect_qp_timeout(struct ibv_qp *qp, uint32_t dest_qpn,
				     const union ibv_gid *gid,
				     uint8_t min_rnr_timer, uint8_t timeout)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = PORT,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE |
				   IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return -1;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest_qpn;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = min_rnr_timer;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = *gid;
	a.ah_attr.grh.sgid_index = GID_INDEX;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = PORT;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;

	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = timeout;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

/* connect_qp_timeout() with the timeout of 67 ms. */
static inline int connect_qp(struct ibv_qp *qp, uint32_t dest_qpn,
			     const union ibv_gid *gid, uint8_t min_rnr_timer)
{
	return connect_qp_timeout(qp, dest_qpn, gid, min_rnr_timer, 14);
}

/* Post one signaled RDMA WRITE or READ between local and remote memory. */
static inline int post_rdma(struct ibv_qp *qp, enum ibv_wr_opcode op,
			    void *local, uint32_t len, uint32_t lkey,
			    uint64_t remote, uint32_t rkey)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)local, .length = len, .lkey = lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = remote, .rkey = rkey },
	}, *bad;

	return ibv_post_send(qp, &wr, &bad);
}

/* CLOCK_MONOTONIC, in milliseconds. */
static inline double rc_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/*
 * Poll @cq for @n completions: 0 when all came in good, else the first bad
 * completion's status (IBV_WC_GENERAL_ERR if polling failed), or
 * -ETIMEDOUT if none came for @timeout_ms.
 */
static inline int rc_poll_cq(struct ibv_cq *cq, int n, double timeout_ms)
{
	double t0 = rc_now_ms();
	struct ibv_wc wc;
	int got;

	while (n) {
		got = ibv_poll_cq(cq, 1, &wc);
		if (got < 0)
			return IBV_WC_GENERAL_ERR;
		if (got && wc.status != IBV_WC_SUCCESS)
			return wc.status;
		n -= got;
		if (!got && rc_now_ms() - t0 > timeout_ms)
			return -ETIMEDOUT;
	}
	return 0;
}

/*
 * rc_poll_cq(), saying what went wrong as @who: 0, or -1 with errno EIO (a
 * bad completion) or ETIMEDOUT.
 */
static inline int rc_wait_cq(struct ibv_cq *cq, int n, double timeout_ms,
			     const char *who)
{
	int st = rc_poll_cq(cq, n, timeout_ms);

	if (!st)
		return 0;
	if (st == -ETIMEDOUT)
		printf("%s: no completion within %.0f ms\n", who, timeout_ms);
	else
		printf("%s: completion with status %s\n", who,
		       ibv_wc_status_str(st));
	errno = st == -ETIMEDOUT ? ETIMEDOUT : EIO;
	return -1;
}

/* Port 1's hardware counter @name of device @dev; -1 if it cannot be read. */
static inline long rc_hw_counter(const char *dev, const char *name)
{
	char path[160];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/class/infiniband/%s/ports/%d/hw_counters/%s", dev, PORT,
		 name);
	/*
	 * The RDMA core reads a port's counters again only once its last
	 * reading is 10 ms old (RDMA_HW_STATS_DEFAULT_LIFESPAN): a read
	 * sooner gets the old values.
	 */
	usleep(11 * 1000);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

#endif /* RC_PAIR_H */
