import { EventEmitter } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { LOOPBACK } from './redis-harness.js';

/**
 * A loopback TCP proxy between a store and one Redis server that faults one connection at the
 * moment a given command passes: reset it (before or after the server sees the command), hold the
 * server's replies for a while, delay one direction, or stall it (a partition: nothing moves until
 * healed, then everything arrives in order, as TCP would deliver it). Tests order events with it
 * instead of sleeping: `inject(...).fired` resolves when the command passed.
 *
 * It reads the client's side as RESP (ioredis sends arrays of bulk strings) to see command
 * boundaries; the server's side is forwarded as bytes.
 */

/** Which way bytes travel through a connection. */
export type Direction = 'toServer' | 'toClient';

/** What a rule does to the connection a matching command passes on. */
export type FaultAction =
  /** Reset both sides before the command reaches the server (it never runs). */
  | 'reset-before'
  /** Forward the command, then reset both sides (it runs; the client never sees the reply). */
  | 'reset-after'
  /** Forward the command, then move nothing either way until `heal()` (a partition). */
  | 'stall'
  /** Forward the command, then hold every byte from the server for `holdRepliesMs`. */
  | { readonly holdRepliesMs: number }
  /** From this command on, delay bytes in `direction` by `ms` (order kept). */
  | { readonly delay: Direction; readonly ms: number }
  /** Anything else, run synchronously as the command passes (after it was forwarded). */
  | ((connection: ProxiedConnection, command: readonly string[]) => void);

/** Which command fires a rule, and on which connection. */
export interface FaultRule {
  /** Command name, any case (`SUBSCRIBE`, `CLIENT`). */
  readonly command: string;
  /** Leading arguments that must match too, any case (`['TRACKING', 'ON']`). */
  readonly args?: readonly string[];
  /** Only connections this accepts (for example by `name`). */
  readonly connection?: (connection: ProxiedConnection) => boolean;
  /** How many matching commands fire it (default 1). */
  readonly times?: number;
  /** What to do. */
  readonly action: FaultAction;
}

/** A rule in force. */
export interface InjectedFault {
  /** Resolves when the rule first fired, with the connection and the command. */
  readonly fired: Promise<{ connection: ProxiedConnection; command: readonly string[] }>;
  /** How many times it fired so far. */
  readonly count: () => number;
  /** Removes the rule (faults already applied stay). */
  cancel(): void;
}

interface ActiveRule {
  readonly rule: FaultRule;
  remaining: number;
  fired: number;
  resolve: (hit: { connection: ProxiedConnection; command: readonly string[] }) => void;
}

/** One client connection through the proxy and its server-side twin. */
export class ProxiedConnection {
  /** The name the client gave itself (`CLIENT SETNAME` or `HELLO ... SETNAME`), if any. */
  name: string | undefined;
  /** Command names this connection sent, upper case, in order (the last 1000). */
  readonly commandNames: string[] = [];
  private readonly parser = new RespCommandReader();
  private readonly delays: Record<Direction, number> = { toServer: 0, toClient: 0 };
  private readonly queues: Record<Direction, Array<{ due: number; bytes: Buffer }>> = {
    toServer: [],
    toClient: [],
  };
  private readonly timers: Record<Direction, NodeJS.Timeout | undefined> = {
    toServer: undefined,
    toClient: undefined,
  };
  private holdUntil: Record<Direction, number> = { toServer: 0, toClient: 0 };
  private stalled = false;
  private ended = false;

