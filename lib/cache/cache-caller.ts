import { isStoreUnavailable, LoaderTimeoutError, quoteKey } from '../core/errors.js';
import type { KvStore } from '../core/kv-store.js';
import { supportsLeases, type LeaseCapable } from '../core/lease.js';
import { supportsServerReads } from '../core/server-reads.js';
import { recordCachedOutcome, recordCachedStoreError } from '../telemetry/cached-telemetry.js';
import { entryWrite, isStaleEnvelope, storedResult, withinGrace } from './cache-entry.js';
import {
  DEFAULT_LEASE_TTL_MS,
  defaultLeaseMaxLifetimeMs,
  usesEnvelope,
  type CachePolicy,
} from './cache-options.js';
import { countResilience, type CacheCall, type CacheScope, type HeldEntry } from './cache-scope.js';
import { readTagVersions, recordTagVersions, sameVersions, tagRowKey } from './cache-tags.js';
import { FinishedFlights } from './finished-flights.js';
import { GraceBackoff } from './grace-backoff.js';
import type { HeldValues } from './held-values.js';
import { InFlightCalls } from './in-flight-calls.js';
import { LoaderRun } from './loader-context.js';
import {
  distributedFlight,
  leaseToken,
  tryTakeLease,
  whileHoldingLease,
  type LeaseTerms,
} from './single-flight.js';
import { StoreAvailability } from './store-availability.js';

/** Where a cache writes its warnings (Nest's `Logger`, `console`, or any logger with `warn`). */
export interface CacheLogger {
  /** Logs one warning. */
  warn(message: string): void;
}

/**
 * Runs cached calls over one store: reads, coalescing in this process, cross-instance
 * single-flight on shared stores, stale-while-revalidate refreshes, grace and loader timeouts,
 * and writes with tags.
 * @internal One per `KvCache`.
 */
export class CacheCaller {
  /** Loads running now, by key, shared by concurrent callers of one key. */
  readonly inFlight = new InFlightCalls();
  /** Keys whose stale entry is being refreshed by this process, with the refresh's own marker. */
  private readonly refreshing = new Map<string, object>();
  /**
   * Invalidations (of a key, a prefix or tags) this cache made: a call that started before one
   * neither holds what it read or loaded nor writes a held copy after it.
   */
  private invalidations = 0;
  /** Flights that ended while reads issued before their end were outstanding (see `joinOrLoad`). */
  readonly finishedFlights = new FinishedFlights();
  /** Whether graced calls may ask the store now. */
  readonly availability = new StoreAvailability();
  /** Keys whose loader failed recently (`graceBackoff`). */
  readonly backoff = new GraceBackoff();

  constructor(
    readonly store: KvStore,
    private readonly logger: CacheLogger,
    /** The last good values of graced keys, served while the store cannot be asked. */
    readonly held: HeldValues,
  ) {}

  /** One call. */
  async call<I>(scope: CacheScope<I>, input: I): Promise<unknown> {
    // A key that cannot be built rejects the call (this is an async function).
    const key = scope.keyOf(input);
    const { policy, state } = scope;
    // Taken now: a call that started before an invalidation must not write its result after it.
    const { generation } = state;
    const { invalidations } = this;
    // Loader timeouts count from here, the store read included.
    const startedAt = performance.now();
    if (policy.graceMs !== undefined && this.availability.isAway) {
      return this.whileAway({ scope, input, key, generation, invalidations, startedAt });
    }
    const readEpoch = this.finishedFlights.readStarted();
    // A hit costs one store read, a counter and its outcome record: no callbacks are allocated
    // for it, and the call record is built only on a miss or an envelope hit.
    let hit: unknown;
    try {
      hit = await this.store.get(key);
    } catch (error) {
      this.finishedFlights.readDone();
      this.storeFailed(scope, 'read', key, error);
      const call = { scope, input, key, generation, invalidations, startedAt };
      if (!isStoreUnavailable(error)) return this.joinOrLoad(call, readEpoch);
      if (policy.graceMs !== undefined) {
        this.availability.failed(Date.now());
        return this.whileAway(call);
      }
      return this.joinOrLoad({ ...call, storeUnavailable: true }, readEpoch);
    }
    this.finishedFlights.readDone();
    if (this.availability.isAway) this.storeAnswered();
    if (hit === undefined) {
      // The store has no entry: whatever was held for the key was deleted or invalidated.
      this.held.drop(key);
      return this.joinOrLoad(
        { scope, input, key, generation, invalidations, startedAt },
        readEpoch,
      );
    }
    if (!usesEnvelope(policy)) {
      state.counters.hits++;
      recordCachedOutcome(this.store, scope.id, 'hit');
      return hit;
    }
    return this.serveEnvelope(
      { scope, input, key, generation, invalidations, startedAt },
      hit,
      readEpoch,
    );
  }

