import type { SerializerOption } from '../serializers/serializer.js';
import type { TelemetryOption } from '../telemetry/telemetry-options.js';
import type { Ttl } from './ttl.js';

/** Options of `put`, `putMany` and `putIfAbsent`. */
export interface PutOptions {
  /** Seconds (fractions allowed) or a duration; omitted: the store's `defaultTtl`; `null`: never expires. */
  ttl?: Ttl;
}

/** Options of `increment`. */
export interface IncrementOptions {
  /**
   * Seconds or a duration, (re)applied on every call that passes it. Omitted: a key created by the
   * increment gets the store's `defaultTtl` and an existing key keeps its remaining TTL.
   */
  ttl?: Ttl;
}

/** Options of `rangeGet`. */
export interface RangeOptions {
  /** Return at most this many entries (the first ones in key order); a positive integer. */
  limit?: number;
}

/** Options of `iterate`. */
export interface IterateOptions extends RangeOptions {
  /** How many entries each round trip fetches (default 100); a positive integer. */
  batchSize?: number;
}

/** Statistics every backend reports; backends add fields of their own. */
export interface KvStoreStats {
  /** Which backend answers: `'memory'` or `'redis'`. */
  backend: string;
  /** Name of the serializer in use (`'json'`, `'rich'` or a custom name). */
  serializer: string;
  /** Keys of this store that are live now. */
  totalKeys: number;
  /** Of those, the keys that have a TTL. */
  expiringKeys: number;
}

/** Options every backend accepts. */
export interface CommonStoreOptions {
  /** `'json'` (default), `'rich'` (alias `'pickle'`) or a custom `{ serialize, deserialize }`. */
  serializer?: SerializerOption;
  /** TTL applied when a write passes none, in seconds or a duration; default: never expires. */
  defaultTtl?: Ttl;
  /**
   * OpenTelemetry spans and metrics (default on, whenever an SDK is registered); `false` turns
   * them off for this store; an object tunes them. See docs/observability.md.
   */
  telemetry?: TelemetryOption;
}

/** Stored text or bytes as backends hold them. */
export type RawValue = string | Buffer;

/** A value or a promise of it: backends that answer synchronously skip a microtask. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A validated range as backends receive it: keys k with `start <= k`, and `k < end` when `end`
 * is set, and `k` starting with `prefix` when `prefix` is set. Order is UTF-8 byte order.
 */
export interface KeyRange {
  /** First key included (`''`: from the first key). */
  start: string;
  /** First key no longer included, when set. */
  end?: string;
  /** Only keys that start with this text, when set. */
  prefix?: string;
}
