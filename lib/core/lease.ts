import { InvalidArgumentError } from './errors.js';
import { describeValue } from './describe-value.js';
import { assertKey } from './validation.js';

/** Longest lease accepted, in milliseconds (one hour): a lease is meant to cover one computation. */
export const MAX_LEASE_MS = 3_600_000;

/** Longest lease token accepted, in characters. */
const MAX_TOKEN_LENGTH = 200;

/**
 * A store that hands out short exclusive leases (mutual exclusion with an expiry). The Redis
 * store implements it on keys outside its range index, so leases never appear in `rangeGet`,
 * `iterate` or `getStats`, and a lease whose holder died expires on its own.
 */
export interface LeaseCapable {
  /**
   * True when a lease taken here excludes every process that uses the same backend and prefix
   * (Redis); false when it only excludes this process.
   */
  readonly leasesSharedAcrossProcesses: boolean;
  /**
   * Takes the lease `name` for `token` for `ttlMs` milliseconds unless someone holds it;
   * resolves whether it was taken. Throws `InvalidArgumentError` on a bad name, token or TTL.
   */
  tryLease(name: string, token: string, ttlMs: number): Promise<boolean>;
  /**
   * Extends the lease `name` to `ttlMs` milliseconds from now, only while `token` still holds it;
   * resolves whether it did (false: it expired and may belong to someone else now).
   */
  renewLease(name: string, token: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease `name` back, only while `token` holds it; resolves whether it did. */
  releaseLease(name: string, token: string): Promise<boolean>;
}

/** True when `store` offers {@link LeaseCapable} leases. */
export function supportsLeases<T extends object>(store: T): store is T & LeaseCapable {
  const candidate = store as Partial<LeaseCapable>;
  return (
    typeof candidate.tryLease === 'function' &&
    typeof candidate.renewLease === 'function' &&
    typeof candidate.releaseLease === 'function' &&
    typeof candidate.leasesSharedAcrossProcesses === 'boolean'
  );
}

/** Throws {@link InvalidArgumentError} unless the arguments of a lease call are acceptable. */
export function assertLeaseArguments(name: unknown, token: unknown, ttlMs?: unknown): void {
  assertKey(name, 'lease name');
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    throw new InvalidArgumentError(
      `lease token for ${JSON.stringify(name)} must be a string of 1 to ${MAX_TOKEN_LENGTH} characters; got ${describeValue(token)}`,
    );
  }
  if (ttlMs === undefined) return;
  if (
    typeof ttlMs !== 'number' ||
    !Number.isSafeInteger(ttlMs) ||
    ttlMs <= 0 ||
    ttlMs > MAX_LEASE_MS
  ) {
    throw new InvalidArgumentError(
      `lease TTL for ${JSON.stringify(name)} must be a whole number of milliseconds from 1 to ${MAX_LEASE_MS}; got ${describeValue(ttlMs)}`,
    );
  }
}
