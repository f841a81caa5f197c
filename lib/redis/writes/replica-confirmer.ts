import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { CommandError, TimeoutError } from '../../core/errors.js';

/**
 * Longest a WAIT of one confirmation round blocks, in milliseconds. A write answered during a
 * round waits for the next one, so this bounds how late its confirmation starts when replicas
 * are slow; Redis checks blocked clients' timeouts on its 10 Hz cron, so a shorter WAIT would
 * not return sooner. With healthy replicas WAIT returns as soon as they acknowledge.
 */
const WAIT_SLICE_MS = 100;

/**
 * Rounds sent and not answered yet: one blocked in WAIT and the next behind it, so that Redis
 * starts the next round as soon as the first returns instead of a client round trip later.
 */
const MAX_ROUNDS_IN_FLIGHT = 2;

/** How long a probe key lives, in milliseconds: it only has to reach the replication stream. */
const PROBE_TTL_MS = 10_000;

/** What a confirmer needs of the store. */
export interface ConfirmerSettings {
  /** Replicas that must confirm each write. */
  readonly replicas: number;
  /** Confirm with WAITAOF: the primary's append-only file and the replicas' must hold it. */
  readonly localAof: boolean;
  /** How long a write may wait for its confirmations, in milliseconds. */
  readonly timeoutMs: number;
  /** What messages call the server. */
  readonly target: string;
  /** Why a command of `connection` failed (`lastError`: its last connection error), in words. */
  describeFailure(error: unknown, connection: Redis, lastError: Error | undefined): string;
}

/** One write waiting for its confirmations. */
interface Confirmation {
  /** How the message names the write's keys: a key, or how many. */
  readonly what: string;
  /** The server (address:port) that answered the write. */
  readonly writtenOn: string | undefined;
  /** The key whose write puts this confirmation's position in the replication stream. */
  readonly probeKey: Buffer;
  /** `performance.now()` ms past which it rejects. */
  readonly deadline: number;
  /** Set once a probe was sent after the write was answered: every later WAIT covers it. */
  probed: boolean;
  /** Most replicas a WAIT covering it counted. */
  confirmed: number;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Confirms that replicas hold the writes a store made on its command connection, over a
 * connection of its own to the same server, so that WAIT never blocks the store's commands.
 *
 * WAIT waits for the replication offset of the last write made by the connection it is sent on.
 * So each round writes a probe key (`SET <prefix>0xFF"kv-durability" PX`) and then sends
 * `WAIT replicas slice` on this connection: the probe follows in the replication stream every
 * write answered before it was sent, so replicas that acknowledge the probe hold those writes.
 * One round covers every write waiting, whatever their number. Rounds last at most
 * {@link WAIT_SLICE_MS} and follow each other while writes wait; each write rejects at its own
 * deadline (its reply plus `durability.timeout`) with how many replicas confirmed it.
 */
export class ReplicaConfirmer {
  private queue: Confirmation[] = [];
  private roundsInFlight = 0;
  /** Writes queued since the last probe was sent (settled ones included). */
  private unprobed = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastConnectionError: Error | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly settings: ConfirmerSettings,
  ) {
    // Also keeps ioredis from reporting each failed reconnection as an unhandled 'error' event.
    connection.on('error', (error: Error) => {
      this.lastConnectionError = error;
    });
  }

