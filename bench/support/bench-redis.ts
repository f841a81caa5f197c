/** The benchmark's own redis-server. */
export interface BenchRedis {
  port: number;
  version: string;
  stop(): Promise<void>;
}

/** Starts a redis-server for the benchmark on a free loopback port (added with the Redis cases). */
export async function startBenchRedis(): Promise<BenchRedis> {
  throw new Error('Redis benchmark cases are not available yet');
}
