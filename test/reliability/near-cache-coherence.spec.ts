import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createStore, InvalidOptionsError } from '../../lib/index.js';
import { assertBuiltCli, REPO } from '../cli/run-cli-process.js';
import { STALENESS_WINDOW_MS } from '../redis/near-cache/support/near-cache-helpers.js';
import {
  checkCoherence,
  describeViolation,
  type CoherenceReport,
  type HistoryOp,
  type PhaseMark,
} from '../support/coherence-checker.js';
import {
  historyNow,
  initiallyAbsent,
  readCoherenceHistory,
  startCoherenceWorker,
  type CoherenceWorker,
  type StatsSample,
} from '../support/coherence-workers.js';
import { FaultProxy, type ProxiedConnection } from '../support/fault-proxy.js';
import { DURABLE_ARGS, killHard, restartRedis } from '../support/redis-faults.js';
import { LOOPBACK, startRedis, uniquePrefix, type RedisProcess } from '../support/redis-harness.js';

/**
 * Issue 25's coherence check: application instances in their own processes read and write a few
 * keys through a fault proxy while the test breaks things (the invalidation connection killed,
 * reset during SUBSCRIBE, its SUBSCRIBE reply held, its messages delayed, CLIENT PAUSE, SIGKILL
 * and restart with AOF, SWAPDB, FLUSHDB). Afterwards a checker goes over every read: none may
 * return a value older than the documented bound allows (`STALENESS_WINDOW_MS` after a newer
 * write was acknowledged; `maxAge` after a SWAPDB, which Redis does not report to trackers), and
 * once the faults stopped every read must be fresh within the default bound.
 *
 * Both tracking modes run at once, each with its own key prefix and three instances; a control
 * instance that caches reads in a Map and never invalidates runs with the default ones and must
 * be flagged. The instances get `nearCache.maxAge` when the build accepts it; without it the
 * SWAPDB phase fails (a value cached before the swap is served until its key is written again).
 *
 * Run alone: `npm run build && NODE_OPTIONS=--experimental-vm-modules npx jest
 * test/reliability/near-cache-coherence.spec.ts`; `COHERENCE_FAULTS=kill-pubsub,flushdb` runs
 * some faults only (names in FAULTS below); `COHERENCE_DEBUG=1` also writes the CLIENT and
 * SUBSCRIBE commands the proxy saw to .tmp/near-cache-coherence.json.log. Figures (reads checked,
 * reads past the bound and largest staleness per phase, near-cache activity, the first
 * violations with the newest acknowledged write) go to the console and to
 * .tmp/near-cache-coherence.json; times there are ms since the instances were ready.
 */

const REPORT_FILE = join(REPO, '.tmp', 'near-cache-coherence.json');
/** `nearCache.maxAge` given to the instances, seconds: the documented bound after a SWAPDB. */
const NEAR_CACHE_MAX_AGE = 1;
const SWAPDB_BOUND_MS = NEAR_CACHE_MAX_AGE * 1000;
/** Written by every instance. */
const SHARED_KEYS = ['k0', 'k1', 'k2'];
/** Each written by one instance only (the n-th of its mode), read by all. */
const OWN_KEYS = ['k3', 'k4', 'k5'];
/** Written rarely (0.3% of writes), by any instance: a value Redis does not report stays cached. */
const RARE_KEYS = ['k6', 'k7'];
const KEYS = [...SHARED_KEYS, ...OWN_KEYS, ...RARE_KEYS];
const MODES = ['default', 'broadcast'] as const;
/** The name of the instance that never invalidates (the check must flag it). */
const CONTROL = 'control-never-invalidated';
type Mode = (typeof MODES)[number];
const WORKERS_PER_MODE = 3;
/** How long the load runs between one fault (once recovered) and the next, ms. */
const DWELL_MS = 1200;
const isInvalidations = (c: ProxiedConnection): boolean =>
  c.name?.startsWith('nestjs-kv-store:invalidations:') === true;

interface Group {
  readonly mode: Mode;
  readonly prefix: string;
  /** Writes the test made to the group's keys on the server (flush, swap), and the initial state. */
  readonly external: HistoryOp[];
}

interface Worker extends CoherenceWorker {
  readonly group: Group;
  readonly control: boolean;
}

