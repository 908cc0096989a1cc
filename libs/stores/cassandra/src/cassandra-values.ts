import { types } from 'cassandra-driver';
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
  type ColumnInfo,
  type JsonValue,
  type StoredValue,
} from '@wail/store';

const SCALAR_TYPES = new Set([
  'ascii',
  'bigint',
  'blob',
  'boolean',
  'counter',
  'date',
  'decimal',
  'double',
  'duration',
  'float',
  'inet',
  'int',
  'smallint',
  'text',
  'time',
  'timestamp',
  'timeuuid',
  'tinyint',
  'uuid',
  'varchar',
  'varint',
]);

/**
 * A CQL type as system_schema spells it (`bigint`, `frozen<list<int>>`,
 * `map<text, int>`, a UDT's name) → the type name the adapter works with:
 * the scalar itself, or its kind (`list`, `set`, `map`, `tuple`, `vector`, `udt`).
 */
export function cqlTypeName(type: string): string {
  const bare = type.replace(/^frozen<(.*)>$/, '$1').trim();
  if (SCALAR_TYPES.has(bare)) return bare === 'varchar' ? 'text' : bare;
  const kind = /^(list|set|map|tuple|vector)</.exec(bare)?.[1];
  if (kind) return kind;
  if (bare.startsWith("'")) return 'custom';
  return 'udt';
}

/** A JSON value → the parameter the driver binds for a column of this type. */
export function toCassandraParameter(column: ColumnInfo, value: JsonValue): unknown {
  if (value === null) return null;
  const { name, type } = column;
  switch (type) {
    case 'ascii':
    case 'text':
    case 'varchar':
      return toText(name, value);
    case 'bigint':
    case 'varint':
      return toBigInt(name, value);
    case 'int':
    case 'smallint':
    case 'tinyint':
      return toSmallInt(name, value);
    case 'decimal':
      return types.BigDecimal.fromString(toDecimalString(name, value));
    case 'double':
    case 'float':
      return toFloat(name, value);
    case 'boolean':
      return toBoolean(name, value);
    case 'blob':
      return toBytes(name, value);
    case 'timestamp':
      return new Date(Number(isoToMicros(name, value) / 1000n));
    case 'date':
      return types.LocalDate.fromString(toDateString(name, value));
    case 'time':
      return types.LocalTime.fromString(toText(name, value));
    case 'uuid':
    case 'timeuuid':
      try {
        return type === 'uuid'
          ? types.Uuid.fromString(toText(name, value))
          : types.TimeUuid.fromString(toText(name, value));
      } catch {
        throw badValue(name, `a ${type}`, value);
      }
    case 'inet':
      try {
        return types.InetAddress.fromString(toText(name, value));
      } catch {
        throw badValue(name, 'an IP address', value);
      }
    default:
      throw badValue(name, `a type WAIL can write (Cassandra ${type} is not supported)`, value);
  }
}

/** A driver value → the store-neutral form (see StoredValue). */
export function fromCassandraValue(value: unknown): StoredValue {
  if (value === null || value === undefined) return null;
  if (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
  )
    return value;
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Date) return microsToIso(BigInt(value.getTime()) * 1000n);
  if (value instanceof types.Long) return BigInt(value.toString());
  if (value instanceof types.Integer) return BigInt(value.toString());
  // BigDecimal, Uuid, TimeUuid, LocalDate, LocalTime, InetAddress: their text form is canonical.
  return String(value);
}
