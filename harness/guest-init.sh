#!/bin/busybox sh
# /init of the test guest (busybox sh). Sets up a veth pair with rxe0 and
# siw0 on it, runs the kselftests through the tree's runner with their TAP
# on the second serial port, checks the kernel's health, and powers off.
# Kernel messages, and so KUnit's TAP, stay on the console (ttyS0).
# harness.tap= names another TAP device (the arm64 guest's virtio console).
# In the modules guest (harness.mode=modules, harness/modules-guest.sh) it
# loads the RDMA and test exporter modules first with kmod's modprobe, and
# unloads them all as soon as the kselftests' last dma-buf MR is released.
# With harness.bench= it runs make bench's /bench.sh (harness/guest-bench.sh):
# alone in "bench", after the kselftests in "check". In "twin"
# (harness/twin.sh) it runs our half of the two-machine tests instead; in
# "wire" (harness/wire.sh), WRITEs to a scripted responder on the host.

/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
# devtmpfs has none of these; the kselftest runner writes to /dev/stdout.
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
exec </dev/console >/dev/console 2>&1
# kmemleak's automatic scan off: its first scan, 60 s after it starts, takes
# a minute of our emulated KASAN guest, every allocation and free meanwhile
# waiting for the scanner's lock, at a time no test chose (in make twin it
# made the remap stall below likely early in a run). The health check's two
# scans at the end still find every leak.
[ ! -e /sys/kernel/debug/kmemleak ] || echo scan=off >/sys/kernel/debug/kmemleak