  /**
   * A hit of an envelope: fresh, stale within `staleWhileRevalidate` (refresh in the
   * background), within `grace` (load, falling back on it), or foreign or past both (a miss).
   */
  private serveEnvelope(call: CacheCall, stored: unknown, readEpoch: number): unknown {
    if (!isStaleEnvelope(stored)) {
      this.held.drop(call.key);
      return this.joinOrLoad(call, readEpoch);
    }
    const { scope } = call;
    const { policy } = scope;
    const { counters } = scope.state;
    const now = Date.now();
    if (policy.graceMs !== undefined) this.hold(call, stored.value, stored.freshUntil);
    if (now < stored.freshUntil) {
      counters.hits++;
      recordCachedOutcome(this.store, scope.id, 'hit');
      return stored.value;
    }
    const stale: HeldEntry = { value: stored.value, freshUntil: stored.freshUntil };
    if (policy.staleMs !== undefined && now < stored.freshUntil + policy.staleMs) {
      counters.staleServed++;
      recordCachedOutcome(this.store, scope.id, 'stale');
      // A loader that failed rests for graceBackoff, refreshes included.
      if (!this.backoff.resting(call.key, now)) this.refresh({ ...call, stale });
      return stored.value;
    }
    if (!withinGrace(policy, stored.freshUntil, now)) return this.joinOrLoad(call, readEpoch);
    if (this.backoff.resting(call.key, now)) return this.graced(scope, stored.value);
    return this.joinOrLoad({ ...call, stale }, readEpoch);
  }

  /**
   * A graced call while the store cannot be asked: the value held in process when it is within
   * grace, without running the loader; else the loader's last error while it rests in
   * `graceBackoff`; otherwise a load that skips the store and holds its result.
   */
  private whileAway(call: CacheCall): unknown {
    const now = Date.now();
    if (this.availability.shouldProbe(now)) this.probe(call.key);
    const held = this.held.get(call.key);
    if (held !== undefined && withinGrace(call.scope.policy, held.freshUntil, now)) {
      return this.graced(call.scope, held.value);
    }
    // Nothing to serve and the loader failed within graceBackoff: spare the origin, fail as it did.
    const failure = this.backoff.failureOf(call.key, now);
    if (failure !== undefined) return Promise.reject(failure.error);
    return this.joinOrLoad(call);
  }

  /** Reads `key` in the background to learn whether the store answers again. */
  private probe(key: string): void {
    const store = this.store;
    const read = supportsServerReads(store) ? store.getManyFromServer([key]) : store.get(key);
    read.then(
      () => this.storeAnswered(),
      (error: unknown) => {
        if (isStoreUnavailable(error)) this.availability.failed(Date.now());
        else this.storeAnswered();
      },
    );
  }

  /**
   * The store answered a call of this cache: graced calls ask it again at once, and values held
   * while it was away, which may be older than what it has now, are dropped.
   */
  storeAnswered(): void {
    if (this.availability.answered()) this.held.clear();
  }

  /**
   * Forgets `key` in this process: its flight is detached, its held copy and backoff go, and
   * calls that started before now hold nothing they read or load.
   */
  forgetKey(key: string): void {
    this.invalidations++;
    this.inFlight.detach(key);
    this.held.drop(key);
    this.backoff.forget(key);
  }

  /** Forgets every key under `prefix` in this process, as {@link CacheCaller.forgetKey} does. */
  forgetPrefix(prefix: string): void {
    this.invalidations++;
    this.inFlight.detachPrefix(prefix);
    this.held.dropPrefix(prefix);
  }

  /** Forgets in this process what `tags` cover: their flights, and every held copy. */
  forgetTags(tags: ReadonlySet<string>): void {
    this.invalidations++;
    this.inFlight.detachTagged(tags);
    // Held copies do not record their tags: dropping them all never serves an invalidated value.
    this.held.clear();
  }

  /** Holds a value `call` read or loaded, unless this cache invalidated anything since it started. */
  private hold(call: CacheCall, value: unknown, freshUntil: number): void {
    if (call.invalidations === this.invalidations) this.held.keep(call.key, value, freshUntil);
  }

  /** Answers with a value within grace instead of a loader's result; counted and recorded. */
  private graced(scope: CacheScope, value: unknown): unknown {
    countResilience(scope.state.counters, 'staleOnError');
    recordCachedOutcome(this.store, scope.id, 'grace');
    return value;
  }

