import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { LOOPBACK, redisCli, waitUntil } from './redis-harness.js';
import { REDIS_CLI } from './server-binaries.js';

const run = promisify(execFile);

/** A cluster master as `CLUSTER NODES` lists it. */
export interface Master {
  readonly id: string;
  readonly port: number;
}

/**
 * Every master of the cluster `port` belongs to that serves slots. A node of a new cluster that is
 * still becoming a replica shows as a master without slots for a moment, and `redis-cli --cluster
 * reshard` refuses it as a target ("not known or not a master").
 */
export async function masters(port: number): Promise<Master[]> {
  const lines = (await redisCli(port, 'cluster', 'nodes')).trim().split('\n');
  return lines
    .map((line) => line.split(' '))
    .filter(
      (fields) =>
        fields[2]?.includes('master') && !fields[2]?.includes('fail') && fields[8] !== undefined,
    )
    .map((fields) => ({
      id: fields[0] as string,
      port: Number(/:(\d+)@/.exec(fields[1] as string)?.[1]),
    }));
}

/** The master that owns `slot` now, from `CLUSTER NODES` (ranges such as `0-5460` or `5461`). */
export async function ownerOf(port: number, slot: number): Promise<Master> {
  const lines = (await redisCli(port, 'cluster', 'nodes')).trim().split('\n');
  for (const fields of lines.map((line) => line.split(' '))) {
    if (!fields[2]?.includes('master')) continue;
    const owns = fields.slice(8).some((range) => {
      if (range.startsWith('[')) return false;
      const [from, to] = range.split('-').map(Number) as [number, number | undefined];
      return slot >= from && slot <= (to ?? from);
    });
    if (owns) {
      return { id: fields[0] as string, port: Number(/:(\d+)@/.exec(fields[1] as string)?.[1]) };
    }
  }
  throw new Error(`no master owns slot ${slot}`);
}

/**
 * One slot moved by hand, step by step, as `redis-cli --cluster reshard` moves it: mark it
 * importing on the target and migrating on the source, MIGRATE keys, then assign it to the target
 * everywhere. Between the steps the slot is half migrated for as long as a test needs.
 */
export class ManualSlotMove {
  private constructor(
    readonly slot: number,
    readonly source: Master,
    readonly target: Master,
    private readonly all: readonly Master[],
    /** Plain connections to the source and target (no cluster routing). */
    readonly sourceNode: Redis,
    readonly targetNode: Redis,
  ) {}

  /** Opens the move of `slot` from its owner to another master (CLUSTER SETSLOT ... IMPORTING/MIGRATING). */
  static async start(seedPort: number, slot: number): Promise<ManualSlotMove> {
    const source = await ownerOf(seedPort, slot);
    // The seed's view can still list a fresh replica as a master: ask each candidate itself.
    let target: Master | undefined;
    let all: Master[] = [];
    await waitUntil(
      async () => {
        all = await masters(seedPort);
        for (const candidate of all) {
          if (candidate.id === source.id) continue;
          if ((await redisCli(candidate.port, 'role')).startsWith('master')) {
            target = candidate;
            return true;
          }
        }
        return false;
      },
      10_000,
      `a master other than ${source.port} to import slot ${slot}`,
    );
    if (target === undefined) throw new Error(`no master to import slot ${slot}`);
    for (const [node, state, other] of [
      [target, 'importing', source],
      [source, 'migrating', target],
    ] as const) {
      const reply = await redisCli(node.port, 'cluster', 'setslot', String(slot), state, other.id);
      if (!reply.includes('OK'))
        throw new Error(`CLUSTER SETSLOT ${state} on ${node.port}: ${reply}`);
    }
    return new ManualSlotMove(
      slot,
      source,
      target,
      all,
      new Redis({ host: LOOPBACK, port: source.port, lazyConnect: false }),
      new Redis({ host: LOOPBACK, port: target.port, lazyConnect: false }),
    );
  }

