import type { TracedOperation } from '../telemetry/instrument-store.js';
import type { KvStore } from './kv-store.js';

/** The names of the `KvStore` contract's public methods. */
type ContractMethod = {
  [K in keyof KvStore & string]: KvStore[K] extends (...args: never[]) => unknown ? K : never;
}[keyof KvStore & string];

/** Contract methods telemetry does not trace; must stay empty. */
type UntracedMethod = Exclude<ContractMethod, TracedOperation>;

/**
 * Compile-time proof that telemetry traces every method of the contract: a method added to
 * `KvStore` and not to telemetry's operation list makes this line fail to compile, naming it.
 */
export const EVERY_CONTRACT_METHOD_TRACED: [UntracedMethod] extends [never]
  ? true
  : UntracedMethod = true;
