/** What a serializer turns a value into: text, or bytes when the serializer is binary. */
export type SerializedValue = string | Uint8Array;

/**
 * Turns values into stored text or bytes and back. Implementations must never execute code
 * while decoding. Throwing from `serialize` rejects the write (nothing is stored); throwing
 * from `deserialize` surfaces as a `DeserializationError` naming the key.
 */
export interface Serializer {
  /** Name shown in stats and errors ("json", "rich", or a custom one). */
  readonly name?: string;
  /** True when `serialize` returns bytes; backends then hand `deserialize` a Buffer. */
  readonly binary?: boolean;
  /** Encodes a value; throw when it cannot be represented. */
  serialize(value: unknown): SerializedValue;
  /** Decodes what `serialize` produced (a string, or a Buffer for binary serializers). */
  deserialize(raw: string | Buffer): unknown;
}

/** The built-in serializers by name; `'pickle'` is an alias of `'rich'` for configurations carried over from the Python service. */
export type SerializerName = 'json' | 'rich' | 'pickle';

/** A serializer by name or a custom `{ serialize, deserialize }` object. */
export type SerializerOption = SerializerName | Serializer;
