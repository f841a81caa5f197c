/** Defaults of the Redis store options, in the units the options use (seconds for times). */
export const REDIS_DEFAULTS = {
  host: 'localhost',
  port: 6379,
  sentinelPort: 26379,
  db: 0,
  timeout: 10,
  maxConnections: 10,
  keyPrefix: 'data_fetcher:',
  sweepInterval: 1,
} as const;
