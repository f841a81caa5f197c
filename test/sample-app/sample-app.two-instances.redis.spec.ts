import { startRedis, waitUntil, type RedisProcess } from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';
import { buildSampleApp, startSampleApp, type SampleAppProcess } from './sample-app-process.js';

// The sample app as it is deployed: two instances, each its own Node process running the app
// `npm start` builds, on one Redis (started here), with the near cache on.

/** FRONTIER_COMPUTE_DELAY_MS: computing a batch takes 1 s, so requests to both instances overlap. */
const COMPUTE_MS = 1000;
/** The frontier provider's `lockWait` (5 s): the longest a miss waits for another instance. */
const LOCK_WAIT_MS = 5000;
/** How long a near-cached copy may outlive a write elsewhere (docs/near-cache.md, loaded machine). */
const STALENESS_MS = 250;
/** HTTP and scheduling on a loaded 2-core machine, on top of the documented bound. */
const MARGIN_MS = 1000;

let redis: RedisProcess | undefined;
const apps: SampleAppProcess[] = [];
let a: SampleAppProcess;
let b: SampleAppProcess;

beforeAll(async () => {
  const [server] = await Promise.all([startRedis(), buildSampleApp()]);
  redis = server;
  const env = {
    KV_STORE_TYPE: 'redis',
    KV_REDIS_URL: `redis://127.0.0.1:${server.port}`,
    KV_REDIS_TIMEOUT: '2',
    KV_NEAR_CACHE_MAX_ENTRIES: '1000',
    FRONTIER_COMPUTE_DELAY_MS: String(COMPUTE_MS),
  };
  const started = await Promise.allSettled([startSampleApp(env), startSampleApp(env)]);
  for (const result of started) if (result.status === 'fulfilled') apps.push(result.value);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  [a, b] = apps as [SampleAppProcess, SampleAppProcess];
  // Until Redis tracks an instance's reads, its near cache is bypassed: wait for both.
  try {
    for (const app of apps) {
      await waitUntil(
        async () => (await stats(app)).store.nearCache?.active === true,
        10_000,
        `the near cache of the instance on ${app.url}`,
      );
    }
  } catch (error) {
    throw withAppOutput(error);
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await redis?.stop();
});

interface Stats {
  store: { nearCache?: { active: boolean; hits: number } };
  frontier: { computations: number };
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(
  app: SampleAppProcess,
  path: string,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<Reply> {
  const method = body === undefined ? 'GET' : 'POST';
  try {
    const response = await fetch(`${app.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch (error) {
    // fetch errors come from outside Jest's realm; this one carries the request in its message.
    throw new Error(`${method} ${path} on ${app.url} failed: ${String(error)}`, { cause: error });
  }
}

async function stats(app: SampleAppProcess): Promise<Stats> {
  return (await call(app, '/stats')).body as unknown as Stats;
}

async function computations(app: SampleAppProcess): Promise<number> {
  return (await stats(app)).frontier.computations;
}

async function nearHits(app: SampleAppProcess): Promise<number> {
  return (await stats(app)).store.nearCache?.hits ?? 0;
}

function nextUrls(
  app: SampleAppProcess,
  domain: string,
  limit: number,
  timeoutMs?: number,
): Promise<Reply> {
  return call(app, `/frontier/next?domain=${domain}&limit=${limit}`, undefined, timeoutMs);
}

function pages(domain: string, ...numbers: number[]): string[] {
  return numbers.map((n) => `https://${domain}/page/${n}`);
}

/** What an app logged, without the boot's module and route lines. */
function logOf(app: SampleAppProcess): string {
  return app
    .output()
    .split('\n')
    .filter((line) => !/\[(InstanceLoader|RoutesResolver|RouterExplorer)\]/.test(line))
    .join('\n');
}

/** `error` with what both app processes logged appended to its message. */
function withAppOutput(error: unknown): Error {
  const output = apps
    .map((app) => `\n\n--- sample app ${app.url} (pid ${app.pid}) ---\n${logOf(app)}`)
    .join('');
  if (!(error instanceof Error)) return new Error(`${String(error)}${output}`, { cause: error });
  error.message += output;
  return error;
}

/** A test whose failure message ends with what both app processes logged. */
function itShowingAppOutput(name: string, test: () => Promise<void>): void {
  it(name, async () => {
    try {
      await test();
    } catch (error) {
      throw withAppOutput(error);
    }
  });
}

describe('sample app: two instance processes on one Redis, near cache on', () => {
  itShowingAppOutput(
    'computes a cold frontier batch once for 20 concurrent requests to each instance',
    async () => {
      const before = await Promise.all(apps.map(computations));
      const replies = await Promise.all(
        apps.flatMap((app) => Array.from({ length: 20 }, () => nextUrls(app, 'cold.example', 3))),
      );
      for (const reply of replies) {
        expect(reply).toEqual({
          status: 200,
          body: { domain: 'cold.example', urls: pages('cold.example', 1, 2, 3) },
        });
      }
      const after = await Promise.all(apps.map(computations));
      // One instance computed it; the other instance's requests waited for its result.
      const computed = (after[0] ?? 0) - (before[0] ?? 0) + (after[1] ?? 0) - (before[1] ?? 0);
      expect(computed).toBe(1);
    },
  );

  itShowingAppOutput(
    'batch progress counted through one instance is read by the other',
    async () => {
      const created = await call(a, '/batches', { name: 'nightly crawl', total: 10 });
      expect(created.status).toBe(201);
      const path = `/batches/${String(created.body.id)}`;
      expect((await call(b, path)).body).toMatchObject({ processed: 0 });
      // The second read is answered from B's near cache.
      const hits = await nearHits(b);
      expect((await call(b, path)).body).toMatchObject({ processed: 0 });
      expect(await nearHits(b)).toBeGreaterThan(hits);
      expect(
        (await call(a, `${path}/items`, { status: 'processed', count: 5 })).body,
      ).toMatchObject({ processed: 5 });
      await sleep(STALENESS_MS);
      expect((await call(b, path)).body).toMatchObject({ processed: 5, failed: 0 });
    },
  );

  itShowingAppOutput(
    'a claim through one instance drops the batch the other has cached',
    async () => {
      const domain = 'claimed.example';
      expect((await nextUrls(b, domain, 2)).body.urls).toEqual(pages(domain, 1, 2));
      expect((await nextUrls(b, domain, 2)).body.urls).toEqual(pages(domain, 1, 2));
      const hits = await nearHits(b);
      expect((await nextUrls(b, domain, 2)).body.urls).toEqual(pages(domain, 1, 2));
      expect(await nearHits(b)).toBeGreaterThan(hits);
      const url = `https://${domain}/page/1`;
      expect((await call(a, '/frontier/claim', { url, worker: 'w1' })).body.claimed).toBe(true);
      expect((await call(b, '/frontier/claim', { url, worker: 'w2' })).body.claimed).toBe(false);
      await sleep(STALENESS_MS);
      expect((await nextUrls(b, domain, 2)).body.urls).toEqual(pages(domain, 2, 3));
    },
  );

  // Last: instance A is gone afterwards.
  itShowingAppOutput(
    'answers within lockWait + one computation when the instance computing the batch is killed',
    async () => {
      const domain = 'killed.example';
      const [startedOnA, startedOnB] = [await computations(a), await computations(b)];
      const fromA = nextUrls(a, domain, 3).then(
        () => 'answered',
        () => 'connection lost',
      );
      await waitUntil(
        async () => (await computations(a)) > startedOnA,
        10_000,
        'instance A to start computing the batch',
      );
      // A holds the batch's lease now; B's request waits for it.
      const sent = Date.now();
      const bound = LOCK_WAIT_MS + COMPUTE_MS + MARGIN_MS;
      const fromB = nextUrls(b, domain, 3, 2 * bound);
      await a.kill();
      const reply = await fromB;
      const tookMs = Date.now() - sent;
      expect(reply).toEqual({ status: 200, body: { domain, urls: pages(domain, 1, 2, 3) } });
      expect(tookMs).toBeLessThan(bound);
      // A died before answering, so it never wrote the batch: B computed it.
      expect(await fromA).toBe('connection lost');
      expect(await computations(b)).toBe(startedOnB + 1);
    },
  );
});
