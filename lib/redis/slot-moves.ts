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

  constructor(
    private readonly timeoutMs: number,
    private readonly cluster: boolean,
  ) {}

  /** `send()`, sent again after a growing pause while it is refused for a slot move. */
  send<T>(send: () => Promise<T>): Promise<T> {
    // Off a cluster no write is refused for a slot move: no extra promise on the hot path.
    return this.cluster ? this.sendUntilPlaced(send) : send();
  }

  /**
   * Sends nothing again from now on: a write waiting for its next attempt reports its last
   * refusal (it did not run), instead of being queued on a client that is closing.
   */
  close(): void {
    this.closed = true;
  }

  private async sendUntilPlaced<T>(send: () => Promise<T>): Promise<T> {
    // New attempts start within the first half of the timeout: the last one may itself take up
    // to a whole timeout (a node that stops answering mid-failover), and is awaited, not raced.
    const deadline = performance.now() + this.timeoutMs / 2;
    let pause = FIRST_PAUSE_MS;
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (!isSlotMoveRefusal(error) || performance.now() + pause >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, pause).unref());
        if (this.closed) throw error;
      }
      pause = Math.min(pause * 2, MAX_PAUSE_MS);
    }
  }
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
