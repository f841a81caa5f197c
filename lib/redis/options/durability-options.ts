import { InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import type { RedisDurabilityOptions } from './redis-store-options.js';

/** Validated durability settings. */
export interface ResolvedDurability {
  /** Replicas that must confirm each write. */
  replicas: number;
  /** Whether the primary's append-only file, and the replicas' counted, must hold it (WAITAOF). */
  localAof: boolean;
  /** How long a write may wait for its confirmations, in milliseconds. */
  timeoutMs: number;
}

const DURABILITY_OPTION_NAMES = ['replicas', 'localAof', 'timeout'];

/**
 * Validates the `durability` option; undefined when it is not given. Throws
 * {@link InvalidOptionsError} naming the field at fault.
 */
export function resolveDurability(
  value: unknown,
  storeTimeoutMs: number,
): ResolvedDurability | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionsError(
      `durability must be an object { replicas, localAof?, timeout }; got ${describeValue(value)}`,
    );
  }
  for (const name of Object.keys(value)) {
    if (!DURABILITY_OPTION_NAMES.includes(name)) {
      throw new InvalidOptionsError(
        `durability.${name} is not an option; durability takes replicas, localAof and timeout`,
      );
    }
  }
  const { replicas, localAof = false, timeout } = value as Partial<RedisDurabilityOptions>;
  if (typeof localAof !== 'boolean') {
    throw new InvalidOptionsError(
      `durability.localAof must be true or false; got ${describeValue(localAof)}`,
    );
  }
  // With localAof the primary's own fsync is a confirmation, so no replica is needed.
  const least = localAof ? 0 : 1;
  if (typeof replicas !== 'number' || !Number.isSafeInteger(replicas) || replicas < least) {
    throw new InvalidOptionsError(
      `durability.replicas must be an integer of at least ${least}${localAof ? ' with localAof' : ''}; got ${describeValue(replicas)}`,
    );
  }
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidOptionsError(
      `durability.timeout must be a positive number of seconds; got ${describeValue(timeout)}`,
    );
  }
  const timeoutMs = Math.max(1, Math.round(timeout * 1000));
  if (timeoutMs >= storeTimeoutMs) {
    throw new InvalidOptionsError(
      `durability.timeout (${timeout} s) must be less than timeout (${storeTimeoutMs / 1000} s), which bounds every command`,
    );
  }
  return { replicas, localAof, timeoutMs };
}
