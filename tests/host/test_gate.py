#!/usr/bin/env python3
"""The gate's own test: results.py, case by case on crafted console and TAP
logs, asserting the exact rows it produces (as the tree's
tools/testing/kunit/kunit_tool_test.py does for kunit_parser.py), so that
a weakened pattern or a dropped check turns a case red.

    python3 tests/host/test_gate.py            unittest, verbose
    python3 tests/host/test_gate.py --rows     one "pass|fail<TAB>harness: ..."
                                               line per case, for check.sh

The KUnit cases run the tree's kunit.py: LINUX= names the kernel tree
(default: the harness's, under CACHE=).
"""
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.normpath(os.path.join(HERE, '../../harness'))
sys.path.insert(0, HARNESS)
import results  # noqa: E402

CACHE = os.environ.get('CACHE', os.path.expanduser('~/.cache/rdma-dmabuf-mr'))
TREE = os.environ.get('LINUX', os.path.join(CACHE, 'linux'))

EXPECTED = """\
# a small manifest of the same form as config/expected
step series: applies
step lint: checkpatch
require rxe0: ACTIVE
require kmemleak: active
require tainted: 0
require debug_locks: 1
kunit list-kernel-test 2
kselftest harness:rc_traffic 2
kselftest drivers/dma-buf:udmabuf 0
skip build: patch by patch -- BUILD_EACH=0 asked for the quick loop
skip rc.siw.read_back -- siw has no READ in this test
"""
HOST = ('pass\tseries: applies with git am\t\n'
        'pass\tlint: checkpatch --strict 0001\t\n')
KUNIT = """\
[    1.0] TAP version 14
[    1.0] 1..1
[    1.0]     # Subtest: list-kernel-test
[    1.0]     1..2
[    1.0]     ok 1 - list_test_list_init
[    1.0]     ok 2 - list_test_list_add
[    1.0] ok 1 - list-kernel-test
"""
INIT = ('harness: [75.81] init started (mode check)\n'
        'harness: [76.20] rxe0: ACTIVE\n')
END = ('harness: [340.10] kmemleak: active\n'
       'harness: [345.60] tainted: 0\n'
       'harness: [345.65] debug_locks: 1\n'
       'harness: [345.73] done\n')
CONSOLE = KUNIT + INIT + END
TAP = """\
TAP version 13
1..1
# selftests: harness: rc_traffic
# TAP version 13
# 1..2
# # Starting 2 tests from 2 test cases.
# #  RUN           rc.rxe.write_lands_every_byte ...
# #            OK  rc.rxe.write_lands_every_byte
# ok 1 rc.rxe.write_lands_every_byte
# #  RUN           rc.rxe.read_back ...
# #            OK  rc.rxe.read_back
# ok 2 rc.rxe.read_back
# # PASSED: 2 / 2 tests passed.
ok 1 selftests: harness: rc_traffic
TAP version 13
1..1
# selftests: drivers/dma-buf: udmabuf
ok 1 selftests: drivers/dma-buf: udmabuf
"""
CLEAN_ROWS = [
    ('series', 'pass', 'applies with git am', ''),
    ('lint', 'pass', 'checkpatch --strict 0001', ''),
    ('guest', 'pass', 'boots and completes', ''),
    ('guest', 'pass', 'rxe0: ACTIVE', ''),
    ('guest', 'pass', 'kmemleak: active', ''),
    ('guest', 'pass', 'tainted: 0', ''),
    ('guest', 'pass', 'debug_locks: 1', ''),
    ('kunit', 'pass', 'list-kernel-test.list_test_list_init', ''),
    ('kunit', 'pass', 'list-kernel-test.list_test_list_add', ''),
    ('kselftest harness', 'pass', 'rc.rxe.write_lands_every_byte', ''),
    ('kselftest harness', 'pass', 'rc.rxe.read_back', ''),
    ('kselftest drivers/dma-buf', 'pass', 'drivers/dma-buf:udmabuf', ''),
] + [('health', 'pass', name, '') for name, _ in results.HEALTH]


