import {
  InvalidOptionsError,
  RedisStore,
  createStore,
  type RedisStoreOptions,
} from '../../lib/index.js';
import {
  CLUSTER_SHARDS,
  KeyLayout,
  clusterTags,
  keySlot,
} from '../../lib/redis/index/key-layout.js';
import { resolveRedisOptions } from '../../lib/redis/options/resolve-redis-options.js';

const SECRET = 'hunter2-secret';

describe('Redis store options', () => {
  it('applies the documented defaults', () => {
    const config = resolveRedisOptions({});
    expect(config).toMatchObject({
      topology: 'standalone',
      addresses: [{ host: 'localhost', port: 6379 }],
      db: 0,
      tls: undefined,
      timeoutMs: 10_000,
      maxConnections: 10,
      keyPrefix: 'data_fetcher:',
      sweepIntervalMs: 1000,
      target: 'localhost:6379',
    });
  });

  it('parses redis:// and rediss:// urls with user, password and db', () => {
    expect(
      resolveRedisOptions({ url: `redis://app:${SECRET}@cache.internal:6380/3` }),
    ).toMatchObject({
      addresses: [{ host: 'cache.internal', port: 6380 }],
      username: 'app',
      password: SECRET,
      db: 3,
      tls: undefined,
    });
    const tls = resolveRedisOptions({ url: 'rediss://:p%40ss@secure.example', ssl: { ca: 'PEM' } });
    expect(tls).toMatchObject({
      addresses: [{ host: 'secure.example', port: 6379 }],
      username: undefined,
      password: 'p@ss',
      tls: { ca: 'PEM' },
    });
    expect(resolveRedisOptions({ url: 'redis://h', password: 'from-secret' }).password).toBe(
      'from-secret',
    );
  });

  it('accepts Sentinel and Cluster configurations', () => {
    expect(
      resolveRedisOptions({
        sentinels: [{ host: 's1' }, { host: 's2', port: 5000 }],
        name: 'main',
      }),
    ).toMatchObject({
      topology: 'sentinel',
      addresses: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 5000 },
      ],
      name: 'main',
    });
    expect(resolveRedisOptions({ cluster: { nodes: [{ host: 'n1', port: 7000 }] } })).toMatchObject(
      { topology: 'cluster', addresses: [{ host: 'n1', port: 7000 }] },
    );
  });

  const invalid: Array<[string, RedisStoreOptions, RegExp]> = [
    ['a port out of range', { port: 70000 }, /port must be an integer from 1 to 65535/],
    ['a port of 0', { port: 0 }, /port must be/],
    ['a negative db', { db: -1 }, /db must be an integer >= 0/],
    ['a fractional db', { db: 1.5 }, /db must be/],
    ['an empty host', { host: '' }, /host must be a non-empty string/],
    ['a zero timeout', { timeout: 0 }, /timeout must be a positive number of seconds/],
    ['a string timeout', { timeout: '5' as unknown as number }, /timeout must be/],
    ['zero maxConnections', { maxConnections: 0 }, /maxConnections must be a positive integer/],
    ['a non-string keyPrefix', { keyPrefix: 5 as unknown as string }, /keyPrefix must be a string/],
    ['a bad ssl', { ssl: 'yes' as unknown as boolean }, /ssl must be true, false or an object/],
    [
      'both cluster and sentinels',
      { cluster: { nodes: [{}] }, sentinels: [{}], name: 'x' },
      /cluster and sentinels are contradictory/,
    ],
    [
      'cluster with host',
      { cluster: { nodes: [{}] }, host: 'h' },
      /cluster and host are contradictory/,
    ],
    ['cluster with a db', { cluster: { nodes: [{}] }, db: 2 }, /db must be 0 with cluster/],
    [
      'cluster without nodes',
      { cluster: { nodes: [] } },
      /cluster.nodes must be a non-empty array/,
    ],
    [
      'a brace in a cluster prefix',
      { cluster: { nodes: [{}] }, keyPrefix: 'a{b}:' },
      /keyPrefix must not contain \{ or \}/,
    ],
    ['sentinels without name', { sentinels: [{}] }, /sentinelName .* is required with sentinels/],
    [
      'both sentinelName and name',
      { sentinels: [{}], sentinelName: 'a', name: 'b' },
      /sentinelName and name both name the Sentinel primary/,
    ],
    [
      'sentinelName without sentinels',
      { sentinelName: 'main' },
      /sentinelName is the Sentinel primary name and needs sentinels/,
    ],
    [
      'name without sentinels',
      { name: 'main' },
      /name is the Sentinel primary name and needs sentinels/,
    ],
    [
      'sentinels with port',
      { sentinels: [{}], name: 'm', port: 1 },
      /sentinels and port are contradictory/,
    ],
    [
      'a sentinel with a bad port',
      { sentinels: [{ port: -1 }], name: 'm' },
      /sentinels\[0\].port must be/,
    ],
    ['an unparsable url', { url: 'not a url' }, /url is not a valid redis:\/\/ or rediss:\/\/ URL/],
    ['an http url', { url: 'http://h:1' }, /url must start with redis:\/\/ or rediss:\/\//],
    ['a url with a bad db', { url: 'redis://h/abc' }, /url path must be a database number/],
    ['url with host', { url: 'redis://h', host: 'h2' }, /url and host are contradictory/],
    ['url db and db', { url: 'redis://h/1', db: 2 }, /url and db are contradictory/],
    ['rediss url with ssl false', { url: 'rediss://h', ssl: false }, /ssl contradicts url/],
    ['an unknown option', { hots: 'h' } as RedisStoreOptions, /unknown option "hots"/],
  ];
  it.each(invalid)('rejects %s at creation with InvalidOptionsError', (_, options, message) => {
    expect(() => new RedisStore(options)).toThrow(InvalidOptionsError);
    expect(() => createStore({ type: 'redis', ...options })).toThrow(message);
  });

  it('never echoes a password in an error', () => {
    const attempts: RedisStoreOptions[] = [
      { url: `redis://user:${SECRET}@`, port: 1 },
      { url: `redis://user:${SECRET}@h/x` },
      { url: `redis://:${SECRET}@h`, password: SECRET },
      { password: SECRET, port: -1 },
      { password: 12345 as unknown as string },
    ];
    for (const options of attempts) {
      let error: unknown;
      try {
        new RedisStore(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(String((error as Error).message)).not.toContain(SECRET);
      expect(String((error as Error).message)).not.toContain('12345');
    }
  });
});

describe('Redis key layout', () => {
  it('puts standalone keys at prefix + key and names the index with a byte no key contains', () => {
    const layout = KeyLayout.single('app:');
    expect(layout.shards).toHaveLength(1);
    expect(layout.shardFor('anything').dataPrefix).toBe('app:');
    const index = layout.shards[0]?.indexKey as Buffer;
    expect(index.subarray(0, 4).toString()).toBe('app:');
    expect(index[4]).toBe(0xff);
    // A JavaScript string never encodes to the byte 0xFF in UTF-8.
    for (const key of ['\u00ff', '\uffff', '😀', '\u00ffkv-index']) {
      expect(Buffer.from(key).includes(0xff)).toBe(false);
    }
  });

  it('gives cluster shards hash tags whose slots cover the slot space evenly', () => {
    const tags = clusterTags();
    expect(tags).toHaveLength(CLUSTER_SHARDS);
    const slots = tags.map(keySlot);
    slots.forEach((slot, shard) => {
      expect(Math.floor((slot * CLUSTER_SHARDS) / 16384)).toBe(shard);
    });
    // Known values from CLUSTER KEYSLOT: "foo" is in slot 12182, "bar" in 5061.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    const layout = KeyLayout.cluster('p:');
    const counts = new Array<number>(CLUSTER_SHARDS).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const shard = layout.shardOf(`key:${i}`);
      counts[shard] = (counts[shard] ?? 0) + 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(700);
    expect(layout.shardFor('k').dataPrefix).toMatch(/^p:\{[0-9a-z]+\}$/);
  });
});
