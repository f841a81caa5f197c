import { Injectable } from '@nestjs/common';
import { Cached, KvCacheService, KvStore } from '../../lib/index.js';
import { uniquePrefix } from '../support/redis-harness.js';
import { redisAppInstances } from './support/redis-app-instances.js';
import { sleep } from '../support/sleep.js';

/** Looks up account names; `gate`, when set, holds a computation until the test opens it. */
@Injectable()
class AccountService {
  runs = 0;
  gate: Promise<void> | undefined;

  @Cached<[number], string>({ ttl: 60, tags: (id) => [`account:${id}`] })
  async account(id: number): Promise<string> {
    const run = ++this.runs;
    if (this.gate) await this.gate;
    return `account ${id} run ${run}`;
  }
}

const instance = redisAppInstances([AccountService]);

describe('@Cached tags on Redis across two app instances', () => {
  it('keeps out a result computed on one instance while another invalidated its tag', async () => {
    const prefix = uniquePrefix('tag-race');
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const accountsA = a.get(AccountService);
    let open: () => void = () => undefined;
    accountsA.gate = new Promise((resolve) => (open = resolve));
    const computing = accountsA.account(7);
    // A has read the tag versions and is running the method; B invalidates meanwhile.
    while (accountsA.runs === 0) await sleep(10);
    await b.get(KvCacheService).invalidateTags('account:7');
    open();
    expect(await computing).toBe('account 7 run 1');
    accountsA.gate = undefined;
    // A undid its write: neither the entry nor its tag row is left.
    const store = a.get(KvStore);
    expect(await store.get('cached:AccountService.account:[7]')).toBeUndefined();
    expect(await store.rangeGet('cached-tag:account:7\u0000')).toEqual([]);
    // So B computes afresh instead of serving what A computed before the invalidation.
    expect(await b.get(AccountService).account(7)).toBe('account 7 run 1');
    expect(b.get(AccountService).runs).toBe(1);
  });

  it('keeps out a result when its tag version was lost and the tag invalidated while it computed', async () => {
    const prefix = uniquePrefix('tag-version-lost');
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const accountsA = a.get(AccountService);
    const cacheB = b.get(KvCacheService);
    const survivors: string[] = [];
    for (let id = 10; id < 15; id++) {
      // The tag was invalidated before, so it has a version.
      await cacheB.invalidateTags(`account:${id}`);
      let open: () => void = () => undefined;
      accountsA.gate = new Promise((resolve) => (open = resolve));
      const runs = accountsA.runs;
      const computing = accountsA.account(id);
      while (accountsA.runs === runs) await sleep(10);
      // Redis drops the version (as maxmemory eviction would), then B invalidates the tag.
      await b.get(KvStore).delete(`cached-tag-version:account:${id}`);
      await cacheB.invalidateTags(`account:${id}`);
      open();
      await computing;
      const left = await b.get(KvStore).get(`cached:AccountService.account:[${id}]`);
      if (left !== undefined) survivors.push(String(left));
    }
    accountsA.gate = undefined;
    expect(survivors).toEqual([]);
  });

  it('writes the entry and its tag rows with the same TTL, and hits read only the entry', async () => {
    const prefix = uniquePrefix('tag-rows');
    const app = await instance(prefix);
    const accounts = app.get(AccountService);
    await accounts.account(1);
    const store = app.get(KvStore);
    const entryTtl = await store.ttl('cached:AccountService.account:[1]');
    const rowTtl = await store.ttl('cached-tag:account:1\u0000cached:AccountService.account:[1]');
    expect(entryTtl).toBeGreaterThan(59);
    expect(Math.abs((rowTtl as number) - (entryTtl as number))).toBeLessThan(0.05);
    expect(await accounts.account(1)).toBe('account 1 run 1');
    expect(app.get(KvCacheService).getCachedStats()).toMatchObject({ hits: 1, misses: 1 });
  });
});
