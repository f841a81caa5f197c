import type { Serializer } from '../serializers/serializer.js';
import { resolveSerializer, serializerName } from './resolve-serializer.js';
import {
  DeserializationError,
  InvalidArgumentError,
  KvStoreError,
  SerializationError,
  StoreClosedError,
} from './errors.js';
import { compareKeys, keySuccessor } from './key-order.js';
import type { TelemetryTarget } from '../telemetry/telemetry-target.js';
import { applyTelemetryOption } from './telemetry-option.js';
import { describeValue } from './describe-value.js';
import { optionTtlToMilliseconds } from './option-ttl.js';
import { ttlToMilliseconds } from './ttl.js';
import type {
  CommonStoreOptions,
  IncrementOptions,
  IterateOptions,
  KeyRange,
  KvStoreStats,
  MaybePromise,
  PutOptions,
  RangeOptions,
  RawValue,
} from './types.js';
import {
  assertKey,
  assertKeys,
  assertKnownOptions,
  assertLimit,
  assertValue,
} from './validation.js';

const PUT_OPTIONS = ['ttl'] as const;
const RANGE_OPTIONS = ['limit'] as const;
const ITERATE_OPTIONS = ['limit', 'batchSize'] as const;
const DEFAULT_BATCH_SIZE = 100;

/**
 * The key-value store contract every backend fulfils, and the injection token of
 * `KvStoreModule`. Keys are non-empty strings ordered by their UTF-8 bytes; TTLs are seconds
 * (or durations). Validation, serialization and the closed state live here, once; backends
 * implement the protected `*Raw` methods over serialized values.
 */
export abstract class KvStore implements AsyncDisposable {
  /** Which backend this is: `'memory'` or `'redis'`. */
  abstract readonly backend: string;

  /** The serializer values go through. */
  protected readonly serializer: Serializer;
  /** The store's default TTL in milliseconds, or null for "never expires". */
  protected readonly defaultTtlMs: number | null;

  private closed = false;
  private closing: Promise<void> | undefined;

  protected constructor(options: CommonStoreOptions) {
    this.serializer = resolveSerializer(options.serializer);
    this.defaultTtlMs =
      options.defaultTtl === undefined
        ? null
        : optionTtlToMilliseconds(options.defaultTtl, 'defaultTtl');
    applyTelemetryOption(this, options.telemetry, () => this.describeTelemetryTarget());
  }

  /** Stores `value` under `key`, replacing any previous value and TTL. */
  async put(key: string, value: unknown, options?: PutOptions): Promise<void> {
    this.assertOpen();
    assertKey(key);
    const ttlMs = this.resolveTtl(options);
    const raw = this.encode(key, value);
    const written = this.writeRaw(key, raw, ttlMs);
    // A memory write is synchronous: awaiting its undefined would cost one more microtask.
    if (written instanceof Promise) await written;
  }

  /** Returns the value stored under `key`, or `undefined` when there is none. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Returns the value stored under `key`, or `defaultValue` when there is none. */
  get<T = unknown>(key: string, defaultValue: T): Promise<T>;
  async get<T>(key: string, defaultValue?: T): Promise<T | undefined> {
    this.assertOpen();
    assertKey(key);
    let raw = this.readRaw(key);
    if (raw instanceof Promise) raw = await raw;
    return raw === undefined ? defaultValue : (this.decode(key, raw) as T);
  }

