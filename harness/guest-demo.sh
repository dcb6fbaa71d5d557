#!/bin/sh
# The main job, shown in the guest by "make run": the device, then RC
# traffic over it with every byte checked.
echo
echo "=== rxe0 ==="
/bin/ibv_devinfo -d rxe0
echo
echo "=== RC traffic over rxe0: RDMA WRITE, READ and SEND, bytes checked ==="
cd /kselftest/harness && ./rc_traffic
echo "demo: rc_traffic exit=$?"
