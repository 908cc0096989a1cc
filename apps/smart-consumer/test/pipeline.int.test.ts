import {
  canonicalKey,
  decodeIntent,
  encodeIntent,
  intentIdToString,
  newIntentId,
  type Intent,
} from '@wail/intent';
import { CassandraRowStore } from '@wail/store-cassandra';
import { MysqlRowStore } from '@wail/store-mysql';
import { parseDeadLetter, readTopic, redrive } from '@wail/dead-letters';
import { KafkaClient, RecordProducer } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';
import { EventReader, http, readJsonTopic, readRawTopic, type DecodedEvent } from './support';

const env = new PipelineEnvironment();

beforeAll(async () => {
  await env.start();
}, 120_000);

afterAll(async () => {
  await env.stop();
}, 60_000);

const byId = (id: number) => (key: Record<string, unknown>) => key['id'] === id;
const byOrder = (customer: string, order: number) => (key: Record<string, unknown>) =>
  key['customer_id'] === customer && key['order_id'] === order;

async function eventsFor(
  table: string,
  predicate: (key: Record<string, unknown>) => boolean,
  until: (events: DecodedEvent[]) => boolean,
) {
  return waitFor(
    () => {
      const events = env.events.forKey(table, predicate);
      return until(events) ? events : undefined;
    },
    { timeoutMs: 20_000, what: `events of ${table}` },
  );
}

function versionsNeverGoBack(events: DecodedEvent[]): void {
  const versions = events.map((event) => event.value.version);
  expect(versions).toEqual([...versions].sort((a, b) => a - b));
}

/** Emulates a proxy whose clock lags: the intent is logged, then the write lands, both with an old timestamp. */
async function lateWrite(
  table: string,
  store: MysqlRowStore | CassandraRowStore,
  target: Parameters<MysqlRowStore['write']>[0]['target'],
  key: Intent['key'],
  values: Record<string, string>,
  ts: bigint,
) {
  const intent: Intent = {
    intentId: newIntentId(),
    table,
    op: 'upsert',
    key,
    ts,
    proxyId: 'lagging-proxy',
    columns: Object.keys(values),
  };
  await env.appendIntents([
    { key: Buffer.from(canonicalKey(table, key)), value: Buffer.from(encodeIntent(intent)) },
  ]);
  await store.write({ target, op: 'upsert', key, values, ts });
  return intent;
}

