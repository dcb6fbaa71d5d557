#!/usr/bin/env python3
"""Judge one `make check` run against config/expected, the manifest of what
a green run must have seen.

    results.py OUT TREE              print the verdict; exit 1 if anything failed
    results.py --seen OUT TREE       print what the run saw, in the manifest's
                                     format, for a person to review (make expected)
    results.py --run OUT             `make run`: the demo passed, no kernel report
    results.py --pyverbs OUT         `make pyverbs`: rdma-core's tests, no kernel report
    results.py --soak OUT            `make soak`: the soak passed, no kernel report
    results.py --twin OUT            `make twin`: the two-machine tests (OUT/twin/)
    results.py --twin-demo OUT       `make run`'s two machines: the same, its one case
    results.py --wire OUT            `make wire`: rxe's requester against a scripted
                                     responder (OUT/wire/)
    results.py --arm64 OUT TREE      `make arm64`: the arm64 guest, as make check's
                                     guest, without host rows and rdma-core's tests
    results.py --guest NAME OUT [TREE]
                                     the run's other guest NAME alone (make modules-guest)

Inputs, all under OUT (any may be missing; missing is a failure):
  results.txt  host-side rows, one per line: "pass|fail|skip<TAB>group: name<TAB>detail"
  console.log  the guest console: KUnit TAP (parsed by the tree's own
               tools/testing/kunit/kunit.py parse --json), the guest init's
               "harness: KEY: VALUE" lines and every kernel message
  tap.log      the kselftest runner's TAP from the guest's second serial port
  NAME/        console.log and tap.log of another guest of the run, judged
               against config/expected's "guest NAME ..." entries (the
               modules guest, harness/modules-guest.sh)

The verdict ends with the plain line "N passed, N failed, N skipped". A
skip is a failure unless config/expected allows it, with a reason; so is a
step, suite, program or case that config/expected names and the run lacks,
or one the run has and config/expected does not name.
"""
import fnmatch
import json
import os
import re
import subprocess
import sys

from bench_table import header_columns

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPECTED = os.path.join(TOP, 'config', 'expected')
UPDATE = 'not in config/expected (see "make expected" in README.md)'

# The health gate: a name for the report, and what in the console breaks it.
# The last five check the detectors themselves: a detector that switched
# itself off, or a console that dropped messages, hides the reports above.
HEALTH = [
    ('no WARNING', re.compile(r'WARNING: |WARNING:.* at ')),
    ('no BUG, Oops or panic', re.compile(
        r'BUG: |kernel BUG at|Oops|general protection fault|Kernel panic')),
    ('no lockdep report', re.compile(
        r'possible recursive locking|possible circular locking|'
        r'inconsistent lock state|lock held when returning|'
        r'suspicious RCU usage|possible irq lock inversion|'
        r'INFO: possible .*locking|bad unlock balance|held lock freed')),
    ('no KASAN report', re.compile(r'KASAN')),
    ('no kmemleak leak', re.compile(r'unreferenced object|suspected memory leak')),
    ('no DMA-API debug report', re.compile(r'DMA-API: .*device driver')),
    ('no RCU stall', re.compile(r'rcu: INFO: |self-detected stall|detected stalls')),
    ('no hung task', re.compile(r'blocked for more than \d+ seconds')),
    ('no printk message dropped', re.compile(r'\*\* \d+ printk messages dropped')),
    ('kmemleak stays enabled', re.compile(
        r'kmemleak: .*(detector disabled|Kmemleak disabled)')),
    ('DMA-API debugging stays enabled', re.compile(
        r'DMA-API: .*(dma-debug disabled|out of memory.*disabl)')),
]
HARNESS_LINE = r'^harness: (?:\[[0-9.]+\] )?'


class Expected:
    """config/expected: see the comment at its top."""

    def __init__(self, text):
        self.steps, self.requires = [], []
        self.kunit, self.kselftest, self.skips = {}, {}, {}
        self.pyverbs = None
        self.pyverbs_nohw = None
        self.bench = None       # the form of make bench's run the guest must show
        self.twin = None        # the number of cases of the two-machine tests
        self.guests = {}        # another guest of the run: its name, its Expected
        lines = {}
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            kind, _, rest = line.partition(' ')
            rest = rest.strip()
            if kind == 'guest':     # "guest NAME ENTRY": ENTRY is of guest NAME
                name, _, entry = rest.partition(' ')
                lines.setdefault(name, []).append(entry)
            elif kind == 'step':
                self.steps.append(rest)
            elif kind == 'require':
                key, _, value = rest.partition(': ')
                self.requires.append((key, value.strip()))
            elif kind in ('kunit', 'kselftest'):
                name, count = rest.split()
                getattr(self, kind)[name] = int(count)
            elif kind == 'pyverbs':
                what, count = rest.split()
                if what not in ('tests', 'tests-nohw'):
                    raise ValueError('config/expected:%d: pyverbs tests|tests-nohw N' % n)
                setattr(self, 'pyverbs' if what == 'tests' else 'pyverbs_nohw', int(count))
            elif kind == 'twin':
                what, count = rest.split()
                if what != 'cases':
                    raise ValueError('config/expected:%d: twin cases N' % n)
                self.twin = int(count)
            elif kind == 'bench':
                if rest not in ('short', 'full'):
                    raise ValueError('config/expected:%d: bench short|full' % n)
                self.bench = rest
            elif kind == 'skip':
                name, _, reason = rest.partition(' -- ')
                self.skips[name.strip()] = reason.strip()
            else:
                raise ValueError('config/expected:%d: unknown entry %r' % (n, kind))
        self.guests = {name: Expected('\n'.join(l)) for name, l in lines.items()}

    def skip_reason(self, name):
        """Why config/expected allows NAME to skip: an entry of that name, or
        a pattern (fnmatch: "moving_mr.*") that matches it; else None."""
        if name in self.skips:
            return self.skips[name]
        return next((r for p, r in self.skips.items()
                     if '*' in p and fnmatch.fnmatchcase(name, p)), None)

    @classmethod
    def load(cls, path=EXPECTED):
        with open(path) as f:
            return cls(f.read())


