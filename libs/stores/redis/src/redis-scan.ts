import { createHash } from 'node:crypto';
import { WailError } from '@wail/errors';
import type { KeyColumn, KeyScalar } from '@wail/intent';
import {
  SCAN_PAGE_LIMIT,
  canonicalKeyColumns,
  checkedScanLimit,
  conditionHolds,
  isoToMicros,
  pageConditions,
  type ConditionTypes,
  type PageCondition,
  type ScanCondition,
  type StoredValue,
  type TableRef,
} from '@wail/store';
import type { RedisColumnInfo } from './redis-columns';
import { fromRedisField, rowKey, toRedisField } from './redis-values';

type Columns = ReadonlyMap<string, RedisColumnInfo>;

/** A scan page's limit, checked: 1..SCAN_PAGE_LIMIT, an integer. */
export const checkedLimit = (limit: number): number => checkedScanLimit(limit);

/**
 * Where a page starts. Usually a SCAN cursor (a decimal string). When one
 * SCAN batch held more rows than the page's limit (SCAN's COUNT is a hint,
 * a batch ends at a hash bucket's end), the rest of that batch:
 * `<batch cursor>.<its COUNT>.<digest of the last row returned>`; the batch
 * is read again and its rows are taken in digest order after that one.
 */
export interface ScanPosition {
  scan: string;
  count?: number;
  after?: string;
}

const MAX_CURSOR = 2n ** 64n - 1n;
const SCAN_CURSOR = /^[1-9]\d{0,19}$/;
const BATCH_CURSOR = /^(0|[1-9]\d{0,19})\.([1-9]\d{0,4})\.([A-Za-z0-9_-]{43})$/;

const badCursor = () => new WailError('BAD_REQUEST', 'the scan cursor is not one Redis handed out');

export function positionFromCursor(cursor: string | undefined): ScanPosition {
  if (cursor === undefined) return { scan: '0' };
  if (typeof cursor !== 'string') throw badCursor();
  if (SCAN_CURSOR.test(cursor)) {
    if (BigInt(cursor) > MAX_CURSOR) throw badCursor();
    return { scan: cursor };
  }
  const match = BATCH_CURSOR.exec(cursor);
  if (!match || BigInt(match[1]!) > MAX_CURSOR || Number(match[2]) > SCAN_PAGE_LIMIT)
    throw badCursor();
  return { scan: match[1]!, count: Number(match[2]), after: match[3]! };
}

export const batchCursor = (scan: string, count: number, after: string) =>
  `${scan}.${count}.${after}`;

/** The order rows of one SCAN batch are taken in: sha256 of the Redis key, base64url. */
export const keyDigest = (redisKey: string) =>
  createHash('sha256').update(redisKey, 'utf8').digest('base64url');

