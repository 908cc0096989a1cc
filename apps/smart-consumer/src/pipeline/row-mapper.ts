import { WailError } from '@wail/errors';
import { isoToMicros, type StoredValue } from '@wail/store';

/**
 * Maps a row (store-neutral values, see StoredValue) to the Avro value of a
 * data model's record, field by field. A row the model cannot represent (a
 * null in a non-null field, text in a number field) is a poison record: the
 * error says which field and why, and the intent goes to the dead-letter topic.
 *
 * Column → Avro rules (both stores):
 *   boolean ← boolean, or 0/1 (MySQL BOOLEAN is TINYINT)
 *   int, long ← integers (bigint kept exact); long/timestamp-* ← ISO timestamps too
 *   float, double ← numbers
 *   string (uuid too) ← text; integers and decimals as their text
 *   bytes ← binary; decimal(bytes) ← decimal text, rescaled to the schema's scale
 *   date(int) ← YYYY-MM-DD as days since 1970-01-01
 *   ["null", T] ← null or T
 */
interface FieldPlan {
  name: string;
  nullable: boolean;
  convert(value: Exclude<StoredValue, null>): unknown;
}

type AvroFieldType = string | { type: string; logicalType?: string; scale?: number } | unknown[];

export class RowMapper {
  private readonly fields: FieldPlan[];

  constructor(modelSchema: Record<string, unknown>) {
    const fields = modelSchema['fields'] as { name: string; type: AvroFieldType }[];
    this.fields = fields.map((field) => plan(field.name, field.type));
  }

  /** The Avro record value of a row; only the model's fields, in its order. */
  map(row: Readonly<Record<string, StoredValue>>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of this.fields) {
      const value = row[field.name];
      if (value === null || value === undefined) {
        if (!field.nullable) {
          throw new WailError(
            'DATABASE_REJECTED',
            `column "${field.name}" is ${value === undefined ? 'missing from the table' : 'null'} but the model says it cannot be null`,
          );
        }
        out[field.name] = null;
        continue;
      }
      try {
        out[field.name] = field.convert(value);
      } catch (error) {
        if (error instanceof WailError) throw error;
        throw new WailError(
          'DATABASE_REJECTED',
          `column "${field.name}": ${(error as Error).message}`,
        );
      }
    }
    return out;
  }
}

function plan(name: string, type: AvroFieldType): FieldPlan {
  if (Array.isArray(type)) {
    const inner = type.find((branch) => branch !== 'null') as AvroFieldType;
    return { ...plan(name, inner), nullable: true };
  }
  const base = typeof type === 'string' ? type : type.type;
  const logical = typeof type === 'object' ? type.logicalType : undefined;
  const fail = (expected: string, value: unknown) => {
    throw new TypeError(
      `expected ${expected}, found ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)?.slice(0, 60)}`,
    );
  };
  const integer = (value: Exclude<StoredValue, null>): bigint => {
    if (typeof value === 'bigint') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
    if (typeof value === 'boolean') return value ? 1n : 0n;
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
    return fail('an integer', value);
  };
  let convert: FieldPlan['convert'];
  switch (base) {
    case 'boolean':
      convert = (value) =>
        typeof value === 'boolean'
          ? value
          : value === 1 || value === 0
            ? value === 1
            : fail('a boolean', value);
      break;
    case 'int':
      convert =
        logical === 'date'
          ? (value) =>
              typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
                ? Math.round(Date.parse(`${value}T00:00:00Z`) / 86_400_000)
                : fail('a date', value)
          : (value) => {
              const n = integer(value);
              if (n < -(2n ** 31n) || n >= 2n ** 31n) fail('a 32-bit integer', value);
              return Number(n);
            };
      break;
    case 'long':
      convert =
        logical === 'timestamp-micros' || logical === 'timestamp-millis'
          ? (value) => {
              const micros =
                typeof value === 'string' && !/^-?\d+$/.test(value)
                  ? isoToMicros(name, value)
                  : integer(value);
              return logical === 'timestamp-millis' ? micros / 1000n : micros;
            }
          : integer;
      break;
    case 'float':
    case 'double':
      convert = (value) =>
        typeof value === 'number'
          ? value
          : typeof value === 'string' && Number.isFinite(Number(value))
            ? Number(value)
            : typeof value === 'bigint'
              ? Number(value)
              : fail('a number', value);
      break;
    case 'string':
      convert = (value) =>
        typeof value === 'string'
          ? value
          : typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean'
            ? String(value)
            : value.toString('utf8');
      break;
    case 'bytes':
      convert =
        logical === 'decimal'
          ? (value) =>
              decimalBytes(
                String(value),
                typeof type === 'object' && !Array.isArray(type) ? (type.scale ?? 0) : 0,
              )
          : (value) =>
              Buffer.isBuffer(value)
                ? value
                : typeof value === 'string'
                  ? Buffer.from(value, 'utf8')
                  : fail('bytes', value);
      break;
    default:
      throw new WailError(
        'INTERNAL',
        `field "${name}" has an Avro type WAIL cannot map (${String(base)})`,
      );
  }
  return { name, nullable: false, convert };
}

/** A decimal's unscaled value at `scale`, as Avro wants it: big-endian two's complement, minimal length. */
export function decimalBytes(text: string, scale: number): Buffer {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new TypeError(`expected a decimal, found ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.replace(/0+$/, '').length > scale)
    throw new TypeError(`${text} has more than ${scale} decimal places`);
  let unscaled = BigInt(`${whole}${fraction.padEnd(scale, '0')}`);
  if (sign === '-') unscaled = -unscaled;
  const bytes: number[] = [];
  let rest = unscaled;
  do {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  } while (
    !(rest === 0n && (bytes[0]! & 0x80) === 0) &&
    !(rest === -1n && (bytes[0]! & 0x80) !== 0)
  );
  return Buffer.from(bytes);
}