class Gate(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        if not os.path.exists(os.path.join(TREE, 'tools/testing/kunit/kunit.py')):
            self.fail('no kernel tree with kunit.py at %s (set LINUX=)' % TREE)

    def judge(self, console=CONSOLE, tap=TAP, host=HOST, expected=EXPECTED):
        return results.judge(results.Expected(expected), host, console, tap, TREE)

    def failures(self, **kw):
        return [(g, n, d) for g, s, n, d in self.judge(**kw) if s == 'fail']

    def assertFails(self, want, **kw):
        """The run fails with exactly these rows, and only these."""
        self.assertEqual(self.failures(**kw), want)

    def test_clean_run_passes_with_exact_rows(self):
        self.assertEqual(self.judge(), CLEAN_ROWS)

    # -- make arm64: the arm64 guest, judged as make check's but for the
    # host steps and rdma-core's tests (x86_64 only)
    def test_arm64_guest_passes_without_host_rows_or_pyverbs(self):
        rows = results.arm64(CONSOLE, TAP, TREE, results.Expected(EXPECTED + 'pyverbs tests 3\n'))
        self.assertEqual(rows, [r for r in CLEAN_ROWS if r[0] not in ('series', 'lint')])

    def test_arm64_guest_missing_a_kselftest_fails(self):
        tap = TAP.split('TAP version 13\n1..1\n# selftests: drivers/dma-buf')[0]
        self.assertEqual([r for r in results.arm64(CONSOLE, tap, TREE, results.Expected(EXPECTED))
                          if r[1] == 'fail'],
                         [('kselftest', 'fail', 'drivers/dma-buf:udmabuf',
                           'program did not run (config/expected: 0 cases)')])

    def test_committed_manifest_parses(self):
        e = results.Expected.load()
        self.assertTrue(e.steps and e.kunit and e.kselftest)
        self.assertIn(('tainted', '0'), e.requires)

    # -- the health gate: each pattern, and each detector's own health
    def health(self, line, name):
        self.assertFails([('health', name, line.strip())],
                         console=KUNIT + INIT + line + END)

    def test_warning_fails(self):
        self.health('[    9.0] WARNING: CPU: 1 PID: 77 at drivers/foo.c:12 foo+0x1/0x2\n',
                    'no WARNING')

    def test_oops_fails(self):
        self.health('[    9.0] general protection fault, probably for address 0x0\n',
                    'no BUG, Oops or panic')

    def test_kasan_fails(self):
        self.assertFails([('health', 'no BUG, Oops or panic',
                           'BUG: KASAN: use-after-free in bar+0x1/0x2'),
                          ('health', 'no KASAN report',
                           'BUG: KASAN: use-after-free in bar+0x1/0x2')],
                         console=KUNIT + INIT +
                         'BUG: KASAN: use-after-free in bar+0x1/0x2\n' + END)

    def test_lockdep_fails(self):
        self.health('[    9.0] possible circular locking dependency detected\n',
                    'no lockdep report')

    def test_kmemleak_leak_fails(self):
        self.health('unreferenced object 0xffff888001 (size 64):\n', 'no kmemleak leak')

    def test_dma_api_fails(self):
        self.health('DMA-API: rxe0: device driver frees DMA memory with wrong function\n',
                    'no DMA-API debug report')

    def test_rcu_stall_fails(self):
        self.health('[  99.0] rcu: INFO: rcu_sched self-detected stall on CPU\n',
                    'no RCU stall')

    def test_rcu_stall_on_other_cpus_fails(self):
        self.health('[  99.0] rcu: rcu_sched detected stalls on CPUs/tasks:\n',
                    'no RCU stall')

    def test_hung_task_fails(self):
        self.health('[ 200.0] INFO: task kworker/0:1:12 blocked for more than 60 seconds.\n',
                    'no hung task')

    def test_dropped_printk_fails(self):
        self.health('** 12 printk messages dropped **\n', 'no printk message dropped')

    def test_kmemleak_disabling_itself_fails(self):
        self.assertFails([
            ('guest', 'kmemleak: active', 'got "off (scan failed)" (see out/console.log)'),
            ('health', 'kmemleak stays enabled',
             '[ 50.0] kmemleak: Kernel memory leak detector disabled')],
            console=KUNIT + INIT + '[ 50.0] kmemleak: Kernel memory leak detector disabled\n'
            + END.replace('kmemleak: active', 'kmemleak: off (scan failed)'))

    def test_dma_api_debugging_disabling_itself_fails(self):
        self.health('DMA-API: cacheline tracking ENOMEM, dma-debug disabled\n',
                    'DMA-API debugging stays enabled')

    def test_dma_api_debugging_off_only_by_the_fail_nth_sweep_passes(self):
        tap = TAP + '# # fail-nth: DMA-API debugging disabled: Y, was N\n'
        rows = self.judge(console=KUNIT + INIT + 'DMA-API: cacheline tracking ENOMEM, '
                          'dma-debug disabled\n' + END, tap=tap)
        self.assertEqual([r[1] for r in rows if r[2] == 'DMA-API debugging stays enabled'],
                         ['pass'])
        self.assertFails([('health', 'DMA-API debugging stays enabled',
                           'DMA-API: cacheline tracking ENOMEM, dma-debug disabled')],
                         console=KUNIT + INIT + 'DMA-API: cacheline tracking ENOMEM, '
                         'dma-debug disabled\n' + END,
                         tap=tap.replace('Y, was N', 'Y, was Y'))

    # -- hard preconditions
    def test_device_never_active_fails(self):
        self.assertFails([('guest', 'rxe0: ACTIVE', 'got "DOWN" (see out/console.log)')],
                         console=KUNIT + INIT.replace('rxe0: ACTIVE', 'rxe0: DOWN') + END)

    def test_missing_precondition_line_fails(self):
        self.assertFails([('guest', 'rxe0', 'no "harness: rxe0:" line (see out/console.log)')],
                         console=KUNIT + INIT.replace('rxe0: ACTIVE\n', 'hello\n') + END)

    def test_taint_fails(self):
        self.assertFails([('guest', 'tainted: 0', 'got "512" (see out/console.log)')],
                         console=KUNIT + INIT + END.replace('tainted: 0', 'tainted: 512'))

    def test_debug_locks_dropping_fails(self):
        self.assertFails([('guest', 'debug_locks: 1', 'got "0" (see out/console.log)')],
                         console=KUNIT + INIT + END.replace('debug_locks: 1', 'debug_locks: 0'))

    def test_guest_that_never_finishes_fails(self):
        fails = self.failures(console=KUNIT + INIT)
        self.assertEqual(fails[0], ('guest', 'boots and completes',
                                    'no "harness: done" on the console (see out/console.log)'))
        self.assertEqual([f[1] for f in fails[1:]], ['kmemleak', 'tainted', 'debug_locks'])

    def test_no_console_fails(self):
        self.assertFails([('guest', 'boots and completes', 'no console log')], console=None)

    # -- host steps
    def test_step_that_recorded_nothing_fails(self):
        self.assertFails([('steps', 'lint: checkpatch',
                           'the step recorded nothing (see the make check output)')],
                         host=HOST.splitlines()[0])

    def test_failed_host_row_keeps_its_reason(self):
        self.assertFails([('lint', 'checkpatch --strict 0001', '3 reports')],
                         host=HOST.replace('pass\tlint: checkpatch --strict 0001\t',
                                           'fail\tlint: checkpatch --strict 0001\t3 reports'))

    def test_allowed_host_skip_is_a_skip_with_the_manifests_reason(self):
        rows = self.judge(host=HOST + 'skip\tbuild: patch by patch\tBUILD_EACH=0\n')
        self.assertIn(('build', 'skip', 'patch by patch',
                       'BUILD_EACH=0 asked for the quick loop'), rows)
        self.assertEqual(self.failures(host=HOST + 'skip\tbuild: patch by patch\tx\n'), [])

    def test_unlisted_host_skip_fails(self):
        self.assertFails([('lint', 'W=1 and sparse', 'skipped (no sparse); '
                           'config/expected allows no skip here')],
                         host=HOST + 'skip\tlint: W=1 and sparse\tno sparse\n')

    # -- KUnit, through the tree's kunit.py parse --json
    def test_failing_kunit_case_fails_with_its_assertion(self):
        console = KUNIT.replace(
            '[    1.0]     ok 2 - list_test_list_add\n',
            '[    1.0]     # list_test_list_add: EXPECTATION FAILED at lib/list-test.c:42\n'
            '[    1.0]     # list_test_list_add: \tExpected list_empty(&list) to be false\n'
            '[    1.0]     not ok 2 - list_test_list_add\n').replace(
            '] ok 1 - list-kernel', '] not ok 1 - list-kernel') + INIT + END
        self.assertFails([('kunit', 'list-kernel-test.list_test_list_add',
                           'lib/list-test.c:42: Expected list_empty(&list) to be false')],
                         console=console)

    def test_crashed_kunit_case_fails(self):
        console = KUNIT.replace('[    1.0]     ok 2 - list_test_list_add\n', '') \
            .replace('[    1.0] ok 1 - list-kernel-test\n', '')
        fails = self.failures(console=console + INIT + END)
        self.assertEqual(fails[0], ('kunit', 'list-kernel-test.(case 2)',
                                    'crashed: the output stops in this case (see out/console.log)'))

    def test_kunit_crash_message_fails(self):
        console = KUNIT.replace(
            '[    1.0]     ok 2 - list_test_list_add\n',
            '[    1.0]     # list_test_list_add: kunit test case crashed!\n'
            '[    1.0]     not ok 2 - list_test_list_add\n').replace(
            '] ok 1 - list-kernel', '] not ok 1 - list-kernel') + INIT + END
        self.assertFails([('kunit', 'list-kernel-test.list_test_list_add',
                           'crashed: the output stops in this case (see out/console.log)')],
                         console=console)

    def test_kunit_suite_cut_off_after_its_cases_fails(self):
        """kunit.py's exit status: every case passed, the suite never ended."""
        console = KUNIT.replace('[    1.0] ok 1 - list-kernel-test\n', '') + INIT + END
        fails = self.failures(console=console)
        self.assertEqual(len(fails), 1)
        self.assertEqual(fails[0][:2], ('kunit', 'kunit.py parse'))
        self.assertTrue(fails[0][2].startswith('exit 1: '), fails[0][2])

    def test_missing_kunit_output_fails(self):
        self.assertFails([('kunit', 'KUnit output', 'no KUnit TAP on the console')],
                         console=INIT + END)

    def test_kunit_suite_with_fewer_cases_than_the_manifest_fails(self):
        self.assertFails([('kunit', 'list-kernel-test', 'ran 2 cases, config/expected says 3')],
                         expected=EXPECTED.replace('list-kernel-test 2', 'list-kernel-test 3'))

    def test_kunit_suite_not_in_the_manifest_fails(self):
        self.assertFails([('kunit', 'list-kernel-test',
                           'suite did not run (config/expected: 2 cases)'),
                          ('kunit', 'list-kernel-test-renamed',
                           'suite ran, but is ' + results.UPDATE)],
                         console=CONSOLE.replace('list-kernel-test', 'list-kernel-test-renamed'))

    # -- kselftests
    def test_failing_case_fails_with_its_file_and_line(self):
        tap = TAP.replace(
            '# #            OK  rc.rxe.read_back\n# ok 2 rc.rxe.read_back',
            '# # rc_traffic.c:120:read_back:Expected 0 (0) == ret (-5)\n'
            '# # read_back: Test terminated by assertion\n'
            '# #          FAIL  rc.rxe.read_back\n# not ok 2 rc.rxe.read_back').replace(
            'ok 1 selftests: harness: rc_traffic', 'not ok 1 selftests: harness: rc_traffic # exit=1')
        self.assertFails([('kselftest harness', 'rc.rxe.read_back',
                           'rc_traffic.c:120: Expected 0 (0) == ret (-5)')], tap=tap)

    def test_truncated_plan_fails(self):
        tap = TAP.replace('# #  RUN           rc.rxe.read_back ...\n', '').replace(
            '# #            OK  rc.rxe.read_back\n# ok 2 rc.rxe.read_back\n', '').replace(
            'ok 1 selftests: harness: rc_traffic', 'not ok 1 selftests: harness: rc_traffic # exit=139')
        self.assertFails([('kselftest harness', 'harness:rc_traffic',
                           'planned 1..2, reported 1 (exit=139)'),
                          ('kselftest', 'harness:rc_traffic',
                           'ran 1 cases, config/expected says 2')], tap=tap)

    def test_truncated_plan_with_exit_0_still_fails(self):
        tap = TAP.replace('# 1..2', '# 1..3')
        self.assertEqual(self.failures(tap=tap)[0], (
            'kselftest harness', 'harness:rc_traffic', 'planned 1..3, reported 2 (the program died)'))

    def test_runner_that_stops_early_fails(self):
        tap = TAP.replace('\n1..1\n', '\n1..2\n', 1)
        self.assertFails([('kselftest', 'kselftest runner',
                           'planned 1..3 programs, reported 2 (see out/tap.log)')], tap=tap)

    def test_program_that_failed_after_passing_cases_fails(self):
        tap = TAP.replace('ok 1 selftests: harness: rc_traffic',
                          'not ok 1 selftests: harness: rc_traffic # TIMEOUT 45 seconds')
        self.assertFails([('kselftest harness', 'harness:rc_traffic',
                           'program failed: TIMEOUT 45 seconds')], tap=tap)

    def test_program_missing_from_the_run_fails(self):
        tap = TAP.split('TAP version 13\n1..1\n# selftests: drivers')[0]
        self.assertFails([('kselftest', 'drivers/dma-buf:udmabuf',
                           'program did not run (config/expected: 0 cases)')], tap=tap)

    def test_missing_kselftest_output_fails(self):
        self.assertEqual(self.failures(tap='')[0], (
            'kselftest', 'kselftest runner', 'planned no programs, reported 0 (see out/tap.log)'))

    def test_exit_77_is_a_failure_unless_allowed(self):
        tap = TAP.replace('ok 1 selftests: drivers/dma-buf: udmabuf',
                          'not ok 1 selftests: drivers/dma-buf: udmabuf # exit=77')
        self.assertFails([('kselftest drivers/dma-buf', 'drivers/dma-buf:udmabuf',
                           'skipped (exit 77); config/expected allows no skip here')], tap=tap)
        rows = self.judge(tap=tap, expected=EXPECTED + 'skip drivers/dma-buf:udmabuf -- no memfd\n')
        self.assertIn(('kselftest drivers/dma-buf', 'skip', 'drivers/dma-buf:udmabuf',
                       'no memfd'), rows)
        self.assertNotIn('fail', [r[1] for r in rows])

    def test_exit_77_of_a_harness_program_fails(self):
        tap = TAP.replace('ok 1 selftests: harness: rc_traffic',
                          'not ok 1 selftests: harness: rc_traffic # exit=77')
        self.assertFails([('kselftest harness', 'harness:rc_traffic', 'program failed: exit=77')],
                         tap=tap)

    def skipped(self, case):
        return TAP.replace('# #            OK  rc.rxe.read_back\n# ok 2 rc.rxe.read_back',
                           '# #      SKIP      no device\n# #            OK  %s\n'
                           '# ok 2 # SKIP no device' % case).replace(
            'RUN           rc.rxe.read_back', 'RUN           %s' % case)

    def test_allowed_case_skip_counts_as_a_skip(self):
        rows = self.judge(tap=self.skipped('rc.siw.read_back'))
        self.assertIn(('kselftest harness', 'skip', 'rc.siw.read_back',
                       'siw has no READ in this test'), rows)
        self.assertNotIn('fail', [r[1] for r in rows])

    def test_unlisted_case_skip_fails(self):
        self.assertFails([('kselftest harness', 'rc.rxe.read_back',
                           'skipped (no device); config/expected allows no skip here')],
                         tap=self.skipped('rc.rxe.read_back'))

    def test_pattern_allows_the_skips_it_matches_only(self):
        expected = EXPECTED + 'skip rc.siw.* -- siw pins\n'
        rows = self.judge(tap=self.skipped('rc.siw.write_back'), expected=expected)
        self.assertIn(('kselftest harness', 'skip', 'rc.siw.write_back', 'siw pins'), rows)
        self.assertNotIn('fail', [r[1] for r in rows])
        self.assertFails([('kselftest harness', 'rc.rxe.read_back',
                           'skipped (no device); config/expected allows no skip here')],
                         tap=self.skipped('rc.rxe.read_back'), expected=expected)

    # -- a second guest of the run (harness/modules-guest.sh): OUT/NAME
    def second_guest(self, files, host=HOST):
        """results.py OUT TREE on a manifest with "guest mods" entries, OUT
        holding the first guest's logs and FILES under OUT/mods: the rows
        of the second guest."""
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, 'mods'))
            for name, text in [('results.txt', host), ('console.log', CONSOLE),
                               ('tap.log', TAP)] + [('mods/' + f, t) for f, t in files.items()]:
                with open(os.path.join(d, name), 'w') as f:
                    f.write(text)
            with open(os.path.join(d, 'expected'), 'w') as f:
                f.write(EXPECTED + 'guest mods require modules unloaded: all\n'
                        'guest mods kselftest harness:rc_traffic 2\n')
            rows = results.judge_run(results.Expected.load(os.path.join(d, 'expected')), d, TREE)
        return [r for r in rows if r[0].startswith('mods guest: ')]

    def test_second_guest_is_judged_on_its_own_logs(self):
        console = INIT + 'harness: [90.0] modules unloaded: all\nharness: [91.0] done\n'
        tap = TAP.split('TAP version 13\n1..1\n# selftests: drivers/dma-buf')[0]
        rows = self.second_guest({'console.log': console, 'tap.log': tap})
        self.assertEqual([r for r in rows if r[1] != 'pass'], [])
        self.assertIn(('mods guest: guest', 'pass', 'modules unloaded: all', ''), rows)
        self.assertIn(('mods guest: kselftest harness', 'pass', 'rc.rxe.read_back', ''), rows)

    def test_second_guest_that_left_no_logs_fails(self):
        self.assertEqual(self.second_guest({}), [
            ('mods guest: guest', 'fail', 'boots and completes', 'no console log')])

    def test_second_guest_left_out_by_a_skip_row_is_not_judged(self):
        # make check without MODULES_GUEST=1: check.sh's skip row says so.
        skipped = HOST + 'skip\tmods guest: build and boot\tmake modules-guest\n'
        self.assertEqual(self.second_guest({}, host=skipped), [])
        # The row of another guest, or a passing one, leaves it judged.
        for other in ('skip\tother guest: build and boot\t\n',
                      'pass\tmods guest: build and boot\t\n'):
            self.assertEqual(self.second_guest({}, host=HOST + other), [
                ('mods guest: guest', 'fail', 'boots and completes', 'no console log')])

    def test_second_guest_with_a_module_left_fails(self):
        console = INIT + 'harness: [90.0] modules unloaded: rdma_rxe\nharness: [91.0] done\n'
        tap = TAP.split('TAP version 13\n1..1\n# selftests: drivers/dma-buf')[0]
        rows = self.second_guest({'console.log': console, 'tap.log': tap})
        self.assertEqual([r for r in rows if r[1] != 'pass'], [
            ('mods guest: guest', 'fail', 'modules unloaded: all',
             'got "rdma_rxe" (see out/console.log)')])

    # -- make run
    def test_demo_rows(self):
        ok = INIT + 'demo: rc_traffic exit=0\ndemo: PASS\ndemo: dmabuf_mr_demo exit=0\n'
        self.assertEqual([r for r in results.demo(ok) if r[0] != 'health'],
                         [('guest', 'pass', 'rxe0: ACTIVE', ''),
                          ('demo', 'pass', 'rc_traffic', ''),
                          ('demo', 'pass', 'dmabuf_mr_demo', '')])
        nodev = ok.replace('rxe0: ACTIVE', 'rxe0: no device').replace(
            'demo: rc_traffic', '# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:15 error:0\n'
            'demo: rc_traffic')
        self.assertEqual([r for r in results.demo(nodev) if r[1] == 'fail'],
                         [('guest', 'fail', 'rxe0: ACTIVE', 'got "no device" (see out/console.log)'),
                          ('demo', 'fail', 'rc_traffic', '15 cases skipped')])
        bad = ok.replace('dmabuf_mr_demo exit=0', 'dmabuf_mr_demo exit=4') + \
            'WARNING: CPU: 0 PID: 1 at x.c:1\n'
        self.assertEqual([r for r in results.demo(bad) if r[1] == 'fail'],
                         [('demo', 'fail', 'dmabuf_mr_demo', 'exit=4'),
                          ('health', 'fail', 'no WARNING', 'WARNING: CPU: 0 PID: 1 at x.c:1')])

    # -- rdma-core's pyverbs tests
    PV_EXPECTED = EXPECTED + ('pyverbs tests 5\n'
                              'skip pyverbs: tests.t_a.A.test_x -- rxe lacks x\n')
    PV_RUN = ('pyverbs: 1 runs of rdma-core\'s tests on rxe0, Python 3.11.2\n'
              'pyverbs: run 1/1 start\n'
              'pyverbs: run 1/1 exit=1: Ran 5 tests in 12.5s; FAILED (errors=1, skipped=2)\n'
              'pyverbs: run 1: ERROR: test_x (tests.t_a.A.test_x)\n'
              'pyverbs: done\n')

    def pv(self, run=PV_RUN, expected=PV_EXPECTED):
        return [r for r in self.judge(console=KUNIT + INIT + run + END, expected=expected)
                if r[0] == 'pyverbs']

    def test_pyverbs_allowed_error_is_a_skip_with_its_reason(self):
        self.assertEqual(self.pv(), [
            ('pyverbs', 'pass', 'run 1 of 1',
             'ran 5 tests in 12 s: 2 passed, 2 skipped by the suite, 1 allowed errors'),
            ('pyverbs', 'skip', 'tests.t_a.A.test_x', 'rxe lacks x')])

    def test_pyverbs_other_error_fails(self):
        run = self.PV_RUN.replace('errors=1', 'errors=2').replace(
            'pyverbs: done', 'pyverbs: run 1: FAIL: test_y (tests.t_b.B.test_y)\npyverbs: done')
        self.assertEqual(self.pv(run)[0],
                         ('pyverbs', 'fail', 'run 1 of 1', 'not allowed: tests.t_b.B.test_y'))

    def test_pyverbs_error_count_without_names_fails(self):
        run = self.PV_RUN.replace('errors=1', 'errors=1, failures=1')
        self.assertEqual(self.pv(run)[0], ('pyverbs', 'fail', 'run 1 of 1', 'not allowed: ?'))

    def test_pyverbs_short_run_fails(self):
        self.assertEqual(self.pv(self.PV_RUN.replace('Ran 5', 'Ran 4'))[0],
                         ('pyverbs', 'fail', 'run 1 of 1', 'ran 4 tests, config/expected says 5'))

    def test_pyverbs_without_hw_modules_is_judged_by_its_own_count(self):
        nohw = self.PV_RUN.replace('Python 3.11.2', 'Python 3.11.2, without the mlx5 and EFA modules')
        expected = self.PV_EXPECTED + 'pyverbs tests-nohw 5\n'
        self.assertEqual(self.pv(nohw, expected.replace('pyverbs tests 5', 'pyverbs tests 9'))[0][1],
                         'pass')
        self.assertEqual(self.pv(nohw, expected.replace('tests-nohw 5', 'tests-nohw 9'))[0],
                         ('pyverbs', 'fail', 'run 1 of 1', 'ran 5 tests, config/expected says 9'))
        self.assertEqual(self.pv(nohw)[0][1:3], ('fail', "rdma-core's tests on rxe0"))
        # the whole suite is still judged by the whole count
        self.assertEqual(self.pv(self.PV_RUN, expected.replace('tests-nohw 5', 'tests-nohw 9'))[0][1],
                         'pass')

    def test_pyverbs_unfinished_run_fails(self):
        run = self.PV_RUN.replace('1 runs', '2 runs')
        self.assertEqual(self.pv(run)[1], ('pyverbs', 'fail', 'run 2 of 2',
                                           'did not finish (see out/console.log)'))

    def test_warning_in_a_pyverbs_test_names_the_test(self):
        warn = '[  551.5] WARNING: CPU: 1 PID: 2070 at drivers/infiniband/core/rdma_core.c:899 x\n'
        run = self.PV_RUN.replace(
            'pyverbs: run 1/1 exit=',
            'pyverbs-out: test_m (tests.t_c.C.test_m) ... ok\n'
            'pyverbs-out: test_n (tests.t_c.C.test_n)\n' + warn + 'pyverbs-out: ok\n'
            'pyverbs: run 1/1 exit=')
        self.assertEqual([r for r in self.judge(console=KUNIT + INIT + run + END,
                                                expected=self.PV_EXPECTED) if r[1] == 'fail'],
                         [('health', 'fail', 'no WARNING',
                           warn.strip() + " (in rdma-core's tests.t_c.C.test_n)")])
        # after the run's end line, no test is named
        after = self.PV_RUN.replace('pyverbs: done\n', warn + 'pyverbs: done\n').replace(
            'pyverbs: run 1/1 exit=', 'pyverbs-out: test_n (tests.t_c.C.test_n)\n'
            'pyverbs: run 1/1 exit=')
        self.assertEqual([r for r in self.judge(console=KUNIT + INIT + after + END,
                                                expected=self.PV_EXPECTED) if r[1] == 'fail'],
                         [('health', 'fail', 'no WARNING', warn.strip())])

    def test_pyverbs_not_run_fails(self):
        self.assertEqual(self.pv(''), [('pyverbs', 'fail', "rdma-core's tests on rxe0",
                                        'did not run (see out/console.log)')])

    # -- make bench's short form in make check: it ran, numbers unjudged
    BW_HDR = ' #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]'
    LAT_HDR = (' #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    '
               't_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% percentile[usec]')

    def bench_console(self):
        lines = ['harness: [400.00] bench: start (short form, 1 runs)', 'bench: run 1/1',
                 'bench: start form=short sizes=1048576 reps=5',
                 'bench: reg dev=rxe0 kind=ibv_reg_mr size=1048576 n=5 us=100.0 '
                 'min_us=90.0 max_us=120.0',
                 'bench: summary form=short figures=1 skipped=2 errors=0 seconds=30',
                 'bench: exit=0']
        for t in results.BENCH_TESTS:
            lat = t.endswith('_lat')
            lines.append('perftest: test=%s header: %s' % (t, self.LAT_HDR if lat else self.BW_HDR))
            for m in results.BENCH_MEMS:
                row = '64 100 5.1 90.2 6.0 6.3 1.2 20.1 90.2' if lat else '65536 100 80.5 79.9 0.0012'
                lines.append('perftest: test=%s mem=%s run=1/1 exit=0 result: %s' % (t, m, row))
        lines.append('harness: [500.00] bench: done')
        return '\n'.join(lines) + '\n'

    def bench(self, console):
        return [r for r in self.judge(console=KUNIT + INIT + console + END,
                                      expected=EXPECTED + 'bench short\n') if r[0] == 'bench']

    def bench_md(self, console):
        """bench.md, as harness/bench_table.py writes it from @console."""
        import bench_table
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, 'console.log')
            with open(path, 'w') as f:
                f.write(console)
            with contextlib.redirect_stdout(io.StringIO()):
                rc = bench_table.main([path, d, '--no-plot'])
            self.assertEqual(rc, 0)
            with open(os.path.join(d, 'bench.md')) as f:
                return f.read()

    def test_bench_short_form_passes_with_a_row_per_program(self):
        rows = self.bench(self.bench_console())
        self.assertEqual(len(rows), 1 + 15)
        self.assertEqual(rows[0], ('bench', 'pass', 'dmabuf_bench short',
                                   '1 run(s): 1 figures, 2 skipped (each with its reason), 0 errors'))
        self.assertEqual(rows[1], ('bench', 'pass', 'perftest ib_write_bw, plain memory',
                                   '65536 100 80.5 79.9 0.0012'))
        self.assertTrue(all(r[1] == 'pass' for r in rows))

    def test_bench_not_run_fails(self):
        self.assertEqual(self.bench(''), [('bench', 'fail', 'the short form ran',
                                           'no "harness: bench: start (short form, ...)" line '
                                           '(see out/console.log)')])

    def test_bench_error_fails(self):
        c = self.bench_console().replace('errors=0', 'errors=1').replace('exit=0\nperf',
                                                                          'exit=1\nperf')
        self.assertEqual(self.bench(c)[0][:3], ('bench', 'fail', 'dmabuf_bench short'))

    def test_bench_nonzero_exit_fails(self):
        c = self.bench_console().replace('bench: exit=0', 'bench: exit=139')
        self.assertEqual(self.bench(c)[0], ('bench', 'fail', 'dmabuf_bench short',
                                            "exit=139, summaries [('1', '2', '0')] "
                                            '(see out/console.log)'))

    def test_bench_perftest_failure_fails(self):
        c = self.bench_console().replace(
            'test=read_lat mem=udmabuf run=1/1 exit=0 result: 64 100 5.1 90.2 6.0 6.3 1.2 20.1 90.2',
            'test=read_lat mem=udmabuf run=1/1 exit=1 result: ')
        self.assertEqual([r for r in self.bench(c) if r[1] == 'fail'],
                         [('bench', 'fail', 'perftest ib_read_lat, udmabuf memory',
                           '0 of 1 run(s) with a result row')])

    def test_bench_perftest_row_of_the_wrong_width_fails(self):
        c = self.bench_console().replace('result: 65536 100 80.5 79.9 0.0012', 'result: 65536 100', 1)
        self.assertEqual([r[2] for r in self.bench(c) if r[1] == 'fail'],
                         ['perftest ib_write_bw, plain memory'])

    def test_bench_table_has_the_ratio_and_the_target(self):
        c = self.bench_console() + (
            'bench: dereg dev=rxe0 kind=ibv_reg_mr size=1048576 n=5 us=100.0 min_us=1 max_us=1\n'
            'bench: reg dev=rxe0 kind=udmabuf size=1048576 n=5 us=30.0 min_us=1 max_us=1\n'
            'bench: dereg dev=rxe0 kind=udmabuf size=1048576 n=5 us=20.0 min_us=1 max_us=1\n')
        md = self.bench_md(c)
        self.assertIn('| rxe0 | 1 MiB | udmabuf | 50.0 |  | 50.0 | 200 | 0.25 |', md)
        self.assertIn('at 1 MiB (udmabuf, system heap) | met | ratio(s) 0.25 |', md)
        self.assertIn('| write_bw | udmabuf | 79.9 | MB/sec |  | 79.9 | 1.00 |  | 1/1 |', md)
        self.assertIn('only the ratios mean something', md)

    def test_bench_table_shows_the_floor_of_a_second_mr(self):
        line = ('bench: nth_mr dev=rxe0 kind=udmabuf size=%d n=5 us=%s min_us=1 max_us=1 '
                'nth=%d vs_first=1\n')
        c = self.bench_console() + ''.join(line % f for f in (
            (4096, '20.0', 1), (4096, '18.0', 2), (1048576, '60.0', 1), (1048576, '24.0', 2)))
        md = self.bench_md(c)
        # Judged at 1 MiB only, the page's second MR (18 us) its floor.
        self.assertIn('| a second dma-buf MR on the same buffer <= 0.2x the first, at 1 MiB '
                      '| NOT met | ratio(s) rxe0 udmabuf 0.40; floor, a second MR on a buffer of one page '
                      'against this first: 0.30 |', md)
        self.assertNotIn('the first, at 4 KiB', md)

    def test_bench_table_pairs_throughput_slices_by_round(self):
        line = ('bench: write_bw dev=rxe0 kind=test_exporter size=1048576 msg=65536 '
                'moves_per_s=%d round=%d MBps=%s msgs=1 seconds=2.0 moves=%d held=1 '
                'rnr_naks=0 remaps=1 cpu=0\n')
        # The baseline flips 70, 50, 70; the moving figure's slices are 0.9 of
        # their round's but its median is 0.64 of the baseline's.
        c = self.bench_console() + ''.join(line % f for f in (
            (0, 1, '70.0', 0), (100, 1, '63.0', 150), (0, 2, '50.0', 0), (100, 2, '45.0', 160),
            (0, 3, '70.0', 0), (100, 3, '45.0', 170)))
        md = self.bench_md(c)
        self.assertIn('| rxe0 | test_exporter | 100 | 45.0 | 45.0-63.0 | 3 | 480 | 3 | 0 '
                      '| 70.0 (no moves) | 0.90 | 0.64-0.90 |', md)
        self.assertIn('| WRITE throughput with 100 moves/s >= 0.8x no moves | met | ratio(s) 0.90 |', md)
        # Slices that do not pair up: the ratio of the medians, said so.
        c = c.replace('round=3 MBps=45.0', 'round=4 MBps=45.0')
        md = self.bench_md(c)
        self.assertIn('| 70.0 (no moves) | 0.64 | of the medians |', md)

    def test_bench_table_pairs_perftest_runs(self):
        c = ('bench: reg dev=rxe0 kind=ibv_reg_mr size=1048576 n=5 us=100.0 min_us=90.0 '
             'max_us=120.0\nperftest: test=write_bw header: %s\n' % self.BW_HDR)
        for run, plain, dmabuf in ((1, '60.0', '59.0'), (2, '40.0', '39.0'), (3, '60.0', '39.0'),
                                   (4, '55.0', '0.00')):
            c += ''.join('perftest: test=write_bw mem=%s run=%d/4 exit=0 result: '
                         '65536 100 80.5 %s 0.0012\n' % (m, run, v)
                         for m, v in (('plain', plain), ('udmabuf', dmabuf)))
        md = self.bench_md(c)
        # Run by run 0.98, 0.97, 0.65 (the 4th run's 0.00 is no figure): the
        # median 0.97, where the medians' ratio (39 of 57.5) would say 0.68.
        self.assertIn('| write_bw | udmabuf | 39.0 | MB/sec | 39.0-59.0 | 57.5 | 0.97 | 0.65-0.98 | 3/4 |',
                      md)

    def test_bench_table_shows_where_the_time_goes(self):
        import bench_table
        c = ('profile: reg system_heap 1M: samples 12K\n'
             'profile: reg system_heap 1M: 81.20% 0.10% [k] ib_uverbs_ioctl\n'
             'profile: reg system_heap 1M: 40.02% 39.50% [k] dma_map_sg_attrs\n'
             'profile: nth udmabuf 1M: perf record failed\n')
        md = '\n'.join(bench_table.profiles(c))
        self.assertIn('#### reg system_heap 1M (12K samples)', md)
        self.assertIn('| 40.02% | 39.50% | kernel | `dma_map_sg_attrs` |', md)
        self.assertNotIn('nth udmabuf', md)
        self.assertEqual(bench_table.profiles('bench: summary form=full\n'), [])


