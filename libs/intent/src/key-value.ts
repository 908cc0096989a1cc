/**
 * Typed scalar values of key columns, as they travel in intents and Kafka
 * keys. JSON gives us strings, numbers and booleans; integers are kept as
 * 64-bit (`bigint`) so a key like 9007199254740993 survives the trip.
 */
export type KeyScalar = string | bigint | number | boolean | Uint8Array | null;

export interface KeyColumn {
  name: string;
  value: KeyScalar;
}

/**
 * Converts a JSON key value: integers become bigint, other numbers stay
 * doubles. An integer beyond ±2^53 has already lost digits in JSON parsing,
 * so it is refused: big integer keys travel as strings.
 */
export function keyScalarFromJson(value: unknown): KeyScalar {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('key values must be finite numbers');
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      throw new RangeError('integers beyond ±2^53 lose digits in JSON; give them as strings');
    }
    return Number.isInteger(value) ? BigInt(value) : value;
  }
  throw new TypeError(
    `a key value must be a string, a number, a boolean or null, not ${typeof value}`,
  );
}

/** The JSON form of a key value: bigints within ±2^53 become numbers, larger ones strings. */
export function keyScalarToJson(value: KeyScalar): string | number | boolean | null {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}
