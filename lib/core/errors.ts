/** Stable machine-readable codes carried by every {@link KvStoreError}. */
export type KvStoreErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_OPTIONS'
  | 'SERIALIZATION'
  | 'DESERIALIZATION'
  | 'NOT_A_NUMBER'
  | 'STORE_CLOSED'
  | 'CONNECTION'
  | 'TIMEOUT'
  | 'COMMAND'
  | 'SLOT_MIGRATING'
  | 'CIRCUIT_OPEN'
  | 'LOADER_TIMEOUT';

/** Base class of every error this library throws; `code` is stable across releases. */
export class KvStoreError extends Error {
  /** Stable code to branch on instead of parsing the message. */
  readonly code: KvStoreErrorCode;

  constructor(code: KvStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A key, value, TTL, limit or range argument is not acceptable; nothing was written. */
export class InvalidArgumentError extends KvStoreError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Store or module options are invalid or contradictory; raised when the store is created. */
export class InvalidOptionsError extends KvStoreError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** A value cannot be represented by the store's serializer; nothing was stored. */
export class SerializationError extends KvStoreError {
  /** The key whose value could not be serialized. */
  readonly key: string;

  constructor(key: string, reason: string, cause?: unknown) {
    super('SERIALIZATION', `Cannot serialize the value for key ${quoteKey(key)}: ${reason}`, {
      cause,
    });
    this.key = key;
  }
}

/** Bytes stored under a key do not decode with the store's serializer. */
export class DeserializationError extends KvStoreError {
  /** The key whose stored bytes could not be decoded. */
  readonly key: string;

  constructor(key: string, reason: string, cause?: unknown) {
    super('DESERIALIZATION', `Cannot decode the stored value of key ${quoteKey(key)}: ${reason}`, {
      cause,
    });
    this.key = key;
  }
}

/** `increment` met a stored value that is not a number. */
export class NotANumberError extends KvStoreError {
  /** The key holding a non-numeric value. */
  readonly key: string;

  constructor(key: string) {
    super('NOT_A_NUMBER', `Cannot increment key ${quoteKey(key)}: its value is not a number`);
    this.key = key;
  }
}

/** The store was closed; every call after `close()` rejects with this error. */
export class StoreClosedError extends KvStoreError {
  constructor(backend: string) {
    super('STORE_CLOSED', `The ${backend} store is closed`);
  }
}

/** The backend cannot be reached (or stopped answering within `timeout`). */
export class ConnectionError extends KvStoreError {
  constructor(message: string, cause?: unknown) {
    super('CONNECTION', message, { cause });
  }
}

/** A command did not complete within the store's `timeout` (seconds). */
export class TimeoutError extends KvStoreError {
  constructor(message: string, cause?: unknown) {
    super('TIMEOUT', message, { cause });
  }
}

/** The backend rejected a command for a reason other than connectivity. */
export class CommandError extends KvStoreError {
  constructor(message: string, cause?: unknown) {
    super('COMMAND', message, { cause });
  }
}

/**
 * Redis Cluster kept refusing a command for half of the store's `timeout` (seconds) because
 * the hash slot of its keys was moving between nodes (`TRYAGAIN`, `ASK`, `MOVED`); the command did
 * not run, so nothing was written and it is safe to send again once the move is over.
 */
export class SlotMigratingError extends KvStoreError {
  constructor(message: string, cause?: unknown) {
    super('SLOT_MIGRATING', message, { cause });
  }
}

/**
 * The store's circuit breaker is open after repeated connection or timeout failures: the call
 * failed at once without asking the backend, and nothing was written. `retryInMs` is how long
 * (milliseconds) until the breaker lets one probe call through.
 */
export class CircuitOpenError extends KvStoreError {
  /** Milliseconds until the breaker lets one probe call through. */
  readonly retryInMs: number;

  constructor(message: string, retryInMs: number, cause?: unknown) {
    super('CIRCUIT_OPEN', message, { cause });
    this.retryInMs = retryInMs;
  }
}

/**
 * A cache loader (the method behind `@Cached`, or the loader given to `getOrSet`) ran longer than
 * its hard timeout (seconds); the caller got this error and the loader may still finish in the
 * background.
 */
export class LoaderTimeoutError extends KvStoreError {
  constructor(message: string) {
    super('LOADER_TIMEOUT', message);
  }
}

/**
 * Whether an error says the store could not be asked (unreachable, too slow, or its circuit breaker open),
 * as opposed to bad input or a value the store refused: the errors under which a cache may serve
 * a value it held under grace.
 */
export function isStoreUnavailable(error: unknown): boolean {
  return (
    error instanceof ConnectionError ||
    error instanceof TimeoutError ||
    error instanceof CircuitOpenError
  );
}

const MAX_QUOTED_KEY_LENGTH = 200;

/** Quotes a key for an error message, shortened so huge keys do not flood logs. */
export function quoteKey(key: string): string {
  const shown =
    key.length > MAX_QUOTED_KEY_LENGTH ? `${key.slice(0, MAX_QUOTED_KEY_LENGTH)}…` : key;
  return JSON.stringify(shown);
}
