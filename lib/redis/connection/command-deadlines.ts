import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';

/** What this module needs of an ioredis command: whether it settled, and a way to fail it. */
interface DeadlineCommand {
  readonly isSettled?: boolean;
  reject(error: Error): void;
}

type SendCommand = (command: DeadlineCommand, stream?: unknown) => unknown;
type Disconnect = (reconnect?: boolean) => void;

/** Answered commands dropped from the front, past which the lists are compacted. */
const COMPACT_AFTER = 1024;

/**
 * Fails every command that `connection` has not answered `timeoutMs` ms after it was sent (or
 * queued while offline) with ioredis' own "Command timed out" error, as ioredis'
 * `commandTimeout` option does, but with one timer per connection instead of one per command.
 *
 * Why: with a timer per command, a call awaited one at a time took about 5% longer where the
 * loopback round trip is short (~40 µs), and no measurably longer where waking a VM's idle cores
 * dominates it (`bench/ab/redis-sequential-ab.ts`, docs/benchmarks.md).
 *
 * `onExpired` runs after each round of expiries (a server that stopped answering may have been
 * replaced: the caller asks who serves now).
 *
 * All deadlines of a connection are `timeoutMs` after the send, so they come in send order: one
 * timer, armed for the oldest command still waiting, is enough. Answered commands are dropped
 * from the front as new ones are sent, so one-at-a-time callers keep a list of one.
 */
export function enforceCommandDeadlines(
  connection: Redis,
  timeoutMs: number,
  onExpired?: () => void,
): void {
  const commands: Array<DeadlineCommand | undefined> = [];
  const deadlines: number[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  /** Set once the connection is closed for good: nothing is tracked any more. */
  let stopped = false;

  const dropAnswered = (): void => {
    while (head < commands.length && (commands[head] as DeadlineCommand).isSettled) {
      commands[head++] = undefined;
    }
    if (head === commands.length) {
      commands.length = 0;
      deadlines.length = 0;
      head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= commands.length) {
      commands.splice(0, head);
      deadlines.splice(0, head);
      head = 0;
    }
  };

  const arm = (ms: number): void => {
    // Unref'd: waiting commands keep their socket (or reconnection timer) open anyway, and a
    // closed store's last check must not hold the process.
    timer = setTimeout(expire, Math.max(1, Math.ceil(ms)));
    timer.unref();
  };

  function expire(): void {
    timer = undefined;
    const now = performance.now();
    let expired = false;
    while (head < commands.length) {
      const command = commands[head] as DeadlineCommand;
      if (!command.isSettled) {
        const deadline = deadlines[head] as number;
        if (deadline > now) {
          arm(deadline - now);
          break;
        }
        command.reject(new Error('Command timed out'));
        expired = true;
      }
      commands[head++] = undefined;
    }
    dropAnswered();
    if (expired) onExpired?.();
  }

  const target = connection as unknown as { sendCommand: SendCommand };
  const send = target.sendCommand;
  target.sendCommand = function sendWithDeadline(
    this: unknown,
    command: DeadlineCommand,
    stream?: unknown,
  ): unknown {
    if (stopped) return send.call(this, command, stream);
    dropAnswered();
    commands.push(command);
    deadlines.push(performance.now() + timeoutMs);
    if (timer === undefined) arm(timeoutMs);
    return send.call(this, command, stream);
  };
  // A connection closed for good (a closed store, a near cache's subscriber) keeps no timer:
  // ioredis rejects what still waits. A client that never connected emits no 'end'.
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    timer = undefined;
    commands.length = 0;
    deadlines.length = 0;
    head = 0;
  };
  const closable = connection as unknown as { disconnect: Disconnect };
  const disconnect = closable.disconnect;
  closable.disconnect = function disconnectForGood(this: unknown, reconnect?: boolean): void {
    if (!reconnect) stop();
    disconnect.call(this, reconnect);
  };
  connection.once('end', stop);
}
