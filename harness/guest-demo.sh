#!/bin/sh
# The main job, shown in the guest by "make run": the device, plain RC
# traffic over it, then a dma-buf MR registered through ibv_reg_dmabuf_mr()
# taking a stream of RDMA WRITEs while the exporter moves the buffer.
echo
echo "=== rxe0 ==="
/bin/ibv_devinfo -d rxe0
echo
echo "=== RC traffic over rxe0: RDMA WRITE, READ and SEND, bytes checked ==="
cd /kselftest/harness && ./rc_traffic
echo "demo: rc_traffic exit=$?"
echo
echo "=== a dma-buf MR on rxe0, moved by its exporter under traffic ==="
./dmabuf_mr_demo
echo "demo: dmabuf_mr_demo exit=$?"
