#!/usr/bin/env bash
# soak.sh [COUNT]: make soak. Boot the guest to run the dma-buf MR soak
# alone (tools/testing/selftests/rdma/dmabuf_soak: RDMA WRITE, READ and
# SEND through a dma-buf MR on rxe0, every byte checked, while the test
# exporter moves the buffer COUNT times, default 100000), then the kmemleak
# scans; the soak's summary line and the health gate decide the result
# (results.py --soak). The Makefile builds what it needs first, as for
# make run.
set -euo pipefail
. "$(dirname "$0")/env.sh"

count=${1:-100000}
case $count in
'' | *[!0-9]* | 0) die "COUNT must be a positive number of moves, not '$count'" ;;
esac
# Under TCG with the debug kernel a move takes 0.1 s, 0.2 s or more when
# other guests share the cores; boot, KUnit and the kmemleak scans take
# minutes more.
export GUEST_TIMEOUT=${GUEST_TIMEOUT:-$((count / 3 + 1800))}
step "soak: $count moves under traffic, time limit $GUEST_TIMEOUT s"
BOOT_APPEND="harness.count=$count" "$TOP/harness/boot.sh" soak
