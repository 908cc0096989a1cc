import { WailError } from '@wail/errors';
import { microsToIso, type ColumnInfo, type JsonValue } from '@wail/store';

/** A Redis table's column: what the data model says, plus what a decimal and a default need. */
export interface RedisColumnInfo extends ColumnInfo {
  /** decimal: total digits and digits after the point (Avro `precision`, `scale`). */
  precision?: number;
  scale?: number;
  /**
   * The Avro default, in the JSON form a client would write for the column
   * (bytes base64, dates `YYYY-MM-DD`, timestamps ISO 8601, decimals as text,
   * longs as decimal strings): set on a row when an upsert creates it
   * without the column, as a SQL DEFAULT would be.
   */
  defaultValue?: JsonValue;
}

/**
 * Avro field type → store-neutral type name, the names `canonicalKeyColumns`
 * and the value converters of @wail/store know:
 *
 *   boolean → boolean          string → text      string/uuid → uuid
 *   int → int                  int/date → date    int/time-millis → int
 *   long → bigint              long/time-micros → bigint
 *   long/timestamp-micros → timestamp (6 fractional digits)
 *   long/timestamp-millis → timestamp (3 fractional digits)
 *   float → float              double → double
 *   bytes → blob               bytes/decimal → decimal (precision, scale)
 *   ["null", T] or [T, "null"] → T, nullable
 */
interface Mapped {
  type: string;
  fractionalDigits?: number;
  precision?: number;
  scale?: number;
}

const PRIMITIVES: Record<string, string> = {
  boolean: 'boolean',
  int: 'int',
  long: 'bigint',
  float: 'float',
  double: 'double',
  string: 'text',
  bytes: 'blob',
};

function unsupported(field: string, detail: string): WailError {
  return new WailError(
    'ROUTE_MISMATCH',
    `field "${field}" of the data model: ${detail}, which a Redis row cannot hold`,
    { details: { column: field } },
  );
}

function mapType(field: string, type: unknown): Mapped {
  if (typeof type === 'string') {
    const mapped = PRIMITIVES[type];
    if (!mapped) throw unsupported(field, `type ${type.slice(0, 40)}`);
    return { type: mapped };
  }
  if (type === null || typeof type !== 'object' || Array.isArray(type))
    throw unsupported(field, 'a type that is not a column type');
  const object = type as Record<string, unknown>;
  const base = object['type'];
  const logical = object['logicalType'];
  if (typeof base !== 'string') throw unsupported(field, 'a nested type');
  switch (`${base}/${typeof logical === 'string' ? logical : ''}`) {
    case 'string/uuid':
      return { type: 'uuid' };
    case 'int/date':
      return { type: 'date' };
    case 'long/timestamp-micros':
      return { type: 'timestamp', fractionalDigits: 6 };
    case 'long/timestamp-millis':
      return { type: 'timestamp', fractionalDigits: 3 };
    case 'bytes/decimal': {
      const precision = object['precision'];
      const scale = object['scale'] ?? 0;
      if (
        typeof precision !== 'number' ||
        !Number.isInteger(precision) ||
        precision < 1 ||
        typeof scale !== 'number' ||
        !Number.isInteger(scale) ||
        scale < 0 ||
        scale > precision
      )
        throw unsupported(field, 'a decimal without a valid precision and scale');
      return { type: 'decimal', precision, scale };
    }
    default:
      // An unknown logical type reads as its base type, as Avro says.
      return mapType(field, base);
  }
}

/** Days since 1970-01-01 → `YYYY-MM-DD`. */
function epochDayToDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** Avro bytes default (one character per byte) → the bytes. */
const latin1Bytes = (text: string) => Buffer.from(text, 'latin1');

/** A decimal's big-endian two's complement unscaled value → its text at `scale`. */
function decimalText(bytes: Buffer, scale: number): string {
  let unscaled = 0n;
  for (const byte of bytes) unscaled = (unscaled << 8n) | BigInt(byte);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) unscaled -= 1n << BigInt(bytes.length * 8);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}

/** The Avro default of a (non-union) type, in the JSON form a client writes; undefined when it does not fit. */
function defaultAsJson(mapped: Mapped, value: unknown): JsonValue | undefined {
  if (value === null) return null;
  switch (mapped.type) {
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'int':
    case 'float':
    case 'double':
      return typeof value === 'number' ? value : undefined;
    case 'bigint':
      return typeof value === 'number' && Number.isInteger(value) ? String(value) : undefined;
    case 'date':
      return typeof value === 'number' && Number.isInteger(value)
        ? epochDayToDate(value)
        : undefined;
    case 'timestamp':
      if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
      return microsToIso(BigInt(value) * (mapped.fractionalDigits === 3 ? 1000n : 1n));
    case 'text':
    case 'uuid':
      return typeof value === 'string' ? value : undefined;
    case 'blob':
      return typeof value === 'string' ? latin1Bytes(value).toString('base64') : undefined;
    case 'decimal':
      return typeof value === 'string'
        ? decimalText(latin1Bytes(value), mapped.scale ?? 0)
        : undefined;
    default:
      return undefined;
  }
}

/**
 * A Redis table's columns, from its data model: Redis has no catalog, so the
 * Avro record (field name = column name) is the table's description. The
 * route's `keyColumns` are the table's primary key, in their order (a Redis
 * table's key is whatever the route says it is); `wail_ts` is WAIL's own
 * version column, always there. A nullable field (`["null", T]`) or one with
 * a default may be left out when a row is created; any other must be given.
 * Pure: no I/O.
 */
export function columnsFromModel(
  recordSchema: Readonly<Record<string, unknown>>,
  keyColumns: readonly string[],
): Map<string, RedisColumnInfo> {
  const fields = recordSchema['fields'];
  if (recordSchema['type'] !== 'record' || !Array.isArray(fields))
    throw new WailError('ROUTE_MISMATCH', 'the data model is not an Avro record with fields');
  const columns = new Map<string, RedisColumnInfo>();
  for (const field of fields as unknown[]) {
    const { name, type } = (field ?? {}) as { name?: unknown; type?: unknown };
    if (typeof name !== 'string' || name === 'wail_ts') continue;
    let nullable = false;
    let inner = type;
    if (Array.isArray(type)) {
      const branches = type.filter((branch) => branch !== 'null');
      if (branches.length !== 1 || type.length !== 2)
        throw unsupported(name, 'a union other than ["null", T]');
      nullable = true;
      inner = branches[0];
    }
    const mapped = mapType(name, inner);
    const hasDefault = Object.prototype.hasOwnProperty.call(field, 'default');
    const defaultValue = hasDefault
      ? defaultAsJson(mapped, (field as { default: unknown }).default)
      : undefined;
    const keyPosition = keyColumns.indexOf(name);
    const info: RedisColumnInfo = {
      name,
      type: mapped.type,
      nullable,
      optional: nullable || hasDefault,
      ...(keyPosition >= 0 ? { keyPosition } : {}),
      ...(mapped.fractionalDigits === undefined
        ? {}
        : { fractionalDigits: mapped.fractionalDigits }),
      ...(mapped.precision === undefined
        ? {}
        : { precision: mapped.precision, scale: mapped.scale ?? 0 }),
      ...(defaultValue === undefined || defaultValue === null ? {} : { defaultValue }),
    };
    columns.set(name, info);
  }
  columns.set('wail_ts', { name: 'wail_ts', type: 'bigint', nullable: false, optional: false });
  return columns;
}
