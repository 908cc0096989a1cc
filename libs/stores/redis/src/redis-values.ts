import { WailError } from '@wail/errors';
import type { KeyColumn, KeyScalar } from '@wail/intent';
import {
  badValue,
  isoToMicros,
  microsToIso,
  toBigInt,
  toBoolean,
  toBytes,
  toDateString,
  toDecimalString,
  toFloat,
  toSmallInt,
  toText,
  type JsonValue,
  type StoredValue,
} from '@wail/store';
import type { RedisColumnInfo } from './redis-columns';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const INTEGER_TEXT = /^-?\d+$/;
const MIN_LONG = -(2n ** 63n);
const MAX_LONG = 2n ** 63n - 1n;

/** A decimal within its precision and scale, written with exactly `scale` fraction digits (`12.5` → `12.50`). */
function decimalWithin(column: RedisColumnInfo, value: JsonValue): string {
  const text = toDecimalString(column.name, value);
  const match = DECIMAL.exec(text);
  if (!match) throw badValue(column.name, 'a decimal (number or numeric string)', value);
  const [, sign, whole, fraction = ''] = match;
  const scale = column.scale ?? 0;
  const precision = column.precision ?? 38;
  const kept = fraction.replace(/0+$/, '');
  const digits = whole!.replace(/^0+(?=\d)/, '');
  if (kept.length > scale || (digits === '0' ? 0 : digits.length) > precision - scale)
    throw badValue(column.name, `a decimal of precision ${precision} and scale ${scale}`, value);
  const zero = digits === '0' && kept === '';
  return `${sign && !zero ? '-' : ''}${digits}${scale > 0 ? `.${kept.padEnd(scale, '0')}` : ''}`;
}

/**
 * A client's JSON value → the text of the hash field that holds it: the
 * value's JSON, with integers as exact JSON numbers (`9007199254740993`),
 * bytes as a base64 string, uuids in lower case, timestamps as ISO 8601 UTC
 * strings with microseconds (milliseconds for timestamp-millis, the rest
 * dropped as Avro would), decimals with their scale's digits. Refusals are
 * the client's (BAD_REQUEST) and name the column.
 */
export function toRedisField(column: RedisColumnInfo, value: JsonValue): string {
  const { name } = column;
  if (value === null) {
    if (!column.nullable) throw badValue(name, 'a value (the column is not nullable)', value);
    return 'null';
  }
  switch (column.type) {
    case 'boolean':
      return JSON.stringify(toBoolean(name, value));
    case 'int':
      return String(toSmallInt(name, typeof value === 'boolean' ? Number(value) : value));
    case 'bigint': {
      const integer = toBigInt(name, value);
      if (integer < MIN_LONG || integer > MAX_LONG)
        throw badValue(name, 'a 64-bit integer', integer.toString());
      return integer.toString();
    }
    case 'float':
    case 'double':
      return JSON.stringify(toFloat(name, value));
    case 'text':
      return JSON.stringify(toText(name, value));
    case 'uuid': {
      if (typeof value !== 'string' || !UUID.test(value)) throw badValue(name, 'a uuid', value);
      return JSON.stringify(value.toLowerCase());
    }
    case 'date':
      return JSON.stringify(toDateString(name, value));
    case 'timestamp': {
      let micros = isoToMicros(name, value);
      if (column.fractionalDigits === 3) micros -= ((micros % 1000n) + 1000n) % 1000n;
      return JSON.stringify(microsToIso(micros));
    }
    case 'decimal':
      return JSON.stringify(decimalWithin(column, value));
    case 'blob':
      return JSON.stringify(toBytes(name, value).toString('base64'));
    default:
      throw badValue(name, `a type WAIL can write (${column.type} is not supported)`, value);
  }
}

/** A canonical key value → the text of its hash field (the same form as `toRedisField`). */
export function keyToRedisField(value: KeyScalar): string {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  return JSON.stringify(value);
}

/**
 * A hash field's text → the store-neutral value of its column. A field that
 * does not hold its column's type (the model changed, or someone else wrote
 * it) comes back as its parsed JSON, or its text, for the row mapper to judge.
 */
export function fromRedisField(column: RedisColumnInfo | undefined, text: string): StoredValue {
  if (text === 'null') return null;
  const type = column?.type;
  if ((type === 'bigint' || type === 'int') && INTEGER_TEXT.test(text)) {
    const integer = BigInt(text);
    if (type === 'bigint') return integer;
    if (integer >= -(2n ** 31n) && integer < 2n ** 31n) return Number(integer);
    return integer;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  if (type === 'blob' && typeof parsed === 'string') return Buffer.from(parsed, 'base64');
  if (
    parsed === null ||
    typeof parsed === 'string' ||
    typeof parsed === 'number' ||
    typeof parsed === 'boolean'
  )
    return parsed;
  return text;
}

/** Whether a key component escapes a character: the separator, the escape and control characters. */
const escaped = (char: string) => {
  const code = char.charCodeAt(0);
  return char === '%' || char === ':' || code < 0x20 || code === 0x7f;
};
const LONE_SURROGATE = /\p{Cs}/u;

function keyComponent(column: string, value: KeyScalar): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'string') {
    // Redis keys are bytes: a lone surrogate would become U+FFFD, two keys one.
    if (LONE_SURROGATE.test(value))
      throw new WailError('BAD_REQUEST', `key column "${column}": not valid Unicode text`, {
        details: { column },
      });
    return [...value]
      .map((char) =>
        escaped(char) ? `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : char,
      )
      .join('');
  }
  throw new WailError('BAD_REQUEST', `key column "${column}" cannot be null`, {
    details: { column },
  });
}

/**
 * The Redis key of a row: `<keyPrefix>:<c1>:<c2>…`, one component per key
 * column in route order, from the canonical key (`canonicalKeyColumns`):
 *
 *   integer   decimal, `-` for negatives           42, -7
 *   boolean   true | false
 *   binary    lower-case hex                       00ff10
 *   text, uuid, date, timestamp
 *             the text, with `%`, `:` and control characters as %XX
 *                                                  alice%3Abob,
 *                                                  2024-05-01T12%3A00%3A00.000000Z
 *
 * Injective for one route: the number of components and each column's type
 * are fixed, no component contains `:`, and each encoding is injective (the
 * %XX escape includes `%` itself). Two routes must not share a prefix where
 * one is the other's prefix plus `:…`.
 */
export function rowKey(keyPrefix: string, key: readonly KeyColumn[]): string {
  return [keyPrefix, ...key.map(({ name, value }) => keyComponent(name, value))].join(':');
}
