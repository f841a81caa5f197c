import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { MemoryStore } from '../../lib/index.js';
import { trackTimers } from '../support/timer-tracker.js';

const run = promisify(execFile);
const here = import.meta.dirname ?? '.';

describe('memory store resources', () => {
  it('after 1M keys with a 1 s TTL expire, the sweep gives the heap back (within 10% of the baseline)', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', resolve(here, 'memory-heap.script.mjs'), '1000000'],
      { timeout: 90_000 },
    );
    const result = JSON.parse(stdout.trim()) as {
      baseline: number;
      filled: number;
      after: number;
      expirations: number;
      totalKeys: number;
    };
    expect(result.expirations).toBe(1_000_000);
    expect(result.totalKeys).toBe(0);
    // The fill really used memory, so getting back to the baseline means something.
    expect(result.filled - result.baseline).toBeGreaterThan(50 * 1_000_000);
    expect(result.after).toBeLessThanOrEqual(result.baseline * 1.1);
  }, 100_000);

  it('1,000 create/close cycles leave no timers or listeners behind', async () => {
    // The sweep timers are unref'd, so the process' active resources would not show a leak of them.
    const timers = trackTimers(['/lib/']);
    const listeners = process.listenerCount('exit') + process.listenerCount('beforeExit');
    for (let i = 0; i < 1000; i++) {
      const store = new MemoryStore({ defaultTtl: 60 });
      await store.put('k', i);
      await store.close();
    }
    expect(await timers.pending()).toEqual([]);
    timers.stop();
    expect(process.listenerCount('exit') + process.listenerCount('beforeExit')).toBe(listeners);
  });
});