class Tally:
    def __init__(self, expected):
        self.expected = expected
        self.rows = []          # (group, status, name, detail)
        self.skipped = []       # (name, the run's reason) of every skip

    def add(self, group, status, name, detail='', key=None):
        """key: the name config/expected knows the row by, if not name."""
        if status == 'skip':
            key = key or name
            self.skipped.append((key, detail))
            reason = self.expected.skip_reason(key)
            if reason is None:
                status, detail = 'fail', 'skipped (%s); config/expected allows no skip here' % (
                    detail or 'no reason given')
            else:
                detail = reason
        self.rows.append((group, status, name, detail))

    def count(self, status):
        return sum(1 for r in self.rows if r[1] == status)


def host_checks(tally, text):
    for line in text.splitlines():
        parts = line.split('\t')
        if len(parts) < 2 or parts[0] not in ('pass', 'fail', 'skip'):
            continue
        group, _, name = parts[1].partition(': ')
        tally.add(group if name else 'host', parts[0], name or parts[1],
                  parts[2] if len(parts) > 2 else '', key=parts[1])
    for prefix in tally.expected.steps:
        if not any(('%s: %s' % (g, n)).startswith(prefix) for g, _, n, _ in tally.rows):
            tally.add('steps', 'fail', prefix,
                      'the step recorded nothing (see the make check output)')


# ---------------------------------------------------------------- KUnit

def kunit_parse(boot, tree):
    """Run the tree's kunit.py parse --json on the boot log: (exit status,
    the JSON's suites, kunit.py's own summary line)."""
    tool = os.path.join(tree, 'tools/testing/kunit/kunit.py')
    p = subprocess.run([sys.executable, tool, 'parse', '--json'], input=boot,
                       capture_output=True, text=True)
    m = re.search(r'^\{$.*', p.stdout, re.M | re.S)
    suites = json.loads(m.group(0))['sub_groups'] if m else []
    plain = re.sub(r'\x1b\[[0-9;]*m', '', p.stdout[:m.start()] if m else p.stdout)
    notes = [l.split('] ', 1)[-1] for l in plain.splitlines()
             if 'ERROR' in l or 'Testing complete' in l]
    if p.returncode not in (0, 1) or not m:
        notes.append(p.stderr.strip()[-200:])
    return p.returncode, suites, '; '.join(n for n in notes if n)


def kunit_why(boot, case):
    """The first failed expectation of a KUnit case, as file:line: text."""
    m = re.search(r'# %s: (?:EXPECTATION|ASSERTION) FAILED at (\S+)\s*\n'
                  r'(?:\[[ 0-9.]+\] )?\s*(?:# \S+: )?\s*(.*)' % re.escape(case), boot)
    return '%s: %s' % (m.group(1), m.group(2).strip()) if m else 'failed'


def kunit(tally, boot, tree):
    if 'TAP version' not in boot:
        tally.add('kunit', 'fail', 'KUnit output', 'no KUnit TAP on the console')
        return
    rc, suites, notes = kunit_parse(boot, tree)
    seen = {}
    for s in suites:
        seen[s['name']] = len(s['test_cases'])
        for i, c in enumerate(s['test_cases'], 1):
            name = '%s.%s' % (s['name'], c['name'] or '(case %d)' % i)
            if c['status'] == 'PASS':
                tally.add('kunit', 'pass', name)
            elif c['status'] == 'ERROR':
                tally.add('kunit', 'fail', name,
                          'crashed: the output stops in this case (see out/console.log)')
            else:
                tally.add('kunit', 'fail', name, kunit_why(boot, c['name']))
    count_against(tally, 'kunit', 'suite', seen, tally.expected.kunit)
    failed = any(r[0] == 'kunit' and r[1] == 'fail' for r in tally.rows)
    if rc != 0 and not failed:
        tally.add('kunit', 'fail', 'kunit.py parse', 'exit %d: %s' % (rc, notes))
    return seen


