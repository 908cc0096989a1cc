import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';
import { Type } from 'avsc';
import { startRepository, type TestRepository } from './support';

/**
 * The real `@kafkajs/confluent-schema-registry` client against the repository
 * listening on a real port: register, encode, decode, getLatestSchemaId,
 * getRegistryIdBySchema, and the wire bytes checked by hand.
 */
let repo: TestRepository;
let registry: SchemaRegistry;

const schema = {
  type: 'record',
  name: 'Payment',
  namespace: 'it.wail',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
} as const;

beforeAll(async () => {
  repo = await startRepository();
  const address = await repo.app.listen({ host: '127.0.0.1', port: 0 });
  registry = new SchemaRegistry({ host: address });
});
afterAll(async () => {
  await repo.close();
});

describe('@kafkajs/confluent-schema-registry against the repository', () => {
  let id: number;

  it('registers a schema, setting the subject compatibility on first use', async () => {
    const registered = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: 'payments-value' },
    );
    expect(registered).toEqual({ id: expect.any(Number) });
    id = registered.id;
    const again = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: 'payments-value', compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(again.id).toBe(id);
  });

  it('encodes in Confluent wire format and decodes back', async () => {
    const payload = { id: 'p-1', amount: 12.5 };
    const bytes = await registry.encode(id, payload);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(Type.forSchema(schema as never).fromBuffer(bytes.subarray(5))).toEqual(payload);
    expect(await registry.decode(bytes)).toEqual(payload);
  });

  it('finds the latest id of a subject and the id of a known schema', async () => {
    expect(await registry.getLatestSchemaId('payments-value')).toBe(id);
    expect(
      await registry.getRegistryIdBySchema('payments-value', {
        type: SchemaType.AVRO,
        schema: JSON.stringify(schema),
      }),
    ).toBe(id);
    expect(await registry.getRegistryId('payments-value', 1)).toBe(id);
  });

  it('surfaces the registry messages as client errors', async () => {
    await expect(registry.getLatestSchemaId('no-such-subject')).rejects.toThrow(
      "Subject 'no-such-subject' not found.",
    );
    const other = { ...schema, name: 'Other' };
    await expect(
      registry.getRegistryIdBySchema('payments-value', {
        type: SchemaType.AVRO,
        schema: JSON.stringify(other),
      }),
    ).rejects.toThrow('Schema not found');
  });

  it('rejects an incompatible evolution through the client', async () => {
    const breaking = {
      ...schema,
      fields: [...schema.fields, { name: 'currency', type: 'string' }],
    };
    await expect(
      registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(breaking) },
        { subject: 'payments-value' },
      ),
    ).rejects.toThrow(/incompatible/);
  });
});
