import { InvalidOptionsError, NotANumberError } from '../core/errors.js';
import { compareKeys } from '../core/key-order.js';
import { KvStore } from '../core/kv-store.js';
import { addForIncrement, formatStoredNumber, parseStoredNumber } from '../core/stored-number.js';
import { describeValue } from '../core/describe-value.js';
import type { KeyRange, KvStoreStats, RawValue } from '../core/types.js';
import { assertKnownOptions } from '../core/validation.js';
import { serializerName } from '../core/resolve-serializer.js';
import { ExpiryQueue } from './expiry-queue.js';
import { ExpirySweeper, type SweepTarget } from './expiry-sweeper.js';
import { KeyIndex } from './key-index.js';
import {
  Entry,
  expiresAtOf,
  hasExpired,
  indexedEntries,
  rawOf,
  type Stored,
} from './stored-value.js';
import {
  MEMORY_STORE_OPTION_NAMES,
  validateMaxEntries,
  validateSweepInterval,
  type MemoryStoreOptions,
} from './memory-store-options.js';

/** Statistics of the in-memory store. */
export interface MemoryStoreStats extends KvStoreStats {
  backend: 'memory';
  /** The `maxEntries` bound, or null when unbounded. */
  maxEntries: number | null;
  /** Entries evicted so far because of `maxEntries`. */
  evictions: number;
  /** Expired entries freed so far (on access or by the sweep). */
  expirations: number;
}

/**
 * The embedded default store: values are kept serialized (callers can never mutate what is
 * stored), a B+ tree keeps keys in UTF-8 byte order for O(log n + k) ranges (new keys join it at
 * the next ordered read), expired keys are freed on access and by an active sweep, and
 * `maxEntries` turns it into an LRU cache.
 */
export class MemoryStore extends KvStore {
  /** Always `'memory'`. */
  readonly backend = 'memory' as const;

  private readonly entries = new Map<string, Stored>();
  /** The keys of `entries` in UTF-8 byte order, each with its entry. */
  private readonly index = new KeyIndex<Entry>(indexedEntries(this.entries));
  private readonly expiring = new Set<string>();
  private readonly maxEntries: number | null;
  /** Whether values without a TTL get an entry at their put: from the first ordered read on. */
  private wrapsValues = false;
  /** With `maxEntries` only: expiry times, so that room is made by freeing expired entries first. */
  private readonly expiryQueue: ExpiryQueue | undefined;
  private readonly clock: () => number;
  private readonly sweeper: ExpirySweeper;
  private evictions = 0;
  private expirations = 0;

  /** Creates an in-memory store; throws `InvalidOptionsError` for unknown or invalid options. */
  constructor(options: MemoryStoreOptions = {}) {
    assertKnownOptions(
      options,
      MEMORY_STORE_OPTION_NAMES,
      'memory store options',
      InvalidOptionsError,
    );
    super(options);
    this.maxEntries = validateMaxEntries(options.maxEntries);
    this.expiryQueue =
      this.maxEntries === null
        ? undefined
        : new ExpiryQueue((key, expiresAt) => {
            const stored = this.entries.get(key);
            return stored !== undefined && expiresAtOf(stored) === expiresAt;
          });
    if (options.now !== undefined && typeof options.now !== 'function') {
      throw new InvalidOptionsError(`now must be a function; got ${describeValue(options.now)}`);
    }
    this.clock = options.now ?? Date.now;
    const target: SweepTarget = {
      expiringKeys: this.expiring,
      now: this.clock,
      evictIfExpired: (key, now) => this.evictIfExpired(key, now),
    };
    this.sweeper = new ExpirySweeper(target, validateSweepInterval(options.sweepInterval));
    this.sweeper.start();
  }

  /** Runs one active-expiry sweep now; returns how many expired keys it freed. */
  sweepExpired(): number {
    return this.sweeper.sweep();
  }

