import type { Producer } from 'kafkajs';
import type { KafkaClient } from './kafka-client';
import { kafkaError } from './kafka-error';
import { javaCompatiblePartitioner } from './partitioner';
import type { OutgoingRecord } from './records';

export interface RecordProducerOptions {
  /** Broker-side wait for acks=all. */
  ackTimeoutMs?: number;
  retries?: number;
}

interface Message {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
}

export function toMessages(
  records: readonly OutgoingRecord[],
  onMessage?: (record: OutgoingRecord, message: Message) => void,
) {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    const list = byTopic.get(record.topic) ?? [];
    const message: Message = {
      key: record.key,
      value: record.value,
      ...(record.headers ? { headers: record.headers } : {}),
      ...(record.partition === undefined ? {} : { partition: record.partition }),
    };
    onMessage?.(record, message);
    list.push(message);
    byTopic.set(record.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** The bytes a record takes in a batch, near enough to compare with Kafka's size limits. */
export function recordSize(record: OutgoingRecord): number {
  let size = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const [name, value] of Object.entries(record.headers ?? {}))
    size += Buffer.byteLength(name) + Buffer.byteLength(value) + 10;
  return size;
}

/** Consecutive runs of items of at most `maxBytes` each (an item larger than that runs alone). */
export function* inChunks<T>(
  items: readonly T[],
  size: (item: T) => number,
  maxBytes: number,
): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const itemBytes = size(item);
    if (chunk.length > 0 && bytes + itemBytes > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += itemBytes;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Bytes per produce request: below the broker's default `message.max.bytes`
 * (1,048,588), which a partition's batch must not exceed. kafkajs puts all the
 * records of a partition in one batch, however many there are.
 */
export const MAX_REQUEST_BYTES = 900_000;

/** A record's own framing (length, attributes, deltas, varints) plus its share of a batch header, generously. */
const RECORD_OVERHEAD = 96;

/**
 * An idempotent producer (acks=all, one request in flight, so retries never
 * reorder or duplicate).
 *
 * kafkajs (sendMessages.js) advances a partition's sequence number before a
 * produce request and rolls back every partition of the request when it
 * fails — also the partitions the broker did append. The next request to such
 * a partition then either repeats the appended batch's first sequence with the
 * same record count, which the broker answers as a duplicate (kafkajs reports
 * success, the new records are silently dropped), or with another count, which
 * fails with OUT_OF_ORDER_SEQUENCE_NUMBER, again and again. So after a failed
 * send the next one must be the same records per partition (what kafkajs's
 * own retries do, and what `sendAgain` does), or the producer must start over
 * with a new producer id (`reset`).
 */
export class RecordProducer {
  private producer: Producer;
  private connecting: Promise<void> | undefined;
  private readonly assigned = new WeakMap<object, number>();
  private readonly partitions = new WeakMap<OutgoingRecord, number>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: RecordProducerOptions = {},
  ) {
    this.producer = this.create();
  }

  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw kafkaError(error);
    });
    return this.connecting;
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    const sent: [OutgoingRecord, Message][] = [];
    try {
      await this.producer.sendBatch({
        topicMessages: toMessages(records, (record, message) => sent.push([record, message])),
        acks: -1,
        timeout: this.options.ackTimeoutMs ?? 5000,
      });
    } catch (error) {
      throw kafkaError(error);
    } finally {
      for (const [record, message] of sent) {
        const partition = this.assigned.get(message);
        if (partition !== undefined) this.partitions.set(record, partition);
      }
    }
  }

  /** The partition a record went to in its last `send` (undefined if it never reached the partitioner). */
  partitionOf(record: OutgoingRecord): number | undefined {
    return record.partition ?? this.partitions.get(record);
  }

  /**
   * Sends records of one partition again, to the partition they went to
   * before, in the same order: for a partition the broker appended, the
   * same batch is acknowledged as a duplicate (no second copy).
   */
  sendAgain(records: readonly OutgoingRecord[]): Promise<void> {
    return this.send(records.map((record) => ({ ...record, partition: this.partitionOf(record) })));
  }

  /** Starts over with a new kafkajs producer, so a new producer id with fresh sequence numbers. */
  async reset(): Promise<void> {
    const previous = this.connecting ? this.producer : undefined;
    this.producer = this.create();
    this.connecting = undefined;
    if (previous) await previous.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.connecting) await this.producer.disconnect().catch(() => undefined);
    this.connecting = undefined;
  }

  private create(): Producer {
    return this.kafka.createProducer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: javaCompatiblePartitioner(this.assigned),
      retry: { retries: this.options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }
}
