/**
 * A checker over a history of reads and writes of a few keys, made by several processes at once:
 * does any read return a value older than a given bound allows? Pure: it reads the history and
 * returns figures and the offending reads; the harness that records histories is elsewhere
 * (test/reliability/near-cache-coherence.spec.ts).
 *
 * The rule, for a read R of key k that began at R.start and settled at R.end, returning v:
 * - R may return the value of any write of k that had begun before R ended (the newest write
 *   acknowledged before R began, or one in flight, or one that began while R was running).
 * - A write w is superseded by a write W2 of the same key that began after w was acknowledged
 *   (W2.start > w.end: every order of execution puts W2 after w) and was acknowledged itself.
 *   Writes that overlap are not ordered against each other, so neither supersedes the other.
 * - R is stale past the bound when every write of v it could come from was superseded by some
 *   W2 with W2.end + bound(W2) < R.start: the read began more than the bound after a newer write
 *   had been acknowledged. The bound belongs to the superseding write (a change made by SWAPDB
 *   is bounded by the near cache's maxAge, a write by any client by the invalidation delay).
 * - From `settledAt` on (the faults stopped and the longest bound passed), every superseding
 *   write counts with the default bound.
 * - A write that failed has an unknown outcome: it may have run, at any time after it began. Its
 *   value may be read from then on and is never superseded, and it supersedes nothing.
 *
 * Times are milliseconds on one clock shared by every process of the history (on one machine:
 * `historyNow` of coherence-workers.ts).
 */

/** A value as read or written: a string, or null for an absent key (deleted, flushed, never set). */
export type HistoryValue = string | null;

/** One read or write, as recorded by the process that made it. */
export interface HistoryOp {
  /** Whether it read or wrote the key. */
  readonly kind: 'read' | 'write';
  /** The key (without prefix). */
  readonly key: string;
  /** The value read, or written (null: deleted, flushed, absent). */
  readonly value: HistoryValue;
  /** Milliseconds, taken just before the call was made. */
  readonly start: number;
  /** Milliseconds, taken just after it settled (the acknowledgement, for a write). */
  readonly end: number;
  /** False when it failed: a failed read is not checked, a failed write has an unknown outcome. */
  readonly ok: boolean;
  /** Who made it (a process name, or the fault that changed the key on the server). */
  readonly by: string;
  /**
   * Writes only: milliseconds after this write's acknowledgement during which an older value
   * may still be read (default: the checker's `boundMs`).
   */
  readonly boundMs?: number;
}

/** Where a period of the run begins (a fault, or the quiet time after the faults). */
export interface PhaseMark {
  /** The phase's name, as reports show it. */
  readonly name: string;
  /** Milliseconds; the phase lasts until the next mark. */
  readonly start: number;
}

/** What the checker is given. */
export interface CoherenceInput {
  /** Every read and write of the keys, in any order (writes of every process and fault). */
  readonly ops: readonly HistoryOp[];
  /** The default bound in milliseconds: how long after a write an older value may be read. */
  readonly boundMs: number;
  /** Phase boundaries, for attributing reads (reads before the first: `'before faults'`). */
  readonly phases?: readonly PhaseMark[];
  /** Milliseconds from which every superseding write counts with `boundMs` only. */
  readonly settledAt?: number;
}

/** Why a read was flagged. */
export type ViolationKind =
  /** It returned a value superseded longer ago than the bound allows. */
  | 'stale'
  /** It returned a value whose every write began only after the read had ended. */
  | 'from the future'
  /** It returned a value no write of that key ever wrote. */
  | 'never written';

/** A read past the bound, with what it should be compared to. */
export interface Violation {
  /** Why it was flagged. */
  readonly kind: ViolationKind;
  /** The read. */
  readonly read: HistoryOp;
  /** The phase the read began in. */
  readonly phase: string;
  /** The newest write of the key acknowledged before the read began, if any. */
  readonly newestAcked: HistoryOp | undefined;
  /** For `stale`: the write the read's value came from (the one superseded last). */
  readonly source: HistoryOp | undefined;
  /** For `stale`: the write whose acknowledgement plus bound the read began after. */
  readonly supersededBy: HistoryOp | undefined;
  /** For `stale`: milliseconds from that acknowledgement to the read's start. */
  readonly stalenessMs: number;
  /** For `stale`: the bound that applied, in milliseconds. */
  readonly boundMs: number;
}

/** Figures of one phase, or of the whole history. */
export interface CoherenceFigures {
  /** Successful reads checked. */
  reads: number;
  /** Reads that returned a superseded value (within the bound or not). */
  staleReads: number;
  /** Reads flagged (past the bound, or returning a value no write could have given). */
  pastBound: number;
  /** Largest milliseconds from a superseding acknowledgement to the start of a read of the old value. */
  maxStalenessMs: number;
}