def count_against(tally, group, what, seen, expected):
    """Every entry of the manifest ran, with its number of cases, and nothing else."""
    for name, n in expected.items():
        if name not in seen:
            tally.add(group, 'fail', name, '%s did not run (config/expected: %d cases)' % (what, n))
        elif seen[name] != n:
            tally.add(group, 'fail', name, 'ran %d cases, config/expected says %d' % (seen[name], n))
    for name in seen:
        if name not in expected:
            tally.add(group, 'fail', name, '%s ran, but is %s' % (what, UPDATE))


# ---------------------------------------------------------------- kselftests

TOP_RE = re.compile(r'^(not ok|ok) \d+ selftests: (\S+): (\S+)(.*)$')
TOP_PLAN_RE = re.compile(r'^1\.\.(\d+)$')
SUB_RE = re.compile(r'^# (not ok|ok) \d+ (\S*)(.*)$')
SUB_PLAN_RE = re.compile(r'^# 1\.\.(\d+)$')
# 5.10's kselftest_harness.h names a skipped case only in its RUN line:
# "# #  RUN           fixture.variant.test ..." then "# ok 7 # SKIP why".
RUN_RE = re.compile(r'^# #\s+RUN\s+(\S+) \.\.\.')
# A failed expectation: "# # dmabuf_mr.c:123:write_after_move:Expected ..."
WHY_RE = re.compile(r'^# # ([^\s:]+:\d+):[^:\s]*:\s*(.*)$')


def kselftests(tally, tap):
    """Top-level lines are the runner's verdicts; a program written with
    kselftest_harness.h also prints its plan and one nested line per case,
    and those are what is counted for it."""
    seen = {}
    plan, programs = None, 0
    subs, subplan, running, log = [], None, None, []
    for line in tap.splitlines():
        m = TOP_PLAN_RE.match(line)
        if m:               # the runner plans each collection on its own
            plan = (plan or 0) + int(m.group(1))
            continue
        m = SUB_PLAN_RE.match(line)
        if m:
            subplan = int(m.group(1))
            continue
        m = RUN_RE.match(line)
        if m:
            running, log = m.group(1), []
            continue
        m = SUB_RE.match(line)
        if m:
            v, name, srest = m.groups()
            if name.startswith('#'):    # "ok 7 # SKIP why": no name
                name, srest = running or '', name + srest
            subs.append((v, name, srest, log))
            running, log = None, []
            continue
        m = TOP_RE.match(line)
        if not m:
            if line.startswith('# # '):
                log.append(line)
            continue
        programs += 1
        verdict, coll, prog, rest = m.groups()
        group, full = 'kselftest ' + coll, '%s:%s' % (coll, prog)
        rest = rest.strip(' #')
        for v, name, srest, lines in subs:
            if '# SKIP' in srest:
                tally.add(group, 'skip', name or prog, srest.split('# SKIP', 1)[1].strip())
            elif v == 'ok':
                tally.add(group, 'pass', name)
            else:
                tally.add(group, 'fail', name, why(lines))
        seen[full] = len(subs)
        if subplan is not None and len(subs) != subplan:
            tally.add(group, 'fail', full, 'planned 1..%d, reported %d (%s)' % (
                subplan, len(subs), rest or 'the program died'))
        elif subs:
            if verdict != 'ok' and all(s[0] == 'ok' for s in subs):
                tally.add(group, 'fail', full, 'program failed: ' + (rest or 'not ok'))
        elif verdict == 'ok' and rest.startswith('SKIP'):
            tally.add(group, 'skip', full, 'exit 4 (KSFT_SKIP)')
        elif rest == 'exit=77':
            tally.add(group, 'skip', full, 'exit 77')
        else:
            tally.add(group, 'pass' if verdict == 'ok' else 'fail', full, rest)
        subs, subplan, running, log = [], None, None, []
    if plan is None or programs != plan:
        tally.add('kselftest', 'fail', 'kselftest runner',
                  'planned %s programs, reported %d (see out/tap.log)' % (
                      '1..%d' % plan if plan is not None else 'no', programs))
    count_against(tally, 'kselftest', 'program', seen, tally.expected.kselftest)
    return seen


def why(lines):
    """Why a kselftest_harness case failed: the first file:line expectation."""
    for l in lines:
        m = WHY_RE.match(l)
        if m:
            return '%s: %s' % m.groups()
    msgs = [l[4:].strip() for l in lines if not re.match(r'^# #\s+(OK|FAIL)\s', l)]
    return msgs[-1] if msgs else 'failed (see out/tap.log)'


# ---------------------------------------------------------------- pyverbs

PV_START_RE = re.compile(r'^pyverbs: (\d+) runs of ', re.M)
PV_NOHW = ', without the mlx5 and EFA modules'