class Twin(unittest.TestCase):
    """The two-machine tests: results.twin() on OUT/twin/{ours,peer}."""
    OURS = (INIT + 'harness: [80.0] twin: start\n'
            'twin: ok udmabuf: peer RDMA WRITE into ours -- 0 of 1048576 bytes wrong\n'
            'twin: ok udmabuf: both QPs in RTS -- ours 3, the peer\'s 3 (RTS is 3)\n'
            'twin: summary cases=2 failed=0 bytes_checked=1048576\n'
            'harness: [99.0] twin: exit=0\n' + END)
    PEER = ('[    0.0] Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org) #1 SMP\n'
            'peer: [9.0] dmabuf_peer: exit=0\npeer: [9.1] tainted: 0\npeer: [9.2] done\n')

    def rows(self, ours=OURS, peer=PEER, cases=2):
        with tempfile.TemporaryDirectory() as d:
            for who, text in (('ours', ours), ('peer', peer)):
                if text is None:
                    continue
                os.makedirs(os.path.join(d, 'twin', who))
                with open(os.path.join(d, 'twin', who, 'console.log'), 'w') as f:
                    f.write(text)
            return results.twin(results.Expected(EXPECTED + 'twin cases %d\n' % cases), d)

    def bad(self, **kw):
        return [r for r in self.rows(**kw) if r[1] != 'pass']

    def test_green_run_passes_with_a_row_per_case(self):
        rows = self.rows()
        self.assertEqual([r for r in rows if r[1] != 'pass'], [])
        self.assertIn(('twin', 'pass', 'udmabuf: peer RDMA WRITE into ours',
                       '0 of 1048576 bytes wrong'), rows)
        self.assertIn(('twin', 'pass', "the peer runs Debian 12's kernel",
                       'Linux version 6.1.0-50-amd64'), rows)

    def test_failed_case_fails(self):
        ours = self.OURS.replace('twin: ok udmabuf: peer RDMA WRITE into ours -- 0',
                                 'twin: FAIL udmabuf: peer RDMA WRITE into ours -- 7')
        self.assertEqual(self.bad(ours=ours.replace('exit=0', 'exit=1')), [
            ('twin', 'fail', 'udmabuf: peer RDMA WRITE into ours', '7 of 1048576 bytes wrong'),
            ('twin', 'fail', 'ours: dmabuf_peer exited 0', 'exit=1')])

    def test_peer_on_another_kernel_fails(self):
        self.assertEqual(self.bad(peer=self.PEER.replace('6.1.0-50', '5.10.223')), [
            ('twin', 'fail', "the peer runs Debian 12's kernel", 'Linux version 5.10.223-amd64')])

    def test_missing_cases_fail(self):
        self.assertEqual(self.bad(cases=3)[0][:3], ('twin', 'fail', 'every case ran'))
        cut = self.OURS.split('twin: summary')[0]
        self.assertEqual(self.bad(ours=cut)[0][:3], ('twin', 'fail', 'every case ran'))

    def test_more_moving_rounds_expect_five_cases_each(self):
        # TWIN_ROUNDS=4: one round past config/expected's three, five
        # cases more; the count the manifest says alone no longer does.
        ours = self.OURS.replace('twin: ok udmabuf: both',
                                 'twin: moving rounds: 4\ntwin: ok udmabuf: both')
        ours = ours.replace('cases=2', 'cases=7') + ''.join(
            'twin: ok moving, round 4: case %d -- 0 of 1048576 bytes wrong\n' % i
            for i in range(5))
        self.assertEqual(self.bad(ours=ours), [])
        self.assertEqual(self.bad(ours=ours, cases=7)[0][:3], ('twin', 'fail', 'every case ran'))

    def test_demo_needs_a_case_not_the_manifests_count(self):
        # make run's part (results.py --twin-demo): no count to meet, but
        # a run without a single case is no demo.
        def demo(ours):
            with tempfile.TemporaryDirectory() as d:
                for who, text in (('ours', ours), ('peer', self.PEER)):
                    os.makedirs(os.path.join(d, 'twin', who))
                    with open(os.path.join(d, 'twin', who, 'console.log'), 'w') as f:
                        f.write(text)
                ex = results.Expected(EXPECTED + 'twin cases 38\n')
                ex.twin = None
                return [r for r in results.twin(ex, d) if r[1] != 'pass']
        self.assertEqual(demo(self.OURS), [])
        none = re.sub(r'twin: ok .*\n', '', self.OURS).replace('cases=2', 'cases=0')
        self.assertEqual([r[:3] for r in demo(none)], [('twin', 'fail', 'every case ran')])

    def test_peer_that_did_not_finish_fails(self):
        self.assertEqual(self.bad(peer=self.PEER.split('peer: [9.0]')[0]), [
            ('twin', 'fail', 'the peer: dmabuf_peer exited 0', 'exit=(did not finish)'),
            ('twin', 'fail', 'the peer: tainted by nothing but its out-of-tree siw (O, E)',
             'no "peer: tainted:" line')])

    def test_peer_taint_other_than_its_siw_fails(self):
        # siw, built out of tree and unsigned, taints the peer O and E.
        self.assertEqual(self.bad(peer=self.PEER.replace('tainted: 0', 'tainted: 12288')), [])
        for t in ('1', '4097', '512'):
            self.assertEqual(self.bad(peer=self.PEER.replace('tainted: 0', 'tainted: ' + t)), [
                ('twin', 'fail', 'the peer: tainted by nothing but its out-of-tree siw (O, E)', t)])

    def test_report_on_either_side_fails(self):
        warn = '[   50.0] WARNING: CPU: 0 PID: 1 at drivers/infiniband/sw/rxe/rxe_resp.c:1 x\n'
        self.assertEqual(self.bad(peer=warn + self.PEER),
                         [('twin peer: health', 'fail', 'no WARNING', warn.strip())])
        self.assertEqual([r[:3] for r in self.bad(ours=warn + self.OURS)],
                         [('twin ours: health', 'fail', 'no WARNING')])

    def test_no_logs_fail(self):
        self.assertEqual(self.bad(peer=None), [
            ('twin', 'fail', 'both guests ran', 'no console log of the peer')])