/** One mode's figures, as printed and written to the report file. */
interface GroupFigures {
  readsChecked: number;
  failedOps: number;
  readsPastBound: number;
  maxStalenessMs: number;
  nearCacheHits: number;
  byReader: Record<string, { reads: number; pastBound: number }>;
  byPhase: Array<{
    phase: string;
    reads: number;
    staleWithinBound: number;
    pastBound: number;
    maxStalenessMs: number;
    nearCacheActive: number | undefined;
  }>;
  firstViolations: string[];
}

interface Summary {
  boundMs: number;
  swapdbBoundMs: number;
  maxAgeOnThisBuild: boolean;
  notes: string[];
  phases: Array<{ name: string; atMs: number }>;
  default?: GroupFigures;
  broadcast?: GroupFigures;
  control?: { reads: number; pastBound: number; maxStalenessMs: number; first: string[] };
}

/** The figures as a few readable lines (the whole of them is in the report file). */
function formatSummary(summary: Summary): string {
  const lines = [
    `near-cache coherence: bound ${summary.boundMs} ms, after SWAPDB ${summary.swapdbBoundMs} ms ` +
      `(nearCache.maxAge ${summary.maxAgeOnThisBuild ? 'given' : 'not accepted by this build'}); ` +
      `all figures in ${REPORT_FILE}`,
    ...summary.notes.map((note) => `note: ${note}`),
  ];
  const at = new Map(summary.phases.map((p) => [p.name, p.atMs]));
  for (const mode of MODES) {
    const g = summary[mode];
    if (!g) continue;
    const readers = Object.entries(g.byReader)
      .map(([name, f]) => `${name} ${f.pastBound}/${f.reads}`)
      .join(', ');
    lines.push(
      `${mode}: ${g.readsChecked} reads checked, ${g.readsPastBound} past the bound, max staleness ` +
        `${g.maxStalenessMs} ms, ${g.nearCacheHits} near-cache hits, ${g.failedOps} failed ops; ` +
        `past bound/reads by reader: ${readers}`,
      `  ${'phase'.padEnd(24)}${'at ms'.padStart(7)}${'reads'.padStart(7)}` +
        `${'stale<=bound'.padStart(14)}${'past bound'.padStart(12)}${'max stale ms'.padStart(14)}` +
        `${'cache on'.padStart(10)}`,
      ...g.byPhase.map(
        (p) =>
          `  ${p.phase.padEnd(24)}${String(at.get(p.phase) ?? '').padStart(7)}` +
          `${String(p.reads).padStart(7)}${String(p.staleWithinBound).padStart(14)}` +
          `${String(p.pastBound).padStart(12)}${String(p.maxStalenessMs).padStart(14)}` +
          `${String(p.nearCacheActive ?? '-').padStart(10)}`,
      ),
      ...g.firstViolations.slice(0, 5).map((v) => `  ${v}`),
    );
  }
  const control = summary.control;
  if (control) {
    lines.push(
      `control (never invalidates, must be flagged): ${control.reads} reads, ` +
        `${control.pastBound} past the bound, max staleness ${control.maxStalenessMs} ms`,
      ...control.first.map((v) => `  ${v}`),
    );
  }
  return lines.join('\n');
}

const now = historyNow;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function startWorker(
  name: string,
  group: Group,
  ownKeys: readonly string[],
  control: boolean,
  port: number,
  dir: string,
  nearCache: Record<string, unknown>,
): Worker {
  const settings = {
    port,
    keyPrefix: group.prefix,
    mode: control ? 'never-invalidated' : group.mode,
    nearCache,
    keys: KEYS,
    sharedKeys: SHARED_KEYS,
    ownKeys,
    rareKeys: RARE_KEYS,
    timeout: 1,
    maxMs: 90_000,
  };
  return { ...startCoherenceWorker(name, settings, dir), group, control };
}

/** Whether this build of the store accepts `nearCache.maxAge`. */
async function maxAgeSupported(port: number): Promise<boolean> {
  try {
    const store = createStore({
      type: 'redis',
      host: LOOPBACK,
      port,
      nearCache: { maxEntries: 1, maxAge: NEAR_CACHE_MAX_AGE } as { maxEntries: number },
    });
    await store.close();
    return true;
  } catch (error) {
    if (error instanceof InvalidOptionsError) return false;
    throw error;
  }
}

