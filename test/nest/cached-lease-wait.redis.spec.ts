import { Injectable } from '@nestjs/common';
import { Cached, KvCacheService, KvStore, RedisStore } from '../../lib/index.js';
import { uniquePrefix } from '../support/redis-harness.js';
import { redisAppInstances } from './support/redis-app-instances.js';
import { sleep } from '../support/sleep.js';

/** A report service; `failing` makes the next run throw after `gate` opens. */
@Injectable()
class ReportService {
  runs = 0;
  failing = false;
  gate: Promise<void> | undefined;

  @Cached<[string], string>({ ttl: 60, lockWait: 2, leaseTtl: 30 })
  async report(id: string): Promise<string> {
    const run = ++this.runs;
    if (this.gate) await this.gate;
    if (this.failing) throw new Error('report failed');
    return `report ${id} run ${run}`;
  }

  @Cached<[string], string>({ ttl: 60, lockWait: 0 })
  async noWait(id: string): Promise<string> {
    this.runs++;
    return `no wait ${id}`;
  }
}

const instance = redisAppInstances([ReportService]);

describe('@Cached leases on Redis: bounded waits', () => {
  it('waits at most lockWait for a lease that is never released, then computes itself', async () => {
    const app = await instance(uniquePrefix('stuck-lease'));
    const store = app.get(KvStore) as RedisStore;
    const key = app.get(KvCacheService).keyFor(ReportService, 'report', 'q1');
    // A holder that hangs (30 s lease, never released).
    expect(await store.tryLease(key, 'hung-holder', 30_000)).toBe(true);
    const started = Date.now();
    expect(await app.get(ReportService).report('q1')).toBe('report q1 run 1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(app.get(KvCacheService).getCachedStats()).toMatchObject({
      misses: 1,
      lockTimeouts: 1,
      lockWaits: 0,
    });
  });

  it('frees the key for the next instance as soon as the holder fails', async () => {
    const prefix = uniquePrefix('failed-holder');
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const reportsA = a.get(ReportService);
    let open: () => void = () => undefined;
    reportsA.gate = new Promise((resolve) => (open = resolve));
    reportsA.failing = true;
    const failing = reportsA.report('q2');
    while (reportsA.runs === 0) await sleep(10);
    const waiting = b.get(ReportService).report('q2');
    await sleep(100);
    open();
    await expect(failing).rejects.toThrow('report failed');
    // B took the released lease and computed, well before its 2 s lockWait ran out.
    expect(await waiting).toBe('report q2 run 1');
    expect(b.get(KvCacheService).getCachedStats()).toMatchObject({ misses: 1, lockTimeouts: 0 });
  });

  it('with lockWait 0, never waits for another instance', async () => {
    const app = await instance(uniquePrefix('no-wait'));
    const store = app.get(KvStore) as RedisStore;
    const key = app.get(KvCacheService).keyFor(ReportService, 'noWait', 'q3');
    expect(await store.tryLease(key, 'other-instance', 30_000)).toBe(true);
    expect(await app.get(ReportService).noWait('q3')).toBe('no wait q3');
    expect(app.get(KvCacheService).getCachedStats()).toMatchObject({ misses: 1, lockTimeouts: 0 });
  });
});
