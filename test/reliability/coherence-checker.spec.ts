import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from '../cli/run-cli-process.js';
import {
  checkCoherence,
  describeViolation,
  type HistoryOp,
  type HistoryValue,
} from '../support/coherence-checker.js';
import { STALENESS_WINDOW_MS } from '../redis/near-cache/support/near-cache-helpers.js';

/**
 * The coherence checker flags what it must on hand-made histories (so a green coherence run
 * means something) and lets through what the rule allows.
 */
const BOUND = 250;

function write(
  key: string,
  value: HistoryValue,
  start: number,
  end: number,
  extra: Partial<HistoryOp> = {},
): HistoryOp {
  return { kind: 'write', key, value, start, end, ok: true, by: 'w', ...extra };
}

function read(
  key: string,
  value: HistoryValue,
  start: number,
  end = start + 1,
  by = 'r',
): HistoryOp {
  return { kind: 'read', key, value, start, end, ok: true, by };
}

const initial = write('k', null, 0, 0, { by: 'initial' });

describe('coherence checker', () => {
  it('flags a read of a value replaced longer ago than the bound, and names what it should have seen', () => {
    const report = checkCoherence({
      boundMs: BOUND,
      ops: [
        initial,
        write('k', 'a', 100, 110),
        write('k', 'b', 200, 210, { by: 'w2' }),
        read('k', 'a', 300), // 90 ms after b was acknowledged: allowed
        read('k', 'a', 461), // 251 ms after: past the bound
        read('k', 'b', 462),
      ],
    });
    expect(report.total).toEqual({ reads: 3, staleReads: 2, pastBound: 1, maxStalenessMs: 251 });
    expect(report.violations).toHaveLength(1);
    const [v] = report.violations;
    expect(v).toMatchObject({ kind: 'stale', stalenessMs: 251, boundMs: 250 });
    expect(v!.newestAcked?.value).toBe('b');
    expect(v!.supersededBy?.value).toBe('b');
    expect(describeViolation(v!)).toBe(
      '[before faults] r read k = "a" [461.0, 462.0]: stale 251.0 ms (bound 250 ms); ' +
        'newest acknowledged write: "b" by w2 [200.0, 210.0]; value written by "a" by w [100.0, 110.0], ' +
        'superseded by "b" by w2 [200.0, 210.0]',
    );
  });

  it('allows either of two overlapping writes, until a write ordered after both is acknowledged', () => {
    const ops = [
      initial,
      write('k', 'a', 100, 150),
      write('k', 'b', 120, 130, { by: 'w2' }),
      read('k', 'a', 1000),
      read('k', 'b', 1000),
      write('k', 'c', 2000, 2010),
      read('k', 'a', 2200),
      read('k', 'b', 2261),
    ];
    const report = checkCoherence({ boundMs: BOUND, ops });
    expect(report.violations.map((v) => v.read.value)).toEqual(['b']);
    expect(report.violations[0]!.stalenessMs).toBe(251);
  });

  it('allows the value of a write in flight, not one that began after the read ended', () => {
    const report = checkCoherence({
      boundMs: BOUND,
      ops: [
        initial,
        write('k', 'a', 100, 110),
        write('k', 'b', 200, 400),
        read('k', 'b', 150, 201), // the write began before the read ended
        read('k', 'a', 300, 310), // b not acknowledged yet
        write('k', 'c', 500, 510),
        read('k', 'c', 450, 499), // c began after this read ended
        read('k', 'zzz', 600), // nobody wrote zzz
      ],
    });
    expect(report.violations.map((v) => [v.read.value, v.kind])).toEqual([
      ['c', 'from the future'],
      ['zzz', 'never written'],
    ]);
  });

  it('treats a failed write as possibly run at any time: its value stays readable, it replaces nothing', () => {
    const report = checkCoherence({
      boundMs: BOUND,
      ops: [
        initial,
        write('k', 'a', 100, 110),
        write('k', 'lost', 200, 1200, { ok: false }),
        read('k', 'a', 5000),
        read('k', 'lost', 5000),
        write('k', 'c', 6000, 6010),
        read('k', 'lost', 7000),
        read('k', 'a', 7000),
      ],
    });
    expect(report.violations.map((v) => v.read.value)).toEqual(['a']);
  });

  it('applies the bound of the write that replaced the value, and the default once settled', () => {
    // A SWAPDB replaces the value without telling the near cache: bounded by maxAge (1000 ms).
    const swap = write('k', 'swapped', 1000, 1005, { by: 'swapdb', boundMs: 1000 });
    const ops = [
      initial,
      write('k', 'a', 100, 110),
      swap,
      read('k', 'a', 1900), // 895 ms after the swap: within maxAge
      read('k', 'a', 2100), // 1095 ms: past it
    ];
    expect(
      checkCoherence({ boundMs: BOUND, ops }).violations.map((v) => [v.read.start, v.boundMs]),
    ).toEqual([[2100, 1000]]);
    // A later ordinary write brings the bound down to the default.
    const tighter = checkCoherence({
      boundMs: BOUND,
      ops: [...ops, write('k', 'b', 1200, 1210), read('k', 'a', 1500)],
    });
    expect(tighter.violations.map((v) => [v.read.start, v.supersededBy?.value])).toEqual([
      [1500, 'b'],
      [1900, 'b'],
      [2100, 'swapped'], // both deadlines passed: the earlier replacement is named
    ]);
    // Once settled, every replacement counts with the default bound.
    expect(
      checkCoherence({ boundMs: BOUND, ops, settledAt: 1800 }).violations.map((v) => [
        v.read.start,
        v.boundMs,
      ]),
    ).toEqual([
      [1900, 250],
      [2100, 250],
    ]);
  });

  it('accepts a value written again later (a swap back) from the second write on', () => {
    const report = checkCoherence({
      boundMs: BOUND,
      ops: [
        initial,
        write('k', 'a', 100, 110),
        write('k', 'b', 200, 210),
        read('k', 'a', 600), // stale: b replaced it 390 ms before
        write('k', 'a', 1000, 1002, { by: 'swapdb' }),
        read('k', 'a', 1500),
        read('k', 'b', 1500), // 498 ms after the swap back replaced it
      ],
    });
    expect(report.violations.map((v) => [v.read.start, v.read.value])).toEqual([
      [600, 'a'],
      [1500, 'b'],
    ]);
  });

  it('flags an absent key read long after a write set it, and a value read long after a flush', () => {
    const report = checkCoherence({
      boundMs: BOUND,
      ops: [
        initial,
        write('k', 'a', 100, 110),
        read('k', null, 50), // before a: fine
        read('k', null, 500), // a was acknowledged 390 ms before
        write('k', null, 1000, 1003, { by: 'flushdb' }),
        read('k', 'a', 1100),
        read('k', 'a', 1300),
      ],
    });
    expect(report.violations.map((v) => [v.read.start, v.read.value])).toEqual([
      [500, null],
      [1300, 'a'],
    ]);
  });

  it('keeps keys apart, skips failed reads, and counts per phase and per reader', () => {
    const report = checkCoherence({
      boundMs: BOUND,
      phases: [
        { name: 'kill', start: 1000 },
        { name: 'after faults', start: 3000 },
      ],
      ops: [
        initial,
        write('j', null, 0, 0, { by: 'initial' }),
        write('k', 'a', 100, 110),
        write('j', 'x', 100, 110),
        write('k', 'b', 1200, 1210),
        read('j', 'x', 500, 501, 'p1'),
        read('k', 'a', 1300, 1301, 'p1'),
        read('k', 'a', 1500, 1501, 'p2'),
        { ...read('k', 'a', 1600, 1601, 'p2'), ok: false },
        read('k', 'a', 3100, 3101, 'p2'),
        read('j', 'x', 3200, 3201, 'p1'),
      ],
    });
    expect(report.phases).toEqual([
      { name: 'before faults', reads: 1, staleReads: 0, pastBound: 0, maxStalenessMs: 0 },
      { name: 'kill', reads: 2, staleReads: 2, pastBound: 1, maxStalenessMs: 290 },
      { name: 'after faults', reads: 2, staleReads: 1, pastBound: 1, maxStalenessMs: 1890 },
    ]);
    expect(report.readers.get('p1')).toMatchObject({ reads: 3, pastBound: 0 });
    expect(report.readers.get('p2')).toMatchObject({ reads: 2, pastBound: 2 });
  });

  it('uses the staleness bound that docs/near-cache.md states', async () => {
    const page = await readFile(join(REPO, 'docs', 'near-cache.md'), 'utf8');
    expect(page).toContain(`tests allow ${STALENESS_WINDOW_MS} ms`);
  });
});
