import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';
import { assertKnownOptions } from '../../core/validation.js';
import { REDIS_DEFAULTS } from './redis-defaults.js';
import type { RedisNodeAddress } from './redis-store-options.js';

/** A resolved host and port. */
export interface ResolvedAddress {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Longest key prefix accepted, in UTF-16 code units. */
const MAX_PREFIX_LENGTH = 1024;

// Each check below throws InvalidOptionsError naming the option; none echoes a password.

/** A string option, or undefined when not given. */
export function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidOptionsError(`${what} must be a string; got ${describeValue(value)}`);
  }
  return value;
}

/** The password, or undefined; a wrong type is reported by type only. */
export function optionalPassword(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  // Describe only the type: the value is a secret.
  if (typeof value !== 'string') {
    throw new InvalidOptionsError(`password must be a string; got a ${typeof value}`);
  }
  return value;
}

/** A non-empty host name. */
export function resolveHost(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionsError(
      `${what} must be a non-empty string; got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A TCP port from 1 to 65535. */
export function resolvePort(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidOptionsError(
      `${what} must be an integer from 1 to 65535; got ${describeValue(value)}`,
    );
  }
  return value;
}

/** An integer >= 0 (a database number). */
export function nonNegativeInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionsError(`${what} must be an integer >= 0; got ${describeValue(value)}`);
  }
  return value;
}

/** An integer >= 1. */
export function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionsError(
      `${what} must be a positive integer; got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A number of seconds in (0, 86400]. */
export function positiveSeconds(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new InvalidOptionsError(
      `${what} must be a positive number of seconds (at most 86400); got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Node TLS options from `ssl` (`true`: system CAs), or undefined for plain TCP. */
export function resolveTls(ssl: unknown): ConnectionOptions | undefined {
  if (ssl === false) return undefined;
  if (ssl === true) return {};
  if (ssl !== null && typeof ssl === 'object' && !Array.isArray(ssl)) {
    return { ...(ssl as ConnectionOptions) };
  }
  throw new InvalidOptionsError(
    `ssl must be true, false or an object of TLS options; got ${describeValue(ssl)}`,
  );
}

/** The key prefix (default `data_fetcher:`); no braces with cluster, no lone surrogates. */
export function resolveKeyPrefix(value: unknown, cluster: boolean): string {
  if (value === undefined) return REDIS_DEFAULTS.keyPrefix;
  if (typeof value !== 'string') {
    throw new InvalidOptionsError(`keyPrefix must be a string; got ${describeValue(value)}`);
  }
  if (value.length > MAX_PREFIX_LENGTH) {
    throw new InvalidOptionsError(`keyPrefix must be at most ${MAX_PREFIX_LENGTH} characters`);
  }
  if ((value as { isWellFormed?: () => boolean }).isWellFormed?.() === false) {
    throw new InvalidOptionsError('keyPrefix contains a lone UTF-16 surrogate');
  }
  // The cluster layout appends a {hash tag}: braces in the prefix would move keys to other slots.
  if (cluster && /[{}]/.test(value)) {
    throw new InvalidOptionsError(
      `keyPrefix must not contain { or } with cluster; got ${describeValue(value)}`,
    );
  }
  return value;
}

/** One `{ host, port }` with defaults applied. */
export function resolveAddress(value: unknown, what: string, defaultPort: number): ResolvedAddress {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError(
      `${what} must be an object { host, port }; got ${describeValue(value)}`,
    );
  }
  const { host, port, ...rest } = value as RedisNodeAddress;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new InvalidOptionsError(`${what} has an unknown option "${unknown}"; use host and port`);
  }
  return {
    host: resolveHost(host ?? REDIS_DEFAULTS.host, `${what}.host`),
    port: resolvePort(port ?? defaultPort, `${what}.port`),
  };
}

/** A non-empty list of `{ host, port }`. */
export function resolveAddressList(
  value: unknown,
  what: string,
  defaultPort: number,
): ResolvedAddress[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidOptionsError(`${what} must be a non-empty array of { host, port }`);
  }
  return value.map((item, i) => resolveAddress(item, `${what}[${i}]`, defaultPort));
}

/** The seed nodes of `cluster: { nodes }`. */
export function resolveClusterNodes(value: unknown): ResolvedAddress[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError(
      `cluster must be an object { nodes }; got ${describeValue(value)}`,
    );
  }
  assertKnownOptions(value, ['nodes'], 'cluster options', InvalidOptionsError);
  return resolveAddressList(
    (value as { nodes?: unknown }).nodes,
    'cluster.nodes',
    REDIS_DEFAULTS.port,
  );
}