describe.each([
  [
    'MySQL',
    'customers',
    () => ({ id: 101 }),
    byId(101),
    { name: 'Ada', email: 'ada@example.com', balance: '12.50', qty: 3 },
    { qty: 4 },
  ],
  [
    'Cassandra',
    'orders',
    () => ({ customer_id: 'c-101', order_id: 1 }),
    byOrder('c-101', 1),
    { status: 'open', total: 12.5 },
    { status: 'paid' },
  ],
] as const)('%s table', (_store, table, key, matches, full, partial) => {
  it('publishes the state after an upsert, a partial update, a delete and a re-insert', async () => {
    const first = await env.mutate(table, { op: 'upsert', key: key(), values: full });
    expect(first).toMatchObject({ status: 200, body: { intentLogged: true } });
    await eventsFor(table, matches, (events) =>
      events.some((e) => e.value.version === first.body!['ts']),
    );
    const second = await env.mutate(table, { op: 'upsert', key: key(), values: partial });
    await eventsFor(table, matches, (events) =>
      events.some((e) => e.value.version === second.body!['ts']),
    );
    const removed = await env.mutate(table, { op: 'delete', key: key() });
    await eventsFor(table, matches, (events) =>
      events.some((e) => e.value.version === removed.body!['ts']),
    );
    const again = await env.mutate(table, { op: 'upsert', key: key(), values: full });
    const events = await eventsFor(table, matches, (list) =>
      list.some((e) => e.value.version === again.body!['ts']),
    );

    expect(env.events.errors).toEqual([]);
    versionsNeverGoBack(events);
    const at = (ts: unknown) => events.find((e) => e.value.version === ts)!;
    expect(at(first.body!['ts']).value).toMatchObject({
      op: 'UPSERT',
      after: expect.objectContaining(
        Object.fromEntries(Object.entries(full).filter(([k]) => k !== 'balance')),
      ),
    });
    expect(at(second.body!['ts']).value).toMatchObject({
      op: 'UPSERT',
      after: expect.objectContaining(partial),
    });
    expect(at(removed.body!['ts']).value).toMatchObject({ op: 'DELETE', after: null, key: key() });
    expect(at(again.body!['ts']).value.source).toMatchObject({
      table,
      intentId: again.body!['intentId'],
      intentTs: again.body!['ts'],
    });

    // The last event equals the row in the database.
    const row = await fetch(
      `${env.proxy.url}/v1/tables/${table}/rows?${new URLSearchParams(Object.entries(key()).map(([k, v]): [string, string] => [k, String(v)]))}`,
    );
    const body = (await row.json()) as { row: Record<string, unknown>; wail_ts: number };
    const last = events.at(-1)!;
    expect(last.value.version).toBe(body.wail_ts);
    for (const [column, value] of Object.entries(last.value.after!)) {
      if (column === 'balance') expect(body.row[column]).toBe('12.50');
      else expect(body.row[column]).toEqual(value);
    }
    // Not exported here: not sampled (00), the trace id propagates all the same.
    expect(last.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    // One trace from the proxy's request to the event: same trace id, the consumer's own span.
    const isLastIntent = (r: { value: Buffer | null }) => {
      try {
        return (
          r.value !== null &&
          intentIdToString(decodeIntent(r.value).intentId) === last.value.source.intentId
        );
      } catch {
        return false;
      }
    };
    const intents = await readRawTopic(env.intentTopic, (list) => list.some(isLastIntent));
    const intent = intents.find(isLastIntent)!;
    const [, intentTrace, intentSpan] = intent.headers['traceparent']!.split('-');
    const [, eventTrace, eventSpan] = last.headers['traceparent']!.split('-');
    expect(eventTrace).toBe(intentTrace);
    expect(eventSpan).not.toBe(intentSpan);
  }, 60_000);
});

describe('coalescing', () => {
  it('answers three intents for one key with one read and one event', async () => {
    // A consumer that is behind: the three writes have landed by the time it
    // sees their intents, which arrive together in one produce request.
    const store = new MysqlRowStore({ url: stackEnv().mysqlUrl });
    const target = {
      store: 'mysql' as const,
      namespace: env.name,
      table: 'customers',
      keyColumns: ['id'],
    };
    const key = [{ name: 'id', value: 202n }];
    const base = BigInt(Date.now()) * 1000n;
    const intents: Intent[] = [];
    for (const [i, name] of ['one', 'two', 'three'].entries()) {
      const ts = base + BigInt(i);
      await store.write({ target, op: 'upsert', key, values: { name }, ts });
      intents.push({
        intentId: newIntentId(),
        table: 'customers',
        op: 'upsert',
        key,
        ts,
        proxyId: 'test',
        columns: ['name'],
      });
    }
    await store.close();
    const readsBefore = await env.metric('wail_consumer_reads_total', { table: 'customers' });
    await env.appendIntents(
      intents.map((intent) => ({
        key: Buffer.from(canonicalKey('customers', key)),
        value: Buffer.from(encodeIntent(intent)),
      })),
    );

    const newest = Number(base + 2n);
    const events = await eventsFor('customers', byId(202), (list) =>
      list.some((e) => e.value.version === newest),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(env.events.forKey('customers', byId(202))).toHaveLength(1);
    expect(events[0]!.value.after).toMatchObject({ name: 'three' });
    expect(
      (await env.metric('wail_consumer_reads_total', { table: 'customers' })) - readsBefore,
    ).toBe(1);
  }, 30_000);
});

describe('late, older writes', () => {
  it.each(['customers', 'orders'] as const)(
    'never regress the %s row or the events',
    async (table) => {
      const settings = { stores: stackEnv() };
      const key = table === 'customers' ? { id: 303 } : { customer_id: 'c-303', order_id: 3 };
      const keyColumns =
        table === 'customers'
          ? [{ name: 'id', value: 303n }]
          : [
              { name: 'customer_id', value: 'c-303' },
              { name: 'order_id', value: 3n },
            ];
      const values = table === 'customers' ? { name: 'newer' } : { status: 'newer' };
      const newer = await env.mutate(table, { op: 'upsert', key, values });
      await eventsFor(table, table === 'customers' ? byId(303) : byOrder('c-303', 3), (list) =>
        list.some((e) => e.value.version === newer.body!['ts']),
      );

      const store =
        table === 'customers'
          ? new MysqlRowStore({ url: settings.stores.mysqlUrl })
          : new CassandraRowStore({
              contactPoints: settings.stores.cassandraContactPoints,
              localDataCenter: settings.stores.cassandraDatacenter,
            });
      const target =
        table === 'customers'
          ? { store: 'mysql' as const, namespace: env.name, table: 'customers', keyColumns: ['id'] }
          : {
              store: 'cassandra' as const,
              namespace: env.name,
              table: 'orders',
              keyColumns: ['customer_id', 'order_id'],
            };
      const olderTs = BigInt(newer.body!['ts'] as number) - 200_000n;
      const late = await lateWrite(
        table,
        store,
        target,
        keyColumns,
        table === 'customers' ? { name: 'older' } : { status: 'older' },
        olderTs,
      );
      const state = await store.read(target, keyColumns, 'strong');
      await store.close();

      expect(state).toMatchObject({
        state: 'present',
        wailTs: BigInt(newer.body!['ts'] as number),
      });
      expect(
        (state as { row: Record<string, unknown> }).row[table === 'customers' ? 'name' : 'status'],
      ).toBe('newer');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const events = env.events.forKey(
        table,
        table === 'customers' ? byId(303) : byOrder('c-303', 3),
      );
      versionsNeverGoBack(events);
      expect(events.at(-1)!.value.version).toBe(newer.body!['ts']);
      expect(
        events.some(
          (e) =>
            e.value.source.intentId === intentIdToString(late.intentId) &&
            e.value.version < (newer.body!['ts'] as number),
        ),
      ).toBe(false);
    },
    30_000,
  );
});

describe('writes that never materialize', () => {
  it('records a MySQL write rejected after its intent was logged as unmaterialized, once, with no event', async () => {
    const answer = await env.mutate('customers', {
      op: 'upsert',
      key: { id: 404 },
      values: { name: 'Neg', qty: -1 },
    });
    expect(answer.status).toBe(422);
    const records = await readJsonTopic(env.unmaterializedTopic, (list) =>
      list.some((r) => (r['key'] as { id?: number }).id === 404),
    );
    const mine = records.filter(
      (r) => r['table'] === 'customers' && (r['key'] as { id?: number }).id === 404,
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      op: 'upsert',
      reason: expect.stringContaining('visibility window'),
      observed: { state: 'absent' },
    });
    expect(env.events.forKey('customers', byId(404))).toEqual([]);
  }, 30_000);

  it('records a Cassandra intent whose write never happened (a proxy crash) as unmaterialized', async () => {
    const key = [
      { name: 'customer_id', value: 'c-404' },
      { name: 'order_id', value: 4n },
    ];
    const intent: Intent = {
      intentId: newIntentId(),
      table: 'orders',
      op: 'upsert',
      key,
      ts: BigInt(Date.now()) * 1000n,
      proxyId: 'crashed-proxy',
    };
    await env.appendIntents([
      { key: Buffer.from(canonicalKey('orders', key)), value: Buffer.from(encodeIntent(intent)) },
    ]);
    const id = intentIdToString(intent.intentId);
    const records = await readJsonTopic(env.unmaterializedTopic, (list) =>
      list.some((r) => r['intentId'] === id),
    );
    expect(records.filter((r) => r['intentId'] === id)).toHaveLength(1);
    expect(env.events.forKey('orders', byOrder('c-404', 4))).toEqual([]);
  }, 30_000);
});

describe('poison', () => {
  it('dead-letters a key whose model is missing without holding back 1,000 other keys', async () => {
    const orphan = await env.mutate('orphans', {
      op: 'upsert',
      key: { id: 505 },
      values: { note: 'no model' },
    });
    expect(orphan.status).toBe(200);
    // 1,000 healthy keys, written in two batches right after the poison one.
    const healthy: { id: number; ts: number }[] = [];
    for (const offset of [0, 500]) {
      const answer = await http('POST', `${env.proxy.url}/v1/mutations`, {
        mutations: Array.from({ length: 500 }, (_, i) => ({
          table: 'customers',
          op: 'upsert',
          key: { id: 10_000 + offset + i },
          values: { name: `h${offset + i}` },
        })),
      });
      expect(answer.status).toBe(200);
      const results = (answer.body as { results: { status: number; ts: number }[] }).results;
      results.forEach((result, i) => {
        expect(result.status).toBe(200);
        healthy.push({ id: 10_000 + offset + i, ts: result.ts });
      });
    }
    await waitFor(
      () =>
        healthy.every(({ id, ts }) =>
          env.events.forKey('customers', byId(id)).some((e) => e.value.version === ts),
        ),
      { timeoutMs: 30_000, intervalMs: 50, what: '1,000 healthy keys published' },
    );
    const allPublishedAt = Date.now();
    const letters = await readRawTopic(env.deadLetterTopic, (list) =>
      list.some((r) => r.headers['wail.error.code'] === 'MODEL_MISSING'),
    );
    const letter = letters.find((r) => r.headers['wail.error.code'] === 'MODEL_MISSING')!;
    expect(letter.headers).toMatchObject({
      'wail.origin.topic': env.intentTopic,
      'wail.error.message': expect.stringContaining('orphans'),
    });
    expect(Number(letter.headers['wail.attempts'])).toBeGreaterThan(1);
    // Every healthy key was out while the poison one was still being retried.
    expect(allPublishedAt).toBeLessThan(Date.parse(letter.headers['wail.failed-at']!));
  }, 60_000);

  it('dead-letters, after the grace period, an intent whose key the store refuses (a non-retriable error), and the keys behind it flow', async () => {
    // An intent an older proxy could log: a key beyond the 64 bits of the BIGINT column.
    const refused: Intent = {
      intentId: newIntentId(),
      table: 'customers',
      op: 'upsert',
      key: [{ name: 'id', value: '9223372036854775808' }],
      ts: BigInt(Date.now()) * 1000n,
      proxyId: 'older-proxy',
      columns: ['name'],
    };
    await env.appendIntents([
      {
        key: Buffer.from(canonicalKey('customers', refused.key)),
        value: Buffer.from(encodeIntent(refused)),
      },
    ]);
    const behind = await env.mutate('customers', {
      op: 'upsert',
      key: { id: 777 },
      values: { name: 'behind' },
    });
    await eventsFor('customers', byId(777), (events) =>
      events.some((e) => e.value.version === behind.body!['ts']),
    );
    const letters = await readRawTopic(env.deadLetterTopic, (list) =>
      list.some((r) => r.headers['wail.error.code'] === 'BAD_REQUEST'),
    );
    const letter = letters.find((r) => r.headers['wail.error.code'] === 'BAD_REQUEST')!;
    expect(letter.headers['wail.error.message']).toContain('64 bits');
    expect(intentIdToString(decodeIntent(letter.value!).intentId)).toBe(
      intentIdToString(refused.intentId),
    );
  }, 60_000);

  it('re-drives a dead letter once its cause is fixed, and it is published', async () => {
    const model = await fetch(`${env.repository.url}/v1/models/orphans/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        eventTopic: `${env.name}.events.orphans`,
        schema: {
          type: 'record',
          name: 'Orphan',
          fields: [
            { name: 'id', type: 'long' },
            { name: 'note', type: ['null', 'string'], default: null },
          ],
        },
      }),
    });
    expect(model.status).toBe(200);
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-e2e-redrive',
      logger: silentLogger(),
    });
    const letters = (await readTopic(kafka, env.deadLetterTopic, silentLogger())).map(
      parseDeadLetter,
    );
    const orphan = letters.filter(
      (letter) => letter.code === 'MODEL_MISSING' && letter.intent?.table === 'orphans',
    );
    expect(orphan).toHaveLength(1);
    expect(orphan[0]!.intent).toMatchObject({ op: 'upsert', key: { id: 505 } });
    await kafka.ensureTopics([{ topic: `${env.name}.events.orphans` }]);
    const reader = new EventReader(env.repository.url);
    await reader.start([`${env.name}.events.orphans`]);
    const producer = new RecordProducer(kafka);
    expect(await redrive(producer, orphan)).toBe(1);
    await producer.close();
    const events = await waitFor(() => (reader.events.length > 0 ? reader.events : undefined), {
      timeoutMs: 20_000,
      what: 'the re-driven event',
    });
    await reader.stop();
    await kafka.close();
    expect(events[0]!.value).toMatchObject({
      op: 'UPSERT',
      key: { id: 505 },
      after: { id: 505, note: 'no model' },
    });
  }, 40_000);

  it('dead-letters undecodable intent bytes at once', async () => {
    await env.appendIntents([{ key: 'garbage', value: Buffer.from([9, 9, 9]) }]);
    const letters = await readRawTopic(env.deadLetterTopic, (list) =>
      list.some((r) => r.headers['wail.error.code'] === 'INTENT_FORMAT_UNSUPPORTED'),
    );
    expect(
      letters.find((r) => r.headers['wail.error.code'] === 'INTENT_FORMAT_UNSUPPORTED')?.value,
    ).toEqual(Buffer.from([9, 9, 9]));
  }, 30_000);
});
