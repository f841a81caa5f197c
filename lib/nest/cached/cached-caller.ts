import { Logger } from '@nestjs/common';
import { InvalidOptionsError } from '../../core/errors.js';
import { supportsLeases, type LeaseCapable } from '../../core/lease.js';
import { describeValue } from '../../core/describe-value.js';
import { cachedKey } from './cache-key.js';
import { recordCachedOutcome, recordCachedStoreError } from '../../telemetry/cached-telemetry.js';
import {
  readTagVersions,
  recordTagVersions,
  sameVersions,
  tagRowKey,
  tagsOfCall,
} from './cache-tags.js';
import { type CachedCall, type CachedMethod, flightKey } from './cached-call.js';
import { FinishedFlights } from './finished-flights.js';
import { DEFAULT_LEASE_TTL_MS, defaultLeaseMaxLifetimeMs } from './multi-instance-options.js';
import {
  distributedFlight,
  leaseToken,
  tryTakeLease,
  whileHoldingLease,
  type LeaseTerms,
} from './single-flight.js';
import { entryWrite, isStaleEnvelope, storedResult } from './stale-while-revalidate.js';

/**
 * Runs calls of `@Cached` methods: reads, coalescing in this process, cross-instance
 * single-flight on shared stores, stale-while-revalidate refreshes, and writes with tags.
 * @internal One per `KvCacheService`.
 */
export class CachedCaller {
  /** Calls running now, by store name and key, shared by concurrent callers of one key. */
  readonly inFlight = new Map<string, Promise<unknown>>();
  /** Tags of the calls in `inFlight` that have some, so `invalidateTags` can detach them. */
  readonly inFlightTags = new Map<string, readonly string[]>();
  /** Keys whose stale entry is being refreshed by this process, with the refresh's own marker. */
  private readonly refreshing = new Map<string, object>();
  /** Flights that ended while reads issued before their end were outstanding (see `joinOrLoad`). */
  readonly finishedFlights = new FinishedFlights();

  constructor(private readonly logger: Logger) {}

  /** One call of a wrapped method. */
  async call(
    cached: CachedMethod,
    instance: object,
    original: (...args: unknown[]) => unknown,
    args: unknown[],
  ): Promise<unknown> {
    // A key that cannot be built rejects the call (this is an async function).
    const key = cachedKey(cached, args);
    // Taken now: a call that started before an invalidation must not write its result after it.
    const { generation } = cached.state;
    const readEpoch = this.finishedFlights.readStarted();
    // A hit costs one store read, a counter and its outcome record: no callbacks are allocated
    // for it, and the call record is built only on a miss or a staleWhileRevalidate hit.
    let hit: unknown;
    try {
      hit = await cached.store.get(key);
    } catch (error) {
      this.finishedFlights.readDone();
      this.storeFailed(cached, 'read', key, error);
      return this.joinOrLoad({ cached, instance, original, args, key, generation }, readEpoch);
    }
    this.finishedFlights.readDone();
    if (hit === undefined) {
      return this.joinOrLoad({ cached, instance, original, args, key, generation }, readEpoch);
    }
    if (cached.metadata.staleMs === undefined) {
      cached.state.counters.hits++;
      recordCachedOutcome(cached.store, cached.id, 'hit');
      return hit;
    }
    return this.serveEnvelope(
      { cached, instance, original, args, key, generation },
      hit,
      readEpoch,
    );
  }

  /** A hit of a `staleWhileRevalidate` method: fresh, stale (refresh in the background) or foreign. */
  private serveEnvelope(call: CachedCall, stored: unknown, readEpoch: number): unknown {
    if (!isStaleEnvelope(stored)) return this.joinOrLoad(call, readEpoch);
    const { counters } = call.cached.state;
    if (Date.now() < stored.freshUntil) {
      counters.hits++;
      recordCachedOutcome(call.cached.store, call.cached.id, 'hit');
      return stored.value;
    }
    counters.staleServed++;
    recordCachedOutcome(call.cached.store, call.cached.id, 'stale');
    this.refresh(call);
    return stored.value;
  }

