import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import { MemoryStore } from '../../lib/index.js';

/** The operations every in-memory contender offers, as its users call them. */
export interface MemorySubject {
  put(key: string, value: unknown): Promise<unknown>;
  get(key: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  /** Writes many entries the quickest way the library offers (for untimed set-up). */
  fill(entries: ReadonlyArray<[string, unknown]>): Promise<unknown>;
  /** Deletes many keys the quickest way the library offers (for untimed clean-up). */
  drop(keys: readonly string[]): Promise<unknown>;
  close(): Promise<void>;
}

/** The in-memory contenders by name. */
export const MEMORY_SUBJECTS: Record<string, () => MemorySubject> = {
  'kv-store': () => {
    const store = new MemoryStore();
    return {
      put: (k, v) => store.put(k, v),
      get: (k) => store.get(k),
      delete: (k) => store.delete(k),
      fill: (entries) => store.putMany(entries),
      drop: (keys) => store.deleteMany(keys),
      close: () => store.close(),
    };
  },
  // The limit for a store that isolates values by serializing them.
  'map+json': () => {
    const map = new Map<string, string>();
    return {
      put: async (k, v) => void map.set(k, JSON.stringify(v)),
      get: async (k) => {
        const text = map.get(k);
        return text === undefined ? undefined : (JSON.parse(text) as unknown);
      },
      delete: async (k) => map.delete(k),
      fill: async (entries) => {
        for (const [k, v] of entries) map.set(k, JSON.stringify(v));
      },
      drop: async (keys) => {
        for (const k of keys) map.delete(k);
      },
      close: async () => map.clear(),
    };
  },
  // Stores object references: callers can mutate cached values, so it does less work.
  'lru-cache': () => {
    const cache = new LRUCache<string, object>({ max: 2_000_000 });
    return {
      put: async (k, v) => void cache.set(k, v as object),
      get: async (k) => cache.get(k),
      delete: async (k) => cache.delete(k),
      fill: async (entries) => {
        for (const [k, v] of entries) cache.set(k, v as object);
      },
      drop: async (keys) => {
        for (const k of keys) cache.delete(k);
      },
      close: async () => cache.clear(),
    };
  },
  keyv: () => {
    const keyv = new Keyv();
    return {
      put: (k, v) => keyv.set(k, v),
      get: (k) => keyv.get(k),
      delete: (k) => keyv.delete(k),
      fill: (entries) => keyv.setMany(entries.map(([key, value]) => ({ key, value }))),
      drop: (keys) => keyv.deleteMany([...keys]),
      close: () => keyv.disconnect(),
    };
  },
  // Stores object references too (keyv's Map without serialization).
  'cache-manager': () => {
    const cache = createCache();
    return {
      put: (k, v) => cache.set(k, v),
      get: (k) => cache.get(k),
      delete: (k) => cache.del(k),
      fill: (entries) => cache.mset(entries.map(([key, value]) => ({ key, value }))),
      drop: (keys) => cache.mdel([...keys]),
      close: async () => void (await cache.disconnect()),
    };
  },
};

/**
 * Builds the subjects `names` and fills each with the first `held` of `keys` and `values`, 10,000
 * entries per call, as a store that grew over time.
 */
export async function filledSubjects(
  names: readonly string[],
  keys: readonly string[],
  values: readonly unknown[],
  held: number,
): Promise<Map<string, MemorySubject>> {
  const subjects = new Map<string, MemorySubject>();
  for (const name of names) {
    const factory = MEMORY_SUBJECTS[name];
    if (!factory) throw new Error(`unknown memory subject ${name}`);
    const subject = factory();
    for (let start = 0; start < held; start += 10_000) {
      const entries: Array<[string, unknown]> = [];
      for (let i = start; i < Math.min(held, start + 10_000); i++)
        entries.push([keys[i] as string, values[i]]);
      await subject.fill(entries);
    }
    subjects.set(name, subject);
  }
  return subjects;
}
