import type { RedisClient } from './redis-connection.js';
import { notReachedWithinTimeout, translateRedisError, type ErrorContext } from './redis-errors.js';

/**
 * Resolves once `client` is ready; rejects with the library's error for the first failed
 * connection attempt, or when `errors.timeoutMs` ms pass. Leaves no listener or timer behind.
 */
export async function untilReady(client: RedisClient, errors: ErrorContext): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onReady = (): void => finish();
    const onError = (error: unknown): void => finish(translateRedisError(error, errors) as Error);
    const timer = setTimeout(() => finish(notReachedWithinTimeout(errors)), errors.timeoutMs);
    client.on('ready', onReady);
    client.on('error', onError);
  });
}