  /**
   * Joins the call of the same key that is in flight, or starts it. A caller whose miss comes
   * from a read issued in `readEpoch` also joins a flight that finished after that read was
   * issued: the read may have been answered before that flight's write, and a second run would
   * break "concurrent callers of one key share one run".
   */
  private joinOrLoad(call: CachedCall, readEpoch?: number): Promise<unknown> {
    const id = flightKey(call.cached, call.key);
    const running =
      this.inFlight.get(id) ??
      (readEpoch === undefined ? undefined : this.finishedFlights.since(id, readEpoch));
    if (running) {
      call.cached.state.counters.coalesced++;
      recordCachedOutcome(call.cached.store, call.cached.id, 'coalesced');
      return running;
    }
    const flight = this.load(call, id).finally(() => {
      // An invalidation may have replaced this entry with a newer call; leave that one alone.
      if (this.inFlight.get(id) === flight) {
        this.inFlight.delete(id);
        this.inFlightTags.delete(id);
        // Only a flight no invalidation detached may answer callers whose reads are late.
        this.finishedFlights.finished(id, flight);
      }
    });
    this.inFlight.set(id, flight);
    return flight;
  }

  /** A miss: one instance computes when the store's leases are shared, else this process does. */
  private load(call: CachedCall, id: string): Promise<unknown> {
    const { cached } = call;
    const { store, metadata, state } = cached;
    const shared = sharedLeases(store);
    const compute = (): Promise<unknown> => {
      state.counters.misses++;
      recordCachedOutcome(store, cached.id, 'miss');
      return this.computeAndStore(call, id);
    };
    if (shared === undefined || !metadata.lockWaitMs) return compute();
    return distributedFlight(
      shared,
      call.key,
      { lockWaitMs: metadata.lockWaitMs, lease: leaseTerms(cached) },
      {
        read: async () => storedResult(metadata, await store.get(call.key)),
        compute,
        onWaited: () => {
          state.counters.lockWaits++;
        },
        onTimedOut: () => {
          state.counters.lockTimeouts++;
        },
        onStoreError: (what, error) => this.storeFailed(cached, what, call.key, error),
        onLeaseGivenUp: () => this.leaseGivenUp(cached, 'computation', call.key),
      },
    );
  }

  /**
   * Starts the background refresh of a stale entry unless one runs: in this process (the
   * `refreshing` set) or, on a shared store, in any instance (the key's lease).
   */
  private refresh(call: CachedCall): void {
    const { cached } = call;
    const id = flightKey(cached, call.key);
    if (this.refreshing.has(id) || this.inFlight.has(id)) return;
    const marker = {};
    this.refreshing.set(id, marker);
    // A refresh that gave its lease up no longer counts as refreshing: the next stale hit starts
    // another (which takes the lease in turn).
    const done = (): void => {
      if (this.refreshing.get(id) === marker) this.refreshing.delete(id);
    };
    this.runRefresh(call, id, done)
      .catch((error: unknown) => {
        cached.state.counters.refreshFailures++;
        this.logger.warn(
          `@Cached ${cached.id}: refresh of ${JSON.stringify(call.key)} failed, the stale entry stays: ${errorMessage(error)}`,
        );
      })
      .finally(done);
  }

  private async runRefresh(call: CachedCall, id: string, givenUp: () => void): Promise<void> {
    const { cached } = call;
    const shared = sharedLeases(cached.store);
    // A refresh writes for callers to come; it starts from the current invalidation generation.
    const current: CachedCall = { ...call, generation: cached.state.generation };
    if (shared === undefined) {
      cached.state.counters.refreshes++;
      await this.computeAndStore(current, id, 'refresh');
      return;
    }
    const terms = leaseTerms(cached);
    const lease = await tryTakeLease(shared, call.key, leaseToken(), terms);
    // Another instance holds the lease: it is refreshing (or computing) this key already.
    if (lease === undefined) return;
    const onGivenUp = (): void => {
      this.leaseGivenUp(cached, 'refresh', call.key);
      givenUp();
    };
    await whileHoldingLease(shared, lease, terms, onGivenUp, async () => {
      // Another instance may have refreshed between this one's stale read and its lease.
      const stored = await cached.store.get(call.key);
      if (isStaleEnvelope(stored) && Date.now() < stored.freshUntil) return;
      cached.state.counters.refreshes++;
      await this.computeAndStore(current, id, 'refresh');
    });
  }