PV_RUN_RE = re.compile(r'^pyverbs: run (\d+)/\d+ exit=(\S*): (.*)$', re.M)
PV_BAD_RE = re.compile(r'^pyverbs: run (\d+): (ERROR|FAIL): (\S+) \(([^)]*)\)', re.M)
PV_RAN_RE = re.compile(r'Ran (\d+) tests? in ([0-9.]+)s; (OK|FAILED)(?: \((.*)\))?')


def pyverbs(tally, console):
    """rdma-core's own test suite on rxe0 (harness/guest-pyverbs.sh): each
    run ran the whole suite (config/expected: pyverbs tests N), or, where
    the guest says it left out the modules of mlx5's and EFA's direct verbs
    (make check's run), the rest of it (pyverbs tests-nohw N), and every
    test that errored or failed is one config/expected allows, as a skip
    with its reason ("skip pyverbs: <test>"). The suite's own skips (tests
    of hardware features rxe lacks) are counted in the run's row."""
    want = tally.expected.pyverbs
    m = PV_START_RE.search(console)
    if m and PV_NOHW in console[m.start():].split('\n', 1)[0]:
        want = tally.expected.pyverbs_nohw
        if want is None:
            tally.add('pyverbs', 'fail', "rdma-core's tests on rxe0",
                      'ran without the mlx5 and EFA modules; config/expected has no "pyverbs tests-nohw N"')
            return
    if not m:
        if want is not None:
            tally.add('pyverbs', 'fail', "rdma-core's tests on rxe0", 'did not run (see out/console.log)')
        return
    runs = int(m.group(1))
    done = {int(r.group(1)): r for r in PV_RUN_RE.finditer(console)}
    bad = {}
    for b in PV_BAD_RE.finditer(console):
        bad.setdefault(int(b.group(1)), []).append((b.group(2), b.group(4)))
    allowed = {k[len('pyverbs: '):] for k in tally.expected.skips if k.startswith('pyverbs: ')}
    seen_bad = {}
    for i in range(1, runs + 1):
        name = 'run %d of %d' % (i, runs)
        r = done.get(i)
        ran = PV_RAN_RE.search(r.group(3)) if r else None
        if not ran:
            tally.add('pyverbs', 'fail', name, r.group(3) if r else
                      'did not finish (see out/console.log)')
            continue
        total, secs = int(ran.group(1)), float(ran.group(2))
        extra = dict(kv.split('=') for kv in (ran.group(4) or '').split(', ') if '=' in kv)
        errs = bad.get(i, [])
        unexpected = [t for _, t in errs if t not in allowed]
        for kind, t in errs:
            seen_bad.setdefault(t, []).append(i)
        detail = 'ran %d tests in %.0f s: %d passed, %s skipped by the suite, %d allowed errors' % (
            total, secs, total - int(extra.get('skipped', 0)) - len(errs),
            extra.get('skipped', 0), len(errs) - len(unexpected))
        if want is not None and total != want:
            tally.add('pyverbs', 'fail', name, 'ran %d tests, config/expected says %d' % (total, want))
        elif unexpected or len(errs) != int(extra.get('errors', 0)) + int(extra.get('failures', 0)):
            tally.add('pyverbs', 'fail', name, 'not allowed: ' + ', '.join(unexpected or ['?']))
        else:
            tally.add('pyverbs', 'pass', name, detail)
    for t, in_runs in sorted(seen_bad.items()):
        if t in allowed:
            tally.add('pyverbs', 'skip', t, 'errored in %d of %d runs' % (len(in_runs), runs),
                      key='pyverbs: ' + t)


# ---------------------------------------------------------------- make bench

BENCH_TESTS = ('write_bw', 'read_bw', 'send_bw', 'write_lat', 'read_lat')
BENCH_MEMS = ('plain', 'udmabuf', 'system_heap')


