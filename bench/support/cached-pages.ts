import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cached, type KvStore } from '../../lib/index.js';
import { sampleValue } from './fixtures.js';

/** The `@Cached` service the hit benchmarks call: one number argument, one hour of TTL. */
@Injectable()
export class PageService {
  /** How many times the method itself ran (hits must not run it). */
  calls = 0;

  @Cached(3600)
  async page(id: number): Promise<Record<string, unknown>> {
    this.calls++;
    return sampleValue(id);
  }
}

/** The store key `PageService.page(id)` caches under. */
export function pageKey(id: number): string {
  return `cached:PageService.page:[${id}]`;
}

/**
 * What a caller writes by hand instead of `@Cached` on `store`: build the key, get, fill on a
 * miss. Returns the page of `id`.
 */
export function cacheAsideByHand(store: KvStore): (id: number) => Promise<unknown> {
  return async (id) => {
    const key = `cached:PageService.page:[${id}]`;
    const hit = await store.get(key);
    if (hit !== undefined) return hit;
    const value = sampleValue(id);
    await store.put(key, value, { ttl: 3600 });
    return value;
  };
}
