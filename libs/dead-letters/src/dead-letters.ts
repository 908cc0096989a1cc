import {
  DEAD_LETTER_HEADERS,
  intentJson,
  parseDeadLetterHeaders,
  type DeadLetterFacts,
  type IntentJson,
} from '@wail/contracts';
import { decodeIntent } from '@wail/intent';
import type { IncomingRecord, KafkaClient, OutgoingRecord, RecordProducer } from '@wail/kafka';
import { PartitionConsumer } from '@wail/kafka';
import type { Logger } from 'pino';

/** A dead letter as read back: where it is, what its headers say, the intent it holds. */
export interface DeadLetter extends DeadLetterFacts {
  /** Where the dead letter itself is: `<topic>/<partition>/<offset>`. */
  id: string;
  partition: number;
  offset: bigint;
  /** The intent, when its bytes decode. */
  intent?: IntentJson;
  record: IncomingRecord;
}

export function parseDeadLetter(record: IncomingRecord): DeadLetter {
  let intent: IntentJson | undefined;
  try {
    if (record.value) intent = intentJson(decodeIntent(record.value));
  } catch {
    // undecodable: that is often why it is here
  }
  return {
    id: `${record.topic}/${record.partition}/${record.offset}`,
    partition: record.partition,
    offset: record.offset,
    ...parseDeadLetterHeaders(record.headers),
    ...(intent ? { intent } : {}),
    record,
  };
}

/** Every record of a topic, from the beginning to its end at the time of the call. */
export async function readTopic(
  kafka: KafkaClient,
  topic: string,
  logger: Logger,
  timeoutMs = 30_000,
): Promise<IncomingRecord[]> {
  const ends = await kafka.endOffsets(topic);
  const needed = new Map([...ends].filter(([, end]) => end > 0n));
  const records: IncomingRecord[] = [];
  if (needed.size === 0) return records;
  const seen = new Map<number, bigint>();
  const consumer = new PartitionConsumer(kafka, {
    groupId: `wail-read-${topic}-${process.pid}-${Date.now()}`,
    logger,
    onBatch: async (batch) => {
      for (const record of batch.records) {
        if (record.offset < (needed.get(record.partition) ?? 0n)) records.push(record);
        seen.set(record.partition, record.offset);
      }
    },
  });
  await consumer.setTopics([topic]);
  const deadline = Date.now() + timeoutMs;
  try {
    while ([...needed].some(([partition, end]) => (seen.get(partition) ?? -1n) < end - 1n)) {
      if (Date.now() > deadline)
        throw new Error(`reading ${topic} did not reach its end within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await consumer.stop();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

/**
 * Sends dead letters back to the intent topic they came from, with their
 * original key, bytes and trace headers, marked with where they were dead-lettered.
 * The consumer treats a re-driven intent like any other (its state is read
 * again, so a re-drive never publishes stale data). The dead letters stay.
 */
export async function redrive(
  producer: RecordProducer,
  letters: readonly DeadLetter[],
): Promise<number> {
  const records: OutgoingRecord[] = letters.map((letter) => {
    const headers: Record<string, Buffer> = {};
    for (const [name, value] of Object.entries(letter.record.headers)) {
      if (!name.startsWith('wail.')) headers[name] = value;
    }
    headers[DEAD_LETTER_HEADERS.redrivenFrom] = Buffer.from(letter.id);
    if (!letter.origin.topic) throw new Error(`dead letter ${letter.id} has no origin topic`);
    return {
      topic: letter.origin.topic,
      key: letter.record.key,
      value: letter.record.value,
      headers,
    };
  });
  await producer.send(records);
  return records.length;
}