say() { echo "harness: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
tap=$(sed -n 's/.*harness.tap=\([^ ]*\).*/\1/p' /proc/cmdline)
tap=${tap:-/dev/ttyS1}
stty -F $tap raw -echo 2>/dev/null

mode=$(sed -n 's/.*harness.mode=\([a-z]*\).*/\1/p' /proc/cmdline)
say "init started (mode ${mode:-check}), $(cat /etc/rdma-core-version)"

# The modules guest's kernel has the RDMA stack and the test exporter as
# modules (harness/modules-guest.sh): load what the tests use.
if [ "$mode" = modules ]; then
	if /sbin/modprobe -a rdma_rxe siw ib_uverbs rdma_ucm dma_buf_test_exporter; then
		say "modules loaded: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
	else
		say "modules loaded: modprobe failed"
	fi
fi

/bin/ip link set lo up
/bin/ip link add veth0 type veth peer name veth1
/bin/ip addr add 192.0.2.1/24 dev veth0
/bin/ip addr add 192.0.2.2/24 dev veth1
/bin/ip link set veth0 up
/bin/ip link set veth1 up
/bin/rdma link add rxe0 type rxe netdev veth0 || say "rdma link add rxe0 failed"
/bin/rdma link add siw0 type siw netdev veth1 || say "rdma link add siw0 failed"

# Wait up to 20 s for an active port with an IPv4-mapped GID at index 1.
for dev in rxe0 siw0; do
	p=/sys/class/infiniband/$dev/ports/1
	i=0
	until grep -q ACTIVE $p/state 2>/dev/null &&
		{ [ $dev = siw0 ] || ! grep -q '^[0:]*$' $p/gids/1; }; do
		i=$((i + 1))
		[ $i -gt 200 ] && { say "gave up waiting for $dev after 20 s"; break; }
		sleep 0.1
	done
	state=$(cat $p/state 2>/dev/null || echo "no device")
	say "$dev: ${state#*: }"
done
/bin/rdma link show
say "test exporter: $([ -c /dev/dmabuf_test_exporter ] && echo present || echo absent)"

if [ "$mode" = twin ]; then
	# harness/twin.sh: our half of the two-machine tests, on rxe1 over the
	# virtio-net link (eth0) to the peer guest, and siw1 over the second
	# (eth1).
	/bin/ip link set eth0 up
	/bin/ip addr add 10.0.9.1/24 dev eth0
	/bin/ip link set eth1 up
	/bin/ip addr add 10.0.10.1/24 dev eth1
	/bin/rdma link add rxe1 type rxe netdev eth0 || say "rdma link add rxe1 failed"
	/bin/rdma link add siw1 type siw netdev eth1 || say "rdma link add siw1 failed"
	p=/sys/class/infiniband/rxe1/ports/1
	i=0
	until grep -q ACTIVE $p/state 2>/dev/null || [ $i -gt 200 ]; do sleep 0.1; i=$((i + 1)); done
	state=$(cat $p/state 2>/dev/null || echo "no device")
	say "rxe1: ${state#*: }"
	# harness.twin=demo (make run): the moving WRITE case alone.
	demo=$(sed -n 's/.*harness.twin=\(demo\).*/\1/p' /proc/cmdline)
	# harness.twin_trace=1 (TWIN_TRACE=1): rxe's trace events (remaps,
	# deferred packets, QPs run again) and the dma-buf umems' (moves,
	# maps with their duration) kept, the last of them printed.
	tr=/sys/kernel/tracing
	if grep -q 'harness.twin_trace=1' /proc/cmdline; then
		[ -d $tr/events ] || mount -t tracefs nodev $tr
		echo 16384 >$tr/buffer_size_kb
		echo 1 >$tr/events/rxe/enable && echo 1 >$tr/events/ib_umem_dmabuf/enable &&
			say "twin: tracing rxe's and ib_umem_dmabuf's events"
		# At a failed case (dmabuf_peer's dump_counters()): the last 300
		# events but deferrals (moves, maps, remaps, ...), then the last
		# 60 deferrals and resumes.
		cat >/tmp/twin-trace <<-EOT
		#!/bin/sh
		grep -v '^#' $tr/trace | grep -v 'rxe_dmabuf_defer\|rxe_dmabuf_resume' | tail -n 300 | sed 's/^/trace: /'
		grep -v '^#' $tr/trace | grep 'rxe_dmabuf_defer\|rxe_dmabuf_resume' | tail -n 60 | sed 's/^/trace: /'
		EOT
		chmod +x /tmp/twin-trace
		export DMABUF_PEER_TRACE=/tmp/twin-trace
	fi
	# The link's interrupts (and so its softirq: virtio-net, UDP, rxe's
	# responder) on vCPU 0, unbound work items (the remap of a moved
	# dma-buf MR among them) on vCPU 1: with both on one vCPU, the peer's
	# resent bursts kept it busy in softirq while the MR was unmapped and
	# the remap waited 20-34 s behind them (make twin, session 24). Patch
	# 0083 (the RNR timer doubling) thins those bursts out; the split stays
	# as a second guard on slow hosts.
	# harness.twin_split=0 (TWIN_SPLIT=0) leaves both on every vCPU.
	if grep -q 'harness.twin_split=0' /proc/cmdline; then
		say "twin: the link's IRQs and unbound work on every vCPU (TWIN_SPLIT=0)"
	else
		irqs=$(sed -n 's/^ *\([0-9]*\):.*virtio.*/\1/p' /proc/interrupts | tr '\n' ' ')
		for irq in $irqs; do
			echo 1 >/proc/irq/$irq/smp_affinity 2>/dev/null || say "twin: IRQ $irq stays on every vCPU"
		done
		echo 2 >/sys/devices/virtual/workqueue/cpumask &&
			say "twin: the link's IRQs on vCPU 0 ($irqs), unbound work on vCPU 1"
	fi
	# harness.twin_rounds=N (TWIN_ROUNDS): N rounds of the moving cases.
	TWIN_ROUNDS=$(sed -n 's/.*harness.twin_rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
	export TWIN_ROUNDS
	say "twin: start"
	if [ -n "$demo" ]; then
		/kselftest/harness/dmabuf_peer ours rxe1 10.0.9.1 demo
	else
		/kselftest/harness/dmabuf_peer ours rxe1 10.0.9.1 siw 10.0.10.1
	fi
	say "twin: exit=$?"
	if grep -q 'harness.twin_trace=1' /proc/cmdline; then
		grep -v '^#' $tr/trace | tail -n 4000 | sed 's/^/trace: /'
	fi
elif [ "$mode" = wire ]; then
	# harness/wire.sh: tests/guest/resend_peer.c's WRITEs from rxe1, over
	# the virtio-net link (eth0), to the scripted responder on the host
	# (harness/wire_peer.py), which needs no ARP.
	/bin/ip link set eth0 up
	/bin/ip addr add 10.0.11.1/24 dev eth0
	/bin/ip neigh add 10.0.11.2 lladdr 52:54:00:00:0b:02 nud permanent dev eth0
	/bin/rdma link add rxe1 type rxe netdev eth0 || say "rdma link add rxe1 failed"
	p=/sys/class/infiniband/rxe1/ports/1
	i=0
	until { grep -q ACTIVE $p/state && ! grep -q '^[0:]*$' $p/gids/1; } 2>/dev/null ||
		[ $i -gt 200 ]; do sleep 0.1; i=$((i + 1)); done
	say "rxe1: $(cat $p/state 2>/dev/null || echo "no device")"
	rounds=$(sed -n 's/.*harness.wire_rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
	/kselftest/harness/resend_peer rxe1 "${rounds:-20}"
	say "wire: exit=$?"
elif [ "$mode" = peer ]; then
	# harness/twin.sh with TWIN_PEER=ours: our kernel as the peer too.
	/bin/ip link set eth0 up
	/bin/ip addr add 10.0.9.2/24 dev eth0
	/bin/ip link set eth1 up
	/bin/ip addr add 10.0.10.2/24 dev eth1
	/bin/rdma link add rxe2 type rxe netdev eth0 || say "rdma link add rxe2 failed"
	/bin/rdma link add siw2 type siw netdev eth1 || say "rdma link add siw2 failed"
	# siw's plain MRs count against RLIMIT_MEMLOCK even for root, and 5.10
	# starts init with 64 KiB (Debian's 6.1 peer has 8 MiB).
	ulimit -l unlimited
	/kselftest/harness/dmabuf_peer peer rxe2 10.0.9.2 10.0.9.1
	echo "peer: dmabuf_peer: exit=$?"
	echo "peer: tainted: $(cat /proc/sys/kernel/tainted)"
elif [ "$mode" = run ]; then
	/demo.sh
elif [ "$mode" = soak ]; then
	# make soak: the dma-buf MR soak alone, for harness.count= moves.
	count=$(sed -n 's/.*harness.count=\([0-9]*\).*/\1/p' /proc/cmdline)
	say "soak: ${count:=100000} moves"
	/kselftest/rdma/dmabuf_soak "$count"
	say "soak: exit=$?"
elif [ "$mode" = check ] || [ "$mode" = modules ] || [ -z "$mode" ]; then
	say "kselftests: start"
	# harness.ksft=COLLECTION[:TEST],... (boot.sh's KSELFTESTS): only
	# those, in the order of the list (the fail-nth sweep stays last).
	only=
	for t in $(sed -n 's/.*harness.ksft=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do
		case $t in *:*) echo "$t" ;; *) echo "$t:.*" ;; esac
	done >/tmp/ksft.patterns
	if [ -s /tmp/ksft.patterns ]; then
		only=$(grep -x -f /tmp/ksft.patterns /kselftest/kselftest-list.txt |
			sed 's/^/-t /' | tr '\n' ' ')
		[ -n "$only" ] || only="-t none:matches-harness.ksft"
	fi
	/kselftest/run_kselftest.sh $only >$tap 2>&1
	say "kselftests: done (exit $?)"
fi
# Unload at once: the fail-nth sweep, the last kselftest, has just released
# its dma-buf MRs on rxe0 and siw0 (and with them any work they queued).
# Users first; modprobe -r also removes what only they needed (ib_core,
# iw_cm, ...). Then what the kernel loaded on demand (siw's crc32c).
if [ "$mode" = modules ]; then
	if /sbin/modprobe -r rdma_rxe siw rdma_ucm ib_uverbs dma_buf_test_exporter; then
		for m in $(cut -d' ' -f1 /proc/modules); do /sbin/modprobe -r "$m"; done
		left=$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')
		say "modules unloaded: ${left:-all}"
	else
		say "modules unloaded: modprobe -r failed, left: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
	fi
fi
# make bench's measurements (harness/guest-bench.sh, which harness/perftest.sh
# packs and boot.sh appends with harness.bench=FORM harness.bench_runs=N):
# all that "bench" does; in "check", the short form once, after the
# kselftests, so that the benchmark cannot rot (its numbers are not judged).
bench=$(sed -n 's/.*harness.bench=\([a-z]*\).*/\1/p' /proc/cmdline)
bruns=$(sed -n 's/.*harness.bench_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$bench" ] && { [ "$mode" = bench ] || [ "$mode" = check ]; }; then
	if [ -x /bench.sh ]; then
		say "bench: start ($bench form, ${bruns:=1} runs)"
		/bench.sh "$bench" "$bruns"
		say "bench: done"
	else
		say "bench: asked for, but not in the initramfs"
	fi
fi
# rdma-core's own tests (harness/pyverbs.sh appends them to the initramfs):
# harness.pyverbs=N runs the suite N times, after the kselftests in "check".
runs=$(sed -n 's/.*harness.pyverbs=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ -n "$runs" ] && [ "$mode" != run ]; then
	if [ -x /pyverbs.sh ]; then
		say "pyverbs: start"
		/pyverbs.sh "$runs"
		say "pyverbs: done"
	else
		say "pyverbs: asked for, but not in the initramfs"
	fi
fi

# Health: two kmemleak scans (a leak is reported on the scan after the one
# that first sees it unreferenced); a scan fails once kmemleak has disabled
# itself. kmemleak only reports objects older than 5 s, hence the sleep. The
# scans take minutes under TCG: "make run" and the bench leave them to
# "make check". results.py requires "kmemleak: active", "tainted: 0" and
# "debug_locks: 1" (config/expected).
if [ "$mode" != run ] && [ "$mode" != bench ]; then
	sleep 6
	if echo scan >/sys/kernel/debug/kmemleak && echo scan >/sys/kernel/debug/kmemleak; then
		cat /sys/kernel/debug/kmemleak
		say "kmemleak: active"
	else
		say "kmemleak: off (scan failed)"
	fi
fi
say "tainted: $(cat /proc/sys/kernel/tainted)"
say "debug_locks: $(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)"
say "done"
poweroff -f