describe('near cache coherence under faults (issue 25)', () => {
  const servers: RedisProcess[] = [];
  let proxy: FaultProxy;
  let admin: Redis;
  let adminDb1: Redis;
  let dir: string;
  let withMaxAge = false;
  const groups = new Map<Mode, Group>();
  const workers: Worker[] = [];
  const phases: PhaseMark[] = [];
  const notes: string[] = [];
  let settledAt = Infinity;
  const reports = new Map<Mode, CoherenceReport>();
  let controlReport: CoherenceReport | undefined;
  const samples = new Map<string, StatsSample[]>();
  let origin = 0;
  const debugLog: string[] = [];

  /** Connections that sent `CLIENT TRACKING ON` and when (re-established tracking). */
  const trackingOnAt = new Map<ProxiedConnection, number>();
  /** The client id each data connection last redirected its tracking to. */
  const redirectOf = new Map<ProxiedConnection, string>();
  const nearCacheWorkers = (): number => workers.filter((w) => !w.control).length;

  /**
   * Resolves once every near-cache instance has turned tracking on again after `since`, or after
   * `ms` with a note saying how many did (the check goes on: what matters is what reads return).
   */
  async function trackingBack(since: number, phase: string, ms = 8000): Promise<void> {
    const deadline = now() + ms;
    const count = (): number =>
      [...trackingOnAt.entries()].filter(([c, t]) => t >= since && !c.closed).length;
    while (count() < nearCacheWorkers()) {
      if (now() > deadline) {
        notes.push(
          `${phase}: ${count()} of ${nearCacheWorkers()} instances turned tracking on again within ${ms} ms`,
        );
        return;
      }
      await pause(20);
    }
  }

  function mark(name: string): number {
    const start = now();
    phases.push({ name, start });
    return start;
  }

  function externalWrite(
    by: string,
    start: number,
    end: number,
    values: (group: Group, key: string) => string | null,
    boundMs?: number,
  ): void {
    for (const group of groups.values()) {
      for (const key of KEYS) {
        group.external.push({
          kind: 'write',
          key,
          value: values(group, key),
          start,
          end,
          ok: true,
          by,
          ...(boundMs === undefined ? {} : { boundMs }),
        });
      }
    }
  }

  async function killPubsub(): Promise<void> {
    await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  }

  /**
   * Kills every subscriber with `action` waiting on its next SUBSCRIBE (once per instance), and
   * waits until tracking is back; `rounds` times.
   */
  async function faultNextSubscribe(
    name: string,
    action: 'reset-before' | { holdRepliesMs: number },
    rounds: number,
  ): Promise<void> {
    mark(name);
    for (let round = 1; round <= rounds; round++) {
      const since = now();
      const faulted = new Set<string>();
      const fault = proxy.inject({
        command: 'SUBSCRIBE',
        // One fault per instance: its reconnection after the fault must go through.
        connection: (c) => {
          if (!isInvalidations(c) || faulted.has(c.name!)) return false;
          faulted.add(c.name!);
          return true;
        },
        times: nearCacheWorkers(),
        action,
      });
      await killPubsub();
      const deadline = now() + 8000;
      while (fault.count() < nearCacheWorkers() && now() < deadline) await pause(20);
      if (fault.count() < nearCacheWorkers()) {
        notes.push(
          `${name} #${round}: the fault fired ${fault.count()} of ${nearCacheWorkers()} times`,
        );
      }
      fault.cancel();
      await trackingBack(since, `${name} #${round}`);
      if (round < rounds) await pause(700);
    }
  }

  /**
   * One instance at a time, while the others keep writing at full speed: its subscriber is killed
   * and its next SUBSCRIBE reset. Meanwhile a `CLIENT TRACKING OFF` that its data connection
   * sends after tracking was confirmed (`CLIENT LIST` after `ON`) gets its reply, and what
   * follows, held for `slowReplyMs` (a slow network at that moment): a store that turns tracking
   * off while it answers from the near cache would miss invalidations for that long, not for a
   * loopback round trip. A store that never does so is not affected.
   */
  async function resetDuringSubscribe(name: string, slowReplyMs: number): Promise<void> {
    mark(name);
    const clients = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const subscribers = [...clients.matchAll(/^id=(\d+) .*? name=(\S+)/gm)]
      .map(([, id, subscriber]) => ({ id: id!, subscriber: subscriber! }))
      .filter(({ subscriber }) => subscriber.startsWith('nestjs-kv-store:invalidations:'));
    for (const { id, subscriber } of subscribers) {
      const data = [...redirectOf].find(([c, to]) => to === id && !c.closed)?.[0];
      if (!data) {
        notes.push(`${name}: no data connection redirects to ${subscriber}`);
        continue;
      }
      const since = now();
      let confirmed = false;
      const slow = proxy.inject({
        command: 'CLIENT',
        connection: (c) => c === data,
        times: Infinity,
        action: (c, command) => {
          const [, sub, on] = command.map((part) => part.toUpperCase());
          if (sub === 'LIST') confirmed = true;
          else if (sub === 'TRACKING' && on === 'OFF' && confirmed) c.hold('toClient', slowReplyMs);
        },
      });
      const fault = proxy.inject({
        command: 'SUBSCRIBE',
        connection: (c) => c.name === subscriber,
        action: 'reset-before',
      });
      await admin.call('CLIENT', 'KILL', 'ID', id);
      await Promise.race([fault.fired, pause(8000)]);
      if (fault.count() === 0) notes.push(`${name}: ${subscriber} never subscribed again`);
      fault.cancel();
      const deadline = now() + 8000;
      while ((trackingOnAt.get(data) ?? 0) < since && now() < deadline) await pause(20);
      if ((trackingOnAt.get(data) ?? 0) < since) {
        notes.push(`${name}: ${subscriber}'s store did not turn tracking on again within 8 s`);
      }
      // Twice the link's 200 ms retry delay, for a stray attempt to turn tracking off again.
      await pause(400);
      slow.cancel();
    }
  }

  const FAULTS: ReadonlyArray<readonly [string, () => Promise<void>]> = [
    [
      'kill-pubsub',
      async () => {
        const since = mark('kill-pubsub');
        await killPubsub();
        await trackingBack(since, 'kill-pubsub');
      },
    ],
    ['reset-during-subscribe', () => resetDuringSubscribe('reset-during-subscribe', 100)],
    [
      'held-subscribe-reply',
      () => faultNextSubscribe('held-subscribe-reply', { holdRepliesMs: 1500 }, 1),
    ],
    [
      'delayed-invalidations',
      async () => {
        mark('delayed-invalidations');
        const delayed = proxy.connections.filter(isInvalidations);
        for (const c of delayed) c.delay('toClient', 30);
        await pause(1500);
        for (const c of delayed) c.delay('toClient', 0);
      },
    ],
    [
      'client-pause-write',
      async () => {
        mark('client-pause-write');
        await admin.call('CLIENT', 'PAUSE', '500', 'WRITE');
        await pause(500);
      },
    ],
    [
      'client-pause-all',
      async () => {
        mark('client-pause-all');
        await admin.call('CLIENT', 'PAUSE', '500', 'ALL');
        await pause(500);
      },
    ],
    [
      'sigkill-restart',
      async () => {
        const since = mark('sigkill-restart');
        const current = servers[servers.length - 1]!;
        await killHard(current);
        servers.push(await restartRedis(servers[0]!, DURABLE_ARGS));
        await trackingBack(since, 'sigkill-restart', 15_000);
      },
    ],
    [
      'swapdb',
      async () => {
        const other = (group: Group, key: string): string => `db1:${group.mode}:${key}`;
        const prepared: string[] = [];
        for (const group of groups.values()) {
          for (const key of KEYS)
            prepared.push(group.prefix + key, JSON.stringify(other(group, key)));
        }
        await adminDb1.mset(...prepared);
        let start = mark('swapdb');
        await admin.swapdb(0, 1);
        externalWrite('SWAPDB 0 1', start, now(), other, SWAPDB_BOUND_MS);
        // Long enough for a value cached before the swap to outlive the bound.
        await pause(SWAPDB_BOUND_MS + 500);
        // What goes back into db 0: db 1 now, which nobody writes.
        const back = new Map<string, string | null>();
        for (const group of groups.values()) {
          const raw = await adminDb1.mget(...KEYS.map((k) => group.prefix + k));
          KEYS.forEach((k, i) => {
            const value = raw[i];
            back.set(group.prefix + k, value == null ? null : (JSON.parse(value) as string));
          });
        }
        start = now();
        await admin.swapdb(0, 1);
        externalWrite(
          'SWAPDB back',
          start,
          now(),
          (group, key) => back.get(group.prefix + key) ?? null,
          SWAPDB_BOUND_MS,
        );
        await pause(SWAPDB_BOUND_MS + 500);
      },
    ],
    [
      'flushdb',
      async () => {
        const start = mark('flushdb');
        await admin.flushdb();
        externalWrite('FLUSHDB', start, now(), () => null);
      },
    ],
  ];

  beforeAll(async () => {
    await assertBuiltCli();
    const chosen = process.env.COHERENCE_FAULTS?.split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const unknown = (chosen ?? []).filter((name) => !FAULTS.some(([n]) => n === name));
    if (unknown.length > 0) throw new Error(`COHERENCE_FAULTS: unknown fault(s) ${unknown}`);

    servers.push(await startRedis({ args: [...DURABLE_ARGS] }));
    const port = servers[0]!.port;
    proxy = await FaultProxy.start(port);
    proxy.on('command', (c: ProxiedConnection, command: readonly string[]) => {
      const upper = command.map((part) => part.toUpperCase());
      const [name, sub, on] = upper;
      if (name === 'CLIENT' && sub === 'TRACKING' && on === 'ON') {
        trackingOnAt.set(c, now());
        redirectOf.set(c, command[upper.indexOf('REDIRECT') + 1] ?? '');
      }
      if (process.env.COHERENCE_DEBUG && ['CLIENT', 'SUBSCRIBE'].includes(name!)) {
        debugLog.push(`${(now() - origin).toFixed(1)} #${c.id} ${c.name} ${command.join(' ')}`);
      }
    });
    admin = new Redis({ host: LOOPBACK, port, retryStrategy: () => 50 });
    adminDb1 = new Redis({ host: LOOPBACK, port, db: 1, retryStrategy: () => 50 });
    for (const client of [admin, adminDb1]) client.on('error', () => undefined);
    withMaxAge = await maxAgeSupported(port);
    dir = await mkdtemp(join(tmpdir(), 'kv-coherence-'));

    for (const mode of MODES) {
      const group: Group = {
        mode,
        prefix: uniquePrefix(`coherence-${mode}`),
        external: initiallyAbsent(KEYS),
      };
      groups.set(mode, group);
    }
    const nearCache = withMaxAge ? { maxAge: NEAR_CACHE_MAX_AGE } : {};
    for (const group of groups.values()) {
      for (let i = 1; i <= WORKERS_PER_MODE; i++) {
        workers.push(
          startWorker(
            `${group.mode}-${i}`,
            group,
            [OWN_KEYS[i - 1]!],
            false,
            proxy.port,
            dir,
            nearCache,
          ),
        );
      }
    }
    workers.push(startWorker(CONTROL, groups.get('default')!, [], true, proxy.port, dir, {}));
    const ready = await Promise.all(workers.map((w) => w.ready));
    origin = now();
    ready.forEach((r, i) => {
      if (!r.active) notes.push(`${workers[i]!.name}: near cache not active at start`);
    });

    await pause(DWELL_MS);
    for (const [name, run] of FAULTS) {
      if (chosen?.length && !chosen.includes(name)) continue;
      await run();
      await pause(DWELL_MS);
    }
    const stopped = mark('after faults');
    settledAt = stopped + Math.max(STALENESS_WINDOW_MS, SWAPDB_BOUND_MS);
    await pause(settledAt - now() + 1000);
    await Promise.all(workers.map((w) => w.stop()));

    const summary: Summary = {
      boundMs: STALENESS_WINDOW_MS,
      swapdbBoundMs: SWAPDB_BOUND_MS,
      maxAgeOnThisBuild: withMaxAge,
      notes,
      phases: phases.map((p) => ({ name: p.name, atMs: Math.round(p.start - origin) })),
    };
    for (const group of groups.values()) {
      const members = workers.filter((w) => w.group === group);
      const ops: HistoryOp[] = [...group.external];
      let errors = 0;
      for (const worker of members) {
        const history = await readCoherenceHistory(worker);
        ops.push(...history.ops);
        errors += history.errors;
        samples.set(worker.name, history.stats);
      }
      // Every instance's writes count for every reader; the control's reads are checked apart.
      const readsOf = (control: boolean): HistoryOp[] =>
        ops.filter((op) => op.kind === 'write' || (op.by === CONTROL) === control);
      const check = (history: HistoryOp[]): CoherenceReport =>
        checkCoherence({ ops: history, boundMs: STALENESS_WINDOW_MS, phases, settledAt });
      const report = check(readsOf(false));
      reports.set(group.mode, report);
      summary[group.mode] = figures(report, members, errors);
      if (members.some((w) => w.control)) {
        controlReport = check(readsOf(true));
        summary.control = {
          reads: controlReport.total.reads,
          pastBound: controlReport.total.pastBound,
          maxStalenessMs: Math.round(controlReport.total.maxStalenessMs),
          first: controlReport.violations.slice(0, 2).map((v) => describeViolation(v, origin)),
        };
      }
    }
    await mkdir(join(REPO, '.tmp'), { recursive: true });
    await writeFile(REPORT_FILE, JSON.stringify(summary, null, 2));
    if (process.env.COHERENCE_DEBUG) await writeFile(`${REPORT_FILE}.log`, debugLog.join('\n'));
    console.log(formatSummary(summary));
  }, 180_000);

  function figures(report: CoherenceReport, members: Worker[], errors: number): GroupFigures {
    const hitsOf = (name: string): number => samples.get(name)?.at(-1)?.hits ?? 0;
    const round = (ms: number): number => Math.round(ms * 10) / 10;
    return {
      readsChecked: report.total.reads,
      failedOps: errors,
      readsPastBound: report.total.pastBound,
      maxStalenessMs: round(report.total.maxStalenessMs),
      nearCacheHits: members.filter((w) => !w.control).reduce((n, w) => n + hitsOf(w.name), 0),
      byReader: Object.fromEntries(
        [...report.readers].map(([name, f]) => [name, { reads: f.reads, pastBound: f.pastBound }]),
      ),
      byPhase: report.phases.map((p) => ({
        phase: p.name,
        reads: p.reads,
        staleWithinBound: p.staleReads - p.pastBound,
        pastBound: p.pastBound,
        maxStalenessMs: round(p.maxStalenessMs),
        nearCacheActive: activeShare(members, p.name),
      })),
      firstViolations: report.violations.slice(0, 10).map((v) => describeViolation(v, origin)),
    };
  }

  /** Share of the stats samples of the phase in which the near cache was active (0..1). */
  function activeShare(members: Worker[], phase: string): number | undefined {
    const at = phases.findIndex((p) => p.name === phase);
    const from = at < 0 ? -Infinity : phases[at]!.start;
    const to = at < 0 ? (phases[0]?.start ?? Infinity) : (phases[at + 1]?.start ?? Infinity);
    const inPhase = members
      .flatMap((w) => samples.get(w.name) ?? [])
      .filter((s) => s.t >= from && s.t < to);
    if (inPhase.length === 0) return undefined;
    return Math.round((inPhase.filter((s) => s.active).length / inPhase.length) * 100) / 100;
  }

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    admin?.disconnect();
    adminDb1?.disconnect();
    await proxy?.close();
    // A restarted server uses the first one's directory: stop it first.
    for (const server of [...servers].reverse()) await server.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(MODES)(
    '%s mode: no read returns a value older than the bound allows, during or after the faults',
    (mode) => {
      const report = reports.get(mode)!;
      expect(report.total.reads).toBeGreaterThan(1000);
      expect({
        readsPastBound: report.total.pastBound,
        first: report.violations.slice(0, 8).map((v) => describeViolation(v, origin)),
      }).toEqual({ readsPastBound: 0, first: [] });
    },
  );

  it('the check catches an instance that caches reads and never invalidates them (control)', () => {
    expect(controlReport!.total.reads).toBeGreaterThan(100);
    expect(controlReport!.total.pastBound).toBeGreaterThan(0);
  });

  it('every near cache is serving from memory again once the faults stopped', () => {
    const tail = phases.find((p) => p.name === 'after faults')!;
    for (const worker of workers.filter((w) => !w.control)) {
      const inTail = (samples.get(worker.name) ?? []).filter((s) => s.t >= tail.start);
      const last = inTail.at(-1);
      expect({ worker: worker.name, active: last?.active }).toEqual({
        worker: worker.name,
        active: true,
      });
      expect(last!.hits).toBeGreaterThan(inTail[0]!.hits);
    }
  });
});
