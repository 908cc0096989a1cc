import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { READABLE_LOGICAL_TYPES } from '@wail/contracts';
import { KafkaClient, PartitionConsumer } from '@wail/kafka';
import { silentLogger } from '@wail/telemetry';

/**
 * Prints the records of topics as JSON lines: Confluent-framed Avro is
 * decoded through the schema repository (with the standard kafkajs client, as
 * any consumer would), JSON values are printed as they are, anything else as
 * base64.
 */
export async function tail(options: {
  brokers: string[];
  repositoryUrl: string;
  topics: string[];
  fromBeginning: boolean;
  say: (line: string) => void;
}): Promise<() => Promise<void>> {
  const registry = new SchemaRegistry(
    { host: options.repositoryUrl },
    {
      // Decimals, dates and timestamps as text, not bytes and numbers.
      [SchemaType.AVRO]: { logicalTypes: READABLE_LOGICAL_TYPES },
    },
  );
  const kafka = new KafkaClient({
    brokers: options.brokers,
    clientId: 'wail-cli-tail',
    logger: silentLogger(),
  });
  const decode = async (bytes: Buffer | null): Promise<unknown> => {
    if (bytes === null) return null;
    if (bytes.length > 5 && bytes[0] === 0) {
      try {
        return await registry.decode(bytes);
      } catch (error) {
        return {
          base64: bytes.toString('base64'),
          schemaId: bytes.readInt32BE(1),
          error: (error as Error).message,
        };
      }
    }
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      return /^[\x20-\x7e]*$/.test(text) ? text : { base64: bytes.toString('base64') };
    }
  };
  const consumer = new PartitionConsumer(kafka, {
    groupId: `wail-cli-tail-${process.pid}-${Date.now()}`,
    logger: silentLogger(),
    fromBeginning: options.fromBeginning,
    partitionsConsumedConcurrently: 1,
    resolveTransactionsByMarkers: true,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        const line = {
          topic: record.topic,
          partition: record.partition,
          offset: record.offset.toString(),
          key: await decode(record.key),
          value: await decode(record.value),
          headers: Object.fromEntries(
            Object.entries(record.headers).map(([name, value]) => [name, value.toString()]),
          ),
        };
        options.say(
          JSON.stringify(line, (_key, value: unknown) =>
            typeof value === 'bigint' ? value.toString() : value,
          ),
        );
      }
    },
  });
  await kafka.ensureTopics(options.topics.map((topic) => ({ topic })));
  await consumer.setTopics(options.topics);
  return async () => {
    await consumer.stop();
    await kafka.close();
  };
}
