import { WailError } from '@wail/errors';
import type { KeyColumn, KeyScalar } from '@wail/intent';
import { canonicalKeyColumns, sameKeyValue } from './keys';
import {
  SCAN_OPERATORS,
  SCAN_PAGE_LIMIT,
  type ColumnInfo,
  type ScanCondition,
  type ScanOperator,
  type ScanRequest,
  type ScannedRow,
  type TableRef,
} from './store';
import { IDENTIFIER } from './values';

type Columns = ReadonlyMap<string, ColumnInfo>;

/** The longest cursor a scan hands out (see `ScanPage.cursor`). */
export const SCAN_CURSOR_MAX_LENGTH = 4096;

const CURSOR_PREFIX = 'k1.';
const CURSOR = /^k1\.[A-Za-z0-9_-]+$/;

/** One key value in a cursor: integers as decimal strings, bytes as base64. */
type CursorValue = ['i', string] | ['s', string] | ['b', string] | ['t', boolean];

function cursorValue(value: KeyScalar): CursorValue {
  if (typeof value === 'bigint') return ['i', value.toString()];
  if (typeof value === 'string') return ['s', value];
  if (typeof value === 'boolean') return ['t', value];
  if (value instanceof Uint8Array) return ['b', Buffer.from(value).toString('base64')];
  // Canonical keys hold no numbers or nulls (`canonicalKeyColumns`).
  throw new TypeError(`a canonical key value cannot be ${String(value)}`);
}

/**
 * The cursor resuming right after a row: `k1.` and the base64url of the JSON
 * of its canonical key's values, in key column order. Undefined when it would
 * be longer than SCAN_CURSOR_MAX_LENGTH (a very long text or binary key).
 */
export function encodeScanCursor(key: readonly KeyColumn[]): string | undefined {
  const json = JSON.stringify(key.map(({ value }) => cursorValue(value)));
  const cursor = CURSOR_PREFIX + Buffer.from(json, 'utf8').toString('base64url');
  return cursor.length <= SCAN_CURSOR_MAX_LENGTH ? cursor : undefined;
}

function badCursor(problem: string): WailError {
  return new WailError(
    'BAD_REQUEST',
    `the scan cursor is not one this table's scan handed out: ${problem}`,
  );
}

/**
 * The canonical key a cursor names, checked against the table's key columns
 * and their types: anything but a cursor `encodeScanCursor` made of a key of
 * this table is BAD_REQUEST.
 */
export function decodeScanCursor(target: TableRef, columns: Columns, cursor: unknown): KeyColumn[] {
  if (typeof cursor !== 'string' || cursor.length > SCAN_CURSOR_MAX_LENGTH || !CURSOR.test(cursor))
    throw badCursor('not a cursor');
  const bytes = Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url');
  const json = bytes.toString('utf8');
  // Only the one encoding of a key is accepted (no padding variants, valid UTF-8).
  if (CURSOR_PREFIX + Buffer.from(json, 'utf8').toString('base64url') !== cursor)
    throw badCursor('not a cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw badCursor('not a cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== target.keyColumns.length)
    throw badCursor(`not a key of ${target.keyColumns.length} column(s)`);
  const key: KeyColumn[] = parsed.map((entry: unknown, i) => {
    const name = target.keyColumns[i]!;
    if (!Array.isArray(entry) || entry.length !== 2) throw badCursor(`no value of "${name}"`);
    const [tag, raw] = entry as [unknown, unknown];
    let value: KeyScalar;
    if (tag === 'i' && typeof raw === 'string' && /^(0|-?[1-9]\d{0,19})$/.test(raw))
      value = BigInt(raw);
    else if (tag === 's' && typeof raw === 'string') value = raw;
    else if (tag === 't' && typeof raw === 'boolean') value = raw;
    else if (tag === 'b' && typeof raw === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(raw)) {
      const decoded = Buffer.from(raw, 'base64');
      if (decoded.toString('base64') !== raw) throw badCursor(`a bad value of "${name}"`);
      value = new Uint8Array(decoded);
    } else throw badCursor(`a bad value of "${name}"`);
    return { name, value };
  });
  let canonical: KeyColumn[];
  try {
    canonical = canonicalKeyColumns(target, columns, key);
  } catch (error) {
    throw badCursor(error instanceof Error ? error.message : String(error));
  }
  // A value of another kind than its column's (a number for a text column)
  // converts, but to another value: not a key this table's scan hands out.
  canonical.forEach(({ name, value }, i) => {
    if (!sameKeyValue(value, key[i]!.value)) throw badCursor(`a bad value of "${name}"`);
  });
  return canonical;
}

/**
 * Checks what of a scan request is the same for every store: the limit
 * (1..SCAN_PAGE_LIMIT), each condition's operator and column (one of the
 * table's, named in the error when not), `<`… with null. The value's own
 * conversion is the adapter's, as for a mutation.
 */
export function checkScanRequest(request: ScanRequest, columns: Columns): ScanCondition[] {
  checkedScanLimit(request.limit);
  return checkedScanConditions(request.where, columns);
}

/** A scan page's limit: an integer 1..SCAN_PAGE_LIMIT, else BAD_REQUEST. */
export function checkedScanLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > SCAN_PAGE_LIMIT)
    throw new WailError(
      'BAD_REQUEST',
      `a scan page's limit must be an integer from 1 to ${SCAN_PAGE_LIMIT}, not ${String(limit).slice(0, 40)}`,
    );
  return limit;
}

