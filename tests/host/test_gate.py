#!/usr/bin/env python3
"""The harness's own test: results.py must turn every kind of bad guest run
red and a clean one green. Each case writes a small console and TAP log,
runs results.py on them and checks its verdict. Prints one line per case,
"pass|fail<TAB>harness: <case>", for check.sh to record."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, '../../harness/results.py')

KUNIT = """[    1.0] TAP version 14
[    1.0] 1..1
[    1.0]     # Subtest: list-kernel-test
[    1.0]     1..1
[    1.0]     ok 1 - list_test_list_init
[    1.0] ok 1 - list-kernel-test
"""
INIT = 'harness: [75.81] init started (mode check)\n'
END = 'harness: [345.65] debug_locks=1\nharness: [345.73] done\n'
TAP = """TAP version 13
1..2
# selftests: harness: rc_traffic
# ok 1 rc.rxe.write_lands_every_byte
ok 1 selftests: harness: rc_traffic
# selftests: drivers/dma-buf: udmabuf
ok 2 selftests: drivers/dma-buf: udmabuf
"""
WARN = '[    9.0] WARNING: CPU: 1 PID: 77 at drivers/foo.c:12 foo+0x1/0x2\n'

CASES = [
    # name, console, tap, expected exit status of results.py
    ('a clean run passes', KUNIT + INIT + END, TAP, 0),
    ('a kernel WARNING fails', KUNIT + INIT + WARN + END, TAP, 1),
    ('a KASAN report fails', KUNIT + INIT +
     'BUG: KASAN: use-after-free in bar+0x1/0x2\n' + END, TAP, 1),
    ('a lockdep report fails', KUNIT + INIT +
     'WARNING: possible circular locking dependency detected\n' + END, TAP, 1),
    ('a kmemleak leak fails', KUNIT + INIT +
     'unreferenced object 0xffff888001 (size 64):\n' + END, TAP, 1),
    ('debug_locks dropping to 0 fails', KUNIT + INIT +
     END.replace('debug_locks=1', 'debug_locks=0'), TAP, 1),
    ('a guest that never finishes fails', KUNIT + INIT, TAP, 1),
    ('a failing kselftest case fails', KUNIT + INIT + END,
     TAP.replace('# ok 1 rc', '# not ok 1 rc').replace(
         'ok 1 selftests: harness', 'not ok 1 selftests: harness'), 1),
    ('a crashing kselftest program fails', KUNIT + INIT + END,
     TAP.replace('ok 1 selftests: harness: rc_traffic',
                 'not ok 1 selftests: harness: rc_traffic # exit=139'), 1),
    ('a failing KUnit case fails', KUNIT.replace(
        '    ok 1 - list_test', '    not ok 1 - list_test').replace(
        '] ok 1 - list-kernel', '] not ok 1 - list-kernel') + INIT + END, TAP, 1),
    ('missing KUnit output fails', INIT + END, TAP, 1),
    ('missing kselftest output fails', KUNIT + INIT + END, '', 1),
    ('a DMA-API debug report fails', KUNIT + INIT + 'DMA-API: rxe0-dmabuf: device driver '
     'frees DMA memory with wrong function\n' + END, TAP, 1),
    ('exit 77 counts as a skip, not a pass', KUNIT + INIT + END,
     TAP.replace('ok 2 selftests: drivers/dma-buf: udmabuf',
                 'not ok 2 selftests: drivers/dma-buf: udmabuf # exit=77'), 0),
    ('a skipped case of kselftest_harness counts as a skip', KUNIT + INIT + END,
     TAP.replace('# ok 1 rc.rxe.write_lands_every_byte',
                 '# #  RUN           rc.rxe.write_lands_every_byte ...\n'
                 '# #      SKIP      no device\n'
                 '# ok 1 # SKIP no device'), 0),
]


def run(tree, console, tap):
    with tempfile.TemporaryDirectory() as out:
        with open(os.path.join(out, 'console.log'), 'w') as f:
            f.write(console)
        with open(os.path.join(out, 'tap.log'), 'w') as f:
            f.write(tap)
        p = subprocess.run([sys.executable, RESULTS, out, tree],
                           capture_output=True, text=True)
        return p.returncode, p.stdout


def main():
    tree = sys.argv[1]
    bad = 0
    for name, console, tap, want in CASES:
        rc, out = run(tree, console, tap)
        ok = rc == want
        if name.startswith('exit 77'):
            ok = ok and '1 skipped' in out.splitlines()[-1]
        if 'skipped case' in name:
            ok = ok and out.splitlines()[-1].endswith(' 1 skipped') and \
                'rc.rxe.write_lands_every_byte' in out
        if not ok:
            bad += 1
            sys.stderr.write('--- %s: exit %d, wanted %d\n%s' % (name, rc, want, out))
        print('%s\tharness: results.py: %s' % ('pass' if ok else 'fail', name))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
