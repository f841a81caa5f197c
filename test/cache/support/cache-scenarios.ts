import { afterEach, describe, expect, it } from '@jest/globals';
import {
  LoaderTimeoutError,
  type CachedMethodStats,
  type GetOrSetOptions,
} from '../../../lib/index.js';
import { sleep } from '../../support/sleep.js';

/**
 * The behaviour of a cached call that both entry points promise, `getOrSet` and `@Cached`: one
 * table of scenarios, run by each entry point's spec against its own subject.
 */

/** What the loader of a scenario does on its next runs; the scenario changes it as it goes. */
export interface ScenarioLoader {
  /** Runs so far. */
  runs: number;
  /** The next runs answer this after `delayMs`, or throw when `fail` is set. */
  value: unknown;
  delayMs: number;
  fail: boolean;
}

/** One entry point over a fresh memory store, whose loader is `loader`. */
export interface CacheSubject {
  /** One call for `key`. */
  call(key: string): Promise<unknown>;
  /** The counters of this subject's calls. */
  stats(): CachedMethodStats | undefined;
  close(): Promise<void>;
}

/** The options a scenario gives (both entry points take them alike). */
export type ScenarioOptions = Pick<
  GetOrSetOptions,
  | 'ttl'
  | 'staleWhileRevalidate'
  | 'grace'
  | 'graceBackoff'
  | 'softTimeout'
  | 'hardTimeout'
  | 'condition'
>;

/** Builds a subject with `options`, whose loader runs `load`. */
export type SubjectFactory = (
  options: ScenarioOptions,
  load: (key: string) => Promise<unknown>,
) => Promise<CacheSubject>;

/** A loader answering `value`, counted; runs through `load`. */
export function scenarioLoader(value: unknown): {
  loader: ScenarioLoader;
  load: (key: string) => Promise<unknown>;
} {
  const loader: ScenarioLoader = { runs: 0, value, delayMs: 0, fail: false };
  const load = async (key: string): Promise<unknown> => {
    loader.runs++;
    const { value: answer, delayMs, fail } = loader;
    if (delayMs > 0) await sleep(delayMs);
    if (fail) throw new Error(`origin down for ${key}`);
    return answer;
  };
  return { loader, load };
}

