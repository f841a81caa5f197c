import { Redis } from 'ioredis';
import { RedisStore } from '../../lib/index.js';
import { clusterTags, KeyLayout, keySlot } from '../../lib/redis/index/key-layout.js';
import { ownerOf, reshard } from '../support/cluster-slots.js';
import { outcomeOf, watchUnhandledRejections } from '../support/redis-faults.js';
import {
  LOOPBACK,
  redisCli,
  startCluster,
  uniquePrefix,
  type ClusterSetup,
} from '../support/redis-harness.js';
import { sleep } from '../support/sleep.js';

const KEYS_BEFORE = 500;
const WRITERS = 4;

let cluster: ClusterSetup;

beforeAll(async () => {
  cluster = await startCluster();
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Masters as `CLUSTER NODES` lists them: id, port and the first slot of their first range. */
async function masters(port: number): Promise<Array<{ id: string; port: number; from: number }>> {
  const lines = (await redisCli(port, 'cluster', 'nodes')).trim().split('\n');
  return lines
    .map((line) => line.split(' '))
    .filter((fields) => fields[2]?.includes('master') && fields[8] !== undefined)
    .map((fields) => ({
      id: fields[0] as string,
      port: Number(/:(\d+)@/.exec(fields[1] as string)?.[1]),
      from: Number((fields[8] as string).split('-')[0]),
    }));
}

describe('Redis Cluster: live resharding (redis-cli --cluster reshard) under writes and range queries', () => {
  it('loses no acknowledged write, and ranges stay complete and ordered during and after', async () => {
    const watch = watchUnhandledRejections();
    const seedPort = (cluster.nodes[0] as { port: number }).port;
    const store = new RedisStore({
      cluster: { nodes: [{ host: LOOPBACK, port: seedPort }] },
      keyPrefix: uniquePrefix('reshard'),
      timeout: 5,
    });
    try {
      const before = Array.from(
        { length: KEYS_BEFORE },
        (_, i) => [`pre:${String(i).padStart(4, '0')}`, i] as const,
      );
      await store.putMany(before);
      // Move the slots from the start of the first master's range up to and including the slots
      // of two of the store's shards, so that slots holding the store's keys change owner.
      const all = await masters(seedPort);
      const source = all.reduce((a, b) => (a.from <= b.from ? a : b));
      const target = all.find((m) => m.id !== source.id) as (typeof all)[number];
      const tagSlots = clusterTags()
        .map(keySlot)
        .filter((slot) => slot >= source.from)
        .sort((a, b) => a - b);
      const slotsToMove = (tagSlots[1] as number) - source.from + 1;

      const acknowledged: string[] = [];
      const anomalies: string[] = [];
      const failures = new Map<string, number>();
      let rangesDuring = 0;
      let running = true;
      let next = 0;
      const writer = async (): Promise<void> => {
        while (running) {
          const key = `w:${String(next++).padStart(6, '0')}`;
          try {
            await store.put(key, next);
            acknowledged.push(key);
          } catch (error) {
            failures.set(outcomeOf(error), (failures.get(outcomeOf(error)) ?? 0) + 1);
            await sleep(10);
          }
        }
      };
      const reader = async (): Promise<void> => {
        while (running) {
          try {
            const rows = await store.rangeGet<number>('pre:');
            rangesDuring++;
            if (rows.length !== KEYS_BEFORE)
              anomalies.push(`rangeGet returned ${rows.length} rows`);
            else if (rows.some(([key], i) => key !== before[i]?.[0]))
              anomalies.push('rangeGet out of order');
          } catch (error) {
            failures.set(
              `range ${outcomeOf(error)}`,
              (failures.get(`range ${outcomeOf(error)}`) ?? 0) + 1,
            );
            await sleep(10);
          }
        }
      };
      const load = [...Array.from({ length: WRITERS }, writer), reader()];
      await sleep(200);
      const started = performance.now();
      await reshard(source.port, source.id, target.id, slotsToMove);
      const reshardMs = Math.round(performance.now() - started);
      await sleep(200);
      running = false;
      await Promise.all(load);

      const values = await store.getMany(acknowledged);
      const lost = acknowledged.filter((_, i) => values[i] === undefined);
      const written = await store.rangeGet('w:');
      console.log(
        `Cluster resharding: ${slotsToMove} slots moved in ${reshardMs} ms under load; ${acknowledged.length} writes acknowledged, ${lost.length} lost; ` +
          `${rangesDuring} range queries during, anomalies ${anomalies.length}; failed calls ${JSON.stringify(Object.fromEntries(failures))}`,
      );
      expect(lost).toEqual([]);
      expect(anomalies).toEqual([]);
      expect(rangesDuring).toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(100);
      const writtenKeys = written.map(([key]) => key);
      expect(writtenKeys).toEqual([...writtenKeys].sort());
      expect(new Set(writtenKeys)).toEqual(new Set(acknowledged));
      expect(await store.rangeGet('pre:')).toEqual(before.map(([key, value]) => [key, value]));
      // The store's keys really moved: the target now holds the keys of a moved shard's slot.
      const movedSlot = String(tagSlots[0]);
      expect(
        Number(await redisCli(target.port, 'cluster', 'countkeysinslot', movedSlot)),
      ).toBeGreaterThan(0);
      expect(Number(await redisCli(source.port, 'cluster', 'countkeysinslot', movedSlot))).toBe(0);
      expect(watch.rejections).toEqual([]);
      await store.clear();
    } finally {
      await store.close();
      watch.stop();
    }
  }, 180_000);
  it('keeps a key whose data moved before its index (a slot caught mid-migration) in ranges and in the index', async () => {
    const seedPort = (cluster.nodes[0] as { port: number }).port;
    const keyPrefix = uniquePrefix('midmigration');
    const store = new RedisStore({
      cluster: { nodes: [{ host: LOOPBACK, port: seedPort }] },
      keyPrefix,
      timeout: 5,
    });
    try {
      const layout = KeyLayout.cluster(keyPrefix);
      const keys = Array.from({ length: 40 }, (_, i) => `m:${String(i).padStart(2, '0')}`);
      await store.putMany(keys.map((key) => [key, key]));
      const moved = keys[0] as string;
      const shard = layout.shardOf(moved);
      const slot = keySlot(clusterTags()[shard] as string);
      const source = await ownerOf(seedPort, slot);
      const others = (await masters(seedPort)).filter((m) => m.id !== source.id);
      const target = others[0] as (typeof others)[number];
      // What redis-cli --cluster reshard does, frozen after the first MIGRATE: the data key of
      // `moved` is on the target while its shard's index is still on the source.
      await redisCli(target.port, 'cluster', 'setslot', String(slot), 'importing', source.id);
      await redisCli(source.port, 'cluster', 'setslot', String(slot), 'migrating', target.id);
      const dataKey = (layout.shards[shard] as { dataPrefix: string }).dataPrefix + moved;
      expect(
        await redisCli(
          source.port,
          'migrate',
          LOOPBACK,
          String(target.port),
          '',
          '0',
          '5000',
          'KEYS',
          dataKey,
        ),
      ).toMatch(/OK/);

      const expected = keys.map((key) => [key, key]);
      expect(await store.rangeGet('m:')).toEqual(expected);
      await store.sweepIndex();
      expect(await store.rangeGet('m:')).toEqual(expected);

      // Then the index moves too, ahead of the shard's other data keys: scripts now run on the
      // target (ioredis follows ASK), where those data keys are not yet.
      const admin = new Redis({ host: LOOPBACK, port: source.port });
      try {
        const indexKey = (layout.shards[shard] as { indexKey: Buffer }).indexKey;
        expect(
          String(await admin.call('MIGRATE', LOOPBACK, target.port, '', 0, 5000, 'KEYS', indexKey)),
        ).toBe('OK');
      } finally {
        admin.disconnect();
      }
      expect(await store.rangeGet('m:')).toEqual(expected);
      await store.sweepIndex();
      expect(await store.rangeGet('m:')).toEqual(expected);

      // Finish the migration: the rest of the slot moves, and every master learns the new owner.
      const rest = (await redisCli(source.port, 'cluster', 'getkeysinslot', String(slot), '1000'))
        .split('\n')
        .filter((name) => name !== '');
      if (rest.length > 0) {
        await redisCli(
          source.port,
          'migrate',
          LOOPBACK,
          String(target.port),
          '',
          '0',
          '5000',
          'KEYS',
          ...rest,
        );
      }
      for (const node of [target, source, ...others.slice(1)]) {
        await redisCli(node.port, 'cluster', 'setslot', String(slot), 'node', target.id);
      }
      expect(await store.rangeGet('m:')).toEqual(expected);
      await store.clear();
    } finally {
      await store.close();
    }
  }, 60_000);
});
