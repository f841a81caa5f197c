import { RedisStore } from '../../lib/index.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { runKeyvCompliance } from './keyv-suite-runner.js';

let server: RedisProcess | undefined;
let shared: RedisStore | undefined;

beforeAll(async () => {
  server = await startRedis();
  shared = new RedisStore({
    host: LOOPBACK,
    port: server.port,
    keyPrefix: uniquePrefix('keyv'),
    timeout: 5,
  });
});

afterAll(async () => {
  await shared?.close();
  await server?.stop();
});

// Keyv enables iterator() for the redis dialect, so the iterator tests run here too.
runKeyvCompliance('redis', () => shared as RedisStore, true);
