import type { Redis } from 'ioredis';

/**
 * Calls `hook` with every command `connection` is given, just before ioredis queues or writes it.
 * ioredis has no public hook for this; every command of a connection goes through its
 * `sendCommand`, which this wraps. The one place the store relies on that method: an ioredis
 * upgrade that renames it is fixed here (the hung-master and cluster-run-once tests go red).
 */
export function beforeEachSend<Command>(connection: Redis, hook: (command: Command) => void): void {
  const target = connection as unknown as {
    sendCommand: (command: Command, stream?: unknown) => unknown;
  };
  const send = target.sendCommand;
  target.sendCommand = function sendAfterHook(
    this: unknown,
    command: Command,
    stream?: unknown,
  ): unknown {
    hook(command);
    return send.call(this, command, stream);
  };
}
