import type { ConnectionOptions } from 'node:tls';
import { InvalidOptionsError } from '../../core/errors.js';
import { assertKnownOptions } from '../../core/validation.js';
import { REDIS_DEFAULTS } from './redis-defaults.js';
import { assertNoContradictions } from './redis-option-conflicts.js';
import {
  resolveNearCacheOptions,
  type ResolvedNearCacheConfig,
} from '../near-cache/near-cache-options.js';
import {
  nonNegativeInteger,
  optionalPassword,
  optionalString,
  positiveInteger,
  positiveSeconds,
  resolveAddressList,
  resolveClusterNodes,
  resolveHost,
  resolveKeyPrefix,
  resolvePort,
  resolveTls,
  type ResolvedAddress,
} from './redis-option-values.js';
import { REDIS_STORE_OPTION_NAMES, type RedisStoreOptions } from './redis-store-options.js';
import { parseRedisUrl, type UrlParts } from './redis-url.js';

export { REDIS_DEFAULTS } from './redis-defaults.js';
export type { ResolvedAddress } from './redis-option-values.js';

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
  /** Near-cache settings, or undefined when it is off. */
  nearCache: ResolvedNearCacheConfig | undefined;
}

/**
 * Validates Redis store options and applies defaults, in one place. Throws
 * {@link InvalidOptionsError} naming the offending option; messages never contain a password.
 */
export function resolveRedisOptions(input: RedisStoreOptions | undefined): ResolvedRedisConfig {
  const options: RedisStoreOptions = input ?? {};
  assertKnownOptions(options, REDIS_STORE_OPTION_NAMES, 'redis store options', InvalidOptionsError);
  const fromUrl = options.url === undefined ? undefined : parseRedisUrl(options.url);
  assertNoContradictions(options, fromUrl);
  const common = resolveConnectionOptions(options, fromUrl);
  return { ...common, ...resolveTopology(options, fromUrl, common.db) };
}

type ConnectionSettings = Omit<ResolvedRedisConfig, 'topology' | 'addresses' | 'name' | 'target'>;
type TopologySettings = Pick<ResolvedRedisConfig, 'topology' | 'addresses' | 'name' | 'target'>;

/** Everything but the topology: credentials, db, TLS, timeouts, prefix; option wins over url. */
function resolveConnectionOptions(
  options: RedisStoreOptions,
  fromUrl: UrlParts | undefined,
): ConnectionSettings {
  const timeout = positiveSeconds(options.timeout ?? REDIS_DEFAULTS.timeout, 'timeout');
  const sweepInterval = positiveSeconds(
    options.sweepInterval ?? REDIS_DEFAULTS.sweepInterval,
    'sweepInterval',
  );
  return {
    username: optionalString(options.username ?? fromUrl?.username, 'username'),
    password: optionalPassword(options.password ?? fromUrl?.password),
    db: nonNegativeInteger(options.db ?? fromUrl?.db ?? REDIS_DEFAULTS.db, 'db'),
    tls: resolveTls(options.ssl ?? fromUrl?.tls ?? false),
    timeoutMs: Math.max(1, Math.round(timeout * 1000)),
    maxConnections: positiveInteger(
      options.maxConnections ?? REDIS_DEFAULTS.maxConnections,
      'maxConnections',
    ),
    keyPrefix: resolveKeyPrefix(options.keyPrefix, options.cluster !== undefined),
    sweepIntervalMs: Math.max(1, Math.round(sweepInterval * 1000)),
    nearCache: resolveNearCacheOptions(options.nearCache),
  };
}

/** Cluster, Sentinel or standalone, with the addresses and the name errors use for the server. */
function resolveTopology(
  options: RedisStoreOptions,
  fromUrl: UrlParts | undefined,
  db: number,
): TopologySettings {
  if (options.cluster !== undefined) {
    if (db !== 0) throw new InvalidOptionsError(`db must be 0 with cluster; got ${db}`);
    const addresses = resolveClusterNodes(options.cluster);
    return {
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