/** Runs the shared scenarios against one entry point. */
export function runCacheScenarios(label: string, factory: SubjectFactory): void {
  const subjects: CacheSubject[] = [];
  const start = async (options: ScenarioOptions, value: unknown = 'v1') => {
    const { loader, load } = scenarioLoader(value);
    const subject = await factory(options, load);
    subjects.push(subject);
    return { subject, loader };
  };
  afterEach(async () => {
    await Promise.all(subjects.splice(0).map((subject) => subject.close()));
  });

  describe(`${label}: shared behaviour`, () => {
    it('answers a second call from the cache without running the loader again', async () => {
      const { subject, loader } = await start({ ttl: 60 });
      expect(await subject.call('a')).toBe('v1');
      loader.value = 'v2';
      expect(await subject.call('a')).toBe('v1');
      expect(loader.runs).toBe(1);
      expect(subject.stats()).toMatchObject({ hits: 1, misses: 1 });
    });

    it('runs the loader once for concurrent callers of one key', async () => {
      const { subject, loader } = await start({ ttl: 60 });
      loader.delayMs = 50;
      const answers = await Promise.all([1, 2, 3, 4, 5].map(() => subject.call('a')));
      expect(answers).toEqual(['v1', 'v1', 'v1', 'v1', 'v1']);
      expect(loader.runs).toBe(1);
      expect(subject.stats()).toMatchObject({ misses: 1, coalesced: 4 });
    });

    it('does not cache a result the condition rejects, nor a rejection', async () => {
      const { subject, loader } = await start({ ttl: 60, condition: (result) => result !== 'no' });
      loader.value = 'no';
      await subject.call('a');
      await subject.call('a');
      expect(loader.runs).toBe(2);
      loader.fail = true;
      await expect(subject.call('b')).rejects.toThrow('origin down');
      loader.fail = false;
      loader.value = 'yes';
      expect(await subject.call('b')).toBe('yes');
    });

    it('serves the stale value past the ttl while one refresh runs (staleWhileRevalidate)', async () => {
      const { subject, loader } = await start({ ttl: 0.3, staleWhileRevalidate: 60 });
      await subject.call('a');
      await sleep(400);
      loader.value = 'v2';
      expect(await subject.call('a')).toBe('v1');
      await waitFor(async () => (await subject.call('a')) === 'v2');
      expect(loader.runs).toBe(2);
    });

    it('without grace, a failing loader past the ttl makes the call reject', async () => {
      const { subject, loader } = await start({ ttl: 0.3 });
      await subject.call('a');
      await sleep(400);
      loader.fail = true;
      await expect(subject.call('a')).rejects.toThrow('origin down');
    });

    it('serves the last good value within grace when the loader throws past the ttl, and counts it', async () => {
      const { subject, loader } = await start({ ttl: 0.3, grace: 60, graceBackoff: 0 });
      await subject.call('a');
      await sleep(400);
      loader.fail = true;
      expect(await subject.call('a')).toBe('v1');
      expect(loader.runs).toBe(2);
      expect(subject.stats()?.staleOnError).toBe(1);
      loader.fail = false;
      loader.value = 'v2';
      expect(await subject.call('a')).toBe('v2');
    });

    it('does not run a failing loader again within graceBackoff, serving the graced value', async () => {
      const { subject, loader } = await start({ ttl: 0.3, grace: 60, graceBackoff: 1 });
      await subject.call('a');
      await sleep(400);
      loader.fail = true;
      expect(await subject.call('a')).toBe('v1');
      expect(await subject.call('a')).toBe('v1');
      expect(await subject.call('a')).toBe('v1');
      expect(loader.runs).toBe(2);
      expect(subject.stats()?.staleOnError).toBe(3);
      loader.fail = false;
      loader.value = 'v2';
      // Once the backoff is over, the loader runs again.
      await waitFor(async () => (await subject.call('a')) === 'v2');
    });

    it('returns the stale value at the soft timeout and caches the slow result for the next call', async () => {
      const { subject, loader } = await start({ ttl: 0.3, grace: 60, softTimeout: 0.1 });
      await subject.call('a');
      await sleep(400);
      loader.value = 'v2';
      loader.delayMs = 400;
      const before = performance.now();
      expect(await subject.call('a')).toBe('v1');
      const tookMs = performance.now() - before;
      // Not before the soft timeout; Node's timers count from the event loop's cached clock, which
      // can run a few milliseconds behind performance.now() (seen in CI with two Jest workers).
      expect(tookMs).toBeGreaterThanOrEqual(90);
      expect(tookMs).toBeLessThan(100 + 100);
      expect(subject.stats()?.softTimeouts).toBe(1);
      loader.delayMs = 0;
      // Until the slow run ends, calls join it (and get the stale value at their soft timeout).
      await waitFor(async () => (await subject.call('a')) === 'v2');
      expect(loader.runs).toBe(2);
    });

    it('rejects with LoaderTimeoutError naming the key past the hard timeout when nothing is graced', async () => {
      const { subject, loader } = await start({ ttl: 60, hardTimeout: 0.1 });
      loader.delayMs = 500;
      const before = performance.now();
      const error = await subject.call('slow-key').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LoaderTimeoutError);
      expect((error as LoaderTimeoutError).code).toBe('LOADER_TIMEOUT');
      expect((error as Error).message).toContain('slow-key');
      expect(performance.now() - before).toBeLessThan(100 + 200);
      // The run goes on in the background, but no longer holds the key: the next call runs again.
      loader.delayMs = 0;
      expect(await subject.call('slow-key')).toBe('v1');
      expect(loader.runs).toBe(2);
    });

    it('answers the graced value past the hard timeout when there is one', async () => {
      const { subject, loader } = await start({ ttl: 0.3, grace: 60, hardTimeout: 0.1 });
      await subject.call('a');
      await sleep(400);
      loader.delayMs = 500;
      loader.value = 'v2';
      expect(await subject.call('a')).toBe('v1');
      expect(subject.stats()).toMatchObject({ hardTimeouts: 1, staleOnError: 1 });
    });
  });
}

async function waitFor(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not true within ${ms} ms`);
    await sleep(20);
  }
}
