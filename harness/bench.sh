#!/usr/bin/env bash
# bench.sh: make bench. What a dma-buf MR costs against a plain MR, on a
# kernel without the debug options: config/base.config and
# config/rdma.config alone (no KASAN, lockdep, kmemleak, DMA-API debugging,
# DEBUG_SG), built with ccache in a build tree of its own
# ($CACHE/build-bench). Its guest (out/bench/) runs harness/guest-bench.sh:
# dmabuf_bench and perftest, BENCH (full; or short) BENCH_RUNS times (3),
# then in the full form the figures that miss their targets once more
# under perf (harness/bench-perf.sh packs it); then harness/bench_table.py writes out/bench/bench.md, the table (also
# printed), and out/bench/bench.svg, the plot. The guest's programs are
# make check's, built against the benchmark tree (harness/guest-tests.sh,
# harness/initramfs.sh, into out/bench/).
set -euo pipefail
. "$(dirname "$0")/env.sh"

form=${BENCH:-full}
export BENCH=$form BENCH_RUNS=${BENCH_RUNS:-3}
case $form in short | full) ;; *) die "BENCH must be short or full, not '$form'" ;; esac
case $BENCH_RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive number" ;; esac
bout=$OUT/bench
mkdir -p "$bout"

step "bench: the benchmark kernel (config/base.config + config/rdma.config, no debug options)"
export KBUILD=$CACHE/build-bench OUT=$bout
FRAGS="$TOP/config/base.config $TOP/config/rdma.config" "$TOP/harness/config.sh"
"$TOP/harness/build.sh"
"$TOP/harness/guest-tests.sh"
"$TOP/harness/initramfs.sh"
"$TOP/harness/perftest.sh"
[ "$form" != full ] || "$TOP/harness/bench-perf.sh"

# Under TCG a full run of dmabuf_bench takes several minutes and the
# perftest matrix as long again; the 256 MiB remap needs 2 GiB.
per_run=$([ "$form" = full ] && echo 1800 || echo 600)
GUEST_TIMEOUT=${GUEST_TIMEOUT:-$((900 + per_run * BENCH_RUNS))} GUEST_MEM=${GUEST_MEM:-2G} \
	"$TOP/harness/boot.sh" bench
python3 "$TOP/harness/bench_table.py" "$bout/console.log" "$bout"
