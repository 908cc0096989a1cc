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

export function parseSchema(schema: string | object): Type {
  return Type.forSchema((typeof schema === 'string' ? JSON.parse(schema) : schema) as never, {
    registry: { long: BigIntLong },
  });
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
