import fc from 'fast-check';
import { KafkaClient } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { putTableRoutes, stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';
import { EventReader, http, type DecodedEvent } from './support';

/**
 * Property: whatever form a client gives a key in (an integer as a number, a
 * string or with leading zeros; a uuid in either case; a timestamp with an
 * offset), and whatever mix of upserts and deletes it sends, the last event of
 * every key equals its row in the database. Before keys were canonical, a
 * delete in the other form left its tombstone where no reader looked, and the
 * key's last event stayed an UPSERT of a row that no longer existed.
 */
const env = new PipelineEnvironment();
const runs = Number(process.env['WAIL_PROPERTY_RUNS'] ?? 12);
let visits: EventReader;
const visitsTopic = `${env.name}.events.visits`;

beforeAll(async () => {
  await env.start();
  await env.cassandra.client.execute(
    `CREATE TABLE ${env.name}.visits (visitor uuid, at timestamp, note text, wail_ts bigint, PRIMARY KEY ((visitor), at))`,
  );
  await putTableRoutes(env.repository.url, {
    visits: {
      store: 'cassandra',
      keyspace: env.name,
      keyColumns: ['visitor', 'at'],
      intentTopic: env.intentTopic,
      visibilityWindowMs: 1500,
    },
  });
  const model = await http('POST', `${env.repository.url}/v1/models/visits/versions`, {
    eventTopic: visitsTopic,
    schema: {
      type: 'record',
      name: 'Visit',
      namespace: 'e2e',
      fields: [
        { name: 'visitor', type: { type: 'string', logicalType: 'uuid' } },
        { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    },
  });
  if (model.status !== 200) throw new Error(JSON.stringify(model.body));
  const kafka = new KafkaClient({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-key-forms',
    logger: silentLogger(),
  });
  await kafka.ensureTopics([{ topic: visitsTopic }]);
  await kafka.close();
  visits = new EventReader(env.repository.url);
  await visits.start([visitsTopic]);
}, 120_000);

afterAll(async () => {
  await visits?.stop();
  await env.stop();
}, 60_000);

interface Table {
  name: string;
  reader: () => EventReader;
  /** The key in one of its forms, by form number. */
  key: (n: number, form: number) => Record<string, unknown>;
  /** Whether an event key is key n. */
  matches: (n: number) => (key: Record<string, unknown>) => boolean;
  values: (n: number, step: number) => Record<string, unknown>;
  /** The row as the proxy reads it (canonical key query string). */
  query: (n: number) => string;
}

const uuid = (n: number) => `0e9a8f42-3b7c-4d2e-9f10-${n.toString(16).padStart(12, '0')}`;
const at = (n: number) => Date.UTC(2024, 4, 1, 12, 0, 0, n);

const TABLES: Table[] = [
  {
    name: 'customers',
    reader: () => env.events,
    key: (n, form) => ({ id: [n, String(n), `00${n}`][form % 3] }),
    matches: (n) => (key) => key['id'] === n,
    values: (n, step) => ({ name: `c${n}-${step}`, email: step % 2 ? null : `${step}@x` }),
    query: (n) => `id=${n}`,
  },
  {
    name: 'orders',
    reader: () => env.events,
    key: (n, form) => ({ customer_id: `c-${n % 3}`, order_id: form % 2 ? String(n) : n }),
    matches: (n) => (key) => key['customer_id'] === `c-${n % 3}` && key['order_id'] === n,
    values: (_n, step) => ({ status: `s${step}`, total: step }),
    query: (n) => `customer_id=c-${n % 3}&order_id=${n}`,
  },
  {
    name: 'visits',
    reader: () => visits,
    key: (n, form) => ({
      visitor: form % 2 ? uuid(n).toUpperCase() : uuid(n),
      at: [
        new Date(at(n)).toISOString(),
        new Date(at(n) + 2 * 3_600_000).toISOString().replace('Z', '+02:00'),
        new Date(at(n)).toISOString().replace('T', ' '),
      ][form % 3],
    }),
    matches: (n) => (key) => key['visitor'] === uuid(n) && Number(key['at']) === at(n),
    values: (_n, step) => ({ note: `v${step}` }),
    query: (n) => `visitor=${uuid(n)}&at=${encodeURIComponent(new Date(at(n)).toISOString())}`,
  },
];

let nextKey = 1;

describe('keys in any form', () => {
  it('ends every key with an event equal to its row, over random key forms, ops and stores', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TABLES),
        fc.array(
          fc.record({
            key: fc.nat({ max: 1 }),
            op: fc.constantFrom('upsert', 'delete'),
            form: fc.nat({ max: 5 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (table, steps) => {
          const base = nextKey;
          nextKey += 2;
          const last = new Map<number, number>();
          for (const [step, { key, op, form }] of steps.entries()) {
            const n = base + key;
            const answer = await env.mutate(table.name, {
              op,
              key: table.key(n, form),
              ...(op === 'upsert' ? { values: table.values(n, step) } : {}),
            });
            if (answer.status !== 200)
              throw new Error(`${table.name} ${op}: ${JSON.stringify(answer.body)}`);
            last.set(n, answer.body!['ts'] as number);
          }
          for (const [n, ts] of last) {
            const events: DecodedEvent[] = await waitFor(
              () => {
                const list = table.reader().forKey(table.name, table.matches(n));
                return list.some((event) => event.value.version === ts) ? list : undefined;
              },
              { timeoutMs: 20_000, what: `the event at ${ts} of ${table.name} key ${n}` },
            );
            const final = events.at(-1)!;
            expect(final.value.version).toBe(ts);
            const row = await fetch(
              `${env.proxy.url}/v1/tables/${table.name}/rows?${table.query(n)}`,
            );
            if (row.status === 404) {
              expect(final.value).toMatchObject({ op: 'DELETE', after: null });
            } else {
              const body = (await row.json()) as { row: Record<string, unknown>; wail_ts: number };
              expect(final.value.op).toBe('UPSERT');
              expect(body.wail_ts).toBe(final.value.version);
              for (const column of Object.keys(table.values(n, 0)))
                expect(final.value.after![column]).toEqual(body.row[column] ?? null);
            }
          }
        },
      ),
      { numRuns: runs },
    );
    expect(env.events.errors).toEqual([]);
    expect(visits.errors).toEqual([]);
  }, 600_000);
});