  /**
   * Joins the call of the same key that is in flight, or starts it. A caller whose miss comes
   * from a read issued in `readEpoch` also joins a flight that finished after that read was
   * issued: the read may have been answered before that flight's write, and a second run would
   * break "concurrent callers of one key share one run".
   */
  private joinOrLoad(call: CacheCall, readEpoch?: number): Promise<unknown> {
    const { key, scope } = call;
    const running =
      this.inFlight.get(key) ??
      (readEpoch === undefined ? undefined : this.finishedFlights.since(key, readEpoch));
    if (running) {
      scope.state.counters.coalesced++;
      recordCachedOutcome(this.store, scope.id, 'coalesced');
      return this.answer(call, running);
    }
    return this.answer(
      call,
      this.startFlight(key, () => this.load(call)),
    );
  }

  /** Runs `run` as the flight of `key` that later callers of the key join. */
  private startFlight(key: string, run: () => Promise<unknown>): Promise<unknown> {
    const flight = run().finally(() => {
      // An invalidation may have replaced this entry with a newer call; leave that one alone.
      // Only a flight no invalidation detached may answer callers whose reads are late.
      if (this.inFlight.settle(key, flight)) this.finishedFlights.finished(key, flight);
    });
    this.inFlight.start(key, flight);
    return flight;
  }

  /**
   * What one caller gets from a flight: its result, or with a stale value to fall back on that
   * value when the flight fails or passes the soft timeout; past the hard timeout, the stale
   * value or {@link LoaderTimeoutError}, and the flight is detached from its key. The flight goes
   * on either way and caches its result.
   */
  private answer(call: CacheCall, flight: Promise<unknown>): Promise<unknown> {
    const { scope, stale } = call;
    const { softTimeoutMs, hardTimeoutMs } = scope.policy;
    if (stale === undefined && hardTimeoutMs === undefined) return flight;
    return new Promise((resolve, reject) => {
      const elapsed = performance.now() - call.startedAt;
      let soft: NodeJS.Timeout | undefined;
      let hard: NodeJS.Timeout | undefined;
      const settle = (): void => {
        clearTimeout(soft);
        clearTimeout(hard);
      };
      if (stale !== undefined && softTimeoutMs !== undefined) {
        soft = setTimeout(
          () => {
            settle();
            countResilience(scope.state.counters, 'softTimeouts');
            recordCachedOutcome(this.store, scope.id, 'grace');
            resolve(stale.value);
          },
          Math.max(0, softTimeoutMs - elapsed),
        );
      }
      if (hardTimeoutMs !== undefined) {
        hard = setTimeout(
          () => {
            settle();
            // The run is left to finish in the background and the next call of the key starts
            // another: a loader that never settles holds its key one hardTimeout at most.
            this.inFlight.settle(call.key, flight);
            countResilience(scope.state.counters, 'hardTimeouts');
            if (stale !== undefined) {
              resolve(this.graced(scope, stale.value));
              return;
            }
            reject(
              new LoaderTimeoutError(
                `${scope.label}: the loader of ${quoteKey(call.key)} ran longer than its hardTimeout (${hardTimeoutMs / 1000} s); it goes on in the background`,
              ),
            );
          },
          Math.max(0, hardTimeoutMs - elapsed),
        );
      }
      flight.then(
        (result) => {
          settle();
          resolve(result);
        },
        (error: unknown) => {
          settle();
          if (stale === undefined) {
            reject(error);
            return;
          }
          this.logger.warn(
            `${scope.label}: the loader of ${JSON.stringify(call.key)} failed, serving the value within grace: ${errorMessage(error)}`,
          );
          resolve(this.graced(scope, stale.value));
        },
      );
    });
  }

  /** A miss: one instance computes when the store's leases are shared, else this process does. */
  private load(call: CacheCall): Promise<unknown> {
    const { scope, key } = call;
    const { policy, state } = scope;
    const compute = (): Promise<unknown> => {
      state.counters.misses++;
      recordCachedOutcome(this.store, scope.id, 'miss');
      return this.computeAndStore(call);
    };
    const shared =
      this.local(policy) || call.storeUnavailable === true ? undefined : sharedLeases(this.store);
    if (shared === undefined || !policy.lockWaitMs) return compute();
    return distributedFlight(
      shared,
      key,
      { lockWaitMs: policy.lockWaitMs, lease: leaseTerms(policy) },
      {
        read: async () => storedResult(policy, await this.store.get(key), Date.now()),
        compute,
        onWaited: () => {
          state.counters.lockWaits++;
        },
        onTimedOut: () => {
          state.counters.lockTimeouts++;
        },
        onStoreError: (what, error) => this.storeFailed(scope, what, key, error),
        onLeaseGivenUp: () => this.leaseGivenUp(scope, 'computation', key),
      },
    );
  }