class Wire(unittest.TestCase):
    """rxe's requester against the scripted responder: results.wire() on
    OUT/wire/{peer.log,console.log}."""
    LOG = ('wire: QP 17, PSN 0: connected\n'
           'wire: round 1: caught (long WRITE 1..120, short WRITE ..124; second resend from 120)\n'
           'wire: round 2: missed (long WRITE 125..244, short WRITE ..248; second resend from 245)\n'
           'wire: summary rounds=2 of=2 caught=1 missed=1 shifted=0 mismatches=0\n')
    CONSOLE = INIT + 'harness: [26.0] wire: exit=0\n' + END
    CASE = 'a retry resumes at the last packet of a WQE acknowledged while it was resent'

    def rows(self, log=LOG, console=CONSOLE, expected=EXPECTED):
        with tempfile.TemporaryDirectory() as d:
            os.mkdir(os.path.join(d, 'wire'))
            for name, text in (('peer.log', log), ('console.log', console)):
                if text is not None:
                    with open(os.path.join(d, 'wire', name), 'w') as f:
                        f.write(text)
            return results.wire(results.Expected(expected), d)

    def bad(self, **kw):
        return [r for r in self.rows(**kw) if r[1] != 'pass']

    def test_green_run_passes(self):
        rows = self.rows()
        self.assertEqual([r for r in rows if r[1] != 'pass'], [])
        self.assertIn(('wire', 'pass', self.CASE, '1 of 2 rounds reached the case (1 missed it)'),
                      rows)
        self.assertIn(('wire: health', 'pass', 'no KASAN report', ''), rows)

    def test_shifted_resend_fails_with_the_packet(self):
        log = self.LOG.replace('round 2: missed', 'round 2: shifted').replace(
            'caught=1 missed=1 shifted=0 mismatches=0', 'caught=1 missed=0 shifted=1 mismatches=1')
        log += ('wire: mismatch: PSN 245 resent as WRITE_ONLY 0 bytes at 0x11e000, '
                'first sent as WRITE_FIRST 1024 bytes at 0x200000\n')
        self.assertEqual(self.bad(log=log), [
            ('wire', 'fail', 'every resent PSN carries what it first carried',
             'PSN 245 resent as WRITE_ONLY 0 bytes at 0x11e000, first sent as WRITE_FIRST '
             '1024 bytes at 0x200000'),
            ('wire', 'fail', self.CASE, '1 round(s) resumed past the WQE')])

    def test_case_never_reached_is_a_skip_the_manifest_must_allow(self):
        log = self.LOG.replace('caught=1 missed=1', 'caught=0 missed=2')
        self.assertEqual(self.bad(log=log), [
            ('wire', 'fail', self.CASE, 'skipped (no round reached the case: the ACK came after '
             'the WRITE was resent, 2 times); config/expected allows no skip here')])
        allowed = EXPECTED + 'skip %s -- a reason\n' % self.CASE
        self.assertEqual(self.bad(log=log, expected=allowed),
                         [('wire', 'skip', self.CASE, 'a reason')])

    def test_rounds_cut_short_fail(self):
        log = self.LOG.replace('rounds=2 of=2', 'rounds=1 of=2')
        self.assertEqual(self.bad(log=log), [('wire', 'fail', 'every round ran', '1 of 2 rounds')])
        self.assertEqual(self.bad(log=self.LOG.split('wire: summary')[0]), [
            ('wire', 'fail', 'every round ran', 'no "wire: summary" line (see out/wire/peer.log)')])

    def test_guest_program_that_failed_fails(self):
        self.assertEqual(self.bad(console=self.CONSOLE.replace('exit=0', 'exit=1')), [
            ('wire', 'fail', 'resend_peer completed every WRITE',
             'exit=1 (see out/wire/console.log)')])

    def test_missing_logs_fail(self):
        self.assertEqual(self.bad(log=None), [
            ('wire', 'fail', 'the guest and the scripted responder ran', 'no out/wire/peer.log')])
        self.assertEqual(self.bad(console=None), [
            ('wire', 'fail', 'the guest and the scripted responder ran',
             'no out/wire/console.log')])

    def test_report_in_the_guest_fails(self):
        warn = '[   20.0] WARNING: CPU: 1 PID: 0 at drivers/infiniband/sw/rxe/rxe_comp.c:1 x\n'
        self.assertEqual([r[:3] for r in self.bad(console=warn + self.CONSOLE)],
                         [('wire: health', 'fail', 'no WARNING')])


