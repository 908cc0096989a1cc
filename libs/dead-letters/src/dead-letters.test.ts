import { deadLetterHeaders } from '@wail/contracts';
import { encodeIntent, intentIdFromString } from '@wail/intent';
import type { IncomingRecord, OutgoingRecord, RecordProducer } from '@wail/kafka';
import { parseDeadLetter, redrive } from './dead-letters';

const intentBytes = Buffer.from(
  encodeIntent({
    intentId: intentIdFromString('01a21e40-0000-7000-8000-000000000001'),
    table: 'orders',
    op: 'upsert',
    key: [{ name: 'id', value: 7n }],
    ts: 1795803883151085n,
    proxyId: 'proxy-1',
  }),
);

/** A dead letter as the consumer writes it: the intent record, its headers, the wail.* ones. */
function letter(value: Buffer | null): IncomingRecord {
  const headers = {
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ...deadLetterHeaders({
      code: 'MODEL_MISSING',
      message: 'table "orders" has no data model',
      origin: { topic: 'wail.intents', partition: 2, offset: 41n },
      attempts: 3,
      failedAt: new Date('2026-11-27T18:24:43.151Z'),
    }),
  };
  return {
    topic: 'wail.dlq',
    partition: 0,
    offset: 5n,
    key: Buffer.from('orders/7'),
    value,
    headers: Object.fromEntries(
      Object.entries(headers).map(([name, text]) => [name, Buffer.from(text)]),
    ),
    timestamp: 0,
  };
}

describe('parseDeadLetter', () => {
  it('reads the headers the consumer writes and the intent it holds', () => {
    const parsed = parseDeadLetter(letter(intentBytes));
    expect(parsed).toMatchObject({
      id: 'wail.dlq/0/5',
      code: 'MODEL_MISSING',
      message: 'table "orders" has no data model',
      origin: { topic: 'wail.intents', partition: 2, offset: '41' },
      attempts: 3,
      failedAt: '2026-11-27T18:24:43.151Z',
      intent: {
        intentId: '01a21e40-0000-7000-8000-000000000001',
        table: 'orders',
        op: 'upsert',
        key: { id: 7 },
        ts: '1795803883151085',
        proxyId: 'proxy-1',
      },
    });
  });

  it('keeps a letter whose bytes do not decode, without an intent', () => {
    const parsed = parseDeadLetter(letter(Buffer.from([0x7f, 1, 2])));
    expect(parsed.code).toBe('MODEL_MISSING');
    expect(parsed.intent).toBeUndefined();
  });
});

describe('redrive', () => {
  it('sends the intent back to its topic with its own headers, marked with the letter', async () => {
    const sent: OutgoingRecord[] = [];
    const producer = {
      send: async (records: OutgoingRecord[]) => {
        sent.push(...records);
      },
    } as unknown as RecordProducer;
    expect(await redrive(producer, [parseDeadLetter(letter(intentBytes))])).toBe(1);
    expect(sent).toEqual([
      {
        topic: 'wail.intents',
        key: Buffer.from('orders/7'),
        value: intentBytes,
        headers: {
          traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
          'wail.redriven-from': Buffer.from('wail.dlq/0/5'),
        },
      },
    ]);
  });
});
