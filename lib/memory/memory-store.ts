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
import { KeyIndex, PENDING, type IndexedValue } from './key-index.js';
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

interface Entry extends IndexedValue {
  raw: RawValue;
  /** Milliseconds since the epoch; 0 when the entry never expires. */
  expiresAt: number;
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

  private readonly entries = new Map<string, Entry>();
  /** Keys in UTF-8 byte order, each with its entry (the same object as in `entries`). */
  private readonly index = new KeyIndex<Entry>();
  private readonly expiring = new Set<string>();
  private readonly maxEntries: number | null;
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
        : new ExpiryQueue((key, expiresAt) => this.entries.get(key)?.expiresAt === expiresAt);
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
    const entry = this.entries.get(key);
    if (entry === undefined || entry.expiresAt === 0 || entry.expiresAt > now) return false;
    this.remove(key, entry);
    this.expirations++;
    return true;
  }

  protected readRaw(key: string): RawValue | undefined {
    return this.live(key)?.raw;
  }

  protected readManyRaw(keys: readonly string[]): Array<RawValue | undefined> {
    return keys.map((key) => this.live(key)?.raw);
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
    const entry = this.live(key);
    let current = 0;
    if (entry !== undefined) {
      const text = typeof entry.raw === 'string' ? entry.raw : entry.raw.toString('latin1');
      const stored = parseStoredNumber(text);
      if (stored === undefined) throw new NotANumberError(key);
      current = stored;
    }
    const next = addForIncrement(key, current, by);
    let expiresAt: number;
    if (ttlMs !== undefined) expiresAt = ttlMs === null ? 0 : this.clock() + ttlMs;
    else if (entry !== undefined) expiresAt = entry.expiresAt;
    else expiresAt = this.defaultTtlMs === null ? 0 : this.clock() + this.defaultTtlMs;
    const text = formatStoredNumber(next);
    this.set(key, this.serializer.binary ? Buffer.from(text, 'latin1') : text, expiresAt);
    return next;
  }

  protected deleteRaw(key: string): boolean {
    const entry = this.live(key);
    if (entry === undefined) return false;
    this.remove(key, entry);
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
    const entry = this.live(key);
    if (entry === undefined) return undefined;
    return entry.expiresAt === 0 ? null : entry.expiresAt - this.clock();
  }

  protected rangeRaw(range: KeyRange, limit: number | undefined): Array<[string, RawValue]> {
    const rows: Array<[string, RawValue]> = [];
    const expired: Array<[string, Entry]> = [];
    const max = limit ?? Number.POSITIVE_INFINITY;
    const now = this.clock();
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
    if (this.maxEntries !== null) for (const [key] of rows) this.touch(key);
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
    for (const entry of this.entries.values()) {
      if (entry.expiresAt === 0 || entry.expiresAt > now) live++;
    }
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
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.expiresAt > now) expiringKeys++;
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

  /** The entry of a live key; frees it (lazy expiry) when it has expired. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.clock()) {
      this.remove(key, entry);
      this.expirations++;
      return undefined;
    }
    if (this.maxEntries !== null) this.touch(key);
    return entry;
  }

  private set(key: string, raw: RawValue, expiresAt: number): void {
    const existing = this.entries.get(key);
    if (existing === undefined) {
      const entry: Entry = { raw, expiresAt, indexState: PENDING };
      this.entries.set(key, entry);
      this.index.add(key, entry);
      if (this.maxEntries !== null && this.entries.size > this.maxEntries) this.makeRoom();
    } else {
      existing.raw = raw;
      existing.expiresAt = expiresAt;
      if (this.maxEntries !== null) {
        this.entries.delete(key);
        this.entries.set(key, existing);
      }
    }
    if (expiresAt !== 0) {
      this.expiring.add(key);
      this.expiryQueue?.push(key, expiresAt, this.entries.size);
    }
    // Skipped while no key has a TTL: a miss in the set would still cost a hash lookup per put.
    else if (this.expiring.size !== 0) this.expiring.delete(key);
  }

  /** Marks `key` most recently used: Map order doubles as recency order. */
  private touch(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.index.delete(key, entry);
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
