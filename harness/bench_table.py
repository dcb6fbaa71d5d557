#!/usr/bin/env python3
"""make bench's table and plot, from a guest console that ran
harness/guest-bench.sh (dmabuf_bench's "bench: ..." lines and the
"perftest: ..." lines).

    bench_table.py CONSOLE DIR [--no-plot]

writes DIR/bench.md (the table, also printed) and, unless --no-plot,
DIR/bench.svg (gnuplot: registration + deregistration time against size,
RDMA WRITE throughput against moves per second). Exit status 1 if the
console holds no figure at all or a "bench: error" line, else 0: the
numbers themselves are never judged here, only tabulated, each target a
line saying met or not.

Each figure is the median over the runs (dmabuf_bench's own figure is
already the median of its repetitions) with the spread over the runs
(min-max); with one run, the spread of that run's repetitions.
"""
import math
import os
import re
import statistics
import subprocess
import sys

MiB = 1 << 20
EMULATED = ('The guest is emulated (QEMU TCG, no KVM): absolute times and rates are '
            "the emulator's, only the ratios mean something.")

LINE_RE = re.compile(r'^bench: (\w+) (dev=.*)$', re.M)
KV_RE = re.compile(r'(\w+)=("[^"]*"|\S+)')
PT_RE = re.compile(r'^perftest: test=(\w+) mem=(\w+) run=(\d+)/(\d+) exit=(\d+) result: ?(.*)$', re.M)
PT_HDR_RE = re.compile(r'^perftest: test=(\w+) header: ?(.*)$', re.M)
KINDS = ('udmabuf', 'system_heap', 'test_exporter')


def kv(text):
    return {k: v.strip('"') for k, v in KV_RE.findall(text)}


def parse(console):
    """(figures, perftest, facts): figures maps (what, dev, kind, size,
    variant) to a list of dicts, one per run; perftest maps (test, mem) to a
    list of (exit, {column: value}); facts holds the start line's fields,
    the skips and the errors."""
    figures, facts = {}, {'skips': [], 'errors': [], 'start': {}, 'runs': 0}
    for m in re.finditer(r'^bench: run (\d+)/(\d+)$', console, re.M):
        facts['runs'] = int(m.group(2))
    for what, rest in LINE_RE.findall(console):
        d = kv(rest)
        variant = d.get('nth') or d.get('moves_per_s') or ''
        key = (what, d['dev'], d.get('kind', ''), int(d.get('size', 0)), variant)
        figures.setdefault(key, []).append(d)
    for m in re.finditer(r'^bench: (skip|error) (what=.*)$', console, re.M):
        facts[m.group(1) + 's'].append(kv(m.group(2)))
    start = re.search(r'^bench: start (.*)$', console, re.M)
    facts['start'] = kv(start.group(1)) if start else {}
    headers = {t: h.split() for t, h in PT_HDR_RE.findall(console)}
    perftest = {}
    for test, mem, run, runs, rc, row in PT_RE.findall(console):
        cols = header_columns(headers.get(test, []))
        vals = row.split()
        entry = dict(zip(cols, vals)) if len(vals) == len(cols) and cols else {}
        perftest.setdefault((test, mem), []).append((int(rc), entry))
    return figures, perftest, facts


def header_columns(words):
    """perftest's column header ("#bytes #iterations BW peak[MB/sec] ...")
    as names, one per value of its result row."""
    text = ' '.join(words)
    return [c.strip() for c in re.findall(r'(#?[A-Za-z_0-9%.]+(?: [a-z]+(?=\[))?(?:\[[^\]]*\])?)',
                                          text)] if text else []


def med(values):
    return statistics.median(values) if values else None


def spread(runs, field, scale=1.0):
    vals = [float(r[field]) * scale for r in runs if field in r]
    if len(vals) > 1:
        return '%s-%s' % (fmt(min(vals)), fmt(max(vals)))
    if len(runs) == 1 and 'min_us' in runs[0] and field == 'us':
        return '%s-%s' % (fmt(float(runs[0]['min_us'])), fmt(float(runs[0]['max_us'])))
    return ''


def fmt(x):
    if x is None:
        return '-'
    if abs(x) >= 100:
        return '%.0f' % x
    if abs(x) >= 10:
        return '%.1f' % x
    return '%.2f' % x


