import { Redis } from 'ioredis';
import { FaultProxy } from '../support/fault-proxy.js';
import { LOOPBACK, redisCli, startRedis, type RedisProcess } from '../support/redis-harness.js';

/**
 * The fault proxy the bad-day tests rely on does what it says to one connection at one command,
 * against a real server: if it did not, those tests would prove nothing.
 */
describe('fault proxy', () => {
  let server: RedisProcess;
  let proxy: FaultProxy;
  const clients: Redis[] = [];

  function client(name?: string): Redis {
    const redis = new Redis({
      host: LOOPBACK,
      port: proxy.port,
      connectionName: name,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  }

  beforeAll(async () => {
    server = await startRedis();
  });
  beforeEach(async () => {
    proxy = await FaultProxy.start(server.port);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
    await proxy.close();
  });
  afterAll(() => server.stop());

  it('resets before a command: the server never runs it', async () => {
    const redis = client();
    await redis.connect();
    const fault = proxy.inject({ command: 'SET', args: ['fp:before'], action: 'reset-before' });
    await expect(redis.set('fp:before', '1')).rejects.toThrow();
    await fault.fired;
    expect(await redisCli(server.port, 'exists', 'fp:before')).toBe('0\n');
  });

  it('resets after a command: the server ran it but the client never hears back', async () => {
    const redis = client();
    await redis.connect();
    proxy.inject({ command: 'SET', args: ['fp:after'], action: 'reset-after' });
    await expect(redis.set('fp:after', '1')).rejects.toThrow();
    expect(await redisCli(server.port, 'get', 'fp:after')).toBe('1\n');
  });

  it('holds replies for the given time, and only on the matching connection', async () => {
    const slow = client('fp-slow');
    const fast = client('fp-fast');
    await Promise.all([slow.connect(), fast.connect()]);
    proxy.inject({
      command: 'PING',
      connection: (c) => c.name === 'fp-slow',
      action: { holdRepliesMs: 400 },
    });
    const started = Date.now();
    const slowPing = slow.ping().then(() => Date.now() - started);
    const fastPing = fast.ping().then(() => Date.now() - started);
    expect(await fastPing).toBeLessThan(300);
    expect(await slowPing).toBeGreaterThanOrEqual(390);
  });

  it('stalls a connection until healed, then delivers in order', async () => {
    const redis = client();
    await redis.connect();
    const stalled = proxy.inject({ command: 'INCR', action: 'stall' });
    const replies: number[] = [];
    const first = redis.incr('fp:stall').then((n) => replies.push(n));
    const { connection } = await stalled.fired;
    const second = redis.incr('fp:stall').then((n) => replies.push(n));
    // The first INCR was forwarded before the stall, the second was not.
    expect(await redisCli(server.port, 'get', 'fp:stall')).toBe('1\n');
    expect(replies).toEqual([]);
    connection.heal();
    await Promise.all([first, second]);
    expect(replies).toEqual([1, 2]);
  });

  it('delays one direction from a command on, keeping order', async () => {
    const redis = client('fp-delay');
    await redis.connect();
    proxy.inject({
      command: 'CLIENT',
      args: ['GETNAME'],
      action: { delay: 'toClient', ms: 300 },
    });
    const started = Date.now();
    expect(await redis.client('GETNAME')).toBe('fp-delay');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(proxy.named(/^fp-delay$/)).toHaveLength(1);
  });

  it('refuses new connections while the server is to look down', async () => {
    proxy.refuse();
    await expect(client().connect()).rejects.toThrow();
    proxy.acceptAgain();
    const redis = client();
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  });
});
