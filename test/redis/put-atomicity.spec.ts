import { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../../lib/index.js';
import { KeyLayout, type Shard } from '../../lib/redis/index/key-layout.js';
import { LOOPBACK, uniquePrefix } from '../support/redis-harness.js';
import {
  sharedCluster,
  sharedStandalone,
  type SharedCluster,
  type SharedServer,
} from '../support/shared-redis/shared-servers.js';

const ROUNDS = 30;
/**
 * Rounds go on past ROUNDS until a look fell between the writes of a round (a look that never
 * does proves nothing), up to this many.
 */
const MAX_ROUNDS = 300;
const KEYS_PER_ROUND = 1200;
/** Values big enough that one folded batch reaches Redis in many reads. */
const VALUE = 'v'.repeat(2000);

/**
 * Run atomically by Redis: for each member, whether its data key exists and whether the index
 * holds it. Returns { members out of step..., then how many data keys exist }.
 */
const CHECK = `
local out = {}
local present = 0
for i = 2, #ARGV do
  local data = redis.call('EXISTS', ARGV[1] .. ARGV[i]) == 1
  local indexed = redis.call('ZSCORE', KEYS[1], ARGV[i]) ~= false
  if data then present = present + 1 end
  if data ~= indexed then out[#out + 1] = ARGV[i] end
end
out[#out + 1] = tostring(present)
return out
`;

interface Observation {
  /** Members whose data key and index entry were out of step in one atomic look. */
  outOfStep: string[];
  /** Looks that saw some but not all of a round's keys: the looks fell between writes. */
  partial: number;
  /** Looks taken. */
  looks: number;
}

/**
 * Puts ROUNDS rounds (or more, see MAX_ROUNDS) of KEYS_PER_ROUND new keys, issued in one tick
 * (folded into batches) and then deleted, while `look` checks the keys of the round in flight
 * again and again.
 */
async function observeWhilePutting(
  store: RedisStore,
  layout: KeyLayout,
  look: (shard: Shard, members: string[]) => Promise<string[]>,
): Promise<Observation> {
  const observation: Observation = { outOfStep: [], partial: 0, looks: 0 };
  const roundKeys = (r: number): string[] =>
    Array.from({ length: KEYS_PER_ROUND }, (_, i) => `r${r}:${String(i).padStart(5, '0')}`);
  let round = roundKeys(0);
  let writing = true;
  const observer = async (): Promise<void> => {
    while (writing) {
      // Every 10th key of the round: a quick look, taken often.
      const members = round.filter((_, i) => i % 10 === 0);
      const byShard = new Map<number, string[]>();
      for (const member of members) {
        const shard = layout.shardOf(member);
        byShard.set(shard, [...(byShard.get(shard) ?? []), member]);
      }
      let present = 0;
      for (const [shard, inShard] of byShard) {
        const reply = await look(layout.shards[shard] as Shard, inShard);
        present += Number(reply.pop());
        observation.outOfStep.push(...reply);
      }
      observation.looks++;
      if (present > 0 && present < members.length) observation.partial++;
    }
  };
  const watching = observer();
  for (let r = 0; r < ROUNDS || (observation.partial === 0 && r < MAX_ROUNDS); r++) {
    round = roundKeys(r);
    await Promise.all(
      round.map((key, i) => store.put(key, VALUE, { ttl: i % 7 === 0 ? 60 : null })),
    );
    await store.deleteMany(round);
  }
  writing = false;
  await watching;
  return observation;
}

describe('a put changes the data key and the range index together', () => {
  let server: SharedServer;
  beforeAll(() => {
    server = sharedStandalone();
  });

  it('a reader on another connection never sees a key without its index entry, or the reverse (standalone)', async () => {
    const keyPrefix = uniquePrefix('atomic');
    const store = new RedisStore({ host: LOOPBACK, port: server.port, keyPrefix, timeout: 10 });
    const reader = new Redis({ host: LOOPBACK, port: server.port });
    try {
      const observation = await observeWhilePutting(
        store,
        KeyLayout.single(keyPrefix),
        (shard, members) =>
          reader.eval(CHECK, 1, shard.indexKey, shard.dataPrefix, ...members) as Promise<string[]>,
      );
      expect(observation.outOfStep).toEqual([]);
      // The looks did fall between the writes of a round, or they would prove nothing.
      expect(observation.partial).toBeGreaterThan(0);
    } finally {
      reader.disconnect();
      await store.close();
    }
  }, 60_000);

  describe('on a cluster', () => {
    let cluster: SharedCluster;
    beforeAll(() => {
      cluster = sharedCluster();
    });

    it('a reader never sees a key without its index entry, or the reverse, on any shard', async () => {
      const keyPrefix = uniquePrefix('atomic-cluster');
      const nodes = [{ host: LOOPBACK, port: cluster.nodes[0]?.port as number }];
      const store = new RedisStore({ cluster: { nodes }, keyPrefix, timeout: 10 });
      const reader = new Cluster(nodes);
      try {
        const observation = await observeWhilePutting(
          store,
          KeyLayout.cluster(keyPrefix),
          (shard, members) =>
            reader.eval(CHECK, 1, shard.indexKey, shard.dataPrefix, ...members) as Promise<
              string[]
            >,
        );
        expect(observation.outOfStep).toEqual([]);
        expect(observation.partial).toBeGreaterThan(0);
      } finally {
        reader.disconnect();
        await store.close();
      }
    }, 90_000);
  });
});
