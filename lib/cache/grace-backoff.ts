/** Most keys in backoff at once; past it the oldest go first (their loader may run again sooner). */
const MAX_KEYS = 10_000;

/**
 * Keys whose loader failed recently, with when it may run again (`graceBackoff`): until then a
 * call that holds a graced value serves it without running the loader.
 * @internal One per `KvCache`.
 */
export class GraceBackoff {
  /** Milliseconds since the epoch when each key's loader may run again, oldest failure first. */
  private readonly retryAt = new Map<string, number>();

  /** Records that the loader of `key` failed: it rests for `backoffMs`. */
  failed(key: string, backoffMs: number, now: number): void {
    if (backoffMs <= 0) return;
    this.retryAt.delete(key);
    this.retryAt.set(key, now + backoffMs);
    if (this.retryAt.size > MAX_KEYS)
      this.retryAt.delete(this.retryAt.keys().next().value as string);
  }

  /** True while the loader of `key` rests. */
  resting(key: string, now: number): boolean {
    const until = this.retryAt.get(key);
    if (until === undefined) return false;
    if (now < until) return true;
    this.retryAt.delete(key);
    return false;
  }

  /** Forgets the failure of `key` (its loader succeeded, or it was invalidated). */
  forget(key: string): void {
    this.retryAt.delete(key);
  }

  /** Forgets every failure. */
  clear(): void {
    this.retryAt.clear();
  }
}
