import { Type } from 'avsc';
import { intentIdFromString } from '@wail/intent';
import { avroType, toWireFormat } from './avro';
import {
  CLAIM_CHECK_CONTENT_TYPE,
  envelopeHasClaimCheck,
  envelopeSchemas,
  eventEnvelope,
  type EventEnvelope,
} from './envelope';

const record = {
  type: 'record',
  name: 'Customer',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'region', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'balance', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'created_at', type: { type: 'long', logicalType: 'timestamp-micros' } },
  ],
};
const keyFields = [
  { name: 'region', type: 'string' },
  { name: 'id', type: 'long' },
];
const intent = {
  intentId: intentIdFromString('01a21e40-0000-7000-8000-000000000001'),
  ts: 1795803883151085n,
};

/** The schemas as a consumer gets them: registered as JSON text, fetched by id. */
function registered(schema: Record<string, unknown>): string {
  return JSON.stringify(schema);
}

describe('the envelope schema and the envelope value', () => {
  const { keySchema, valueSchema } = envelopeSchemas(record, keyFields);
  const key = { region: 'eu', id: 42n };
  const upsert = eventEnvelope({
    key,
    after: {
      id: 42n,
      region: 'eu',
      email: null,
      balance: Buffer.from([0x04, 0xe2]),
      created_at: 1795803883000000n,
    },
    version: 1795803883151085n,
    table: 'customers',
    store: 'mysql',
    intent,
    modelVersion: 3,
  });
  const remove = eventEnvelope({
    key,
    after: null,
    version: 1795803883151086n,
    table: 'customers',
    store: 'mysql',
    intent: { ...intent, ts: 1795803883151086n },
    modelVersion: 3,
  });

  it('names the key and event records after the model record, in its namespace', () => {
    expect(keySchema).toEqual({ type: 'record', name: 'shop.CustomerKey', fields: keyFields });
    expect(valueSchema['name']).toBe('shop.CustomerEvent');
  });

  it('builds values whose fields are the schema fields, in order', () => {
    const fields = (valueSchema['fields'] as { name: string }[]).map((field) => field.name);
    expect(fields).toEqual([
      'op',
      'key',
      'after',
      'version',
      'source',
      'modelVersion',
      'claimCheck',
    ]);
    expect(Object.keys(upsert)).toEqual(fields);
    expect(Object.keys(remove)).toEqual(fields);
    expect(upsert.op).toBe('UPSERT');
    expect(remove.op).toBe('DELETE');
    expect(upsert.source).toEqual({
      table: 'customers',
      store: 'mysql',
      intentId: '01a21e40-0000-7000-8000-000000000001',
      intentTs: 1795803883151085n,
    });
  });

  it.each([
    ['an upsert', upsert],
    ['a delete', remove],
  ])('round-trips %s through avsc with the schema the repository registers', (_, value) => {
    const valueType = avroType(registered(valueSchema));
    const bytes = valueType.toBuffer(value);
    expect(valueType.fromBuffer(bytes)).toEqual(value);

    // Any Confluent reader decodes the same bytes with the plain schema (longs as numbers).
    const plain = Type.forSchema(JSON.parse(registered(valueSchema)) as never, {
      logicalTypes: {},
    });
    const decoded = plain.fromBuffer(bytes) as Record<string, unknown>;
    expect(decoded['op']).toBe(value.op);
    expect(decoded['key']).toEqual({ region: 'eu', id: 42 });
    expect(decoded['version']).toBe(Number(value.version));
    expect(decoded['modelVersion']).toBe(value.modelVersion);
    expect((decoded['source'] as EventEnvelope['source']).intentId).toBe(value.source.intentId);
    expect(decoded['after'] === null).toBe(value.after === null);

    const keyType = avroType(registered(keySchema));
    expect(keyType.fromBuffer(keyType.toBuffer(value.key))).toEqual(key);
  });

  const claimed = eventEnvelope({
    key,
    after: null,
    version: 1795803883151087n,
    table: 'customers',
    store: 'mysql',
    intent: { ...intent, ts: 1795803883151087n },
    modelVersion: 3,
    claimCheck: {
      uri: 's3://wail-claims/claims/' + 'ab'.repeat(32),
      size: 5_000_123n,
      sha256: 'ab'.repeat(32),
      contentType: CLAIM_CHECK_CONTENT_TYPE,
    },
  });

  it('places claimCheck last, after modelVersion, optional with a null default', () => {
    const fields = valueSchema['fields'] as { name: string; type: unknown; default?: unknown }[];
    const last = fields[fields.length - 1];
    expect(fields.map((field) => field.name).slice(-2)).toEqual(['modelVersion', 'claimCheck']);
    expect(last?.default).toBeNull();
    expect((last?.type as unknown[])[0]).toBe('null');
    expect(envelopeHasClaimCheck(valueSchema)).toBe(true);
    expect(envelopeHasClaimCheck({ ...valueSchema, fields: fields.slice(0, -1) })).toBe(false);
  });

  it('keeps a claim-checked event an UPSERT with no after, and an ordinary one with a null claimCheck', () => {
    expect(claimed.op).toBe('UPSERT');
    expect(claimed.after).toBeNull();
    expect(upsert.claimCheck).toBeNull();
    expect(remove.claimCheck).toBeNull();
    const valueType = avroType(registered(valueSchema));
    expect(valueType.fromBuffer(valueType.toBuffer(claimed))).toEqual(claimed);
  });

  it('reads events of the envelope before claimCheck with the new schema (claimCheck null), and new ones with the old schema', () => {
    const fields = valueSchema['fields'] as unknown[];
    const before = { ...valueSchema, fields: fields.slice(0, -1) };
    const oldType = Type.forSchema(JSON.parse(registered(before)) as never, { logicalTypes: {} });
    const newType = Type.forSchema(JSON.parse(registered(valueSchema)) as never, {
      logicalTypes: {},
    });
    const { claimCheck: _, ...older } = upsert;
    const oldBytes = avroType(registered(before)).toBuffer(older);
    const newReadsOld = newType.createResolver(oldType);
    expect(
      (newType.fromBuffer(oldBytes, newReadsOld) as Record<string, unknown>)['claimCheck'],
    ).toBeNull();
    const claimedBytes = avroType(registered(valueSchema)).toBuffer(claimed);
    const oldReadsNew = oldType.createResolver(newType);
    const decoded = oldType.fromBuffer(claimedBytes, oldReadsNew) as Record<string, unknown>;
    expect(decoded['modelVersion']).toBe(3);
    expect('claimCheck' in decoded).toBe(false);
  });

  it('pins the bytes of the claimCheck field: the last of the envelope', () => {
    const valueType = avroType(registered(valueSchema));
    const pointer = {
      uri: 's3://b/claims/ab',
      size: 5_000_123n,
      sha256: 'ab',
      contentType: CLAIM_CHECK_CONTENT_TYPE,
    };
    const bytes = valueType.toBuffer({ ...claimed, claimCheck: pointer }).toString('hex');
    const golden = [
      '02', // union branch 1: wail.ClaimCheck
      '20' + Buffer.from('s3://b/claims/ab').toString('hex'), // uri: length 16 (zigzag), bytes
      'f6aee204', // size: 5000123, zigzag varint
      '04' + Buffer.from('ab').toString('hex'), // sha256
      '3e' + Buffer.from('application/vnd.wail.event+avro').toString('hex'), // contentType: 31
    ].join('');
    expect(bytes.endsWith(golden)).toBe(true);
    // Without a pointer the field is one byte: union branch 0, null.
    const plain = valueType.toBuffer(upsert).toString('hex');
    const { claimCheck: _, ...older } = upsert;
    const fields = valueSchema['fields'] as unknown[];
    const before = avroType(registered({ ...valueSchema, fields: fields.slice(0, -1) }));
    expect(plain).toBe(before.toBuffer(older).toString('hex') + '00');
  });

  it('frames a value in the Confluent wire format: 0x00, big-endian schema id, Avro binary', () => {
    const valueType = avroType(registered(valueSchema));
    const framed = toWireFormat(258, valueType, upsert);
    expect(framed.subarray(0, 5).toString('hex')).toBe('0000000102');
    expect(valueType.fromBuffer(framed.subarray(5))).toEqual(upsert);
  });
});
