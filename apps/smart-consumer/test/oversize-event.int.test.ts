import { parseDeadLetter, readTopic, type DeadLetter } from '@wail/dead-letters';
import { KafkaClient } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { putTableRoutes, stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';
import { EventReader, http } from './support';

/**
 * Issue 9 item 4, consumer side: an event too large to publish is
 * dead-lettered EVENT_TOO_LARGE — by the consumer's own bound, or when Kafka
 * refuses it — and the keys behind it on its partition flow on.
 */
const env = new PipelineEnvironment();
const MAX_EVENT_BYTES = 65_536;
/** The event topic of `notes` takes at most this, below the consumer's bound. */
const NOTES_TOPIC_LIMIT = 16_384;
const kafka = new KafkaClient({
  brokers: stackEnv().kafkaBrokers,
  clientId: 'wail-e2e-oversize',
  logger: silentLogger(),
});
let reader: EventReader;
const documentsTopic = `${env.name}.events.documents`;
const notesTopic = `${env.name}.events.notes`;

beforeAll(async () => {
  await env.start({ consumerEnv: { WAIL_CONSUMER_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) } });
  for (const table of ['documents', 'notes'])
    await env.mysql.pool.query(
      `CREATE TABLE \`${env.name}\`.${table} (id BIGINT PRIMARY KEY, body MEDIUMTEXT NULL, wail_ts BIGINT NOT NULL)`,
    );
  await kafka.ensureTopics([
    { topic: documentsTopic },
    { topic: notesTopic, config: { 'max.message.bytes': String(NOTES_TOPIC_LIMIT) } },
  ]);
  const route = {
    store: 'mysql',
    database: env.name,
    keyColumns: ['id'],
    intentTopic: env.intentTopic,
    visibilityWindowMs: 1500,
  };
  await putTableRoutes(env.repository.url, { documents: route, notes: route });
  for (const [table, eventTopic] of [
    ['documents', documentsTopic],
    ['notes', notesTopic],
  ] as const) {
    const answer = await http('POST', `${env.repository.url}/v1/models/${table}/versions`, {
      eventTopic,
      schema: {
        type: 'record',
        name: table,
        fields: [
          { name: 'id', type: 'long' },
          { name: 'body', type: ['null', 'string'], default: null },
        ],
      },
    });
    if (answer.status !== 200) throw new Error(`model ${table}: ${JSON.stringify(answer.body)}`);
  }
  reader = new EventReader(env.repository.url);
  await reader.start([documentsTopic, notesTopic]);
}, 120_000);

afterAll(async () => {
  await reader?.stop();
  await kafka.deleteTopics([documentsTopic, notesTopic]).catch(() => undefined);
  await kafka.close();
  await env.stop();
}, 60_000);

async function upsert(table: string, id: number, body: string): Promise<number> {
  const answer = await waitFor(
    async () => {
      const response = await env.mutate(table, { op: 'upsert', key: { id }, values: { body } });
      // The proxy picks the new routes up within its refresh interval.
      return response.status === 404 ? undefined : response;
    },
    { timeoutMs: 10_000, what: `a route for ${table}` },
  );
  expect(answer.status).toBe(200);
  return (answer.body as { ts: number }).ts;
}

async function deadLetterOf(table: string, id: number): Promise<DeadLetter> {
  return waitFor(
    async () =>
      (await readTopic(kafka, env.deadLetterTopic, silentLogger()))
        .map(parseDeadLetter)
        .find((letter) => letter.intent?.table === table && letter.intent.key['id'] === id),
    { timeoutMs: 30_000, intervalMs: 500, what: `a dead letter for ${table} ${id}` },
  );
}

/**
 * Writes the oversized row, then 30 healthy keys behind it (some on its
 * intent partition: the chance that none of 30 is, of 3, is 2e-6), and
 * checks that the oversized one is dead-lettered with EVENT_TOO_LARGE while
 * the healthy ones are published and the partition's committed offset
 * reaches its end.
 */
async function poisonAmongHealthy(table: string, bigId: number, bodyBytes: number) {
  await upsert(table, bigId, 'b'.repeat(bodyBytes));
  const healthy: { id: number; ts: number }[] = [];
  for (let i = 1; i <= 30; i++) {
    const id = bigId + i;
    healthy.push({ id, ts: await upsert(table, id, `healthy ${id}`) });
  }
  const letter = await deadLetterOf(table, bigId);
  expect(letter.code).toBe('EVENT_TOO_LARGE');
  expect(letter.origin.topic).toBe(env.intentTopic);
  await waitFor(
    () =>
      healthy.every(({ id, ts }) =>
        reader.forKey(table, (key) => key['id'] === id).some((e) => e.value.version === ts),
      ),
    { timeoutMs: 30_000, intervalMs: 100, what: `30 healthy ${table} keys published` },
  );
  expect(reader.forKey(table, (key) => key['id'] === bigId)).toEqual([]);
  const partition = letter.origin.partition;
  const end = (await kafka.endOffsets(env.intentTopic)).get(partition)!;
  expect(end).toBeGreaterThan(BigInt(letter.origin.offset) + 1n);
  await waitFor(
    async () => {
      const committed = (await kafka.committedOffsets(`${env.name}.consumer`, [env.intentTopic]))
        .get(env.intentTopic)
        ?.get(partition);
      return committed !== undefined && committed >= end;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: 'the committed offset past the oversized intent' },
  );
  return letter;
}

describe('an event too large to publish', () => {
  it('is dead-lettered EVENT_TOO_LARGE by the consumer bound; the keys behind it flow on', async () => {
    const letter = await poisonAmongHealthy('documents', 1000, 100_000);
    expect(letter.message).toMatch(
      /the event is \d+ bytes; the limit is 65536 bytes \(WAIL_CONSUMER_MAX_EVENT_BYTES\)/,
    );
    expect(letter.attempts).toBe(1);
  }, 90_000);

  it('is dead-lettered EVENT_TOO_LARGE when Kafka refuses it; the keys behind it flow on', async () => {
    const letter = await poisonAmongHealthy('notes', 2000, 30_000);
    expect(letter.message).toMatch(/Kafka refused a record of \d+ bytes as too large/);
  }, 90_000);
});
