import type { KvStore } from '../core/kv-store.js';
import { jsonLossProblem } from './lossless-json.js';

/** Says why a store could not keep a value exactly, or `undefined` when it can. */
export type ValueCheck = (value: unknown) => string | undefined;

/**
 * A check for values about to be written into `store`. The json serializer silently turns a
 * Date into a string and drops `undefined` properties, so values it cannot hold exactly are
 * refused instead; the rich serializer holds whatever a store or a dump yields; custom
 * serializers are trusted to throw for what they cannot hold. Reads the serializer name from
 * `getStats()`, once.
 */
export async function valueCheckFor(store: KvStore): Promise<ValueCheck> {
  const { serializer } = await store.getStats();
  if (serializer !== 'json') return () => undefined;
  return (value) => {
    const problem = jsonLossProblem(value);
    return problem === undefined
      ? undefined
      : `the target store's json serializer cannot hold ${problem} exactly; use a store with the rich serializer`;
  };
}
