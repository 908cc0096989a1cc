import type { types } from 'cassandra-driver';
import { WailError } from '@wail/errors';
import {
  SCAN_OPERATORS,
  SCAN_PAGE_LIMIT,
  assertColumnName,
  type ColumnInfo,
  type ScanCondition,
  type ScanOperator,
  type TableRef,
} from '@wail/store';
import { toCassandraParameter } from './cassandra-values';

/** Where the cursor's page state starts: a version tag, so a cursor of another format is refused. */
const CURSOR_TAG = 'c1.';
const MAX_CURSOR = 4096;
const CURSOR = /^c1\.[A-Za-z0-9_-]{1,4093}$/;

/** A scan page's limit, checked: 1..SCAN_PAGE_LIMIT, an integer. */
export function checkedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SCAN_PAGE_LIMIT)
    throw new WailError(
      'BAD_REQUEST',
      `a scan page's limit must be an integer 1..${SCAN_PAGE_LIMIT}`,
    );
  return limit;
}

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
export interface CqlCondition {
  column: ColumnInfo;
  op: ScanOperator;
  /** The driver parameter of the value, or null for IS NULL / IS NOT NULL. */
  value: unknown;
}

/**
 * A scan's `where`, checked before anything is read: known columns, a value
 * of the column's type (the mutation conversion), an order only for types
 * that have one, null with `=`/`!=` only.
 */
export function checkedConditions(
  target: TableRef,
  columns: ReadonlyMap<string, ColumnInfo>,
  where: readonly ScanCondition[] | undefined,
): CqlCondition[] {
  return (where ?? []).map(({ column: name, op, value }) => {
    if (typeof name !== 'string') throw new WailError('BAD_REQUEST', 'a condition needs a column');
    assertColumnName(name);
    const column = columns.get(name);
    if (!column)
      throw new WailError('BAD_REQUEST', `column "${name}" does not exist in ${target.table}`, {
        details: { column: name },
      });
    if (!(SCAN_OPERATORS as readonly string[]).includes(op))
      throw new WailError('BAD_REQUEST', `condition on "${name}": unknown operator`, {
        details: { column: name },
      });
    if (value === null || value === undefined) {
      if (op !== '=' && op !== '!=')
        throw new WailError(
          'BAD_REQUEST',
          `condition on "${name}": null compares with = or != only (IS NULL, IS NOT NULL)`,
          { details: { column: name } },
        );
      return { column, op, value: null };
    }
    if (!ORDERED.has(column.type) && !EQUALITY_ONLY.has(column.type))
      throw new WailError(
        'BAD_REQUEST',
        `condition on "${name}": a scan cannot compare Cassandra ${column.type} values`,
        { details: { column: name } },
      );
    if (op !== '=' && op !== '!=' && !ORDERED.has(column.type))
      throw new WailError(
        'BAD_REQUEST',
        `condition on "${name}": ${column.type} values have no order; use = or !=`,
        { details: { column: name } },
      );
    return { column, op, value: toCassandraParameter(column, value) };
  });
}

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
  const isNull = value === null || value === undefined;
  if (condition.value === null) return condition.op === '=' ? isNull : !isNull;
  if (isNull) return condition.op === '!=';
  const order = compare(condition.column.type, value, condition.value);
  switch (condition.op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order !== undefined && order < 0;
    case '<=':
      return order !== undefined && order <= 0;
    case '>':
      return order !== undefined && order > 0;
    case '>=':
      return order !== undefined && order >= 0;
  }
}
