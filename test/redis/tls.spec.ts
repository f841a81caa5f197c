import { ConnectionError, RedisStore, type RedisStoreOptions } from '../../lib/index.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';
import { uniquePrefix, type RedisProcess } from '../support/redis-harness.js';
import { standaloneStore } from '../support/redis-stores.js';
import {
  generateCertificates,
  startTlsRedis,
  type TestCertificates,
} from '../support/redis-harness-tls.js';

let certs: TestCertificates;
let server: RedisProcess;

beforeAll(async () => {
  certs = await generateCertificates();
  server = await startTlsRedis(certs);
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await certs?.remove();
});

function open(options: RedisStoreOptions = {}): RedisStore {
  // The test certificate names localhost, not the loopback address.
  return standaloneStore(server, 'tls', { host: 'localhost', ssl: { ca: certs.ca }, ...options });
}

runKvStoreConformance('redis over TLS (test CA)', (options) => open(options));

describe('Redis TLS', () => {
  it('a rediss:// url with the CA works too', async () => {
    const store = new RedisStore({
      url: `rediss://localhost:${server.port}`,
      ssl: { ca: certs.ca },
      keyPrefix: uniquePrefix('tls-url'),
    });
    try {
      await store.put('k', 'v');
      expect(await store.get('k')).toBe('v');
      await store.clear();
    } finally {
      await store.close();
    }
  });

  it('refuses a server whose certificate is not signed by a trusted CA', async () => {
    const store = new RedisStore({
      host: 'localhost',
      port: server.port,
      ssl: true,
      keyPrefix: uniquePrefix('tls-untrusted'),
      timeout: 2,
    });
    try {
      const error = await store.connect().catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/certificate/i);
      expect((error as Error).message).toContain(`localhost:${server.port}`);
      await expect(store.get('k')).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await store.close();
    }
  });

  it('refuses plain TCP to a TLS-only port', async () => {
    const store = new RedisStore({
      host: 'localhost',
      port: server.port,
      keyPrefix: uniquePrefix('tls-plain'),
      timeout: 1,
    });
    try {
      await expect(store.get('k')).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await store.close();
    }
  });
});
