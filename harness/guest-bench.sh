#!/bin/sh
# /bench.sh FORM RUNS in the guest (harness/perftest.sh packs it): make
# bench's measurements, FORM short or full, each repeated RUNS times.
#  1. dmabuf_bench FORM (tests/guest/dmabuf_bench.c): registration,
#     the nth MR, remap after a move, throughput under moves; its
#     "bench: ..." lines, each run's preceded by "bench: run I/RUNS".
#  2. perftest, server and client on rxe0 (GID 1, over veth0's address):
#     ib_write_bw, ib_read_bw and ib_send_bw with 64 KiB messages,
#     ib_write_lat and ib_read_lat with 64 B, each with plain memory
#     (ibv_reg_mr), a udmabuf and a system-heap buffer (ibv_reg_dmabuf_mr,
#     both sides). Per run one line, "perftest: test=T mem=M run=I/RUNS
#     exit=E result: <perftest's result row>", after the test's
#     "perftest: test=T header: <perftest's column header>".
#  3. In the full form, when make bench packed perf (harness/bench-perf.sh):
#     where the time goes, dmabuf_bench's figures that miss their targets
#     each run alone under perf (cpu-clock samples with kernel call chains),
#     its symbols by the share of the samples they and their callees took:
#     "profile: WHAT: samples N" and "profile: WHAT: TOTAL% SELF% SYMBOL".
# harness/bench_table.py turns them into the table and the plot.
form=${1:-short}
runs=${2:-1}
bin=/usr/local/rdma-dmabuf-mr/bin
server=192.0.2.1
# The short form (make check's, so that this cannot rot): one size, 3
# repetitions, 1 s per throughput figure, 20 iterations of perftest's
# bandwidth tests (64 KiB messages at about 1 MiB/s in the emulated debug
# guest: 100 took 6 s a run) and 100 of its latency tests.
case $form in
short) dbargs="short -r 3 -t 1" iters=20 lat_iters=100 ;;
*) dbargs=full iters=2000 lat_iters=1000 ;;
esac

i=1
while [ "$i" -le "$runs" ]; do
	echo "bench: run $i/$runs"
	/kselftest/harness/dmabuf_bench $dbargs
	echo "bench: exit=$?"
	i=$((i + 1))
done

# perftest's server listens on TCP port 18515 (0x4853) for the client.
listening() { grep -q ':4853 00000000:0000 0A' /proc/net/tcp; }

# perftest times with the TSC, which the emulated CPUs do not keep in step
# ("tsc: Marking TSC unstable due to TSCs unsynchronized"): each side stays
# on a CPU of its own, so that it reads one CPU's. The 0.00 MiB/s rows of
# the short form come from elsewhere: see perftest-note below.
if [ "$(nproc)" -ge 2 ]; then
	on_server="taskset -c 1" on_client="taskset -c 0"
else
	on_server="taskset -c 0" on_client="taskset -c 0"
fi

for t in write_bw read_bw send_bw write_lat read_lat; do
	case $t in
	*_bw) args="-s 65536 -n $iters" ;;
	*) args="-s 64 -n $lat_iters" ;;
	esac
	said=
	# Run by run, the three memories in turn: a drift of the emulator's
	# speed over the minutes weighs on each alike.
	i=1
	while [ "$i" -le "$runs" ]; do
		for mem in plain udmabuf system_heap; do
			case $mem in
			plain) memarg= ;;
			udmabuf) memarg=--use_udmabuf ;;
			system_heap) memarg=--use_dma_heap=system ;;
			esac
			t0=$(cut -d' ' -f1 /proc/uptime)
			$on_server timeout 120 "$bin/ib_$t" -d rxe0 -x 1 -F $args $memarg \
				>/tmp/server.log 2>&1 &
			spid=$!
			n=0
			until listening || [ $n -ge 100 ]; do
				sleep 0.1
				n=$((n + 1))
			done
			$on_client timeout 120 "$bin/ib_$t" -d rxe0 -x 1 -F $args $memarg "$server" \
				>/tmp/client.log 2>&1
			rc=$?
			crc=$rc
			wait $spid
			src=$?
			[ "$rc" -ne 0 ] || rc=$src
			hdr=$(grep -m 1 '#bytes' /tmp/client.log)
			if [ -z "$said" ] && [ -n "$hdr" ]; then
				echo "perftest: test=$t header: $hdr"
				said=1
			fi
			row=$(sed -n 's/^ *\([0-9][0-9]* .*\)$/\1/p' /tmp/client.log | tail -n 1)
			echo "perftest: test=$t mem=$mem run=$i/$runs exit=$rc result: $row"
			# perftest's clock rate is a regression of the TSC against
			# gettimeofday(); when that fits badly (r^2 < 0.9) it says so
			# and, with -F, reports 0.00. The row is the client's.
			grep -h 'Correlation coefficient' /tmp/client.log |
				sed "s/^/perftest-note: test=$t mem=$mem run=$i: /"
			if [ "$rc" -ne 0 ] || [ -z "$row" ]; then
				# The server's exit 124: its 120 s were out.
				echo "perftest-out: $(cut -d' ' -f1 /proc/uptime) s (started at $t0), client exit $crc, server exit $src"
				sed 's/^/perftest-out: client: /' /tmp/client.log
				sed 's/^/perftest-out: server: /' /tmp/server.log
				for c in /sys/class/infiniband/rxe0/ports/1/hw_counters/*; do
					printf '%s=%s ' "${c##*/}" "$(cat "$c")"
				done | sed 's/^/perftest-out: rxe0: /'
				echo
			fi
		done
		i=$((i + 1))
	done
done

[ "$form" = full ] && command -v perf >/dev/null || exit 0
# PART KIND SIZE REPS: registration of 1 MiB and 16 MiB, plain and dma-buf;
# 100 MRs on one buffer of 1 MiB and of 64 MiB; each a few seconds of the
# emulated guest, some thousands of samples.
for p in "reg ibv_reg_mr 1M 10000" "reg udmabuf 1M 10000" "reg system_heap 1M 10000" \
	"reg system_heap 16M 3000" "reg udmabuf 16M 3000" "nth udmabuf 1M 300" "nth udmabuf 64M 20"; do
	set -- $p
	what="$1 $2 $3"
	perf record -q -N -F 4000 -g -o /tmp/perf.data -- \
		/kselftest/harness/dmabuf_bench full -d rxe0 -o "$1" -k "$2" -s "$3" -r "$4" \
		>/tmp/profiled.log 2>&1 || { echo "profile: $what: perf record failed"; sed 's/^/profile-out: /' /tmp/profiled.log; continue; }
	perf report -i /tmp/perf.data --stdio --children --sort sym -g none --percent-limit 3 2>/dev/null |
		sed -n 's/^# Samples: \([0-9.]*[KM]*\) .*/profile: '"$what"': samples \1/p; s/^ *\([0-9.]*%\) *\([0-9.]*%\) *\(\[.\]\) \(.*\)$/profile: '"$what"': \1 \2 \3 \4/p' |
		head -n 31
	rm -f /tmp/perf.data
done
