# RDMA dma-buf MRs for Linux 5.10: the series and the harness that proves it.
# See README.md. Every target is a small script in harness/.

H := harness

.PHONY: run check soak deps base apply series series-check lint config build \
	build-each debian-build modules-guest arm64 bench rdma-core guest pyverbs twin expected test-gate wire clean help

help:
	@echo "make run     apply, build, boot a guest and show the main job; then two machines:"
	@echo "             Debian 12's stock kernel RDMA WRITEs into our dma-buf MR while it moves"
	@echo "make check   every check and test; ends with 'N passed, N failed'"
	@echo "make soak    boot a guest that only soaks a dma-buf MR: COUNT moves (100000)"
	@echo "make bench   dma-buf MRs against plain MRs on a kernel without debug options:"
	@echo "             out/bench/bench.md and bench.svg (BENCH=full|short, BENCH_RUNS=3)"
	@echo "make series  regenerate series/ from the kernel tree"
	@echo "other steps: deps base apply series-check lint config build build-each"
	@echo "             debian-build (the series' files with Debian 11's config)"
	@echo "             modules-guest (move_notify off, RDMA as modules: a guest of its own;"
	@echo "             not in make check unless MODULES_GUEST=1)"
	@echo "             arm64 (cross-build the whole arm64 Image, W=1/sparse, and an arm64"
	@echo "             guest: KUnit and the kselftests on rxe0/siw0, about 10 minutes)"
	@echo "             rdma-core guest clean"
	@echo "make pyverbs    rdma-core's pyverbs tests on rxe0, 10 runs (PYVERBS_RUNS=)"
	@echo "make twin       two machines: our kernel against Debian 12's stock kernel, rxe and siw"
	@echo "                (in make check too, unless TWIN=0)"
	@echo "make wire       rxe's requester against a scripted responder on the host (in make check)"
	@echo "make expected   print what the last run saw, in config/expected's format"
	@echo "make test-gate  the gate's own unit tests (tests/host/test_gate.py)"

# The demo in one guest, then across two machines: Debian 12's stock
# kernel RDMA WRITEs into our dma-buf MR while it moves.
run: apply config build guest
	$(H)/boot.sh run
	$(H)/peer.sh
	TWIN_DEMO=1 TWIN_TIMEOUT=600 $(H)/twin.sh
	python3 $(H)/results.py --twin-demo out

check:
	$(H)/check.sh

COUNT ?= 100000
soak: apply config build guest
	$(H)/soak.sh $(COUNT)

# What a dma-buf MR costs against a plain MR: a kernel of its own without
# the debug options, dmabuf_bench and perftest, a table and a plot.
bench: apply rdma-core
	$(H)/bench.sh

deps:
	$(H)/deps.sh

base: deps
	$(H)/fetch-base.sh

apply: base
	$(H)/apply.sh

series:
	$(H)/series.sh write

series-check:
	$(H)/series.sh check

lint:
	rm -f out/results.txt
	$(H)/lint.sh

config:
	$(H)/config.sh

build:
	$(H)/build.sh

build-each:
	$(H)/build-each.sh

debian-build: apply
	$(H)/debian-build.sh

arm64: apply
	$(H)/arm64-build.sh --image
	$(H)/arm64-guest.sh
	$(H)/arm64-boot.sh

# The kernel as Debian 11 configures it where the series is concerned
# (move_notify off, RDMA and the test exporter as modules), in a guest of
# its own: make check runs it only with MODULES_GUEST=1 (its cold kernel
# build does not fit make check's 60 minutes on a new machine).
modules-guest: apply config build guest
	$(H)/modules-guest.sh
	python3 $(H)/results.py --guest modules out

rdma-core:
	$(H)/rdma-core.sh

guest: rdma-core
	$(H)/guest-tests.sh
	$(H)/initramfs.sh

# rdma-core's own tests on rxe0, PYVERBS_RUNS times (default 10), then the
# tests that were allowed to error, on the stock base kernel.
# Two machines: our kernel and a peer running Debian 12's stock kernel and
# rdma-core on virtual links (in make check unless TWIN=0).
twin: apply config build guest
	$(H)/peer.sh
	$(H)/twin.sh
	python3 $(H)/results.py --twin out

# rxe's requester against a scripted responder (harness/wire_peer.py):
# WIRE_ROUNDS rounds (20).
wire: apply config build guest
	$(H)/wire.sh
	python3 $(H)/results.py --wire out

pyverbs: apply config build guest
	$(H)/pyverbs.sh
	$(H)/boot.sh pyverbs
	python3 $(H)/results.py --pyverbs out
	$(H)/pyverbs-base.sh

expected:
	$(H)/expected.sh

test-gate:
	python3 tests/host/test_gate.py

clean:
	rm -rf out
