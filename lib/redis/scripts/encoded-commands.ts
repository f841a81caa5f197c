import { createHash } from 'node:crypto';
import { Command, type Redis } from 'ioredis';
import { CommandError, quoteKey } from '../../core/errors.js';

/**
 * Commands whose RESP bytes the store writes itself and hands to ioredis, which queues them,
 * matches their replies and applies its reconnection rules (and the store its command deadlines,
 * `command-deadlines.ts`) as for any command.
 * ioredis would build the same bytes, but first copies every argument through `Array.flat()`
 * and, for a command with any Buffer argument (every index key is one), re-encodes each
 * argument into a Buffer of its own, a large share of the client's time for a batch of puts
 * (CPU profiles in bench/notes/investigations.md).
 *
 * Here too, {@link ScriptedWrites}: which script calls that write may be sent again when Redis
 * answers NOSCRIPT, the one place that rule is applied being {@link EncodedScript.call}.
 */

/** An argument of an encoded command. */
export type RespArg = string | Buffer | number;

/**
 * Text beyond which an encoded command continues in a new piece: V8 strings stop at about 2^29
 * characters, and a batch of large values would pass that.
 */
const MAX_TEXT = 1 << 24;

/**
 * The RESP bytes of one command: text while every argument is text and the whole is short,
 * else one Buffer.
 */
export function encodeCommand(name: string, args: readonly RespArg[]): string | Buffer {
  let text = `*${args.length + 1}\r\n$${name.length}\r\n${name}\r\n`;
  // Byte length of everything encoded so far, tracked so that Buffers need no second pass.
  let bytes = text.length;
  let parts: Array<string | Buffer> | undefined;
  for (const arg of args) {
    if (typeof arg === 'string') {
      const length = Buffer.byteLength(arg);
      const head = `$${length}\r\n`;
      bytes += head.length + length + 2;
      if (text.length + arg.length <= MAX_TEXT) {
        text += `${head}${arg}\r\n`;
      } else {
        (parts ??= []).push(text + head, arg);
        text = '\r\n';
      }
    } else if (typeof arg === 'number') {
      const digits = String(arg);
      const field = `$${digits.length}\r\n${digits}\r\n`;
      text += field;
      bytes += field.length;
    } else {
      const head = `$${arg.length}\r\n`;
      (parts ??= []).push(text + head, arg);
      text = '\r\n';
      bytes += head.length + arg.length + 2;
    }
  }
  if (parts === undefined) return text;
  parts.push(text);
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (const part of parts) {
    offset += typeof part === 'string' ? out.write(part, offset) : part.copy(out, offset);
  }
  return out;
}

/** A command sent as bytes encoded beforehand. */
class EncodedCommand extends Command {
  constructor(
    name: string,
    private readonly bytes: string | Buffer,
    inTransaction = false,
  ) {
    super(name);
    // ioredis drops the queued parts of a transaction cut short by a lost connection by this flag.
    this.inTransaction = inTransaction;
  }

  override toWritable(): string | Buffer {
    return this.bytes;
  }
}

const MULTI = encodeCommand('MULTI', []);
const EXEC = encodeCommand('EXEC', []);

/**
 * Sends MULTI, the `encoded` commands and EXEC in one write on `client`'s connection; resolves
 * the replies EXEC returns. A command Redis refused while queueing it (OOM, READONLY) rejects with
 * Redis' reason rather than EXEC's `EXECABORT`. While the client is not connected the commands
 * wait in its offline queue, in order, and go out together.
 */
export function sendTransaction(
  client: Redis,
  encoded: ReadonlyArray<readonly [name: string, bytes: string | Buffer]>,
): Promise<unknown[]> {
  let refusal: unknown;
  const remember = (error: unknown): void => {
    refusal ??= error;
  };
  const exec = new EncodedCommand('exec', EXEC);
  const socket = client.stream as typeof client.stream | undefined;
  // One write: the commands leave in one segment.
  socket?.cork();
  try {
    for (const command of [
      new EncodedCommand('multi', MULTI, true),
      ...encoded.map(([name, bytes]) => new EncodedCommand(name, bytes, true)),
    ]) {
      // Handled first, so that `refusal` is set before EXEC's rejection is handled.
      (command.promise as Promise<unknown>).catch(remember);
      client.sendCommand(command);
    }
    client.sendCommand(exec);
  } finally {
    socket?.uncork();
  }
  return (exec.promise as Promise<unknown[]>).catch((error: unknown) => {
    throw refusal ?? error;
  });
}

/**
 * A Lua script called with arguments the store encodes. As ioredis does for the scripts it
 * defines, the first call on a connection sends the script itself (EVAL), later calls its SHA1
 * (EVALSHA), and a call that meets a server which forgot it (SCRIPT FLUSH) is sent again as EVAL,
 * unless a later write of its keys overtook it (see {@link ScriptedWrites}): it then fails with a
 * {@link CommandError}, as sending it again would undo that write.
 */
export class EncodedScript {
  private readonly sha: string;
  /** Connections (sockets) the script was sent on. */
  private readonly sentOn = new WeakSet<object>();

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Runs the script with `keys` then `args`; resolves its reply. `ticket` tells whether a later
   * write overtook the call.
   */
  call(
    client: Redis,
    keys: readonly RespArg[],
    args: readonly RespArg[],
    ticket?: ScriptTicket,
  ): Promise<unknown> {
    const command = new ScriptCall(this, keys, args);
    client.sendCommand(command);
    return (command.promise as Promise<unknown>).catch((error: unknown) => {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      if (command.socket !== undefined) this.sentOn.delete(command.socket);
      if (ticket?.overtaken) {
        throw new CommandError(
          `${describeWrite(ticket)} was not applied: Redis had forgotten the store's scripts (SCRIPT FLUSH, or a failover behind a proxy), and a write issued after it to a key it writes had already run, which sending it again would have undone`,
          error,
        );
      }
      const again = new ScriptCall(this, keys, args);
      client.sendCommand(again);
      return again.promise as Promise<unknown>;
    });
  }

  /** The bytes of a call about to be written on `socket`. */
  encode(socket: object, keys: readonly RespArg[], args: readonly RespArg[]): string | Buffer {
    const known = this.sentOn.has(socket);
    if (!known) this.sentOn.add(socket);
    const all = [known ? this.sha : this.lua, keys.length, ...keys, ...args];
    return encodeCommand(known ? 'EVALSHA' : 'EVAL', all);
  }
}

/** One call of an {@link EncodedScript}, encoded when ioredis writes it. */
class ScriptCall extends Command {
  /** The socket it was written on. */
  socket: object | undefined;

  constructor(
    private readonly script: EncodedScript,
    // Not `keys`: Command keeps its own under that name.
    private readonly scriptKeys: readonly RespArg[],
    private readonly scriptArgs: readonly RespArg[],
  ) {
    // As ioredis' defined commands do: text replies come back as strings, not Buffers.
    super('evalsha', [], { replyEncoding: 'utf8' });
  }

  override toWritable(socket: object): string | Buffer {
    this.socket = socket;
    return this.script.encode(socket, this.scriptKeys, this.scriptArgs);
  }
}

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
 * Sentinel; created by RedisStoreContext).
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