  constructor(
    /** Accept order, from 1. */
    readonly id: number,
    private readonly client: Socket,
    private readonly server: Socket,
    private readonly onCommand: (connection: ProxiedConnection, command: string[]) => FaultAction[],
    private readonly onEnd: (connection: ProxiedConnection) => void,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk));
    server.on('data', (chunk: Buffer) => this.send('toClient', chunk));
    const end = (): void => this.end();
    for (const socket of [client, server]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  /** Whether either side closed. */
  get closed(): boolean {
    return this.ended;
  }

  /** Resets both sides at once (RST, as a dropped connection looks to both). */
  reset(): void {
    if (this.ended) return;
    resetSocket(this.client);
    resetSocket(this.server);
    this.end();
  }

  /** Moves nothing either way until `heal()`; then delivers all that was held, in order. */
  stall(): void {
    this.stalled = true;
  }

  /** Ends a stall and any held replies. */
  heal(): void {
    this.stalled = false;
    this.holdUntil = { toServer: 0, toClient: 0 };
    this.pump('toServer');
    this.pump('toClient');
  }

  /** Holds every byte travelling in `direction` for `ms` from now. */
  hold(direction: Direction, ms: number): void {
    this.holdUntil[direction] = Math.max(this.holdUntil[direction], Date.now() + ms);
    this.schedule(direction, ms);
  }

  /** Delays every later byte travelling in `direction` by `ms` (0 ends the delay). */
  delay(direction: Direction, ms: number): void {
    this.delays[direction] = ms;
  }

  private fromClient(chunk: Buffer): void {
    for (const piece of this.parser.push(chunk)) {
      if (piece.command === undefined) {
        this.send('toServer', piece.bytes);
        continue;
      }
      const command = piece.command;
      this.remember(command);
      const actions = this.onCommand(this, command);
      if (actions.includes('reset-before')) {
        this.reset();
        return;
      }
      this.send('toServer', piece.bytes);
      for (const action of actions) this.apply(action, command);
      if (this.ended) return;
    }
  }

  private remember(command: readonly string[]): void {
    const name = (command[0] ?? '').toUpperCase();
    this.commandNames.push(name);
    if (this.commandNames.length > 1000) this.commandNames.shift();
    const upper = command.map((part) => part.toUpperCase());
    if (name === 'CLIENT' && upper[1] === 'SETNAME') this.name = command[2];
    if (name === 'HELLO') {
      const at = upper.indexOf('SETNAME');
      if (at > 0) this.name = command[at + 1];
    }
  }

  private apply(action: FaultAction, command: readonly string[]): void {
    if (action === 'reset-before') return;
    if (action === 'reset-after') this.reset();
    else if (action === 'stall') this.stall();
    else if (typeof action === 'function') action(this, command);
    else if ('holdRepliesMs' in action) this.hold('toClient', action.holdRepliesMs);
    else this.delay(action.delay, action.ms);
  }

  private send(direction: Direction, bytes: Buffer): void {
    if (this.ended) return;
    const queue = this.queues[direction];
    const last = queue.at(-1)?.due ?? 0;
    queue.push({ due: Math.max(Date.now() + this.delays[direction], last), bytes });
    this.pump(direction);
  }

  private pump(direction: Direction): void {
    if (this.ended || this.stalled) return;
    const queue = this.queues[direction];
    const target = direction === 'toServer' ? this.server : this.client;
    const now = Date.now();
    const heldFor = this.holdUntil[direction] - now;
    if (heldFor > 0) {
      this.schedule(direction, heldFor);
      return;
    }
    for (let next = queue[0]; next !== undefined && next.due <= now; next = queue[0]) {
      queue.shift();
      target.write(next.bytes);
    }
    const waiting = queue[0];
    if (waiting !== undefined) this.schedule(direction, waiting.due - now);
  }

  private schedule(direction: Direction, ms: number): void {
    clearTimeout(this.timers[direction]);
    this.timers[direction] = setTimeout(() => this.pump(direction), Math.max(1, ms));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timers.toServer);
    clearTimeout(this.timers.toClient);
    this.client.destroy();
    this.server.destroy();
    this.onEnd(this);
  }
}

/**
 * The proxy: listens on a free loopback port and connects each client to `target`. Emits
 * `connection` (ProxiedConnection) and `command` (connection, command) as they happen.
 */
export class FaultProxy extends EventEmitter {
  private readonly live = new Set<ProxiedConnection>();
  private readonly rules: ActiveRule[] = [];
  private nextId = 1;
  private refusing = false;
  private stallingAll = false;
  private listenPort: number | undefined;

  private constructor(
    private readonly listener: Server,
    /** The server the proxy forwards to. */
    readonly target: { readonly host: string; readonly port: number },
  ) {
    super();
  }