  /** True when a graced call site's loads skip the store, which cannot be asked now. */
  private local(policy: CachePolicy): boolean {
    return policy.graceMs !== undefined && this.availability.isAway;
  }

  /**
   * Starts the background refresh of a stale entry unless one runs: in this process (the
   * `refreshing` set) or, on a shared store, in any instance (the key's lease).
   */
  private refresh(call: CacheCall): void {
    const { scope, key } = call;
    if (this.refreshing.has(key) || this.inFlight.has(key)) return;
    const marker = {};
    this.refreshing.set(key, marker);
    // A refresh that gave its lease up no longer counts as refreshing: the next stale hit starts
    // another (which takes the lease in turn).
    const done = (): void => {
      if (this.refreshing.get(key) === marker) this.refreshing.delete(key);
    };
    this.runRefresh(call, done)
      .catch((error: unknown) => this.refreshFailed(scope, key, error))
      .finally(done);
  }

  /** Counts and logs a refresh whose loader or write failed. */
  private refreshFailed(scope: CacheScope, key: string, error: unknown): void {
    scope.state.counters.refreshFailures++;
    this.logger.warn(
      `${scope.label}: refresh of ${JSON.stringify(key)} failed, the stale entry stays: ${errorMessage(error)}`,
    );
  }

  private async runRefresh(call: CacheCall, givenUp: () => void): Promise<void> {
    const { scope, key } = call;
    const shared = sharedLeases(this.store);
    // A refresh writes for callers to come; it starts from the current invalidation generation.
    const current: CacheCall = {
      ...call,
      generation: scope.state.generation,
      invalidations: this.invalidations,
    };
    if (shared === undefined) {
      await this.refreshFlight(current);
      return;
    }
    const terms = leaseTerms(scope.policy);
    const lease = await tryTakeLease(shared, key, leaseToken(), terms);
    // Another instance holds the lease: it is refreshing (or computing) this key already.
    if (lease === undefined) return;
    const onGivenUp = (): void => {
      this.leaseGivenUp(scope, 'refresh', key);
      givenUp();
    };
    await whileHoldingLease(shared, lease, terms, onGivenUp, async () => {
      // Another instance may have refreshed between this one's stale read and its lease.
      const stored = await this.store.get(key);
      if (isStaleEnvelope(stored) && Date.now() < stored.freshUntil) return;
      await this.refreshFlight(current);
    });
  }

  /**
   * Runs a refresh as the key's flight, so that a call of the key that misses meanwhile joins it
   * instead of running the loader beside it; nothing when a call's flight runs already.
   */
  private async refreshFlight(call: CacheCall): Promise<void> {
    if (this.inFlight.has(call.key)) return;
    call.scope.state.counters.refreshes++;
    await this.startFlight(call.key, () => this.computeAndStore(call, 'refresh'));
  }

  /**
   * Runs the loader and stores a cacheable result with its tags. For a caller's call, a failed
   * write only costs the caching; a refresh rejects, so that it is counted as failed. While the
   * store cannot be asked, a graced call site's result is held in process instead.
   */
  private async computeAndStore(
    call: CacheCall,
    purpose: 'call' | 'refresh' = 'call',
  ): Promise<unknown> {
    const { scope, input, key, generation } = call;
    const { policy } = scope;
    const local = this.local(policy);
    // A store that did not answer this call's read is not asked again by it.
    const skipsStore = local || call.storeUnavailable === true;
    const tags = scope.tagsOf(input);
    // An invalidation of these tags detaches this run, held or written alike.
    if (tags) this.inFlight.tag(key, tags);
    let versionsBefore: unknown[] | undefined;
    if (tags && !skipsStore) {
      try {
        versionsBefore = await recordTagVersions(this.store, tags);
      } catch (error) {
        // Without the versions an invalidation could be missed: the result is not cached.
        this.storeFailed(scope, 'tag version read', key, error);
      }
    }
    const run = new LoaderRun(key, call.stale?.value);
    let result: unknown;
    try {
      result = await scope.load(input, run);
    } catch (error) {
      if (policy.graceMs !== undefined) {
        this.backoff.failed(key, policy.graceBackoffMs ?? 0, Date.now(), error);
      }
      throw error;
    }
    if (policy.graceMs !== undefined) this.backoff.forget(key);
    // Stores cannot hold undefined, so such results are simply not cached.
    if (result === undefined || run.skipped) return result;
    if (!scope.keeps(result, input)) return result;
    if (scope.state.generation !== generation) return result;
    if (local) {
      this.hold(call, result, Date.now() + (run.ttlMs ?? (policy.ttlMs as number)));
      return result;
    }
    if (call.storeUnavailable === true) return result;
    let writeTags = tags;
    let versions = versionsBefore;
    if (run.tags !== undefined) {
      this.inFlight.tag(key, run.tags);
      ({ writeTags, versions } = await this.loaderTags(scope, key, run.tags, tags, versionsBefore));
    }
    // A version that vanished as it was recorded would make any later read look changed.
    if (writeTags && (versions === undefined || versions.includes(undefined))) return result;
    try {
      await this.write(call, result, writeTags, versions, run.ttlMs);
    } catch (error) {
      if (policy.graceMs !== undefined && isStoreUnavailable(error)) {
        this.availability.failed(Date.now());
      }
      // Callers that joined a refresh get its result; the refresh still counts as failed.
      if (purpose === 'refresh') this.refreshFailed(scope, key, error);
      else this.storeFailed(scope, 'write', key, error);
    }
    return result;
  }

