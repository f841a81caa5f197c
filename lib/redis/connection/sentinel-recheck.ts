import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { ResolvedAddress } from '../options/redis-option-values.js';
import type { ResolvedRedisConfig } from '../options/resolve-redis-options.js';

/**
 * Least time between two questions, in milliseconds: while a primary is paused, commands time out
 * continuously, and each question opens a connection to a Sentinel.
 */
const RECHECK_MIN_INTERVAL_MS = 250;

/**
 * After a command timed out on a Sentinel-managed connection, asks the Sentinels which server is
 * the primary and reconnects `connection` when it talks to another one (the reconnection asks the
 * Sentinels again and checks the server's role). A primary that stopped answering without closing
 * its connections (paused, frozen VM) keeps them open through its failover; without this, the
 * store would stay on it, and once it resumed, write to a server about to be demoted.
 * Returns the callback to run on timeouts; at most one question is asked at a time, and at most
 * one per {@link RECHECK_MIN_INTERVAL_MS}.
 */
export function recheckPrimaryOnTimeout(
  connection: Redis,
  config: ResolvedRedisConfig,
): () => void {
  let asking: Redis | undefined;
  let askedAt = Number.NEGATIVE_INFINITY;
  let ended = false;
  connection.once('end', () => {
    ended = true;
    asking?.disconnect();
  });
  return () => {
    if (asking !== undefined || ended || connection.status !== 'ready') return;
    const now = performance.now();
    if (now - askedAt < RECHECK_MIN_INTERVAL_MS) return;
    askedAt = now;
    void (async () => {
      for (const sentinel of config.addresses) {
        // close() ended the connection while an earlier Sentinel was being asked: open nothing.
        if (ended) return;
        const client = new Redis({
          host: sentinel.host,
          port: sentinel.port,
          connectTimeout: config.timeoutMs,
          commandTimeout: config.timeoutMs,
          retryStrategy: () => null,
          maxRetriesPerRequest: 0,
          enableReadyCheck: false,
          lazyConnect: true,
        });
        client.on('error', ignore);
        asking = client;
        try {
          const reply = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', config.name ?? '');
          if (!Array.isArray(reply) || reply.length < 2) continue;
          const named = { host: String(reply[0]), port: Number(reply[1]) };
          if (!ended && connection.status === 'ready' && !talksTo(connection, named)) {
            connection.disconnect(true);
          }
          return;
        } catch {
          // This Sentinel did not answer: ask the next one.
        } finally {
          client.disconnect();
          asking = undefined;
        }
      }
    })();
  };
}

/** Whether `connection`'s socket goes to `address` (by port alone when the Sentinel names a host name). */
function talksTo(connection: Redis, address: ResolvedAddress): boolean {
  const socket = connection.stream;
  if (socket.remotePort !== address.port) return false;
  if (isIP(address.host) === 0) return true;
  const remote = socket.remoteAddress?.replace(/^::ffff:/, '');
  return remote === address.host.replace(/^::ffff:/, '');
}

function ignore(): void {
  // Failures surface as the rejected SENTINEL command.
}