/** The checker's verdict. */
export interface CoherenceReport {
  /** Figures of every read. */
  readonly total: CoherenceFigures;
  /** Figures per phase, in time order (`'before faults'` first when it has reads). */
  readonly phases: ReadonlyArray<CoherenceFigures & { readonly name: string }>;
  /** Figures per reading process (`by`). */
  readonly readers: ReadonlyMap<string, CoherenceFigures>;
  /** Every flagged read, by read start. */
  readonly violations: readonly Violation[];
}

/** Checks every successful read of `input.ops` against the writes; see the module comment. */
export function checkCoherence(input: CoherenceInput): CoherenceReport {
  const byKey = new Map<string, KeyHistory>();
  const reads: HistoryOp[] = [];
  for (const op of input.ops) {
    if (op.kind === 'read') {
      if (op.ok) reads.push(op);
      continue;
    }
    let history = byKey.get(op.key);
    if (!history) byKey.set(op.key, (history = new KeyHistory()));
    history.add(op);
  }
  for (const history of byKey.values()) history.seal(input.boundMs);
  reads.sort((a, b) => a.start - b.start);

  const marks = [...(input.phases ?? [])].sort((a, b) => a.start - b.start);
  const phaseNames = ['before faults', ...marks.map((m) => m.name)];
  const phaseFigures = new Map<string, CoherenceFigures>(
    phaseNames.map((n) => [n, emptyFigures()]),
  );
  const readers = new Map<string, CoherenceFigures>();
  const total = emptyFigures();
  const violations: Violation[] = [];

  for (const read of reads) {
    const phase = phaseAt(marks, read.start);
    const settled = input.settledAt !== undefined && read.start >= input.settledAt;
    const verdict = (byKey.get(read.key) ?? EMPTY).judge(read, settled);
    let reader = readers.get(read.by);
    if (!reader) readers.set(read.by, (reader = emptyFigures()));
    for (const figures of [total, reader, phaseFigures.get(phase)!]) {
      figures.reads++;
      if (verdict.stalenessMs > 0) figures.staleReads++;
      figures.maxStalenessMs = Math.max(figures.maxStalenessMs, verdict.stalenessMs);
      if (verdict.violation) figures.pastBound++;
    }
    if (verdict.violation) violations.push({ ...verdict.violation, read, phase });
  }
  return {
    total,
    phases: phaseNames
      .map((name) => ({ name, ...phaseFigures.get(name)! }))
      .filter((p, i) => i > 0 || p.reads > 0),
    readers,
    violations,
  };
}

/** One line saying what a violation is, with its timestamps relative to `origin` (ms). */
export function describeViolation(v: Violation, origin = 0): string {
  const at = (t: number | undefined): string =>
    t === undefined || !Number.isFinite(t) ? '?' : (t - origin).toFixed(1);
  const op = (w: HistoryOp | undefined): string =>
    w === undefined
      ? 'none'
      : `${JSON.stringify(w.value)} by ${w.by} [${at(w.start)}, ${w.ok ? at(w.end) : 'failed'}]`;
  const head = `[${v.phase}] ${v.read.by} read ${v.read.key} = ${JSON.stringify(v.read.value)} [${at(v.read.start)}, ${at(v.read.end)}]: ${v.kind}`;
  if (v.kind !== 'stale') return `${head}; newest acknowledged write: ${op(v.newestAcked)}`;
  return (
    `${head} ${v.stalenessMs.toFixed(1)} ms (bound ${v.boundMs} ms); newest acknowledged write: ` +
    `${op(v.newestAcked)}; value written by ${op(v.source)}, superseded by ${op(v.supersededBy)}`
  );
}

function emptyFigures(): CoherenceFigures {
  return { reads: 0, staleReads: 0, pastBound: 0, maxStalenessMs: 0 };
}

function phaseAt(marks: readonly PhaseMark[], t: number): string {
  let name = 'before faults';
  for (const mark of marks) {
    if (mark.start > t) break;
    name = mark.name;
  }
  return name;
}

type PartialViolation = Omit<Violation, 'read' | 'phase'>;

/** The writes of one key, indexed for the questions a read asks. */
class KeyHistory {
  private readonly writes: HistoryOp[] = [];
  /** Acknowledged writes by start, with suffix minima of end and of end + bound. */
  private acked: HistoryOp[] = [];
  private ackedByEnd: HistoryOp[] = [];
  private suffixFirstEnd: number[] = [];
  private suffixDeadline: number[] = [];
  private suffixDeadlineSettled: number[] = [];
  private readonly byValue = new Map<HistoryValue, HistoryOp[]>();
  private defaultBound = 0;

