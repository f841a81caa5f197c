import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { InvalidOptionsError, KeyvKvStoreAdapter, MemoryStore } from '../../lib/index.js';

describe('KeyvKvStoreAdapter', () => {
  let store: MemoryStore;
  beforeEach(() => {
    store = new MemoryStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it("turns Keyv's millisecond TTLs into the store's own expiry in seconds", async () => {
    const keyv = new Keyv({ store: new KeyvKvStoreAdapter(store) });
    await keyv.set('session', { user: 1 }, 90_000);
    await keyv.set('forever', 1);
    const remaining = await store.ttl('keyv:session');
    expect(remaining).toBeGreaterThan(89);
    expect(remaining).toBeLessThanOrEqual(90);
    expect(await store.ttl('keyv:forever')).toBeNull();
    expect(await keyv.get('session')).toEqual({ user: 1 });
  });

  it('clear() with a namespace removes that namespace only', async () => {
    const adapter = new KeyvKvStoreAdapter(store);
    const users = new Keyv({ store: adapter, namespace: 'users' });
    await users.set('1', 'ada');
    await store.put('usersX:1', 'not in the namespace');
    await store.put('other', 'kept');
    await users.clear();
    expect(await users.get('1')).toBeUndefined();
    expect((await store.rangeGet('')).map(([key]) => key)).toEqual(['other', 'usersX:1']);
  });

  it('lets cache-manager (what @nestjs/cache-manager uses) cache on a KvStore', async () => {
    const cache = createCache({ stores: [new Keyv({ store: new KeyvKvStoreAdapter(store) })] });
    await cache.set('page:/home', '<html>', 60_000);
    expect(await cache.get('page:/home')).toBe('<html>');
    expect(await store.exists('keyv:page:/home')).toBe(true);
    expect(await cache.wrap('computed', async () => 42, 60_000)).toBe(42);
  });

  it('leaves the store open on disconnect(), since whoever created it closes it', async () => {
    const keyv = new Keyv({ store: new KeyvKvStoreAdapter(store) });
    await keyv.disconnect();
    expect(store.isClosed).toBe(false);
    await store.put('still', 'writable');
    expect(await store.get('still')).toBe('writable');
  });

  it('closes the store on disconnect() when asked to with closeStoreOnDisconnect', async () => {
    const keyv = new Keyv({
      store: new KeyvKvStoreAdapter(store, { closeStoreOnDisconnect: true }),
    });
    await keyv.disconnect();
    expect(store.isClosed).toBe(true);
  });

  it('rejects a misspelt or non-boolean adapter option with InvalidOptionsError', () => {
    expect(() => new KeyvKvStoreAdapter(store, { closeOnDisconnect: true } as never)).toThrow(
      InvalidOptionsError,
    );
    expect(() => new KeyvKvStoreAdapter(store, { closeStoreOnDisconnect: 'yes' } as never)).toThrow(
      /closeStoreOnDisconnect must be true or false; got "yes"/,
    );
  });

  it("stores Keyv's entries as plain values when Keyv is told not to serialize", async () => {
    const keyv = new Keyv({
      store: new KeyvKvStoreAdapter(store),
      serialize: undefined,
      deserialize: undefined,
    });
    await keyv.set('user:1', { name: 'Ada' }, 60_000);
    await keyv.set('flag', true);
    const stored = await store.get<{ value: unknown; expires?: number }>('keyv:user:1');
    expect(stored?.value).toEqual({ name: 'Ada' });
    expect(stored?.expires).toBeGreaterThan(Date.now());
    expect(await store.get('keyv:flag')).toEqual({ value: true });
    expect(await keyv.get('user:1')).toEqual({ name: 'Ada' });
    expect(await keyv.get('flag')).toBe(true);
  });

  it('keeps Dates and Maps through Keyv on a store with the rich serializer', async () => {
    const rich = new MemoryStore({ serializer: 'rich' });
    try {
      const keyv = new Keyv({
        store: new KeyvKvStoreAdapter(rich),
        serialize: undefined,
        deserialize: undefined,
      });
      const value = { at: new Date('2026-01-02T03:04:05Z'), tags: new Map([['a', 1]]) };
      await keyv.set('entry', value);
      expect(await keyv.get('entry')).toEqual(value);
    } finally {
      await rich.close();
    }
  });
});
