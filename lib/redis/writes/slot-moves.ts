import { performance } from 'node:perf_hooks';

/**
 * Redis Cluster's refusals of a command whose hash slot is moving between nodes: `TRYAGAIN` (a
 * multi-key command whose keys are split between the two nodes, or missing on both), and `ASK` or
 * `MOVED` once ioredis gave up following them ("Too many Cluster redirections"). The server sends
 * them before running the command, so a refused command changed nothing.
 */
const SLOT_MOVE_REFUSAL =
  /^(?:Too many Cluster redirections\. Last error: (?:ReplyError: )?)?(?:TRYAGAIN|ASK|MOVED)\b/;

/** Whether `error` is Redis Cluster refusing a command, unrun, because its slot is moving. */
export function isSlotMoveRefusal(error: unknown): boolean {
  return error instanceof Error && SLOT_MOVE_REFUSAL.test(error.message);
}

/** First pause before sending a refused command again, in milliseconds. */
const FIRST_PAUSE_MS = 20;
/** Longest pause between two sends, in milliseconds. */
const MAX_PAUSE_MS = 250;

/**
 * Sends a store's writes again while Redis Cluster refuses them for a slot move, for up to half the
 * store's timeout. Every write script declares all the keys it touches, so during a migration the
 * server either runs it whole on one node or refuses it before it runs (see lua-scripts.ts); a
 * refused write is therefore safe to send again, even an increment. Off a cluster it sends once.
 */
export class SlotMoves {
  /**
   * @param timeoutMs the store's `timeout`, in ms: a write is sent again for at most half of it,
   *   and an attempt already sent then is still awaited, never raced, so a write settles within
   *   1.5 timeouts.
   * @param cluster whether the store runs on Redis Cluster.
   */
  private closed = false;
  /** Writes issued so far (the newest write's number). */
  private issued = 0;
  /** The unsettled writes of each key that has some. */
  private readonly byKey = new Map<string, KeyWrites>();

  constructor(
    private readonly timeoutMs: number,
    private readonly cluster: boolean,
  ) {}

  /**
   * `send()`, a write of `keys` (user keys), sent again after a growing pause while it is refused
   * for a slot move. Writes of one key keep their order: a write issued while an earlier write of
   * one of its keys is being sent again waits until that one settles, and a refused write is not
   * sent again once a later write of one of its keys was issued (it would land after that one, and
   * an older value would win): it reports its refusal (it did not run).
   */
  send<T>(keys: readonly string[], send: () => Promise<T>): Promise<T> {
    // Off a cluster no write is refused for a slot move: no extra promise on the hot path.
    if (!this.cluster) return send();
    let settle: () => void = () => undefined;
    const write: Write = {
      seq: ++this.issued,
      keys,
      deadline: performance.now() + this.timeoutMs / 2,
      settled: new Promise<void>((resolve) => (settle = resolve)),
    };
    const ahead: Array<Promise<void>> = [];
    for (const key of keys) {
      let writes = this.byKey.get(key);
      if (!writes) this.byKey.set(key, (writes = { last: 0, pending: 0, resending: undefined }));
      writes.last = write.seq;
      writes.pending++;
      if (writes.resending) ahead.push(writes.resending);
    }
    const attempt = (): Promise<T> => this.sendUntilPlaced(write, send);
    return (ahead.length === 0 ? attempt() : Promise.all(ahead).then(attempt)).finally(() => {
      settle();
      for (const key of keys) {
        const writes = this.byKey.get(key);
        if (!writes) continue;
        if (writes.resending === write.settled) writes.resending = undefined;
        if (--writes.pending === 0) this.byKey.delete(key);
      }
    });
  }

  /**
   * Sends nothing again from now on: a write waiting for its next attempt reports its last
   * refusal (it did not run), instead of being queued on a client that is closing.
   */
  close(): void {
    this.closed = true;
  }

  private async sendUntilPlaced<T>(write: Write, send: () => Promise<T>): Promise<T> {
    // New attempts start within the first half of the timeout: the last one may itself take up
    // to a whole timeout (a node that stops answering mid-failover), and is awaited, not raced.
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (!isSlotMoveRefusal(error) || performance.now() + pause >= write.deadline) throw error;
        // Later writes of these keys wait for this one: its next attempt could otherwise land
        // after theirs (ioredis follows the MOVED and ASK of an attempt in flight by itself).
        for (const key of write.keys) {
          const writes = this.byKey.get(key);
          if (writes) writes.resending = write.settled;
        }
        await new Promise((resolve) => setTimeout(resolve, pause).unref());
        if (this.closed || this.overtaken(write)) throw error;
      }
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }

  /** Whether a write issued after `write` touches one of its keys. */
  private overtaken(write: Write): boolean {
    return write.keys.some((key) => (this.byKey.get(key)?.last ?? 0) > write.seq);
  }
}

/** One write going through {@link SlotMoves}. */
interface Write {
  /** Its number: writes are numbered as they are issued. */
  readonly seq: number;
  /** The user keys it writes. */
  readonly keys: readonly string[];
  /** No new attempt starts after this `performance.now()` time, in ms. */
  readonly deadline: number;
  /** Resolves once it settled, either way. */
  readonly settled: Promise<void>;
}

/** The unsettled writes of one key. */
interface KeyWrites {
  /** The number of the newest write issued. */
  last: number;
  /** How many are unsettled. */
  pending: number;
  /** Settles once the newest write refused for a slot move (being sent again) settles. */
  resending: Promise<void> | undefined;
}

/**
 * `read(names)` (a multi-key read of one shard), or, when Redis Cluster refuses it because the
 * shard's slot is moving and the keys are split between the nodes or missing on both, one read
 * per key, which the client routes by itself (following ASK to the node that has the key). A read
 * changes nothing, so it need not wait for the move to end; the keys are then read one by one
 * rather than at one instant.
 */
export async function readEachWhileSlotMoves<T>(
  names: readonly string[],
  read: (names: string[]) => Promise<T[]>,
): Promise<T[]> {
  try {
    return await read([...names]);
  } catch (error) {
    if (names.length < 2 || !isSlotMoveRefusal(error)) throw error;
  }
  const values = await Promise.all(names.map((name) => read([name])));
  return values.map((one) => one[0] as T);
}
