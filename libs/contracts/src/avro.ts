import { Type, types } from 'avsc';

/**
 * Avro `long` as JS `bigint`, so versions (microseconds) and 64-bit columns
 * never pass through a double. The bytes on the wire are standard Avro: any
 * Confluent deserializer reads them (the kafkajs client yields numbers).
 */
const BigIntLong = (types.LongType as unknown as { __with(methods: object): Type }).__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(BigInt(value));
    return buffer;
  },
  fromJSON: (value: unknown) => BigInt(value as string),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/**
 * An avsc type for encoding with a schema fetched from the registry. Logical
 * annotations on `long` (timestamp-micros, …) are dropped before parsing:
 * they do not change the bytes, and keeping them would make avsc build a
 * plain number-based long instead of the bigint one.
 */
export function avroType(schema: string | object): Type {
  const json: unknown = typeof schema === 'string' ? JSON.parse(schema) : schema;
  return Type.forSchema(plainLongs(json) as never, { registry: { long: BigIntLong } });
}

/** Rewrites every type position (not fields, not defaults) so `{type: "long", …}` becomes `"long"`. */
function plainLongs(type: unknown): unknown {
  if (Array.isArray(type)) return type.map(plainLongs);
  if (type === null || typeof type !== 'object') return type;
  const object = type as Record<string, unknown>;
  if (object['type'] === 'long') return 'long';
  const out: Record<string, unknown> = { ...object };
  if (typeof object['type'] === 'object') out['type'] = plainLongs(object['type']);
  if (Array.isArray(object['fields'])) {
    out['fields'] = (object['fields'] as Record<string, unknown>[]).map((field) => ({
      ...field,
      type: plainLongs(field['type']),
    }));
  }
  if (object['items'] !== undefined) out['items'] = plainLongs(object['items']);
  if (object['values'] !== undefined) out['values'] = plainLongs(object['values']);
  return out;
}

/*
 * Confluent wire format:
 *
 *   message = 0x00 schema-id:int32be avro-binary
 */
export function toWireFormat(schemaId: number, type: Type, value: unknown): Buffer {
  const body = type.toBuffer(value);
  const buffer = Buffer.allocUnsafe(5 + body.length);
  buffer.writeUInt8(0, 0);
  buffer.writeInt32BE(schemaId, 1);
  body.copy(buffer, 5);
  return buffer;
}