  /**
   * Resolves once `replicas` replicas hold every write answered on `writtenOn` before this call;
   * rejects with `TimeoutError` naming `what` when they do not within the timeout.
   */
  confirm(what: string, writtenOn: string | undefined, probeKey: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        what,
        writtenOn,
        probeKey,
        deadline: performance.now() + this.settings.timeoutMs,
        probed: false,
        confirmed: 0,
        settled: false,
        resolve,
        reject,
      });
      this.unprobed++;
      if (this.timer === undefined) this.armTimer();
      this.startRound();
    });
  }

  /** Rejects every write still waiting and closes the connection. */
  close(): void {
    for (const entry of this.queue) {
      this.settle(entry, this.failure(entry, 'the store was closed before replicas confirmed it'));
    }
    this.queue = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.connection.disconnect();
  }

  /**
   * Sends a round when one can go: a write waits, fewer than {@link MAX_ROUNDS_IN_FLIGHT} are in
   * flight, and a round in flight leaves a write uncovered (else the next starts when it returns).
   */
  private startRound(): void {
    if (this.queue.length === 0 || this.roundsInFlight >= MAX_ROUNDS_IN_FLIGHT) return;
    if (this.roundsInFlight > 0 && this.unprobed === 0) return;
    this.roundsInFlight++;
    void this.round().finally(() => {
      this.roundsInFlight--;
      this.startRound();
    });
  }

  /** One probe (when a write is not covered yet) and one WAIT, covering every write waiting. */
  private async round(): Promise<void> {
    const covered = [...this.queue];
    const fresh = this.unprobed === 0 ? [] : covered.filter((entry) => !entry.probed);
    for (const entry of fresh) entry.probed = true;
    this.unprobed = 0;
    const { connection } = this;
    // One pipeline: both commands leave in one socket write.
    const pipeline = connection.pipeline();
    if (fresh.length > 0) {
      const { probeKey } = fresh.at(-1) as Confirmation;
      // On a Cluster node whose slot is moving away, a key it does not hold is answered with ASK:
      // deleting the probe first makes the round fail there rather than confirm writes that may
      // have run on the node importing the slot (their replicas are not this node's).
      pipeline.del(probeKey);
      pipeline.set(probeKey, '1', 'PX', PROBE_TTL_MS);
    }
    const { replicas, localAof } = this.settings;
    if (localAof) pipeline.call('WAITAOF', 1, replicas, WAIT_SLICE_MS);
    else pipeline.wait(replicas, WAIT_SLICE_MS);
    let confirmed: number;
    try {
      const replies = (await pipeline.exec()) ?? [];
      const failed = replies.find(([error]) => error !== null);
      if (failed !== undefined || replies.length === 0) {
        throw failed?.[0] ?? new Error('Connection is closed.');
      }
      confirmed = confirmedReplicas(replies.at(-1)?.[1]);
    } catch (error) {
      const refusal = localAof ? waitAofRefusal(error) : undefined;
      const reason =
        refusal ?? this.settings.describeFailure(error, connection, this.lastConnectionError);
      for (const entry of covered) {
        this.settle(
          entry,
          refusal === undefined
            ? this.failure(entry, reason)
            : new CommandError(
                `Redis at ${this.settings.target} refused to confirm the write of ${entry.what} with durability.localAof (WAITAOF needs Redis or Valkey 7.2 or later with appendonly yes): ${refusal}; it is applied on the primary`,
                error,
              ),
        );
      }
      this.compact();
      return;
    }
    const server = peerOf(connection);
    let elsewhere = false;
    for (const entry of covered) {
      if (entry.settled) continue;
      if (entry.writtenOn !== server) {
        elsewhere = true;
        // A WAIT on another server says nothing about this write (a failover in between).
        const reason = `the write was answered by ${entry.writtenOn ?? 'a closed connection'}, the confirmation by ${server ?? 'a closed connection'}`;
        this.settle(entry, this.failure(entry, reason));
      } else if (confirmed >= this.settings.replicas) {
        this.settle(entry);
      } else {
        entry.confirmed = Math.max(entry.confirmed, confirmed);
      }
    }
    // The writes went to another server (the store followed a failover first): reconnect, so
    // that this connection asks the Sentinels too instead of failing every write until it times
    // out on the old primary.
    if (elsewhere && noneWrittenOn(covered, server)) connection.disconnect(true);
    this.compact();
  }

  /** Rejects the writes whose deadline passed, and arms the timer for the next one. */
  private expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const { replicas, timeoutMs, target } = this.settings;
    let due = 0;
    for (const entry of this.queue) {
      if (entry.deadline > now) break;
      due++;
      this.settle(
        entry,
        new TimeoutError(
          this.settings.localAof
            ? `Redis at ${target} did not confirm the write of ${entry.what} on its append-only file and ${replicas} replicas' within ${timeoutMs / 1000} s (durability.localAof, WAITAOF; ${entry.confirmed} replicas at best): it is applied on the primary, but a crash may lose it`
            : `Redis at ${target} confirmed the write of ${entry.what} on ${entry.confirmed} of ${replicas} replicas within ${timeoutMs / 1000} s (durability): it is applied on the primary, but a failover may lose it`,
        ),
      );
    }
    this.queue.splice(0, due);
    if (this.queue.length > 0) this.armTimer();
  };

  /** Deadlines come in the order writes were queued: the first one waiting is the next due. */
  private armTimer(): void {
    const next = this.queue.find((entry) => !entry.settled);
    if (next === undefined) return;
    this.timer = setTimeout(this.expire, Math.max(0, next.deadline - performance.now()));
  }

  private settle(entry: Confirmation, error?: Error): void {
    if (entry.settled) return;
    entry.settled = true;
    if (error === undefined) entry.resolve();
    else entry.reject(error);
  }

  private compact(): void {
    this.queue = this.queue.filter((entry) => !entry.settled);
    if (this.queue.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private failure(entry: Confirmation, reason: string): TimeoutError {
    return unconfirmedError(this.settings.target, entry.what, this.settings.replicas, reason);
  }
}

/** The error of a write whose confirmations could not be asked for or counted, and why. */
export function unconfirmedError(
  target: string,
  what: string,
  replicas: number,
  reason: string,
): TimeoutError {
  return new TimeoutError(
    `Redis at ${target} could not confirm the write of ${what} on ${replicas} replicas (durability: ${reason}): it is applied on the primary, but a failover may lose it`,
  );
}

/** The address:port `connection` is connected to, or undefined when it is not. */
export function peerOf(connection: Redis): string | undefined {
  const socket = connection.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  if (socket?.remoteAddress === undefined) return undefined;
  return `${socket.remoteAddress.replace(/^::ffff:/, '')}:${socket.remotePort}`;
}

/**
 * Replicas that confirmed, from a reply of WAIT (a count) or WAITAOF (`[local, replicas]`): a
 * WAITAOF whose primary has not fsynced yet confirms nothing.
 */
function confirmedReplicas(reply: unknown): number {
  if (typeof reply === 'number') return reply;
  if (Array.isArray(reply)) {
    const [local, replicas] = reply as [unknown, unknown];
    return typeof local === 'number' && local >= 1 && typeof replicas === 'number' ? replicas : -1;
  }
  return -1;
}

/**
 * The server's words when it cannot run WAITAOF: an unknown command (before 7.2), or
 * `appendonly` off on the primary; undefined for any other failure.
 */
function waitAofRefusal(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined;
  if (!/WAITAOF/i.test(error.message)) return undefined;
  // The arguments it quotes are the command's own (numbers), nothing a reader needs.
  return error.message.replace(/, with args beginning with:.*$/s, '').replace(/\.$/, '');
}

/** Whether no entry was written on `server`: then this connection, not one write, is astray. */
function noneWrittenOn(entries: readonly Confirmation[], server: string | undefined): boolean {
  return entries.every((entry) => entry.writtenOn !== server);
}
