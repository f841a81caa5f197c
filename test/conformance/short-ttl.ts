import { sleep } from '../support/sleep.js';

/** The shortest TTL the suite uses: long enough for a loaded 2-core machine to write and read. */
export const SHORT_TTL_SECONDS = 0.3;

/**
 * Waits until a key written (the write resolved) just before the call, with SHORT_TTL_SECONDS,
 * has expired, with a margin for timer and server clock granularity.
 */
export function sleepPastTtl(): Promise<void> {
  return sleep(SHORT_TTL_SECONDS * 1000 + 250);
}
