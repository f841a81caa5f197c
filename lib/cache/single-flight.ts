import { randomUUID } from 'node:crypto';
import type { LeaseCapable } from '../core/lease.js';

/** First pause of a waiting instance between two reads, in milliseconds. */
const FIRST_POLL_MS = 10;
/** Longest pause between two reads of a waiting instance, in milliseconds. */
const MAX_POLL_MS = 200;

/** What one distributed flight does with the store; the caller supplies counting and logging. */
export interface FlightSteps {
  /** Reads the key; resolves the cached result, or undefined when there is none yet. */
  read(): Promise<unknown>;
  /** Runs the method and stores its result (when it is cacheable); resolves the result. */
  compute(): Promise<unknown>;
  /** Another instance's result arrived (while this one waited, or just before it took the lease). */
  onWaited(): void;
  /** `lockWait` passed without a result: this instance computes without the lease. */
  onTimedOut(): void;
  /** A lease command or read failed: this instance computes without the lease. */
  onStoreError(what: string, error: unknown): void;
  /** This instance's run outlived `maxLifetimeMs` and gave its lease up (it goes on running). */
  onLeaseGivenUp(): void;
}

/** How long a run may hold a key's lease, in milliseconds. */
export interface LeaseTerms {
  /** Lifetime of the lease; re-armed every third of it while the run goes on. */
  readonly ttlMs: number;
  /**
   * Longest a run holds the lease, counted from just before it asked for it. The lease is never
   * armed past that point, so it ends then even when the holder can no longer release it.
   */
  readonly maxLifetimeMs: number;
}

/** Timing of a flight, in milliseconds. */
export interface FlightTiming {
  readonly lockWaitMs: number;
  readonly lease: LeaseTerms;
}

/** A lease this run took: its name, its token and when it asked for it (`performance.now()`). */
export interface TakenLease {
  readonly name: string;
  readonly token: string;
  readonly askedAt: number;
}

/**
 * Cross-instance single-flight of one key on a store whose leases every process shares.
 *
 * The instance that takes the key's lease reads the key again (the previous holder may have
 * written it just before releasing), computes, writes, and releases; the lease is renewed every
 * third of its TTL while the method runs, so a dead holder lets it expire, and a run that hangs
 * loses it after `maxLifetimeMs`. The others poll the key with a growing pause (10 ms to 200 ms),
 * retrying the lease between reads so that they take over when the holder died, hung or gave up
 * without a cacheable result. After `lockWaitMs` they stop waiting and compute themselves: no wait
 * is unbounded, and a slow holder costs one extra computation per waiting instance at worst.
 */
export async function distributedFlight(
  store: LeaseCapable,
  name: string,
  timing: FlightTiming,
  steps: FlightSteps,
): Promise<unknown> {
  const token = leaseToken();
  const deadline = Date.now() + timing.lockWaitMs;
  let pause = FIRST_POLL_MS;
  for (;;) {
    let taken: TakenLease | undefined;
    try {
      taken = await tryTakeLease(store, name, token, timing.lease);
    } catch (error) {
      steps.onStoreError('lease', error);
      return steps.compute();
    }
    if (taken) return holdLease(store, taken, timing.lease, steps);
    const left = deadline - Date.now();
    if (left <= 0) {
      steps.onTimedOut();
      return steps.compute();
    }
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, MAX_POLL_MS);
    let found: unknown;
    try {
      found = await steps.read();
    } catch (error) {
      steps.onStoreError('read', error);
      return steps.compute();
    }
    if (found !== undefined) {
      steps.onWaited();
      return found;
    }
  }
}

function holdLease(
  store: LeaseCapable,
  lease: TakenLease,
  terms: LeaseTerms,
  steps: FlightSteps,
): Promise<unknown> {
  return whileHoldingLease(
    store,
    lease,
    terms,
    () => steps.onLeaseGivenUp(),
    async () => {
      let found: unknown;
      try {
        found = await steps.read();
      } catch (error) {
        steps.onStoreError('read', error);
      }
      if (found !== undefined) {
        steps.onWaited();
        return found;
      }
      return steps.compute();
    },
  );
}

/**
 * Takes the lease `name` for `token` unless someone holds it, armed for its TTL but never past
 * `maxLifetimeMs`; resolves the taken lease, or undefined when another holds it.
 */
export async function tryTakeLease(
  store: LeaseCapable,
  name: string,
  token: string,
  terms: LeaseTerms,
): Promise<TakenLease | undefined> {
  const askedAt = performance.now();
  const taken = await store.tryLease(name, token, Math.min(terms.ttlMs, terms.maxLifetimeMs));
  return taken ? { name, token, askedAt } : undefined;
}

/**
 * Runs `work` while holding `lease`: renews it every third of its TTL, and releases it when
 * `work` settles. A run still going `maxLifetimeMs` after the lease was asked for gives it up
 * (stops renewing, releases it, calls `onGivenUp`) so that another instance can take the key, and
 * goes on running; renewals never arm the lease past that point. The release is not awaited:
 * `work` wrote its result before, and waiters read that result rather than wait for the release.
 */
export async function whileHoldingLease<T>(
  store: LeaseCapable,
  lease: TakenLease,
  terms: LeaseTerms,
  onGivenUp: () => void,
  work: () => Promise<T>,
): Promise<T> {
  const { name, token, askedAt } = lease;
  const endsAt = askedAt + terms.maxLifetimeMs;
  let held = true;
  const stop = (): void => {
    held = false;
    clearInterval(renewal);
    clearTimeout(limit);
    store.releaseLease(name, token).catch(ignore);
  };
  const renewal = setInterval(
    () => {
      const ttlMs = Math.min(terms.ttlMs, Math.floor(endsAt - performance.now()));
      // The last moments before the limit are left to the lease armed before.
      if (ttlMs < 1) return;
      store.renewLease(name, token, ttlMs).then((renewed) => {
        // Lost (it expired while Redis or this process stalled): another instance may hold it now.
        if (!renewed) clearInterval(renewal);
      }, ignore);
    },
    Math.max(1, Math.floor(terms.ttlMs / 3)),
  );
  const limit = setTimeout(
    () => {
      if (!held) return;
      stop();
      onGivenUp();
    },
    Math.max(0, endsAt - performance.now()),
  );
  renewal.unref();
  limit.unref();
  try {
    return await work();
  } finally {
    if (held) stop();
  }
}

/** A random lease token: unique per flight, so only the flight that took a lease frees it. */
export function leaseToken(): string {
  return randomUUID();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function ignore(): void {
  // A lease that cannot be renewed or released expires on its own: after its TTL, and never
  // later than its maximum lifetime.
}
