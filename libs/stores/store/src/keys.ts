import { createHash } from 'node:crypto';
import { WailError } from '@wail/errors';
import { canonicalKey, type KeyColumn, type KeyScalar } from '@wail/intent';
import type { ColumnInfo, TableRef } from './store';
import { badValue, isoToMicros, microsToIso, toBytes, toDateString } from './values';

type Columns = ReadonlyMap<string, ColumnInfo>;

/**
 * How a key column's values are made canonical: one row has exactly one
 * canonical key, so the intent's Kafka key, the tombstone, the read and the
 * event all name it the same way whatever form the client sent (7 or "7",
 * an upper-case uuid, a timestamp with an offset).
 */
type KeyKind = 'integer' | 'text' | 'binary' | 'uuid' | 'date' | 'timestamp' | 'boolean';

const INTEGER_BITS: Record<string, number> = {
  tinyint: 8,
  smallint: 16,
  mediumint: 24,
  int: 32,
  integer: 32,
  bigint: 64,
  varint: 64,
};

const KEY_KINDS: Record<string, KeyKind> = {
  ...Object.fromEntries(Object.keys(INTEGER_BITS).map((type) => [type, 'integer' as const])),
  char: 'text',
  varchar: 'text',
  tinytext: 'text',
  text: 'text',
  mediumtext: 'text',
  longtext: 'text',
  ascii: 'text',
  binary: 'binary',
  varbinary: 'binary',
  tinyblob: 'binary',
  blob: 'binary',
  mediumblob: 'binary',
  longblob: 'binary',
  bytea: 'binary',
  uuid: 'uuid',
  timeuuid: 'uuid',
  date: 'date',
  datetime: 'timestamp',
  timestamp: 'timestamp',
  boolean: 'boolean',
};

const SUPPORTED_KEY_TYPES =
  'integers, text with a binary (MySQL) or deterministic (PostgreSQL) collation, binary, uuid, date, timestamp, boolean';

/**
 * Whether a route fits its physical table, every problem at once (empty when
 * it does): the table has a 64-bit `wail_ts` and the key columns;
 * `keyColumns` are its whole primary key in order — a delete by part of a key
 * would remove many rows — and every key column has a type whose equality
 * WAIL can reproduce byte for byte.
 */
export function routeTableProblems(target: TableRef, columns: Columns): string[] {
  const problems: string[] = [];
  if (columns.get('wail_ts')?.type !== 'bigint') problems.push('it has no wail_ts bigint column');
  const missing = target.keyColumns.filter((key) => !columns.has(key));
  if (missing.length > 0) problems.push(`it has no key column ${missing.join(', ')}`);
  const primaryKey = [...columns.values()]
    .filter((column) => column.keyPosition !== undefined)
    .sort((a, b) => a.keyPosition! - b.keyPosition!)
    .map((column) => column.name);
  const declared = target.keyColumns.join(', ');
  if (primaryKey.length === 0) {
    problems.push(`it has no primary key; keyColumns (${declared}) must be one`);
  } else if (primaryKey.join('\u0000') !== target.keyColumns.join('\u0000')) {
    problems.push(
      `keyColumns (${declared}) must be its whole primary key in order: (${primaryKey.join(', ')})`,
    );
  }
  for (const name of target.keyColumns) {
    const column = columns.get(name);
    if (!column) continue;
    if (!KEY_KINDS[column.type] || (target.store === 'mysql' && column.type === 'uuid')) {
      problems.push(
        `key column "${name}" has type ${column.type}, which WAIL cannot use as a key (supported: ${SUPPORTED_KEY_TYPES})`,
      );
      continue;
    }
    if (column.keyPrefixOnly)
      problems.push(
        `the primary key indexes only a prefix of "${name}", so different values can be one key`,
      );
    if (KEY_KINDS[column.type] === 'text' && target.store === 'postgres') {
      // PostgreSQL's deterministic collations (every built-in one) break ties
      // byte for byte, so equality is byte equality; its adapter reports a
      // text column's collation only when it is nondeterministic.
      if (column.collation !== undefined)
        problems.push(
          `key column "${name}" has the nondeterministic collation ${column.collation}, under which different strings can be one key; use a deterministic collation such as "C"`,
        );
    } else if (
      KEY_KINDS[column.type] === 'text' &&
      column.collation !== undefined &&
      !/_bin$/.test(column.collation)
    ) {
      problems.push(
        `key column "${name}" has collation ${column.collation}, under which different strings are one key ('a' = 'A'); use a binary collation such as utf8mb4_bin`,
      );
    }
  }
  return problems;
}

