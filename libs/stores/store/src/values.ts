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
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const TIMESTAMP_RULE =
  'an ISO 8601 timestamp of years 0000–9999 (a date that exists, hours 00–23, minutes and seconds 00–59, offset within ±23:59)';
const DATE_RULE = 'a date YYYY-MM-DD that exists (month 01–12, day within its month)';

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, or undefined when the
 * date does not exist (month 13, 31 February): Date rolls such a date over,
 * so it is refused unless it comes back as written. `setUTCFullYear`, not
 * `Date.UTC`, which reads years 0–99 as 1900–1999.
 */
function epochDay(year: number, month: number, day: number): number | undefined {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  const exists =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exists ? date.getTime() / 86_400_000 : undefined;
}

/** The instants with a four-digit year, so that `microsToIso` gives back a form `isoToMicros` reads. */
const MIN_MICROS = BigInt(epochDay(0, 1, 1)!) * MICROS_PER_DAY;
const MAX_MICROS = BigInt(epochDay(9999, 12, 31)! + 1) * MICROS_PER_DAY - 1n;

/**
 * Microseconds since the epoch from an ISO 8601 timestamp (UTC unless an
 * offset is given; fraction digits beyond six are dropped). A field out of
 * range is refused rather than rolled over, and so is an instant outside
 * years 0000–9999 in UTC: `microsToIso(isoToMicros(x))` is a fixed point.
 */
export function isoToMicros(column: string, value: JsonValue): bigint {
  if (typeof value !== 'string') throw badValue(column, TIMESTAMP_RULE, value);
  const match = ISO_TIMESTAMP.exec(value);
  if (!match) throw badValue(column, TIMESTAMP_RULE, value);
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = match;
  const day = epochDay(Number(y), Number(mo), Number(d));
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (day === undefined || hour > 23 || minute > 59 || second > 59)
    throw badValue(column, TIMESTAMP_RULE, value);
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const [offsetHour, offsetMinute] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
    if (offsetHour > 23 || offsetMinute > 59) throw badValue(column, TIMESTAMP_RULE, value);
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  const seconds = hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  const micros =
    BigInt(day) * MICROS_PER_DAY +
    BigInt(seconds) * MICROS_PER_SECOND +
    BigInt(fraction.padEnd(6, '0').slice(0, 6));
  if (micros < MIN_MICROS || micros > MAX_MICROS) throw badValue(column, TIMESTAMP_RULE, value);
  return micros;
}

/** `2024-05-01T12:00:00.123456Z`; before 1970 too (the fraction counts forward from the second below). */
export function microsToIso(micros: bigint): string {
  const fraction = ((micros % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND;
  const seconds = (micros - fraction) / MICROS_PER_SECOND;
  const base = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return `${base}.${fraction.toString().padStart(6, '0')}Z`;
}

/** A `YYYY-MM-DD` date that exists, as given (the drivers would roll 2024-02-31 over to March). */
export function toDateString(column: string, value: JsonValue): string {
  const match = typeof value === 'string' ? ISO_DATE.exec(value) : null;
  if (match && epochDay(Number(match[1]), Number(match[2]), Number(match[3])) !== undefined)
    return value as string;
  throw badValue(column, DATE_RULE, value);
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
