import type { RawValue } from '../../core/types.js';

/**
 * The claim of a read in flight to fill one key. An invalidation, a flush or an own write of the
 * key removes it; the read's reply fills the cache only if its claim is still in place, so a
 * value read before a change never lands after the change was reported.
 */
export class PendingFill {
  constructor(
    /** The user key the read is for. */
    readonly key: string,
  ) {}
}

/**
 * A cached value: what is held, the `performance.now()` instant it expires at (0: never), and
 * its size as counted against `maxBytes`.
 */
interface CachedValue {
  raw: RawValue;
  expiresAt: number;
  size: number;
}

/**
 * Serialized values and pending fills by user key, bounded by `maxEntries` (values and claims)
 * and `maxBytes` (sizes of values) with least recently used eviction (a Map keeps insertion
 * order; a hit or a fill moves its key to the end). Knows nothing of Redis: the near cache
 * decides when to read, fill and drop.
 */
export class NearEntries {
  private readonly slots = new Map<string, CachedValue | PendingFill>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    /** Bound on the sum of the held values' sizes (Infinity: none). */
    private readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {}

  /** The sum of the sizes of the values held (expired values not yet dropped included). */
  get heldBytes(): number {
    return this.bytes;
  }

  /** The live value of `key`, or undefined (an expired value is dropped on the way). */
  hit(key: string): RawValue | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined || slot instanceof PendingFill) return undefined;
    if (slot.expiresAt !== 0 && performance.now() >= slot.expiresAt) {
      this.delete(key);
      return undefined;
    }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.raw;
  }

  /**
   * Claims `key` for a read about to be sent. Reads of one key sent while a claim stands share
   * it: they all started after the last change that removed a claim.
   */
  claim(key: string): PendingFill {
    const slot = this.slots.get(key);
    if (slot instanceof PendingFill) return slot;
    const fill = new PendingFill(key);
    if (slot !== undefined) this.delete(key);
    this.insert(key, fill);
    return fill;
  }

  /**
   * Stores `raw` of `size` bytes if `fill` still stands, evicting the least recently used values
   * until the held bytes fit `maxBytes` (a value larger than the bound is not stored);
   * `expiresAt` as in `performance.now()` (0: never).
   */
  fill(fill: PendingFill, raw: RawValue, expiresAt: number, size = 0): boolean {
    if (this.slots.get(fill.key) !== fill) return false;
    this.slots.delete(fill.key);
    if (size > this.maxBytes) return false;
    this.slots.set(fill.key, { raw, expiresAt, size });
    this.bytes += size;
    if (this.bytes > this.maxBytes) {
      for (const [key, slot] of this.slots) {
        if (this.bytes <= this.maxBytes) break;
        if (!(slot instanceof PendingFill)) this.delete(key);
      }
    }
    return true;
  }

  /** Withdraws `fill` when its read brought nothing to cache. */
  release(fill: PendingFill): void {
    if (this.slots.get(fill.key) === fill) this.slots.delete(fill.key);
  }

  /** Drops the value or claim of `key`; true when there was one. */
  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    if (!(slot instanceof PendingFill)) this.bytes -= slot.size;
    return this.slots.delete(key);
  }

  /** Drops everything, claims included. */
  clear(): void {
    this.slots.clear();
    this.bytes = 0;
  }

  /** Values held now (claims and expired values not yet dropped excluded). */
  countValues(): number {
    const now = performance.now();
    let count = 0;
    for (const slot of this.slots.values()) {
      if (!(slot instanceof PendingFill) && (slot.expiresAt === 0 || slot.expiresAt > now)) {
        count++;
      }
    }
    return count;
  }

  private insert(key: string, slot: CachedValue | PendingFill): void {
    if (this.slots.size >= this.maxEntries) {
      const oldest = this.slots.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    this.slots.set(key, slot);
  }
}
