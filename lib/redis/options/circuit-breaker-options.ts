import { InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import { assertKnownOptions } from '../../core/validation.js';
import { positiveSeconds } from './redis-option-values.js';

/** Validated circuit-breaker settings, in milliseconds. */
export interface ResolvedCircuitBreaker {
  /** Failures in a row that open the breaker. */
  failures: number;
  /** Span within which they must fall, in milliseconds. */
  windowMs: number;
  /** How long the breaker stays open, in milliseconds. */
  durationMs: number;
  /** How long a probe may run before it counts as failed, in milliseconds. */
  probeLimitMs: number;
}

/** Default `failures`. */
export const DEFAULT_CIRCUIT_FAILURES = 5;
/** Default `duration`, in seconds. */
export const DEFAULT_CIRCUIT_DURATION_SECONDS = 5;

const OPTION_NAMES = ['failures', 'window', 'duration'];

/**
 * Validates the `circuitBreaker` option: undefined or `false` leaves the breaker off, `true`
 * turns it on with the defaults. Throws {@link InvalidOptionsError} naming the field at fault.
 */
export function resolveCircuitBreaker(
  value: unknown,
  storeTimeoutMs: number,
): ResolvedCircuitBreaker | undefined {
  if (value === undefined || value === false) return undefined;
  const options = value === true ? {} : value;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError(
      `circuitBreaker must be true, false or an object { failures, window, duration }; got ${describeValue(value)}`,
    );
  }
  assertKnownOptions(options, OPTION_NAMES, 'circuitBreaker options', InvalidOptionsError);
  const given = options as Record<string, unknown>;
  const failures = given.failures ?? DEFAULT_CIRCUIT_FAILURES;
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures) || failures < 1) {
    throw new InvalidOptionsError(
      `circuitBreaker.failures must be a positive integer; got ${describeValue(failures)}`,
    );
  }
  const durationMs = secondsToMs(
    given.duration ?? DEFAULT_CIRCUIT_DURATION_SECONDS,
    'circuitBreaker.duration',
  );
  const windowMs =
    given.window === undefined
      ? failures * storeTimeoutMs
      : secondsToMs(given.window, 'circuitBreaker.window');
  // A probe is one call, which settles within a timeout or two (a Cluster write refused while
  // its slot moves takes up to 1.5); one that has not by then is taken for a failure.
  return { failures, windowMs, durationMs, probeLimitMs: 2 * storeTimeoutMs };
}

function secondsToMs(value: unknown, what: string): number {
  return Math.max(1, Math.round(positiveSeconds(value, what) * 1000));
}
