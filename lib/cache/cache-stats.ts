import {
  COUNTER_NAMES,
  RESILIENCE_COUNTER_NAMES,
  type CachedMethodStats,
  type ScopeState,
  zeroCounters,
} from './cache-scope.js';

/** Counters in total and per `@Cached` method (`Class.method`) or `getOrSet` cache name. */
export interface CachedStats extends CachedMethodStats {
  /** Counters per cached method or `getOrSet` cache name; those never called are absent. */
  methods: Record<string, CachedMethodStats>;
}

/**
 * The counters and invalidation generation of each call site of one cache, by id.
 * @internal One per `KvCache`.
 */
export class ScopeStates {
  private readonly states = new Map<string, ScopeState>();

  /** The state of `id`, created at zero. */
  stateOf(id: string): ScopeState {
    let state = this.states.get(id);
    if (!state) {
      state = { counters: zeroCounters(), generation: 0 };
      this.states.set(id, state);
    }
    return state;
  }

  /** Adds the counters of every id with a count to `total` (and its `methods`). */
  addTo(total: CachedStats): CachedStats {
    for (const [id, { counters }] of this.states) {
      if (
        COUNTER_NAMES.every((name) => counters[name] === 0) &&
        RESILIENCE_COUNTER_NAMES.every((name) => !counters[name])
      ) {
        continue;
      }
      const record = (total.methods[id] ??= zeroCounters());
      for (const name of COUNTER_NAMES) {
        record[name] += counters[name];
        total[name] += counters[name];
      }
      for (const name of RESILIENCE_COUNTER_NAMES) {
        const count = counters[name];
        if (count === undefined) continue;
        record[name] = (record[name] ?? 0) + count;
        total[name] = (total[name] ?? 0) + count;
      }
    }
    return total;
  }
}

/** Stats with nothing counted. */
export function emptyStats(): CachedStats {
  return { ...zeroCounters(), methods: {} };
}