def bench(tally, console):
    """make bench's measurements ran (harness/guest-bench.sh; in make check
    the short form once, so that it cannot rot): dmabuf_bench exited 0 with
    figures and no error, and every perftest program ran on each memory
    with a result row of its header's width. No number is judged."""
    form = tally.expected.bench
    if form is None:
        return
    start = re.search(HARNESS_LINE + r'bench: start \((\w+) form, (\d+) runs\)$', console, re.M)
    if not start or start.group(1) != form:
        tally.add('bench', 'fail', 'the %s form ran' % form,
                  'no "harness: bench: start (%s form, ...)" line (see out/console.log)' % form)
        return
    runs = int(start.group(2))
    exits = re.findall(r'^bench: exit=(\d+)$', console, re.M)
    summaries = re.findall(r'^bench: summary form=\w+ figures=(\d+) skipped=(\d+) errors=(\d+)',
                           console, re.M)
    ok = len(exits) == runs and all(e == '0' for e in exits) and len(summaries) == runs and \
        all(int(f) > 0 and e == '0' for f, _, e in summaries)
    tally.add('bench', 'pass' if ok else 'fail', 'dmabuf_bench %s' % form,
              ('%d run(s): %s figures, %s skipped (each with its reason), 0 errors' % (
                  runs, '/'.join(f for f, _, _ in summaries), '/'.join(s for _, s, _ in summaries)))
              if ok else 'exit=%s, summaries %s (see out/console.log)' % (
                  ','.join(exits) or '(none)', summaries or '(none)'))
    headers = dict(re.findall(r'^perftest: test=(\w+) header: ?(.*)$', console, re.M))
    rows = {}
    for t, m, i, rc, row in re.findall(
            r'^perftest: test=(\w+) mem=(\w+) run=(\d+)/\d+ exit=(\d+) result: ?(.*)$',
            console, re.M):
        rows.setdefault((t, m), []).append((rc, row.split()))
    # perftest's 0.00 when its fit of the TSC's rate failed (guest-bench.sh).
    notes = {}
    for t, m, note in re.findall(r'^perftest-note: test=(\w+) mem=(\w+) run=\d+: (.*)$',
                                 console, re.M):
        notes.setdefault((t, m), note)
    for t in BENCH_TESTS:
        width = len(header_columns(headers.get(t, '').split()))
        for m in BENCH_MEMS:
            got = rows.get((t, m), [])
            good = [r for rc, r in got if rc == '0' and width and len(r) == width]
            ok = len(got) == runs and len(good) == runs
            if ok:
                detail = ' '.join(good[0])
                if (t, m) in notes:
                    detail += ' (perftest: %s)' % notes[(t, m)]
            else:
                detail = '%d of %d run(s) with a result row%s' % (
                    len(good), runs, '' if width else ', no column header')
            tally.add('bench', 'pass' if ok else 'fail', 'perftest ib_%s, %s memory' % (t, m),
                      detail)
    done = re.search(HARNESS_LINE + r'bench: done$', console, re.M)
    if not done:
        tally.add('bench', 'fail', 'finished', 'no "harness: bench: done" (see out/console.log)')


# ---------------------------------------------------------------- the guest

# The fail-nth sweep, the last kselftest, says so when DMA-API debugging
# switched itself off while it ran (an injected failure of its bookkeeping).
FAILNTH_DMA_OFF = '# # fail-nth: DMA-API debugging disabled: Y, was N'


# rdma-core's suite names each test on the console as it starts it.
PV_TEST_RE = re.compile(r'^pyverbs-out: (test_\S+) \(([^)]*)\)')


def placed(lines, i):
    """Where console line i was printed: in which of rdma-core's tests,
    when that suite was running (its next run line ends the place)."""
    for line in reversed(lines[:i]):
        m = PV_TEST_RE.match(line)
        if m:
            return " (in rdma-core's %s)" % m.group(2)
        if PV_RUN_RE.match(line) or PV_START_RE.match(line):
            return ''
    return ''


def health(tally, console, tap=''):
    lines = console.splitlines()
    for name, pattern in HEALTH:
        hits = [i for i, l in enumerate(lines) if pattern.search(l)]
        if hits and name == 'DMA-API debugging stays enabled' and \
                FAILNTH_DMA_OFF in (tap or '').splitlines():
            tally.add('health', 'pass', name, 'until the fail-nth sweep, the last kselftest, '
                      'failed its bookkeeping; only rdma-core\'s tests ran after it')
            continue
        tally.add('health', 'fail' if hits else 'pass', name,
                  lines[hits[0]].strip()[:150] + placed(lines, hits[0]) if hits else '')


def requires(tally, console):
    """The guest init's "harness: KEY: VALUE" lines: the last one for KEY counts."""
    for key, want in tally.expected.requires:
        got = re.findall(HARNESS_LINE + re.escape(key) + r': (.*)$', console, re.M)
        if not got:
            tally.add('guest', 'fail', key, 'no "harness: %s:" line (see out/console.log)' % key)
        else:
            ok = got[-1].strip() == want
            tally.add('guest', 'pass' if ok else 'fail', '%s: %s' % (key, want),
                      '' if ok else 'got "%s" (see out/console.log)' % got[-1].strip())


def judge(expected, host, console, tap, tree, only_pyverbs=False):
    """The rows of one run: (group, pass|fail|skip, name, why). With
    only_pyverbs, of a guest that ran rdma-core's tests alone (make
    pyverbs): no host rows, KUnit or kselftests."""
    tally = Tally(expected)
    host_checks(tally, host or '')
    if console is None:
        tally.add('guest', 'fail', 'boots and completes', 'no console log')
        return tally.rows
    done = re.search(HARNESS_LINE + 'done$', console, re.M) is not None
    tally.add('guest', 'pass' if done else 'fail', 'boots and completes',
              '' if done else 'no "harness: done" on the console (see out/console.log)')
    requires(tally, console)
    if not only_pyverbs:
        boot = re.split(HARNESS_LINE + '.*init started', console, maxsplit=1, flags=re.M)[0]
        if expected.kunit or 'TAP version' in boot:
            kunit(tally, boot, tree)
        kselftests(tally, tap or '')
        bench(tally, console)
    pyverbs(tally, console)
    health(tally, console, tap)
    return tally.rows


