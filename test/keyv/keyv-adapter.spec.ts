import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import { KeyvKvStoreAdapter, MemoryStore } from '../../lib/index.js';

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

  it('disconnect() closes the store', async () => {
    const keyv = new Keyv({ store: new KeyvKvStoreAdapter(store) });
    await keyv.disconnect();
    expect(store.isClosed).toBe(true);
  });
});
