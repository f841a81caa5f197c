import { randomUUID } from 'node:crypto';
import type { LeaseCapable } from '../../core/lease.js';

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
}

/** Timing of a flight, in milliseconds. */
export interface FlightTiming {
  readonly lockWaitMs: number;
  readonly leaseTtlMs: number;
}

/**
 * Cross-instance single-flight of one key on a store whose leases every process shares.
 *
 * The instance that takes the key's lease reads the key again (the previous holder may have
 * written it just before releasing), computes, writes, and releases; the lease is renewed every
 * third of `leaseTtlMs` while the method runs, so only a dead holder lets it expire. The others
 * poll the key with a growing pause (10 ms to 200 ms), retrying the lease between reads so that
 * they take over when the holder died or gave up without a cacheable result. After `lockWaitMs`
 * they stop waiting and compute themselves: no wait is unbounded, and a slow holder costs one
 * extra computation per waiting instance at worst.
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
    let taken: boolean;
    try {
      taken = await store.tryLease(name, token, timing.leaseTtlMs);
    } catch (error) {
      steps.onStoreError('lease', error);
      return steps.compute();
    }
    if (taken) return holdLease(store, name, token, timing.leaseTtlMs, steps);
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
  name: string,
  token: string,
  leaseTtlMs: number,
  steps: FlightSteps,
): Promise<unknown> {
  return whileHoldingLease(store, name, token, leaseTtlMs, async () => {
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
  });
}

/**
 * Runs `work` while holding the lease `name` (already taken with `token`): renews it every third
 * of `leaseTtlMs`, and releases it when `work` settles. The release is not awaited: `work` wrote
 * its result before, and waiters read that result rather than wait for the release.
 */
export async function whileHoldingLease<T>(
  store: LeaseCapable,
  name: string,
  token: string,
  leaseTtlMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const renewal = setInterval(
    () => {
      store.renewLease(name, token, leaseTtlMs).catch(ignore);
    },
    Math.max(1, Math.floor(leaseTtlMs / 3)),
  );
  renewal.unref();
  try {
    return await work();
  } finally {
    clearInterval(renewal);
    store.releaseLease(name, token).catch(ignore);
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
  // A lease that cannot be renewed or released expires on its own after leaseTtl.
}
