import type { TableRoute } from '@wail/contracts';
import { parseDeadLetter } from '@wail/dead-letters';
import { encodeIntent, intentIdToString, newIntentId, type Intent } from '@wail/intent';
import { isWailError } from '@wail/errors';
import type { IncomingRecord } from '@wail/kafka';
import type { ResolvedModel } from './model-cache';
import { deadLetterRecord, eventRecord, unmaterializedRecord } from './output-records';

const route = { table: 'customers', store: 'mysql', visibilityWindowMs: 10_000 } as TableRoute;
const intent: Intent = {
  intentId: newIntentId(),
  table: 'customers',
  op: 'upsert',
  key: [{ name: 'id', value: 7n }],
  ts: 1_700_000_000_000_000n,
  proxyId: 'proxy-1',
};
const record: IncomingRecord = {
  topic: 'wail.intents',
  partition: 2,
  offset: 41n,
  key: Buffer.from('customers|7'),
  value: Buffer.from(encodeIntent(intent)),
  headers: { traceparent: Buffer.from('00-abc-def-01'), other: Buffer.from('x') },
  timestamp: 0,
};
const at = Date.parse('2026-12-01T00:00:00.000Z');

describe('output records', () => {
  it('records an unmaterialized intent with what the read observed and where it came from', () => {
    const out = unmaterializedRecord(
      'wail.intents.unmaterialized',
      route,
      { state: 'absent', deletedTs: undefined },
      { intent, record },
      at,
    );
    expect(out.topic).toBe('wail.intents.unmaterialized');
    expect(out.key).toBe(record.key);
    expect(out.headers).toEqual({ traceparent: record.headers['traceparent'] });
    expect(JSON.parse(String(out.value))).toEqual({
      intentId: intentIdToString(intent.intentId),
      table: 'customers',
      op: 'upsert',
      key: { id: 7 },
      ts: '1700000000000000',
      proxyId: 'proxy-1',
      reason: 'not visible within the visibility window of 10000 ms',
      observed: { state: 'absent', deletedTs: null },
      recordedAt: '2026-12-01T00:00:00.000Z',
      origin: { topic: 'wail.intents', partition: 2, offset: '41' },
    });
  });

  it('builds a dead letter that libs/dead-letters reads back', () => {
    const out = deadLetterRecord(
      'wail.dlq',
      record,
      { code: 'MODEL_MISSING', message: 'table "customers" has no data model', attempts: 3 },
      at,
    );
    expect(out.value).toBe(record.value);
    const headers = Object.fromEntries(
      Object.entries(out.headers ?? {}).map(([name, value]) => [name, Buffer.from(value)]),
    );
    const parsed = parseDeadLetter({ ...record, topic: 'wail.dlq', offset: 0n, headers });
    expect(parsed).toMatchObject({
      code: 'MODEL_MISSING',
      message: 'table "customers" has no data model',
      origin: { topic: 'wail.intents', partition: 2, offset: '41' },
      attempts: 3,
      failedAt: '2026-12-01T00:00:00.000Z',
      intent: { table: 'customers', key: { id: 7 } },
    });
  });

  it('says ENCODE_FAILED for a row its model cannot represent', () => {
    const model = {
      version: 4,
      keyMapper: {
        map: () => {
          throw new Error('column "id": not a long');
        },
      },
    } as unknown as ResolvedModel;
    let caught: unknown;
    try {
      eventRecord(route, model, { state: 'present', row: {}, wailTs: intent.ts }, intent, 1n, {});
    } catch (error) {
      caught = error;
    }
    expect(isWailError(caught) && caught.code).toBe('ENCODE_FAILED');
    expect((caught as Error).message).toBe(
      'the row cannot be encoded with model version 4: column "id": not a long',
    );
  });
});
