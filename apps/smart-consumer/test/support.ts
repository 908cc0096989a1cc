import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Type } from 'avsc';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { stackEnv, uniqueName } from '@wail/testing';

export interface DecodedEvent {
  topic: string;
  partition: number;
  offset: string;
  key: Record<string, unknown>;
  value: {
    op: 'UPSERT' | 'DELETE';
    key: Record<string, unknown>;
    after: Record<string, unknown> | null;
    version: number;
    source: { table: string; store: string; intentId: string; intentTs: number };
    modelVersion: number;
    claimCheck?: { uri: string; size: number; sha256: string; contentType: string } | null;
  };
  headers: Record<string, string>;
  keySchemaId: number;
  valueSchemaId: number;
}

/**
 * Reads event topics from the beginning and decodes every record twice: with
 * the `@kafkajs/confluent-schema-registry` client, and independently from the
 * raw bytes (magic byte, big-endian schema id, avsc with the schema fetched by
 * id). The two must agree, or the read fails.
 */
export class EventReader {
  readonly events: DecodedEvent[] = [];
  readonly errors: string[] = [];
  private readonly kafka: Kafka;
  private consumer: Consumer | undefined;
  private readonly registry: SchemaRegistry;
  private readonly rawTypes = new Map<number, Type>();

  /** Reads from the stack's Kafka, or from `brokers` (another cluster). */
  constructor(
    private readonly repositoryUrl: string,
    brokers: string[] = stackEnv().kafkaBrokers,
  ) {
    this.registry = new SchemaRegistry({ host: repositoryUrl });
    this.kafka = new Kafka({ brokers, clientId: 'wail-test-events', logLevel: logLevel.NOTHING });
  }

  async start(topics: string[]): Promise<void> {
    this.consumer = this.kafka.consumer({ groupId: uniqueName('wail_test_events') });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        try {
          const keyBytes = message.key!;
          const valueBytes = message.value!;
          const viaClient = {
            key: (await this.registry.decode(keyBytes)) as Record<string, unknown>,
            value: (await this.registry.decode(valueBytes)) as DecodedEvent['value'],
          };
          const raw = {
            key: await this.rawDecode(keyBytes),
            value: await this.rawDecode(valueBytes),
          };
          if (JSON.stringify(normalize(raw)) !== JSON.stringify(normalize(viaClient))) {
            this.errors.push(
              `raw and client decodings differ at ${topic}/${partition}/${message.offset}`,
            );
          }
          this.events.push({
            topic,
            partition,
            offset: message.offset,
            key: viaClient.key,
            value: viaClient.value,
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
            ),
            keySchemaId: keyBytes.readInt32BE(1),
            valueSchemaId: valueBytes.readInt32BE(1),
          });
        } catch (error) {
          this.errors.push((error as Error).message);
        }
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  forKey(table: string, predicate: (key: Record<string, unknown>) => boolean): DecodedEvent[] {
    return this.events.filter(
      (event) => event.value.source.table === table && predicate(event.value.key),
    );
  }

  private async rawDecode(bytes: Buffer): Promise<unknown> {
    if (bytes[0] !== 0) throw new Error(`magic byte ${bytes[0]} is not 0`);
    const id = bytes.readInt32BE(1);
    let type = this.rawTypes.get(id);
    if (!type) {
      const response = await fetch(`${this.repositoryUrl}/schemas/ids/${id}`);
      const body = (await response.json()) as { schema: string };
      type = Type.forSchema(JSON.parse(body.schema));
      this.rawTypes.set(id, type);
    }
    return type.fromBuffer(bytes.subarray(5));
  }
}

function normalize(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'bigint' ? Number(v) : Buffer.isBuffer(v) ? v.toString('hex') : v,
    ),
  );
}

/** Reads a plain JSON topic (unmaterialized records) from the beginning. */
export async function readJsonTopic(
  topic: string,
  until: (records: Record<string, unknown>[]) => boolean,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>[]> {
  const kafka = new Kafka({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-test-json',
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('wail_test_json') });
  const records: Record<string, unknown>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push(JSON.parse(message.value!.toString()) as Record<string, unknown>);
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!until(records) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await consumer.disconnect();
  return records;
}

/** Reads raw records (dead letters) from the beginning. */
export async function readRawTopic(
  topic: string,
  until: (
    records: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[],
  ) => boolean,
  timeoutMs = 20_000,
) {
  const kafka = new Kafka({
    brokers: stackEnv().kafkaBrokers,
    clientId: 'wail-test-raw',
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('wail_test_raw') });
  const records: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] =
    [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      records.push({
        key: message.key,
        value: message.value,
        headers: Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        ),
      });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!until(records) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  await consumer.disconnect();
  return records;
}

export async function http(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}
