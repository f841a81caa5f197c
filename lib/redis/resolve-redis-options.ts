import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionsError } from '../core/errors.js';
import { describeValue } from '../core/describe-value.js';
import { assertKnownOptions } from '../core/validation.js';
import {
  REDIS_STORE_OPTION_NAMES,
  type RedisNodeAddress,
  type RedisStoreOptions,
} from './redis-store-options.js';

/** Defaults of the Redis store options, in the units the options use (seconds for times). */
export const REDIS_DEFAULTS = {
  host: 'localhost',
  port: 6379,
  sentinelPort: 26379,
  db: 0,
  timeout: 10,
  maxConnections: 10,
  keyPrefix: 'data_fetcher:',
  sweepInterval: 1,
} as const;

/** Longest key prefix accepted, in UTF-16 code units. */
const MAX_PREFIX_LENGTH = 1024;

/** A resolved host and port. */
export interface ResolvedAddress {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Which kind of deployment the store talks to. */
export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

/** Validated options with every default applied; the only shape the rest of lib/redis reads. */
export interface ResolvedRedisConfig {
  /** Which deployment the store talks to. */
  topology: RedisTopology;
  /** Standalone: the server; Sentinel: the sentinels; Cluster: the seed nodes. */
  addresses: ResolvedAddress[];
  /** Sentinel: the monitored primary's name. */
  name: string | undefined;
  /** ACL user, or undefined for the default user. */
  username: string | undefined;
  /** Password, or undefined; never put into messages. */
  password: string | undefined;
  /** Database number (0 on a cluster). */
  db: number;
  /** TLS options, or undefined for plain TCP. */
  tls: ConnectionOptions | undefined;
  /** Bound on connecting and on each command, in milliseconds. */
  timeoutMs: number;
  /** Cap on connections per server (the store opens one). */
  maxConnections: number;
  /** Prepended to every key. */
  keyPrefix: string;
  /** Interval of the index sweep, in milliseconds. */
  sweepIntervalMs: number;
  /** What error messages call the server: `host:port`, or a list for Sentinel and Cluster. */
  target: string;
}

/**
 * Validates Redis store options and applies defaults, in one place. Throws
 * {@link InvalidOptionsError} naming the offending option; messages never contain a password.
 */
export function resolveRedisOptions(input: RedisStoreOptions | undefined): ResolvedRedisConfig {
  const options: RedisStoreOptions = input ?? {};
  assertKnownOptions(options, REDIS_STORE_OPTION_NAMES, 'redis store options', InvalidOptionsError);

  const fromUrl = options.url === undefined ? undefined : parseRedisUrl(options.url);
  const given = (name: keyof RedisStoreOptions): boolean => options[name] !== undefined;
  if (fromUrl) {
    for (const name of ['host', 'port', 'sentinels', 'cluster'] as const) {
      if (given(name)) throw contradiction('url', name);
    }
    for (const name of ['username', 'password', 'db'] as const) {
      if (given(name) && fromUrl[name] !== undefined) throw contradiction('url', name);
    }
    if (options.ssl !== undefined && Boolean(options.ssl) !== fromUrl.tls) {
      throw new InvalidOptionsError(
        `ssl contradicts url: a ${fromUrl.tls ? 'rediss://' : 'redis://'} url ${fromUrl.tls ? 'uses' : 'does not use'} TLS`,
      );
    }
  }
  if (given('cluster')) {
    for (const name of ['sentinels', 'sentinelName', 'name', 'host', 'port'] as const) {
      if (given(name)) throw contradiction('cluster', name);
    }
  }
  if (given('sentinels')) {
    for (const name of ['host', 'port'] as const) {
      if (given(name)) throw contradiction('sentinels', name);
    }
  }
  if (given('name') && given('sentinelName')) {
    throw new InvalidOptionsError('sentinelName and name both name the Sentinel primary: give one');
  }
  for (const name of ['sentinelName', 'name'] as const) {
    if (given(name) && !given('sentinels')) {
      throw new InvalidOptionsError(`${name} is the Sentinel primary name and needs sentinels`);
    }
  }

  const username = optionalString(options.username ?? fromUrl?.username, 'username');
  const password = optionalPassword(options.password ?? fromUrl?.password);
  const db = nonNegativeInteger(options.db ?? fromUrl?.db ?? REDIS_DEFAULTS.db, 'db');
  const tls = resolveTls(options.ssl ?? fromUrl?.tls ?? false);
  const timeout = positiveSeconds(options.timeout ?? REDIS_DEFAULTS.timeout, 'timeout');
  const maxConnections = positiveInteger(
    options.maxConnections ?? REDIS_DEFAULTS.maxConnections,
    'maxConnections',
  );
  const keyPrefix = resolveKeyPrefix(options.keyPrefix, given('cluster'));
  const sweepInterval = positiveSeconds(
    options.sweepInterval ?? REDIS_DEFAULTS.sweepInterval,
    'sweepInterval',
  );
  const common = {
    username,
    password,
    db,
    tls,
    timeoutMs: Math.max(1, Math.round(timeout * 1000)),
    maxConnections,
    keyPrefix,
    sweepIntervalMs: Math.max(1, Math.round(sweepInterval * 1000)),
  };

  if (options.cluster !== undefined) {
    if (db !== 0) throw new InvalidOptionsError(`db must be 0 with cluster; got ${db}`);
    const addresses = resolveClusterNodes(options.cluster);
    return {
      ...common,
      topology: 'cluster',
      addresses,
      name: undefined,
      target: `cluster ${addresses.map(formatAddress).join(',')}`,
    };
  }
  if (options.sentinels !== undefined) {
    const addresses = resolveAddressList(
      options.sentinels,
      'sentinels',
      REDIS_DEFAULTS.sentinelPort,
    );
    const name =
      optionalString(options.sentinelName, 'sentinelName') ?? optionalString(options.name, 'name');
    if (name === undefined || name === '') {
      throw new InvalidOptionsError(
        'sentinelName (the Sentinel primary name) is required with sentinels',
      );
    }
    return {
      ...common,
      topology: 'sentinel',
      addresses,
      name,
      target: `primary "${name}" via sentinels ${addresses.map(formatAddress).join(',')}`,
    };
  }
  const address = {
    host: resolveHost(options.host ?? fromUrl?.host ?? REDIS_DEFAULTS.host, 'host'),
    port: resolvePort(options.port ?? fromUrl?.port ?? REDIS_DEFAULTS.port, 'port'),
  };
  return {
    ...common,
    topology: 'standalone',
    addresses: [address],
    name: undefined,
    target: formatAddress(address),
  };
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatAddress(address: ResolvedAddress): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

interface UrlParts {
  host: string | undefined;
  port: number | undefined;
  username: string | undefined;
  password: string | undefined;
  db: number | undefined;
  tls: boolean;
}

function parseRedisUrl(url: unknown): UrlParts {
  if (typeof url !== 'string') {
    throw new InvalidOptionsError(`url must be a string; got ${describeValue(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The url may carry a password: never echo it.
    throw new InvalidOptionsError('url is not a valid redis:// or rediss:// URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOptionsError(
      `url must start with redis:// or rediss://; got ${parsed.protocol}//`,
    );
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new InvalidOptionsError('url must not have a query string or fragment');
  }
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new InvalidOptionsError(`url path must be a database number such as /0; got /${path}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host: host === '' ? undefined : host,
    port: parsed.port === '' ? undefined : Number(parsed.port),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db: path === '' ? undefined : Number(path),
    tls: parsed.protocol === 'rediss:',
  };
}

function contradiction(a: string, b: string): InvalidOptionsError {
  return new InvalidOptionsError(`${a} and ${b} are contradictory; give only one of them`);
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidOptionsError(`${what} must be a string; got ${describeValue(value)}`);
  }
  return value;
}

function optionalPassword(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  // Describe only the type: the value is a secret.
  if (typeof value !== 'string') {
    throw new InvalidOptionsError(`password must be a string; got a ${typeof value}`);
  }
  return value;
}

function resolveHost(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidOptionsError(
      `${what} must be a non-empty string; got ${describeValue(value)}`,
    );
  }
  return value;
}

function resolvePort(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new InvalidOptionsError(
      `${what} must be an integer from 1 to 65535; got ${describeValue(value)}`,
    );
  }
  return value;
}

function nonNegativeInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidOptionsError(`${what} must be an integer >= 0; got ${describeValue(value)}`);
  }
  return value;
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionsError(
      `${what} must be a positive integer; got ${describeValue(value)}`,
    );
  }
  return value;
}

function positiveSeconds(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new InvalidOptionsError(
      `${what} must be a positive number of seconds (at most 86400); got ${describeValue(value)}`,
    );
  }
  return value;
}

function resolveTls(ssl: unknown): ConnectionOptions | undefined {
  if (ssl === false) return undefined;
  if (ssl === true) return {};
  if (ssl !== null && typeof ssl === 'object' && !Array.isArray(ssl)) {
    return { ...(ssl as ConnectionOptions) };
  }
  throw new InvalidOptionsError(
    `ssl must be true, false or an object of TLS options; got ${describeValue(ssl)}`,
  );
}

function resolveKeyPrefix(value: unknown, cluster: boolean): string {
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

function resolveAddress(value: unknown, what: string, defaultPort: number): ResolvedAddress {
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

function resolveAddressList(value: unknown, what: string, defaultPort: number): ResolvedAddress[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new InvalidOptionsError(`${what} must be a non-empty array of { host, port }`);
  }
  return value.map((item, i) => resolveAddress(item, `${what}[${i}]`, defaultPort));
}

function resolveClusterNodes(value: unknown): ResolvedAddress[] {
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
