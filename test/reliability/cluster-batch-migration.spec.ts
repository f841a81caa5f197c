import { Cluster } from 'ioredis';
import { ConnectionError, RedisStore, SlotMigratingError } from '../../lib/index.js';
import { clusterTags, KeyLayout, keySlot } from '../../lib/redis/index/key-layout.js';
import {
  ManualSlotMove,
  masters,
  ownerOf,
  reshard,
  tryAgainCount,
  waitForAgreement,
} from '../support/cluster-slots.js';
import { startInstances, type Instance } from '../nest/multi-instance/instances.js';
import { outcomeOf } from '../support/redis-faults.js';
import {
  LOOPBACK,
  redisCli,
  startCluster,
  uniquePrefix,
  waitUntil,
  type ClusterSetup,
} from '../support/redis-harness.js';

// Multi-key writes while Redis Cluster moves the slot of their keys: a batch applies to every key
// it was sent for or to none, in both orders a migration can leave a slot in (a data key moved
// before its shard's index, or the index before a data key), and under a real
// `redis-cli --cluster reshard`.

let cluster: ClusterSetup;
let seedPort: number;

beforeAll(async () => {
  cluster = await startCluster();
  seedPort = (cluster.nodes[0] as { port: number }).port;
  // cluster_state:ok on each node does not mean they all know every node's slots yet.
  await waitForAgreement(seedPort);
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function settle(promise: Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** `count` user keys of `shard`, named `label:<n>`. */
function keysOfShard(layout: KeyLayout, shard: number, label: string, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    if (layout.shardOf(`${label}:${i}`) === shard) keys.push(`${label}:${i}`);
  }
  return keys;
}

function storeOn(keyPrefix: string, timeout: number): RedisStore {
  return new RedisStore({
    cluster: { nodes: [{ host: LOOPBACK, port: seedPort }] },
    keyPrefix,
    timeout,
  });
}

/** What a failed call rejected with, for the figures: its code, and the message's start. */
function describeFailure(error: unknown): string {
  const text = error instanceof Error ? error.message.slice(0, 200) : String(error);
  return `${outcomeOf(error)} (${text})`;
}

/** Rounds of the put-order test: each moves the slot once more. */
const ORDER_ROUNDS = 5;

const ORDERS = [
  { order: 'a data key moved before the index', shard: 3 },
  { order: 'the index moved before a data key', shard: 6 },
] as const;

describe.each(ORDERS)('Redis Cluster, a slot half migrated ($order)', ({ order, shard }) => {
  it('putMany and deleteMany change every key or none, lone puts reject only with SlotMigratingError, and a batch refused meanwhile lands once the move ends', async () => {
    const keyPrefix = uniquePrefix('half-moved');
    const layout = KeyLayout.cluster(keyPrefix);
    const { dataPrefix, indexKey } = layout.shards[shard] as {
      dataPrefix: string;
      indexKey: Buffer;
    };
    // `kept` stays on the source; `moved` goes first when a data key moves first. The batches
    // name `kept` first, so a script that fails at `moved` has already written `kept`.
    const [kept, moved, other] = keysOfShard(layout, shard, 'k', 3) as [string, string, string];
    const quick = storeOn(keyPrefix, 1);
    const patient = storeOn(keyPrefix, 10);
    const slot = keySlot(clusterTags()[shard] as string);
    let move: ManualSlotMove | undefined;
    const anomalies: string[] = [];
    try {
      await quick.putMany([
        [kept, 'v0'],
        [moved, 'v0'],
        [other, 'v0'],
      ]);
      move = await ManualSlotMove.start(seedPort, slot);
      const slotMove = move;
      await slotMove.migrate([order.startsWith('a data') ? dataPrefix + moved : indexKey]);
      const copies = (keys: readonly string[]) =>
        Promise.all(keys.map((key) => slotMove.copies(dataPrefix + key)));
      /** What a reader sees: the source's copy while it has one, else the target's. */
      const visible = (state: { source: string | null; target: string | null }) =>
        state.source ?? state.target;
      const check = async (
        call: string,
        keys: readonly string[],
        send: () => Promise<unknown>,
        applied: (state: { source: string | null; target: string | null }) => boolean,
        reply?: (value: unknown) => boolean,
      ): Promise<void> => {
        const before = await copies(keys);
        const outcome = await settle(send());
        const after = await copies(keys);
        const split = after.filter((s) => s.source !== null && s.target !== null);
        if (split.length > 0) anomalies.push(`${call}: ${split.length} key(s) on both nodes`);
        if (outcome.ok) {
          const missed = keys.filter((_, i) => !applied(after[i] as (typeof after)[number]));
          if (missed.length > 0)
            anomalies.push(
              `${call} resolved but did not change ${missed.length} of ${keys.length} keys`,
            );
          if (reply && !reply(outcome.value))
            anomalies.push(`${call} resolved ${JSON.stringify(outcome.value)}`);
        } else {
          const changed = keys.filter((_, i) => visible(after[i]!) !== visible(before[i]!));
          if (changed.length > 0)
            anomalies.push(
              `${call} rejected (${describeFailure(outcome.error)}) but changed ${changed.length} of ${keys.length} keys`,
            );
          if (!(outcome.error instanceof SlotMigratingError))
            anomalies.push(`${call} rejected with ${describeFailure(outcome.error)}`);
        }
      };

      await check(
        'putMany',
        [kept, moved],
        () =>
          quick.putMany([
            [kept, 'v1'],
            [moved, 'v1'],
          ]),
        (state) => visible(state) === '"v1"',
      );
      await check(
        'deleteMany',
        [kept, moved],
        () => quick.deleteMany([kept, moved]),
        (state) => visible(state) === null,
        (removed) => removed === 2,
      );
      await check(
        'put',
        [moved],
        () => quick.put(moved, 'v2'),
        (state) => visible(state) === '"v2"',
      );
      const lonePut = await settle(quick.put(kept, 'v2'));
      if (!lonePut.ok && lonePut.error instanceof ConnectionError)
        anomalies.push(`a lone put rejected with ${describeFailure(lonePut.error)}`);

      // A batch refused while the slot is half moved is sent again, and lands once the move ends.
      const refusalsBefore =
        (await tryAgainCount(slotMove.source.port)) + (await tryAgainCount(slotMove.target.port));
      const late = settle(
        patient.putMany([
          [kept, 'v3'],
          [moved, 'v3'],
          [other, 'v3'],
        ]),
      );
      await Promise.race([
        late,
        waitUntil(
          async () =>
            (await tryAgainCount(slotMove.source.port)) +
              (await tryAgainCount(slotMove.target.port)) >
            refusalsBefore,
          5_000,
          'a TRYAGAIN for the batch',
        ).catch(() => undefined),
      ]);
      await slotMove.finish();
      const landed = await late;
      if (!landed.ok)
        anomalies.push(`a putMany refused mid-move rejected: ${describeFailure(landed.error)}`);
      const values = await patient.getMany([kept, moved, other]);
      if (landed.ok && values.some((value) => value !== 'v3'))
        anomalies.push(`after the move, the keys hold ${JSON.stringify(values)}`);

      // Ranges and clear() see every key that is there.
      const there = (await patient.getMany([kept, moved, other])).filter((v) => v !== undefined);
      const ranged = await patient.rangeGet('k:');
      if (ranged.length !== there.length)
        anomalies.push(`rangeGet returned ${ranged.length} of ${there.length} keys`);
      await patient.clear();
      const left = (await copies([kept, moved, other])).filter((s) => visible(s) !== null);
      if (left.length > 0) anomalies.push(`clear() left ${left.length} keys`);

      console.log(`Half-migrated slot (${order}): anomalies ${JSON.stringify(anomalies)}`);
      expect(anomalies).toEqual([]);
    } finally {
      move?.close();
      await Promise.all([quick.close(), patient.close()]);
    }
  }, 60_000);
});

describe('Redis Cluster: redis-cli --cluster reshard under putMany and deleteMany', () => {
  it('reports each batch as it happened on the server, and lone puts never fail as ConnectionError', async () => {
    const keyPrefix = uniquePrefix('reshard-batches');
    const layout = KeyLayout.cluster(keyPrefix);
    const shard = 0;
    const tag = clusterTags()[shard] as string;
    const slot = keySlot(tag);
    const { dataPrefix } = layout.shards[shard] as { dataPrefix: string };
    const store = storeOn(keyPrefix, 5);
    const raw = new Cluster([{ host: LOOPBACK, port: seedPort }]);
    const WRITERS = 4;
    const FILLER = 20_000;
    try {
      // A slot with many keys takes a while to move, as a production slot does.
      for (let i = 0; i < FILLER; i += 1000) {
        const pairs: string[] = [];
        for (let j = i; j < i + 1000; j++) pairs.push(`{${tag}}filler:${j}`, 'x');
        await raw.mset(...pairs);
      }
      const source = await ownerOf(seedPort, slot);
      const all = await masters(seedPort);
      const target = all.find((m) => m.id !== source.id) as { id: string; port: number };
      const ranges = (await raw.cluster('SLOTS')) as unknown as Array<
        [number, number, [string, number]]
      >;
      const first = Math.min(...ranges.filter((r) => r[2][1] === source.port).map((r) => r[0]));
      expect(first).toBeLessThanOrEqual(slot);

      const anomalies: string[] = [];
      const counts = { putMany: 0, deleteMany: 0, refused: 0, puts: 0 };
      const putFailures = new Map<string, number>();
      let running = true;
      const writer = async (w: number): Promise<void> => {
        const keys = keysOfShard(layout, shard, `w${w}`, 2);
        const read = () => Promise.all(keys.map((key) => raw.get(dataPrefix + key)));
        let version = 0;
        while (running) {
          // A call that settles without I/O must not starve the reshard's exit event.
          await new Promise((resolve) => setImmediate(resolve));
          version++;
          const before = await read();
          const put = await settle(store.putMany(keys.map((key) => [key, version])));
          const afterPut = await read();
          counts.putMany++;
          if (put.ok && afterPut.some((v) => v !== String(version)))
            anomalies.push(`putMany resolved, keys hold ${JSON.stringify(afterPut)}`);
          if (!put.ok) {
            counts.refused++;
            if (JSON.stringify(afterPut) !== JSON.stringify(before))
              anomalies.push(
                `putMany rejected (${describeFailure(put.error)}), keys went ${JSON.stringify(before)} -> ${JSON.stringify(afterPut)}`,
              );
            if (!(put.error instanceof SlotMigratingError))
              anomalies.push(`putMany rejected with ${describeFailure(put.error)}`);
          }
          const existing = afterPut.filter((v) => v !== null).length;
          const del = await settle(store.deleteMany(keys));
          const afterDelete = await read();
          counts.deleteMany++;
          if (del.ok && (afterDelete.some((v) => v !== null) || del.value !== existing))
            anomalies.push(
              `deleteMany resolved ${String(del.value)} of ${existing}, keys hold ${JSON.stringify(afterDelete)}`,
            );
          if (!del.ok) {
            counts.refused++;
            if (JSON.stringify(afterDelete) !== JSON.stringify(afterPut))
              anomalies.push(
                `deleteMany rejected (${describeFailure(del.error)}), keys went ${JSON.stringify(afterPut)} -> ${JSON.stringify(afterDelete)}`,
              );
            if (!(del.error instanceof SlotMigratingError))
              anomalies.push(`deleteMany rejected with ${describeFailure(del.error)}`);
          }
        }
      };
      const loner = async (): Promise<void> => {
        const [key] = keysOfShard(layout, shard, 'lone', 1) as [string];
        for (let i = 0; running; i++) {
          await new Promise((resolve) => setImmediate(resolve));
          const put = await settle(store.put(key, i));
          counts.puts++;
          if (!put.ok) {
            const name = describeFailure(put.error).slice(0, 60);
            putFailures.set(name, (putFailures.get(name) ?? 0) + 1);
          }
        }
      };
      const load = [...Array.from({ length: WRITERS }, (_, w) => writer(w)), loner()];
      const started = performance.now();
      await reshard(source.port, source.id, target.id, slot - first + 1);
      const reshardMs = Math.round(performance.now() - started);
      running = false;
      await Promise.all(load);
      console.log(
        `Reshard of ${slot - first + 1} slots (slot ${slot} with ${FILLER} other keys) in ${reshardMs} ms: ` +
          `${JSON.stringify(counts)}; lone put failures ${JSON.stringify(Object.fromEntries(putFailures))}; ` +
          `${anomalies.length} anomalies, first ${JSON.stringify(anomalies.slice(0, 6))}`,
      );
      expect((await ownerOf(seedPort, slot)).id).toBe(target.id);
      expect(anomalies).toEqual([]);
      expect([...putFailures.keys()].filter((name) => name.startsWith('CONNECTION'))).toEqual([]);
      // The store's index lost nothing: ranges list every key the writers left, clear() all.
      const used = [
        ...Array.from({ length: WRITERS }, (_, w) => keysOfShard(layout, shard, `w${w}`, 2)).flat(),
        ...keysOfShard(layout, shard, 'lone', 1),
      ];
      const left = (await Promise.all(used.map((key) => raw.get(dataPrefix + key))))
        .map((value, i) => (value === null ? undefined : used[i]))
        .filter((key) => key !== undefined)
        .sort();
      expect((await store.rangeGet('')).map(([key]) => key)).toEqual(left);
      expect(await store.clear()).toBe(left.length);
      expect(await Promise.all(used.map((key) => raw.get(dataPrefix + key)))).toEqual(
        used.map(() => null),
      );
    } finally {
      raw.disconnect();
      await store.close();
    }
  }, 90_000);
});

describe('@Cached across 4 instance processes while the slot of its entries moves', () => {
  // Cold keys' entries exist on neither node: with the slot only marked migrating, a write that
  // declares them is refused (TRYAGAIN) until the move ends; one that does not declare them ran on
  // the source and failed there ('non local key'), and the key was computed again elsewhere.
  it.each([
    { state: 'the index moved first', indexFirst: true },
    { state: 'nothing moved yet', indexFirst: false },
  ])(
    'runs each cold key once, and every caller of a key gets the same value ($state)',
    async ({ indexFirst }) => {
      const keyPrefix = uniquePrefix('cached-move');
      const layout = KeyLayout.cluster(keyPrefix);
      const entryOf = (id: string): string => `cached:Work.value:${JSON.stringify([id])}`;
      // Six cold keys whose entries live in one shard; its slot is half moved while the instances
      // compute them, and the move ends while they write.
      const shard = layout.shardOf(entryOf('c0'));
      const ids: string[] = [];
      for (let i = 0; ids.length < 6; i++) {
        if (layout.shardOf(entryOf(`c${i}`)) === shard) ids.push(`c${i}`);
      }
      const { indexKey } = layout.shards[shard] as { indexKey: Buffer };
      const reader = storeOn(keyPrefix, 10);
      let instances: Instance[] = [];
      let move: ManualSlotMove | undefined;
      try {
        instances = await startInstances(4, {
          store: {
            type: 'redis',
            cluster: { nodes: [{ host: LOOPBACK, port: seedPort }] },
            keyPrefix,
          },
          cached: { ttl: 60, lockWait: 10 },
          computeMs: 300,
          tagged: true,
        });
        await reader.put(`warm:${ids[0] as string}`, 1);
        move = await ManualSlotMove.start(seedPort, keySlot(clusterTags()[shard] as string));
        if (indexFirst) await move.migrate([indexKey]);
        const slotMove = move;
        const calls = instances.flatMap((instance) => ids.map((id) => instance.call(id, 2)));
        // Every key computed somewhere and its write refused at least once: then the move ends.
        await Promise.all(
          ids.map((id) => Promise.race(instances.map((instance) => instance.computingOf(id)))),
        );
        // The writes follow the runs (300 ms): wait for refusals that come after the runs started.
        const refusalsComputing =
          (await tryAgainCount(slotMove.source.port)) + (await tryAgainCount(slotMove.target.port));
        await waitUntil(
          async () =>
            (await tryAgainCount(slotMove.source.port)) +
              (await tryAgainCount(slotMove.target.port)) >
            refusalsComputing,
          5_000,
          'a refused write',
        ).catch(() => undefined);
        await slotMove.finish();
        const replies = await Promise.all(calls);
        const runs = await reader.getMany<number>(ids.map((id) => `runs:${id}`));
        const valuesPerKey = ids.map(
          (id) =>
            new Set(
              replies
                .flatMap((reply) => reply.results ?? [])
                .filter((result) => result.value?.id === id || result.error !== undefined)
                .map((result) => JSON.stringify(result.value ?? result.error)),
            ).size,
        );
        console.log(
          `@Cached during a slot move: runs per key ${JSON.stringify(runs)}, distinct values per key ${JSON.stringify(valuesPerKey)}; ` +
            `counters ${JSON.stringify(replies.slice(-1).map((reply) => reply.stats))}`,
        );
        expect(runs).toEqual(ids.map(() => 1));
        expect(valuesPerKey).toEqual(ids.map(() => 1));
      } finally {
        move?.close();
        await Promise.all(instances.map((instance) => instance.stop()));
        await reader.close();
      }
    },
    60_000,
  );
});

describe('Writes of one key while its slot moves', () => {
  it('a put refused for the move never lands after a later put of the same key', async () => {
    const keyPrefix = uniquePrefix('order');
    const layout = KeyLayout.cluster(keyPrefix);
    const shard = 9;
    const [warm, ...cold] = keysOfShard(layout, shard, 'o', 1 + ORDER_ROUNDS);
    const store = storeOn(keyPrefix, 10);
    const rounds: string[] = [];
    const finals: unknown[] = [];
    const olderOutcomes: string[] = [];
    try {
      // The shard's index exists on the source; a cold key exists on neither node, so a put of
      // it, which names both, is refused (TRYAGAIN) until the move ends, and sent again meanwhile
      // (the pause between two sends grows from 20 to 250 ms). A later put of the key must not let
      // a send of the older one land after it.
      await store.put(warm as string, 'w');
      for (const key of cold) {
        const move = await ManualSlotMove.start(seedPort, keySlot(clusterTags()[shard] as string));
        try {
          const source = move.source.port;
          const refusedBefore = await tryAgainCount(source);
          const older = settle(store.put(key, 'older'));
          // More refusals than ioredis follows by itself (16): the store has seen one, and sends it again.
          await waitUntil(
            async () => (await tryAgainCount(source)) > refusedBefore + 16,
            5000,
            'the older put to be refused by the store',
          );
          const newer = settle(store.put(key, 'newer'));
          await move.finish();
          const [olderOutcome, newerOutcome] = await Promise.all([older, newer]);
          const final = await store.get(key);
          finals.push(final);
          olderOutcomes.push(olderOutcome.ok ? 'resolved' : outcomeOf(olderOutcome.error));
          rounds.push(
            `older ${olderOutcome.ok ? 'resolved' : describeFailure(olderOutcome.error)}, newer ${newerOutcome.ok ? 'resolved' : describeFailure(newerOutcome.error)}, key holds ${JSON.stringify(final)}`,
          );
        } finally {
          move.close();
        }
      }
      console.log(
        `Two puts of one key refused mid-move (the older one first): ${rounds.join('; ')}`,
      );
      expect(finals).toEqual(cold.map(() => 'newer'));
      // The older put landed before the newer one was sent, or was not sent again (it did not run).
      expect(olderOutcomes.filter((o) => o !== 'resolved' && o !== 'SLOT_MIGRATING')).toEqual([]);
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('Durable writes while a slot moves', () => {
  it('a durable put that ran on the node importing the slot is not confirmed by the old owner’s replicas', async () => {
    const keyPrefix = uniquePrefix('durable-move');
    const layout = KeyLayout.cluster(keyPrefix);
    const shard = 5;
    const [key] = keysOfShard(layout, shard, 'd', 1) as [string];
    const { indexKey, dataPrefix } = layout.shards[shard] as {
      indexKey: Buffer;
      dataPrefix: string;
    };
    const store = new RedisStore({
      cluster: { nodes: [{ host: LOOPBACK, port: seedPort }] },
      keyPrefix,
      timeout: 5,
      durability: { replicas: 1, timeout: 0.5 },
    });
    let move: ManualSlotMove | undefined;
    let pausedPid: number | undefined;
    try {
      // Replicas still waiting for their first full sync confirm nothing.
      for (const node of cluster.nodes) {
        await waitUntil(
          async () =>
            /role:master|master_link_status:up/.test(
              await redisCli(node.port, 'info', 'replication'),
            ),
          20_000,
          `port ${node.port} to be a master or a synced replica`,
        );
      }
      await store.put(key, 'before');
      // The key and its shard's index move first: a put of it now runs on the target (ASK).
      move = await ManualSlotMove.start(seedPort, keySlot(clusterTags()[shard] as string));
      await move.migrate([indexKey, dataPrefix + key]);
      const info = await redisCli(move.target.port, 'info', 'replication');
      const replicaPort = Number(/^slave0:ip=[^,]+,port=(\d+)/m.exec(info)?.[1]);
      const replica = cluster.nodes.find((node) => node.port === replicaPort);
      expect(replica).toBeDefined();
      process.kill(replica!.pid, 'SIGSTOP');
      pausedPid = replica!.pid;
      const outcome = await settle(store.put(key, 'during'));
      const copies = await move.copies(dataPrefix + key);
      process.kill(replica!.pid, 'SIGCONT');
      pausedPid = undefined;
      console.log(
        `durable put run on the importing node, its replica paused: ${outcome.ok ? 'resolved' : describeFailure(outcome.error)}; copies ${JSON.stringify(copies)}`,
      );
      expect(copies).toEqual({ source: null, target: JSON.stringify('during') });
      expect(outcome.ok ? 'resolved' : outcomeOf(outcome.error)).toBe('TIMEOUT');
      // Once the move ends, durable writes of the shard are confirmed on its new owner.
      await move.finish();
      await expect(store.put(key, 'after')).resolves.toBeUndefined();
    } finally {
      if (pausedPid !== undefined) process.kill(pausedPid, 'SIGCONT');
      move?.close();
      await store.close();
    }
  }, 60_000);
});
