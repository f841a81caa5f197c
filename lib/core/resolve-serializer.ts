import { InvalidOptionsError } from './errors.js';
import { describeValue } from './describe-value.js';
import { jsonSerializer } from '../serializers/json-serializer.js';
import { richSerializer } from '../serializers/rich-serializer.js';
import type { Serializer, SerializerOption } from '../serializers/serializer.js';

const BUILT_IN: Readonly<Record<string, Serializer>> = {
  json: jsonSerializer,
  rich: richSerializer,
  pickle: richSerializer,
};

/** Returns the serializer an option names (default `'json'`), or throws {@link InvalidOptionsError}. */
export function resolveSerializer(option: SerializerOption | undefined): Serializer {
  if (option === undefined) return jsonSerializer;
  if (typeof option === 'string') {
    const found = BUILT_IN[option];
    if (found) return found;
  } else if (
    option !== null &&
    typeof option === 'object' &&
    typeof option.serialize === 'function' &&
    typeof option.deserialize === 'function'
  ) {
    return option;
  }
  throw new InvalidOptionsError(
    `serializer must be ${Object.keys(BUILT_IN)
      .map((name) => `'${name}'`)
      .join(
        ', ',
      )} or an object with serialize and deserialize functions; got ${describeValue(option)}`,
  );
}

/** The display name of a serializer, `'custom'` when it has none. */
export function serializerName(serializer: Serializer): string {
  return serializer.name ?? 'custom';
}
