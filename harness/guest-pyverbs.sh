#!/bin/sh
# /pyverbs.sh N in the guest: run rdma-core's own test suite (pyverbs'
# tests/run_tests.py, with the patched rdma-core's libraries) against rxe0
# N times. Per run it prints one "pyverbs: run I/N exit=E: Ran X tests in
# Ys; <result line>" line and one "pyverbs: run I: ERROR|FAIL: <test>" line
# per test that did not pass; results.py judges them against
# config/expected. Every line of the suite's own output is copied to the
# console as "pyverbs-out: ", so that a kernel report can be placed in the
# test that caused it. harness.pyverbs_only=A,B on the kernel command line
# runs only those tests (unittest names), as "make pyverbs" does on the
# stock base. harness.pyverbs_nohw=1 (make check's run) leaves out the
# modules of mlx5's and EFA's direct verbs (test_mlx5_*, test_efa*): every
# one of their tests skips on rxe, after setting up resources first (139
# tests, 100 s of the suite's 320 s under TCG); the start line says so.
n=${1:-1}
. /pyverbs/env
only=$(sed -n 's/.*harness.pyverbs_only=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm   # multiprocessing's semaphores
cd "$PYVERBS_TESTS" || { echo "pyverbs: no tests in $PYVERBS_TESTS"; exit 1; }
what=
if [ -z "$only" ] && grep -q 'harness.pyverbs_nohw=1' /proc/cmdline; then
	only=$(ls test_*.py | grep -v -e '^test_mlx5' -e '^test_efa' | sed 's/^/tests./; s/\.py$//')
	what=", without the mlx5 and EFA modules"
fi
echo "pyverbs: $n runs of rdma-core's tests on rxe0, $(python3 -V 2>&1)${what:-${only:+, only: $only}}"
i=1
while [ "$i" -le "$n" ]; do
	echo "pyverbs: run $i/$n start"
	(python3 run_tests.py --dev rxe0 -v $only 2>&1; echo "exit-status=$?") |
		while IFS= read -r l; do
			echo "$l" >>/tmp/pyverbs.$i
			echo "pyverbs-out: $l"
		done
	rc=$(sed -n 's/^exit-status=//p' /tmp/pyverbs.$i | tail -n 1)
	ran=$(grep -E '^Ran [0-9]+ tests? in' /tmp/pyverbs.$i)
	res=$(tail -n 3 /tmp/pyverbs.$i | grep -E '^(OK|FAILED)')
	echo "pyverbs: run $i/$n exit=$rc: ${ran:-no totals}; ${res:-no result line}"
	grep -E '^(ERROR|FAIL):' /tmp/pyverbs.$i | sed "s/^/pyverbs: run $i: /"
	i=$((i + 1))
done
echo "pyverbs: done"