  override async getStats(): Promise<MemoryStoreStats> {
    return (await super.getStats()) as MemoryStoreStats;
  }

  /** Frees `key` when it has expired by `now`; returns whether it did. */
  private evictIfExpired(key: string, now: number): boolean {
    const stored = this.entries.get(key);
    if (stored === undefined || !hasExpired(stored, now)) return false;
    this.remove(key, stored);
    this.expirations++;
    return true;
  }

  protected readRaw(key: string): RawValue | undefined {
    const stored = this.live(key);
    return stored === undefined ? undefined : rawOf(stored);
  }

  protected readManyRaw(keys: readonly string[]): Array<RawValue | undefined> {
    return keys.map((key) => this.readRaw(key));
  }

  protected writeRaw(key: string, raw: RawValue, ttlMs: number | null): void {
    this.set(key, raw, ttlMs === null ? 0 : this.clock() + ttlMs);
  }

  protected writeManyRaw(entries: ReadonlyArray<[string, RawValue]>, ttlMs: number | null): void {
    const expiresAt = ttlMs === null ? 0 : this.clock() + ttlMs;
    for (const [key, raw] of entries) this.set(key, raw, expiresAt);
  }

  protected writeRawIfAbsent(key: string, raw: RawValue, ttlMs: number | null): boolean {
    if (this.live(key) !== undefined) return false;
    this.writeRaw(key, raw, ttlMs);
    return true;
  }

  protected incrementRaw(key: string, by: number, ttlMs: number | null | undefined): number {
    const stored = this.live(key);
    let current = 0;
    if (stored !== undefined) {
      const raw = rawOf(stored);
      const text = typeof raw === 'string' ? raw : raw.toString('latin1');
      const number = parseStoredNumber(text);
      if (number === undefined) throw new NotANumberError(key);
      current = number;
    }
    const next = addForIncrement(key, current, by);
    let expiresAt: number;
    if (ttlMs !== undefined) expiresAt = ttlMs === null ? 0 : this.clock() + ttlMs;
    else if (stored !== undefined) expiresAt = expiresAtOf(stored);
    else expiresAt = this.defaultTtlMs === null ? 0 : this.clock() + this.defaultTtlMs;
    const text = formatStoredNumber(next);
    this.set(key, this.serializer.binary ? Buffer.from(text, 'latin1') : text, expiresAt);
    return next;
  }

  protected deleteRaw(key: string): boolean {
    const stored = this.live(key);
    if (stored === undefined) return false;
    this.remove(key, stored);
    return true;
  }

  protected deleteManyRaw(keys: readonly string[]): number {
    let removed = 0;
    for (const key of keys) if (this.deleteRaw(key)) removed++;
    return removed;
  }

  protected existsRaw(key: string): boolean {
    return this.live(key) !== undefined;
  }

  protected ttlRaw(key: string): number | null | undefined {
    const stored = this.live(key);
    if (stored === undefined) return undefined;
    const expiresAt = expiresAtOf(stored);
    return expiresAt === 0 ? null : expiresAt - this.clock();
  }

