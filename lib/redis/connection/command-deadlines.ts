import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { beforeEachSend } from './before-each-send.js';

/** What this module needs of an ioredis command: whether it settled, and a way to fail it. */
interface DeadlineCommand {
  readonly isSettled?: boolean;
  reject(error: Error): void;
}

type Disconnect = (reconnect?: boolean) => void;

/** What a connection's owner hears while its oldest command waits unanswered, and after. */
export interface StallNotice {
  /** How long, in milliseconds, the oldest command may wait before `stalled` runs. */
  readonly afterMs: number;
  /** Runs once the oldest command has waited `afterMs`, and again every `afterMs` while it still waits. */
  readonly stalled: () => void;
  /** Runs once a connection that was stalled has nothing waiting longer than `afterMs` (or closes). */
  readonly answering: () => void;
}

/** Answered commands dropped from the front, past which the lists are compacted. */
const COMPACT_AFTER = 1024;

/**
 * Fails every command that `connection` has not answered `timeoutMs` ms after it was sent (or
 * queued while offline) with ioredis' own "Command timed out" error, as ioredis'
 * `commandTimeout` option does, but with one timer per connection instead of one per command.
 *
 * Why: with a timer per command, a call awaited one at a time took measurably longer where the
 * loopback round trip is short, and no longer where waking a VM's idle cores dominates it
 * (`bench/ab/redis-sequential-ab.ts`, figures in bench/notes/investigations.md).
 *
 * `onExpired` runs after each round of expiries (a server that stopped answering may have been
 * replaced: the caller asks who serves now). `stall`, if given, hears of a command that has waited
 * long before its deadline: a paused server is often replaced well within one `timeout`, and
 * commands already waiting on it should move to the new owner as soon as it is known.
 *
 * All deadlines of a connection are `timeoutMs` after the send, so they come in send order: one
 * timer, armed for the oldest command still waiting, is enough. Answered commands are dropped
 * from the front as new ones are sent, so one-at-a-time callers keep a list of one.
 */
export function enforceCommandDeadlines(
  connection: Redis,
  timeoutMs: number,
  onExpired?: () => void,
  stall?: StallNotice,
): void {
  const commands: Array<DeadlineCommand | undefined> = [];
  const deadlines: number[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let stallConfirm: NodeJS.Immediate | undefined;
  let stalled = false;
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

  const armStallCheck = (ms: number): void => {
    stallTimer = setTimeout(checkStall, Math.max(1, Math.ceil(ms)));
    stallTimer.unref();
  };

  /** Sends are in order, so the oldest unanswered command tells whether the connection stalls. */
  function checkStall(confirmed = false): void {
    stallTimer = undefined;
    if (stall === undefined || stopped) return;
    dropAnswered();
    const waitedMs =
      head === commands.length ? 0 : performance.now() - ((deadlines[head] as number) - timeoutMs);
    if (waitedMs >= stall.afterMs) {
      // After the event loop was blocked, the reply may already sit in the socket: timers run
      // before I/O is read, so look again once it has been (setImmediate runs after the poll).
      if (!confirmed) {
        stallConfirm = setImmediate(() => {
          stallConfirm = undefined;
          checkStall(true);
        });
        stallConfirm.unref();
        return;
      }
      stalled = true;
      stall.stalled();
      armStallCheck(stall.afterMs);
      return;
    }
    if (stalled) {
      stalled = false;
      stall.answering();
    }
    // Nothing waits: the next send arms the check again.
    if (head < commands.length) armStallCheck(stall.afterMs - waitedMs);
  }

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

  beforeEachSend<DeadlineCommand>(connection, (command) => {
    if (stopped) return;
    dropAnswered();
    commands.push(command);
    deadlines.push(performance.now() + timeoutMs);
    if (timer === undefined) arm(timeoutMs);
    if (stall !== undefined && stallTimer === undefined && stallConfirm === undefined) {
      armStallCheck(stall.afterMs);
    }
  });
  // A connection closed for good (a closed store, a near cache's subscriber) keeps no timer:
  // ioredis rejects what still waits. A client that never connected emits no 'end'.
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    clearTimeout(stallTimer);
    if (stallConfirm !== undefined) clearImmediate(stallConfirm);
    timer = undefined;
    stallTimer = undefined;
    stallConfirm = undefined;
    if (stalled) stall?.answering();
    stalled = false;
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
