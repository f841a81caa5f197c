import { Injectable } from '@nestjs/common';
import { InvalidArgumentError, TimeoutError } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import { describeValue } from '../core/describe-value.js';
import { KvStoreRegistry } from './kv-store.registry.js';
import { describeStore } from './kv-store.tokens.js';

/** Options of {@link KvStoreHealthIndicator.isHealthy}. */
export interface KvStoreHealthOptions {
  /** Name of the store to check; default: the default store. */
  store?: string;
  /** Seconds the store has to answer a ping before it counts as down (default 1). */
  timeout?: number;
}

/** What the indicator reports under its key; `status` is what terminus reads. */
export interface KvStoreHealthDetails {
  /** `'up'` when the store answered a ping within the timeout. */
  status: 'up' | 'down';
  /** `'memory'` or `'redis'`. */
  backend: string;
  /** The store's name, `'default'` for the default store. */
  store: string;
  /** Why the store is down (absent when up). */
  message?: string;
}

/**
 * A health indicator result in the shape `@nestjs/terminus` expects (`HealthIndicatorResult`),
 * declared here so the library needs terminus neither at runtime nor for its types.
 */
export type KvStoreHealthResult<Key extends string> = Record<Key, KvStoreHealthDetails>;

const DEFAULT_TIMEOUT_SECONDS = 1;

/**
 * A `@nestjs/terminus` health indicator for the stores of `KvStoreModule` (terminus is an optional
 * peer: this class does not import it). Injectable wherever `KvStoreModule` is imported:
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.kv.isHealthy('kv'), () => this.kv.isHealthy('sessions', { store: 'sessions' })]);
 * }
 * ```
 */
@Injectable()
export class KvStoreHealthIndicator {
  constructor(private readonly registry: KvStoreRegistry) {}

  /**
   * `up` when the store answers a ping within `timeout` seconds, `down` with a message otherwise
   * (a closed store, an unreachable Redis, a slow answer); the details name the backend.
   * Throws `InvalidArgumentError` when the named store is not registered.
   */
  async isHealthy<const Key extends string>(
    key: Key,
    options: KvStoreHealthOptions = {},
  ): Promise<KvStoreHealthResult<Key>> {
    const store = this.registry.find(options.store);
    if (store === undefined) {
      throw new InvalidArgumentError(
        `KvStoreHealthIndicator: ${describeStore(options.store)} is not registered with KvStoreModule`,
      );
    }
    const timeout = options.timeout ?? DEFAULT_TIMEOUT_SECONDS;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new InvalidArgumentError(
        `KvStoreHealthIndicator: timeout must be a positive number of seconds; got ${describeValue(timeout)}`,
      );
    }
    const base = { backend: store.backend, store: options.store ?? 'default' };
    try {
      await pingWithin(store, timeout);
      return { [key]: { status: 'up', ...base } } as KvStoreHealthResult<Key>;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { [key]: { status: 'down', ...base, message } } as KvStoreHealthResult<Key>;
    }
  }
}

/** Rejects when the ping fails or takes longer than `seconds`; leaves no timer behind. */
async function pingWithin(store: KvStore, seconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TimeoutError(`the ${store.backend} store did not answer a ping within ${seconds}s`),
        ),
      seconds * 1000,
    );
  });
  try {
    await Promise.race([store.ping(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
