/** Most keys in backoff at once; past it the oldest go first (their loader may run again sooner). */
const MAX_KEYS = 10_000;

/**
 * Keys whose loader failed recently, with when it may run again (`graceBackoff`) and how it
 * failed: until then a call that holds a graced value serves it without running the loader.
 * @internal One per `KvCache`.
 */
export class GraceBackoff {
  /** When each key's loader may run again (ms since the epoch) and how it failed, oldest first. */
  private readonly failures = new Map<
    string,
    { readonly until: number; readonly error: unknown }
  >();

  /** Records that the loader of `key` failed with `error`: it rests for `backoffMs`. */
  failed(key: string, backoffMs: number, now: number, error?: unknown): void {
    if (backoffMs <= 0) return;
    this.failures.delete(key);
    this.failures.set(key, { until: now + backoffMs, error });
    if (this.failures.size > MAX_KEYS) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  /** True while the loader of `key` rests. */
  resting(key: string, now: number): boolean {
    return this.failureOf(key, now) !== undefined;
  }

  /** How the loader of `key` failed, while it rests; undefined otherwise. */
  failureOf(key: string, now: number): { readonly error: unknown } | undefined {
    const failure = this.failures.get(key);
    if (failure === undefined) return undefined;
    if (now < failure.until) return failure;
    this.failures.delete(key);
    return undefined;
  }

  /** Forgets the failure of `key` (its loader succeeded, or it was invalidated). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Forgets every failure. */
  clear(): void {
    this.failures.clear();
  }
}
