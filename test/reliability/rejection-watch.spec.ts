import { hostProcess, watchUnhandledRejections } from '../support/redis-faults.js';
import { sleep } from '../support/sleep.js';

/**
 * The reliability specs end with `expect(watch.rejections).toEqual([])`; these tests show that a
 * promise rejected with no handler does land in `rejections`, so that assertion can fail.
 */
describe('the unhandled-rejection watcher the reliability specs rely on', () => {
  it('catches a stray rejection under Jest, so `expect(watch.rejections).toEqual([])` fails', async () => {
    const watch = watchUnhandledRejections();
    const stray = new Error('stray rejection nobody handles');
    const dropped = Promise.reject(stray);
    try {
      // Node reports unhandled rejections once the microtask queue is empty.
      await sleep(20);
      expect(watch.rejections).toEqual([stray]);
      expect(() => expect(watch.rejections).toEqual([])).toThrow();
    } finally {
      watch.stop();
      // Handle it now, so that Jest (which saw it too) does not fail this test for it.
      dropped.catch(() => undefined);
      await sleep(20);
    }
  });

  it('listens on the real process, not on the copy Jest gives the test', () => {
    expect(hostProcess()).not.toBe(process);
    expect(typeof hostProcess().pid).toBe('number');
    expect(hostProcess().pid).toBe(process.pid);
  });

  it('stops listening once stopped', async () => {
    const before = hostProcess().listenerCount('unhandledRejection');
    const watch = watchUnhandledRejections();
    expect(hostProcess().listenerCount('unhandledRejection')).toBe(before + 1);
    watch.stop();
    expect(hostProcess().listenerCount('unhandledRejection')).toBe(before);
  });
});