  /** Starts a proxy to `targetPort` on the loopback interface. */
  static async start(targetPort: number, targetHost: string = LOOPBACK): Promise<FaultProxy> {
    const listener = createServer();
    const proxy = new FaultProxy(listener, { host: targetHost, port: targetPort });
    listener.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(0, LOOPBACK, () => resolve());
    });
    void proxy.port;
    return proxy;
  }

  /** The port clients connect to (still known after `close()`). */
  get port(): number {
    this.listenPort ??= (this.listener.address() as AddressInfo).port;
    return this.listenPort;
  }

  /** Open connections in accept order. */
  get connections(): ProxiedConnection[] {
    return [...this.live];
  }

  /** The open connections whose name matches. */
  named(pattern: RegExp): ProxiedConnection[] {
    return this.connections.filter((c) => c.name !== undefined && pattern.test(c.name));
  }

  /** Adds a rule; it fires on the next `times` matching commands of any open or later connection. */
  inject(rule: FaultRule): InjectedFault {
    let resolve!: ActiveRule['resolve'];
    const fired = new Promise<{ connection: ProxiedConnection; command: readonly string[] }>(
      (r) => (resolve = r),
    );
    const active: ActiveRule = { rule, remaining: rule.times ?? 1, fired: 0, resolve };
    this.rules.push(active);
    return {
      fired,
      count: () => active.fired,
      cancel: () => this.drop(active),
    };
  }

  /** Resets every open connection. */
  resetAll(): void {
    for (const connection of this.connections) connection.reset();
  }

  /** New connections are reset as soon as they arrive (a server that is down) until `accept()`. */
  refuse(): void {
    this.refusing = true;
  }

  /** Ends `refuse()`. */
  acceptAgain(): void {
    this.refusing = false;
  }

  /** A partition: every open and new connection moves nothing until `heal()`. */
  stallAll(): void {
    this.stallingAll = true;
    for (const connection of this.live) connection.stall();
  }

  /** Ends `stallAll()` and every connection's stall or hold. */
  heal(): void {
    this.stallingAll = false;
    for (const connection of this.live) connection.heal();
  }

  /** Closes the listener and every connection. */
  async close(): Promise<void> {
    this.rules.length = 0;
    for (const connection of this.connections) connection.reset();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.refusing) {
      client.on('error', () => undefined);
      resetSocket(client);
      return;
    }
    client.pause();
    const server = connect(this.target.port, this.target.host);
    const connection = new ProxiedConnection(
      this.nextId++,
      client,
      server,
      (c, command) => this.match(c, command),
      (c) => this.live.delete(c),
    );
    this.live.add(connection);
    if (this.stallingAll) connection.stall();
    server.once('connect', () => client.resume());
    this.emit('connection', connection);
  }

  private match(connection: ProxiedConnection, command: string[]): FaultAction[] {
    this.emit('command', connection, command);
    const actions: FaultAction[] = [];
    for (const active of [...this.rules]) {
      const { rule } = active;
      if (!commandMatches(command, rule.command, rule.args)) continue;
      if (rule.connection && !rule.connection(connection)) continue;
      active.fired++;
      active.remaining--;
      if (active.remaining <= 0) this.drop(active);
      actions.push(rule.action);
      if (active.fired === 1) active.resolve({ connection, command });
    }
    return actions;
  }

  private drop(active: ActiveRule): void {
    const at = this.rules.indexOf(active);
    if (at >= 0) this.rules.splice(at, 1);
  }
}

/**
 * Sends an RST where a socket is fully open. A socket that is still connecting, or that already
 * saw the peer's FIN, is destroyed plainly: `resetAndDestroy()` there left the native handle open
 * (the process then never exits).
 */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.readyState === 'open' && !socket.readableEnded && !socket.writableEnded) {
    socket.resetAndDestroy();
  } else {
    socket.destroy();
  }
}

function commandMatches(
  command: readonly string[],
  name: string,
  args?: readonly string[],
): boolean {
  if ((command[0] ?? '').toUpperCase() !== name.toUpperCase()) return false;
  return (args ?? []).every((arg, i) => (command[i + 1] ?? '').toUpperCase() === arg.toUpperCase());
}

/**
 * Splits a client's byte stream into whole commands (RESP arrays of bulk strings, or inline
 * commands) so that a fault can fall exactly before or after one. Bytes of an unfinished command
 * wait for the rest.
 */
class RespCommandReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Array<{ bytes: Buffer; command?: string[] }> {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: Array<{ bytes: Buffer; command?: string[] }> = [];
    let offset = 0;
    while (offset < this.pending.length) {
      const parsed = readCommand(this.pending, offset);
      if (parsed === undefined) break;
      out.push({ bytes: this.pending.subarray(offset, parsed.end), command: parsed.command });
      offset = parsed.end;
    }
    this.pending = Buffer.from(this.pending.subarray(offset));
    return out;
  }
}

function readLine(buffer: Buffer, from: number): { line: string; next: number } | undefined {
  const at = buffer.indexOf('\r\n', from);
  if (at < 0) return undefined;
  return { line: buffer.toString('latin1', from, at), next: at + 2 };
}

function readCommand(buffer: Buffer, from: number): { command: string[]; end: number } | undefined {
  if (buffer[from] !== 0x2a /* '*' */) {
    const inline = readLine(buffer, from);
    if (inline === undefined) return undefined;
    return { command: inline.line.trim().split(/\s+/), end: inline.next };
  }
  const header = readLine(buffer, from + 1);
  if (header === undefined) return undefined;
  const count = Number(header.line);
  const command: string[] = [];
  let at = header.next;
  for (let i = 0; i < count; i++) {
    if (buffer[at] !== 0x24 /* '$' */) {
      if (at >= buffer.length) return undefined;
      throw new Error(`fault proxy: unexpected RESP byte ${buffer[at]} in a client command`);
    }
    const length = readLine(buffer, at + 1);
    if (length === undefined) return undefined;
    const size = Number(length.line);
    if (length.next + size + 2 > buffer.length) return undefined;
    command.push(buffer.toString('utf8', length.next, length.next + size));
    at = length.next + size + 2;
  }
  return { command, end: at };
}