  protected rangeRaw(range: KeyRange, limit: number | undefined): Array<[string, RawValue]> {
    const rows: Array<[string, RawValue]> = [];
    const expired: Array<[string, Entry]> = [];
    const max = limit ?? Number.POSITIVE_INFINITY;
    const now = this.clock();
    this.wrapsValues = true;
    // The tree holds each entry beside its key: a range reads no hash table, which at a million
    // keys would cost a cache miss per row.
    for (const [key, entry] of this.index.entries(range.start)) {
      if (range.end !== undefined && compareKeys(key, range.end) >= 0) break;
      if (range.prefix !== undefined && !key.startsWith(range.prefix)) break;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
        expired.push([key, entry]);
        continue;
      }
      rows.push([key, entry.raw]);
      if (rows.length >= max) break;
    }
    // Entries a range returns count as used, as every other read does (see maxEntries).
    if (this.maxEntries !== null) {
      for (const [key] of rows) this.touch(key, this.entries.get(key) as Entry);
    }
    // The tree must not change while its iterator is live.
    for (const [key, entry] of expired) {
      this.remove(key, entry);
      this.expirations++;
    }
    return rows;
  }

  protected clearRaw(): number {
    const now = this.clock();
    let live = 0;
    for (const stored of this.entries.values()) if (!hasExpired(stored, now)) live++;
    this.entries.clear();
    this.index.clear();
    this.expiring.clear();
    this.expiryQueue?.clear();
    return live;
  }

  protected statsRaw(): MemoryStoreStats {
    const now = this.clock();
    let expiringKeys = 0;
    for (const key of this.expiring) {
      const stored = this.entries.get(key);
      if (stored instanceof Entry && stored.expiresAt > now) expiringKeys++;
    }
    const expiredUnswept = this.expiring.size - expiringKeys;
    return {
      backend: 'memory',
      serializer: serializerName(this.serializer),
      totalKeys: this.entries.size - expiredUnswept,
      expiringKeys,
      maxEntries: this.maxEntries,
      evictions: this.evictions,
      expirations: this.expirations,
    };
  }

  protected pingRaw(): void {
    // Always reachable: the data lives in this process.
  }

  protected closeRaw(): void {
    this.sweeper.stop();
    this.entries.clear();
    this.index.clear();
    this.expiring.clear();
  }

  /** What the store holds under a live key; frees it (lazy expiry) when it has expired. */
  private live(key: string): Stored | undefined {
    const stored = this.entries.get(key);
    if (stored === undefined) return undefined;
    if (hasExpired(stored, this.clock())) {
      this.remove(key, stored);
      this.expirations++;
      return undefined;
    }
    if (this.maxEntries !== null) this.touch(key, stored);
    return stored;
  }

  private set(key: string, raw: RawValue, expiresAt: number): void {
    const entries = this.entries;
    const existing = entries.get(key);
    if (existing instanceof Entry) {
      existing.raw = raw;
      existing.expiresAt = expiresAt;
      if (this.maxEntries !== null) this.touch(key, existing);
    } else {
      const stored = expiresAt === 0 && !this.wrapsValues ? raw : new Entry(raw, expiresAt, false);
      // Map order doubles as recency order: a key written moves to the end.
      if (existing !== undefined && this.maxEntries !== null) entries.delete(key);
      entries.set(key, stored);
      if (existing === undefined) {
        this.index.add(key);
        if (this.maxEntries !== null && entries.size > this.maxEntries) this.makeRoom();
      }
    }
    if (expiresAt !== 0) {
      this.expiring.add(key);
      this.expiryQueue?.push(key, expiresAt, entries.size);
    }
    // Skipped while no key has a TTL: a miss in the set would still cost a hash lookup per put.
    else if (this.expiring.size !== 0) this.expiring.delete(key);
  }

  /** Marks `key`, which holds `stored`, most recently used. */
  private touch(key: string, stored: Stored): void {
    this.entries.delete(key);
    this.entries.set(key, stored);
  }

  private remove(key: string, stored: Stored): void {
    this.entries.delete(key);
    this.index.delete(key, stored instanceof Entry && stored.indexed);
    this.expiring.delete(key);
  }

  /** Frees one entry beyond `maxEntries`: an expired one when there is one, else the least recently used. */
  private makeRoom(): void {
    const expired = this.expiryQueue?.takeExpired(this.clock());
    const expiredEntry = expired === undefined ? undefined : this.entries.get(expired);
    if (expired !== undefined && expiredEntry !== undefined) {
      this.remove(expired, expiredEntry);
      this.expirations++;
      return;
    }
    const oldest = this.entries.entries().next();
    if (oldest.done) return;
    this.remove(...oldest.value);
    this.evictions++;
  }
}