  add(write: HistoryOp): void {
    this.writes.push(write);
    let same = this.byValue.get(write.value);
    if (!same) this.byValue.set(write.value, (same = []));
    same.push(write);
  }

  seal(defaultBound: number): void {
    this.defaultBound = defaultBound;
    this.acked = this.writes.filter((w) => w.ok).sort((a, b) => a.start - b.start);
    this.ackedByEnd = [...this.acked].sort((a, b) => a.end - b.end);
    const n = this.acked.length;
    this.suffixFirstEnd = new Array<number>(n + 1).fill(Infinity);
    this.suffixDeadline = new Array<number>(n + 1).fill(Infinity);
    this.suffixDeadlineSettled = new Array<number>(n + 1).fill(Infinity);
    for (let i = n - 1; i >= 0; i--) {
      const w = this.acked[i]!;
      this.suffixFirstEnd[i] = Math.min(this.suffixFirstEnd[i + 1]!, w.end);
      this.suffixDeadline[i] = Math.min(this.suffixDeadline[i + 1]!, w.end + this.boundOf(w));
      this.suffixDeadlineSettled[i] = Math.min(
        this.suffixDeadlineSettled[i + 1]!,
        w.end + Math.min(this.boundOf(w), defaultBound),
      );
    }
  }

  /** Whether `read` is allowed; how stale it was (ms, 0 when it returned a current value). */
  judge(
    read: HistoryOp,
    settled: boolean,
  ): { stalenessMs: number; violation: PartialViolation | undefined } {
    const newestAcked = this.newestAckedBefore(read.start);
    const candidates = this.byValue.get(read.value) ?? [];
    const none = { source: undefined, supersededBy: undefined, stalenessMs: 0, boundMs: 0 };
    if (candidates.length === 0) {
      return { stalenessMs: 0, violation: { kind: 'never written', newestAcked, ...none } };
    }
    const possible = candidates.filter((w) => w.start <= read.end);
    if (possible.length === 0) {
      return { stalenessMs: 0, violation: { kind: 'from the future', newestAcked, ...none } };
    }
    const deadlines = settled ? this.suffixDeadlineSettled : this.suffixDeadline;
    let best: { source: HistoryOp; first: number; deadline: number } | undefined;
    let stalenessMs = Infinity;
    for (const source of possible) {
      // A failed write may have run at any time: nothing is ordered after it.
      const from = source.ok ? this.firstStartingAfter(source.end) : this.acked.length;
      const first = this.suffixFirstEnd[from]!;
      const deadline = deadlines[from]!;
      stalenessMs = Math.min(stalenessMs, Math.max(0, read.start - first));
      if (!best || deadline > best.deadline) best = { source, first, deadline };
    }
    if (read.start <= best!.deadline) return { stalenessMs, violation: undefined };
    const supersededBy = this.supersederMissing(best!.source, read.start, settled);
    return {
      stalenessMs,
      violation: {
        kind: 'stale',
        newestAcked,
        source: best!.source,
        supersededBy,
        stalenessMs: read.start - supersededBy.end,
        boundMs: settled
          ? Math.min(this.boundOf(supersededBy), this.defaultBound)
          : this.boundOf(supersededBy),
      },
    };
  }

  private boundOf(write: HistoryOp): number {
    return write.boundMs ?? this.defaultBound;
  }

  /** Index of the first acknowledged write (by start) that began after `t`. */
  private firstStartingAfter(t: number): number {
    let lo = 0;
    let hi = this.acked.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.acked[mid]!.start > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private newestAckedBefore(t: number): HistoryOp | undefined {
    let lo = 0;
    let hi = this.ackedByEnd.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ackedByEnd[mid]!.end < t) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? this.ackedByEnd[lo - 1] : undefined;
  }

  /** The write ordered after `source` whose deadline the read missed (the earliest such). */
  private supersederMissing(source: HistoryOp, readStart: number, settled: boolean): HistoryOp {
    let found: HistoryOp | undefined;
    for (let i = this.firstStartingAfter(source.end); i < this.acked.length; i++) {
      const w = this.acked[i]!;
      const bound = settled ? Math.min(this.boundOf(w), this.defaultBound) : this.boundOf(w);
      if (w.end + bound < readStart && (!found || w.end < found.end)) found = w;
    }
    return found!;
  }
}

const EMPTY = (() => {
  const history = new KeyHistory();
  history.seal(0);
  return history;
})();
