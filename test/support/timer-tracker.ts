import { createHook } from 'node:async_hooks';

/** Timers created by code under test that are still pending. */
export interface TimerTracker {
  /** Creation stacks of the tracked timers that were neither cleared nor fired. */
  pending(): Promise<string[]>;
  stop(): void;
}

/**
 * Tracks the timers whose creation stack passes through one of `sources` (path fragments such as
 * `/lib/` or `node_modules/ioredis`). Counting every pending `Timeout` of the process would also
 * count Jest's own reporter timers, which run in the same process when a file runs in band.
 */
export function trackTimers(sources: readonly string[]): TimerTracker {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const stack = new Error().stack ?? '';
      if (sources.some((source) => stack.includes(source))) live.set(id, stack);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
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
