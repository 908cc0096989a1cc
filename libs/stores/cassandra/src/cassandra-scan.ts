import type { types } from 'cassandra-driver';
import { WailError } from '@wail/errors';
import {
  checkedScanLimit,
  conditionHolds,
  pageConditions,
  type ColumnInfo,
  type ConditionTypes,
  type PageCondition,
  type ScanCondition,
  type TableRef,
} from '@wail/store';
import { toCassandraParameter } from './cassandra-values';

/** Where the cursor's page state starts: a version tag, so a cursor of another format is refused. */
const CURSOR_TAG = 'c1.';
const MAX_CURSOR = 4096;
const CURSOR = /^c1\.[A-Za-z0-9_-]{1,4093}$/;

/** A scan page's limit, checked: 1..SCAN_PAGE_LIMIT, an integer. */
export const checkedLimit = (limit: number): number => checkedScanLimit(limit);

/** The driver's page state → a scan cursor (base64url of its bytes, tagged). */
export function cursorFromPageState(target: TableRef, raw: Buffer | undefined): string | undefined {
  if (raw === undefined || raw === null || raw.length === 0) return undefined;
  const cursor = `${CURSOR_TAG}${raw.toString('base64url')}`;
  if (cursor.length > MAX_CURSOR)
    throw new WailError(
      'DATABASE_REJECTED',
      `Cassandra's page state after this page of ${target.namespace}.${target.table} is longer than a scan cursor may be (${MAX_CURSOR} characters): its key is too large to resume a scan from`,
    );
  return cursor;
}

/** A cursor → the page state bytes to resume from; BAD_REQUEST when it cannot be one this adapter handed out. */
export function pageStateFromCursor(cursor: string): Buffer {
  if (typeof cursor !== 'string' || !CURSOR.test(cursor))
    throw new WailError('BAD_REQUEST', 'the scan cursor is not one Cassandra handed out');
  const bytes = Buffer.from(cursor.slice(CURSOR_TAG.length), 'base64url');
  if (bytes.length === 0 || bytes.toString('base64url') !== cursor.slice(CURSOR_TAG.length))
    throw new WailError('BAD_REQUEST', 'the scan cursor is not one Cassandra handed out');
  return bytes;
}

/** Types a condition may order (`<`, `<=`, `>`, `>=`); the others compare for equality only. */
const ORDERED = new Set([
  'ascii',
  'text',
  'varchar',
  'bigint',
  'varint',
  'counter',
  'int',
  'smallint',
  'tinyint',
  'float',
  'double',
  'decimal',
  'timestamp',
  'date',
  'time',
]);
const EQUALITY_ONLY = new Set(['boolean', 'blob', 'uuid', 'timeuuid', 'inet']);

/** A condition checked against the table, its value converted as a mutation's would be. */
/** A condition checked against the table, its value converted as a mutation's would be. */
export type CqlCondition = PageCondition<ColumnInfo, unknown>;

/**
 * A scan's `where`, checked before anything is read: known columns, a value
 * of the column's type (the mutation conversion), an order only for types
 * that have one, null with `=`/`!=` only.
 */
export function checkedConditions(
  _target: TableRef,
  columns: ReadonlyMap<string, ColumnInfo>,
  where: readonly ScanCondition[] | undefined,
): CqlCondition[] {
  return pageConditions(where, columns, TYPES);
}

const TYPES: ConditionTypes<ColumnInfo, unknown> = {
  store: 'Cassandra',
  ordered: ORDERED,
  equalityOnly: EQUALITY_ONLY,
  convert: toCassandraParameter,
};

const sign = (n: number | bigint) => (n > 0 ? 1 : n < 0 ? -1 : 0);

/** Two non-null driver values of one column type, in CQL's order (equality only for unordered types). */
function compare(type: string, a: unknown, b: unknown): number | undefined {
  switch (type) {
    case 'ascii':
    case 'text':
    case 'varchar':
      // CQL orders text by its UTF-8 bytes (code points), not UTF-16 units.
      return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
    case 'bigint':
    case 'varint':
    case 'counter':
    case 'int':
    case 'smallint':
    case 'tinyint':
      return sign(BigInt(String(a)) - BigInt(String(b)));
    case 'float':
    case 'double':
      return Number.isNaN(a) || Number.isNaN(b) ? undefined : sign(Number(a) - Number(b));
    case 'decimal':
      return sign((a as types.BigDecimal).compare(b as types.BigDecimal));
    case 'timestamp':
      return sign((a as Date).getTime() - (b as Date).getTime());
    case 'date': {
      const [x, y] = [a as types.LocalDate, b as types.LocalDate];
      return sign(x.year - y.year || x.month - y.month || x.day - y.day);
    }
    case 'time':
      return sign(
        BigInt((a as types.LocalTime).getTotalNanoseconds().toString()) -
          BigInt((b as types.LocalTime).getTotalNanoseconds().toString()),
      );
    case 'blob':
      return Buffer.from(a as Buffer).equals(Buffer.from(b as Buffer)) ? 0 : undefined;
    case 'boolean':
      return a === b ? 0 : undefined;
    default:
      // uuid, timeuuid, inet: their text form is canonical.
      return String(a) === String(b) ? 0 : undefined;
  }
}

/**
 * Whether a row's value holds the condition. A null value holds `= null`
 * and `!= x` (null differs from any value: the SQL stores scan alike, so a
 * backfill filtered with `!=` misses no row), never an order.
 */
export function holds(condition: CqlCondition, value: unknown): boolean {
  return conditionHolds(condition, value as never, (a, b) => compare(condition.column.type, a, b));
}
