import { jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { Cached, KvCacheService, KvStore } from '../../lib/index.js';
import { uniquePrefix, waitUntil } from '../support/redis-harness.js';
import { redisAppInstances } from './support/redis-app-instances.js';

/**
 * A report service whose runs hang while `hang` is set: each hung run waits for `release`, which
 * the test calls at the end so that the apps can close.
 */
@Injectable()
class ReportService {
  runs = 0;
  hang = false;
  private readonly hung: Array<() => void> = [];
  /** Called when a run has started. */
  onStarted: (() => void) | undefined;

  @Cached<[string], string>({ ttl: 60, lockWait: 10, leaseTtl: 0.3, leaseMaxLifetime: 1 })
  async report(id: string): Promise<string> {
    return this.run(`report ${id}`);
  }

  @Cached<[string], string>({
    ttl: 60,
    staleWhileRevalidate: 600,
    leaseTtl: 0.3,
    leaseMaxLifetime: 1,
  })
  async summary(id: string): Promise<string> {
    return this.run(`summary ${id}`);
  }

  release(): void {
    for (const resolve of this.hung.splice(0)) resolve();
  }

  private async run(what: string): Promise<string> {
    const run = ++this.runs;
    this.onStarted?.();
    if (this.hang) await new Promise<void>((resolve) => this.hung.push(resolve));
    return `${what} run ${run}`;
  }
}

const instance = redisAppInstances([ReportService]);

function startedOnce(service: ReportService): Promise<void> {
  return new Promise((resolve) => (service.onStarted = resolve));
}

describe('@Cached leases on Redis: a run that hangs', () => {
  let warnings: string[] = [];
  let spy: { mockRestore(): void } | undefined;
  beforeEach(() => {
    warnings = [];
    spy = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown): void => {
      warnings.push(String(message));
    });
  });
  afterEach(() => spy?.mockRestore());

  it('keeps other instances waiting no longer than leaseMaxLifetime, not the full lockWait', async () => {
    const prefix = uniquePrefix('hung-call');
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const reportsA = a.get(ReportService);
    reportsA.hang = true;
    const started = startedOnce(reportsA);
    const asked = Date.now();
    const hung = reportsA.report('q1');
    await started;
    const answer = await b.get(ReportService).report('q1');
    const waitedMs = Date.now() - asked;
    // A gave its lease up after 1 s; B took it and computed, well within its 10 s lockWait.
    expect(answer).toBe('report q1 run 1');
    expect(waitedMs).toBeGreaterThanOrEqual(900);
    expect(waitedMs).toBeLessThan(4000);
    expect(b.get(KvCacheService).getCachedStats()).toMatchObject({
      misses: 1,
      lockTimeouts: 0,
      lockWaits: 0,
    });
    expect(warnings.join('\n')).toMatch(
      /ReportService\.report: computation of .*q1.* still running after leaseMaxLifetime \(1 s\)/,
    );
    reportsA.release();
    expect(await hung).toBe('report q1 run 1');
  });

  it('lets another instance refresh a stale entry once a hung refresh outlived leaseMaxLifetime', async () => {
    const prefix = uniquePrefix('hung-refresh');
    const [a, b] = [await instance(prefix), await instance(prefix)];
    const key = a.get(KvCacheService).keyFor(ReportService, 'summary', 's1');
    // A stale entry, as staleWhileRevalidate stores it.
    await a
      .get(KvStore)
      .put(key, { kvSwr: 1, value: 'old summary', freshUntil: Date.now() - 1 }, { ttl: 600 });
    const summariesA = a.get(ReportService);
    const summariesB = b.get(ReportService);
    summariesA.hang = true;
    const started = startedOnce(summariesA);
    const asked = Date.now();
    expect(await summariesA.summary('s1')).toBe('old summary');
    // A's refresh runs and hangs; it holds the key's lease.
    await started;
    expect(await summariesB.summary('s1')).toBe('old summary');
    expect(summariesB.runs).toBe(0);
    // Stale calls on B start a refresh as soon as A's lease is given up.
    await waitUntil(
      async () => (await summariesB.summary('s1')) === 'summary s1 run 1',
      8000,
      'B to refresh the stale entry',
    );
    const refreshedMs = Date.now() - asked;
    expect(refreshedMs).toBeGreaterThanOrEqual(900);
    expect(refreshedMs).toBeLessThan(4000);
    expect(b.get(KvCacheService).getCachedStats()).toMatchObject({ refreshes: 1 });
    expect(warnings.join('\n')).toMatch(
      /ReportService\.summary: refresh of .*s1.* still running after leaseMaxLifetime \(1 s\)/,
    );
    summariesA.release();
  });
});