  /**
   * Runs the method and stores a cacheable result with its tags. For a caller's call, a failed
   * write only costs the caching; a refresh rejects, so that it is counted as failed.
   */
  private async computeAndStore(
    call: CachedCall,
    id: string,
    purpose: 'call' | 'refresh' = 'call',
  ): Promise<unknown> {
    const { cached, instance, original, args, key, generation } = call;
    const tags = tagsOfCall(cached, args);
    let versionsBefore: unknown[] | undefined;
    if (tags) {
      // Only callers' calls sit in inFlight; a refresh has no callers to detach.
      if (purpose === 'call') this.inFlightTags.set(id, tags);
      try {
        versionsBefore = await recordTagVersions(cached.store, tags);
      } catch (error) {
        // Without the versions an invalidation could be missed: the result is not cached.
        this.storeFailed(cached, 'tag version read', key, error);
      }
    }
    const pending = original.apply(instance, args);
    if (!isPromiseLike(pending)) {
      throw new InvalidOptionsError(
        `@Cached on ${cached.id}: the method returned ${describeValue(pending)} instead of a Promise; ` +
          '@Cached only applies to async methods',
      );
    }
    const result = await pending;
    // Stores cannot hold undefined, so such results are simply not cached.
    if (result === undefined) return result;
    if (cached.metadata.condition && !cached.metadata.condition(result, args)) return result;
    if (cached.state.generation !== generation) return result;
    // A version that vanished as it was recorded would make any later read look changed.
    if (tags && (versionsBefore === undefined || versionsBefore.includes(undefined))) return result;
    try {
      await this.write(call, result, tags, versionsBefore);
    } catch (error) {
      if (purpose === 'refresh') throw error;
      this.storeFailed(cached, 'write', key, error);
    }
    return result;
  }

  private async write(
    { cached, key }: CachedCall,
    result: unknown,
    tags: readonly string[] | undefined,
    versionsBefore: readonly unknown[] | undefined,
  ): Promise<void> {
    const { stored, options } = entryWrite(cached.metadata, result, Date.now());
    const { store } = cached;
    if (!tags || !versionsBefore) {
      await store.put(key, stored, options);
      return;
    }
    const rows = tags.map((tag) => tagRowKey(tag, key));
    await store.putMany([[key, stored], ...rows.map((row): [string, number] => [row, 1])], options);
    // An invalidation that bumped a version after our first read may have deleted the rows
    // before they were written: undo the write rather than keep an entry it meant to remove.
    if (!sameVersions(versionsBefore, await readTagVersions(store, tags))) {
      await store.deleteMany([key, ...rows]);
    }
  }

  /** Logs that a run of `key` outlived `leaseMaxLifetime` and gave its lease up. */
  private leaseGivenUp(cached: CachedMethod, what: string, key: string): void {
    const seconds = (leaseTerms(cached).maxLifetimeMs / 1000).toString();
    this.logger.warn(
      `@Cached ${cached.id}: ${what} of ${JSON.stringify(key)} still running after leaseMaxLifetime (${seconds} s); ` +
        'its lease is given up so that another instance can compute the key',
    );
  }

  /** Logs and counts a failed store operation; the call goes on without the cache. */
  storeFailed(cached: CachedMethod, what: string, key: string, error: unknown): void {
    cached.state.counters.errors++;
    recordCachedStoreError(cached.store, cached.id, error);
    this.logger.warn(
      `@Cached ${cached.id}: cache ${what} of ${JSON.stringify(key)} failed, calling through: ${errorMessage(error)}`,
    );
  }
}

/** How long a run of `cached` may hold its key's lease. */
function leaseTerms({ metadata }: CachedMethod): LeaseTerms {
  const ttlMs = metadata.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  return {
    ttlMs,
    maxLifetimeMs:
      metadata.leaseMaxLifetimeMs ?? defaultLeaseMaxLifetimeMs(metadata.lockWaitMs ?? 0, ttlMs),
  };
}

/** The store's leases when other processes share them; undefined for process-local stores. */
function sharedLeases(store: object): LeaseCapable | undefined {
  return supportsLeases(store) && store.leasesSharedAcrossProcesses ? store : undefined;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
