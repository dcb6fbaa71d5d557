// SPDX-License-Identifier: GPL-2.0
/*
 * The requester half of harness/wire.sh: an RC QP of rxe that RDMA WRITEs,
 * over the guest's virtio-net link, to a scripted responder on the host
 * (harness/wire_peer.py), which decides when each ACK comes and checks what
 * the requester resends.
 *
 *	resend_peer DEV ROUNDS
 *
 * First a 4-byte WRITE that carries this QP's number (the responder learns
 * whom to ACK from it), then ROUNDS rounds of two WRITEs posted together: a
 * long one (LONG_LEN, 120 packets) and a short one (SHORT_LEN, 4 packets),
 * each round waited for before the next. The responder drives the retries;
 * this side only checks that every WRITE completes successfully. The
 * remote addresses and rkey mean nothing to the scripted responder.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include "rc_pair.h"

#define PEER_QPN	0x11		/* the scripted responder's QP */
#define PEER_IP		"10.0.11.2"
#define LONG_LEN	(120 * 1024)	/* 120 packets of the 1024-byte MTU */
#define SHORT_LEN	(4 * 1024)
#define TIMEOUT		14		/* 67 ms transport timer */
#define WAIT_MS		60000.0

int main(int argc, char **argv)
{
	struct ibv_qp_init_attr qa = {
		.cap = { .max_send_wr = 8, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	union ibv_gid gid = { .raw = { [10] = 0xff, [11] = 0xff } };
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_mr *mr;
	struct ibv_qp *qp;
	uint32_t qpn;
	int rounds, i;
	char *buf;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DEV ROUNDS\n", argv[0]);
		return 2;
	}
	rounds = atoi(argv[2]);
	inet_pton(AF_INET, PEER_IP, &gid.raw[12]);
	ctx = open_device(argv[1]);
	if (!ctx) {
		printf("resend: no device %s\n", argv[1]);
		return 1;
	}
	buf = malloc(LONG_LEN + SHORT_LEN);
	pd = ibv_alloc_pd(ctx);
	cq = pd ? ibv_create_cq(ctx, 16, NULL, NULL, 0) : NULL;
	mr = cq && buf ? ibv_reg_mr(pd, buf, LONG_LEN + SHORT_LEN,
				    IBV_ACCESS_LOCAL_WRITE) : NULL;
	qa.send_cq = qa.recv_cq = cq;
	qp = mr ? ibv_create_qp(pd, &qa) : NULL;
	if (!qp || connect_qp_timeout(qp, PEER_QPN, &gid, 1, TIMEOUT)) {
		printf("resend: setting up the QP failed: %m\n");
		return 1;
	}
	for (i = 0; i < LONG_LEN + SHORT_LEN; i++)
		buf[i] = i * 7 + 1;

	qpn = htonl(qp->qp_num);
	memcpy(buf, &qpn, sizeof(qpn));
	if (post_rdma(qp, IBV_WR_RDMA_WRITE, buf, sizeof(qpn), mr->lkey,
		      0x10000, 0x1234) ||
	    rc_wait_cq(cq, 1, WAIT_MS, "resend: the WRITE of the QP number"))
		return 1;
	printf("resend: QP %u connected to %s\n", qp->qp_num, PEER_IP);

	for (i = 1; i <= rounds; i++) {
		char who[64];

		snprintf(who, sizeof(who), "resend: round %d", i);
		if (post_rdma(qp, IBV_WR_RDMA_WRITE, buf, LONG_LEN, mr->lkey,
			      0x100000, 0x1234) ||
		    post_rdma(qp, IBV_WR_RDMA_WRITE, buf + LONG_LEN, SHORT_LEN,
			      mr->lkey, 0x200000, 0x1234)) {
			printf("%s: ibv_post_send failed\n", who);
			return 1;
		}
		if (rc_wait_cq(cq, 2, WAIT_MS, who))
			return 1;
		printf("%s: both WRITEs completed\n", who);
	}
	ibv_destroy_qp(qp);
	ibv_dereg_mr(mr);
	ibv_destroy_cq(cq);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	free(buf);
	return 0;
}