/** A MATCH pattern for the keys under a prefix: glob characters of the prefix escaped. */
export const matchPattern = (keyPrefix: string) =>
  `${keyPrefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`)}:*`;

const ESCAPE = /%([0-9A-F]{2})/g;

function componentValue(column: RedisColumnInfo, component: string): KeyScalar | undefined {
  switch (column.type) {
    case 'int':
    case 'bigint':
      return /^-?\d{1,20}$/.test(component) ? BigInt(component) : undefined;
    case 'boolean':
      return component === 'true' ? true : component === 'false' ? false : undefined;
    case 'blob':
      return /^(?:[0-9a-f]{2})*$/.test(component)
        ? new Uint8Array(Buffer.from(component, 'hex'))
        : undefined;
    default:
      if (/%(?![0-9A-F]{2})/.test(component)) return undefined;
      return component.replace(ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/**
 * A Redis key → the canonical key of the row it holds, inverting `rowKey`;
 * undefined for a key that is not one of this table's rows: another prefix,
 * another number of components, a component its column could not hold, or
 * any form `rowKey` would not have written (so the key of another table
 * under a longer prefix does not pass for one of these rows).
 */
export function keyFromRowKey(
  target: TableRef,
  columns: Columns,
  redisKey: string,
): KeyColumn[] | undefined {
  const start = `${target.namespace}:`;
  if (!redisKey.startsWith(start)) return undefined;
  const components = redisKey.slice(start.length).split(':');
  if (components.length !== target.keyColumns.length) return undefined;
  const raw: KeyColumn[] = [];
  for (const [index, name] of target.keyColumns.entries()) {
    const column = columns.get(name);
    if (!column) return undefined;
    const value = componentValue(column, components[index]!);
    if (value === undefined) return undefined;
    raw.push({ name, value });
  }
  try {
    const key = canonicalKeyColumns(target, columns, raw);
    return rowKey(target.namespace, key) === redisKey ? key : undefined;
  } catch {
    return undefined;
  }
}

const ORDERED = new Set([
  'int',
  'bigint',
  'float',
  'double',
  'decimal',
  'text',
  'date',
  'timestamp',
]);
const EQUALITY_ONLY = new Set(['boolean', 'blob', 'uuid']);

/** A condition checked against the data model, its value in the form a row's field reads back as. */
/** A condition checked against the table, its value converted as a mutation's would be. */
export type RedisCondition = PageCondition<RedisColumnInfo, StoredValue>;

/**
 * A scan's `where`, checked before anything is read: columns of the data
 * model, a value its column could store (the mutation conversion,
 * `toRedisField`), an order only for types that have one, null with `=` /
 * `!=` only.
 */
export function checkedConditions(
  _target: TableRef,
  columns: ReadonlyMap<string, RedisColumnInfo>,
  where: readonly ScanCondition[] | undefined,
): RedisCondition[] {
  return pageConditions(where, columns, TYPES);
}

const TYPES: ConditionTypes<RedisColumnInfo, StoredValue> = {
  store: 'Redis',
  ordered: ORDERED,
  equalityOnly: EQUALITY_ONLY,
  convert: (column, value) => fromRedisField(column, toRedisField(column, value)),
};

const sign = (n: number | bigint) => (n > 0 ? 1 : n < 0 ? -1 : 0);
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function compareDecimals(a: string, b: string): number | undefined {
  const [x, y] = [DECIMAL.exec(a), DECIMAL.exec(b)];
  if (!x || !y) return undefined;
  const scale = Math.max(x[3]?.length ?? 0, y[3]?.length ?? 0);
  const scaled = (m: RegExpExecArray) => BigInt(`${m[1]}${m[2]}${(m[3] ?? '').padEnd(scale, '0')}`);
  return sign(scaled(x) - scaled(y));
}

/** Two non-null values of one column type in the type's order; undefined when they do not compare. */
function compare(type: string, a: StoredValue, b: StoredValue): number | undefined {
  try {
    switch (type) {
      case 'int':
      case 'bigint':
        return typeof a === 'number' || typeof a === 'bigint'
          ? sign(BigInt(a) - BigInt(b as number | bigint))
          : undefined;
      case 'float':
      case 'double':
        return typeof a === 'number' && !Number.isNaN(a) ? sign(a - (b as number)) : undefined;
      case 'decimal':
        return typeof a === 'string' ? compareDecimals(a, b as string) : undefined;
      case 'text':
      case 'date':
        // Code point order (UTF-8 bytes), as Cassandra orders text; dates YYYY-MM-DD sort as text.
        return typeof a === 'string'
          ? Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b as string, 'utf8'))
          : undefined;
      case 'timestamp':
        return typeof a === 'string'
          ? sign(isoToMicros('', a) - isoToMicros('', b as string))
          : undefined;
      case 'blob':
        return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b) ? 0 : undefined;
      default:
        return a === b ? 0 : undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * Whether a row's value holds the condition. A null value holds `= null`
 * and `!= x` (null differs from any value: the SQL stores scan alike, so a
 * backfill filtered with `!=` misses no row), never an order.
 */
export function holds(condition: RedisCondition, value: StoredValue): boolean {
  return conditionHolds(condition, value as never, (a, b) => compare(condition.column.type, a, b));
}
