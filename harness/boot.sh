#!/usr/bin/env bash
# boot.sh check|run|soak|bench|pyverbs|modules: boot the built kernel (or
# $KERNEL) with the initramfs (or $INITRD) under QEMU (TCG; ACCEL=kvm to opt
# in on x86_64), 2 vCPUs, 1 GiB (GUEST_MEM=2G for more). The console goes to
# out/console.log and, for "run", "soak" and "bench", to the terminal; the
# kselftests' TAP comes out of the second serial port into out/tap.log.
# The whole boot has a time limit. KSELFTESTS=COLLECTION[:TEST],... runs
# only those kselftests in "check", in the order the full run has them (a
# quick loop: results.py then reports the others missing; make check unsets
# it). BOOT_APPEND adds to the kernel command line; NIC replaces "-nic none" (QEMU's network options), SMP the vCPUs. "run" and "soak" exit non-zero if the demo or the soak failed or the
# console shows a report.
set -euo pipefail
. "$(dirname "$0")/env.sh"

mode=${1:-check}
# The machine: x86_64 (the default) or, with ARCH=arm64, QEMU's "virt"
# (harness/arm64-boot.sh), whose one PL011 is the console, so that the TAP
# leaves through a virtio console, hvc0.
if [ "${ARCH:-}" = arm64 ]; then
	kernel=${KERNEL:-$KBUILD/arch/arm64/boot/Image}
	machine=(qemu-system-aarch64 -M virt -cpu cortex-a57) console=ttyAMA0
	tapdev=(-device virtio-serial-device -chardev "file,id=tap,path=$OUT/tap.log"
		-device virtconsole,chardev=tap)
	tapname=harness.tap=/dev/hvc0
else
	kernel=${KERNEL:-$KBUILD/arch/x86/boot/bzImage}
	machine=(qemu-system-x86_64 -accel "${ACCEL:-tcg}" -cpu max,la57=off) console=ttyS0
	tapdev=(-serial "file:$OUT/tap.log") tapname=
fi
[ -f "$kernel" ] || die "no kernel at $kernel: run 'make build'"
rm -f "$OUT/console.log" "$OUT/tap.log"
# rdma-core's own tests (harness/pyverbs.sh) ride along as a second
# initramfs: once in "check" (without the modules of mlx5's and EFA's
# direct verbs, which skip on rxe; PYVERBS_NOHW=0 keeps them),
# PYVERBS_RUNS times (default 10) in "pyverbs", the whole suite.
# So does make bench's perftest and /bench.sh (harness/perftest.sh): in
# "bench", the BENCH form (full) BENCH_RUNS times (3); in "check" on
# x86_64, the short form once after the kselftests, so that it cannot rot
# (BENCH=none leaves it out).
initrd=${INITRD:-$OUT/initramfs.cpio.gz} extra='' runs=0 bench=none parts=()
case $mode in
check)
	runs=${PYVERBS_RUNS:-1}
	extra="harness.pyverbs_nohw=${PYVERBS_NOHW:-1}${KSELFTESTS:+ harness.ksft=$KSELFTESTS}"
	[ "${ARCH:-}" = arm64 ] || bench=${BENCH:-short}
	;;
pyverbs) runs=${PYVERBS_RUNS:-10} ;;
bench) bench=${BENCH:-full} ;;
esac
bench_runs=1
[ "$mode" != bench ] || bench_runs=${BENCH_RUNS:-3}
limit=${GUEST_TIMEOUT:-$((2400 + 900 * runs))}
if [ "$runs" -gt 0 ]; then
	[ -f "$OUT/pyverbs.cpio.gz" ] || die "no out/pyverbs.cpio.gz: run harness/pyverbs.sh"
	parts+=("$OUT/pyverbs.cpio.gz")
	extra="$extra harness.pyverbs=$runs${PYVERBS_ONLY:+ harness.pyverbs_only=$PYVERBS_ONLY}"
fi
if [ "$bench" != none ]; then
	[ -f "$OUT/perftest.cpio.gz" ] || die "no out/perftest.cpio.gz: run harness/perftest.sh"
	parts+=("$OUT/perftest.cpio.gz")
	extra="$extra harness.bench=$bench harness.bench_runs=$bench_runs"
	# make bench's profiler (harness/bench-perf.sh), in "bench" alone.
	[ "$mode" != bench ] || [ ! -f "$OUT/perf.cpio.gz" ] || parts+=("$OUT/perf.cpio.gz")
fi
if [ ${#parts[@]} -gt 0 ]; then
	cat "$initrd" "${parts[@]}" >"$OUT/initramfs-all.cpio.gz"
	initrd=$OUT/initramfs-all.cpio.gz
fi

step "booting the guest ($mode, ${ACCEL:-tcg}, limit ${limit} s, console: ${OUT#"$TOP"/}/console.log)"
start=$(date +%s)
set +e
timeout --foreground "$limit" "${machine[@]}" -smp "${SMP:-2}" -m "${GUEST_MEM:-1G}" \
	-display none -monitor none ${NIC:--nic none} -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=$console oops=panic panic=-1 kasan_multi_shot harness.mode=$mode $tapname $extra ${BOOT_APPEND:-}" \
	-serial stdio "${tapdev[@]}" </dev/null 2>"$OUT/qemu.log" |
	sed -u 's/\r//g' | tee "$OUT/console.log" |
	if [ "$mode" = run ] || [ "$mode" = soak ] || [ "$mode" = bench ]; then
		sed -u -n '/^harness: .*init started/,$p'
	else
		grep --line-buffered -E 'harness: |kselftest: |^pyverbs: |^twin: |^peer: |^\[ *[0-9.]+\] (not )?ok [0-9]+ - '
	fi
rc=${PIPESTATUS[0]}
set -e
echo "    guest ran $(($(date +%s) - start)) s"
tr -d '\r' <"$OUT/tap.log" >"$OUT/tap.log.tmp" 2>/dev/null && mv "$OUT/tap.log.tmp" "$OUT/tap.log"
case $rc in
0) ;;
124) die "the guest did not finish within $limit s" ;;
*) cat "$OUT/qemu.log" >&2; die "QEMU exited with status $rc" ;;
esac
# make run, make soak: fail when the demo or the soak failed or the console
# shows a kernel report.
if [ "$mode" = run ] || [ "$mode" = soak ]; then
	python3 "$TOP/harness/results.py" --$mode "$OUT" ||
		die "the $mode failed or the kernel reported a problem (see above and out/console.log)"
fi
