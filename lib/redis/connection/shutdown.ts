import { Cluster } from 'ioredis';
import type { IndexSweeper } from '../index/index-sweeper.js';
import type { NearCache } from '../near-cache/near-cache.js';
import type { RedisClient } from './redis-connection.js';

/** What closing a Redis store stops. */
export interface ShutdownParts {
  /** Closed first: its invalidation subscription must not outlive the store. */
  near: NearCache | undefined;
  /** Stopped, and a sweep in progress awaited. */
  sweeper: IndexSweeper;
  /** Multi-command operations still running; closing waits for them. */
  multiStep: Iterable<Promise<unknown>>;
  /** Flushed, so that QUIT follows every get and put it still held. */
  batcher: { flush(): void };
  /** Sent QUIT when ready, then disconnected. */
  client: RedisClient;
  /** The store's timeout in milliseconds: the whole shutdown's deadline. */
  timeoutMs: number;
  /** Fails every call still unanswered once the client is disconnected. */
  abandonUnanswered: () => void;
}

/**
 * Closes a Redis store's connection once what it started has settled: the near cache's
 * subscription, the index sweep, running operations, the commands still queued, then QUIT. It
 * gives up after one timeout in all, then disconnects: a silent server must not cost a timeout
 * per step. Whatever is still unanswered then fails as a command of a closed connection.
 */
export async function shutDown(parts: ShutdownParts): Promise<void> {
  const { client } = parts;
  parts.near?.close();
  const giveUpAt = Date.now() + parts.timeoutMs;
  const sweepStopped = parts.sweeper.stop();
  // Flushed first: a flushed durable write starts its confirmation, which is waited for below.
  parts.batcher.flush();
  await settleBy(Promise.allSettled([sweepStopped, ...parts.multiStep]), giveUpAt);
  // Operations may have started others meanwhile (confirmations of their writes): wait for those.
  for (
    let running = [...parts.multiStep];
    running.length > 0 && Date.now() < giveUpAt;
    running = [...parts.multiStep]
  ) {
    await settleBy(Promise.allSettled(running), giveUpAt);
  }
  parts.batcher.flush();
  if (client.status === 'ready') {
    // QUIT must not overtake commands still waiting in an ioredis pipeline queue.
    while (client.autoPipelineQueueSize > 0 && Date.now() < giveUpAt) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await settleBy(client.quit(), giveUpAt);
  }
  // Stops reconnection timers and rejects whatever still waits for a connection.
  if (client.status !== 'end') client.disconnect();
  // A Cluster can stay 'disconnecting' or end up 'close' instead of 'end' with commands left in
  // its own queue (ioredis flushes it only on the way to 'end'): they are failed here (flushQueue
  // is ioredis' own, not typed as public).
  if (client instanceof Cluster && client.status !== 'end') {
    (client as unknown as { flushQueue?(error: Error): void }).flushQueue?.(
      new Error('Connection is closed.'),
    );
  }
  parts.abandonUnanswered();
}

/**
 * Resolves once `work` settles or the clock reaches `deadline` (epoch milliseconds), whichever
 * comes first; never rejects. Lets close() give every step the same overall deadline instead of
 * one timeout per step.
 */
async function settleBy(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
  });
  try {
    await Promise.race([work.then(noop, noop), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {
  // The outcome is not needed: the caller goes on either way.
}
