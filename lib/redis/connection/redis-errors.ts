import {
  CommandError,
  ConnectionError,
  KvStoreError,
  NotANumberError,
  quoteKey,
  SlotMigratingError,
  TimeoutError,
} from '../../core/errors.js';
import { NOT_A_NUMBER_MARKER, OVERFLOW_MARKER } from '../scripts/lua-scripts.js';
import { isSlotMoveRefusal } from '../writes/slot-moves.js';

/** What error translation needs to know about the connection. */
export interface ErrorContext {
  /** `host:port` (or the Sentinel / Cluster description) named in messages. */
  readonly target: string;
  /** The store's timeout in milliseconds. */
  readonly timeoutMs: number;
  /** The password, so that it can be scrubbed from any message that might echo it. */
  readonly password: string | undefined;
  /** Whether the connection uses TLS (`rediss://` or `ssl`). */
  readonly tls?: boolean;
  /** Whether the client is connected and ready right now. */
  isReady(): boolean;
  /** Whether `close()` was called on the store. */
  isClosed?(): boolean;
  /** The last connection-level error ioredis reported, if any. */
  lastConnectionError(): Error | undefined;
}

const AUTH_FAILURE = /^(WRONGPASS|NOAUTH|ERR invalid password|ERR AUTH)/;

/**
 * Turns an ioredis failure into the library's errors: {@link ConnectionError} when the server
 * cannot be reached or refuses the credentials, {@link TimeoutError} when a connected server does
 * not answer within the timeout, {@link NotANumberError} for increments of non-numbers,
 * {@link SlotMigratingError} when Redis Cluster refused the command, unrun, because the slot of
 * its keys was moving, and {@link CommandError} otherwise. Messages name the server, never the
 * password.
 */
export function translateRedisError(
  error: unknown,
  context: ErrorContext,
  key?: string,
): KvStoreError {
  if (error instanceof KvStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (key !== undefined && message.includes(NOT_A_NUMBER_MARKER)) return new NotANumberError(key);
  const seconds = context.timeoutMs / 1000;
  if (isSlotMoveRefusal(error)) {
    const what = key === undefined ? 'a command' : `the command for key ${quoteKey(key)}`;
    return new SlotMigratingError(
      `Redis Cluster at ${context.target} refused ${what} while the hash slot of its keys was moving between nodes: ${redact(firstLine(message), context)}; the command did not run`,
      error,
    );
  }
  const isReply = error instanceof Error && error.name === 'ReplyError';
  if (isReply && AUTH_FAILURE.test(message)) {
    // NOAUTH: no password was sent at all, so "refused the credentials" would mislead.
    const what = message.startsWith('NOAUTH')
      ? 'requires a password and none was given (set password, or the url with user:password)'
      : 'refused the credentials';
    return new ConnectionError(
      `Redis at ${context.target} ${what}: ${redact(firstLine(message), context)}`,
    );
  }
  if (isReply) {
    // The ReplyError carries the command's arguments (user data, never the password): keep it.
    return new CommandError(
      `Redis at ${context.target} rejected a command: ${redact(firstLine(message), context)}`,
      error,
    );
  }
  if (message === 'Command timed out' && context.isReady()) {
    return new TimeoutError(`Redis at ${context.target} did not answer within ${seconds} s`);
  }
  const cause = context.lastConnectionError();
  const reason = cause ? `: ${redact(firstLine(cause.message), context)}` : '';
  if (isConnectionLost(error)) {
    // ioredis' own wording here names its options ("maxRetriesPerRequest"), not what happened.
    if (context.isClosed?.() === true) {
      return new ConnectionError(
        `Redis at ${context.target} had not answered when the store was closed (close() waits at most ${seconds} s)`,
      );
    }
    return new ConnectionError(
      `Lost the connection to Redis at ${context.target} before it answered${reason}; the command may or may not have run`,
    );
  }
  if (message === 'Command timed out') return notReachedWithinTimeout(context, reason);
  // Connection-level errors can echo ioredis internals (AUTH arguments): keep only the text.
  return new ConnectionError(
    `Cannot reach Redis at ${context.target}${reason || `: ${redact(firstLine(message), context)}`}`,
  );
}

/**
 * "Cannot reach Redis at X within N s", plus `reason` when known. Over TLS a silent timeout is
 * most often a plain server: it waits for a command line that the TLS greeting never ends, so the
 * message says so.
 */
export function notReachedWithinTimeout(
  context: Pick<ErrorContext, 'target' | 'timeoutMs' | 'tls'>,
  reason = '',
): ConnectionError {
  const hint =
    context.tls === true && reason === ''
      ? ': the TLS handshake did not finish (rediss:// or ssl was given; if the server does not serve TLS on this port, use redis://)'
      : reason;
  return new ConnectionError(
    `Cannot reach Redis at ${context.target} within ${context.timeoutMs / 1000} s${hint}`,
  );
}

/**
 * What a Cluster node connection fails a command with when the command must run at most once
 * (an increment, a putIfAbsent, a lease) and its connection closed before the reply: ioredis
 * would send "Connection is closed." again to the node that owns the slot then.
 */
export const NOT_SENT_AGAIN_MESSAGE =
  'Connection is closed; not sent again (it must run at most once).';

/** The `name` of the error a slot-map refresh records for a node it skipped as not answering. */
export const SKIPPED_NODE_ERROR = 'SkippedNodeError';

/**
 * Whether ioredis failed a command because its connection closed: flushed by the reconnection
 * logic (MaxRetriesPerRequestError), or by disconnect() ("Connection is closed.").
 */
function isConnectionLost(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.message === 'Connection is closed.' ||
    error.message === NOT_SENT_AGAIN_MESSAGE
  );
}

/** The first line of a message; Redis errors sometimes append script details. */
function firstLine(message: string): string {
  const newline = message.indexOf('\n');
  return newline === -1 ? message : message.slice(0, newline);
}

/** Replaces the password wherever it appears, in case a server or library echoes it. */
export function redact(message: string, context: Pick<ErrorContext, 'password'>): string {
  const { password } = context;
  if (password === undefined || password.length === 0) return message;
  return message.split(password).join('***');
}

/** Whether `error` is the increment script's refusal of a sum that would overflow to +-inf. */
export function isOverflowReply(error: unknown): boolean {
  return error instanceof Error && error.message.includes(OVERFLOW_MARKER);
}
