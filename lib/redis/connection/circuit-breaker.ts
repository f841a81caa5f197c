import { performance } from 'node:perf_hooks';
import {
  CircuitOpenError,
  ConnectionError,
  InvalidArgumentError,
  InvalidOptionsError,
  KvStoreError,
  SerializationError,
  StoreClosedError,
  TimeoutError,
} from '../../core/errors.js';
import type { ResolvedCircuitBreaker } from '../options/circuit-breaker-options.js';

/**
 * Where a circuit breaker stands: `'closed'` lets every call through; `'open'` refuses every call;
 * `'half-open'` lets the next call through as a probe (or one is running) and refuses the others.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** The circuit breaker's figures, in `getStats().circuit` and `RedisStore.circuitBreakerStats()`. */
export interface CircuitBreakerStats {
  /** Where the breaker stands now. */
  state: CircuitState;
  /** Times it opened since the store was created (a failed probe opens it again, and counts). */
  opens: number;
  /** Calls it refused with `CircuitOpenError` since the store was created. */
  refused: number;
  /** Milliseconds until it lets a probe through (0 when closed, or when the next call probes). */
  retryInMs: number;
}

/** What a call's outcome says about Redis. */
type Verdict = 'answered' | 'unreachable' | 'unknown';

/** The identity of a probe call, so that only its own outcome decides. */
interface Probe {
  readonly startedAt: number;
}

/**
 * The circuit breaker of one Redis store: it owns the state, the store asks it before each call
 * ({@link CircuitBreaker.call}) and it hears how each call ended.
 *
 * Closed: calls failing with `ConnectionError` or `TimeoutError` are counted; any answer from Redis
 * (a value, or a refusal such as WRONGTYPE or NOPERM) resets the count, and errors raised before
 * Redis was asked (bad input) leave it as it is. `failures` of them in a row within `windowMs`
 * open the breaker: every call then rejects at once with `CircuitOpenError` for `durationMs`.
 * After that, the next call goes through as the probe while every other call is still refused; the
 * probe's outcome closes the breaker or opens it for another `durationMs`. A probe that has not
 * settled within `probeLimitMs` counts as failed, so the next probe comes `durationMs` later; when
 * it succeeds after all (a multi-step call, each step within its own timeout), it closes the breaker. Calls let through before the breaker opened do
 * not change it once it has: their failures were already seen, and a late answer is not a probe.
 *
 * No timer runs: the state moves on when a call asks.
 */
export class CircuitBreaker {
  private mode: 'closed' | 'open' | 'probing' = 'closed';
  /** Bumped at each close, so calls of an earlier closed period are told apart. */
  private generation = 0;
  /** `performance.now()` of each failure of the current run, oldest first, at most `failures`. */
  private readonly failureTimes: number[] = [];
  private openUntil = 0;
  private probe: Probe | undefined;
  private lastFailure: KvStoreError | undefined;
  private opens = 0;
  private refused = 0;
  /** Failures that do not say Redis is unreachable although their class does (see `excuse`). */
  private readonly excused = new WeakSet<object>();

  /** @param target what messages call the server. */
  constructor(
    private readonly settings: ResolvedCircuitBreaker,
    private readonly target: string,
  ) {}

