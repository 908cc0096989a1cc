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
  toText,
  type ColumnInfo,
  type JsonValue,
  type StoredValue,
} from '@wail/store';

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const TEXT_TYPES = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
]);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** A JSON value → the parameter mysql2 binds for a column of this type. */
export function toMysqlParameter(
  column: ColumnInfo,
  value: JsonValue,
): string | number | Buffer | null {
  if (value === null) {
    if (!column.nullable) throw badValue(column.name, 'a value (the column is NOT NULL)', value);
    return null;
  }
  const { name, type } = column;
  if (INTEGER_TYPES.has(type)) {
    if (typeof value === 'boolean') return value ? 1 : 0;
    return toBigInt(name, value).toString();
  }
  if (type === 'decimal' || type === 'numeric') return toDecimalString(name, value);
  if (type === 'float' || type === 'double' || type === 'real') return toFloat(name, value);
  if (type === 'bit') return toBoolean(name, value) ? 1 : 0;
  if (TEXT_TYPES.has(type)) return toText(name, value);
  if (type === 'json') return JSON.stringify(value);
  if (BINARY_TYPES.has(type)) return toBytes(name, value);
  if (type === 'date') return toDateString(name, value);
  if (type === 'datetime' || type === 'timestamp') {
    return microsToIso(isoToMicros(name, value)).replace('T', ' ').replace('Z', '');
  }
  if (type === 'time' || type === 'year')
    return toText(name, typeof value === 'number' ? String(value) : value);
  throw badValue(name, `a type WAIL can write (MySQL ${type} is not supported)`, value);
}

/**
 * A mysql2 result value (pool configured with bigNumberStrings and
 * dateStrings) → the store-neutral form: big integers as bigint, datetimes
 * as ISO 8601 UTC with microseconds, blobs as Buffer, the rest as they are.
 */
export function fromMysqlValue(column: ColumnInfo | undefined, value: unknown): StoredValue {
  if (value === null || value === undefined) return null;
  const type = column?.type ?? '';
  if (type === 'bigint') return BigInt(value as string | number);
  if (INTEGER_TYPES.has(type)) return Number(value);
  if (type === 'datetime' || type === 'timestamp')
    return microsToIso(isoToMicros(column!.name, String(value)));
  if (type === 'date' || type === 'decimal' || type === 'numeric') return String(value);
  if (type === 'float' || type === 'double' || type === 'real') return Number(value);
  if (type === 'json') return typeof value === 'string' ? value : JSON.stringify(value);
  if (Buffer.isBuffer(value))
    return BINARY_TYPES.has(type) || type === '' ? value : value.toString('utf8');
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
  )
    return value;
  return String(value);
}