TWIN_CASE_RE = re.compile(r'^twin: (ok|FAIL) (.*?) -- (.*)$', re.M)
TWIN_ROUNDS_RE = re.compile(r'^twin: moving rounds: (\d+)$', re.M)
TWIN_CASES_PER_ROUND = 5        # dmabuf_peer's five(): config/expected counts 3 rounds
TWIN_SUMMARY_RE = re.compile(r'^twin: summary cases=(\d+) failed=(\d+) bytes_checked=(\d+)$',
                             re.M)
PEER_LINE = r'^peer: (?:\[[0-9.]+\] )?'
PEER_TAINT_ALLOWED = 4096 | 8192    # TAINT_OOT_MODULE, TAINT_UNSIGNED_MODULE


def twin(expected, out):
    """The two-machine tests (harness/twin.sh): our guest's cases, from
    OUT/twin/ours/console.log (each "twin: ok|FAIL NAME -- detail" line a
    row, their number config/expected's "twin cases N", five more for
    each moving round past three with TWIN_ROUNDS), its
    preconditions and health gate as make check's guest's; the peer's
    console, OUT/twin/peer/console.log: Debian's kernel ("Linux version
    6.1"), its half exited 0, and the health patterns (a stock kernel
    without KASAN, lockdep or kmemleak: only what it can report)."""
    tally = Tally(expected)
    ours = read(os.path.join(out, 'twin', 'ours', 'console.log'))
    peer = read(os.path.join(out, 'twin', 'peer', 'console.log'))
    if ours is None or peer is None:
        tally.add('twin', 'fail', 'both guests ran',
                  'no console log of %s' % ('ours' if ours is None else 'the peer'))
        return tally.rows
    version = re.search(r'Linux version (\S+)', peer)
    ok = bool(version) and version.group(1).startswith('6.1.')
    tally.add('twin', 'pass' if ok else 'fail', "the peer runs Debian 12's kernel",
              version.group(0) if version else 'no "Linux version" line in its console')
    cases = TWIN_CASE_RE.findall(ours)
    for status, name, detail in cases:
        tally.add('twin', 'pass' if status == 'ok' else 'fail', name, detail[:200])
    summary = TWIN_SUMMARY_RE.search(ours)
    want = expected.twin
    rounds = TWIN_ROUNDS_RE.search(ours)
    if want is not None and rounds:     # TWIN_ROUNDS: five cases a round more or less
        want += (int(rounds.group(1)) - 3) * TWIN_CASES_PER_ROUND
    ok = bool(summary) and bool(cases) and int(summary.group(1)) == len(cases) and \
        (want is None or len(cases) == want)
    tally.add('twin', 'pass' if ok else 'fail', 'every case ran',
              '%d cases (config/expected: %s), %s bytes checked' % (
                  len(cases), want, summary.group(3)) if summary else
              'no "twin: summary" line: %d cases seen (see out/twin/ours/console.log)' % len(cases))
    for who, console, line in (('ours', ours, HARNESS_LINE + r'twin: exit=(\d+)$'),
                               ('the peer', peer, PEER_LINE + r'dmabuf_peer: exit=(\d+)$')):
        m = re.search(line, console, re.M)
        ok = bool(m) and m.group(1) == '0'
        tally.add('twin', 'pass' if ok else 'fail', '%s: dmabuf_peer exited 0' % who,
                  '' if ok else 'exit=%s' % (m.group(1) if m else '(did not finish)'))
    # The peer's siw is built out of tree (Debian builds none): it taints
    # Debian's kernel O (an out-of-tree module, 4096) and E (unsigned,
    # 8192); any other taint fails.
    taint = re.search(PEER_LINE + r'tainted: (\d+)$', peer, re.M)
    ok = bool(taint) and int(taint.group(1)) & ~PEER_TAINT_ALLOWED == 0
    tally.add('twin', 'pass' if ok else 'fail',
              'the peer: tainted by nothing but its out-of-tree siw (O, E)',
              taint.group(1) if taint else 'no "peer: tainted:" line')
    requires(tally, ours)
    rows = [('twin' if g == 'guest' else g, st, n, w) for g, st, n, w in tally.rows]
    for who, console in (('ours', ours), ('peer', peer)):
        t = Tally(expected)
        health(t, console)
        rows += [('twin %s: %s' % (who, g), st, n, w) for g, st, n, w in t.rows]
    return rows


WIRE_SUMMARY_RE = re.compile(r'^wire: summary rounds=(\d+) of=(\d+) caught=(\d+) missed=(\d+) '
                             r'shifted=(\d+) mismatches=(\d+)$', re.M)


