import { InvalidOptionsError } from '../../core/errors.js';
import type { RedisStoreOptions } from './redis-store-options.js';
import type { UrlParts } from './redis-url.js';

/**
 * Throws {@link InvalidOptionsError} when options name two topologies or give one value twice
 * (once in `url`, once as an option): the store refuses to guess which one was meant.
 */
export function assertNoContradictions(
  options: RedisStoreOptions,
  fromUrl: UrlParts | undefined,
): void {
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
}

function contradiction(a: string, b: string): InvalidOptionsError {
  return new InvalidOptionsError(`${a} and ${b} are contradictory; give only one of them`);
}
