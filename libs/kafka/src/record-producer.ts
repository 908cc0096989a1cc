import type { Producer } from 'kafkajs';
import { WailError, rootErrorCode } from '@wail/errors';
import type { KafkaClient } from './kafka-client';
import type { OutgoingRecord } from './records';

export interface RecordProducerOptions {
  /** Broker-side wait for acks=all. */
  ackTimeoutMs?: number;
  retries?: number;
}

export function toMessages(records: readonly OutgoingRecord[]) {
  const byTopic = new Map<
    string,
    {
      key: Buffer | null;
      value: Buffer | null;
      headers?: Record<string, string | Buffer>;
      partition?: number;
    }[]
  >();
  for (const record of records) {
    const list = byTopic.get(record.topic) ?? [];
    list.push({
      key: record.key,
      value: record.value,
      ...(record.headers ? { headers: record.headers } : {}),
      ...(record.partition === undefined ? {} : { partition: record.partition }),
    });
    byTopic.set(record.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export function kafkaUnavailable(error: unknown): WailError {
  if (error instanceof WailError) return error;
  // The code, not the driver's message: it may quote broker addresses.
  const reason = rootErrorCode(error) ?? (error instanceof Error ? error.name : typeof error);
  return new WailError('INTENT_LOG_UNAVAILABLE', `Kafka did not acknowledge (${reason})`, {
    cause: error,
  });
}

/**
 * An idempotent producer (acks=all, one request in flight, so retries never
 * reorder or duplicate).
 */
export class RecordProducer {
  private readonly producer: Producer;
  private connecting: Promise<void> | undefined;

  constructor(
    kafka: KafkaClient,
    private readonly options: RecordProducerOptions = {},
  ) {
    this.producer = kafka.createProducer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw kafkaUnavailable(error);
    });
    return this.connecting;
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.connect();
    try {
      await this.producer.sendBatch({
        topicMessages: toMessages(records),
        acks: -1,
        timeout: this.options.ackTimeoutMs ?? 5000,
      });
    } catch (error) {
      throw kafkaUnavailable(error);
    }
  }

  async close(): Promise<void> {
    if (this.connecting) await this.producer.disconnect().catch(() => undefined);
    this.connecting = undefined;
  }
}