/** The largest code point a MySQL character set stores (utf8mb4 and binary: all of them). */
const WIDEST_CHARACTER: Record<string, number> = {
  ascii: 0x7f,
  latin1: 0xff,
  utf8: 0xffff,
  utf8mb3: 0xffff,
  ucs2: 0xffff,
};

/**
 * MySQL collations compare as if shorter strings were padded with spaces,
 * unless NO PAD; CHAR(n) does so in MySQL and PostgreSQL (bpchar) alike.
 */
function padsWithSpaces(column: ColumnInfo): boolean {
  if (column.type === 'char') return true;
  return column.collation !== undefined && !/nopad|_0900_/.test(column.collation);
}

/**
 * The key in canonical form, checked against the physical table's key column
 * types: integers as bigint within their column's range, text as given (no
 * trailing spaces where the collation ignores them, within the column's
 * length), binary from base64, uuids in lower case, dates as `YYYY-MM-DD`,
 * timestamps as ISO 8601 UTC with six fractional digits (and no precision
 * the column would drop). Idempotent: a canonical key comes back unchanged.
 * Refusals are the client's mistake (BAD_REQUEST) and name the column.
 */
/** Whether a key names the route's key columns in the route's order (what a batched read requires). */
export function inKeyOrder(target: TableRef, key: readonly KeyColumn[]): boolean {
  return (
    key.length === target.keyColumns.length &&
    key.every(({ name }, i) => name === target.keyColumns[i])
  );
}

export function canonicalKeyColumns(
  target: TableRef,
  columns: Columns,
  key: readonly KeyColumn[],
): KeyColumn[] {
  return key.map(({ name, value }) => {
    const column = columns.get(name);
    if (!column) throw new WailError('BAD_REQUEST', `key column "${name}" does not exist`);
    if (value === null || value === undefined)
      throw new WailError('BAD_REQUEST', `key column "${name}" cannot be null`, {
        details: { column: name },
      });
    return { name, value: canonicalKeyValue(target, column, value) };
  });
}

