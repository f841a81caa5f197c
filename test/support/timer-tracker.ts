import { createHook, executionAsyncId, executionAsyncResource } from 'node:async_hooks';

/** Timers created by code under test that are still pending. */
export interface TimerTracker {
  /** Creation stacks of the tracked timers that were neither cleared nor fired. */
  pending(): Promise<string[]>;
  stop(): void;
}

/** The class name Node gives the resource of a `setTimeout`/`setInterval` callback. */
const TIMEOUT = 'Timeout';

/**
 * Tracks the timers whose creation stack passes through one of `sources` (path fragments such as
 * `/lib/` or `node_modules/ioredis`) and that descend from work started while tracking.
 *
 * Counting every pending `Timeout` of the process would also count Jest's own reporter timers,
 * which run in the same process when a file runs in band. A timer set from the callback of a timer
 * that existed before tracking began is not counted either: it belongs to a store that an earlier
 * test file in the same worker left open, not to the code this test exercises.
 */
export function trackTimers(sources: readonly string[]): TimerTracker {
  const live = new Map<number, string>();
  /** Timers set while tracking, outside the callbacks of earlier timers (so not their re-arms). */
  const bornWhileTracking = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type !== TIMEOUT || isInCallbackOfEarlierTimer()) return;
      bornWhileTracking.add(id);
      const stack = new Error().stack ?? '';
      if (sources.some((source) => stack.includes(source))) live.set(id, stack);
    },
    destroy(id) {
      live.delete(id);
      bornWhileTracking.delete(id);
    },
  }).enable();

  function isInCallbackOfEarlierTimer(): boolean {
    const current: object = executionAsyncResource();
    return current.constructor.name === TIMEOUT && !bornWhileTracking.has(executionAsyncId());
  }

  return {
    async pending() {
      // Destroy hooks of timers that just fired or were cleared are emitted asynchronously.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      return [...live.values()];
    },
    stop() {
      hook.disable();
    },
  };
}
