import type { KeyLayout } from '../index/key-layout.js';
import type { RedisClient } from './redis-connection.js';
import { SKIPPED_NODE_ERROR, translateRedisError, type ErrorContext } from './redis-errors.js';
import { foreignTypeError, isWrongTypeReply } from '../reads/foreign-types.js';
import type { ResolvedRedisConfig } from '../options/resolve-redis-options.js';

/**
 * Turns a Redis store's command failures into the library's errors: a message names the server
 * and the key, never the password, and says what the connection last reported. It listens to
 * the client's connection errors from construction on (without a listener, ioredis would report
 * every failed reconnection attempt as unhandled).
 */
export class CommandGuard {
  /** What error messages are built from; also what waiting for the connection reports. */
  readonly errors: ErrorContext;
  private lastConnectionError: Error | undefined;
  /** Cluster only: how to fail each guarded call still unanswered (see `abandonUnanswered`). */
  private readonly unanswered = new Set<(error: Error) => void>();

  /** @param isClosed whether `close()` was called on the store. */
  constructor(
    private readonly client: RedisClient,
    private readonly config: ResolvedRedisConfig,
    private readonly layout: KeyLayout,
    isClosed: () => boolean,
  ) {
    this.errors = {
      target: config.target,
      timeoutMs: config.timeoutMs,
      password: config.password,
      tls: config.tls !== undefined,
      isReady: () => client.status === 'ready',
      isClosed,
      lastConnectionError: () => this.lastConnectionError,
    };
    const remember = (error: Error): void => {
      // A node a slot-map refresh skipped on purpose says nothing about reaching Redis.
      if (error.name === SKIPPED_NODE_ERROR) return;
      this.lastConnectionError = error;
    };
    client.on('error', remember);
    client.on('node error', remember);
    client.on('ready', () => {
      this.lastConnectionError = undefined;
    });
  }

  /**
   * `command`, its failure mapped to the library's errors (`key`: the key it concerns, named in
   * messages; a reply of another Redis type under it rejects with a `DeserializationError`).
   * Commands waiting for a cluster that is not ready sit in the Cluster's own queue, which
   * ioredis does not bound, so they get a deadline here; on a cluster every call is also kept
   * until it settles, for `abandonUnanswered`.
   */
  guard<T>(command: Promise<T>, key?: string): Promise<T> {
    let pending = command;
    if (this.config.topology === 'cluster') {
      if (this.client.status !== 'ready') pending = withDeadline(command, this.config.timeoutMs);
      pending = this.kept(pending);
    }
    return pending.catch((error: unknown) => {
      if (key !== undefined && isWrongTypeReply(error)) return this.foreignTypeFailure(key);
      throw translateRedisError(error, this.errors, key);
    });
  }

  /**
   * Fails every guarded call still unanswered as a command of a closed connection: close() calls
   * it last. A Cluster that is closing can leave commands in its own queue for good (a command
   * retried after a node was lost re-enters that queue once the queue was flushed), so close()
   * cannot rely on ioredis to settle them.
   */
  abandonUnanswered(): void {
    const closed = new Error('Connection is closed.');
    for (const reject of this.unanswered) reject(closed);
    this.unanswered.clear();
  }

  private kept<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.unanswered.add(reject);
      command.then(
        (value) => {
          this.unanswered.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.unanswered.delete(reject);
          reject(error);
        },
      );
    });
  }

  /** Rejects with the foreign-type error of `key`, naming the type it holds (an error path only). */
  private async foreignTypeFailure(key: string): Promise<never> {
    const name = this.layout.shardFor(key).dataPrefix + key;
    const type = await this.client.type(name).catch(() => 'type other than a string');
    throw foreignTypeError(key, type);
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('Command timed out')), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
