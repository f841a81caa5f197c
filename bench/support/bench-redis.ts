import { redisCli, startRedis } from '../../test/support/redis-harness.js';

/** The benchmark's own redis-server, on a free loopback port; no other server is touched. */
export interface BenchRedis {
  port: number;
  version: string;
  stop(): Promise<void>;
}

/** Starts a redis-server for the benchmark (persistence off) and reads its version. */
export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startRedis();
  const info = await redisCli(server.port, 'INFO', 'server');
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  return { port: server.port, version, stop: () => server.stop() };
}