  /**
   * Runs `call` when the breaker lets it through and records how it ended; otherwise rejects at
   * once with {@link CircuitOpenError} without running it.
   */
  call<T>(call: () => Promise<T>): Promise<T> {
    let pass: number | Probe;
    try {
      pass = this.admit(performance.now());
    } catch (error) {
      return Promise.reject(error);
    }
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      this.settle(pass, error);
      return Promise.reject(error);
    }
    return pending.then(
      (value) => {
        this.settle(pass, undefined);
        return value;
      },
      (error: unknown) => {
        this.settle(pass, error);
        throw error;
      },
    );
  }

  /**
   * Marks `error` as one that must not count as a failure although it is a `TimeoutError`: a
   * write Redis applied whose replica confirmations (the `durability` option) did not come in time.
   */
  excuse(error: unknown): void {
    if (error !== null && typeof error === 'object') this.excused.add(error);
  }

  /** Where the breaker stands and what it did so far. */
  stats(): CircuitBreakerStats {
    const now = performance.now();
    const state: CircuitState =
      this.mode === 'closed'
        ? 'closed'
        : this.mode === 'probing' || now >= this.openUntil
          ? 'half-open'
          : 'open';
    return {
      state,
      opens: this.opens,
      refused: this.refused,
      retryInMs: this.retryInMs(now),
    };
  }

  private admit(now: number): number | Probe {
    if (this.mode === 'closed') return this.generation;
    if (
      this.mode === 'probing' &&
      now - (this.probe as Probe).startedAt > this.settings.probeLimitMs
    ) {
      this.open(now);
    }
    if (this.mode === 'open' && now >= this.openUntil) {
      this.mode = 'probing';
      this.probe = { startedAt: now };
      return this.probe;
    }
    this.refused++;
    throw this.refusal(now);
  }

  private settle(pass: number | Probe, error: unknown): void {
    const verdict = verdictOf(error, this.excused);
    if (typeof pass !== 'number') {
      if (pass !== this.probe) {
        // A probe past its limit (a multi-step call such as clear()) that succeeds still shows
        // Redis answers every command: it closes the breaker rather than being ignored.
        if (verdict === 'answered' && this.mode !== 'closed') this.close();
        return;
      }
      if (verdict === 'answered') this.close();
      else if (verdict === 'unreachable') {
        this.lastFailure = error as KvStoreError;
        this.open(performance.now());
      } else {
        // Redis was not asked (bad input): the next call probes instead.
        this.probe = undefined;
        this.mode = 'open';
        this.openUntil = 0;
      }
      return;
    }
    if (this.mode !== 'closed' || pass !== this.generation) return;
    if (verdict === 'answered') {
      this.failureTimes.length = 0;
    } else if (verdict === 'unreachable') {
      this.lastFailure = error as KvStoreError;
      const now = performance.now();
      this.failureTimes.push(now);
      if (this.failureTimes.length > this.settings.failures) this.failureTimes.shift();
      const oldest = this.failureTimes[0] as number;
      if (
        this.failureTimes.length === this.settings.failures &&
        now - oldest <= this.settings.windowMs
      ) {
        this.open(now);
      }
    }
  }

  private open(now: number): void {
    this.mode = 'open';
    this.openUntil = now + this.settings.durationMs;
    this.probe = undefined;
    this.failureTimes.length = 0;
    this.opens++;
  }

  private close(): void {
    this.mode = 'closed';
    this.generation++;
    this.probe = undefined;
    this.failureTimes.length = 0;
  }

  private retryInMs(now: number): number {
    if (this.mode === 'open') return Math.max(0, Math.ceil(this.openUntil - now));
    if (this.mode === 'probing') {
      // At the latest, the probe has decided by its limit.
      const decidedBy = (this.probe as Probe).startedAt + this.settings.probeLimitMs;
      return Math.max(0, Math.ceil(decidedBy - now));
    }
    return 0;
  }

  private refusal(now: number): CircuitOpenError {
    const retryInMs = this.retryInMs(now);
    const last = this.lastFailure === undefined ? '' : ` (the last: ${this.lastFailure.message})`;
    const after =
      this.mode === 'probing'
        ? `one call is probing whether Redis answers again; the others fail at once until it has (at most ${seconds(retryInMs)} s)`
        : `calls fail at once for ${seconds(retryInMs)} s more, then one call is let through to probe`;
    return new CircuitOpenError(
      `The circuit breaker of Redis at ${this.target} is open after ${this.settings.failures} calls in a row could not reach it or timed out${last}; ${after}`,
      retryInMs,
      this.lastFailure,
    );
  }
}

/** Whether `error` (undefined: the call succeeded) shows Redis answered, did not, or was not asked. */
function verdictOf(error: unknown, excused: WeakSet<object>): Verdict {
  if (error === undefined) return 'answered';
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    return excused.has(error) ? 'answered' : 'unreachable';
  }
  if (
    !(error instanceof KvStoreError) ||
    error instanceof InvalidArgumentError ||
    error instanceof InvalidOptionsError ||
    error instanceof SerializationError ||
    error instanceof StoreClosedError ||
    error instanceof CircuitOpenError
  ) {
    return 'unknown';
  }
  // CommandError (WRONGTYPE, NOPERM...), NotANumberError, DeserializationError, SlotMigratingError.
  return 'answered';
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
