import { Inject } from '@nestjs/common';
import { getKvStoreToken } from './kv-store.tokens.js';

/**
 * Injects a store registered with `KvStoreModule.forRoot({ name })`:
 * `constructor(@InjectKvStore('sessions') private readonly sessions: KvStore)`.
 * Without a name it injects the default store, which a plain `KvStore` parameter type also does.
 */
export function InjectKvStore(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getKvStoreToken(name));
}