/** Each condition's column (one of the table's), operator and value kind, checked (BAD_REQUEST). */
export function checkedScanConditions(
  where: readonly ScanCondition[] | undefined,
  columns: Columns,
): ScanCondition[] {
  where = where ?? [];
  if (!Array.isArray(where))
    throw new WailError('BAD_REQUEST', 'a scan filter must be a list of conditions');
  return where.map((condition: ScanCondition) => {
    const { column, op, value } = condition ?? {};
    // Like a mutation's columns: a plain identifier (quoted by the adapter) of the table's.
    if (typeof column !== 'string' || !IDENTIFIER.test(column) || !columns.has(column))
      throw new WailError(
        'BAD_REQUEST',
        `scan filter: column "${String(column).slice(0, 64)}" does not exist`,
        { details: { column: String(column).slice(0, 64) } },
      );
    if (!(SCAN_OPERATORS as readonly unknown[]).includes(op))
      throw new WailError(
        'BAD_REQUEST',
        `scan filter on "${column}": the operator must be one of ${SCAN_OPERATORS.join(' ')}`,
        { details: { column } },
      );
    if (value === undefined || (value === null && op !== '=' && op !== '!='))
      throw new WailError(
        'BAD_REQUEST',
        `scan filter on "${column}": ${op} needs a value (only = and != may compare with null)`,
        { details: { column } },
      );
    if (value !== null && typeof value === 'object')
      throw new WailError(
        'BAD_REQUEST',
        `scan filter on "${column}": the value must be a string, number or boolean`,
        { details: { column } },
      );
    return { column, op, value };
  });
}

/**
 * A scanned row's key in canonical form. A row whose key WAIL cannot name
 * (written around it: a trailing space its collation ignores, an integer
 * beyond 64 bits) stops the scan with DATABASE_REJECTED, not the client's
 * BAD_REQUEST: no intent could name that row.
 */
export function scannedKey(
  target: TableRef,
  columns: Columns,
  key: readonly KeyColumn[],
): KeyColumn[] {
  try {
    return canonicalKeyColumns(target, columns, key);
  } catch (error) {
    throw new WailError(
      'DATABASE_REJECTED',
      `a row of ${target.table} has a key WAIL cannot name, so the scan cannot go past it: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * The page of rows a scan read `limit + 1` rows for (the extra one only says
 * whether more follow) and its cursor: after the last row whose cursor fits
 * SCAN_CURSOR_MAX_LENGTH (rows after it are left to the next page). A page
 * none of whose rows has a cursor that fits cannot be resumed from: an error.
 */
export function scanPage(
  target: TableRef,
  rows: ScannedRow[],
  limit: number,
): { rows: ScannedRow[]; cursor: string | undefined } {
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  if (!more) return { rows: page, cursor: undefined };
  for (let end = page.length; end > 0; end--) {
    const cursor = encodeScanCursor(page[end - 1]!.key);
    if (cursor !== undefined) return { rows: page.slice(0, end), cursor };
  }
  throw new WailError(
    'DATABASE_REJECTED',
    `a scan of ${target.table} cannot go on: every key of this page is too long for a ${SCAN_CURSOR_MAX_LENGTH}-character cursor; scan with a larger limit`,
  );
}

/**
 * How a store that filters a page itself (Cassandra, Redis: no server-side
 * filter without a full scan) compares its columns: the types with an order,
 * the types with equality only, and the mutation's conversion of a value.
 */
export interface ConditionTypes<C extends ColumnInfo, V> {
  /** The store's name, in errors. */
  store: string;
  ordered: ReadonlySet<string>;
  equalityOnly: ReadonlySet<string>;
  /** The value as a row's value of the column reads back (the mutation's conversion; BAD_REQUEST when it cannot be one). */
  convert(column: C, value: Exclude<ScanCondition['value'], null>): V;
}

/** A condition checked against the table, its value converted; null for IS NULL / IS NOT NULL. */
export interface PageCondition<C extends ColumnInfo, V> {
  column: C;
  op: ScanOperator;
  value: V | null;
}

/**
 * A scan's `where` for a store that evaluates it on each page, checked before
 * anything is read: known columns, an order only for the types that have one,
 * a value of the column's type.
 */
export function pageConditions<C extends ColumnInfo, V>(
  where: readonly ScanCondition[] | undefined,
  columns: ReadonlyMap<string, C>,
  types: ConditionTypes<C, V>,
): PageCondition<C, V>[] {
  return checkedScanConditions(where, columns).map(({ column: name, op, value }) => {
    const column = columns.get(name)!;
    if (value === null) return { column, op, value: null };
    if (!types.ordered.has(column.type) && !types.equalityOnly.has(column.type))
      throw new WailError(
        'BAD_REQUEST',
        `condition on "${name}": a scan cannot compare ${types.store} ${column.type} values`,
        { details: { column: name } },
      );
    if (op !== '=' && op !== '!=' && !types.ordered.has(column.type))
      throw new WailError(
        'BAD_REQUEST',
        `condition on "${name}": ${column.type} values have no order; use = or !=`,
        { details: { column: name } },
      );
    return { column, op, value: types.convert(column, value) };
  });
}

/**
 * Whether a row's value holds a page condition, `compare` giving the order of
 * two non-null values (undefined: they do not compare). A null value holds
 * `= null` and `!= x` (null differs from any value, as the SQL stores' scans
 * say: a filtered backfill misses no row), never an order.
 */
export function conditionHolds<V>(
  condition: { op: ScanOperator; value: V | null },
  value: V | null | undefined,
  compare: (a: V, b: V) => number | undefined,
): boolean {
  const isNull = value === null || value === undefined;
  if (condition.value === null) return condition.op === '=' ? isNull : !isNull;
  if (isNull) return condition.op === '!=';
  const order = compare(value, condition.value);
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