  /** MIGRATEs `keys` (names as Redis knows them) from the source to the target, replacing. */
  async migrate(keys: ReadonlyArray<string | Buffer>): Promise<void> {
    if (keys.length === 0) return;
    const reply = await this.sourceNode.call(
      'MIGRATE',
      LOOPBACK,
      this.target.port,
      '',
      0,
      5000,
      'REPLACE',
      'KEYS',
      ...keys,
    );
    if (String(reply) !== 'OK' && String(reply) !== 'NOKEY') throw new Error(String(reply));
  }

  /** Moves what is left of the slot and assigns it to the target on every master. */
  async finish(): Promise<void> {
    for (let round = 0; ; round++) {
      if (round > 100) throw new Error(`slot ${this.slot} does not empty`);
      const rest = (await this.sourceNode.callBuffer(
        'CLUSTER',
        'GETKEYSINSLOT',
        this.slot,
        1000,
      )) as Buffer[];
      if (rest.length === 0) break;
      await this.migrate(rest);
    }
    for (const node of [this.target, this.source, ...this.all]) {
      await redisCli(node.port, 'cluster', 'setslot', String(this.slot), 'node', this.target.id);
    }
  }

  /**
   * What each node holds under `name` right now: the source's value (a plain GET, which the
   * source answers with ASK for a key it does not hold) and the target's (ASKING then GET).
   */
  async copies(name: string | Buffer): Promise<{ source: string | null; target: string | null }> {
    const source = await this.sourceNode.get(name).catch(() => null);
    const replies = (await this.targetNode.pipeline().asking().get(name).exec()) ?? [];
    const [error, target] = replies[1] ?? [];
    if (error) throw error;
    return { source, target: (target as string | null | undefined) ?? null };
  }

  /** Closes the two plain connections. */
  close(): void {
    this.sourceNode.disconnect();
    this.targetNode.disconnect();
  }
}

/** How many TRYAGAIN replies the node on `port` has sent so far (INFO errorstats). */
export async function tryAgainCount(port: number): Promise<number> {
  const info = await redisCli(port, 'info', 'errorstats');
  return Number(/errorstat_TRYAGAIN:count=(\d+)/.exec(info)?.[1] ?? 0);
}

/** Waits until every node of the cluster agrees on its nodes and slots (`redis-cli --cluster check`). */
export async function waitForAgreement(port: number): Promise<void> {
  await waitUntil(
    async () => {
      const { stdout } = await run(REDIS_CLI, ['--cluster', 'check', `${LOOPBACK}:${port}`]);
      return stdout.includes('[OK] All nodes agree') && stdout.includes('[OK] All 16384 slots');
    },
    30_000,
    'the cluster nodes to agree on the slot map',
  );
}

/**
 * Moves the first `count` slots of master `from` to master `to` with a real
 * `redis-cli --cluster reshard` (slots in ascending order), through the node on `port`.
 */
export async function reshard(
  port: number,
  from: string,
  to: string,
  count: number,
): Promise<void> {
  await run(
    REDIS_CLI,
    [
      '--cluster',
      'reshard',
      `${LOOPBACK}:${port}`,
      '--cluster-from',
      from,
      '--cluster-to',
      to,
      '--cluster-slots',
      String(count),
      '--cluster-yes',
    ],
    { timeout: 120_000 },
  ).catch(
    (error: Error & { stdout?: string; stderr?: string; code?: unknown; signal?: unknown }) => {
      // The command line alone does not say why: redis-cli prints its reason among the slot lines.
      const reason = `${error.stdout ?? ''}\n${error.stderr ?? ''}`
        .split('\n')
        .filter((line) => /ERR|error/i.test(line))
        .slice(0, 5)
        .join('\n');
      throw new Error(
        `${error.message}\n${reason}\nexit ${String(error.code)} ${String(error.signal)}; stdout ends: ${(error.stdout ?? '').slice(-300)}; stderr ends: ${(error.stderr ?? '').slice(-300)}`,
      );
    },
  );
}
