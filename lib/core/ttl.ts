import { describeValue } from './describe-value.js';
import { InvalidArgumentError } from './errors.js';

/** A span of time; the parts are added up. Every part is optional and must be finite and >= 0. */
export interface Duration {
  /** Days of 86,400 seconds. */
  days?: number;
  /** Hours. */
  hours?: number;
  /** Minutes. */
  minutes?: number;
  /** Seconds (fractions allowed). */
  seconds?: number;
  /** Milliseconds. */
  milliseconds?: number;
}

/**
 * Time to live: seconds (fractions allowed) or a {@link Duration}; `null` means never expires,
 * even when the store has a `defaultTtl`.
 */
export type Ttl = number | Duration | null;

const DURATION_UNITS_MS: Readonly<Record<keyof Duration, number>> = {
  days: 86_400_000,
  hours: 3_600_000,
  minutes: 60_000,
  seconds: 1_000,
  milliseconds: 1,
};

/** Longest TTL accepted: 100 years, far below what Redis and timers can represent. */
export const MAX_TTL_SECONDS = 100 * 365 * 86_400;

/**
 * Converts a TTL given by a caller into milliseconds (`null` for "never expires").
 * Throws {@link InvalidArgumentError} naming `what` for zero, negative, non-finite or malformed input.
 */
export function ttlToMilliseconds(ttl: Ttl, what: string): number | null {
  if (ttl === null) return null;
  let ms: number;
  if (typeof ttl === 'number') {
    ms = ttl * 1000;
  } else if (typeof ttl === 'object' && !Array.isArray(ttl)) {
    ms = durationToMilliseconds(ttl, what);
  } else {
    throw new InvalidArgumentError(
      `${what} must be a number of seconds, a duration object or null; got ${describeValue(ttl)}`,
    );
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgumentError(
      `${what} must be a positive, finite number of seconds; got ${describeValue(ttl)}`,
    );
  }
  if (ms > MAX_TTL_SECONDS * 1000) {
    throw new InvalidArgumentError(`${what} must be at most ${MAX_TTL_SECONDS} seconds`);
  }
  // Redis expiry has millisecond resolution; keep sub-millisecond TTLs from rounding to zero.
  return Math.max(1, Math.round(ms));
}

function durationToMilliseconds(duration: object, what: string): number {
  let total = 0;
  for (const [unit, amount] of Object.entries(duration)) {
    const factor = DURATION_UNITS_MS[unit as keyof Duration];
    if (factor === undefined) {
      throw new InvalidArgumentError(
        `${what} has an unknown duration unit "${unit}"; use ${Object.keys(DURATION_UNITS_MS).join(', ')}`,
      );
    }
    if (amount === undefined) continue;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw new InvalidArgumentError(
        `${what}.${unit} must be a finite number >= 0; got ${describeValue(amount)}`,
      );
    }
    total += amount * factor;
  }
  return total;
}
