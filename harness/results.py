#!/usr/bin/env python3
"""Turn one `make check` run into a verdict a person reads at a glance.

Inputs, all under out/ (any may be missing; a missing guest run is a
failure, not a silent pass):
  results.txt  host-side checks, one per line: "pass|fail|skip<TAB>name<TAB>detail"
  console.log  the guest console: KUnit TAP (parsed by the tree's own
               tools/testing/kunit/kunit.py parse) and every kernel message
  tap.log      the kselftest runner's TAP from the guest's second serial port

The health gate of design.md decision 5 is applied to the console. Prints a
summary, then the plain line "N passed, N failed, N skipped"; exits 1 if
anything failed.
"""
import os
import re
import subprocess
import sys

ANSI = re.compile(r'\x1b\[[0-9;]*m')

# The health gate: a name for the report, and what in the console breaks it.
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
]


class Tally:
    def __init__(self):
        self.rows = []          # (group, status, name, detail)

    def add(self, group, status, name, detail=''):
        self.rows.append((group, status, name, detail))

    def count(self, status):
        return sum(1 for r in self.rows if r[1] == status)


def host_checks(tally, path):
    if not os.path.exists(path):
        return
    with open(path) as f:
        for line in f:
            parts = line.rstrip('\n').split('\t')
            if len(parts) >= 2:
                group, _, name = parts[1].partition(': ')
                tally.add(group if name else 'host', parts[0],
                          name or parts[1], parts[2] if len(parts) > 2 else '')


def kunit(tally, console, tree):
    """Feed the boot part of the console (before init) to kunit.py parse."""
    boot = re.split(r'^harness: .*init started', console, maxsplit=1, flags=re.M)[0]
    if 'TAP version' not in boot:
        tally.add('kunit', 'fail', 'KUnit output', 'no KUnit TAP on the console')
        return
    tool = os.path.join(tree, 'tools/testing/kunit/kunit.py')
    out = subprocess.run([sys.executable, tool, 'parse'], input=boot,
                         capture_output=True, text=True).stdout
    suite = None
    for line in ANSI.sub('', out).splitlines():
        m = re.search(r'\[(PASSED|FAILED|CRASHED)\] (\S+)', line)
        if not m:
            continue
        if '====' in line:
            suite = m.group(2)
            continue
        status = 'pass' if m.group(1) == 'PASSED' else 'fail'
        tally.add('kunit', status, '%s.%s' % (suite, m.group(2)),
                  '' if status == 'pass' else m.group(1).lower())
    if not any(r[0] == 'kunit' for r in tally.rows):
        tally.add('kunit', 'fail', 'KUnit output',
                  'kunit.py parse found no test: ' + out.strip()[-200:])


TOP_RE = re.compile(r'^(not ok|ok) \d+ selftests: (\S+): (\S+)(.*)$')
SUB_RE = re.compile(r'^# (not ok|ok) \d+ (\S*)(.*)$')
# 5.10's kselftest_harness.h names a skipped case only in its RUN line:
# "# #  RUN           fixture.variant.test ..." then "# ok 7 # SKIP why".
RUN_RE = re.compile(r'^# #\s+RUN\s+(\S+) \.\.\.')


def kselftests(tally, tap):
    """Top-level lines are the runner's verdicts; a program written with
    kselftest_harness.h also prints one nested line per test case, and
    those are what is counted for it."""
    subs = []
    running = None
    for line in tap.splitlines():
        m = RUN_RE.match(line)
        if m:
            running = m.group(1)
            continue
        m = SUB_RE.match(line)
        if m:
            v, name, srest = m.groups()
            if name.startswith('#'):    # "ok 7 # SKIP why": no name
                name, srest = running or '', name + srest
            subs.append((v, name, srest))
            running = None
            continue
        m = TOP_RE.match(line)
        if not m:
            continue
        verdict, coll, prog, rest = m.groups()
        group = 'kselftest ' + coll
        if 'exit=77' in rest or '# SKIP' in rest:
            status = 'skip'
        else:
            status = 'pass' if verdict == 'ok' else 'fail'
        if subs:
            for v, name, srest in subs:
                if '# SKIP' in srest:
                    tally.add(group, 'skip', name or prog,
                              srest.split('# SKIP', 1)[1].strip())
                else:
                    tally.add(group, 'pass' if v == 'ok' else 'fail', name)
            if status == 'fail' and all(v == 'ok' for v, _, _ in subs):
                tally.add(group, 'fail', prog, 'program failed: ' + rest.strip())
        else:
            tally.add(group, status, prog, rest.strip(' #'))
        subs = []


def health(tally, console):
    lines = console.splitlines()
    for name, pattern in HEALTH:
        hits = [l for l in lines if pattern.search(l)]
        tally.add('health', 'fail' if hits else 'pass', name,
                  hits[0].strip()[:150] if hits else '')
    m = re.search(r'harness: (?:\[[0-9.]+\] )?debug_locks=(\d*)', console)
    ok = bool(m) and m.group(1) == '1'
    tally.add('health', 'pass' if ok else 'fail', 'debug_locks stays 1',
              '' if ok else 'debug_locks=%s' % (m.group(1) if m else 'unknown'))


def main():
    out, tree = sys.argv[1], sys.argv[2]
    tally = Tally()
    host_checks(tally, os.path.join(out, 'results.txt'))

    cpath = os.path.join(out, 'console.log')
    if os.path.exists(cpath):
        console = open(cpath, errors='replace').read()
        done = re.search(r'^harness: (?:\[[0-9.]+\] )?done$', console, re.M) is not None
        tally.add('guest', 'pass' if done else 'fail', 'boots and completes',
                  '' if done else 'no "harness: done" on the console')
        kunit(tally, console, tree)
        tpath = os.path.join(out, 'tap.log')
        tap = open(tpath, errors='replace').read() if os.path.exists(tpath) else ''
        if not any(TOP_RE.match(l) for l in tap.splitlines()):
            tally.add('kselftest', 'fail', 'kselftest output', 'no TAP from the runner')
        kselftests(tally, tap)
        health(tally, console)
    else:
        tally.add('guest', 'fail', 'boots and completes', 'no console log')

    width = max(len(r[2]) for r in tally.rows)
    group = None
    for g, status, name, detail in tally.rows:
        if g != group:
            group = g
            print('\n%s' % g)
        mark = {'pass': 'ok  ', 'fail': 'FAIL', 'skip': 'skip'}[status]
        print(('  %s  %-*s  %s' % (mark, width, name, detail)).rstrip())
    print()
    print('%d passed, %d failed, %d skipped' % (
        tally.count('pass'), tally.count('fail'), tally.count('skip')))
    return 1 if tally.count('fail') else 0


if __name__ == '__main__':
    sys.exit(main())
