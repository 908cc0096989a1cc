import pg from 'pg';
import { WailError } from '@wail/errors';
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

/**
 * PostgreSQL type names → the store-neutral names of `ColumnInfo.type` (the
 * ones @wail/store's key and value rules and the MySQL adapter use).
 * timestamptz is an instant, MySQL's TIMESTAMP: `timestamp`; a timestamp
 * without time zone is a wall-clock value, MySQL's DATETIME: `datetime`
 * (WAIL writes and reads it as UTC). json and jsonb are both `json`. An array
 * is its element's name with `[]`; a domain is its base type; an enum is
 * `enum`; any other type keeps its own name (`time`, `interval`, `inet`, …).
 */
const STORE_TYPES: Record<string, string> = {
  int2: 'smallint',
  int4: 'int',
  int8: 'bigint',
  numeric: 'decimal',
  float4: 'float',
  float8: 'double',
  bool: 'boolean',
  text: 'text',
  varchar: 'varchar',
  bpchar: 'char',
  name: 'varchar',
  bytea: 'bytea',
  timestamptz: 'timestamp',
  timestamp: 'datetime',
  date: 'date',
  uuid: 'uuid',
  json: 'json',
  jsonb: 'json',
};

export function storeTypeName(typname: string, category: string, element?: string): string {
  if (category === 'A' && element !== undefined) return `${storeTypeName(element, '')}[]`;
  if (category === 'E') return 'enum';
  return STORE_TYPES[typname] ?? typname;
}

/** What the adapter needs of a column beyond `ColumnInfo`: how to write a literal of its type. */
export interface PostgresColumn {
  /** The base type by its own qualified name, without a modifier, for `CAST(literal AS …)`. */
  castType: string;
  /** The column's own (domain) type as SQL: what arrays and unknown types are reported as. */
  declared: string;
  array: boolean;
  /** Enum and string-category types (citext, …) take text. */
  textual: boolean;
}

const INTEGER_TYPES = new Set(['smallint', 'int', 'bigint']);
const TEXT_TYPES = new Set(['text', 'varchar', 'char', 'enum']);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const literal = (text: string) => pg.escapeLiteral(text);

function noNul(name: string, text: string): string {
  if (text.includes('\u0000'))
    throw new WailError(
      'BAD_REQUEST',
      `column "${name}": PostgreSQL text cannot hold the character U+0000`,
      { details: { column: name } },
    );
  return text;
}

/**
 * A JSON value → the text of a value of the column's type (bytes as a
 * Buffer, null as null), checked as a write checks it: what a literal casts
 * (`toPostgresLiteral`) and what a bound parameter carries (scan filters).
 */
export function toPostgresValue(
  column: ColumnInfo,
  pgColumn: PostgresColumn,
  value: JsonValue,
): string | Buffer | null {
  const { name, type } = column;
  if (pgColumn.array)
    throw new WailError(
      'BAD_REQUEST',
      `column "${name}" is an array (${pgColumn.declared}); WAIL does not write array columns`,
      { details: { column: name } },
    );
  if (value === null) {
    if (!column.nullable) throw badValue(name, 'a value (the column is NOT NULL)', value);
    return null;
  }
  if (INTEGER_TYPES.has(type)) {
    if (typeof value === 'boolean') return value ? '1' : '0';
    return toBigInt(name, value).toString();
  }
  if (type === 'decimal') return toDecimalString(name, value);
  if (type === 'float' || type === 'double') return String(toFloat(name, value));
  if (type === 'boolean') return toBoolean(name, value) ? 'true' : 'false';
  if (TEXT_TYPES.has(type) || pgColumn.textual) return noNul(name, toText(name, value));
  if (type === 'json') return JSON.stringify(value);
  if (type === 'bytea') return toBytes(name, value);
  if (type === 'date') return toDateString(name, value);
  if (type === 'timestamp') return microsToIso(isoToMicros(name, value));
  if (type === 'datetime')
    return microsToIso(isoToMicros(name, value)).replace('T', ' ').replace('Z', '');
  if (type === 'uuid') {
    if (typeof value !== 'string' || !UUID.test(value)) throw badValue(name, 'a uuid', value);
    return value.toLowerCase();
  }
  throw badValue(
    name,
    `a type WAIL can write (PostgreSQL ${pgColumn.declared} is not supported)`,
    value,
  );
}

/**
 * A JSON value → an SQL literal of the column's type, `CAST('…' AS type)`.
 * The row store sends its writes as literals (see the row store for why);
 * every text goes through `escapeLiteral`, bytes are hex digits, and the
 * cast names the base type without a modifier, so a value too long for a
 * varchar(n) is refused by the server instead of silently cut by the cast.
 */
export function toPostgresLiteral(
  column: ColumnInfo,
  pgColumn: PostgresColumn,
  value: JsonValue,
): string {
  const text = toPostgresValue(column, pgColumn, value);
  if (text === null) return `CAST(NULL AS ${pgColumn.castType})`;
  if (Buffer.isBuffer(text)) return `CAST('\\x${text.toString('hex')}' AS pg_catalog.bytea)`;
  if (column.type === 'boolean') return text === 'true' ? 'TRUE' : 'FALSE';
  return `CAST(${literal(text)} AS ${pgColumn.castType})`;
}

/** A canonical key value (see `canonicalKeyColumns`) → its literal. */
export function keyLiteral(
  pgColumn: PostgresColumn,
  value: bigint | string | boolean | Uint8Array,
): string {
  if (typeof value === 'bigint') return `CAST('${value}' AS ${pgColumn.castType})`;
  if (value instanceof Uint8Array)
    return `CAST('\\x${Buffer.from(value).toString('hex')}' AS pg_catalog.bytea)`;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return `CAST(${literal(value)} AS ${pgColumn.castType})`;
}

/** The same key value as a bound parameter (reads use the extended protocol). */
export function keyParameter(value: bigint | string | boolean | Uint8Array): string | Buffer {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return value;
}

/** `+00` → `+00:00`: PostgreSQL writes a whole-hour offset in two digits. */
const SHORT_OFFSET = /([+-]\d{2})$/;

/**
 * A value in PostgreSQL's text form (the pools parse nothing: see
 * `PostgresConnection`) → the store-neutral form: int8 as bigint, other
 * integers and floats as numbers, numeric as its decimal string, booleans,
 * timestamps as ISO 8601 UTC with microseconds (a timestamp without time zone
 * read as UTC), dates `YYYY-MM-DD`, bytea as Buffer, uuids lower case, json
 * as its text (jsonb normalized by the server), char(n) without the padding
 * (as MySQL returns CHAR). Values outside ISO's range (`infinity`, BC dates)
 * and types WAIL does not convert come back as PostgreSQL writes them.
 */
export function fromPostgresText(
  column: ColumnInfo | undefined,
  value: string | null,
): StoredValue {
  if (value === null || value === undefined) return null;
  switch (column?.type) {
    case 'bigint':
      return BigInt(value);
    case 'smallint':
    case 'int':
    case 'float':
    case 'double':
      return Number(value);
    case 'boolean':
      return value === 't';
    case 'bytea':
      return value.startsWith('\\x') ? Buffer.from(value.slice(2), 'hex') : Buffer.from(value);
    case 'char':
      return value.replace(/ +$/, '');
    case 'timestamp':
    case 'datetime':
      try {
        return microsToIso(isoToMicros(column.name, value.replace(SHORT_OFFSET, '$1:00')));
      } catch {
        return value;
      }
    default:
      return value;
  }
}
