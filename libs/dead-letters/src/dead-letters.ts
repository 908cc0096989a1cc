import { decodeIntent, intentIdToString, keyScalarToJson } from '@wail/intent';
import type { IncomingRecord, KafkaClient, OutgoingRecord, RecordProducer } from '@wail/kafka';
import { PartitionConsumer } from '@wail/kafka';
import type { Logger } from 'pino';

/** The headers the smart consumer puts on a dead letter: its contract with operators and tools. */
export const DEAD_LETTER_HEADERS = {
  code: 'wail.error.code',
  message: 'wail.error.message',
  originTopic: 'wail.origin.topic',
  originPartition: 'wail.origin.partition',
  originOffset: 'wail.origin.offset',
  attempts: 'wail.attempts',
  failedAt: 'wail.failed-at',
  redrivenFrom: 'wail.redriven-from',
} as const;

export interface DeadLetter {
  /** Where the dead letter itself is: `<topic>/<partition>/<offset>`. */
  id: string;
  partition: number;
  offset: bigint;
  code: string;
  message: string;
  origin: { topic: string; partition: number; offset: string };
  attempts: number;
  failedAt: string;
  /** The intent, when its bytes decode. */
  intent?: {
    intentId: string;
    table: string;
    op: string;
    key: Record<string, unknown>;
    ts: string;
    proxyId: string;
  };
  record: IncomingRecord;
}

export function parseDeadLetter(record: IncomingRecord): DeadLetter {
  const header = (name: string) => record.headers[name]?.toString() ?? '';
  let intent: DeadLetter['intent'];
  try {
    if (record.value) {
      const decoded = decodeIntent(record.value);
      intent = {
        intentId: intentIdToString(decoded.intentId),
        table: decoded.table,
        op: decoded.op,
        key: Object.fromEntries(
          decoded.key.map((column) => [column.name, keyScalarToJson(column.value)]),
        ),
        ts: decoded.ts.toString(),
        proxyId: decoded.proxyId,
      };
    }
  } catch {
    // undecodable: that is often why it is here
  }
  return {
    id: `${record.topic}/${record.partition}/${record.offset}`,
    partition: record.partition,
    offset: record.offset,
    code: header(DEAD_LETTER_HEADERS.code),
    message: header(DEAD_LETTER_HEADERS.message),
    origin: {
      topic: header(DEAD_LETTER_HEADERS.originTopic),
      partition: Number(header(DEAD_LETTER_HEADERS.originPartition)),
      offset: header(DEAD_LETTER_HEADERS.originOffset),
    },
    attempts: Number(header(DEAD_LETTER_HEADERS.attempts)),
    failedAt: header(DEAD_LETTER_HEADERS.failedAt),
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