class Harness(unittest.TestCase):
    """The shell side: a step that dies leaves a row; nothing destroys work."""
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.cache = self.tmp.name
        self.env = dict(os.environ, CACHE=self.cache, OUT=self.cache, HARNESS_LOCK='',
                        LINUX=os.path.join(self.cache, 'linux'))

    def sh(self, script, **env):
        return subprocess.run(['bash', '-c', '. %s/env.sh; %s' % (HARNESS, script)],
                              env=dict(self.env, **env), capture_output=True, text=True)

    def test_step_that_dies_without_a_row_gets_one(self):
        self.sh('recorded "lint: a" false; recorded "lint: b" eval \'record fail "lint: b" why; false\';'
                'recorded "lint: c" true')
        with open(os.path.join(self.cache, 'results.txt')) as f:
            self.assertEqual(f.read(), 'fail\tlint: a\texited 1 without recording a failure '
                             '(see its output above)\nfail\tlint: b\twhy\n')

    def git(self, *args):
        subprocess.run(['git', '-C', self.env['LINUX'], '-c', 'user.name=t', '-c',
                        'user.email=t@t'] + list(args), check=True, capture_output=True)

    def test_apply_refuses_to_drop_commits_not_in_series(self):
        os.makedirs(self.env['LINUX'])
        self.git('init', '-q', '-b', 'dmabuf-mr')
        self.git('commit', '-q', '--allow-empty', '-m', 'base')
        self.git('tag', 'base')
        self.git('commit', '-q', '--allow-empty', '-m', 'work of a day')
        p = subprocess.run([os.path.join(HARNESS, 'apply.sh')], env=self.env,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn('work of a day', p.stderr)
        self.assertIn('FORCE=1 make apply', p.stderr)

    def test_fetch_base_refuses_a_tree_without_the_base_tag(self):
        mine = os.path.join(self.cache, 'mine')
        os.makedirs(mine)
        open(os.path.join(mine, 'precious'), 'w').close()
        deb = os.path.join(CACHE, 'linux-source-5.10_5.10.223-1_all.deb')
        if not os.path.exists(deb):
            self.skipTest('no base .deb in ' + CACHE)
        os.symlink(deb, os.path.join(self.cache, os.path.basename(deb)))
        p = subprocess.run([os.path.join(HARNESS, 'fetch-base.sh')],
                           env=dict(self.env, LINUX=mine), capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no 'base' tag", p.stderr)
        self.assertEqual(os.listdir(mine), ['precious'])

    def test_a_second_run_on_one_cache_is_refused(self):
        holder = subprocess.Popen(['bash', '-c', '. %s/env.sh; echo locked; sleep 30' % HARNESS],
                                  env=self.env, stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.stdout.close)
        self.addCleanup(holder.wait)
        self.addCleanup(holder.kill)
        holder.stdout.readline()
        p = self.sh('echo ran')
        self.assertEqual((p.returncode, p.stdout), (1, ''))
        self.assertIn('another harness run is using ' + self.cache, p.stderr)


def rows():
    """Run every case; print one row per case for check.sh's results.txt."""
    tests = [t for c in (Gate, Twin, Wire, Harness)
             for t in unittest.defaultTestLoader.loadTestsFromTestCase(c)]
    suite = unittest.TestSuite(tests)
    result = unittest.TestResult()
    suite.run(result)
    bad = {t.id(): tb for t, tb in result.failures + result.errors}
    skipped = {t.id(): why for t, why in result.skipped}
    for t in tests:
        name = t.id().rsplit('.', 1)[-1][len('test_'):].replace('_', ' ')
        if t.id() in bad:
            sys.stderr.write(bad[t.id()])
            why = [l for l in bad[t.id()].splitlines() if l.startswith('AssertionError')]
            print('fail\tharness: gate: %s\t%s' % (name, (why or ['see the output above'])[0]))
        else:
            print('%s\tharness: gate: %s\t%s' % ('skip' if t.id() in skipped else 'pass',
                                                 name, skipped.get(t.id(), '')))
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    if sys.argv[1:] == ['--rows']:
        sys.exit(rows())
    unittest.main(verbosity=2)