function canonicalKeyValue(target: TableRef, column: ColumnInfo, value: KeyScalar): KeyScalar {
  const { name } = column;
  switch (KEY_KINDS[column.type]) {
    case 'integer':
      return integerKey(column, value);
    case 'text': {
      let text: string;
      if (typeof value === 'string') text = value;
      else if (typeof value === 'bigint') text = value.toString();
      else throw badValue(name, 'a string', value instanceof Uint8Array ? 'bytes' : value);
      if (column.type === 'ascii' && [...text].some((char) => char.charCodeAt(0) > 0x7f))
        throw badValue(name, 'ASCII text', text);
      const widest = WIDEST_CHARACTER[column.charset ?? ''];
      if (widest !== undefined && [...text].some((char) => char.codePointAt(0)! > widest))
        throw new WailError(
          'BAD_REQUEST',
          `key column "${name}": a character its character set ${column.charset} cannot store`,
          { details: { column: name } },
        );
      if (target.store === 'postgres' && text.includes('\u0000'))
        throw new WailError(
          'BAD_REQUEST',
          `key column "${name}": PostgreSQL text cannot hold the character U+0000`,
          { details: { column: name } },
        );
      if (padsWithSpaces(column) && text.endsWith(' ')) {
        throw new WailError(
          'BAD_REQUEST',
          `key column "${name}": trailing spaces are ignored by its collation, so "a " and "a" would be one key; send the key without them`,
          { details: { column: name } },
        );
      }
      lengthWithin(column, [...text].length, 'characters');
      nonEmptyPartitionKey(target, column, text.length);
      return text;
    }
    case 'binary': {
      const bytes =
        value instanceof Uint8Array
          ? Buffer.from(value)
          : typeof value === 'string'
            ? toBytes(name, value)
            : (() => {
                throw badValue(name, 'base64-encoded bytes', value);
              })();
      if (column.type === 'binary' && column.maxLength !== undefined) {
        if (bytes.length !== column.maxLength)
          throw new WailError(
            'BAD_REQUEST',
            `key column "${name}": BINARY(${column.maxLength}) pads shorter values, so a key must be exactly ${column.maxLength} bytes (got ${bytes.length})`,
            { details: { column: name } },
          );
      }
      lengthWithin(column, bytes.length, 'bytes');
      nonEmptyPartitionKey(target, column, bytes.length);
      return new Uint8Array(bytes);
    }
    case 'uuid': {
      if (typeof value !== 'string' || !UUID.test(value)) throw badValue(name, 'a uuid', value);
      const uuid = value.toLowerCase();
      if (column.type === 'timeuuid' && uuid[14] !== '1')
        throw badValue(name, 'a version 1 (time-based) uuid', value);
      return uuid;
    }
    case 'date':
      if (typeof value !== 'string') throw badValue(name, 'a date YYYY-MM-DD', value);
      return toDateString(name, value);
    case 'timestamp': {
      if (typeof value !== 'string') throw badValue(name, 'an ISO 8601 timestamp', value);
      const micros = isoToMicros(name, value);
      const digits = column.fractionalDigits ?? 6;
      if (micros % 10n ** BigInt(6 - digits) !== 0n) {
        throw new WailError(
          'BAD_REQUEST',
          `key column "${name}" keeps ${digits} fractional second digits; a key with more would name another row`,
          { details: { column: name } },
        );
      }
      return microsToIso(micros);
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw badValue(name, 'true or false', value);
      return value;
    default:
      throw new WailError(
        'ROUTE_MISMATCH',
        `key column "${name}" has type ${column.type}, which WAIL cannot use as a key`,
      );
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const INTEGER = /^-?\d{1,30}$/;

function integerKey(column: ColumnInfo, value: KeyScalar): bigint {
  let integer: bigint;
  if (typeof value === 'bigint') integer = value;
  else if (typeof value === 'boolean') integer = value ? 1n : 0n;
  else if (typeof value === 'string' && INTEGER.test(value)) integer = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value)) integer = BigInt(value);
  else throw badValue(column.name, 'an integer', value instanceof Uint8Array ? 'bytes' : value);
  // The intent carries 64-bit integers: an unsigned BIGINT above 2^63 - 1 cannot be a key.
  const bits = INTEGER_BITS[column.type] ?? 64;
  const [min, max] =
    column.unsigned && bits < 64
      ? [0n, 2n ** BigInt(bits) - 1n]
      : [column.unsigned ? 0n : -(2n ** BigInt(bits - 1)), 2n ** BigInt(bits - 1) - 1n];
  if (integer < min || integer > max) {
    throw new WailError(
      'BAD_REQUEST',
      `key column "${column.name}": ${integer} is out of range for its ${column.unsigned ? 'unsigned ' : ''}${column.type} (${min}..${max})${bits === 64 ? '; a key must be an integer that fits in 64 bits' : ''}`,
      { details: { column: column.name } },
    );
  }
  return integer;
}

function lengthWithin(column: ColumnInfo, length: number, unit: string): void {
  if (column.maxLength !== undefined && length > column.maxLength) {
    throw new WailError(
      'BAD_REQUEST',
      `key column "${column.name}": ${length} ${unit}, longer than the column's ${column.maxLength}`,
      { details: { column: column.name } },
    );
  }
}

/** Cassandra refuses an empty partition key value. */
function nonEmptyPartitionKey(target: TableRef, column: ColumnInfo, length: number): void {
  if (length === 0 && target.store === 'cassandra' && column.partitionKey)
    throw new WailError(
      'BAD_REQUEST',
      `key column "${column.name}": a Cassandra partition key cannot be empty`,
      { details: { column: column.name } },
    );
}

/** Whether two canonical key values are equal. */
export function sameKeyValue(a: KeyScalar, b: KeyScalar): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(b);
  return a === b;
}

/**
 * The key under which a delete is recorded in `wail_tombstones`: sha256 of the
 * canonical key, fixed-size whatever the key. Callers pass the canonical key
 * (`canonicalKeyColumns`): a delete and a read of one row must meet here.
 */
export function tombstoneKey(table: string, key: readonly KeyColumn[]): Buffer {
  return createHash('sha256').update(canonicalKey(table, key)).digest();
}
