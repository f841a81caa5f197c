import { EventEmitter } from 'node:events';
import { describeValue } from '../core/describe-value.js';
import { InvalidOptionsError } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import { assertKnownOptions } from '../core/validation.js';

/** Options of {@link KeyvKvStoreAdapter}. */
export interface KeyvKvStoreAdapterOptions {
  /**
   * Close the store when Keyv's `disconnect()` is called (default `false`). Leave it off when the
   * store belongs to someone else, such as `KvStoreModule`, which closes it at shutdown: Nest's
   * `CacheModule` calls `disconnect()` in `onModuleDestroy`, before `beforeApplicationShutdown`
   * hooks that may still write.
   */
  closeStoreOnDisconnect?: boolean;
}

/** One entry of a Keyv `setMany` call; `ttl` is in milliseconds, as Keyv passes it. */
export interface KeyvSetManyEntry {
  /** The key, namespace included. */
  key: string;
  /** What Keyv stores: its serialized text, or its `{ value, expires }` object. */
  value: unknown;
  /** Milliseconds to live; absent or 0: never expires. */
  ttl?: number;
}

/** What Keyv reads from `adapter.opts`. */
export interface KeyvAdapterOptions {
  /** The backend name (`'memory'` or `'redis'`); Keyv enables `iterator()` only for dialects it knows, such as redis. */
  dialect: string;
  /** A descriptive URL (`kv-store://<backend>`), never carrying credentials. */
  url: string;
}

/**
 * A Keyv storage adapter over any `KvStore`, so `keyv`, `cache-manager` (and `@nestjs/cache-manager`)
 * and `cacheable` can run on these stores: `new Keyv({ store: new KeyvKvStoreAdapter(store) })`.
 * Keyv's TTLs are milliseconds; they are converted to the store's seconds. Keyv namespaces map to key
 * prefixes (`namespace:key`), so `clear()` with a namespace removes that namespace only, through
 * an ordered range delete. The adapter stores whatever Keyv hands it: give Keyv
 * `serialize: undefined, deserialize: undefined` and its `{ value, expires }` entries are stored
 * as plain values through the store's own serializer, instead of a JSON string inside a value.
 * `disconnect()` leaves the store open unless `closeStoreOnDisconnect` is set.
 */
export class KeyvKvStoreAdapter extends EventEmitter {
  /** Read by Keyv to decide what the adapter supports. */
  readonly opts: KeyvAdapterOptions;
  /** Set by Keyv: the namespace its keys are prefixed with, if any. */
  namespace?: string;

  private readonly closeStoreOnDisconnect: boolean;

  /**
   * Wraps `store`. Throws `InvalidOptionsError` for an unknown option or a
   * `closeStoreOnDisconnect` that is not a boolean.
   */
  constructor(
    private readonly store: KvStore,
    options: KeyvKvStoreAdapterOptions = {},
  ) {
    super();
    assertKnownOptions(
      options,
      ['closeStoreOnDisconnect'],
      'KeyvKvStoreAdapter options',
      InvalidOptionsError,
    );
    const close = options.closeStoreOnDisconnect ?? false;
    if (typeof close !== 'boolean') {
      throw new InvalidOptionsError(
        `KeyvKvStoreAdapter option closeStoreOnDisconnect must be true or false; got ${describeValue(close)}`,
      );
    }
    this.closeStoreOnDisconnect = close;
    this.opts = { dialect: store.backend, url: `kv-store://${store.backend}` };
  }

  /** The stored data of `key` (Keyv's serialized text, or its envelope object), or undefined. */
  get(key: string): Promise<unknown> {
    return this.store.get(key);
  }

  /** Values of `keys` in order, undefined where missing. */
  getMany(keys: string[]): Promise<unknown[]> {
    return this.store.getMany(keys);
  }

  /** Stores `value`; `ttl` in milliseconds (absent or 0: never expires). */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    await this.store.put(key, value, { ttl: toSeconds(ttl) });
    return true;
  }

  /** Stores every entry, each with its own TTL in milliseconds. */
  async setMany(entries: KeyvSetManyEntry[]): Promise<void> {
    const byTtl = new Map<number | null, Array<[string, unknown]>>();
    for (const { key, value, ttl } of entries) {
      const seconds = toSeconds(ttl);
      const group = byTtl.get(seconds) ?? [];
      group.push([key, value]);
      byTtl.set(seconds, group);
    }
    await Promise.all([...byTtl].map(([ttl, group]) => this.store.putMany(group, { ttl })));
  }

  /** Removes `key`; true when it existed. */
  delete(key: string): Promise<boolean> {
    return this.store.delete(key);
  }

  /** Removes `keys`; true when any existed. */
  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.store.deleteMany(keys)) > 0;
  }

  /** Whether `key` holds a value. */
  has(key: string): Promise<boolean> {
    return this.store.exists(key);
  }

  /** Whether each of `keys` holds a value. */
  hasMany(keys: string[]): Promise<boolean[]> {
    return Promise.all(keys.map((key) => this.store.exists(key)));
  }

  /** Removes the keys of the current namespace, or every key of the store without one. */
  async clear(): Promise<void> {
    if (this.namespace === undefined) {
      await this.store.clear();
      return;
    }
    let batch: string[] = [];
    for await (const [key] of this.store.iterate(`${this.namespace}:`)) {
      batch.push(key);
      if (batch.length === 500) {
        await this.store.deleteMany(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await this.store.deleteMany(batch);
  }

  /** Yields `[key, data]` of a namespace (or of every key), in key order. */
  async *iterator(namespace?: string): AsyncGenerator<[string, unknown], void> {
    yield* this.store.iterate(namespace === undefined ? '' : `${namespace}:`);
  }

  /** Closes the underlying store when `closeStoreOnDisconnect` is set; otherwise leaves it open. */
  async disconnect(): Promise<void> {
    if (this.closeStoreOnDisconnect) await this.store.close();
  }
}

function toSeconds(ttlMs: number | undefined): number | null {
  return typeof ttlMs === 'number' && ttlMs > 0 ? ttlMs / 1000 : null;
}