  /** Removes `key`; resolves true when a key was removed. */
  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    return this.deleteRaw(key);
  }

  /** Resolves true when `key` holds a live value. */
  async exists(key: string): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    return this.existsRaw(key);
  }

  /**
   * Entries in UTF-8 byte order of their keys. With `endKey`: keys k with startKey <= k < endKey
   * (an empty list when startKey >= endKey). Without: every key that starts with `startKey`
   * (`''` matches every key). A value that does not decode rejects with a `DeserializationError`.
   */
  async rangeGet<T = unknown>(
    startKey: string,
    endKey?: string,
    options?: RangeOptions,
  ): Promise<Array<[string, T]>> {
    this.assertOpen();
    const range = toKeyRange(startKey, endKey);
    assertKnownOptions(options, RANGE_OPTIONS, 'rangeGet options');
    assertLimit(options?.limit);
    if (range === undefined) return [];
    const rows = await this.rangeRaw(range, options?.limit);
    return rows.map(([key, raw]) => [key, this.decode(key, raw) as T]);
  }

  /**
   * Iterates the same range as `rangeGet`, fetching `batchSize` entries (default 100) at a time,
   * so ranges larger than memory can be walked. Keys written during iteration may or may not appear.
   */
  async *iterate<T = unknown>(
    startKey: string,
    endKey?: string,
    options?: IterateOptions,
  ): AsyncGenerator<[string, T], void, undefined> {
    this.assertOpen();
    const range = toKeyRange(startKey, endKey);
    assertKnownOptions(options, ITERATE_OPTIONS, 'iterate options');
    assertLimit(options?.limit);
    assertLimit(options?.batchSize, 'batchSize');
    if (range === undefined) return;
    const batchSize = options?.batchSize ?? DEFAULT_BATCH_SIZE;
    let remaining = options?.limit ?? Number.POSITIVE_INFINITY;
    let cursor: KeyRange = range;
    while (remaining > 0) {
      this.assertOpen();
      const rows = await this.rangeRaw(cursor, Math.min(batchSize, remaining));
      for (const [key, raw] of rows) yield [key, this.decode(key, raw) as T];
      remaining -= rows.length;
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < batchSize) return;
      cursor = { ...range, start: keySuccessor(last[0]) };
    }
  }

  /** Stores `value` only when `key` holds nothing (atomically); resolves whether it stored. */
  async putIfAbsent(key: string, value: unknown, options?: PutOptions): Promise<boolean> {
    this.assertOpen();
    assertKey(key);
    const ttlMs = this.resolveTtl(options);
    const raw = this.encode(key, value);
    return this.writeRawIfAbsent(key, raw, ttlMs);
  }

  /**
   * Adds `by` (default 1, may be negative or fractional) to the number under `key` atomically and
   * resolves the new number; a missing key starts at 0. A non-numeric value rejects with
   * `NotANumberError`. Counters are stored as decimal text under the json and rich serializers.
   */
  async increment(key: string, by = 1, options?: IncrementOptions): Promise<number> {
    this.assertOpen();
    assertKey(key);
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      throw new InvalidArgumentError(
        `increment of key ${JSON.stringify(key)}: by must be a finite number; got ${describeValue(by)}`,
      );
    }
    assertKnownOptions(options, PUT_OPTIONS, 'increment options');
    const ttlMs = options?.ttl === undefined ? undefined : ttlToMilliseconds(options.ttl, 'ttl');
    return this.incrementRaw(key, by, ttlMs);
  }

  /** Values of `keys` in the same order, `undefined` where a key holds nothing. */
  async getMany<T = unknown>(keys: readonly string[]): Promise<Array<T | undefined>> {
    this.assertOpen();
    assertKeys(keys);
    if (keys.length === 0) return [];
    const raws = await this.readManyRaw(keys);
    return raws.map((raw, i) =>
      raw === undefined ? undefined : (this.decode(keys[i] as string, raw) as T),
    );
  }

  /**
   * Stores every `[key, value]` entry with the same options. Every key and value is checked and
   * serialized before anything is written: one bad entry rejects the call and writes nothing.
   */
  async putMany(
    entries: Iterable<readonly [string, unknown]>,
    options?: PutOptions,
  ): Promise<void> {
    this.assertOpen();
    const ttlMs = this.resolveTtl(options);
    const encoded = this.encodeEntries(entries);
    if (encoded.length === 0) return;
    await this.writeManyRaw(encoded, ttlMs);
  }

  /** Removes every key in `keys`; resolves how many existed. */
  async deleteMany(keys: readonly string[]): Promise<number> {
    this.assertOpen();
    assertKeys(keys);
    if (keys.length === 0) return 0;
    return this.deleteManyRaw(keys);
  }

  /**
   * Remaining time to live of `key` in seconds (fractional, millisecond resolution);
   * `null` when the key exists and never expires; `undefined` when there is no such key.
   */
  async ttl(key: string): Promise<number | null | undefined> {
    this.assertOpen();
    assertKey(key);
    const ms = await this.ttlRaw(key);
    return typeof ms === 'number' ? ms / 1000 : ms;
  }

  /** Removes every key of this store (and nothing outside it, such as other Redis prefixes); resolves how many. */
  async clear(): Promise<number> {
    this.assertOpen();
    return this.clearRaw();
  }

  /** Counts and backend details; the same base shape on every backend. */
  async getStats(): Promise<KvStoreStats> {
    this.assertOpen();
    return this.statsRaw();
  }

  /** Resolves when the backend answers (within the store's `timeout` on Redis); used by health checks. */
  async ping(): Promise<void> {
    this.assertOpen();
    await this.pingRaw();
  }

  /** True once `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Releases timers and connections; idempotent. Every later call rejects with `StoreClosedError`. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = Promise.resolve().then(() => this.closeRaw());
    }
    return this.closing;
  }

  /** `await using store = createStore(...)` closes the store at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Where this store's operations go, for telemetry attributes; backends with a server say. */
  protected describeTelemetryTarget(): TelemetryTarget {
    return {};
  }

  /** Throws {@link StoreClosedError} after `close()`. */
  protected assertOpen(): void {
    if (this.closed) throw new StoreClosedError(this.backend);
  }

  /** The TTL in milliseconds that a write with these options gets (`null`: never expires). */
  protected resolveTtl(options: PutOptions | undefined): number | null {
    if (options === undefined) return this.defaultTtlMs;
    assertKnownOptions(options, PUT_OPTIONS, 'put options');
    return options.ttl === undefined ? this.defaultTtlMs : ttlToMilliseconds(options.ttl, 'ttl');
  }

  /** Serializes `value` for `key`, turning every failure into a {@link SerializationError}. */
  protected encode(key: string, value: unknown): RawValue {
    assertValue(key, value);
    let serialized: string | Uint8Array;
    try {
      serialized = this.serializer.serialize(value);
    } catch (error) {
      throw new SerializationError(key, errorMessage(error), error);
    }
    if (typeof serialized === 'string' || Buffer.isBuffer(serialized)) return serialized;
    if (serialized instanceof Uint8Array) {
      return Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength);
    }
    throw new SerializationError(
      key,
      `serializer ${serializerName(this.serializer)} returned ${describeValue(serialized)} instead of a string or bytes`,
    );
  }

  /** Deserializes stored bytes of `key`, turning every failure into a {@link DeserializationError}. */
  protected decode(key: string, raw: RawValue): unknown {
    try {
      return this.serializer.deserialize(raw);
    } catch (error) {
      throw new DeserializationError(key, errorMessage(error), error);
    }
  }

  private encodeEntries(entries: Iterable<readonly [string, unknown]>): Array<[string, RawValue]> {
    if (entries === null || typeof entries !== 'object' || !(Symbol.iterator in entries)) {
      throw new InvalidArgumentError(
        `entries must be an iterable of [key, value] pairs; got ${describeValue(entries)}`,
      );
    }
    const encoded: Array<[string, RawValue]> = [];
    const seen = new Map<string, number>();
    let index = 0;
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new InvalidArgumentError(`entries[${index}] must be a [key, value] pair`);
      }
      const [key, value] = entry as [unknown, unknown];
      assertKey(key, `entries[${index}] key`);
      const raw = this.encode(key, value);
      // A key given twice keeps its last value, as consecutive puts would.
      const previous = seen.get(key);
      if (previous === undefined) {
        seen.set(key, encoded.length);
        encoded.push([key, raw]);
      } else {
        encoded[previous] = [key, raw];
      }
      index++;
    }
    return encoded;
  }

  /** Reads the raw value of a live key. */
  protected abstract readRaw(key: string): MaybePromise<RawValue | undefined>;
  /** Reads raw values of live keys, in order. */
  protected abstract readManyRaw(
    keys: readonly string[],
  ): MaybePromise<Array<RawValue | undefined>>;
  /** Writes a raw value with a TTL in milliseconds (`null`: never expires). */
  protected abstract writeRaw(key: string, raw: RawValue, ttlMs: number | null): MaybePromise<void>;
  /** Writes every entry atomically with one TTL (`null`: never expires). */
  protected abstract writeManyRaw(
    entries: ReadonlyArray<[string, RawValue]>,
    ttlMs: number | null,
  ): MaybePromise<void>;
  /** Writes only when the key holds nothing; resolves whether it wrote. */
  protected abstract writeRawIfAbsent(
    key: string,
    raw: RawValue,
    ttlMs: number | null,
  ): MaybePromise<boolean>;
  /**
   * Adds `by` atomically and resolves the new number. `ttlMs` undefined: new keys get
   * `defaultTtlMs`, existing keys keep theirs; otherwise the TTL is (re)applied.
   */
  protected abstract incrementRaw(
    key: string,
    by: number,
    ttlMs: number | null | undefined,
  ): MaybePromise<number>;
  /** Deletes a key; resolves whether it existed. */
  protected abstract deleteRaw(key: string): MaybePromise<boolean>;
  /** Deletes keys; resolves how many existed. */
  protected abstract deleteManyRaw(keys: readonly string[]): MaybePromise<number>;
  /** Whether a live key exists. */
  protected abstract existsRaw(key: string): MaybePromise<boolean>;
  /** Remaining TTL in milliseconds, `null` for no expiry, `undefined` for no such key. */
  protected abstract ttlRaw(key: string): MaybePromise<number | null | undefined>;
  /** Live entries of a range in UTF-8 byte order, at most `limit`. */
  protected abstract rangeRaw(
    range: KeyRange,
    limit: number | undefined,
  ): MaybePromise<Array<[string, RawValue]>>;
  /** Removes every key of this store; resolves how many. */
  protected abstract clearRaw(): MaybePromise<number>;
  /** Backend statistics. */
  protected abstract statsRaw(): MaybePromise<KvStoreStats>;
  /** Checks the backend answers. */
  protected abstract pingRaw(): MaybePromise<void>;
  /** Releases the backend's timers and connections; called once. */
  protected abstract closeRaw(): MaybePromise<void>;
}

/** Validates range bounds; `undefined` when the range is empty by construction (start >= end). */
function toKeyRange(startKey: unknown, endKey: unknown): KeyRange | undefined {
  if (typeof startKey !== 'string') {
    throw new InvalidArgumentError(`startKey must be a string; got ${describeValue(startKey)}`);
  }
  if (startKey.length > 0) assertKey(startKey, 'startKey');
  if (endKey === undefined) return { start: startKey, prefix: startKey };
  assertKey(endKey, 'endKey');
  return compareKeys(startKey, endKey) >= 0 ? undefined : { start: startKey, end: endKey };
}

function errorMessage(error: unknown): string {
  if (error instanceof KvStoreError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
