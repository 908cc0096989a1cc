import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { READABLE_LOGICAL_TYPES } from '@wail/contracts';
import { KafkaClient, PartitionConsumer, type KafkaSecurity } from '@wail/kafka';
import { resolveClaimCheck, type ClaimReader, type ClaimedEnvelope } from '@wail/object-store';
import { silentLogger } from '@wail/telemetry';

/**
 * Prints the records of topics as JSON lines: Confluent-framed Avro is
 * decoded through the schema repository (with the standard kafkajs client, as
 * any consumer would), JSON values are printed as they are, anything else as
 * base64. A claim-checked event is shown with its row as `after`, fetched
 * from the object store (`claims`); when that fails, as published, with the
 * reason beside it (`claimCheckError`).
 */
export async function tail(options: {
  brokers: string[];
  /** TLS and SASL of the cluster (WAIL_KAFKA_TLS*, WAIL_KAFKA_SASL_*). */
  security?: KafkaSecurity | undefined;
  repositoryUrl: string;
  topics: string[];
  fromBeginning: boolean;
  /** The object store of claim checks (WAIL_S3_*), when configured. */
  claims?: ClaimReader | undefined;
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
    security: options.security,
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
          value: await withClaimResolved(options.claims, await decode(record.value), (bytes) =>
            registry.decode(bytes),
          ),
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

/** The decoded value with its claim check resolved, or as it is (with the reason) when that fails. */
export async function withClaimResolved(
  claims: ClaimReader | undefined,
  value: unknown,
  decode: (bytes: Buffer) => Promise<unknown>,
): Promise<unknown> {
  if (value === null || typeof value !== 'object') return value;
  const envelope = value as ClaimedEnvelope;
  if (!envelope.claimCheck) return value;
  try {
    return await resolveClaimCheck(
      claims,
      envelope,
      async (bytes) => (await decode(bytes)) as ClaimedEnvelope,
    );
  } catch (error) {
    return { ...envelope, claimCheckError: (error as Error).message };
  }
}