  /**
   * Tags the loader chose, with their versions: those also given before the run keep the version
   * read before it; the others are read now, so an invalidation of them during the run is missed.
   */
  private async loaderTags(
    scope: CacheScope,
    key: string,
    chosen: readonly string[],
    given: readonly string[] | undefined,
    givenVersions: readonly unknown[] | undefined,
  ): Promise<{ writeTags?: readonly string[]; versions?: unknown[] }> {
    if (chosen.length === 0) return {};
    try {
      const now = await recordTagVersions(this.store, chosen);
      const versions = chosen.map((tag, i) => {
        const j = given?.indexOf(tag) ?? -1;
        return j >= 0 ? givenVersions?.[j] : now[i];
      });
      return { writeTags: chosen, versions };
    } catch (error) {
      this.storeFailed(scope, 'tag version read', key, error);
      return { writeTags: chosen };
    }
  }

  private async write(
    call: CacheCall,
    result: unknown,
    tags: readonly string[] | undefined,
    versionsBefore: readonly unknown[] | undefined,
    ttlMs: number | undefined,
  ): Promise<void> {
    const { scope, key } = call;
    const { policy } = scope;
    const entry = entryWrite(policy, result, Date.now(), Math.random, ttlMs ?? policy.ttlMs);
    const { stored, options } = entry;
    const { store } = this;
    if (policy.graceMs !== undefined && entry.freshUntil !== undefined) {
      this.hold(call, result, entry.freshUntil);
    }
    if (!tags || !versionsBefore) {
      await store.put(key, stored, options);
      this.storeAnswered();
      return;
    }
    const rows = tags.map((tag) => tagRowKey(tag, key));
    await store.putMany([[key, stored], ...rows.map((row): [string, number] => [row, 1])], options);
    this.storeAnswered();
    // An invalidation that bumped a version after our first read may have deleted the rows
    // before they were written: undo the write rather than keep an entry it meant to remove.
    if (!sameVersions(versionsBefore, await readTagVersions(store, tags))) {
      this.held.drop(key);
      await store.deleteMany([key, ...rows]);
    }
  }

  /** Logs that a run of `key` outlived `leaseMaxLifetime` and gave its lease up. */
  private leaseGivenUp(scope: CacheScope, what: string, key: string): void {
    const seconds = (leaseTerms(scope.policy).maxLifetimeMs / 1000).toString();
    this.logger.warn(
      `${scope.label}: ${what} of ${JSON.stringify(key)} still running after leaseMaxLifetime (${seconds} s); ` +
        'its lease is given up so that another instance can compute the key',
    );
  }

  /** Logs and counts a failed store operation; the call goes on without the cache. */
  private storeFailed(scope: CacheScope, what: string, key: string, error: unknown): void {
    scope.state.counters.errors++;
    recordCachedStoreError(this.store, scope.id, error);
    this.logger.warn(
      `${scope.label}: cache ${what} of ${JSON.stringify(key)} failed, calling through: ${errorMessage(error)}`,
    );
  }
}

/** How long a run of a call site may hold its key's lease. */
function leaseTerms(policy: CachePolicy): LeaseTerms {
  const ttlMs = policy.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  return {
    ttlMs,
    maxLifetimeMs:
      policy.leaseMaxLifetimeMs ?? defaultLeaseMaxLifetimeMs(policy.lockWaitMs ?? 0, ttlMs),
  };
}

/** The store's leases when other processes share them; undefined for process-local stores. */
function sharedLeases(store: object): LeaseCapable | undefined {
  return supportsLeases(store) && store.leasesSharedAcrossProcesses ? store : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
