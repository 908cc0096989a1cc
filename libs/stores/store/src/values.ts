import { WailError } from '@wail/errors';
import { keyScalarFromJson, type KeyColumn } from '@wail/intent';
import { canonicalKeyColumns, sameKeyValue } from './keys';
import type { ColumnInfo, JsonValue, StoredValue, TableRef } from './store';

/** A value of the wrong type for its column: the client's mistake, reported before anything is logged. */
export function badValue(column: string, expected: string, value: unknown): WailError {
  return new WailError(
    'BAD_REQUEST',
    `column "${column}": expected ${expected}, got ${describeValue(value)}`,
    { details: { column } },
  );
}

/** A short, safe description of a client's value: never serializes a (possibly huge or deep) structure. */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return value.toString();
  return String(value);
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

export function toBigInt(column: string, value: JsonValue | bigint): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value);
  throw badValue(column, 'an integer', value);
}

export function toSmallInt(column: string, value: JsonValue | bigint): number {
  const big = toBigInt(column, value);
  if (big < -(2n ** 31n) || big >= 2n ** 31n)
    throw badValue(column, 'a 32-bit integer', big.toString());
  return Number(big);
}

export function toDecimalString(column: string, value: JsonValue): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && DECIMAL.test(value)) return value;
  throw badValue(column, 'a decimal (number or numeric string)', value);
}

export function toFloat(column: string, value: JsonValue): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw badValue(column, 'a number', value);
}

export function toText(column: string, value: JsonValue): string {
  if (typeof value === 'string') return value;
  throw badValue(column, 'a string', value);
}

export function toBoolean(column: string, value: JsonValue): boolean {
  if (typeof value === 'boolean') return value;
  throw badValue(column, 'true or false', value);
}

export function toBytes(column: string, value: JsonValue): Buffer {
  if (typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0) {
    return Buffer.from(value, 'base64');
  }
  throw badValue(column, 'base64-encoded bytes', value);
}

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Microseconds since the epoch from an ISO 8601 timestamp (UTC unless an offset is given). */
export function isoToMicros(column: string, value: JsonValue): bigint {
  if (typeof value !== 'string') throw badValue(column, 'an ISO 8601 timestamp', value);
  const match = ISO_TIMESTAMP.exec(value);
  if (!match) throw badValue(column, 'an ISO 8601 timestamp', value);
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) throw badValue(column, 'an ISO 8601 timestamp', value);
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  const micros = BigInt(fraction.padEnd(6, '0').slice(0, 6));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros;
}

/** `2024-05-01T12:00:00.123456Z` */
export function microsToIso(micros: bigint): string {
  const ms = micros / 1000n;
  const rest = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  const base = new Date(Number(ms)).toISOString().slice(0, 19);
  return `${base}.${rest.toString().padStart(6, '0')}Z`;
}

export function toDateString(column: string, value: JsonValue): string {
  if (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
  )
    return value;
  throw badValue(column, 'a date YYYY-MM-DD', value);
}

/** The JSON form of a stored value for HTTP answers: big integers as strings, bytes as base64. */
export function storedToJson(value: StoredValue): JsonValue {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  return value;
}

/** Identifiers come from routes (validated there) or from requests (validated here); either way they are quoted. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function assertColumnName(name: string): void {
  if (!IDENTIFIER.test(name)) {
    throw new WailError(
      'BAD_REQUEST',
      `"${name.slice(0, 80)}" is not a column name (letters, digits and _, ≤ 64)`,
    );
  }
}

/**
 * The columns an upsert sets, checked against the physical table, in the
 * table's own column order (so one set of columns is one statement shape,
 * whatever order the client wrote them in): names must be identifiers and
 * exist, and `wail_ts` belongs to WAIL. A key column in `values` must name the
 * same key as `key` (canonical) and is not set again. `onUnknown` lets the
 * adapter drop a stale column cache before the error goes back.
 */
export function checkedColumns(
  target: TableRef,
  columns: ReadonlyMap<string, ColumnInfo>,
  values: Readonly<Record<string, JsonValue>>,
  key: readonly KeyColumn[],
  onUnknown: () => void,
): string[] {
  const given = new Set<string>();
  for (const name of Object.keys(values)) {
    assertColumnName(name);
    if (name === 'wail_ts')
      throw new WailError('BAD_REQUEST', 'wail_ts is set by WAIL, not by clients');
    if (!columns.has(name)) {
      onUnknown();
      throw new WailError('BAD_REQUEST', `column "${name}" does not exist in ${target.table}`, {
        details: { column: name },
      });
    }
    const keyColumn = key.find((column) => column.name === name);
    if (keyColumn) {
      let same = false;
      try {
        const [value] = canonicalKeyColumns(target, columns, [
          { name, value: keyScalarFromJson(values[name]) },
        ]);
        same = sameKeyValue(value!.value, keyColumn.value);
      } catch {
        same = false;
      }
      if (!same)
        throw new WailError(
          'BAD_REQUEST',
          `"values.${name}" differs from the key; a key cannot be changed by an upsert`,
          { details: { column: name } },
        );
      continue;
    }
    given.add(name);
  }
  return [...columns.keys()].filter((name) => given.has(name));
}
