/** What the sweeper needs from the store whose index it prunes. */
export interface IndexSweepTarget {
  /** How many index shards there are. */
  readonly shardCount: number;
  /** Whether the connection is ready; the sweep skips ticks while it is not. */
  isReady(): boolean;
  /**
   * Visits up to `count` index members of `shard` after `cursor`, removing those whose data key
   * is gone; resolves [next cursor ('' after the last member), visited, removed].
   */
  sweepShard(shard: number, cursor: string, count: number): Promise<[string, number, number]>;
}

/** Members one script call visits: about a millisecond of server time. */
const BATCH = 500;
/** Keep sweeping a shard while more than this share of a batch was dead (Redis uses 25%). */
const REPEAT_ABOVE_DEAD_SHARE = 0.25;
/** Longest one tick keeps issuing batches, in milliseconds, so the sweep never hogs Redis. */
const TIME_BUDGET_MS = 50;

/**
 * Prunes index entries of keys that Redis expired, the way Redis' active expiry works: each
 * tick walks a bounded batch of every shard's index from where the last tick stopped, and goes on
 * while many of them were dead and the time budget allows. The timer is unref'd.
 */
export class IndexSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly cursors: string[];
  /** The last failure of a tick; the next tick simply tries again. */
  lastError: unknown;

  constructor(
    private readonly target: IndexSweepTarget,
    private readonly intervalMs: number,
  ) {
    this.cursors = new Array<string>(target.shardCount).fill('');
  }

  /** Starts the periodic sweep (idempotent). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running === undefined && this.target.isReady()) void this.tick();
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic sweep and waits for a tick in progress to end. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Runs one tick now; resolves how many index entries it removed. */
  async sweep(): Promise<number> {
    let removed = 0;
    const started = performance.now();
    await Promise.all(
      this.cursors.map(async (_, shard) => {
        for (;;) {
          const [next, visited, dead] = await this.target.sweepShard(
            shard,
            this.cursors[shard] as string,
            BATCH,
          );
          this.cursors[shard] = next;
          removed += dead;
          if (next === '' || visited === 0 || dead / visited <= REPEAT_ABOVE_DEAD_SHARE) return;
          if (performance.now() - started > TIME_BUDGET_MS) return;
        }
      }),
    );
    return removed;
  }

  private tick(): Promise<void> {
    this.running = this.sweep().then(
      () => {
        this.running = undefined;
      },
      (error: unknown) => {
        this.lastError = error;
        this.running = undefined;
      },
    );
    return this.running;
  }
}
