/** What the sweeper needs from the store it cleans. */
export interface SweepTarget {
  /** Keys that carry a TTL; the sweeper walks them incrementally. */
  readonly expiringKeys: ReadonlySet<string>;
  /** Removes `key` when it has expired by `now`; returns whether it did. */
  evictIfExpired(key: string, now: number): boolean;
  /** Current time in milliseconds. */
  now(): number;
}

/** Keys looked at per round before the share of expired ones is checked. */
const SAMPLE_SIZE = 200;
/** Keep sweeping while more than this share of a round had expired (Redis uses 25%). */
const REPEAT_ABOVE_EXPIRED_SHARE = 0.25;
/** Longest a sweep may run in one tick, in milliseconds, so it never stalls the event loop. */
const TIME_BUDGET_MS = 10;
/** Pause after a sweep that ran out of budget, in milliseconds: a mass expiry is freed at about half of one core. */
const BUSY_PAUSE_MS = TIME_BUDGET_MS;

/**
 * Frees expired keys that nobody reads, the way Redis' active expiry does: each tick walks a
 * bounded number of expiring keys from where the last tick stopped, and goes on while many of
 * them had expired and the time budget allows. When a sweep runs out of budget (a mass expiry),
 * the next one comes after a short pause instead of a full interval. Its timer is unref'd: it never
 * keeps a process alive.
 */
export class ExpirySweeper {
  private timer: NodeJS.Timeout | undefined;
  private cursor: Iterator<string> | undefined;
  private running = false;

  constructor(
    private readonly target: SweepTarget,
    private readonly intervalMs: number,
  ) {}

  /** Starts the periodic sweep (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.intervalMs);
  }

  /** Stops the periodic sweep (idempotent). */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.cursor = undefined;
  }

  /** Runs one sweep now; returns how many keys it freed. */
  sweep(): number {
    return this.sweepWithinBudget().freed;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      const { outOfBudget } = this.sweepWithinBudget();
      if (this.running) this.schedule(outOfBudget ? BUSY_PAUSE_MS : this.intervalMs);
    }, delayMs);
    this.timer.unref();
  }

  private sweepWithinBudget(): { freed: number; outOfBudget: boolean } {
    const started = performance.now();
    const now = this.target.now();
    let freed = 0;
    for (;;) {
      let seen = 0;
      let expired = 0;
      while (seen < SAMPLE_SIZE) {
        const next = this.nextKey();
        if (next === undefined) return { freed: freed + expired, outOfBudget: false };
        seen++;
        if (this.target.evictIfExpired(next, now)) expired++;
      }
      freed += expired;
      if (expired / seen <= REPEAT_ABOVE_EXPIRED_SHARE) return { freed, outOfBudget: false };
      if (performance.now() - started > TIME_BUDGET_MS) return { freed, outOfBudget: true };
    }
  }

  /** The next expiring key after the cursor; undefined once per full pass. */
  private nextKey(): string | undefined {
    this.cursor ??= this.target.expiringKeys.values();
    const step = this.cursor.next();
    if (step.done) {
      this.cursor = undefined;
      return undefined;
    }
    return step.value;
  }
}