def wire(expected, out):
    """The rxe requester against the scripted responder (harness/wire.sh):
    harness/wire_peer.py's lines, OUT/wire/peer.log, and our guest's
    console, OUT/wire/console.log (its preconditions and health gate as
    make check's guest's). The case the test is for, a retry after an ACK
    of a WQE that the requester is resending, is a skip (a failure unless
    config/expected allows it) when no round reached it."""
    tally = Tally(expected)
    log = read(os.path.join(out, 'wire', 'peer.log'))
    console = read(os.path.join(out, 'wire', 'console.log'))
    if log is None or console is None:
        tally.add('wire', 'fail', 'the guest and the scripted responder ran',
                  'no %s' % ('out/wire/peer.log' if log is None else 'out/wire/console.log'))
        return tally.rows
    m = WIRE_SUMMARY_RE.search(log)
    if not m:
        tally.add('wire', 'fail', 'every round ran', 'no "wire: summary" line (see out/wire/peer.log)')
    else:
        rounds, asked, caught, missed, shifted, mismatches = map(int, m.groups())
        tally.add('wire', 'pass' if rounds == asked else 'fail', 'every round ran',
                  '%d of %d rounds' % (rounds, asked))
        first = re.search(r'^wire: mismatch: (.*)$', log, re.M)
        tally.add('wire', 'fail' if mismatches else 'pass',
                  'every resent PSN carries what it first carried',
                  first.group(1) if first else '%d rounds, every resend checked' % rounds)
        name = 'a retry resumes at the last packet of a WQE acknowledged while it was resent'
        if shifted:
            tally.add('wire', 'fail', name, '%d round(s) resumed past the WQE' % shifted)
        elif caught:
            tally.add('wire', 'pass', name, '%d of %d rounds reached the case (%d missed it)' % (
                caught, rounds, missed))
        else:
            tally.add('wire', 'skip', name, 'no round reached the case: the ACK came after the '
                      'WRITE was resent, %d times' % missed)
    m = re.search(HARNESS_LINE + r'wire: exit=(\d+)$', console, re.M)
    ok = bool(m) and m.group(1) == '0'
    tally.add('wire', 'pass' if ok else 'fail', 'resend_peer completed every WRITE',
              '' if ok else 'exit=%s (see out/wire/console.log)' % (m.group(1) if m else '(none)'))
    requires(tally, console)
    rows = [('wire' if g == 'guest' else g, st, n, w) for g, st, n, w in tally.rows]
    t = Tally(expected)
    health(t, console)
    return rows + [('wire: %s' % g, st, n, w) for g, st, n, w in t.rows]


def judge_run(expected, out, tree):
    """The rows of a make check run whose files are under OUT: its host rows
    and main guest, then each other guest (harness/modules-guest.sh), whose
    console and TAP are under OUT/NAME, against the "guest NAME" entries.
    A guest that the run left out says so in a host row "skip NAME guest:
    ..." (allowed or not by config/expected, as any skip): it is not judged."""
    host = read(os.path.join(out, 'results.txt'))
    rows = judge(expected, host, read(os.path.join(out, 'console.log')),
                 read(os.path.join(out, 'tap.log')), tree)
    for name in expected.guests:
        if not re.search(r'^skip\t%s guest: ' % re.escape(name), host or '', re.M):
            rows += guest_rows(expected, name, out, tree)
    if expected.twin is not None and not re.search(r'^skip\ttwin: ', host or '', re.M):
        rows += twin(expected, out)
    if not re.search(r'^skip\twire: ', host or '', re.M):
        rows += wire(expected, out)
    return rows


def guest_rows(expected, name, out, tree):
    """The rows of the run's other guest NAME, from OUT/NAME, in groups
    named "NAME guest: ..."."""
    d = os.path.join(out, name)
    return [('%s guest: %s' % (name, g), st, n, w) for g, st, n, w in
            judge(expected.guests[name], None, read(os.path.join(d, 'console.log')),
                  read(os.path.join(d, 'tap.log')), tree)]


def seen(console, tap, tree):
    """What a run saw, in config/expected's format (for a person to review)."""
    tally = Tally(Expected(''))
    boot = re.split(HARNESS_LINE + '.*init started', console, maxsplit=1, flags=re.M)[0]
    out = ['kunit %s %d' % kv for kv in (kunit(tally, boot, tree) or {}).items()]
    out += ['kselftest %s %d' % kv for kv in kselftests(tally, tap).items()]
    out += ['skip %s -- %s' % s for s in tally.skipped]
    return '\n'.join(out)


def demo(console):
    """make run: the rows of the demo's guest run."""
    tally = Tally(Expected('require rxe0: ACTIVE'))
    requires(tally, console)
    for prog in ('rc_traffic', 'dmabuf_mr_demo'):
        m = re.search(r'^demo: %s exit=(\d+)$' % prog, console, re.M)
        ok = bool(m) and m.group(1) == '0'
        tally.add('demo', 'pass' if ok else 'fail', prog,
                  '' if ok else 'exit=%s' % (m.group(1) if m else '(did not finish)'))
    skips = re.search(r'^# Totals: .* skip:([1-9]\d*)', console, re.M)
    if skips:   # a skipped case is not a demonstration
        tally.add('demo', 'fail', 'rc_traffic', '%s cases skipped' % skips.group(1))
    health(tally, console)
    return tally.rows