def size_name(size):
    return '%d MiB' % (size // MiB) if size >= MiB else '%d KiB' % (size // 1024)


class Table:
    def __init__(self):
        self.lines = []
        self.targets = []   # (target, verdict, detail)

    def section(self, title, header):
        self.lines += ['', '### ' + title, '',
                       '| ' + ' | '.join(header) + ' |',
                       '|' + '---|' * len(header)]

    def row(self, *cells):
        self.lines.append('| ' + ' | '.join(str(c) for c in cells) + ' |')

    def target(self, name, ratios, ok, note='', labels=None):
        """ratios: the medians the target is judged on; ok: each one's test;
        note: said after them (a measured floor, say); labels: what each
        ratio is of, said before it."""
        if not ratios:
            self.targets.append((name, 'not measured', 'no figure in this run'))
            return
        met = all(ok(r) for r in ratios)
        shown = [fmt(r) for r in ratios]
        if labels:
            shown = ['%s %s' % (label, r) for label, r in zip(labels, shown)]
        self.targets.append((name, 'met' if met else 'NOT met',
                             'ratio(s) %s%s' % (', '.join(shown), note)))


def registration(t, figures):
    """reg + dereg per size and kind against ibv_reg_mr; the nth MR."""
    sizes = sorted({k[3] for k in figures if k[0] == 'reg'})
    devs = sorted({k[1] for k in figures if k[0] == 'reg'})
    t.section('Registration + deregistration (us, median of runs)',
              ['device', 'size', 'memory', 'reg+dereg', 'spread', 'us per MiB',
               'ibv_reg_mr', 'ratio'])
    ratio_1m, ratio_16m, per_mib = [], [], {}
    plot = []
    for dev in devs:
        for size in sizes:
            base = median_reg_dereg(figures, dev, 'ibv_reg_mr', size)
            for kind in ('ibv_reg_mr',) + KINDS:
                runs = pairs(figures, dev, kind, size)
                if not runs:
                    continue
                v = med([r for r, _ in runs])
                lo, hi = min(r for r, _ in runs), max(r for r, _ in runs)
                ratio = v / base if base and kind != 'ibv_reg_mr' else None
                t.row(dev, size_name(size), kind, fmt(v),
                      '%s-%s' % (fmt(lo), fmt(hi)) if len(runs) > 1 else '',
                      fmt(v / (size / MiB)), fmt(base), fmt(ratio) if ratio else '')
                plot.append((dev, kind, size, v))
                if ratio is not None and dev == 'rxe0' and kind != 'test_exporter':
                    if size == MiB:
                        ratio_1m.append(ratio)
                    if size >= 16 * MiB:
                        ratio_16m.append(ratio)
                if kind in ('udmabuf', 'system_heap') and size >= 16 * MiB:
                    per_mib.setdefault((dev, kind), []).append(v / (size / MiB))
    t.target('rxe0: dma-buf MR reg+dereg <= 0.5x ibv_reg_mr at 1 MiB (udmabuf, system heap)',
             ratio_1m, lambda r: r <= 0.5)
    t.target('rxe0: dma-buf MR reg+dereg <= 0.2x ibv_reg_mr at >= 16 MiB (udmabuf, system heap)',
             ratio_16m, lambda r: r <= 0.2)
    # Linear (or better): the cost per MiB at no larger size grows past
    # 1.5x that at 16 MiB; a fixed cost spread over more MiB only falls.
    growth = [max(v) / v[0] for v in per_mib.values() if len(v) > 1]
    t.target('reg+dereg linear in size (udmabuf, system heap; rxe0, siw0): us per MiB '
             'at each size >= 16 MiB at most 1.5x that at 16 MiB', growth, lambda r: r <= 1.5)

    t.section('A second and a hundredth MR on one buffer (us per registration)',
              ['device', 'memory', 'size', 'nth', 'reg', 'spread', 'vs first'])
    second, floor, labels = {}, {}, {}
    for key in sorted(k for k in figures if k[0] == 'nth_mr'):
        runs = figures[key]
        v = med([float(r['us']) for r in runs])
        first = med([float(r['us']) for r in figures.get(key[:4] + ('1',), [])])
        ratio = v / first if first else None
        t.row(key[1], key[2], size_name(key[3]), key[4], fmt(v), spread(runs, 'us'),
              fmt(ratio))
        if key[4] != '2' or key[2] == 'ibv_reg_mr' or ratio is None:
            continue
        if key[3] >= MiB:
            second.setdefault(key[3], []).append(ratio)
            labels.setdefault(key[3], []).append('%s %s' % (key[1], key[2]))
            continue
        # A second MR on a buffer of a page: what any registration costs
        # whatever its size, against the first MR of each larger buffer.
        for size in sorted({k[3] for k in figures if k[0] == 'nth_mr' and k[3] >= MiB}):
            big = med([float(r['us']) for r in
                       figures.get(('nth_mr', key[1], key[2], size, '1'), [])])
            if big:
                floor.setdefault(size, []).append(v / big)
    # Judged at each buffer size: at 1 MiB the fixed cost of any
    # registration (a second MR on a 4 KiB buffer) is a large part of the
    # first MR's, and is shown as the floor.
    for size in sorted(second):
        note = ''
        if floor.get(size):
            note = ('; floor, a second MR on a buffer of one page against this '
                    'first: %s' % ', '.join(fmt(r) for r in floor[size]))
        t.target('a second dma-buf MR on the same buffer <= 0.2x the first, at %s'
                 % size_name(size), second[size], lambda r: r <= 0.2, note,
                 labels[size])
    if not second:
        t.target('a second dma-buf MR on the same buffer <= 0.2x the first', [],
                 lambda r: r <= 0.2)
    return plot


def median_reg_dereg(figures, dev, kind, size):
    """The median of the runs' registration + deregistration times (us)."""
    runs = pairs(figures, dev, kind, size)
    return med([r for r, _ in runs]) if runs else None


def pairs(figures, dev, kind, size):
    reg = figures.get(('reg', dev, kind, size, ''), [])
    dereg = figures.get(('dereg', dev, kind, size, ''), [])
    return [(float(a['us']) + float(b['us']), a) for a, b in zip(reg, dereg)]


def remap(t, figures):
    t.section('Remap after a move: from the end of the move (the exporter\'s copy, '
              'its own figure) to the completion of the first 4 KiB RDMA WRITE (us)',
              ['device', 'size', 'move', 'remap', 'spread', 'reg + first WRITE (test exporter)',
               'reg + first WRITE (ibv_reg_mr)', 'ratio', 'held', 'RNR NAKs'])
    ratios = []
    for key in sorted(k for k in figures if k[0] == 'remap'):
        runs = figures[key]
        v = med([float(r['us']) for r in runs])
        base = med([float(r['us']) for r in
                    figures.get(('reg_first_write', key[1], 'test_exporter', key[3], ''), [])])
        plain = med([float(r['us']) for r in
                     figures.get(('reg_first_write', key[1], 'ibv_reg_mr', key[3], ''), [])])
        ratio = v / base if base else None
        move = med([float(r['us']) for r in
                    figures.get(('move', key[1], 'test_exporter', key[3], ''), [])])
        t.row(key[1], size_name(key[3]), fmt(move), fmt(v), spread(runs, 'us'), fmt(base),
              fmt(plain),
              fmt(ratio), '/'.join(r.get('held', '?') for r in runs),
              '/'.join(r.get('rnr_naks', '?') for r in runs))
        if ratio is not None:
            ratios.append(ratio)
    t.target('after a move, traffic again within 2x a first registration + WRITE',
             ratios, lambda r: r <= 2.0)


def paired(runs, base_runs):
    """The ratios of @runs' throughput to @base_runs', slice by slice: each
    slice against its round's baseline slice (dmabuf_bench takes a slice of
    every figure in turn, so that the emulator's drift weighs on both
    alike). None when the slices do not pair up."""
    if not runs or len(runs) != len(base_runs) or \
            any(r.get('round') != b.get('round') for r, b in zip(runs, base_runs)):
        return None
    return [float(r['MBps']) / float(b['MBps']) for r, b in zip(runs, base_runs)
            if float(b['MBps']) > 0]


def sum_or_unknown(runs, field):
    """The sum of an integer field over the runs, as text; '?' if a run lacks it."""
    vals = [r.get(field) for r in runs]
    return str(sum(int(v) for v in vals)) if all(v and v.lstrip('-').isdigit() for v in vals) else '?'


def write_bw(t, figures):
    t.section('RDMA WRITE throughput (MB/s) while the exporter moves the buffer; '
              'the ratio: the median of slice-by-slice ratios to the baseline taken in '
              'the same round',
              ['device', 'memory', 'moves/s', 'MB/s', 'spread', 'slices', 'moves', 'held',
               'RNR NAKs', 'baseline', 'ratio', 'ratio spread'])
    plot, r10, r100 = [], [], []
    keys = sorted((k for k in figures if k[0] == 'write_bw'),
                  key=lambda k: (k[1], k[2], int(k[4] or 0)))
    for key in keys:
        runs = figures[key]
        v = med([float(r['MBps']) for r in runs])
        if key[4] == '0':
            base_key, base_name = ('write_bw', key[1], 'ibv_reg_mr', key[3], '0'), 'ibv_reg_mr'
        else:
            base_key, base_name = key[:4] + ('0',), 'no moves'
        base_runs = figures.get(base_key, [])
        base = med([float(r['MBps']) for r in base_runs])
        ratio, ratios = None, None
        if base and base_key != key:
            ratios = paired(runs, base_runs)
            ratio = med(ratios) if ratios else v / base
        t.row(key[1], key[2], key[4], fmt(v), spread(runs, 'MBps'), str(len(runs)),
              sum_or_unknown(runs, 'moves'), sum_or_unknown(runs, 'held'),
              sum_or_unknown(runs, 'rnr_naks'),
              '%s (%s)' % (fmt(base), base_name) if ratio else '', fmt(ratio) if ratio else '',
              '%s-%s' % (fmt(min(ratios)), fmt(max(ratios))) if ratios and len(ratios) > 1
              else ('of the medians' if ratio else ''))
        if key[2] == 'test_exporter':
            plot.append((key[1], int(key[4]), v))
            if key[4] == '10' and ratio:
                r10.append(ratio)
            if key[4] == '100' and ratio:
                r100.append(ratio)
    t.target('WRITE throughput with 10 moves/s >= 0.95x no moves', r10, lambda r: r >= 0.95)
    t.target('WRITE throughput with 100 moves/s >= 0.8x no moves', r100, lambda r: r >= 0.8)
    return plot


PT_VALUE = {'bw': ('BW average[MB/sec]', 'BW average[MiB/sec]', 'BW average[Gb/sec]'),
            'lat': ('t_typical[usec]',)}


def perftest(t, pt):
    t.section('perftest on rxe0 (64 KiB messages for bandwidth, 64 B for latency; '
              '"runs ok": runs that gave a finite result above 0; the ratio: the median of '
              'run-by-run ratios, each run taking the three memories one after the other)',
              ['test', 'memory', 'value', 'unit', 'spread', 'plain memory', 'ratio',
               'ratio spread', 'runs ok'])
    bw, lat = [], []
    for test in ('write_bw', 'read_bw', 'send_bw', 'write_lat', 'read_lat'):
        kind = test.split('_')[1]
        base, base_runs = None, []
        for mem in ('plain', 'udmabuf', 'system_heap'):
            runs = pt.get((test, mem), [])
            if not runs:
                continue
            col = next((c for c in PT_VALUE[kind] if any(c in e for _, e in runs)), None)
            # perftest prints 0.00 or inf when its own timing failed (seen
            # for ib_send_bw and ib_read_lat in a TCG guest): not a figure.
            per_run = [float(e[col]) if rc == 0 and col in e and 0 < float(e[col]) < math.inf
                       else None for rc, e in runs] if col else [None] * len(runs)
            vals = [x for x in per_run if x is not None]
            v = med(vals)
            if mem == 'plain':
                base, base_runs = v, per_run
            ratio, ratios = None, []
            if v is not None and base and mem != 'plain':
                if len(per_run) == len(base_runs):
                    ratios = [a / b for a, b in zip(per_run, base_runs) if a and b]
                ratio = med(ratios) if ratios else v / base
            t.row(test, mem, fmt(v), (col or '?').split('[')[-1].rstrip(']'),
                  '%s-%s' % (fmt(min(vals)), fmt(max(vals))) if len(vals) > 1 else '',
                  fmt(base) if mem != 'plain' else '', fmt(ratio) if ratio is not None else '',
                  '%s-%s' % (fmt(min(ratios)), fmt(max(ratios))) if len(ratios) > 1
                  else ('of the medians' if ratio is not None and not ratios else ''),
                  '%d/%d' % (len(vals), len(runs)))
            if ratio is not None:
                (bw if kind == 'bw' else lat).append(ratio)
    t.target('perftest WRITE/READ/SEND bandwidth on dma-buf MRs >= 0.98x plain memory',
             bw, lambda r: r >= 0.98)
    t.target('perftest WRITE/READ latency on dma-buf MRs <= 1.05x plain memory',
             lat, lambda r: r <= 1.05)


def plot_svg(d, reg, bw):
    """bench.svg with gnuplot: two panels."""
    data = os.path.join(d, 'bench-plot.dat')
    series = []
    with open(data, 'w') as f:
        for dev, kind in sorted({(p[0], p[1]) for p in reg}):
            f.write('# reg %s %s\n' % (dev, kind))
            for _, _, size, v in sorted(p for p in reg if p[:2] == (dev, kind)):
                f.write('%d %f\n' % (size // 1024, v))
            f.write('\n\n')
            series.append('%s %s' % (dev, kind))
        f.write('# write_bw\n')
        for _, rate, v in sorted(p for p in bw if p[0] == 'rxe0'):
            f.write('%g %f\n' % (max(rate, 0.1), v))
    script = ['set terminal svg size 1000,450 font "sans,11"',
              'set output "%s"' % os.path.join(d, 'bench.svg'), 'set termoption noenhanced',
              'set multiplot layout 1,2 title "make bench (emulated guest: only ratios mean something)"',
              'set logscale xy', 'set xlabel "size (KiB)"', 'set ylabel "reg + dereg (us)"',
              'set key top left', 'set grid',
              'plot ' + ', '.join('"%s" index %d using 1:2 with linespoints title "%s"' %
                                  (data, i, s) for i, s in enumerate(series)),
              'unset logscale y', 'set logscale x', 'set xlabel "moves per second (0 drawn at 0.1)"',
              'set ylabel "RDMA WRITE MB/s (test exporter, rxe0)"', 'set yrange [0:*]',
              'plot "%s" index %d using 1:2 with linespoints title "WRITE under moves"' %
              (data, len(series)),
              'unset multiplot']
    if not series:
        return 'no registration figure to plot'
    r = subprocess.run(['gnuplot'], input='\n'.join(script) + '\n', text=True,
                       capture_output=True)
    return None if r.returncode == 0 else 'gnuplot: ' + r.stderr.strip()[:300]


PROFILE_RE = re.compile(r'^profile: ([^:]+): (?:samples (\S+)|(\S+%) (\S+%) \[(.)\] (.*?))\s*$', re.M)


def profiles(console):
    """Where the time goes: guest-bench.sh's "profile:" lines (dmabuf_bench's
    figures run alone under perf), a table each."""
    runs = {}
    for what, samples, total, self_, space, sym in PROFILE_RE.findall(console):
        r = runs.setdefault(what, {'samples': '?', 'rows': []})
        if samples:
            r['samples'] = samples
        else:
            r['rows'].append((total, self_, 'kernel' if space == 'k' else 'user', sym))
    lines = []
    if not runs:
        return lines
    lines += ['', '### Where the time goes (perf in the guest: cpu-clock samples, call chains)', '',
              'Each figure run alone on rxe0 (`dmabuf_bench full -d rxe0 -o PART -k KIND -s SIZE`) '
              'under `perf record -g`; a symbol\'s share of the samples with its callees, and '
              'in itself, down to 3%.']
    for what, r in runs.items():
        lines += ['', '#### %s (%s samples)' % (what, r['samples']), '',
                  '| with callees | itself | where | symbol |', '|---|---|---|---|']
        lines += ['| %s | %s | %s | `%s` |' % row for row in r['rows']]
    return lines


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    with open(argv[0], errors='replace') as f:
        console = f.read()
    d = argv[1]
    figures, pt, facts = parse(console)
    t = Table()
    reg = registration(t, figures)
    remap(t, figures)
    bw = write_bw(t, figures)
    perftest(t, pt)
    start = facts['start']
    head = ['## make bench', '', EMULATED, '',
            'Kernel %s; dmabuf_bench %s form, %d run(s), %s repetitions per figure, '
            '%s s per throughput figure; guest memory available %s MiB.' % (
                start.get('kernel', '?'), start.get('form', '?'), facts['runs'] or 1,
                start.get('reps', '?'), start.get('seconds', '?'),
                start.get('mem_available_mib', '?')),
            '', '### Targets', '', '| target | verdict | detail |', '|---|---|---|']
    head += ['| %s | %s | %s |' % tg for tg in t.targets]
    tail = profiles(console)
    if facts['skips']:
        skips = ['- %s %s %s %s: %s' % (
            s.get('what'), s.get('dev'), s.get('kind'), s.get('size'), s.get('why'))
            for s in facts['skips']]
        tail += ['', '### Skipped', ''] + sorted(set(skips), key=skips.index)
    if facts['errors']:
        tail += ['', '### Errors', ''] + ['- %s %s %s: %s' % (
            e.get('what'), e.get('dev'), e.get('kind'), e.get('why')) for e in facts['errors']]
    text = '\n'.join(head + t.lines + tail) + '\n'
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'bench.md'), 'w') as f:
        f.write(text)
    print(text)
    if '--no-plot' not in argv:
        err = plot_svg(d, reg, bw)
        print('plot: %s' % (err or os.path.join(d, 'bench.svg')))
        if err:
            return 1
    if not figures or facts['errors']:
        print('bench: %s' % ('no figure in %s' % argv[0] if not figures else
                             '%d error(s)' % len(facts['errors'])))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
