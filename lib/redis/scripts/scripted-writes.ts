import { quoteKey } from '../../core/errors.js';

/** A script call that writes, while it is in flight (its retry included). */
export interface ScriptTicket {
  /**
   * Set once a later write of one of its keys was sent: if the call meets NOSCRIPT, it must not
   * be sent again, or it would land after that write.
   */
  overtaken: boolean;
  /** The store operation that sent it (`put`, `delete`...), for its error message. */
  readonly operation: string;
  /** The store keys it writes; undefined: any key (`clear`). */
  readonly keys: readonly string[] | undefined;
}

/** The write of `ticket` in words: "the put of key \"a\"", "the clear". */
export function describeWrite(ticket: ScriptTicket): string {
  const { operation, keys } = ticket;
  if (keys === undefined) return `the ${operation}`;
  if (keys.length === 1) return `the ${operation} of key ${quoteKey(keys[0] as string)}`;
  return `the ${operation} of ${keys.length} keys`;
}

/**
 * The store's script calls that write, while they are in flight, by key (on a single server or
 * Sentinel; see redis-store.ts).
 *
 * Why: a script call that meets a server which forgot the script (SCRIPT FLUSH, a script cache
 * lost behind a proxy) fails with NOSCRIPT and is sent again, as ioredis does for the scripts it
 * defines. The writes issued after it are on the wire by then, and some run at once (a transaction: the folded puts of a
 * tick, `putMany`; a script sent in full), so the call sent again would land after them: the
 * older value won, or a deleted key came back. So every write the store sends marks the calls in
 * flight on its keys as overtaken, and an overtaken call that meets NOSCRIPT fails (see
 * encoded-commands.ts) instead of being sent again. At most one call per key is ever not
 * overtaken: the latest.
 */
export class ScriptedWrites {
  private readonly latest = new Map<string, ScriptTicket>();
  /** The latest call that may write any key (`clear`), while in flight and not overtaken. */
  private everywhere: ScriptTicket | undefined;

  /** Whether any script call that writes is in flight and not overtaken. */
  get busy(): boolean {
    return this.latest.size !== 0 || this.everywhere !== undefined;
  }

  /**
   * Starts a script call of `operation` that writes `keys` (the store's keys): the calls in flight
   * on them are overtaken.
   */
  begin(operation: string, keys: readonly string[]): ScriptTicket {
    this.overtake(keys);
    const ticket: ScriptTicket = { overtaken: false, operation, keys };
    for (const key of keys) this.latest.set(key, ticket);
    return ticket;
  }

  /** Starts a script call of `operation` that may write any key: every call in flight is overtaken. */
  beginEverywhere(operation: string): ScriptTicket {
    for (const ticket of this.latest.values()) ticket.overtaken = true;
    this.latest.clear();
    if (this.everywhere !== undefined) this.everywhere.overtaken = true;
    this.everywhere = { overtaken: false, operation, keys: undefined };
    return this.everywhere;
  }

  /** Ends the call of `ticket`. */
  end(ticket: ScriptTicket): void {
    if (ticket.keys === undefined) {
      if (this.everywhere === ticket) this.everywhere = undefined;
      return;
    }
    for (const key of ticket.keys) if (this.latest.get(key) === ticket) this.latest.delete(key);
  }

  /** Notes a write of `keys` sent now: the script calls in flight on them are overtaken. */
  overtake(keys: readonly string[]): void {
    if (this.everywhere !== undefined) {
      this.everywhere.overtaken = true;
      this.everywhere = undefined;
    }
    if (this.latest.size === 0) return;
    for (const key of keys) {
      const ticket = this.latest.get(key);
      if (ticket === undefined) continue;
      ticket.overtaken = true;
      this.latest.delete(key);
    }
  }

  /**
   * Runs `send`, a script call of `operation` that writes `keys` (undefined: any key), tracked
   * until it settles.
   */
  run<T>(
    operation: string,
    keys: readonly string[] | undefined,
    send: (ticket: ScriptTicket) => Promise<T>,
  ): Promise<T> {
    const ticket =
      keys === undefined ? this.beginEverywhere(operation) : this.begin(operation, keys);
    const call = send(ticket);
    const settle = (): void => this.end(ticket);
    call.then(settle, settle);
    return call;
  }
}
