import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '@wail/contracts';
import { decodeIntent } from '@wail/intent';
import { KafkaClient } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';
import { putTableRoutes, stackEnv, waitFor } from '@wail/testing';
import { PipelineEnvironment } from './environment';
import { EventReader, http, readRawTopic } from './support';

/**
 * Issue 9 item 4, consumer side: an event too large to publish is
 * dead-lettered EVENT_TOO_LARGE — by the consumer's own bound, or when Kafka
 * refuses it — and the keys behind it on its partition flow on.
 */
const MAX_EVENT_BYTES = 65_536;
/** The event topic of `notes` takes at most this once lowered, below the consumer's bound. */
const NOTES_TOPIC_LIMIT = 16_384;

describe.each(['at-least-once', 'exactly-once'] as const)(
  'an event too large to publish (%s)',
  (delivery) => {
    const env = new PipelineEnvironment();
    const kafka = new KafkaClient({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-e2e-oversize',
      logger: silentLogger(),
    });
    const admin = new Kafka({
      brokers: stackEnv().kafkaBrokers,
      clientId: 'wail-e2e-oversize-admin',
      logLevel: logLevel.NOTHING,
    }).admin();
    let reader: EventReader;
    const documentsTopic = `${env.name}.events.documents`;
    const notesTopic = `${env.name}.events.notes`;

    beforeAll(async () => {
      await env.start({
        consumerEnv: {
          WAIL_CONSUMER_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES),
          WAIL_CONSUMER_DELIVERY: delivery,
        },
      });
      await admin.connect();
      for (const table of ['documents', 'notes'])
        await env.mysql.pool.query(
          `CREATE TABLE \`${env.name}\`.${table} (id BIGINT PRIMARY KEY, body MEDIUMTEXT NULL, wail_ts BIGINT NOT NULL)`,
        );
      await kafka.ensureTopics([{ topic: documentsTopic }, { topic: notesTopic }]);
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
        if (answer.status !== 200)
          throw new Error(`model ${table}: ${JSON.stringify(answer.body)}`);
      }
      reader = new EventReader(env.repository.url);
      await reader.start([documentsTopic, notesTopic]);
    }, 120_000);

    afterAll(async () => {
      await reader?.stop();
      await admin.disconnect();
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

    async function published(table: string, keys: readonly { id: number; ts: number }[]) {
      await waitFor(
        () =>
          keys.every(({ id, ts }) =>
            reader.forKey(table, (key) => key['id'] === id).some((e) => e.value.version === ts),
          ),
        { timeoutMs: 30_000, intervalMs: 100, what: `${keys.length} ${table} keys published` },
      );
    }

    /** The dead letter of a key (read committed: in exactly-once mode dead letters are transactional). */
    async function deadLetterOf(table: string, id: number) {
      const isIt = (record: { value: Buffer | null }) => {
        try {
          const intent = decodeIntent(record.value!);
          return intent.table === table && intent.key[0]?.value === BigInt(id);
        } catch {
          return false;
        }
      };
      const letter = (
        await readRawTopic(env.deadLetterTopic, (records) => records.some(isIt), 30_000)
      ).find(isIt);
      if (!letter) throw new Error(`no dead letter for ${table} ${id}`);
      const header = (name: string) => letter.headers[name] ?? '';
      return {
        code: header(DEAD_LETTER_HEADERS.code),
        message: header(DEAD_LETTER_HEADERS.message),
        attempts: Number(header(DEAD_LETTER_HEADERS.attempts)),
        origin: {
          topic: header(DEAD_LETTER_HEADERS.originTopic),
          partition: Number(header(DEAD_LETTER_HEADERS.originPartition)),
          offset: header(DEAD_LETTER_HEADERS.originOffset),
        },
      };
    }

    /**
     * Writes the oversized row, then 30 healthy keys behind it (some on its
     * intent partition: the chance that none of 30 is, of 3, is 2e-6), and
     * checks that the oversized one is dead-lettered with EVENT_TOO_LARGE
     * while the healthy ones are published and the partition's committed
     * offset reaches its end.
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
      await published(table, healthy);
      expect(reader.forKey(table, (key) => key['id'] === bigId)).toEqual([]);
      const partition = letter.origin.partition;
      const end = (await kafka.endOffsets(env.intentTopic)).get(partition)!;
      expect(end).toBeGreaterThan(BigInt(letter.origin.offset) + 1n);
      await waitFor(
        async () => {
          const committed = (
            await kafka.committedOffsets(`${env.name}.consumer`, [env.intentTopic])
          )
            .get(env.intentTopic)
            ?.get(partition);
          return committed !== undefined && committed >= end;
        },
        {
          timeoutMs: 20_000,
          intervalMs: 200,
          what: 'the committed offset past the oversized intent',
        },
      );
      return letter;
    }

    it('is dead-lettered EVENT_TOO_LARGE by the consumer bound; the keys behind it flow on', async () => {
      const letter = await poisonAmongHealthy('documents', 1000, 100_000);
      expect(letter.message).toMatch(
        /the event is \d+ bytes; the limit is 65536 bytes \(WAIL_CONSUMER_MAX_EVENT_BYTES\)/,
      );
      expect(letter.attempts).toBe(1);
    }, 90_000);

    it("is dead-lettered EVENT_TOO_LARGE when its topic's max.message.bytes is lowered under the consumer", async () => {
      // The consumer has seen the topic at Kafka's default limit...
      await published('notes', [{ id: 1, ts: await upsert('notes', 1, 'first note') }]);
      // ...which is lowered now, below the consumer's own bound.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: notesTopic,
            configEntries: [{ name: 'max.message.bytes', value: String(NOTES_TOPIC_LIMIT) }],
          },
        ],
      });
      const letter = await poisonAmongHealthy('notes', 2000, 30_000);
      // At-least-once: Kafka refuses it. Exactly-once: the refused transaction
      // is replayed, and the replay sees the topic's new limit.
      expect(letter.message).toMatch(
        delivery === 'at-least-once'
          ? /Kafka refused a record of \d+ bytes as too large/
          : /the event is \d+ bytes; the limit is 16384 bytes \(max.message.bytes of topic/,
      );
    }, 90_000);
  },
);
