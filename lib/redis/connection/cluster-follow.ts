import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { SCRIPTS } from '../scripts/lua-scripts.js';
import { beforeEachSend } from './before-each-send.js';
import { enforceCommandDeadlines } from './command-deadlines.js';
import { NOT_SENT_AGAIN_MESSAGE, SKIPPED_NODE_ERROR } from './redis-errors.js';

/**
 * How a Cluster client follows a master that stopped answering (paused, or cut off without a
 * reset) to the replica that replaced it, and what it must not send twice on the way. ioredis
 * learns of a new owner only from the slot map; it sends again every command whose node
 * connection closed ("Connection is closed.", after `retryDelayOnFailover`), which moves writes
 * waiting on a replaced master to its heir but would also run an increment twice.
 */

/**
 * How often a cluster client asks for the slot map, in milliseconds, besides after a redirect, a
 * lost node or a stalled command: a master that stopped answering without closing its
 * connections is replaced by its replica without either of the first two.
 */
export const SLOTS_REFRESH_INTERVAL_MS = 1000;

/**
 * How long one node may take to give the slot map while the client connects, in milliseconds
 * (at most the store's timeout): each refresh opens a connection (TCP, TLS, AUTH), then asks.
 */
export const SLOTS_REFRESH_TIMEOUT_MS = 1000;

/**
 * The same once the client is ready: short enough that a refresh that asked a paused master
 * first (one not yet known as stalled) still finds the new owner within the 1 s follow bound
 * (docs/when-things-fail.md#failover-and-resharding).
 */
const READY_SLOTS_REFRESH_TIMEOUT_MS = 500;

/**
 * How long a command may wait unanswered before the slot map is asked for, and the least time
 * between two such refreshes, in milliseconds: on a LAN a command is answered in about a
 * millisecond, so one that waited this long suggests its master stopped answering and may have
 * been replaced; each refresh opens a connection.
 */
const STALL_REFRESH_INTERVAL_MS = 250;

/** The part of ioredis' Cluster that asks one node for the slot map (not in its typings). */
interface SlotMapSource {
  getInfoFromNode?: (node: Redis, callback: (error?: Error | null) => void) => void;
}

/** What this module reads of an ioredis command. */
interface SentCommand {
  readonly name: string;
  readonly args: readonly unknown[];
  reject(error: Error): void;
}

/** Scripts whose second run differs from the first: an increment adds twice; a putIfAbsent that stored answers "present". */
const RUN_ONCE_SCRIPTS: readonly string[] = [SCRIPTS.kvIncrement.lua, SCRIPTS.kvPutIfAbsent.lua];
const RUN_ONCE_SHAS = new Set(
  RUN_ONCE_SCRIPTS.map((lua) => createHash('sha1').update(lua).digest('hex')),
);
const RUN_ONCE_TEXTS = new Set(RUN_ONCE_SCRIPTS);

/** Whether running `command` a second time could change its effect or its answer. */
function runsOnce(command: SentCommand): boolean {
  const first = command.args[0];
  const text =
    typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString() : undefined;
  switch (command.name) {
    case 'evalsha':
      return text !== undefined && RUN_ONCE_SHAS.has(text);
    case 'eval':
      return text !== undefined && RUN_ONCE_TEXTS.has(text);
    case 'set':
      // A lease taken with SET NX: sent again, it answers "held by another".
      return command.args.some((arg) => String(arg).toUpperCase() === 'NX');
    default:
      return false;
  }
}

/**
 * Makes `node` fail a command that must run at most once with the store's "may or may not have
 * run" error when its connection closes, instead of letting the Cluster send it again: Cluster
 * sends again exactly the commands rejected with "Connection is closed.".
 */
function failRunOnceCommandsOnClose(node: Redis): void {
  beforeEachSend<SentCommand>(node, (command) => {
    if (!runsOnce(command)) return;
    const reject = command.reject.bind(command);
    command.reject = (error: Error): void =>
      reject(error.message === 'Connection is closed.' ? new Error(NOT_SENT_AGAIN_MESSAGE) : error);
  });
}

/**
 * Makes `cluster`'s slot-map refreshes skip a node in `stalledNodes` while another node could
 * answer: a refresh asks nodes one at a time in random order, each for up to the refresh
 * timeout, and a paused master never answers. The node is asked as usual once it answers again,
 * or when every node is stalled. Once the client is ready, a node gets
 * READY_SLOTS_REFRESH_TIMEOUT_MS. Leaves the client as it is if ioredis no longer has the method
 * (the hung-master test then shows the slower follow).
 */
function skipStalledNodesInRefresh(
  cluster: Cluster,
  stalledNodes: ReadonlySet<Redis>,
  timeoutMs: number,
): void {
  const source = cluster as unknown as SlotMapSource;
  const ask = source.getInfoFromNode;
  if (typeof ask !== 'function') return;
  source.getInfoFromNode = function askUnlessStalled(node, callback): void {
    if (stalledNodes.has(node) && !cluster.nodes('all').every((each) => stalledNodes.has(each))) {
      const skipped = new Error('Skipped a node that is not answering');
      skipped.name = SKIPPED_NODE_ERROR;
      callback(skipped);
      return;
    }
    cluster.options.slotsRefreshTimeout = Math.min(
      timeoutMs,
      cluster.status === 'ready' ? READY_SLOTS_REFRESH_TIMEOUT_MS : SLOTS_REFRESH_TIMEOUT_MS,
    );
    ask.call(this, node, callback);
  };
}

/**
 * Sets up `cluster` to follow replaced masters: every node connection gets the command deadline
 * (`timeoutMs`), a command waiting STALL_REFRESH_INTERVAL_MS asks for the slot map, refreshes
 * skip nodes that are not answering, and commands that must run at most once are never sent
 * again by ioredis. The new slot map drops the connection to a replaced master, which fails the
 * commands waiting on it; ioredis sends the others to the new owner, and the old master
 * acknowledges nothing more once it resumes.
 */
export function followReplacedMasters(cluster: Cluster, timeoutMs: number): void {
  let refreshedAt = Number.NEGATIVE_INFINITY;
  // ioredis refreshes once at a time; further calls join the running one.
  const refreshSlots = (): void => {
    const now = performance.now();
    if (now - refreshedAt < STALL_REFRESH_INTERVAL_MS) return;
    refreshedAt = now;
    cluster.refreshSlotsCache();
  };
  const stalledNodes = new Set<Redis>();
  skipStalledNodesInRefresh(cluster, stalledNodes, timeoutMs);
  // Emitted as each node's connection is created, before any command is sent to it.
  cluster.on('+node', (node: Redis) => {
    failRunOnceCommandsOnClose(node);
    enforceCommandDeadlines(node, timeoutMs, refreshSlots, {
      afterMs: Math.min(STALL_REFRESH_INTERVAL_MS, timeoutMs),
      stalled: () => {
        stalledNodes.add(node);
        refreshSlots();
      },
      answering: () => stalledNodes.delete(node),
    });
  });
}
