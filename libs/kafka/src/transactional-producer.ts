import type { Producer } from 'kafkajs';
import type { KafkaClient } from './kafka-client';
import { kafkaError } from './kafka-error';
import { MAX_REQUEST_BYTES, inChunks, recordSize, toMessages } from './record-producer';
import type { OutgoingRecord } from './records';

export interface TransactionalProducerOptions {
  /** One id per input partition: a new owner of the partition fences the old one. */
  transactionalId: string;
  /** The broker aborts a transaction left open longer than this. */
  transactionTimeoutMs?: number;
}

/**
 * Consume-transform-produce with Kafka transactions: the output records and
 * the consumer group's offset for one input partition commit together or not
 * at all. kafkajs 2.2.4 has no KIP-447 (no consumer-group metadata in
 * `sendOffsets`), so fencing uses the classic scheme: one transactional id per
 * input partition; `claim` re-initializes it, which aborts whatever a previous
 * owner (a zombie after a rebalance or a crash) left open and rejects its
 * later commits.
 *
 * After any failed transaction the producer is unusable: throw it away and
 * `claim` again with a new one (the caller replays from the committed offset).
 */
export class TransactionalProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: KafkaClient, options: TransactionalProducerOptions) {
    this.producer = kafka.createProducer({
      transactionalId: options.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: options.transactionTimeoutMs ?? 30_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  /** Takes the transactional id over (fencing any earlier producer with it). */
  async claim(): Promise<void> {
    try {
      if (!this.connected) {
        await this.producer.connect();
        this.connected = true;
      }
      // The first transaction initializes the producer id: that is the fence.
      const transaction = await this.producer.transaction();
      await transaction.abort();
    } catch (error) {
      throw kafkaError(error);
    }
  }

  /** Sends the records and commits the group's offset for their input partition, atomically. */
  async commit(
    records: readonly OutgoingRecord[],
    offset: { groupId: string; topic: string; partition: number; offset: bigint },
  ): Promise<void> {
    const transaction = await this.producer.transaction().catch((error: unknown) => {
      throw kafkaError(error);
    });
    try {
      // Several requests in one transaction: records that fit one by one
      // never make a partition's batch too large together.
      for (const chunk of inChunks(records, recordSize, MAX_REQUEST_BYTES))
        await transaction.sendBatch({ topicMessages: toMessages(chunk), acks: -1 });
      await transaction.sendOffsets({
        consumerGroupId: offset.groupId,
        topics: [
          {
            topic: offset.topic,
            partitions: [{ partition: offset.partition, offset: offset.offset.toString() }],
          },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw kafkaError(error);
    }
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect().catch(() => undefined);
    this.connected = false;
  }
}