SOAK_RE = re.compile(r'^soak: moves=(\d+) deferrals=(-?\d+) bytes_checked=(\d+) '
                     r'wrong_bytes=(\d+) qp_errors=(\d+) seconds=(\d+)$', re.M)


def soak(console):
    """make soak: the rows of the soak's guest run. dmabuf_soak fails by
    itself on a wrong byte, a QP error or a move short; its summary line is
    read here too, so that a soak that printed nothing cannot pass."""
    tally = Tally(Expected('require rxe0: ACTIVE\nrequire test exporter: present\n'
                           'require kmemleak: active\nrequire tainted: 0\n'
                           'require debug_locks: 1\n'))
    requires(tally, console)
    want = re.search(HARNESS_LINE + r'soak: (\d+) moves$', console, re.M)
    m = SOAK_RE.search(console)
    if not m:
        tally.add('soak', 'fail', 'summary', 'no "soak: moves=..." line (see out/console.log)')
    else:
        moves, _, checked, wrong, qp_errors, _ = (int(g) for g in m.groups())
        short = not want or moves != int(want.group(1))
        tally.add('soak', 'fail' if short else 'pass', 'moves',
                  '%d of %s' % (moves, want.group(1) if want else '?'))
        tally.add('soak', 'pass' if checked and not wrong else 'fail', 'every byte right',
                  '%d of %d bytes wrong' % (wrong, checked))
        tally.add('soak', 'pass' if not qp_errors else 'fail', 'no QP error',
                  '%d QP errors' % qp_errors)
        print(m.group(0))
    e = re.search(HARNESS_LINE + r'soak: exit=(\d+)$', console, re.M)
    ok = bool(e) and e.group(1) == '0'
    tally.add('soak', 'pass' if ok else 'fail', 'dmabuf_soak',
              '' if ok else 'exit=%s' % (e.group(1) if e else '(did not finish)'))
    health(tally, console)
    return tally.rows


def arm64(console, tap, tree, expected=None):
    """make arm64: the rows of the arm64 guest, judged as make check's guest
    against config/expected, but for the host steps and rdma-core's tests,
    which run on x86_64 only."""
    ex = expected or Expected.load()
    ex.steps, ex.pyverbs, ex.pyverbs_nohw, ex.bench = [], None, None, None
    return judge(ex, None, console, tap, tree)


def read(path):
    if not os.path.exists(path):
        return None
    with open(path, errors='replace') as f:
        return f.read()


def report(rows):
    width = max(len(r[2]) for r in rows)
    group = None
    for g, status, name, detail in rows:
        if g != group:
            group = g
            print('\n%s' % g)
        mark = {'pass': 'ok  ', 'fail': 'FAIL', 'skip': 'skip'}[status]
        print(('  %s  %-*s  %s' % (mark, width, name, detail)).rstrip())
    print()
    n = {s: sum(1 for r in rows if r[1] == s) for s in ('pass', 'fail', 'skip')}
    print('%d passed, %d failed, %d skipped' % (n['pass'], n['fail'], n['skip']))
    return 1 if n['fail'] else 0


def main(argv):
    if argv[0] == '--run':
        return report(demo(read(os.path.join(argv[1], 'console.log')) or ''))
    if argv[0] == '--pyverbs':
        ex = Expected.load()
        ex.steps = []
        return report(judge(ex, None, read(os.path.join(argv[1], 'console.log')), None, None,
                            only_pyverbs=True))
    if argv[0] in ('--twin', '--twin-demo'):
        ex = Expected.load()
        if argv[0] == '--twin-demo':
            ex.twin = None      # make run's part: the demo's case alone
        return report(twin(ex, argv[1]))
    if argv[0] == '--wire':
        return report(wire(Expected.load(), argv[1]))
    if argv[0] == '--soak':
        return report(soak(read(os.path.join(argv[1], 'console.log')) or ''))
    if argv[0] == '--arm64':
        out, tree = argv[1:3]
        return report(arm64(read(os.path.join(out, 'console.log')),
                            read(os.path.join(out, 'tap.log')), tree))
    if argv[0] == '--guest':
        name, out = argv[1:3]
        tree = argv[3] if len(argv) > 3 else os.environ.get('LINUX', os.path.join(
            os.environ.get('CACHE', os.path.expanduser('~/.cache/rdma-dmabuf-mr')), 'linux'))
        return report(guest_rows(Expected.load(), name, out, tree))
    if argv[0] == '--seen':
        out, tree = argv[1:3]
        print(seen(read(os.path.join(out, 'console.log')) or '',
                   read(os.path.join(out, 'tap.log')) or '', tree))
        for name in Expected.load().guests:
            d = os.path.join(out, name)
            print('\n'.join('guest %s %s' % (name, l) for l in
                            seen(read(os.path.join(d, 'console.log')) or '',
                                 read(os.path.join(d, 'tap.log')) or '', tree).splitlines()))
        return 0
    return report(judge_run(Expected.load(), argv[0], argv[1]))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
