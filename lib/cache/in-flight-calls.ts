/**
 * Loads running now in one cache, by key: concurrent callers of a key share one, and an
 * invalidation detaches the ones it covers so that their results are not kept.
 * @internal One per `KvCache`.
 */
export class InFlightCalls {
  private readonly loads = new Map<string, Promise<unknown>>();
  /** Tags of the loads that have some, so `detachTagged` can find them. */
  private readonly tags = new Map<string, readonly string[]>();

  /** The load of `key` running now, or undefined. */
  get(key: string): Promise<unknown> | undefined {
    return this.loads.get(key);
  }

  /** True when a load of `key` runs now. */
  has(key: string): boolean {
    return this.loads.has(key);
  }

  /** Registers the load of `key`. */
  start(key: string, load: Promise<unknown>): void {
    this.loads.set(key, load);
  }

  /** Records the tags of the running load of `key`. */
  tag(key: string, tags: readonly string[]): void {
    this.tags.set(key, tags);
  }

  /**
   * Removes `load` when it is still the registered load of `key`; false when an invalidation
   * detached it (and maybe a newer load took its place).
   */
  settle(key: string, load: Promise<unknown>): boolean {
    if (this.loads.get(key) !== load) return false;
    this.loads.delete(key);
    this.tags.delete(key);
    return true;
  }

  /** Detaches the load of `key`: later callers start a new one. */
  detach(key: string): void {
    this.loads.delete(key);
    this.tags.delete(key);
  }

  /** Detaches every load whose key starts with `prefix`. */
  detachPrefix(prefix: string): void {
    for (const key of [...this.loads.keys()]) {
      if (key.startsWith(prefix)) this.detach(key);
    }
  }

  /** Detaches every load tagged with one of `tags`. */
  detachTagged(tags: ReadonlySet<string>): void {
    for (const [key, loadTags] of [...this.tags]) {
      if (loadTags.some((tag) => tags.has(tag))) this.detach(key);
    }
  }
}
